"""The fiscal chain in a real kiosk store, and `comptoir fiscal verify` as a real subprocess."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from commerce import fiscal
from commerce.catalogue import Product
from drivers.printer.simulator import SimulatedPrinter
from kiosk.register_service import RegisterService
from kiosk.store import KioskStore

CROC = Product("3292590049201", "Croc citron", 250, 550, "Confiserie")
JUS = Product("3297560704173", "Jus d'Orange Mangue 1L", 345, 1000, "Boissons")
ROOT = Path(__file__).resolve().parent.parent


def fiscal_verify(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "comptoir.cli", "fiscal", "verify", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def shop(tmp_path):
    store = KioskStore(tmp_path / "caisse.db")
    store.upsert_products([CROC, JUS])
    printer = SimulatedPrinter(tmp_path / "tickets", columns=42)
    svc = RegisterService(store, printer, register="1", cashier="Léa")
    yield svc, store, printer
    store.close()


def sell(svc, *codes, cash="20"):
    for code in codes:
        svc.scan(code)
    return svc.pay_cash(cash)


def four_sales(svc):
    sell(svc, CROC.gtin13, CROC.gtin13, JUS.gtin13)
    sell(svc, JUS.gtin13)
    svc.scan(CROC.gtin13)
    svc.pay_card("")
    sell(svc, CROC.gtin13, JUS.gtin13, cash="")


def test_each_sale_is_chained_in_its_transaction(shop):
    svc, store, _ = shop
    four_sales(svc)
    c = sqlite3.connect(store.path)
    rows = c.execute("SELECT id, number, canonical, prev_hash, hash FROM ticket ORDER BY number").fetchall()
    assert [r[1] for r in rows] == [1, 2, 3, 4]
    prev = fiscal.GENESIS
    for tid, number, canonical, prev_hash, digest in rows:
        assert prev_hash == prev
        assert digest == hashlib.sha256(bytes.fromhex(prev) + canonical.encode("utf-8")).hexdigest()
        assert store.ticket_hash(tid) == digest
        prev = digest
    assert json.loads(rows[0][2])["vat"] == [{"rate": 1000, "ht": 314, "tva": 31, "ttc": 345},
                                             {"rate": 550, "ht": 474, "tva": 26, "ttc": 500}]
    assert c.execute("SELECT line_no, unit_price, ht, vat_bp, total FROM ticket_line WHERE ticket_id = ? "
                     "ORDER BY line_no", (rows[0][0],)).fetchall() == [(0, 250, 474, 550, 500), (1, 345, 314, 1000, 345)]
    assert c.execute("SELECT rate_bp, ht, tva, ttc FROM ticket_vat WHERE ticket_id = ? ORDER BY rowid",
                     (rows[0][0],)).fetchall() == [(1000, 314, 31, 345), (550, 474, 26, 500)]
    c.close()


def test_corrected_ticket_is_in_the_chain(tmp_path):
    from commerce.ticket import Ticket
    store = KioskStore(tmp_path / "k.db")
    t = Ticket()
    t.add(CROC)
    t.pay_card()
    v = store.record_sale(t, "1", "Léa", corrects=("2", 17))
    c = sqlite3.connect(store.path)
    assert c.execute("SELECT corrects_register, corrects_number FROM ticket").fetchone() == ("2", 17)
    assert json.loads(c.execute("SELECT canonical FROM ticket").fetchone()[0])["corrects"] == {"register": "2", "number": 17}
    c.close()
    store.close()
    assert v.number == 1
    assert fiscal_verify("--database", str(tmp_path / "k.db")).returncode == 0


def test_printer_error_is_journalled_and_chained(shop):
    svc, store, printer = shop
    printer.fail_with = "paper_out"
    fb = sell(svc, CROC.gtin13)
    assert fb.level == "error"
    events = store.events("1")
    assert [(e.number, e.kind, e.operator) for e in events] == [(1, "printer_error", "Léa")]
    assert "papier" in events[0].details["error"]
    svc.retry_print()  # still no paper: a second event
    entry = store.record_event("reprint", "1", "Léa", {"ticket": 1, "copy": 1})
    assert entry.number == 3
    c = sqlite3.connect(store.path)
    rows = c.execute("SELECT number, prev_hash, hash, details FROM journal ORDER BY number").fetchall()
    assert rows[0][1] == fiscal.GENESIS and rows[1][1] == rows[0][2] and rows[2][1] == rows[1][2]
    assert rows[2][3] == '{"copy":1,"ticket":1}'
    for sql in ("UPDATE journal SET kind = 'x'", "DELETE FROM journal", "UPDATE ticket_vat SET ht = 0",
                "DELETE FROM ticket_vat"):
        with pytest.raises(sqlite3.IntegrityError, match="modification interdite"):
            c.execute(sql)
    c.close()


def test_verify_passes_then_names_the_altered_line_price(shop, tmp_path):
    svc, store, _ = shop
    four_sales(svc)
    store.record_event("reprint", "1", "Léa", {"ticket": 2})
    ok = fiscal_verify("--database", store.path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Caisse 1 — tickets : 4 enregistrements vérifiés, chaîne intègre." in ok.stdout
    assert "Caisse 1 — journal des événements techniques : 1 enregistrement vérifié, chaîne intègre." in ok.stdout
    # the same through the kiosk's TOML
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[kiosk]\nregister = "1"\ndatabase = "{Path(store.path).name}"\n', encoding="utf-8")
    assert fiscal_verify("--config", str(cfg)).returncode == 0

    c = sqlite3.connect(store.path)
    c.execute("DROP TRIGGER ticket_line_no_update")
    c.execute("UPDATE ticket_line SET unit_price = 199 WHERE line_no = 0 AND ticket_id = "
              "(SELECT id FROM ticket WHERE number = 2)")
    c.commit()
    c.close()
    bad = fiscal_verify("--database", store.path)
    assert bad.returncode == 1, bad.stdout
    assert ("ticket n° 2 : prix unitaire de la ligne 1 (lines[0].unit_price) modifié : scellé 345, trouvé 199"
            in bad.stdout)
    assert bad.stdout.strip().endswith(
        "premier enregistrement altéré : caisse 1, ticket n° 2, champ lines[0].unit_price.")


def test_verify_names_an_altered_total(shop):
    svc, store, _ = shop
    four_sales(svc)
    c = sqlite3.connect(store.path)
    c.execute("DROP TRIGGER ticket_no_update")
    c.execute("UPDATE ticket SET total = 100 WHERE number = 3")
    c.commit()
    c.close()
    bad = fiscal_verify("--database", store.path)
    assert bad.returncode == 1
    assert "ticket n° 3 : total TTC (total) modifié : scellé 250, trouvé 100" in bad.stdout
    assert "ticket n° 3, champ total." in bad.stdout


def test_verify_reports_a_deleted_ticket(shop):
    svc, store, _ = shop
    four_sales(svc)
    c = sqlite3.connect(store.path)
    c.execute("DROP TRIGGER ticket_no_delete")
    c.execute("DELETE FROM ticket WHERE number = 2")
    c.commit()
    c.close()
    bad = fiscal_verify("--database", store.path)
    assert bad.returncode == 1
    assert "ticket n° 2 manquant : numérotation interrompue (n° 1 suivi du n° 3), ticket supprimé ?" in bad.stdout
    assert "premier enregistrement altéré : caisse 1, ticket n° 2." in bad.stdout


def test_verify_reports_a_deleted_last_ticket_from_the_outbox(shop):
    svc, store, _ = shop
    four_sales(svc)
    c = sqlite3.connect(store.path)
    c.execute("DROP TRIGGER ticket_no_delete")
    c.execute("DELETE FROM ticket WHERE number = 4")
    c.commit()
    c.close()
    bad = fiscal_verify("--database", store.path)
    assert bad.returncode == 1
    assert "ticket n° 4 absent de la base alors qu'il figure dans la file d'envoi" in bad.stdout


def test_verify_reports_an_altered_journal_entry(shop):
    svc, store, _ = shop
    for i in range(3):
        store.record_event("drawer_no_sale", "1", "Léa", {"n": i})
    c = sqlite3.connect(store.path)
    c.execute("DROP TRIGGER journal_no_update")
    c.execute("UPDATE journal SET operator = 'Tom' WHERE number = 2")
    c.commit()
    bad = fiscal_verify("--database", store.path)
    assert bad.returncode == 1
    assert "événement n° 2 : opérateur (operator) modifié : scellé « Léa », trouvé « Tom »" in bad.stdout
    assert "caisse 1, événement n° 2, champ operator." in bad.stdout
    # an entry written before events kept their sealed copy: the change is found, not the field
    c.execute("UPDATE journal SET canonical = NULL WHERE number = 2")
    c.commit()
    c.close()
    bad = fiscal_verify("--database", store.path)
    assert bad.returncode == 1 and "événement n° 2 : contenu ou empreinte modifié" in bad.stdout


def test_database_from_an_earlier_version_opens_and_its_old_tickets_are_reported(tmp_path):
    path = tmp_path / "old.db"
    c = sqlite3.connect(path)  # the schema of the previous version, with one ticket
    c.executescript("""
        CREATE TABLE ticket (id TEXT PRIMARY KEY, register TEXT NOT NULL, number INTEGER NOT NULL,
            created_at TEXT NOT NULL, cashier TEXT NOT NULL, total INTEGER NOT NULL, training INTEGER NOT NULL,
            UNIQUE (register, number));
        CREATE TABLE ticket_line (ticket_id TEXT NOT NULL REFERENCES ticket(id), line_no INTEGER NOT NULL,
            gtin13 TEXT NOT NULL, label TEXT NOT NULL, qty INTEGER NOT NULL, unit_price INTEGER NOT NULL,
            vat_bp INTEGER NOT NULL, total INTEGER NOT NULL, PRIMARY KEY (ticket_id, line_no));
        CREATE TABLE payment (ticket_id TEXT NOT NULL REFERENCES ticket(id), line_no INTEGER NOT NULL,
            method TEXT NOT NULL, amount INTEGER NOT NULL, given INTEGER NOT NULL, PRIMARY KEY (ticket_id, line_no));
        INSERT INTO ticket VALUES ('old-1', '1', 1, '2025-01-02T10:00:00', 'Léa', 250, 1);
        INSERT INTO ticket_line VALUES ('old-1', 0, '3292590049201', 'Croc citron', 1, 250, 550, 250);
        INSERT INTO payment VALUES ('old-1', 0, 'card', 250, 0);
    """)
    c.commit()
    c.close()
    from commerce.ticket import Ticket
    store = KioskStore(path)
    t = Ticket()
    t.add(CROC)
    t.pay_card()
    assert store.record_sale(t, "1", "Léa").number == 2
    store.close()
    res = fiscal_verify("--database", str(path))
    assert res.returncode == 0, res.stdout
    assert ("Caisse 1 — tickets : 1 enregistrement vérifié, 1 ticket antérieur à la chaîne "
            "(version précédente, non chaîné), chaîne intègre.") in res.stdout
    c = sqlite3.connect(path)
    assert c.execute("SELECT number, prev_hash = ? FROM ticket WHERE hash IS NOT NULL", (fiscal.GENESIS,)).fetchall() == [(2, 1)]
    with pytest.raises(sqlite3.IntegrityError):
        c.execute("UPDATE ticket SET total = 1")
    c.close()


def test_missing_database_is_a_clear_error(tmp_path):
    res = fiscal_verify("--database", str(tmp_path / "nope.db"))
    assert res.returncode == 2 and "introuvable" in res.stderr
    assert not (tmp_path / "nope.db").exists()


def test_a_rechained_rewrite_still_disagrees_with_its_closing(shop):
    """Ticket 4 replaced by another one, written through the store's own path with the right hashes
    (the chain holds): the Z that sealed four tickets and their total names it."""
    from commerce.ticket import Ticket

    svc, store, _ = shop
    assert svc.open_session({2000: 5}).level == "info"
    four_sales(svc)
    sealed_total = sum(r[0] for r in store.conn.execute("SELECT total FROM ticket"))
    card = store.x_report("1", "Léa").figures.expected.get("card", 0)
    fb = svc.close_session({2000: 5}, f"{card // 100},{card % 100:02d}")  # cash counted short: recorded anyway
    assert "Clôture Z n° 1 enregistrée" in fb.message, fb.message
    c = sqlite3.connect(store.path, isolation_level=None)
    for table in ("ticket", "ticket_line", "ticket_vat", "payment"):
        c.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    tid, created, prev_hash = c.execute("SELECT id, created_at, prev_hash FROM ticket WHERE number = 4").fetchone()
    c.execute("BEGIN")
    for table in ("ticket_line", "ticket_vat", "payment"):
        c.execute(f"DELETE FROM {table} WHERE ticket_id = ?", (tid,))
    c.execute("DELETE FROM ticket WHERE id = ?", (tid,))
    c.execute("DELETE FROM outbox WHERE record_id = ?", (tid,))
    c.execute("COMMIT")
    c.close()
    forged = Ticket()
    forged.add(CROC)  # 2,50 € instead of 5,95 €
    forged.pay_cash(250)
    v = forged.validate(ticket_id=tid, register="1", number=4, cashier="Léa",
                        created_at=__import__("datetime").datetime.fromisoformat(created))
    with store.conn:
        store.conn.execute("BEGIN IMMEDIATE")
        store._insert_sale(v, None, prev_hash)
    bad = fiscal_verify("--database", store.path)
    assert bad.returncode == 1, bad.stdout
    now = sealed_total - 595 + 250
    assert f"les tickets n° 1 à 4 font 4 ticket(s) pour {now // 100},{now % 100:02d} €" in bad.stdout
    assert f"la clôture en a scellé 4 pour {sealed_total // 100},{sealed_total % 100:02d} €" in bad.stdout
