"""comptoir purchase import / list and comptoir stock … on a real kiosk database."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from comptoir import stock_cli
from kiosk.stockroom_service import StockroomService
from stock_support import COMPOTE, CROC, FUSEE, LENTILLES, RIZ, Clock, Printer, open_store, write_csv

HEADER = "po,supplier,expected_date,barcode,qty,unit_cost,pack"


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "reserve.db"
    open_store(path).close()
    return path


def run(fn, *args) -> int:
    return fn([str(a) for a in args])


def test_purchase_import_refuses_bad_rows_with_their_line_and_keeps_the_rest(db, tmp_path, capsys):
    f = write_csv(tmp_path / "commandes.csv", HEADER, [
        f"PO-1,Épicerie Centrale,2025-03-14,{CROC},12,\"1,80\",6",
        f"PO-1,Épicerie Centrale,2025-03-14,{FUSEE},6,0.60,",
        f"PO-2,Conserverie du Sud,14/03/2025,{COMPOTE},8,0,40,",  # one column too many
        f"PO-3,Conserverie du Sud,2025-03-20,3297760019948,8,\"0,40\",",  # wrong check digit
        f"PO-3,Conserverie du Sud,2025-03-20,{LENTILLES},4,\"1,50\",",
        f"PO-4,Fromagerie,2025-03-21,{RIZ},3,\"5,00\",",
        f"PO-4,Fromagerie,2025-03-22,{LENTILLES},3,\"1,00\",",  # another date in the same order
    ])
    assert run(stock_cli.purchase_main, "import", f, "--database", db) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "ligne 4 : trop de colonnes",
        "ligne 5 : code-barres 3297760019948 refusé : la clé de contrôle devrait être 7 (lu 8)",
        "ligne 8 : commande PO-4 : fournisseur ou date différents de la ligne 7",
        "1 commande(s) importée(s) (PO-1), 3 ligne(s) refusée(s) : leur commande n'est pas importée"]
    assert run(stock_cli.purchase_main, "list", "--json", "--database", db) == 0
    assert json.loads(capsys.readouterr().out) == [{
        "po": "PO-1", "supplier": "Épicerie Centrale", "expected_date": "2025-03-14", "backorder_of": "",
        "started": False, "lines": [{"barcode": CROC, "qty": 12, "unit_cost": 180, "pack": 6},
                                    {"barcode": FUSEE, "qty": 6, "unit_cost": 60, "pack": 1}]}]
    # the same file again: PO-1 is already there, unchanged
    assert run(stock_cli.purchase_main, "import", f, "--database", db) == 1
    assert capsys.readouterr().out.splitlines()[-1].startswith("0 commande(s) importée(s), 1 déjà présente(s)")
    # a French spreadsheet export (semicolons) with the same number and another content is refused
    g = write_csv(tmp_path / "autre.csv", HEADER.replace(",", ";"), [f"PO-1;Autre;2025-03-15;{CROC};1;1,00;"])
    assert run(stock_cli.purchase_main, "import", g, "--database", db) == 2
    assert capsys.readouterr().err == ("comptoir purchase import : commande PO-1 déjà enregistrée avec un autre "
                                       "contenu : donnez un autre numéro à la nouvelle commande\n")
    h = write_csv(tmp_path / "entete.csv", "po,supplier,barcode,qty", [])
    assert run(stock_cli.purchase_main, "import", h, "--database", db) == 2
    assert "colonnes manquantes expected_date, unit_cost" in capsys.readouterr().err
    assert run(stock_cli.purchase_main, "import", tmp_path / "absent.csv", "--database", db) == 2
    assert run(stock_cli.purchase_main, "list", "--database", tmp_path / "absente.db") == 2
    assert capsys.readouterr().err.endswith("absente.db introuvable\n")


def test_on_hand_json_moves_verify_scrap_report_and_replenish_round_trip(db, tmp_path, capsys):
    write_csv(tmp_path / "c.csv", HEADER, [f"PO-1,Épicerie Centrale,2025-03-14,{CROC},12,\"1,80\",6",
                                           f"PO-1,Épicerie Centrale,2025-03-14,{LENTILLES},4,\"1,50\","])
    assert run(stock_cli.purchase_main, "import", tmp_path / "c.csv", "--database", db) == 0
    store = open_store(db)
    svc = StockroomService(store, Printer(), operator="eleve1", clock=Clock(datetime(2025, 3, 14, 10, 0)))
    svc.pick_delivery("PO-1")
    svc.delivery_note("BL-1")
    svc.receive_scan(CROC, 12)
    svc.receive_scan(LENTILLES, 4)
    svc.validate_reception()
    svc.putaway_scan("RAYON")
    svc.putaway_scan(CROC, 5)
    svc.scrap(CROC, 1, "expired")
    store.close()
    capsys.readouterr()

    assert run(stock_cli.main, "on-hand", "--json", "--database", db) == 0
    assert json.loads(capsys.readouterr().out) == {"location": None, "units": 15, "products": [
        {"barcode": CROC, "name": "Croc citron", "qty": 11, "locations": {"RAYON": 4, "REBUT": 1, "RESERVE": 7}},
        {"barcode": LENTILLES, "name": "Lentilles grises 2 Kg", "qty": 4, "locations": {"RESERVE": 4}}]}
    assert run(stock_cli.main, "on-hand", "--location", "rayon", "--json", "--database", db) == 0
    assert json.loads(capsys.readouterr().out) == {"location": "RAYON", "units": 4, "products": [
        {"barcode": CROC, "name": "Croc citron", "qty": 4, "locations": {"RAYON": 4}}]}
    assert run(stock_cli.main, "on-hand", "--location", "NULLE-PART", "--database", db) == 2
    assert capsys.readouterr().err == "comptoir stock on-hand : emplacement NULLE-PART inconnu\n"
    assert run(stock_cli.main, "moves", "--barcode", CROC, "--json", "--database", db) == 0
    assert [(m["kind"], m["qty"], m["from"], m["to"]) for m in json.loads(capsys.readouterr().out)] == [
        ("reception", 12, "@FOURNISSEUR", "RESERVE"), ("transfer", 5, "RESERVE", "RAYON"),
        ("scrap", 1, "RAYON", "REBUT")]
    assert run(stock_cli.main, "verify", "--database", db) == 0
    assert capsys.readouterr().out == "Stock conforme à ses 4 mouvement(s)\n"
    assert run(stock_cli.main, "scrap-report", "--json", "--database", db) == 0
    assert json.loads(capsys.readouterr().out)["reasons"][1] == {
        "reason": "expired", "label": "date dépassée", "qty": 1, "cost_value": 180, "retail_value": 359, "uncosted": 0}

    assert run(stock_cli.main, "location-add", "R-A01", "Réserve allée A", "--kind", "reserve", "--database", db) == 0
    assert run(stock_cli.main, "location-add", "12345", "Chiffres", "--kind", "reserve", "--database", db) == 2
    write_csv(tmp_path / "seuils.csv", "barcode,location,min,max", [f"{CROC},RESERVE,8,30", f"{LENTILLES},R-A01,1,1",
                                                                    f"{LENTILLES},RESERVE,4,10", f"{CROC},R-A01,2"])
    capsys.readouterr()
    assert run(stock_cli.main, "minmax-import", tmp_path / "seuils.csv", "--database", db) == 1
    assert capsys.readouterr().out == ("ligne 3 : seuils mini 1 / maxi 1 refusés : 0 ≤ mini < maxi ≤ 99999\n"
                                       "ligne 5 : maxi manquant : tapez un nombre entier d'unités\n"
                                       "2 seuil(s) enregistré(s), 2 ligne(s) refusée(s)\n")
    assert run(stock_cli.main, "replenish", "--csv", "--database", db) == 0
    csv_text = capsys.readouterr().out
    number = f"REA-{date.today():%Y%m%d}-1"
    expected = (date.today() + timedelta(days=3)).isoformat()
    assert csv_text.splitlines() == [  # Croc citron: 7 ≤ 8, up to 30 = 23, rounded up to cases of 6
        "po,supplier,expected_date,barcode,qty,unit_cost",
        f"{number},Épicerie Centrale,{expected},{CROC},24,\"1,80\"",
        f"{number},Épicerie Centrale,{expected},{LENTILLES},6,\"1,50\""]
    (tmp_path / "reassort.csv").write_text(csv_text, encoding="utf-8")
    assert run(stock_cli.purchase_main, "import", tmp_path / "reassort.csv", "--database", db) == 0
    assert run(stock_cli.main, "replenish", "--json", "--database", db) == 0
    assert json.loads(capsys.readouterr().out.split("\n", 1)[1]) == {}  # now on order: nothing more to order

    store = open_store(db)  # a level changed behind the ledger's back
    store.conn.execute("UPDATE stock_level SET qty = 99 WHERE location = 'RAYON'")
    store.close()
    assert run(stock_cli.main, "verify", "--database", db) == 1
    assert capsys.readouterr().out.splitlines()[0] == (f"ÉCART {CROC} en RAYON : stock enregistré 99, registre des "
                                                       "mouvements 4")


def test_stock_cli_runs_as_a_program(db):
    import subprocess
    import sys
    from pathlib import Path
    done = subprocess.run([sys.executable, "-m", "comptoir.stock_cli", "on-hand", "--json", "--database", str(db)],
                          cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=60)
    assert (done.returncode, json.loads(done.stdout)) == (0, {"location": None, "products": [], "units": 0})


def test_a_sheet_of_shelf_labels_as_a_pdf(db, tmp_path, capsys):
    import re
    pdf = tmp_path / "etiquettes.pdf"
    assert run(stock_cli.main, "labels", CROC, "1234567891012", "--pdf", pdf, "--database", db) == 2
    assert "la clé de contrôle devrait être 9" in capsys.readouterr().err and not pdf.exists()
    codes = [CROC, LENTILLES, RIZ] * 8  # 24 labels, 21 a page: two pages
    assert run(stock_cli.main, "labels", *codes, "--pdf", pdf, "--database", db) == 0
    assert f"Planche A4 de 24 étiquette(s) écrite : {pdf} (2 page(s))" in capsys.readouterr().out
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and re.findall(rb"/Count\s*(\d+)", data) == [b"2"]
