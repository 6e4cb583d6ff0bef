"""Cash sessions and closings in a real kiosk store (SQLite file), sales through RegisterService."""
from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime

import pytest

from commerce import fiscal
from commerce.cash import CashCount, parse_count
from commerce.catalogue import Product
from commerce.errors import CommerceError
from commerce.ticket import Ticket
from drivers.printer.simulator import SimulatedPrinter
from kiosk import sessions
from kiosk.fiscal_verify import verify
from kiosk.register_service import RegisterService
from kiosk.store import KioskStore

CROC = Product("3292590049201", "Croc citron", 250, 550, "Confiserie")          # 2,50 € at 5,5 %
JUS = Product("3297560704173", "Jus d'Orange Mangue 1L", 345, 1000, "Boissons")  # 3,45 € at 10 %
FLOAT = "1x50 3x20 2x10 2x5 3x2 2x1 4x0,50"  # 50 + 60 + 20 + 10 + 6 + 2 + 2 = 150,00 €


@pytest.fixture
def shop(tmp_path):
    store = KioskStore(tmp_path / "caisse.db")
    store.upsert_products([CROC, JUS])
    svc = RegisterService(store, SimulatedPrinter(tmp_path / "tickets", columns=42), register="1", cashier="Léa")
    yield svc, store
    store.close()


def a_day(svc, store):
    """Float 150,00 €; cash sale 8,45 € paid with 20 € (change 11,55); card 3,45 €; cash 2,50 exact;
    100,00 € taken to the bank. Drawer expected: 150 + 22,50 − 11,55 − 100 = 60,95 €."""
    store.open_session("1", "Léa", parse_count(FLOAT))
    store.check_can_sell("1")
    for code in (CROC.gtin13, CROC.gtin13, JUS.gtin13):
        svc.scan(code)
    assert svc.pay_cash("20").message == "Ticket n° 1 enregistré : 8,45 € — rendu 11,55 €"
    svc.scan(JUS.gtin13)
    assert svc.pay_card("").message == "Ticket n° 2 enregistré : 3,45 €"
    svc.scan(CROC.gtin13)
    assert svc.pay_cash("").message == "Ticket n° 3 enregistré : 2,50 €"
    store.cash_movement("1", "out", 10000, "bank", operator="Léa")


def rows(store, sql, args=()):
    c = sqlite3.connect(store.path)
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def test_open_stores_the_float_by_denomination(shop):
    _, store = shop
    s = store.open_session("1", "Léa", parse_count(FLOAT), now=datetime(2025, 3, 14, 8, 0, 5, 999))
    assert (s.number, s.opened_at, s.opening_count.total, s.first_ticket, s.is_open) == (
        1, datetime(2025, 3, 14, 8, 0, 5), 15000, 1, True)
    assert rows(store, "SELECT register, number, opened_at, operator, opening_count, opening_total, first_ticket "
                       "FROM cash_session") == [
        ("1", 1, "2025-03-14T08:00:05", "Léa",
         '{"100":2,"1000":2,"200":3,"2000":3,"50":4,"500":2,"5000":1}',
         15000, 1)]
    assert store.current_session("1") == s
    assert store.current_session("2") is None


def test_a_second_session_cannot_open_while_one_is_open(shop):
    _, store = shop
    store.open_session("1", "Léa", parse_count(FLOAT), now=datetime(2025, 3, 14, 8, 0))
    with pytest.raises(CommerceError, match=r"session de caisse n° 1 déjà ouverte sur la caisse 1 \(depuis le "
                                            r"14/03/2025 à 08:00\) : faites sa clôture Z"):
        store.open_session("1", "Hugo", parse_count("1x50"), now=datetime(2025, 3, 14, 9, 0))
    assert rows(store, "SELECT count(*) FROM cash_session") == [(1,)]
    store.open_session("2", "Hugo", parse_count("1x50"), now=datetime(2025, 3, 14, 9, 0))  # another register


def test_no_sale_without_a_session_or_after_24_hours(shop):
    _, store = shop
    with pytest.raises(CommerceError, match="aucune session de caisse ouverte sur la caisse 1 : ouvrez la caisse"):
        store.check_can_sell("1")
    store.open_session("1", "Léa", parse_count(FLOAT), now=datetime(2025, 3, 14, 8, 0))
    assert store.check_can_sell("1", now=datetime(2025, 3, 15, 8, 0)).number == 1  # exactly 24 h: still fine
    with pytest.raises(CommerceError, match="il y a plus de 24 heures : faites la clôture"):
        store.check_can_sell("1", now=datetime(2025, 3, 15, 8, 0, 1))


def test_x_report_has_the_days_figures_and_writes_nothing(shop):
    svc, store = shop
    a_day(svc, store)
    before = rows(store, "SELECT count(*) FROM closing"), rows(store, "SELECT count(*) FROM journal")
    x = store.x_report("1", "M. Prof").as_dict()
    assert (rows(store, "SELECT count(*) FROM closing"), rows(store, "SELECT count(*) FROM journal")) == before
    assert (x["kind"], x["session"], x["opened_by"], x["operator"], x["tickets"], x["total"]) == (
        "X", 1, "Léa", "M. Prof", 3, 1440)
    assert x["opening_count"]["total"] == 15000
    assert x["cash"] == {"opening_float": 15000, "tendered": 2250, "change": 1155, "refunds": 0, "cash_in": 0,
                         "cash_out": 10000, "expected": 6095}
    assert x["expected"] == {"cash": 6095, "card": 345}
    assert [(m["method"], m["net"], m["payments"]) for m in x["methods"]] == [("cash", 1095, 2), ("card", 345, 1)]
    # VAT per rate: each ticket's own rows added up (8,45 € = 5,00 at 5,5 % + 3,45 at 10 %, …)
    assert x["vat"] == [{"rate": 1000, "ht": 628, "tva": 62, "ttc": 690},
                        {"rate": 550, "ht": 711, "tva": 39, "ttc": 750}]
    assert [(m["direction"], m["amount"], m["label"], m["operator"]) for m in x["movements"]] == [
        ("out", 10000, "Remise en banque", "Léa")]


def test_cash_out_never_takes_more_than_the_drawer(shop):
    svc, store = shop
    a_day(svc, store)
    with pytest.raises(CommerceError, match="la caisse ne contient que 60,95 €"):
        store.cash_movement("1", "out", 6096, "bank", operator="Léa")
    store.cash_movement("1", "in", 2000, "change", operator="Léa")
    assert rows(store, "SELECT session, line_no, direction, amount, reason, note FROM cash_movement") == [
        (1, 1, "out", 10000, "bank", ""), (1, 2, "in", 2000, "change", "")]
    with pytest.raises(CommerceError, match="motif « autre » : précisez"):
        store.cash_movement("1", "in", 100, "other", operator="Léa")


def test_z_closing_records_the_difference_and_the_day_closing(shop):
    svc, store = shop
    a_day(svc, store)
    counted = parse_count("1x50 1x10 1x0,50 1x0,10 1x0,05")  # 60,65 €: 0,30 € short
    result = store.close_session("1", counted, {"card": 345}, operator="Léa")
    z = result.z
    assert (z.kind, z.number, z.session, z.first_ticket, z.last_ticket, z.difference) == ("Z", 1, 1, 1, 3, -30)
    assert z.checks == [{"method": "cash", "label": "Espèces", "expected": 6095, "counted": 6065, "difference": -30},
                        {"method": "card", "label": "Carte bancaire", "expected": 345, "counted": 345,
                         "difference": 0}]
    assert (z.perpetual_total, z.perpetual_absolute) == (1440, 1440)
    assert z.figures["counted_cash"]["total"] == 6065 and z.figures["cash"]["expected"] == 6095
    [day] = result.periods
    today = date.today().isoformat()
    assert (day.kind, day.number, day.period_start, day.first_ticket, day.last_ticket) == ("day", 2, today, 1, 3)
    assert (day.figures["total"], day.perpetual_total, day.perpetual_absolute) == (1440, 1440, 1440)
    # chained, in its own chain, each journaled in the same transaction
    stored = rows(store, "SELECT number, canonical, prev_hash, hash FROM closing ORDER BY number")
    prev = fiscal.GENESIS
    for number, canonical, prev_hash, digest in stored:
        assert prev_hash == prev and digest == fiscal.chain_hash(prev, canonical.encode("utf-8"))
        prev = digest
    assert json.loads(stored[0][1])["difference"] == -30
    events = [e for e in store.events("1") if e.kind == "closing"]
    assert [(e.details["closing"], e.details["kind"], e.details["difference"], e.details["hash"]) for e in events] == [
        (1, "Z", -30, stored[0][3]), (2, "day", None, stored[1][3])]
    # closed: derived from the closing table, the session row itself never changes
    assert store.current_session("1") is None
    assert rows(store, "SELECT number, closing_number FROM cash_session_state") == [(1, 1)]
    with pytest.raises(CommerceError, match="aucune session de caisse ouverte"):
        store.check_can_sell("1")
    with pytest.raises(CommerceError, match=r"journée du .* déjà clôturée sur la caisse 1 \(clôture n° 2\)"):
        store.open_session("1", "Léa", parse_count(FLOAT))
    assert all(r.ok for r in verify(store.conn))


def test_z_needs_the_other_methods_typed(shop):
    svc, store = shop
    a_day(svc, store)
    with pytest.raises(CommerceError, match=r"montant compté pour Carte bancaire manquant \(attendu 3,45 €\)"):
        store.close_session("1", CashCount.of({}), operator="Léa")
    assert rows(store, "SELECT count(*) FROM closing") == [(0,)]


def test_sessions_movements_and_closings_refuse_update_and_delete(shop):
    svc, store = shop
    a_day(svc, store)
    store.close_session("1", parse_count("1x50 1x10 1x0,50 1x0,10 1x0,05"), {"card": 345}, operator="Léa")
    c = sqlite3.connect(store.path)
    for sql in ("UPDATE cash_session SET opening_total = 0", "DELETE FROM cash_session",
                "UPDATE cash_movement SET amount = 1", "DELETE FROM cash_movement",
                "UPDATE closing SET difference = 0", "DELETE FROM closing"):
        with pytest.raises(sqlite3.IntegrityError, match="modification interdite"):
            c.execute(sql)
    c.close()


def sale(store, product, when, method="card"):
    store.check_can_sell("1", now=when)
    t = Ticket()
    t.add(product)
    if method == "card":
        t.pay_card()
    else:
        t.pay_cash(product.price)
    return store.record_sale(t, "1", "Léa", now=when)


def test_periods_days_months_fiscal_year_and_perpetual_totals(tmp_path):
    store = KioskStore(tmp_path / "k.db")
    at = datetime
    # Tuesday 30 December 2025: one sale, Z closing at the end of the day
    store.open_session("1", "Léa", parse_count("1x50"), now=at(2025, 12, 30, 8))
    sale(store, CROC, at(2025, 12, 30, 9))
    r1 = store.close_session("1", parse_count("1x50"), {"card": 250}, operator="Léa", now=at(2025, 12, 30, 18))
    assert [(c.kind, c.number, c.period_start, c.perpetual_total) for c in r1.periods] == [
        ("day", 2, "2025-12-30", 250)]
    # Friday 2 January 2026, morning class: the day stays open, December and 2025 are over
    store.open_session("1", "Hugo", parse_count("1x50"), now=at(2026, 1, 2, 8))
    sale(store, JUS, at(2026, 1, 2, 9))
    r2 = store.close_session("1", parse_count("1x50"), {"card": 345}, operator="Hugo", now=at(2026, 1, 2, 12),
                             end_of_day=False)
    assert [(c.kind, c.number, c.period_start, c.period_end, c.figures["total"], c.perpetual_total)
            for c in r2.periods] == [("month", 4, "2025-12-01", "2025-12-31", 250, 250),
                                     ("year", 5, "2025-01-01", "2025-12-31", 250, 250)]
    # afternoon class, same day: a new session, only its own tickets in its reports
    s3 = store.open_session("1", "Inès", parse_count("2x50"), now=at(2026, 1, 2, 14))
    assert (s3.number, s3.first_ticket) == (3, 3)
    sale(store, CROC, at(2026, 1, 2, 15), method="cash")
    x = store.x_report("1", "Inès", now=at(2026, 1, 2, 16)).as_dict()
    assert (x["tickets"], x["total"], x["cash"]["expected"]) == (1, 250, 10250)
    r3 = store.close_session("1", parse_count("2x50 1x2 1x0,50"), operator="Inès", now=at(2026, 1, 2, 17))
    assert r3.z.difference == 0 and (r3.z.first_ticket, r3.z.last_ticket) == (3, 3)
    [day] = r3.periods  # the whole day: both classes
    assert (day.kind, day.number, day.figures["tickets"], day.figures["total"], day.perpetual_total) == (
        "day", 7, 2, 595, 845)
    # on demand, once January is over
    [month] = store.close_periods("1", date(2026, 1, 31), operator="M. Prof", now=at(2026, 2, 1, 9))
    assert (month.kind, month.number, month.period_start, month.figures["total"], month.perpetual_total,
            month.first_ticket, month.last_ticket) == ("month", 8, "2026-01-01", 595, 845, 2, 3)
    assert store.close_periods("1", date(2026, 1, 31), operator="M. Prof", now=at(2026, 2, 1, 9)) == []
    assert [c.kind for c in store.closings("1")] == ["Z", "day", "Z", "month", "year", "Z", "day", "month"]
    assert [e.details["closing"] for e in store.events("1") if e.kind == "closing"] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert all(r.ok for r in verify(store.conn))
    store.close()


def test_a_days_closing_waits_for_the_open_session(tmp_path):
    store = KioskStore(tmp_path / "k.db")
    store.open_session("1", "Léa", parse_count("1x50"), now=datetime(2025, 3, 14, 8))
    with pytest.raises(CommerceError, match="session de caisse n° 1 ouverte : faites sa clôture Z avant de "
                                            "clôturer la journée du 14/03/2025"):
        store.close_periods("1", date(2025, 3, 14), operator="M. Prof", now=datetime(2025, 3, 14, 12))
    store.close()


def test_session_rebuilt_from_rows_and_report_round_trip(shop):
    svc, store = shop
    a_day(svc, store)
    stored = store.current_session("1")
    s = sessions.cash_session(store.conn, stored)
    assert [t.number for t in s.tickets] == [1, 2, 3]
    assert [(t.total, [(p.method, p.amount, p.given) for p in t.payments]) for t in s.tickets] == [
        (845, [("cash", 845, 2000)]), (345, [("card", 345, 0)]), (250, [("cash", 250, 250)])]
    x = store.x_report("1", "Léa")
    assert sessions.report_from_dict(x.as_dict()) == x
    z = store.close_session("1", parse_count("1x50 1x10 1x0,50 1x0,10 1x0,05"), {"card": 345}, operator="Léa")
    assert sessions.report_from_dict(z.z.figures) == z.report
