"""What the stockroom prints on the receipt printer: reception report, count report, scrap
(démarque) report, replenishment list, product and location labels. No bytes here: blocks only
(commerce.receipt's Text / Barcode / Cut), laid out in the printer's columns.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Mapping, Optional, Sequence

from .money import format_eur
from .receipt import TRAINING_BANNER, Barcode, Cut, ShopInfo, Text, left_right, wrap
from .shelf_label import barcode_for
from .stock import (REFILL, RESERVE, SUPPLIER_RETURNS, CountLine, Location, PurchaseOrder, ReceptionResult,
                    ReplenishLine, ScrapTotal)

LOCATION_NAMES = {RESERVE: "Réserve", SUPPLIER_RETURNS: "Retours fournisseur"}


def _lines(text: str, w: int, **style) -> list[Text]:
    """`text` wrapped; leading spaces indent every line of it, not only the first."""
    indent = len(text) - len(text.lstrip(" "))
    return [Text(" " * indent + s, **style) for s in wrap(text.strip(), w - indent)]


def _lr(left: str, right: str, w: int, **style) -> list[Text]:
    return [Text(s, **style) for s in left_right(left, right, w)]


def _head(title: str, w: int, shop: ShopInfo) -> list:
    out = [Text(TRAINING_BANNER, "center", bold=True, double=True)]
    out += [Text(s, "center", bold=True) for s in wrap(title, w)]
    out += [Text(s, "center") for s in wrap(shop.name, w)]
    return out + [Text("-" * w)]


def _foot(w: int, code: str = "") -> list:
    out = [Text("-" * w), Text(TRAINING_BANNER, "center", bold=True, double=True)]
    if code:
        out.append(Barcode("CODE128", code))
    return out + [Cut()]


def _cols(values: Sequence, width: int = 5) -> str:
    return "".join(str(v).rjust(width) for v in values)


def _product(gtin13: str, names: Mapping[str, str]) -> str:
    return names.get(gtin13) or "article inconnu au catalogue"


# --- reception --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReceptionReport:
    number: int
    order: PurchaseOrder
    note: str
    at: datetime
    operator: str  # who received (name)
    result: ReceptionResult
    names: Mapping[str, str]  # gtin13 -> product name


def reception_code(number: int) -> str:
    return f"REC{number:06d}"


def reception_report_blocks(r: ReceptionReport, columns: int = 42, shop: ShopInfo = ShopInfo()) -> list:
    """The reception report (compte rendu de réception): ordered, delivery note, received and
    accepted per line, every anomaly, the stock moves, the backorder. Signed by student and teacher."""
    w = columns
    out = _head("RAPPORT DE RÉCEPTION", w, shop)
    out += _lr(f"Réception n° {r.number:06d}", r.at.strftime("%d/%m/%Y %H:%M"), w)
    out += _lines(f"Commande : {r.order.number}" + (f" (reliquat de {r.order.backorder_of})"
                                                    if r.order.backorder_of else ""), w)
    out += _lines(f"Fournisseur : {r.order.supplier}", w)
    out += _lines(f"Livraison prévue le {r.order.expected.strftime('%d/%m/%Y')}", w)
    out += _lines(f"Bon de livraison : {r.note}", w)
    out += _lines(f"Reçu par : {r.operator}", w)
    out.append(Text("-" * w))
    out += _lr("Article", _cols(("Cde", "BL", "Reçu", "Acc.")), w, bold=True)
    for l in r.result.lines:
        out += _lines(_product(l.gtin13, r.names), w)
        out += _lr(f"  {l.gtin13}", _cols((l.ordered, "-" if l.announced is None else l.announced, l.received,
                                           l.accepted)), w)
        if l.best_before:
            out += _lines(f"  {l.date_kind} {l.best_before.strftime('%d/%m/%Y')}", w)
    out.append(Text("-" * w))
    anomalies = r.result.anomalies
    out += _lines(f"ANOMALIES : {len(anomalies)}" if anomalies else "AUCUNE ANOMALIE", w, bold=True)
    for a in anomalies:
        out += _lr(f"! {a.label}", str(a.qty), w)
        out += _lines(f"  {_product(a.gtin13, r.names)} ({a.gtin13})", w)
        if a.detail:
            out += _lines(f"  {a.detail}", w)
    out.append(Text("-" * w))
    out += _lines("MOUVEMENTS DE STOCK", w, bold=True)
    into: dict[str, int] = {}
    for m in r.result.moves:
        into[m.dest] = into.get(m.dest, 0) + m.qty
    for dest, qty in into.items():
        out += _lr(f"Entrée {LOCATION_NAMES.get(dest, dest)}", str(qty), w)
    out.append(Text("-" * w))
    back = r.result.backorder
    if back is None:
        out += _lines("PAS DE RELIQUAT : commande soldée", w, bold=True)
    else:
        out += _lines(f"RELIQUAT : commande {back.number}", w, bold=True)
        for l in back.lines:
            out += _lr(f"  {_product(l.gtin13, r.names)}", str(l.qty), w)
    out.append(Text("-" * w))
    out += [Text("Visa élève :"), Text(""), Text("Visa professeur :"), Text("")]
    return out + _foot(w, reception_code(r.number))


# --- count ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CountReport:
    number: int
    location: Location
    category: str
    started_at: datetime
    approved_at: datetime
    counted_by: str
    approved_by: str
    lines: Sequence[CountLine]
    names: Mapping[str, str]
    prices: Mapping[str, int]  # gtin13 -> selling price, to value the differences
    blind: bool = True


def count_value(lines: Sequence[CountLine], prices: Mapping[str, int]) -> int:
    """The count's differences at selling price (negative: stock lost)."""
    return sum(l.difference * prices.get(l.gtin13, 0) for l in lines)


def count_report_blocks(r: CountReport, columns: int = 42, shop: ShopInfo = ShopInfo()) -> list:
    w = columns
    out = _head(f"INVENTAIRE N° {r.number}", w, shop)
    out += _lines(f"Emplacement : {r.location.name} ({r.location.code})", w)
    if r.category:
        out += _lines(f"Catégorie : {r.category}", w)
    out += _lines(f"Commencé le {r.started_at.strftime('%d/%m/%Y %H:%M')}", w)
    out += _lines(f"Compté par : {r.counted_by}", w)
    if r.blind:
        out += _lines("Comptage à l'aveugle, écarts recomptés", w)
    out += _lines(f"Validé par : {r.approved_by}", w)
    out += _lines(f"Le {r.approved_at.strftime('%d/%m/%Y à %H:%M')}", w)
    out.append(Text("-" * w))
    out += _lr("Article", _cols(("Att.", "Cpt.", "Écart"), 6), w, bold=True)
    for l in r.lines:
        out += _lines(_product(l.gtin13, r.names) + (" (recompté)" if l.recounted else ""), w)
        out += _lr(f"  {l.gtin13}", _cols((l.expected, l.counted, f"{l.difference:+d}" if l.difference else "0"), 6), w)
    out.append(Text("-" * w))
    differing = sum(1 for l in r.lines if l.difference)
    out += _lines(f"{len(r.lines)} ligne(s), {differing} écart(s)", w)
    out += _lr("Écart en valeur (vente)", _signed(count_value(r.lines, r.prices)), w, bold=True)
    return out + _foot(w)


def _signed(cents: int) -> str:
    return f"+{format_eur(cents)}" if cents > 0 else format_eur(cents)


# --- scrap (démarque) -------------------------------------------------------------------------

def scrap_report_blocks(totals: Sequence[ScrapTotal], since: Optional[date], until: date, columns: int = 42,
                        shop: ShopInfo = ShopInfo()) -> list:
    w = columns
    out = _head("DÉMARQUE (REBUT)", w, shop)
    period = f"du {since.strftime('%d/%m/%Y')} " if since else "depuis le début "
    out += _lines(f"Période : {period}au {until.strftime('%d/%m/%Y')}", w)
    out.append(Text("-" * w))
    for t in totals:
        out += _lines(t.label[:1].upper() + t.label[1:], w, bold=True)
        out += _lr("  Quantité", str(t.qty), w)
        out += _lr("  Valeur au coût (HT)", format_eur(t.cost_value), w)
        out += _lr("  Valeur de vente (TTC)", format_eur(t.retail_value), w)
        if t.uncosted:
            out += _lines(f"  dont {t.uncosted} unité(s) sans coût connu", w)
    out.append(Text("-" * w))
    out += _lr("TOTAL au coût (HT)", format_eur(sum(t.cost_value for t in totals)), w, bold=True)
    out += _lr("TOTAL vente (TTC)", format_eur(sum(t.retail_value for t in totals)), w, bold=True)
    return out + _foot(w)


# --- replenishment ----------------------------------------------------------------------------

def replenishment_blocks(groups: Mapping[str, Sequence[ReplenishLine]], names: Mapping[str, str], at: datetime,
                         columns: int = 42, shop: ShopInfo = ShopInfo()) -> list:
    w = columns
    out = _head("RÉASSORT", w, shop)
    out += _lines(at.strftime("Le %d/%m/%Y à %H:%M"), w)
    if not groups:
        out += _lines("Rien à commander ni à réassortir.", w)
    for group, lines in groups.items():
        out.append(Text("-" * w))
        out += _lines(group if group == REFILL else f"À commander : {group}", w, bold=True)
        for l in lines:
            out += _lines(_product(l.gtin13, names), w)
            stock = f"  {l.location} stock {l.on_hand}" + (f" +{l.on_order} cdé" if l.on_order else "")
            out += _lr(f"{stock} (min {l.min}, max {l.max})", f"{l.qty}", w)
    return out + _foot(w)


# --- labels -----------------------------------------------------------------------------------

def product_label_blocks(name: str, gtin13: str, price: Optional[int] = None, columns: int = 42) -> list:
    """A product barcode label: name, price if given, the EAN to scan."""
    symbology, data = barcode_for(gtin13)
    out = [Text(s, "center", bold=True) for s in wrap(name, columns)]
    if price is not None:
        out.append(Text(format_eur(price), "center", bold=True, double=True))
    return out + [Barcode(symbology, data), Cut()]


def location_label_blocks(location: Location, columns: int = 42) -> list:
    """A location label to stick on a bin: its name, and its code as a Code 128 to scan."""
    out = [Text(s, "center", bold=True, double=True) for s in wrap(location.name, columns // 2)]
    return out + [Barcode("CODE128", location.code), Text(location.code, "center"), Cut()]


__all__ = ["ReceptionReport", "CountReport", "reception_report_blocks", "count_report_blocks", "scrap_report_blocks",
           "replenishment_blocks", "product_label_blocks", "location_label_blocks", "count_value"]
