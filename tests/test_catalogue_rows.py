"""Catalogue rows: CSV row -> Product or RowError (with its line number), header, demo prices, demo file."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from commerce.catalogue import Product, RowError, check_header, invented_price, parse_rows
from commerce.errors import CommerceError

DEMO = Path(__file__).resolve().parent.parent / "comptoir" / "data" / "demo-catalogue.csv"

CSV = """barcode,name,price,vat_rate,category
3292590049201,Croc citron,"2,50",5.5,Confiserie
3292590049202,Croc orange,"2,50",5.5,Confiserie
3297560704173,Jus d'Orange Mangue 1L,abc,10,Boissons
3297560900810,Jus de tangor,"7,99",7,Boissons
4006381333931,   ,"1,00",20,
96385074,Gomme,"0,80",20,Papeterie,en trop
697929110035,  Thé   vert  ,3.2,"5,5 %",
036000291452,Cahier,0,20,Papeterie
73513537,Stylo,"-1,00",20,Papeterie
3292590049,Coupé,"1,00",20,
,Sans code,"1,00",20,
"""


def parse(text: str):
    return list(parse_rows(csv.DictReader(io.StringIO(text, newline=""))))


def test_parse_rows_products_and_errors_with_line_numbers():
    out = parse(CSV)
    assert len(out) == 11
    products = [r for r in out if isinstance(r, Product)]
    errors = {r.line: r for r in out if isinstance(r, RowError)}
    assert products == [
        Product("3292590049201", "Croc citron", 250, 550, "Confiserie"),
        Product("0697929110035", "Thé vert", 320, 550, ""),  # UPC-A keyed as GTIN-13, spaces squeezed
    ]
    assert sorted(errors) == [3, 4, 5, 6, 7, 9, 10, 11, 12]
    assert [(e.barcode, e.reason) for e in (errors[n] for n in sorted(errors))] == [
        ("3292590049202", "code-barres 3292590049202 refusé : la clé de contrôle devrait être 1 (lu 2)"),
        ("3297560704173", "prix « abc » illisible : attendu un nombre comme 12,50"),
        ("3297560900810", "taux de TVA 7 % inconnu : les taux français sont 20 %, 10 %, 5,5 % et 2,1 %"),
        ("4006381333931", "nom du produit vide"),
        ("96385074", "trop de colonnes"),
        ("036000291452", "prix « 0 » refusé : il doit être positif"),
        ("73513537", "prix « -1,00 » refusé : il doit être positif"),
        ("3292590049", "code-barres 3292590049 refusé : 10 chiffres, alors qu'un EAN-13 en a 13, "
                       "un UPC-A 12 et un EAN-8 8"),
        ("", "code-barres vide"),
    ]
    assert str(errors[3]) == "ligne 3 : code-barres 3292590049202 refusé : la clé de contrôle devrait être 1 (lu 2)"
    assert str(errors[7]) == "ligne 7 : trop de colonnes"


def test_name_too_long_refused():
    out = parse("barcode,name,price,vat_rate\n3292590049201," + "x" * 121 + ",1,20\n")
    assert out == [RowError(2, "3292590049201", "nom du produit trop long (121 caractères, 120 au plus)")]


def test_check_header():
    check_header(["barcode", "name", "price", "vat_rate"])
    check_header([" barcode", "name ", "price", "vat_rate", "category"])
    with pytest.raises(CommerceError) as exc:
        check_header(["barcode", "name", "prix", "tva"])
    assert str(exc.value) == ("en-tête du fichier incorrect : colonnes manquantes price, vat_rate "
                              "(attendu : barcode,name,price,vat_rate[,category])")
    with pytest.raises(CommerceError, match="colonnes manquantes barcode, name, price, vat_rate"):
        check_header(None)
    with pytest.raises(CommerceError, match="colonnes manquantes barcode"):
        check_header(["code;name;price;vat_rate"])


def test_invented_price_is_deterministic_and_in_range():
    codes = [f"3{n:011d}" for n in range(0, 3000)]
    prices = [invented_price(c, "x") for c in codes]
    assert prices == [invented_price(c, "autre nom") for c in codes]  # same code, same price
    assert all(49 <= p <= 1499 and p % 10 == 9 for p in prices)
    assert min(prices) == 49 and max(prices) == 1499  # 146 steps, all reached over 3000 codes
    assert len(set(prices)) == 146
    # pinned: the same on every machine and every run (sha256 of the code)
    assert invented_price("3292590049201", "Croc citron") == invented_price("3292590049201", "")


def independent_gtin_ok(code: str) -> bool:
    """GS1 rule written from scratch: digits only, 8/12/13 long, weighted sum (check digit weight 1,
    then 3, 1, 3… leftwards) divisible by 10."""
    if len(code) not in (8, 12, 13) or any(c not in "0123456789" for c in code):
        return False
    total = 0
    for pos_from_right, c in enumerate(code[::-1]):
        total += int(c) * (1 if pos_from_right % 2 == 0 else 3)
    return total % 10 == 0


def test_demo_catalogue_refuses_exactly_the_bad_codes():
    with open(DEMO, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        check_header(reader.fieldnames)
        rows = list(reader)
        out = list(parse_rows(rows))
    assert len(out) == len(rows) > 3000
    bad_lines = {n for n, row in enumerate(rows, start=2) if not independent_gtin_ok(row["barcode"])}
    refused = [r for r in out if isinstance(r, RowError)]
    kept = [r for r in out if isinstance(r, Product)]
    assert bad_lines, "the demo file is expected to carry a few bad codes"
    assert {e.line for e in refused} == bad_lines
    assert len(refused) == len(bad_lines)
    assert len(kept) == len(rows) - len(bad_lines)
    for e in refused:
        assert e.barcode == rows[e.line - 2]["barcode"]
        assert e.reason.startswith(f"code-barres {e.barcode} refusé : ")
    for p in kept:
        assert p.price > 0 and isinstance(p.price, int)
        assert isinstance(p.gtin13, str) and len(p.gtin13) == 13 and p.gtin13.isdigit()
    # codes are kept as read (no int() round trip lost a leading zero)
    by_line = {n: row["barcode"] for n, row in enumerate(rows, start=2)}
    kept_codes = {p.gtin13 for p in kept}
    for n, code in by_line.items():
        if n not in bad_lines:
            assert code.rjust(13, "0") in kept_codes
