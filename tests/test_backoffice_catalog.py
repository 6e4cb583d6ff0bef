"""Catalogue CSV import: exact counts and line numbers, idempotent re-import, CLI, kiosk cursor."""
from __future__ import annotations

import csv
from pathlib import Path

from shared_data import SHARED_DATA

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backoffice.app import create_app
from backoffice.catalog_import import ImportFileError, import_catalogue, main
from backoffice.db import make_engine, product
from backoffice_fixtures import engine, sqlite_engine  # noqa: F401
from commerce.catalogue import demo_vat, invented_price
from commerce.gtin import check_digit

SAMPLE = SHARED_DATA / "catalogue" / "lifyzer-off-fr-sample.csv"

CSV = """barcode,name,price,vat_rate,category
3292590049201,Croc citron,"2,50","5,5",Confiserie
3292590050511,Fusée cola citron,1.20,5.5,Confiserie
3292590050604,Fusée,"1,10",5.5,Confiserie
3297560704173,Jus d'Orange Mangue 1L,trois euros,10,Boissons
3297560900810,Jus de tangor,"7,99",7,Boissons
3297560972329,,"2,95",5.5,Boissons
000101209159,Véritable pâte à tartiner noisettes chocolat noir,"4,20",5.5,
00000758,Cauliflower,"1,99",5.5,Légumes
0000101209159,Pâte à tartiner (doublon),"4,20",5.5,
3297565704246,  Jus   de pomme ,"2,10",20,Boissons
"""

EXPECTED_REFUSED = [
    (4, "code-barres 3292590050604 refusé : la clé de contrôle devrait être 3 (lu 4)"),
    (5, "prix « trois euros » illisible : attendu un nombre comme 12,50"),
    (6, "taux de TVA 7 % inconnu : les taux français sont 20 %, 10 %, 5,5 % et 2,1 %"),
    (7, "nom du produit vide"),
    (10, "code-barres 0000101209159 déjà présent ligne 8 du fichier"),
]


def write(tmp_path: Path, text: str, name: str = "catalogue.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def stored(eng) -> dict:
    with eng.connect() as conn:
        return {r.gtin13: (r.name, r.price, r.vat_bp, r.category, r.version)
                for r in conn.execute(select(product))}


def test_import_counts_lines_and_reimport(engine, tmp_path):  # noqa: F811
    path = write(tmp_path, CSV)
    calls = []
    report = import_catalogue(engine, path, progress=lambda done, total: calls.append((done, total)))
    assert [(e.line, e.reason) for e in report.refused] == EXPECTED_REFUSED
    assert str(report.refused[0]) == "ligne 4 : code-barres 3292590050604 refusé : la clé de contrôle devrait être 3 (lu 4)"
    assert (report.kept, report.inserted, report.updated, report.unchanged) == (5, 5, 0, 0)
    assert calls == [(5, 5)]
    rows = stored(engine)
    assert rows == {
        "3292590049201": ("Croc citron", 250, 550, "Confiserie", 1),
        "3292590050511": ("Fusée cola citron", 120, 550, "Confiserie", 2),
        "0000101209159": ("Véritable pâte à tartiner noisettes chocolat noir", 420, 550, "", 3),
        "0000000000758": ("Cauliflower", 199, 550, "Légumes", 4),
        "3297565704246": ("Jus de pomme", 210, 2000, "Boissons", 5),
    }

    again = import_catalogue(engine, path)
    assert (again.kept, again.inserted, again.updated, again.unchanged, len(again.refused)) == (5, 0, 0, 5, 5)
    assert stored(engine) == rows  # no version bump

    changed = write(tmp_path, "barcode,name,price,vat_rate\n3292590050511,Fusée cola citron,\"1,30\",5.5\n"
                              "3292590049201,Croc citron,2.50,5.5\n3292590050603,Fusée,\"1,10\",5.5\n", "v2.csv")
    # No category column: the file is the truth, the categories become empty.
    r3 = import_catalogue(engine, changed)
    assert (r3.kept, r3.inserted, r3.updated, r3.unchanged, r3.refused) == (3, 1, 2, 0, [])
    after = stored(engine)
    assert after["3292590050511"] == ("Fusée cola citron", 130, 550, "", 6)
    assert after["3292590049201"] == ("Croc citron", 250, 550, "", 7)
    assert after["3292590050603"] == ("Fusée", 110, 550, "", 8)
    assert after["0000000000758"] == rows["0000000000758"]
    assert sorted(v[4] for v in after.values()) == [3, 4, 5, 6, 7, 8]

    # The kiosk's cursor walks every product once, in version order, then only the changes.
    client = TestClient(create_app(engine))
    seen, after_v = [], 0
    while True:
        page = client.get("/api/v1/catalogue", params={"after": after_v, "limit": 2}).json()
        if not page["products"]:
            assert page["next"] == after_v
            break
        seen += page["products"]
        after_v = page["next"]
    assert [p["version"] for p in seen] == [3, 4, 5, 6, 7, 8]
    assert after_v == 8
    fusee = next(p for p in seen if p["gtin"] == "3292590050603")
    assert fusee == {"gtin": "3292590050603", "name": "Fusée", "price": 110, "vat_rate": 550,
                     "category": "", "version": fusee["version"]}
    assert client.get("/api/v1/catalogue", params={"after": 8}).json() == {"products": [], "next": 8}


def test_real_open_food_facts_sample(tmp_path):
    """The 3 886-row French sample with invented prices: its 4 bad check digits are refused."""
    eng = sqlite_engine(tmp_path)
    path = tmp_path / "off.csv"
    bad_lines = []
    with SAMPLE.open(encoding="utf-8") as src, path.open("w", encoding="utf-8", newline="") as dst:
        out = csv.writer(dst)
        out.writerow(["barcode", "name", "price", "vat_rate"])
        for line, row in enumerate(csv.DictReader(src), start=2):
            code, name = row["barcode"], row["product_name"]
            cents = invented_price(code.rjust(13, "0"), name)
            out.writerow([code, name, f"{cents // 100},{cents % 100:02d}", demo_vat(name) / 100])
            if code[-1] != check_digit(code[:-1]) or len(code) not in (8, 12, 13):
                bad_lines.append(line)
    report = import_catalogue(eng, path)
    assert len(bad_lines) == 4
    assert [e.line for e in report.refused] == bad_lines
    assert all("clé de contrôle devrait être" in e.reason or "chiffres" in e.reason for e in report.refused)
    assert (report.kept, report.inserted) == (3882, 3882)
    assert len(stored(eng)) == 3882
    assert import_catalogue(eng, path).unchanged == 3882


def test_cli_output_and_exit_codes(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    path = write(tmp_path, CSV)
    assert main([str(path), "--database-url", db]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"ligne {n} : {reason}" for n, reason in EXPECTED_REFUSED] + [
        "5 produits gardés, 5 lignes refusées (0 inchangé)"]
    assert err == ""  # short file: no progress
    assert main(["catalog", "import", str(path), "--database-url", db]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "5 produits gardés, 5 lignes refusées (5 inchangés)"

    missing = tmp_path / "absent.csv"
    assert main([str(missing), "--database-url", db]) == 2
    assert capsys.readouterr().err.strip() == f"Erreur : fichier {missing} introuvable"

    header = write(tmp_path, "code,nom,prix,tva\n3292590049201,Croc,1,5.5\n", "mauvais.csv")
    assert main([str(header), "--database-url", db]) == 2
    err = capsys.readouterr().err
    assert str(header) in err and "colonnes manquantes barcode, name, price, vat_rate" in err

    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("barcode,name,price,vat_rate\n3292590049201,Fusée,1,5.5\n".encode("latin-1"))
    assert main([str(latin1), "--database-url", db]) == 2
    assert "n'est pas encodé en UTF-8" in capsys.readouterr().err

    assert main([str(tmp_path), "--database-url", db]) == 2  # a folder: unreadable
    assert str(tmp_path) in capsys.readouterr().err


def test_cli_progress_on_long_file(tmp_path, capsys):
    rows = ["barcode,name,price,vat_rate,category"]
    for i in range(12_000):
        body = f"200{i:09d}"
        rows.append(f"{body}{check_digit(body)},Produit {i},\"{1 + i % 50},99\",5.5,Épicerie")
    path = write(tmp_path, "\n".join(rows) + "\n")
    db = f"sqlite:///{tmp_path / 'long.db'}"
    assert main([str(path), "--database-url", db]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "12000 produits gardés, 0 ligne refusée (0 inchangé)"
    assert "Import… 1000/12000 lignes" in err and "Import… 12000/12000 lignes" in err
    eng = make_engine(db)
    assert len(stored(eng)) == 12_000
    eng.dispose()


def test_semicolon_file_and_missing_file_error(tmp_path):
    eng = sqlite_engine(tmp_path)
    path = write(tmp_path, "barcode;name;price;vat_rate\n3292590049201;Croc citron;2,50;5,5\n")
    report = import_catalogue(eng, path)
    assert (report.kept, report.refused) == (1, [])
    assert stored(eng)["3292590049201"][:3] == ("Croc citron", 250, 550)
    with pytest.raises(ImportFileError, match="introuvable"):
        import_catalogue(eng, tmp_path / "nope.csv")
