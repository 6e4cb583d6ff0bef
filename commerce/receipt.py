"""What a receipt says, laid out in a printer's columns. No bytes here: drivers encode the blocks.

The total printed is the ticket total, which is by construction the sum of the printed line totals.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass

from .errors import CommerceError
from .money import format_amount, format_eur
from .ticket import DISCOUNT, GIFT_CARD, GOODS, ITEM, LOYALTY, PAYMENT_METHODS, PROMO, ValidatedTicket
from .vat import rate_label

TRAINING_BANNER = "MODE FORMATION"
COLUMN_CHOICES = (32, 42, 48)


@dataclass(frozen=True)
class Text:
    """One printed line, already fitted: len(text) <= columns (or columns // 2 when double)."""

    text: str
    align: str = "left"  # left | center | right (the line is already padded for left)
    bold: bool = False
    double: bool = False  # double width and height


@dataclass(frozen=True)
class Barcode:
    symbology: str  # CODE128 | EAN13 | EAN8
    data: str


@dataclass(frozen=True)
class Cut:
    pass


@dataclass(frozen=True)
class ShopInfo:
    name: str = "Comptoir — boutique pédagogique"
    address: tuple[str, ...] = ("Lycée professionnel", "Magasin d'application")
    footer: str = "Merci de votre visite !"


def wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def left_right(left: str, right: str, width: int) -> list[str]:
    """`left` wrapped, with `right` ending exactly at the last column of the last line."""
    lines = wrap(left, width)
    if len(lines[-1]) + 1 + len(right) > width:
        lines.append("")
    lines[-1] = lines[-1] + " " * (width - len(lines[-1]) - len(right)) + right
    return lines


def plural(n: int, word: str) -> str:
    """French: 0 and 1 take the singular."""
    return f"{n} {word}" if n <= 1 else f"{n} {word}s"


def vat_table(rows, w: int) -> list:
    """Rate, HT, TVA, TTC in four columns ending at the last column; one block per rate when the
    amounts are too wide for the paper (never two amounts run together)."""
    cells = [[rate_label(r.rate_bp)] + [format_amount(v) for v in (r.ht, r.tva, r.ttc)] for r in rows]
    amount_w = max([len(c) + 1 for row in cells for c in row[1:]] + [8])
    label_w = w - 3 * amount_w
    if label_w >= 6:
        lines = ["TVA".ljust(label_w) + "".join(h.rjust(amount_w) for h in ("HT", "TVA", "TTC"))]
        lines += [row[0].ljust(label_w) + "".join(c.rjust(amount_w) for c in row[1:]) for row in cells]
        return [Text(line) for line in lines]
    out = []
    for row in cells:
        out.append(Text(f"TVA {row[0]}"))
        for name, amount in zip(("  HT", "  TVA", "  TTC"), row[1:]):
            out += [Text(s) for s in left_right(name, amount, w)]
    return out


def ticket_barcode_data(register: str, number: int) -> str:
    """Digits only (Code 128 set C, and no keyboard-layout trouble when scanned back)."""
    reg = "".join(ch for ch in register if ch.isdigit()) or "0"
    return f"{int(reg):03d}{number:09d}"


def parse_ticket_code(text: str, register: str) -> tuple[str, int]:
    """What a cashier gives to find a ticket: its scanned barcode (12 digits, ticket_barcode_data),
    "CAISSE/NUMÉRO", or a number of this register. Returns (register, number)."""
    raw = str(text).strip().replace(" ", "")
    if raw.isdigit() and len(raw) == 12:
        return str(int(raw[:3])), int(raw[3:])
    reg, sep, num = raw.rpartition("/")
    if num.isdigit() and 0 < int(num) < 10**9 and (not sep or reg):
        return (reg if sep else str(register)), int(num)
    raise CommerceError(f"ticket « {text} » illisible : scannez le code-barres du ticket ou tapez son numéro "
                        "(ex. 12 ou 1/12)")


def build_receipt(ticket: ValidatedTicket, columns: int, shop: ShopInfo = ShopInfo(), *,
                  fingerprint: str = "", version: str = "", copy: int = 0, gift: bool = False) -> list:
    """The receipt of a validated ticket.

    fingerprint: the start of the ticket's chain hash, and version: the software's, both printed (law).
    copy: a reprint's number (DUPLICATA n° copy); gift: a gift receipt, with no prices.
    """
    w = columns
    rule = Text("-" * w)
    out: list = [Text(TRAINING_BANNER, "center", bold=True, double=True)]
    if copy:
        out.append(Text(f"DUPLICATA n° {copy}"[:w // 2], "center", bold=True, double=True))
    if gift:
        out.append(Text("TICKET CADEAU"[:w // 2], "center", bold=True, double=True))
    out += [Text(line, "center", bold=True) for line in wrap(shop.name, w)]
    out += [Text(line, "center") for a in shop.address for line in wrap(a, w)]
    out.append(rule)
    out += [Text(s) for s in left_right(f"Ticket n° {ticket.number:06d}", f"Caisse {ticket.register}", w)]
    out.append(Text(ticket.created_at.strftime("Le %d/%m/%Y à %H:%M:%S")))
    out += [Text(s) for s in wrap(f"Caissier : {ticket.cashier}", w)]
    out.append(rule)
    if ticket.corrects:
        out += [Text(s) for s in wrap(f"Retour sur le ticket n° {ticket.corrects[1]:06d} (caisse {ticket.corrects[0]})", w)]
    if ticket.customer:
        out += [Text(s) for s in wrap(f"Client fidélité : {ticket.customer}", w)]
    if gift:  # what was bought, never what it cost
        for line in ticket.lines:
            if line.kind in (ITEM, GIFT_CARD):
                out += [Text(s) for s in left_right(line.label, f"x {line.qty}", w)]
        out.append(rule)
        out += [Text(s, "center") for s in wrap("Échange possible sur présentation de ce ticket", w)]
        return out + _footer(ticket, w, shop, fingerprint, version)
    for line in ticket.lines:
        if line.qty == 1:
            out += [Text(s) for s in left_right(line.label, format_amount(line.total), w)]
        else:
            out += [Text(s) for s in wrap(line.label, w)]
            out += [Text(s) for s in left_right(f"  {line.qty} x {format_amount(line.unit_price)}",
                                                format_amount(line.total), w)]
    out.append(rule)
    half = w // 2
    out += [Text(s, bold=True, double=True) for s in left_right("TOTAL", format_eur(ticket.total), half)]
    goods = [l for l in ticket.lines if l.kind in GOODS]
    items = sum(abs(l.qty) for l in goods)
    out.append(Text(f"{plural(len(goods), 'ligne')}, {plural(items, 'article')}"))
    saved = -sum(l.total for l in ticket.lines if l.kind in (PROMO, DISCOUNT, LOYALTY) and l.total < 0)
    if saved:
        out += [Text(s, bold=True) for s in left_right("Vous économisez", format_eur(saved), w)]
    out.append(rule)
    out += vat_table(ticket.vat, w) if ticket.vat else []
    if any(l.kind == GIFT_CARD for l in ticket.lines):
        out += [Text(s) for s in wrap("Carte cadeau : hors champ de la TVA (due sur les achats qu'elle paiera)", w)]
    out.append(rule)
    for p in ticket.payments:
        shown = p.given if p.method == "cash" and p.amount > 0 else p.amount
        label = PAYMENT_METHODS.get(p.method, p.method) + (" (remboursement)" if p.amount < 0 else "")
        out += [Text(s) for s in left_right(label, format_eur(shown), w)]
        if p.reference:
            out += [Text(s) for s in wrap(f"  n° {p.reference}", w)]
    if ticket.change:
        out += [Text(s, bold=True) for s in left_right("Rendu", format_eur(ticket.change), w)]
    for p in ticket.payments:  # a credit note issued on a refund: the customer keeps this part
        if p.method == "credit_note" and p.amount < 0:
            out.append(rule)
            out.append(Text(f"AVOIR {format_eur(-p.amount)}"[:w // 2], "center", bold=True, double=True))
            out += [Text(s, "center") for s in wrap(f"Avoir n° {p.reference}, à présenter en caisse", w)]
            out.append(Barcode("EAN13", p.reference))
    if ticket.points_earned or ticket.points_redeemed:
        out += [Text(s) for s in wrap(f"Fidélité : {ticket.points_earned} points gagnés"
                                      + (f", {ticket.points_redeemed} utilisés" if ticket.points_redeemed else ""), w)]
    if copy:
        out.append(Text(f"DUPLICATA n° {copy}"[:w // 2], "center", bold=True, double=True))
    return out + _footer(ticket, w, shop, fingerprint, version)


def _footer(ticket: ValidatedTicket, w: int, shop: ShopInfo, fingerprint: str, version: str) -> list:
    out = [Text("-" * w), Text(TRAINING_BANNER, "center", bold=True, double=True)]
    out += [Text(s, "center") for s in wrap("Ticket d'exercice, sans valeur commerciale", w)]
    out.append(Barcode("CODE128", ticket_barcode_data(ticket.register, ticket.number)))
    sealed = " · ".join(x for x in (f"Empreinte {fingerprint}" if fingerprint else "",
                                     f"Comptoir {version}" if version else "") if x)
    out += [Text(s, "center") for s in wrap(sealed, w)] if sealed else []
    out += [Text(s, "center") for s in wrap(shop.footer, w)]
    out.append(Cut())
    return out


def receipt_text(blocks: list) -> str:
    """Plain text of a receipt (for previews, logs and tests)."""
    lines = []
    for b in blocks:
        if isinstance(b, Text):
            lines.append(b.text)
        elif isinstance(b, Barcode):
            lines.append(f"[{b.symbology} {b.data}]")
    return "\n".join(lines)
