"""Register actions on a real KioskStore (SQLite file) and the SimulatedPrinter (bytes on disk)."""
from __future__ import annotations

import re
import sqlite3

import pytest

from commerce.catalogue import Product
from drivers.escpos_decode import decode, decoded_text
from drivers.printer.simulator import SimulatedPrinter
from kiosk.register_service import RegisterService
from kiosk.store import KioskStore

CROC = Product("3292590049201", "Croc citron", 250, 550, "Confiserie")          # 2,50 €
JUS = Product("3297560704173", "Jus d'Orange Mangue 1L", 345, 1000, "Boissons")  # 3,45 €
THE = Product("0697929110035", "Thé vert", 320, 550, "")                         # 3,20 €


@pytest.fixture
def env(tmp_path):
    store = KioskStore(tmp_path / "caisse.db")
    store.upsert_products([CROC, JUS, THE])
    printer = SimulatedPrinter(tmp_path / "tickets", columns=42)
    sales = []
    svc = RegisterService(store, printer, register="1", cashier="Léa", on_sale=sales.append)
    yield svc, store, printer, tmp_path / "tickets", sales
    store.close()


def snapshot(svc):
    return list(svc.ticket.lines), svc.ticket.total


def printed(path) -> str:
    data = path.read_bytes()
    return decoded_text(decode(data, 42))


def rows(store, sql):
    c = sqlite3.connect(store.path)
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


# -- building the ticket ---------------------------------------------------------------------
def test_scan_valid_code_adds_a_line(env):
    svc, *_ = env
    fb = svc.scan("3292590049201")
    assert (fb.level, fb.message) == ("info", "Croc citron — 2,50 €")
    fb = svc.scan("3292590049201")
    assert [(l.label, l.qty, l.total) for l in svc.ticket.lines] == [("Croc citron", 2, 500)]
    svc.scan("3297560704173")
    assert svc.ticket.total == 845 and svc.selected == 1


def test_scan_upc_a_finds_the_ean13_product(env):
    svc, *_ = env
    fb = svc.scan("697929110035")  # UPC-A read of 0697929110035
    assert fb.level == "info" and fb.message == "Thé vert — 3,20 €"
    assert svc.ticket.lines[0].gtin13 == "0697929110035"


@pytest.mark.parametrize("code, message", [
    ("4006381333931", "Code-barres 4006381333931 inconnu : ce produit n'est pas au catalogue"),
    ("3292590049202", "Code-barres 3292590049202 refusé : la clé de contrôle devrait être 1 (lu 2)"),
    ("3292590049", "Code-barres 3292590049 refusé : 10 chiffres, alors qu'un EAN-13 en a 13, "
                   "un UPC-A 12 et un EAN-8 8"),
    ("329259004920", "Code-barres 329259004920 refusé : la clé de contrôle devrait être 9 (lu 0)"),
    ("32925900", "Code-barres 32925900 refusé : la clé de contrôle devrait être 6 (lu 0)"),
    ("3292x90049201", "Code-barres « 3292x90049201 » refusé : il ne doit contenir que des chiffres"),
    ("", "Code-barres vide"),
])
def test_refused_codes_leave_ticket_unchanged(env, code, message):
    svc, *_ = env
    svc.scan("3292590049201")
    svc.scan("3297560704173")
    before = snapshot(svc)
    fb = svc.scan(code)
    assert (fb.level, fb.message) == ("error", message)
    assert snapshot(svc) == before
    assert before[1] == 595


def test_set_quantity_and_remove_line(env):
    svc, *_ = env
    svc.scan("3292590049201")
    svc.scan("3297560704173")
    svc.select(0)
    fb = svc.set_quantity("4")
    assert (fb.level, fb.message) == ("info", "Croc citron : quantité 4")
    assert svc.ticket.total == 4 * 250 + 345
    for bad, msg in [("abc", "Quantité « abc » refusée : tapez un nombre entier puis Quantité"),
                     ("0", "Quantité « 0 » refusée : entre 1 et 999"),
                     ("1000", "Quantité « 1000 » refusée : entre 1 et 999")]:
        fb = svc.set_quantity(bad)
        assert (fb.level, fb.message) == ("error", msg)
    assert svc.ticket.lines[0].qty == 4
    fb = svc.remove_line()
    assert fb.message == "Ligne supprimée : Croc citron"
    assert [l.label for l in svc.ticket.lines] == ["Jus d'Orange Mangue 1L"]
    assert svc.ticket.total == 345 and svc.selected == 0
    svc.remove_line()
    assert svc.ticket.lines == [] and svc.selected is None
    assert svc.remove_line().level == "error"
    assert svc.set_quantity("2").message == "Aucune ligne sélectionnée : scannez un article d'abord"


# -- payment ----------------------------------------------------------------------------------
def test_pay_cash_with_change_prints_and_opens_drawer(env):
    svc, store, printer, out, sales = env
    svc.scan("3292590049201")
    svc.scan("3292590049201")
    svc.scan("3297560704173")      # 2 × 2,50 + 3,45 = 8,45
    fb = svc.pay_cash("20")
    assert (fb.level, fb.message) == ("info", "Ticket n° 1 enregistré : 8,45 € — rendu 11,55 €")
    assert [s.number for s in sales] == [1]
    assert svc.ticket.lines == [] and svc.last_sale.total == 845
    assert printer.drawer_openings == 1
    assert sorted(p.name for p in out.iterdir()) == ["0001.bin", "0001.png", "drawer.log"]
    text = printed(out / "0001.bin")
    assert "Croc citron" in text and "Jus d'Orange Mangue 1L" in text
    assert text.count("MODE FORMATION") == 2
    assert re.search(r"^TOTAL +8,45 €$", text, re.M)
    assert re.search(r"^Espèces +20,00 €$", text, re.M)
    assert re.search(r"^Rendu +11,55 €$", text, re.M)
    assert re.search(r"^Ticket n° 000001 +Caisse 1$", text, re.M)
    assert "[CODE128 001000000001]" in text
    assert rows(store, "SELECT number, total, cashier FROM ticket") == [(1, 845, "Léa")]
    assert rows(store, "SELECT method, amount, given FROM payment") == [("cash", 845, 2000)]


def test_pay_cash_exact_amount_when_entry_empty(env):
    svc, store, printer, out, _ = env
    svc.scan("3297560704173")
    fb = svc.pay_cash("")
    assert fb.message == "Ticket n° 1 enregistré : 3,45 €"
    assert rows(store, "SELECT method, amount, given FROM payment") == [("cash", 345, 345)]
    assert printer.drawer_openings == 1


def test_bad_cash_entry_changes_nothing(env):
    svc, store, printer, out, _ = env
    svc.scan("3297560704173")
    fb = svc.pay_cash("12,5x")
    assert (fb.level, fb.message) == ("error", "Montant donné « 12,5x » illisible : attendu un nombre comme 12,50")
    assert svc.ticket.payments == [] and svc.ticket.total == 345
    assert rows(store, "SELECT count(*) FROM ticket") == [(0,)]
    assert not out.exists() and printer.drawer_openings == 0


def test_pay_card_does_not_open_drawer(env):
    svc, store, printer, out, _ = env
    svc.scan("0697929110035")
    svc.scan("3297560704173")
    fb = svc.pay_card()
    assert (fb.level, fb.message) == ("info", "Ticket n° 1 enregistré : 6,65 €")
    assert printer.drawer_openings == 0
    assert not (out / "drawer.log").exists()
    text = printed(out / "0001.bin")
    assert "Thé vert" in text and re.search(r"^Carte bancaire +6,65 €$", text, re.M)
    assert rows(store, "SELECT method, amount, given FROM payment") == [("card", 665, 0)]


def test_split_payment_cash_then_card(env):
    svc, store, printer, out, _ = env
    svc.scan("3292590049201")
    svc.set_quantity("4")           # 10,00 €
    fb = svc.pay_cash("3")
    assert (fb.level, fb.message) == ("info", "Reste à payer : 7,00 €")
    assert rows(store, "SELECT count(*) FROM ticket") == [(0,)] and not out.exists()
    fb = svc.pay_card("8")
    assert fb.message == "Paiement carte de 8,00 € refusé : il reste 7,00 € à payer"
    fb = svc.pay_card()
    assert fb.message == "Ticket n° 1 enregistré : 10,00 €"
    assert rows(store, "SELECT method, amount, given FROM payment ORDER BY line_no") == [
        ("cash", 300, 300), ("card", 700, 0)]
    assert printer.drawer_openings == 1  # some cash went in


def test_paper_out_keeps_the_sale_and_retry_prints_it(env):
    svc, store, printer, out, sales = env
    printer.fail_with = "paper_out"
    svc.scan("3292590049201")
    svc.scan("3297560704173")       # 5,95 €
    fb = svc.pay_cash("10")
    assert fb.level == "error"
    assert fb.message == ("Ticket n° 1 enregistré : 5,95 € — rendu 4,05 €. Ticket non imprimé (Plus de "
                          "papier : remettez un rouleau puis relancez l'impression.) : F9 pour relancer "
                          "l'impression")
    # stored anyway: ticket, lines, payment, outbox
    (ticket_id, number, total), = rows(store, "SELECT id, number, total FROM ticket")
    assert (number, total) == (1, 595)
    assert rows(store, "SELECT count(*) FROM ticket_line") == [(2,)]
    assert rows(store, "SELECT kind, record_id, sent_at FROM outbox WHERE kind = 'ticket'") == [("ticket", ticket_id, None)]
    # the printer's fault is in the chained journal, and on its way to the back office too
    assert rows(store, "SELECT kind FROM outbox WHERE kind = 'journal'") == [("journal",)]
    assert [s.id for s in sales] == [ticket_id]
    assert not list(out.glob("*.bin"))
    # no paper does not stop the drawer: the change has to be given back
    assert printer.drawer_openings == 1
    # still no paper: retry fails the same way, nothing lost
    fb = svc.retry_print()
    assert fb.level == "error" and "Plus de papier" in fb.message
    assert svc.print_pending
    # the next customer can be served meanwhile
    svc.scan("0697929110035")
    assert svc.ticket.total == 320
    printer.fail_with = None
    fb = svc.retry_print()
    assert (fb.level, fb.message) == ("info", "Ticket imprimé")
    text = printed(out / "0001.bin")
    assert re.search(r"^Ticket n° 000001 +Caisse 1$", text, re.M)
    assert re.search(r"^TOTAL +5,95 €$", text, re.M) and "MODE FORMATION" in text
    assert svc.retry_print().message == "Aucune impression en attente"
    assert len(list(out.glob("*.bin"))) == 1
    assert printer.drawer_openings == 1  # retry prints, it never opens the drawer again
    assert rows(store, "SELECT count(*) FROM ticket") == [(1,)]


def test_printer_offline_keeps_the_sale(env):
    svc, store, printer, out, _ = env
    printer.fail_with = "offline"
    svc.scan("3297560704173")
    fb = svc.pay_cash("5")
    assert fb.level == "error"
    assert fb.message.startswith("Ticket n° 1 enregistré : 3,45 € — rendu 1,55 €. Ticket non imprimé "
                                 "(Imprimante injoignable (simulateur) : imprimante hors ligne.)")
    assert rows(store, "SELECT number, total FROM ticket") == [(1, 345)]
    assert rows(store, "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND kind = 'ticket'") == [(1,)]
    assert printer.drawer_openings == 0
    printer.fail_with = None
    assert svc.retry_print().message == "Ticket imprimé"
    assert "Jus d'Orange Mangue 1L" in printed(out / "0001.bin")
