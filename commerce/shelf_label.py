"""Shelf labels (étiquettes de rayon) and the price per unit of measure (prix à l'unité de mesure).

French law requires, next to the selling price of a pre-packed product sold by quantity, its price
per kilogram or per litre ("prix à l'unité de mesure"): Arrêté du 3 décembre 1987 relatif à
l'information du consommateur sur les prix, and Directive 98/6/CE; see the DGCCRF's guidance
("prix au kilogramme, au litre, accompagné de l'unité de mesure").

Rounding rule, written once: unit price in cents = round_half_up(price_cents × 1000, quantity in g
or ml), i.e. per kg or per litre, to the cent, halves away from zero (commerce.money.round_half_up).
2,49 € for 350 g -> 249 × 1000 / 350 = 711,43 -> 7,11 €/kg.

Net quantities are read from a quantity field or from the product name: "350 g", "1,5 L", "75 cl",
"2.5L", "1Kg", "750 gr", "2 Litres", multipacks "6x100g", "2X750G", "200 g x 12",
"12 Pots De 125g" (the total is what the unit price is computed on).
"""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

from .errors import CommerceError
from .money import format_amount, format_eur, round_half_up
from .receipt import Barcode, Cut, Text

# unit -> (dimension, size of one unit in g or ml)
UNITS = {
    "mg": ("mass", Decimal("0.001")), "g": ("mass", Decimal(1)), "gr": ("mass", Decimal(1)),
    "gramme": ("mass", Decimal(1)), "grammes": ("mass", Decimal(1)), "kg": ("mass", Decimal(1000)),
    "ml": ("volume", Decimal(1)), "cl": ("volume", Decimal(10)), "dl": ("volume", Decimal(100)),
    "l": ("volume", Decimal(1000)), "litre": ("volume", Decimal(1000)), "litres": ("volume", Decimal(1000)),
}
_NUM = r"(\d+(?:[.,]\d+)?)"
_UNIT = r"(kg|mg|grammes|gramme|gr|g|ml|cl|dl|litres|litre|l)(?![a-zà-ÿ'’])"
_QTY = _NUM + r"\s*" + _UNIT
_CONTAINERS = (r"pots?|sachets?|briques?|bouteilles?|canettes?|bo[iî]tes?|tranches?|barquettes?|portions?"
               r"|coupelles?|flacons?|berlingots?|tubes?|sticks?|doses?|verrines?")
_PACK_BEFORE = re.compile(r"(?<![\d.,])(\d{1,3})\s*[x×*]\s*" + _QTY, re.IGNORECASE)
_PACK_AFTER = re.compile(r"(?<![\d.,])" + _QTY + r"\s*[x×*]\s*(\d{1,3})(?![\d.,])", re.IGNORECASE)
_PACK_OF = re.compile(r"(?<![\d.,])(\d{1,3})\s+(?:" + _CONTAINERS + r")\s+(?:de\s+)?" + _QTY, re.IGNORECASE)
_SINGLE = re.compile(r"(?<![\d.,])" + _QTY, re.IGNORECASE)


@dataclass(frozen=True)
class Quantity:
    """A net quantity: grams (mass) or millilitres (volume), an integer."""

    amount: int
    dimension: str  # "mass" | "volume"

    @property
    def unit(self) -> str:
        """The unit the price is given per: kg or L."""
        return "kg" if self.dimension == "mass" else "L"

    def __str__(self) -> str:
        if self.amount >= 1000:
            whole, rest = divmod(self.amount, 1000)
            dec = f",{rest:03d}".rstrip("0").rstrip(",")
            return f"{whole}{dec} {'kg' if self.dimension == 'mass' else 'L'}"
        if self.dimension == "mass":
            return f"{self.amount} g"
        return f"{self.amount // 10} cl" if self.amount % 10 == 0 else f"{self.amount} ml"


def _quantity(number: str, unit: str, count: int, source: str) -> Quantity:
    dimension, size = UNITS[unit.lower()]
    amount = Decimal(number.replace(",", ".")) * size * count
    if amount != amount.to_integral_value():
        raise CommerceError(f"quantité « {source} » refusée : au gramme ou au millilitre près")
    if amount <= 0:
        raise CommerceError(f"quantité « {source} » refusée : elle doit être positive")
    return Quantity(int(amount), dimension)


def parse_quantity(text: str) -> Optional[Quantity]:
    """The net quantity written in `text` (a name or a quantity field), or None if there is none.

    Multipacks count as their total. Among several quantities the first multipack wins, else the
    first quantity written.
    """
    s = " ".join(str(text).split())
    for pattern, order in ((_PACK_BEFORE, "before"), (_PACK_AFTER, "after"), (_PACK_OF, "before")):
        m = pattern.search(s)
        if m:
            if order == "before":
                count, number, unit = m.groups()
            else:
                number, unit, count = m.groups()
            if int(count) == 0:
                raise CommerceError(f"quantité « {m.group(0)} » refusée : zéro unité")
            return _quantity(number, unit, int(count), m.group(0))
    m = _SINGLE.search(s)
    return _quantity(m.group(1), m.group(2), 1, m.group(0)) if m else None


def unit_price(price_cents: int, quantity: Quantity) -> int:
    """Price per kg or per litre, in cents (the module's rounding rule)."""
    if price_cents < 0:
        raise CommerceError("prix négatif")
    return round_half_up(price_cents * 1000, quantity.amount)


def unit_price_text(cents: int, unit: str) -> str:
    return f"Prix au {'kg' if unit == 'kg' else 'litre'} : {format_eur(cents)}"


@dataclass(frozen=True)
class ShelfLabel:
    """What a shelf label says. drivers.labels.render_shelf_label draws it as it is."""

    title: str
    price: int  # cents: the selling price (per kg for an item sold by weight)
    price_text: str  # "2,49 €" or "18,90 €/kg"
    quantity: Optional[Quantity]
    quantity_text: str  # "350 g", "" when sold by weight or unknown
    unit_price: Optional[int]  # cents per kg or per litre
    unit: str  # "kg" | "L" | ""
    unit_price_text: str  # "Prix au kg : 7,11 €"
    barcode_symbology: str  # EAN13 | EAN8
    barcode_data: str
    warning: str = ""  # set when the legal unit price could not be computed

    def blocks(self, columns: int = 42) -> list:
        """The same label as receipt-printer blocks (Text, Barcode, Cut) for an ESC/POS printer."""
        out = [Text(line, "center", True) for line in _wrap(self.title, columns)]
        price = self.price_text if len(self.price_text) <= columns // 2 else self.price_text[: columns // 2]
        out.append(Text(price, "center", True, True))
        for text in (self.quantity_text, self.unit_price_text):
            if text:
                out.extend(Text(line, "center") for line in _wrap(text, columns))
        out += [Barcode(self.barcode_symbology, self.barcode_data), Cut()]
        return out


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=True) or [""]


def barcode_for(gtin13: str) -> tuple[str, str]:
    """(symbology, digits) to print for a catalogue key: an EAN-8 stays an EAN-8 (key 00000 + 8)."""
    if not (len(gtin13) == 13 and gtin13.isascii() and gtin13.isdigit()):
        raise CommerceError(f"clé produit « {gtin13} » invalide : 13 chiffres attendus")
    return ("EAN8", gtin13[5:]) if gtin13.startswith("00000") else ("EAN13", gtin13)


def make_shelf_label(name: str, price_cents: int, gtin13: str, quantity_text: str = "",
                     sold_by_kg: bool = False) -> ShelfLabel:
    """Label content for a product: the quantity comes from `quantity_text`, else from the name.

    sold_by_kg: the price is already per kilogram (weighed items): it is its own unit price.
    Without a net quantity the label is still made, with `warning` saying what to fill in.
    """
    symbology, data = barcode_for(gtin13)
    title = " ".join(str(name).split())
    if sold_by_kg:
        return ShelfLabel(title, price_cents, f"{format_amount(price_cents)} €/kg", None, "", price_cents,
                          "kg", unit_price_text(price_cents, "kg"), symbology, data)
    quantity = parse_quantity(quantity_text) if str(quantity_text).strip() else parse_quantity(title)
    if str(quantity_text).strip() and quantity is None:
        raise CommerceError(f"quantité « {quantity_text} » illisible : écrivez par exemple 350 g, 1,5 L ou 75 cl")
    if quantity is None:
        return ShelfLabel(title, price_cents, format_eur(price_cents), None, "", None, "", "", symbology, data,
                          f"quantité nette introuvable dans « {title} » : indiquez-la (par exemple 350 g) "
                          "pour afficher le prix au kilo ou au litre")
    per = unit_price(price_cents, quantity)
    return ShelfLabel(title, price_cents, format_eur(price_cents), quantity, str(quantity), per, quantity.unit,
                      unit_price_text(per, quantity.unit), symbology, data)
