"""The kiosk's SQLite store on real files: catalogue, numbering, one transaction per sale, triggers."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime

import pytest

from commerce.catalogue import Product
from commerce.errors import CommerceError
from commerce.ticket import Ticket
from kiosk.store import KioskStore
from sync import outbox
from sync.wire import ticket_from_wire

CROC = Product("3292590049201", "Croc citron", 250, 550, "Confiserie")
PATE = Product("3017620422003", "Pâte à TARTINER noisettes", 459, 550, "Épicerie")
CREME = Product("3033490004743", "Crème brûlée x4", 329, 550, "Frais")
THE = Product("0697929110035", "Thé vert", 320, 550, "")
JUS = Product("3297560704173", "Jus d'Orange Mangue 1L", 345, 1000, "Boissons")
WHEN = datetime(2025, 3, 14, 10, 5, 7)


@pytest.fixture
def store(tmp_path):
    s = KioskStore(tmp_path / "kiosk" / "caisse.db")
    s.upsert_products([CROC, PATE, CREME, THE, JUS], cursor="5")
    yield s
    s.close()


def paid(*items, cash: int | None = None) -> Ticket:
    t = Ticket()
    for product, qty in items:
        t.add(product, qty)
    if cash is None:
        t.pay_card()
    else:
        t.pay_cash(cash)
    return t


def raw(store: KioskStore) -> sqlite3.Connection:
    return sqlite3.connect(store.path)


# -- catalogue -------------------------------------------------------------------------------
def test_upsert_and_lookup_by_gtin13(store):
    assert store.product_count() == 5
    assert store.catalogue_cursor() == "5"
    assert store.product("3292590049201") == CROC
    assert store.product("0697929110035") == THE          # leading zero kept
    assert store.product("697929110035") is None          # lookups use the 13-digit key
    assert store.product("3292590049202") is None
    # an update replaces in place, and the cursor moves with it
    assert store.upsert_products([Product(CROC.gtin13, "Croc citron", 275, 2000, "Confiserie")], cursor="9") == 1
    assert store.product(CROC.gtin13) == Product(CROC.gtin13, "Croc citron", 275, 2000, "Confiserie")
    assert store.product_count() == 5 and store.catalogue_cursor() == "9"
    with raw(store) as c:
        assert c.execute("SELECT gtin13, typeof(gtin13) FROM product WHERE name = 'Thé vert'").fetchone() == (
            "0697929110035", "text")


def test_empty_store_cursor(tmp_path):
    s = KioskStore(tmp_path / "empty.db")
    assert s.catalogue_cursor() == "0" and s.product_count() == 0
    s.close()


@pytest.mark.parametrize("query, names", [
    ("pate", ["Pâte à TARTINER noisettes"]),
    ("PÂTE tartiner", ["Pâte à TARTINER noisettes"]),
    ("tartiner pâte", ["Pâte à TARTINER noisettes"]),
    ("creme brulee", ["Crème brûlée x4"]),
    ("CRÈME", ["Crème brûlée x4"]),
    ("the", ["Thé vert"]),
    ("c", ["Croc citron", "Crème brûlée x4"]),
    ("jus orange", ["Jus d'Orange Mangue 1L"]),
    ("orange kiwi", []),
    ("   ", []),
])
def test_search_ignores_case_and_accents(store, query, names):
    assert sorted(p.name for p in store.search(query)) == sorted(names)


# -- sales -----------------------------------------------------------------------------------
def test_record_sale_writes_ticket_lines_payments_and_one_outbox_row(store):
    v = store.record_sale(paid((CROC, 2), (JUS, 1), cash=1000), register="1", cashier="Léa", now=WHEN)
    assert v.number == 1 and v.total == 845 and v.created_at == WHEN
    with raw(store) as c:
        assert c.execute("SELECT id, register, number, created_at, cashier, total, training FROM ticket").fetchall() == [
            (v.id, "1", 1, "2025-03-14T10:05:07", "Léa", 845, 1)]
        assert c.execute("SELECT ticket_id, line_no, gtin13, label, qty, unit_price, vat_bp, total "
                         "FROM ticket_line ORDER BY line_no").fetchall() == [
            (v.id, 0, "3292590049201", "Croc citron", 2, 250, 550, 500),
            (v.id, 1, "3297560704173", "Jus d'Orange Mangue 1L", 1, 345, 1000, 345)]
        assert c.execute("SELECT ticket_id, line_no, method, amount, given FROM payment").fetchall() == [
            (v.id, 0, "cash", 845, 1000)]
        rows = c.execute("SELECT seq, kind, record_id, payload, sent_at FROM outbox").fetchall()
    assert len(rows) == 1
    seq, kind, record_id, payload, sent_at = rows[0]
    assert (seq, kind, record_id, sent_at) == (1, "ticket", v.id, None)
    back = ticket_from_wire(json.loads(payload))  # the payload passes the back office's own checks
    assert back == v
    assert outbox.counts(store.conn) == (1, 0)
    with raw(store) as c:  # the same transaction took the items off the shelf (kiosk.stock_store)
        assert sorted(c.execute("SELECT kind, gtin13, qty, source, dest, ref FROM stock_move").fetchall()) == [
            ("sale", "3292590049201", 2, "RAYON", "@CLIENT", v.id), ("sale", "3297560704173", 1, "RAYON", "@CLIENT", v.id)]


def test_numbers_per_register_without_gaps(store):
    numbers = [store.record_sale(paid((CROC, 1)), "1", "Léa").number for _ in range(3)]
    assert numbers == [1, 2, 3]
    assert [store.record_sale(paid((JUS, 1)), "2", "Tom").number for _ in range(2)] == [1, 2]
    assert store.record_sale(paid((THE, 2)), "1", "Léa").number == 4
    with raw(store) as c:
        assert c.execute("SELECT register, number FROM ticket ORDER BY register, number").fetchall() == [
            ("1", 1), ("1", 2), ("1", 3), ("1", 4), ("2", 1), ("2", 2)]
        assert c.execute("SELECT count(*), count(DISTINCT record_id) FROM outbox").fetchone() == (6, 6)
    assert store.ticket_count("1") == 4 and store.ticket_count("2") == 2


def test_unpaid_ticket_is_not_stored_and_takes_no_number(store):
    t = Ticket()
    t.add(CROC)
    with pytest.raises(CommerceError, match="ticket non soldé"):
        store.record_sale(t, "1", "Léa")
    with raw(store) as c:
        assert c.execute("SELECT count(*) FROM ticket").fetchone() == (0,)
        assert c.execute("SELECT count(*) FROM outbox").fetchone() == (0,)
    assert store.record_sale(paid((CROC, 1)), "1", "Léa").number == 1


def test_sale_and_outbox_are_one_transaction(store):
    """If the outbox row cannot be written, the ticket is not stored either (and keeps no number)."""
    with raw(store) as c:
        c.execute("CREATE TRIGGER outbox_fails BEFORE INSERT ON outbox "
                  "BEGIN SELECT RAISE(ABORT, 'disque plein (simulé)'); END")
    with pytest.raises(sqlite3.DatabaseError, match="disque plein"):
        store.record_sale(paid((CROC, 2), (JUS, 1)), "1", "Léa")
    with raw(store) as c:
        for table in ("ticket", "ticket_line", "payment", "outbox"):
            assert c.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
        c.execute("DROP TRIGGER outbox_fails")
    v = store.record_sale(paid((CROC, 2), (JUS, 1)), "1", "Léa")
    assert v.number == 1
    with raw(store) as c:
        assert c.execute("SELECT count(*) FROM ticket_line").fetchone() == (2,)
        assert c.execute("SELECT record_id FROM outbox").fetchall() == [(v.id,)]


@pytest.mark.parametrize("sql", [
    "UPDATE ticket SET total = 1",
    "UPDATE ticket SET number = 99",
    "DELETE FROM ticket",
    "UPDATE ticket_line SET qty = 1",
    "DELETE FROM ticket_line",
    "UPDATE payment SET amount = 0",
    "DELETE FROM payment WHERE method = 'cash'",
])
def test_validated_records_cannot_be_changed_even_in_raw_sql(store, sql):
    v = store.record_sale(paid((CROC, 2), (JUS, 1), cash=2000), "1", "Léa", now=WHEN)
    table = sql.split()[2] if sql.startswith("DELETE") else sql.split()[1]
    c = raw(store)
    try:
        with pytest.raises(sqlite3.IntegrityError) as exc:
            c.execute(sql)
        assert str(exc.value) == f"enregistrement validé : modification interdite ({table})"
        c.rollback()
        assert c.execute("SELECT number, total FROM ticket").fetchall() == [(1, 845)]
        assert c.execute("SELECT qty, total FROM ticket_line ORDER BY line_no").fetchall() == [(2, 500), (1, 345)]
        assert c.execute("SELECT method, amount, given FROM payment").fetchall() == [("cash", 845, 2000)]
    finally:
        c.close()
    assert v.total == 845


def test_second_store_on_the_same_file_continues_numbering(tmp_path):
    path = tmp_path / "caisse.db"
    first = KioskStore(path)
    first.upsert_products([CROC])
    assert [first.record_sale(paid((CROC, 1)), "3", "Léa").number for _ in range(2)] == [1, 2]
    second = KioskStore(path)  # e.g. the app restarted while the pusher still holds a connection
    assert second.product(CROC.gtin13) == CROC
    assert second.record_sale(paid((CROC, 1)), "3", "Léa").number == 3
    assert first.record_sale(paid((CROC, 1)), "3", "Léa").number == 4
    first.close()
    second.close()
    third = KioskStore(path)
    assert third.record_sale(paid((CROC, 1)), "3", "Léa").number == 5
    assert third.ticket_count("3") == 5
    assert [r["seq"] for r in outbox.pending(third.conn)] == [1, 2, 3, 4, 5]
    third.close()
