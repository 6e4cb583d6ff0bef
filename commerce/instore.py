"""In-store codes (codes magasin) with an embedded price or weight, and the price of a weight.

Glossary: code poids / code prix = in-store code with an embedded weight / price, balance = scale,
prix au kilo = price per kg.

An in-store code is an ordinary EAN-13 (check digit validated first, by `gtin.parse_gtin`) whose GS1
prefix is a Restricted Circulation Number (RCN) prefix: 02 ("within a geographic region": its layout
is set by the national GS1 organisation, GS1 France) or 20 to 29 ("within a company": the shop
decides). Source: GS1 General Specifications, "Restricted Circulation Numbers" and the GS1 Prefix
table (020-029 region, 200-299 company).

A rule is a 12-character pattern (the 13th digit is the EAN check digit) read left to right:
two prefix digits, then `I` item digits, an optional `C` internal price/weight check digit, then the
value: `N` integer digits and `D` decimal digits. "02IIIIINNNDD" is prefix 02, item 12345, price
NNN,DD euros; "21IIIIINNDDD" a weight NN,DDD kg; "20IIIIICNNDD" a 4-digit price with its check digit.

Default rules (DEFAULT_RULES), chosen because French shops and the free software used in French
vocational schools read them this way; every shop may replace them in its kiosk config:
  02IIIIINNNDD price   GS1 France regional RCN as read by Odoo/OCA `pos_price_to_weight`
                       (GRAP, a French cooperative: "0212345{NNNDD}x")
  21IIIIINNDDD weight  Odoo default nomenclature, "Weight Barcodes 3 Decimals" 21.....{NNDDD}
  23IIIIINNNDD price   Odoo default nomenclature, "Price Barcodes 2 Decimals" 23.....{NNNDD}
Other 2x prefixes carry no value by default: they are plain in-store item codes, looked up whole.

The catalogue holds an in-store item under its *item key*: the same code with the value (and its
check digit) set to zeros and the EAN check digit recomputed, e.g. 2112345000008 for every
weighed label of item 12345 under prefix 21 (the convention of Odoo's nomenclature). It is a
valid EAN-13, so the catalogue import and the kiosk store need nothing new.

The internal check digit (`C`) is the GS1 "price/weight check digit" of a 4- or 5-digit field
(GS1 General Specifications, section 7.9.3, weighting factors 2-, 2-, 3, 5- and 5+, 2-, 5-, 5+, 2-).

Weighed items: the catalogue price of an item sold by weight is its price per kilogram. The price of
a weight is price_for_weight(price_per_kg_cents, grams) = round_half_up(price_per_kg × grams / 1000):
the shop's single rounding rule (commerce.money.round_half_up), to the cent, halves up.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional

from .errors import CommerceError
from .gtin import Gtin, check_digit, parse_gtin
from .money import format_amount, round_half_up

RCN_PREFIXES = ("02",) + tuple(str(p) for p in range(20, 30))
MEASURES = {"price": "price", "prix": "price", "weight": "weight", "poids": "weight"}
_PATTERN = re.compile(r"^(\d\d)(I+)(C?)(N*)(D*)$")

# GS1 weighting-factor tables (General Specifications 7.9.3): digit -> weighted product digit.
_W2_MINUS = (0, 2, 4, 6, 8, 9, 1, 3, 5, 7)  # 2-: units of 2d minus its tens
_W3 = (0, 3, 6, 9, 2, 5, 8, 1, 4, 7)  # 3: units of 3d
_W5_PLUS = (0, 5, 1, 6, 2, 7, 3, 8, 4, 9)  # 5+: units of 5d plus its tens
_W5_MINUS = (0, 5, 9, 4, 8, 3, 7, 2, 6, 1)  # 5-: units of 5d minus its tens


def price_check_digit(value: str) -> str:
    """GS1 check digit of a 4- or 5-digit price/weight field (GS1 General Specifications 7.9.3).

    4 digits: weights 2-, 2-, 3, 5-; the check digit is the units digit of 3 × the sum.
    5 digits: weights 5+, 2-, 5-, 5+, 2-; the check digit is the digit whose 5- product equals
    (10 − sum mod 10) mod 10.
    """
    if not (value.isascii() and value.isdigit() and len(value) in (4, 5)):
        raise ValueError(f"price check digit needs 4 or 5 digits, got {value!r}")
    d = [int(c) for c in value]
    if len(d) == 4:
        total = _W2_MINUS[d[0]] + _W2_MINUS[d[1]] + _W3[d[2]] + _W5_MINUS[d[3]]
        return str(total * 3 % 10)
    total = _W5_PLUS[d[0]] + _W2_MINUS[d[1]] + _W5_MINUS[d[2]] + _W5_PLUS[d[3]] + _W2_MINUS[d[4]]
    return str(_W5_MINUS.index((10 - total % 10) % 10))


@dataclass(frozen=True)
class InStoreRule:
    """How to read one RCN prefix. Build it with `from_pattern`; invalid rules are refused."""

    prefix: str  # "02" or "20".."29"
    measure: str  # "price" (cents) or "weight" (grams)
    item_digits: int
    int_digits: int  # N
    decimals: int  # D
    price_check: bool = False  # C: an internal check digit before the value

    @classmethod
    def from_pattern(cls, pattern: str, measure: str) -> "InStoreRule":
        text = str(pattern).strip().replace(" ", "").upper()
        m = _PATTERN.match(text)
        if not m or len(text) != 12:
            raise CommerceError(
                f"règle de code magasin « {pattern} » illisible : 12 caractères attendus, "
                "2 chiffres de préfixe puis I (article), C (clé du prix, facultative), N et D "
                "(partie entière et décimales), par exemple 02IIIIINNNDD"
            )
        prefix, items, check, ints, decs = m.groups()
        kind = MEASURES.get(str(measure).strip().lower())
        if kind is None:
            raise CommerceError(f"règle de code magasin {text} : mesure « {measure} » inconnue (prix ou poids)")
        return cls(prefix, kind, len(items), len(ints), len(decs), bool(check))

    def __post_init__(self):
        name = self.pattern
        if self.prefix not in RCN_PREFIXES:
            raise CommerceError(
                f"règle de code magasin {name} refusée : le préfixe {self.prefix} n'est pas réservé "
                "à la circulation restreinte (02 ou 20 à 29)")
        if self.measure not in ("price", "weight"):
            raise CommerceError(f"règle de code magasin {name} : mesure « {self.measure} » inconnue")
        if self.item_digits < 1 or self.value_digits < 1 or self.item_digits + self.value_digits + self.price_check != 10:
            raise CommerceError(f"règle de code magasin {name} refusée : 10 chiffres entre le préfixe et la clé")
        most = 2 if self.measure == "price" else 3
        if self.decimals > most:
            raise CommerceError(
                f"règle de code magasin {name} refusée : {self.decimals} décimales, au plus {most} pour "
                + ("un prix (centimes)" if self.measure == "price" else "un poids (grammes)"))
        if self.price_check and self.value_digits not in (4, 5):
            raise CommerceError(
                f"règle de code magasin {name} refusée : une clé de prix (C) ne protège que 4 ou 5 chiffres")

    @property
    def value_digits(self) -> int:
        return self.int_digits + self.decimals

    @property
    def pattern(self) -> str:
        return (self.prefix + "I" * self.item_digits + "C" * self.price_check
                + "N" * self.int_digits + "D" * self.decimals)


@dataclass(frozen=True)
class InStoreCode:
    """What an in-store code says: which item, and its price in cents or its weight in grams."""

    code: str  # the GTIN-13 as read (UPC-A reads are left-padded)
    item_key: str  # catalogue key: the code with its value zeroed (see the module docstring)
    item: str  # the item digits alone
    measure: str  # "price" | "weight"
    value: int  # cents when measure == "price", grams when "weight"

    @property
    def price_cents(self) -> Optional[int]:
        return self.value if self.measure == "price" else None

    @property
    def grams(self) -> Optional[int]:
        return self.value if self.measure == "weight" else None


DEFAULT_RULES: tuple[InStoreRule, ...] = (
    InStoreRule.from_pattern("02IIIIINNNDD", "price"),
    InStoreRule.from_pattern("21IIIIINNDDD", "weight"),
    InStoreRule.from_pattern("23IIIIINNNDD", "price"),
)


def rules_from_config(table: Mapping[str, str]) -> tuple[InStoreRule, ...]:
    """Kiosk config `[instore]` table {pattern: "prix" | "poids"} -> rules; one rule per prefix."""
    rules = tuple(InStoreRule.from_pattern(p, m) for p, m in table.items())
    seen: dict[str, str] = {}
    for r in rules:
        if r.prefix in seen:
            raise CommerceError(f"codes magasin : deux règles pour le préfixe {r.prefix} "
                                f"({seen[r.prefix]} et {r.pattern})")
        seen[r.prefix] = r.pattern
    return rules


def rule_for(code13: str, rules: Iterable[InStoreRule]) -> Optional[InStoreRule]:
    return next((r for r in rules if code13.startswith(r.prefix)), None)


def parse_instore(code: "str | Gtin", rules: Iterable[InStoreRule] = DEFAULT_RULES) -> Optional[InStoreCode]:
    """A scanned code -> InStoreCode, or None when no rule covers it (an ordinary product code).

    Raises CommerceError (French) for a wrong EAN check digit, a wrong internal price check digit,
    or a zero price or weight. Pure: no lookup, no rounding.
    """
    gtin = code if isinstance(code, Gtin) else parse_gtin(code)  # parsed once per scan
    if gtin.kind not in ("EAN13", "UPCA"):
        return None
    key = gtin.gtin13
    rule = rule_for(key, rules)
    if rule is None:
        return None
    start = 2 + rule.item_digits
    item = key[2:start]
    value_text = key[start + rule.price_check:12]
    what = "prix" if rule.measure == "price" else "poids"
    if rule.price_check:
        expected, read = price_check_digit(value_text), key[start]
        if read != expected:
            raise CommerceError(
                f"code-barres {gtin.code} refusé : la clé du {what} {value_text} devrait être "
                f"{expected} (lu {read})")
    raw = int(value_text)
    if rule.measure == "price":
        value = raw * 10 ** (2 - rule.decimals)
    else:
        value = raw * 10 ** (3 - rule.decimals)
    if value == 0:
        hint = "pesez l'article à nouveau" if rule.measure == "weight" else "étiquetez l'article à nouveau"
        raise CommerceError(f"code-barres {gtin.code} refusé : il indique un {what} nul ; {hint}")
    return InStoreCode(key, item_key(key, rule), item, rule.measure, value)


def item_key(code13: str, rule: InStoreRule) -> str:
    """The catalogue key of an in-store code: value (and its check digit) zeroed, EAN check redone."""
    zeros = "0" * rule.value_digits
    body = code13[:2 + rule.item_digits] + (price_check_digit(zeros) if rule.price_check else "") + zeros
    return body + check_digit(body)


def make_instore_code(rule: InStoreRule, item: str, value: int) -> str:
    """The in-store EAN-13 a scale would print: for tests, the demo and the label printer."""
    if not (item.isascii() and item.isdigit() and len(item) == rule.item_digits):
        raise CommerceError(f"article « {item} » : {rule.item_digits} chiffres attendus pour {rule.pattern}")
    scale = 10 ** ((2 if rule.measure == "price" else 3) - rule.decimals)
    if value <= 0 or value % scale:
        raise CommerceError(f"valeur {value} impossible à écrire dans {rule.pattern}")
    text = str(value // scale).rjust(rule.value_digits, "0")
    if len(text) > rule.value_digits:
        what = "prix" if rule.measure == "price" else "poids"
        raise CommerceError(f"{what} trop grand pour {rule.pattern} : {value}")
    body = rule.prefix + item + (price_check_digit(text) if rule.price_check else "") + text
    return body + check_digit(body)


def price_for_weight(price_per_kg_cents: int, grams: int) -> int:
    """Price in cents of `grams` of an item sold `price_per_kg_cents` the kilogram (halves up)."""
    if grams < 0 or price_per_kg_cents < 0:
        raise CommerceError("poids et prix au kilo doivent être positifs")
    return round_half_up(price_per_kg_cents * grams, 1000)


def format_weight(grams: int) -> str:
    """350 -> '0,350 kg' (French decimal comma, as scales print it)."""
    kg, g = divmod(int(grams), 1000)
    return f"{kg},{g:03d} kg"


def format_price_per_kg(cents: int) -> str:
    return f"{format_amount(cents)} €/kg"
