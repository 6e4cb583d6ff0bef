"""The cash session actions of RegisterService on a real KioskStore and the SimulatedPrinter: what the
register window calls (opening, cash in/out, X, Z, the sale refused without a session)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from commerce.catalogue import Product
from commerce.cash import parse_count
from drivers.escpos_decode import decode, decoded_text
from drivers.printer.simulator import SimulatedPrinter
from kiosk.register.counting import DrawerCount
from kiosk.register_service import RegisterService, signed_eur
from kiosk.store import KioskStore

CROC = Product("3292590049201", "Croc citron", 250, 550, "Confiserie")  # 2,50 €
JUS = Product("3297560704173", "Jus d'Orange Mangue 1L", 345, 1000, "Boissons")  # 3,45 €


@pytest.fixture
def env(tmp_path):
    store = KioskStore(tmp_path / "caisse.db")
    store.upsert_products([CROC, JUS])
    printer = SimulatedPrinter(tmp_path / "tickets", columns=42)
    svc = RegisterService(store, printer, register="1", cashier="Léa Martin", require_session=True)
    yield svc, store, tmp_path / "tickets"
    store.close()


def last_printed(folder) -> str:
    return decoded_text(decode(sorted(folder.glob("*.bin"))[-1].read_bytes(), 42))


def amount_on(text: str, label: str) -> str:
    return next(line.split()[-1] for line in text.splitlines() if line.strip().startswith(label))


def test_no_sale_without_an_open_session_and_the_ticket_is_kept(env):
    svc, store, _ = env
    assert svc.session_status()[0] == "none"
    svc.scan(CROC.gtin13)
    fb = svc.start_payment()
    assert fb.level == "error" and "aucune session de caisse ouverte" in fb.message
    fb = svc.pay_card()
    assert fb.level == "error" and svc.ticket.total == 250 and svc.ticket.payments == []
    assert store.ticket_count("1") == 0


def test_a_day_through_the_service(env):
    svc, store, folder = env
    fb = svc.open_session({2000: 5, 1000: 4, 500: 1, 200: 2, 100: 1})
    assert fb.level == "info" and "150,00 €" in fb.message and svc.session_status() == ("open", "")
    assert svc.open_session({2000: 1}).level == "error"  # one open session per register
    svc.scan(CROC.gtin13)
    svc.pay_cash("10")
    svc.scan(JUS.gtin13)
    svc.pay_card()
    fb = svc.cash_movement("out", "100,00", "bank")
    assert fb.level == "info" and "Remise en banque" in fb.message
    assert svc.cash_movement("out", "1000", "bank").level == "error"  # more than the drawer holds
    assert svc.cash_movement("in", "", "change").level == "error"  # no amount typed
    assert svc.cash_movement("in", "5", "nope").level == "error"
    fb = svc.x_report()
    assert fb.level == "info" and "2 tickets" in fb.message and "52,50 €" in fb.message, fb.message
    x = last_printed(folder)
    assert "RAPPORT X" in x and amount_on(x, "= Attendu en caisse") == "52,50"
    assert svc.session_status()[0] == "open"  # X resets nothing
    fb = svc.close_session({2000: 2, 1000: 1, 200: 1, 20: 1})  # 52,20 €, card total missing
    assert fb.level == "error" and "Carte bancaire manquant" in fb.message
    fb = svc.close_session({2000: 2, 1000: 1, 200: 1, 20: 1}, "3,45")
    assert fb.level == "info" and "espèces −0,30 €" in fb.message and "carte bancaire 0,00 €" in fb.message
    checks = {c.method: c.difference for c in svc.last_closing.report.checks}
    assert checks == {"cash": -30, "card": 0}
    assert [p.kind for p in svc.last_closing.periods] == ["day"]
    z = last_printed(folder)
    assert "CLÔTURE Z" in z and "MODE FORMATION" in z and amount_on(z, "Écart total") == "-0,30"
    status, why = svc.session_status()
    assert status == "none"
    fb = svc.open_session({2000: 1})
    assert "déjà clôturée" in fb.message and "impossible d'ouvrir" in fb.message, fb.message  # the day is over


def test_a_session_over_24_hours_must_be_closed_first_and_closes_its_own_day(env):
    svc, store, _ = env
    store.open_session("1", "Hugo", parse_count("1x50"), now=datetime.now() - timedelta(hours=25))
    status, why = svc.session_status()
    assert status == "stale" and "24" in why and "clôturez-la" in why
    svc.scan(CROC.gtin13)
    assert svc.pay_cash("").level == "error"
    fb = svc.close_session({5000: 1})
    assert fb.level == "info", fb.message
    today = datetime.now().date().isoformat()
    assert all(p.period_start != today for p in svc.last_closing.periods)  # today's day stays open
    assert svc.open_session({2000: 5}).level == "info"  # today is still open
    assert svc.pay_cash("").level == "info"


def test_the_drawer_count_on_screen():
    c = DrawerCount(with_card=True)
    assert c.keys[0] == 1 and c.keys[14] == 50000 and c.keys[-1] == "card"
    assert c.enter("3") is None and c.row == 1 and c.counts == {1: 3}
    assert "2,5" in c.enter("2,5") and c.row == 1  # refused, nothing moves
    c.select(13)  # 200 €
    assert c.enter("2") is None and c.total == 40003
    assert c.enter("") is None and c.row == 15  # Entrée alone: next row
    assert c.enter("12,40") is None and c.card == 1240
    assert "Total carte refusé" in c.enter("abc")
    c.move(-100)
    assert c.row == 0
    assert signed_eur(-30) == "−0,30 €" and signed_eur(120) == "+1,20 €"
