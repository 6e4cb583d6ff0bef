"""The fiscal chain (loi anti-fraude TVA, NF525 "security" principle), as pure functions.

Every validated ticket and every technical event (journal) is a *record* in a chain of its own, per
register. A record's fields have one canonical serialisation (deterministic bytes), and

    hash(record) = SHA-256( bytes.fromhex(hash(previous record)) || canonical bytes(record) )

The first record of a chain takes GENESIS as its previous hash. Hashes are written as 64 lowercase
hex digits.

Canonical serialisation: UTF-8 JSON with keys sorted, no spaces, non-ASCII characters kept as they are
(json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)), amounts as integers in
cents, rates in basis points, timestamps as ISO 8601 text ("2025-03-14T10:05:07"). The builders below
write exactly those bytes by hand, because verifying 100 000 tickets must cost little more than
hashing them; tests check them against json.dumps.

Glossary: ticket = receipt ticket, HT = hors taxes (excluding VAT), TVA = VAT, TTC = including VAT,
opérateur = the signed-in student (cashier), journal = technical events journal (JET).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional

from .vat import split_ttc

# The previous hash of the first record of every chain (ticket or journal, every register).
# Written once, here; it is SHA-256(b"Comptoir: chaine fiscale, origine").
GENESIS = "b1147a06fb1169de64742de76c08e2e38b7d806dd3d0f5bcdabeb599ebea6ebb"
VERSION = 1  # of the canonical serialisation; part of every record's bytes

_str = json.encoder.encode_basestring  # the C encoder json.dumps(ensure_ascii=False) uses: '"…"'
_sha256 = hashlib.sha256


@dataclass(frozen=True)
class FiscalLine:
    gtin: str
    label: str
    qty: int
    unit_price: int  # cents TTC
    ht: int  # the line's total excluding VAT, cents
    vat_rate: int  # basis points
    total: int  # the line's total including VAT, cents


@dataclass(frozen=True)
class FiscalPayment:
    method: str
    amount: int
    given: int
    reference: str = ""  # gift card, credit note (avoir) or cheque number; "" for none


@dataclass(frozen=True)
class FiscalVat:
    rate: int
    ht: int
    tva: int
    ttc: int


@dataclass(frozen=True)
class FiscalTicket:
    """Every field the law asks to be stored for a ticket, as the chain hashes them."""

    id: str
    register: str
    number: int
    timestamp: str
    operator: str
    lines: tuple[FiscalLine, ...]
    vat: tuple[FiscalVat, ...]  # one row per rate, highest rate first
    total: int  # TTC
    payments: tuple[FiscalPayment, ...]
    corrects: Optional[tuple[str, int]] = None  # (register, number) of the ticket this one corrects
    training: bool = True


@dataclass(frozen=True)
class JournalEntry:
    """A technical event: printer error, reprint, drawer opened with no sale, closing, failed sign-in…"""

    register: str
    number: int
    timestamp: str
    operator: str
    kind: str
    details: Mapping  # str keys; str, int, bool, None, lists and dicts of them (no floats)


def line_ht(total_ttc: int, vat_rate: int) -> int:
    """A line's total excluding VAT: its TTC total split by the shop's one VAT rule (commerce.vat)."""
    return split_ttc(total_ttc, vat_rate)[0]


def fiscal_ticket(sale, corrects: Optional[tuple[str, int]] = None) -> FiscalTicket:
    """A validated ticket (commerce.ticket.ValidatedTicket) -> the fields the chain records."""
    return FiscalTicket(
        id=sale.id, register=sale.register, number=sale.number, timestamp=sale.created_at.isoformat(),
        operator=sale.cashier,
        lines=tuple(FiscalLine(l.gtin13, l.label, l.qty, l.unit_price, line_ht(l.total, l.vat_bp), l.vat_bp, l.total)
                    for l in sale.lines),
        vat=tuple(FiscalVat(r.rate_bp, r.ht, r.tva, r.ttc) for r in sale.vat),  # gift cards sold: outside VAT
        total=sale.total,
        payments=tuple(FiscalPayment(p.method, p.amount, p.given, p.reference) for p in sale.payments),
        corrects=corrects or getattr(sale, "corrects", None), training=sale.training,
    )


# -- canonical bytes -----------------------------------------------------------------------
def line_json(gtin, ht, label, qty, total, unit_price, vat_rate) -> str:
    return (f'{{"gtin":{_str(gtin)},"ht":{ht},"label":{_str(label)},"qty":{qty},"total":{total},'
            f'"unit_price":{unit_price},"vat_rate":{vat_rate}}}')


def payment_json(method, amount, given, reference=None) -> str:
    # "reference" is written only when there is one, so payments without one keep their bytes.
    ref = f',"reference":{_str(reference)}' if reference else ""
    return f'{{"amount":{amount},"given":{given},"method":{_str(method)}{ref}}}'


def vat_json(rate, ht, tva, ttc) -> str:
    return f'{{"ht":{ht},"rate":{rate},"ttc":{ttc},"tva":{tva}}}'


def corrects_json(register, number) -> str:
    if register is None and number is None:
        return "null"
    return f'{{"number":{number},"register":{_str(register)}}}'


def ticket_text(id, register, number, timestamp, operator, total, training, corrects: str,
                lines: str, payments: str, vat: str) -> str:
    """The canonical text of a ticket; `corrects`, `lines`, `payments` and `vat` are already JSON
    (corrects_json, and comma-joined line_json / payment_json / vat_json between brackets)."""
    return (f'{{"corrects":{corrects},"id":{_str(id)},"lines":{lines},"number":{number},'
            f'"operator":{_str(operator)},"payments":{payments},"register":{_str(register)},'
            f'"timestamp":{_str(timestamp)},"total":{total},"training":{"true" if training else "false"},'
            f'"vat":{vat},"version":{VERSION}}}')


def canonical_ticket(t: FiscalTicket) -> bytes:
    corrects = corrects_json(*t.corrects) if t.corrects else "null"
    lines = "[" + ",".join(line_json(l.gtin, l.ht, l.label, l.qty, l.total, l.unit_price, l.vat_rate)
                           for l in t.lines) + "]"
    payments = "[" + ",".join(payment_json(p.method, p.amount, p.given, p.reference) for p in t.payments) + "]"
    vat = "[" + ",".join(vat_json(v.rate, v.ht, v.tva, v.ttc) for v in t.vat) + "]"
    return ticket_text(t.id, t.register, t.number, t.timestamp, t.operator, t.total, t.training,
                       corrects, lines, payments, vat).encode("utf-8")


def details_json(details: Mapping) -> str:
    """An event's details, canonical: sorted keys, no spaces, no floats (they do not round-trip)."""
    _check_no_float(details, "details")
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_event(e: JournalEntry) -> bytes:
    return (f'{{"details":{details_json(e.details)},"kind":{_str(e.kind)},"number":{e.number},'
            f'"operator":{_str(e.operator)},"register":{_str(e.register)},"timestamp":{_str(e.timestamp)},'
            f'"version":{VERSION}}}').encode("utf-8")


def _check_no_float(value, path: str) -> None:
    if isinstance(value, float):
        raise ValueError(f"{path} : nombre à virgule refusé dans le journal (entier attendu)")
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{path} : clé {k!r} non textuelle")
            _check_no_float(v, f"{path}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_no_float(v, f"{path}[{i}]")


# -- the chain rule --------------------------------------------------------------------------
def chain_hash(prev_hash: str, canonical: bytes) -> str:
    """SHA-256(previous hash as 32 bytes || canonical bytes), as 64 hex digits."""
    return _sha256(bytes.fromhex(prev_hash) + canonical).hexdigest()


def chain(canonicals: Iterable[bytes], start: str = GENESIS) -> list[str]:
    """The hashes of records in chain order."""
    out, prev = [], start
    for c in canonicals:
        prev = chain_hash(prev, c)
        out.append(prev)
    return out


# -- telling which field changed ------------------------------------------------------------
FIELD_LABELS = {
    "corrects": "ticket corrigé", "id": "identifiant", "lines": "lignes", "number": "numéro",
    "operator": "opérateur", "payments": "paiements", "register": "caisse", "timestamp": "horodatage",
    "total": "total TTC", "training": "mode formation", "vat": "ventilation de TVA", "version": "version",
    "gtin": "code-barres", "label": "libellé", "qty": "quantité", "unit_price": "prix unitaire",
    "ht": "total HT", "vat_rate": "taux de TVA", "amount": "montant", "given": "montant donné",
    "method": "moyen de paiement", "reference": "référence", "rate": "taux", "tva": "TVA", "ttc": "total TTC",
    "kind": "type d'événement", "details": "détails",
}


def diff_fields(sealed, recomputed, path: str = "") -> list[tuple[str, object, object]]:
    """Paths where two decoded canonical records differ: [("lines[0].unit_price", 250, 999), …]."""
    if isinstance(sealed, dict) and isinstance(recomputed, dict):
        out = []
        for key in sorted(set(sealed) | set(recomputed)):
            sub = f"{path}.{key}" if path else key
            if key not in sealed or key not in recomputed:
                out.append((sub, sealed.get(key), recomputed.get(key)))
            else:
                out += diff_fields(sealed[key], recomputed[key], sub)
        return out
    if isinstance(sealed, list) and isinstance(recomputed, list):
        out = []
        for i in range(max(len(sealed), len(recomputed))):
            sub = f"{path}[{i}]"
            if i >= len(sealed) or i >= len(recomputed):
                out.append((sub, sealed[i] if i < len(sealed) else None,
                            recomputed[i] if i < len(recomputed) else None))
            else:
                out += diff_fields(sealed[i], recomputed[i], sub)
        return out
    if sealed != recomputed or type(sealed) is not type(recomputed):
        return [(path, sealed, recomputed)]
    return []


def describe_path(path: str) -> str:
    """'lines[0].unit_price' -> 'prix unitaire de la ligne 1 (lines[0].unit_price)'."""
    head, _, leaf = path.rpartition(".")
    leaf_name = leaf.split("[")[0]
    words = FIELD_LABELS.get(leaf_name, leaf_name)
    for part, noun in (("lines[", "de la ligne"), ("payments[", "du paiement"), ("vat[", "du taux n°")):
        if head.startswith(part):
            words += f" {noun} {int(head[len(part):].split(']')[0]) + 1}"
    if leaf.startswith(("lines[", "payments[", "vat[")) and not head:
        words += f" n° {int(leaf.split('[')[1].rstrip(']')) + 1}"
    return f"{words} ({path})"
