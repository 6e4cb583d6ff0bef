"""`comptoir report x|z` and `comptoir fiscal verify` on closings, as real subprocesses on a real SQLite file."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from commerce.cash import parse_count
from commerce.catalogue import Product
from drivers.printer.simulator import SimulatedPrinter
from kiosk.register_service import RegisterService
from kiosk.store import KioskStore

CROC = Product("3292590049201", "Croc citron", 250, 550, "Confiserie")
JUS = Product("3297560704173", "Jus d'Orange Mangue 1L", 345, 1000, "Boissons")
ROOT = Path(__file__).resolve().parent.parent
SHORT = "1x50 1x10 1x0,50 1x0,10 1x0,05"  # 60,65 € counted for 60,95 € expected


def amount_on(lines, label: str) -> str:
    """The right-hand amount of the printed line that starts with `label`."""
    [line] = [line for line in lines if line.startswith(label)]
    return line[len(label):].strip()


def comptoir(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "comptoir.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


@pytest.fixture
def day(tmp_path):
    """Float 150,00 €, a cash sale with change, a card sale, an exact cash sale, 100,00 € to the bank."""
    db = tmp_path / "caisse.db"
    store = KioskStore(db)
    store.upsert_products([CROC, JUS])
    svc = RegisterService(store, SimulatedPrinter(tmp_path / "tickets", columns=42), register="1", cashier="Léa")
    store.open_session("1", "Léa", parse_count("1x50 3x20 2x10 2x5 3x2 2x1 4x0,50"))
    for code in (CROC.gtin13, CROC.gtin13, JUS.gtin13):
        svc.scan(code)
    svc.pay_cash("20")
    svc.scan(JUS.gtin13)
    svc.pay_card("")
    svc.scan(CROC.gtin13)
    svc.pay_cash("")
    store.cash_movement("1", "out", 10000, "bank", operator="Léa")
    yield store, db
    store.close()


def test_report_x_json_gives_the_stores_figures(day):
    store, db = day
    p = comptoir("report", "x", "--register", "1", "--database", str(db), "--json")
    assert p.returncode == 0, p.stderr
    x = json.loads(p.stdout)
    assert (x["kind"], x["session"], x["tickets"], x["total"], x["expected"]) == (
        "X", 1, 3, 1440, {"cash": 6095, "card": 345})
    assert x["cash"] == {"opening_float": 15000, "tendered": 2250, "change": 1155, "refunds": 0, "cash_in": 0,
                         "cash_out": 10000, "expected": 6095}
    mine = store.x_report("1", "console").as_dict()
    assert {k: v for k, v in x.items() if k != "at"} == {k: v for k, v in mine.items() if k != "at"}
    assert comptoir("report", "x", "--register", "1", "--database", str(db), "--json").stdout.count('"kind"') == 1
    assert [c for c in store.closings("1")] == []  # a report writes nothing


def test_report_x_text_is_laid_out_at_42_columns(day):
    _, db = day
    p = comptoir("report", "x", "--register", "1", "--database", str(db))
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert "MODE FORMATION" in lines[0] and "RAPPORT X" in p.stdout and "(ne remet rien à zéro)" in p.stdout
    assert amount_on(lines, "= Attendu en caisse") == "60,95"
    assert amount_on(lines, "- Rendu monnaie") == "11,55"
    assert amount_on(lines, "- Sorties") == "100,00"
    assert max(len(line) for line in lines) <= 42


def test_report_z_prints_the_last_closing_with_the_same_numbers(day):
    store, db = day
    result = store.close_session("1", parse_count(SHORT), {"card": 345}, operator="Léa")
    p = comptoir("report", "z", "--register", "1", "--database", str(db), "--json")
    assert p.returncode == 0, p.stderr
    z = json.loads(p.stdout)
    assert (z["kind"], z["total"], z["expected"], z["difference"]) == ("Z", 1440, {"cash": 6095, "card": 345}, -30)
    assert [(c["method"], c["expected"], c["counted"], c["difference"]) for c in z["checks"]] == [
        ("cash", 6095, 6065, -30), ("card", 345, 345, 0)]
    assert (z["closing"]["number"], z["closing"]["hash"], z["closing"]["perpetual_total"]) == (
        1, result.z.hash, 1440)
    assert [(c["kind"], c["closing"], c["perpetual_total"]) for c in z["periods"]] == [("day", 2, 1440)]
    assert {k: v for k, v in z.items() if k not in ("closing", "periods")} == result.report.as_dict()
    text = comptoir("report", "z", "--register", "1", "--database", str(db))
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert "CLÔTURE Z" in lines and amount_on(lines, "Écart total") == "-0,30"
    assert amount_on(lines, "Total compté") == "60,65" and max(len(line) for line in lines) <= 42
    assert f"Clôture n° 1 — empreinte {result.z.hash[:16]}…" in text.stdout
    assert amount_on(lines, "Z n° 000001") == "Caisse 1"
    assert amount_on(lines, "Grand total perpétuel") == "14,40"
    # nothing was closed by the command, and the X report now has no session: said as JSON, exit 3
    assert len(store.closings("1")) == 2
    x = comptoir("report", "x", "--register", "1", "--database", str(db), "--json")
    assert (x.returncode, x.stderr) == (3, "")
    answer = json.loads(x.stdout)
    assert {k: answer[k] for k in ("register", "session", "error")} == {
        "register": "1", "session": None, "error": "aucune session de caisse ouverte"}
    assert answer["message"].startswith("aucune session de caisse ouverte sur la caisse 1 : rien à rapporter")
    x = comptoir("report", "x", "--register", "1", "--database", str(db))
    assert (x.returncode, x.stdout.strip()) == (3, answer["message"])


def test_report_reads_the_database_of_a_kiosk_toml(day, tmp_path):
    _, db = day
    (tmp_path / "kiosk.toml").write_text(f'[kiosk]\nregister = "1"\ndatabase = "{db.name}"\n', encoding="utf-8")
    p = comptoir("report", "x", "--register", "1", "--config", str(tmp_path / "kiosk.toml"), "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["total"] == 1440


def test_report_errors_are_french_and_exit_2(day, tmp_path):
    _, db = day
    p = comptoir("report", "z", "--register", "1", "--database", str(db))  # nothing to report: 3
    assert (p.returncode, p.stderr) == (3, "")
    assert p.stdout.startswith("aucune clôture Z sur la caisse 1 : la clôture se fait à la caisse")
    p = comptoir("report", "z", "--register", "1", "--database", str(db), "--json")
    assert p.returncode == 3 and json.loads(p.stdout)["closing"] is None
    p = comptoir("report", "x", "--register", "9", "--database", str(db))
    assert p.returncode == 2 and f"caisse 9 inconnue dans la base {db} (caisses présentes : 1)" in p.stderr
    p = comptoir("report", "x", "--register", "1", "--database", str(tmp_path / "absente.db"))
    assert p.returncode == 2 and f"base {tmp_path / 'absente.db'} introuvable" in p.stderr
    assert not (tmp_path / "absente.db").exists()
    p = comptoir("report", "x", "--register", "1", "--config", str(tmp_path / "nulle-part.toml"))
    assert p.returncode == 2 and "introuvable" in p.stderr
    p = comptoir("report", "y", "--register", "1", "--database", str(db))
    assert p.returncode == 2


def test_report_on_a_database_from_before_sessions(tmp_path):
    db = tmp_path / "ancienne.db"
    c = sqlite3.connect(db)
    c.execute("CREATE TABLE ticket (id TEXT PRIMARY KEY, register TEXT, number INTEGER)")
    c.execute("INSERT INTO ticket VALUES ('a', '1', 1)")
    c.commit()
    c.close()
    p = comptoir("report", "z", "--register", "1", "--database", str(db))
    assert p.returncode == 3 and "aucune clôture Z sur la caisse 1" in p.stdout
    p = comptoir("report", "x", "--register", "1", "--database", str(db), "--json")
    assert p.returncode == 3 and json.loads(p.stdout)["session"] is None
    assert "n'a jamais enregistré de session" in json.loads(p.stdout)["message"]


def test_fiscal_verify_checks_the_closing_chain_and_names_an_altered_closing(day):
    store, db = day
    store.close_session("1", parse_count(SHORT), {"card": 345}, operator="Léa")
    ok = comptoir("fiscal", "verify", "--database", str(db))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Caisse 1 — clôtures : 2 enregistrements vérifiés, chaîne intègre." in ok.stdout
    c = sqlite3.connect(db)
    c.execute("DROP TRIGGER closing_no_update")
    c.execute("UPDATE closing SET difference = 0 WHERE number = 1")  # hide the missing 0,30 €
    c.commit()
    c.close()
    bad = comptoir("fiscal", "verify", "--database", str(db))
    assert bad.returncode == 1
    assert "clôture Z n° 1 : écart (difference) modifié : scellé -30, trouvé 0" in bad.stdout
    assert ("Résultat : CHAÎNE ROMPUE — premier enregistrement altéré : caisse 1, clôture n° 1, champ difference."
            in bad.stdout)


def test_fiscal_verify_sees_a_movement_changed_after_the_z(day):
    store, db = day
    store.close_session("1", parse_count(SHORT), {"card": 345}, operator="Léa")
    c = sqlite3.connect(db)
    c.execute("DROP TRIGGER cash_movement_no_update")
    c.execute("UPDATE cash_movement SET amount = 9970")  # as if only 99,70 € had gone to the bank
    c.commit()
    c.close()
    bad = comptoir("fiscal", "verify", "--database", str(db))
    assert bad.returncode == 1
    assert "clôture Z n° 1 : mouvements de caisse de la session n° 1 modifiés ou supprimés après la clôture" in bad.stdout
    assert "caisse 1, clôture n° 1, champ movements" in bad.stdout


def test_fiscal_verify_names_a_deleted_closing(day):
    store, db = day
    store.close_session("1", parse_count(SHORT), {"card": 345}, operator="Léa")
    c = sqlite3.connect(db)
    c.execute("DROP TRIGGER closing_no_delete")
    c.execute("DELETE FROM closing WHERE number = 1")
    c.commit()
    c.close()
    bad = comptoir("fiscal", "verify", "--database", str(db))
    assert bad.returncode == 1
    assert "clôture n° 1 manquante : numérotation interrompue (n° 0 suivi du n° 2)" in bad.stdout
