"""Kiosk -> back office over real HTTP: a uvicorn back office on a free port, a kiosk SQLite store.

Nothing is mocked: the pusher posts with urllib to the FastAPI app, which ingests into its own
SQLite file; the catalogue comes back the same way.
"""
from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from backoffice.app import create_app
from backoffice.catalog_import import import_catalogue
from backoffice.db import create_all, make_engine, payment, product, ticket, ticket_line, ticket_vat
from backoffice.devices import register_device
from commerce.catalogue import Product
from commerce.ticket import Ticket
from kiosk.store import KioskStore
from sync import outbox
from sync.catalogue_pull import pull_catalogue
from sync.pusher import PushError, Pusher, post_json
from sync.wire import VERSION
from sync_support import ThreadedBackOffice, free_port

CROC = Product("3292590049201", "Croc citron", 250, 550, "Confiserie")
JUS = Product("3297560704173", "Jus d'Orange Mangue 1L", 345, 1000, "Boissons")
TANGOR = Product("3297560900810", "Jus de tangor", 799, 2000, "Boissons")


@pytest.fixture
def bo(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'backoffice.db'}")
    create_all(engine)
    office = ThreadedBackOffice(create_app(engine)).start()
    office.engine = engine  # the tests read what was ingested
    yield office
    if office.running:
        office.stop()
    engine.dispose()


@pytest.fixture
def kiosk(tmp_path):
    store = KioskStore(tmp_path / "kiosk.db")
    store.upsert_products([CROC, JUS, TANGOR])
    yield store
    store.close()


def sell(store: KioskStore, *items, cash: int | None = None):
    t = Ticket()
    for p, qty in items:
        t.add(p, qty)
    if cash is None:
        t.pay_card()
    else:
        t.pay_cash(cash)
    return store.record_sale(t, "1", "Léa")


def three_sales(store):
    return [
        sell(store, (CROC, 2), (JUS, 1), cash=1000),   # 8,45 €
        sell(store, (TANGOR, 1)),                      # 7,99 €
        sell(store, (CROC, 1), (TANGOR, 2), (JUS, 3)),  # 2,50 + 15,98 + 10,35 = 28,83 €
    ]


def bo_counts(engine) -> dict:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (ticket, ticket_line, ticket_vat, payment)}


def all_records(store) -> list[dict]:
    """Every outbox record, sent or not, in the form the pusher sends."""
    rows = store.conn.execute("SELECT seq, kind, record_id, payload FROM outbox ORDER BY seq").fetchall()
    return [{"seq": s, "kind": k, "id": rid, "payload": json.loads(p)} for s, k, rid, p in rows]


def test_push_sends_sales_and_summary_matches(bo, kiosk):
    token = register_device(bo.engine, "caisse-1", "1", "Caisse 1")
    sales = three_sales(kiosk)
    assert [s.total for s in sales] == [845, 799, 2883]
    assert outbox.counts(kiosk.conn) == (3, 0)

    pusher = Pusher(kiosk.path, bo.url, "caisse-1", token)
    assert pusher.push_once() == 3
    assert outbox.counts(kiosk.conn) == (0, 3)
    assert kiosk.conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone() == (0,)
    assert pusher.status()["waiting"] == 0 and pusher.last_error is None
    assert pusher.push_once() == 0  # nothing left

    day = sales[0].created_at.date().isoformat()
    summary = bo.get(f"/api/v1/summary?date={day}")
    assert summary["tickets"] == 3
    assert summary["total"] == 845 + 799 + 2883 == 4527
    assert summary["registers"] == {"1": {"tickets": 3, "total": 4527}}
    # VAT per rate: 20 % = 7,99 + 15,98 = 23,97 ; 10 % = 3,45 + 10,35 = 13,80 ; 5,5 % = 5,00 + 2,50 = 7,50
    assert [(r["rate"], r["ttc"]) for r in summary["vat"]] == [(2000, 2397), (1000, 1380), (550, 750)]
    assert all(r["ht"] + r["tva"] == r["ttc"] for r in summary["vat"])

    listed = bo.get("/api/v1/tickets?register=1")
    assert listed["count"] == 3
    assert sorted((t["number"], t["id"], t["total"], t["device_seq"]) for t in listed["tickets"]) == [
        (1, sales[0].id, 845, 1), (2, sales[1].id, 799, 2), (3, sales[2].id, 2883, 3)]
    assert bo_counts(bo.engine) == {"ticket": 3, "ticket_line": 6, "ticket_vat": 6, "payment": 3}


def test_same_batch_again_stores_nothing_and_gets_same_ack(bo, kiosk):
    token = register_device(bo.engine, "caisse-1", "1")
    three_sales(kiosk)
    Pusher(kiosk.path, bo.url, "caisse-1", token).push_once()
    before = bo_counts(bo.engine)
    body = {"version": VERSION, "device": "caisse-1", "records": all_records(kiosk)}
    url = bo.url + "/api/v1/sync/batch"
    ack1 = post_json(url, body, token)
    ack2 = post_json(url, body, token)
    assert ack1 == ack2 == {"accepted": [1, 2, 3], "duplicates": [], "last_seq": 3}
    assert bo_counts(bo.engine) == before == {"ticket": 3, "ticket_line": 6, "ticket_vat": 6, "payment": 3}


def test_lost_response_then_push_again_stores_nothing_twice(bo, kiosk):
    token = register_device(bo.engine, "caisse-1", "1")
    three_sales(kiosk)
    pusher = Pusher(kiosk.path, bo.url, "caisse-1", token)
    assert pusher.push_once() == 3
    sell(kiosk, (JUS, 2))  # 6,90 €, seq 4
    # The back office stores the batch but the answer never reaches the kiosk: mark_sent is not called.
    pending = outbox.pending(kiosk.conn)
    assert [r["seq"] for r in pending] == [4]
    ack = post_json(pusher.url, {"version": VERSION, "device": "caisse-1", "records": pending}, token)
    assert ack == {"accepted": [4], "duplicates": [], "last_seq": 4}
    assert outbox.counts(kiosk.conn) == (1, 3)
    assert bo_counts(bo.engine)["ticket"] == 4
    # Next round: the pusher sends it again; the back office acknowledges without storing it twice.
    assert pusher.push_once() == 1
    assert outbox.counts(kiosk.conn) == (0, 4)
    assert bo_counts(bo.engine) == {"ticket": 4, "ticket_line": 7, "ticket_vat": 7, "payment": 4}
    day = kiosk.conn.execute("SELECT created_at FROM ticket WHERE number = 4").fetchone()[0][:10]
    with bo.engine.connect() as conn:
        assert conn.execute(select(ticket.c.number, ticket.c.total).order_by(ticket.c.number)).all() == [
            (1, 845), (2, 799), (3, 2883), (4, 690)]
    assert bo.get(f"/api/v1/summary?date={day}")["total"] == 4527 + 690


def test_wrong_token_refused_and_outbox_stays_pending(bo, kiosk):
    register_device(bo.engine, "caisse-1", "1")
    three_sales(kiosk)
    pusher = Pusher(kiosk.path, bo.url, "caisse-1", "pas-le-bon-jeton")
    with pytest.raises(PushError) as exc:
        pusher.push_once()
    assert str(exc.value).startswith("le back-office a refusé l'envoi (401) : ")
    assert "jeton d'appareil manquant ou invalide" in str(exc.value)
    assert outbox.counts(kiosk.conn) == (3, 0)
    assert bo_counts(bo.engine)["ticket"] == 0


def test_back_office_down_loses_nothing(bo, kiosk):
    token = register_device(bo.engine, "caisse-1", "1")
    three_sales(kiosk)
    bo.stop()
    pusher = Pusher(kiosk.path, bo.url, "caisse-1", token)
    with pytest.raises(PushError) as exc:
        pusher.push_once()
    assert str(exc.value).startswith("back-office injoignable (")
    assert outbox.counts(kiosk.conn) == (3, 0)
    # sales go on while it is away
    sell(kiosk, (CROC, 1), cash=500)
    assert outbox.counts(kiosk.conn) == (4, 0)
    # back again (same database, same port): everything arrives, once
    bo.start()
    assert pusher.push_once() == 4
    assert outbox.counts(kiosk.conn) == (0, 4)
    with bo.engine.connect() as conn:
        assert conn.execute(select(ticket.c.number).order_by(ticket.c.number)).scalars().all() == [1, 2, 3, 4]


def test_background_pusher_status_while_back_office_is_down(tmp_path, kiosk):
    sell(kiosk, (CROC, 1))
    pusher = Pusher(kiosk.path, f"http://127.0.0.1:{free_port()}", "caisse-1", "x")
    pusher.start(interval=0.05)
    try:
        deadline = time.monotonic() + 5
        while pusher.last_error is None and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        pusher.stop()
    status = pusher.status()
    assert status["waiting"] == 1 and status["sent"] == 0 and status["last_success"] is None
    assert status["last_error"].startswith("back-office injoignable")


def test_catalogue_pull(bo, kiosk, tmp_path):
    token = register_device(bo.engine, "caisse-1", "1")
    csv_path = tmp_path / "catalogue.csv"
    csv_path.write_text(
        "barcode,name,price,vat_rate,category\n"
        "3017620422003,Pâte à tartiner,\"4,59\",5.5,Épicerie\n"
        "697929110035,Thé vert,\"3,20\",\"5,5\",\n"
        "96385074,Gomme,\"0,80\",20,Papeterie\n"
        "3292590049201,Croc citron,\"2,75\",20,Confiserie\n"
        "3292590049202,Mauvais code,\"1,00\",20,\n", encoding="utf-8")
    report = import_catalogue(bo.engine, csv_path)
    assert report.kept == 4 and len(report.refused) == 1

    assert kiosk.catalogue_cursor() == "0"
    got = pull_catalogue(bo.url, token, kiosk.catalogue_cursor(), kiosk.upsert_products, limit=3)
    assert got == 4
    assert kiosk.catalogue_cursor() == "4"
    assert kiosk.product("3017620422003") == Product("3017620422003", "Pâte à tartiner", 459, 550, "Épicerie")
    assert kiosk.product("0697929110035") == Product("0697929110035", "Thé vert", 320, 550, "")
    assert kiosk.product("0000096385074") == Product("0000096385074", "Gomme", 80, 2000, "Papeterie")
    # the back office's version replaced the kiosk's old copy
    assert kiosk.product("3292590049201") == Product("3292590049201", "Croc citron", 275, 2000, "Confiserie")
    assert kiosk.product_count() == 3 + 3  # CROC, JUS, TANGOR were there; 3 new
    assert [p.name for p in kiosk.search("pate")] == ["Pâte à tartiner"]

    # nothing new: a second pull fetches nothing and keeps the cursor
    assert pull_catalogue(bo.url, token, kiosk.catalogue_cursor(), kiosk.upsert_products) == 0
    assert kiosk.catalogue_cursor() == "4"

    # one price changes in the back office: only that product comes down
    csv_path.write_text(csv_path.read_text(encoding="utf-8").replace('"0,80"', '"0,90"'), encoding="utf-8")
    report = import_catalogue(bo.engine, csv_path)
    assert (report.updated, report.unchanged) == (1, 3)
    applied = []

    def apply(products, cursor):
        applied.append((products, cursor))
        return kiosk.upsert_products(products, cursor)

    assert pull_catalogue(bo.url, token, kiosk.catalogue_cursor(), apply) == 1
    assert [( [p.gtin13 for p in ps], c) for ps, c in applied] == [(["0000096385074"], "5")]
    assert kiosk.product("0000096385074").price == 90
    with bo.engine.connect() as conn:
        assert conn.execute(select(func.max(product.c.version))).scalar_one() == 5


def test_catalogue_pull_back_office_down(kiosk):
    with pytest.raises(PushError) as exc:
        pull_catalogue(f"http://127.0.0.1:{free_port()}", "x", "0", kiosk.upsert_products)
    assert str(exc.value).startswith("catalogue non mis à jour : back-office injoignable")
    assert kiosk.product_count() == 3 and kiosk.catalogue_cursor() == "0"
