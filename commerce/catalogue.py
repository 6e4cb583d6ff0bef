"""Catalogue rules: what a product is, how a CSV row becomes one, and the demo's invented prices."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable, Iterator

from .errors import CommerceError
from .gtin import parse_gtin
from .money import MAX_AMOUNT, format_eur, parse_amount
from .vat import check_rate, parse_rate

IMPORT_COLUMNS = ("barcode", "name", "price", "vat_rate")  # optional 5th: category
MAX_NAME = 120


@dataclass(frozen=True)
class Product:
    gtin13: str  # lookup key (see gtin.Gtin.gtin13)
    name: str
    price: int  # cents, TTC (shelf price)
    vat_bp: int
    category: str = ""

    def __post_init__(self):
        check_rate(self.vat_bp)
        if self.price < 0:
            raise CommerceError(f"prix négatif pour {self.name}")


@dataclass(frozen=True)
class RowError:
    line: int  # 1-based line number in the file, header = line 1
    barcode: str
    reason: str

    def __str__(self) -> str:
        return f"ligne {self.line} : {self.reason}"


def product_from_row(row: dict) -> Product:
    """One CSV row (columns barcode,name,price,vat_rate[,category]) -> Product, or CommerceError."""
    gtin = parse_gtin((row.get("barcode") or "").strip())
    name = " ".join((row.get("name") or "").split())
    if not name:
        raise CommerceError("nom du produit vide")
    if len(name) > MAX_NAME:
        raise CommerceError(f"nom du produit trop long ({len(name)} caractères, {MAX_NAME} au plus)")
    price = parse_amount(row.get("price") or "", "prix")
    if price <= 0:
        raise CommerceError(f"prix « {row.get('price')} » refusé : il doit être positif")
    if price > MAX_AMOUNT:
        raise CommerceError(f"prix « {row.get('price')} » refusé : au plus {format_eur(MAX_AMOUNT)}")
    vat_bp = parse_rate(row.get("vat_rate") or "")
    category = " ".join((row.get("category") or "").split())
    return Product(gtin.gtin13, name, price, vat_bp, category)


def check_header(fieldnames: Iterable[str] | None) -> None:
    names = [f.strip() for f in (fieldnames or [])]
    missing = [c for c in IMPORT_COLUMNS if c not in names]
    if missing:
        raise CommerceError(
            "en-tête du fichier incorrect : colonnes manquantes " + ", ".join(missing)
            + " (attendu : barcode,name,price,vat_rate[,category])"
        )


def parse_rows(rows: Iterable[dict]) -> Iterator[Product | RowError]:
    """Rows of a csv.DictReader -> a Product or a RowError per row, with line numbers.

    A csv reader's own line count is used when it has one (blank lines are skipped by DictReader
    but still lines of the file); otherwise rows are numbered from 2 (the header is line 1).
    """
    for count, row in enumerate(rows, start=2):
        line = getattr(rows, "line_num", count)
        if None in row:  # more fields than the header
            yield RowError(line, str(row.get("barcode", "")), "trop de colonnes")
            continue
        try:
            yield product_from_row(row)
        except CommerceError as e:
            yield RowError(line, str(row.get("barcode") or ""), str(e))


def invented_price(gtin13: str, name: str) -> int:
    """Deterministic demo price in cents (0,49 € to 14,99 €, ending in 9): prices are invented.

    Derived from a hash of the code so every run and every machine gets the same prices.
    """
    h = int.from_bytes(hashlib.sha256(gtin13.encode()).digest()[:4], "big")
    return 49 + (h % 146) * 10  # 0,49 .. 14,99


_FULL_RATE_WORDS = ("vin ", "bière", "biere", "whisky", "rhum", "vodka", "liqueur", "champagne",
                    "château", "chateau", "cidre", "apéritif",  # alcohol
                    "bonbon", "confiserie", "sucette", "guimauve", "réglisse", "chewing", "croc", "fusée",
                    "chocolat au lait", "barre")  # confectionery


def demo_vat(name: str) -> int:
    """Demo VAT, close to French practice: food 5,5 %; alcohol and confectionery 20 %."""
    lowered = name.lower()
    return 2000 if any(w in lowered for w in _FULL_RATE_WORDS) else 550
