"""The kiosk pusher against a real back office (uvicorn in a thread, SQLite): backoff, missing seqs
sent again, batches that shrink when too big, heartbeats, and the status the register screen shows."""
from __future__ import annotations

import json
import time
from datetime import datetime

import pytest
from sqlalchemy import select

from backoffice import sync_api, sync_status
from backoffice.app import create_app
from backoffice.db import make_engine, ticket, create_all
from backoffice.devices import register_device
from commerce.catalogue import Product
from commerce.ticket import Ticket
from kiosk.store import KioskStore
from sync import outbox
from sync.pusher import Backoff, PushError, Pusher, post_json
from sync.wire import VERSION
from sync_support import ThreadedBackOffice, free_port

CROC = Product("3292590049201", "Croc citron", 250, 550, "Confiserie")
JUS = Product("3297560704173", "Jus d'Orange Mangue 1L", 345, 1000, "Boissons")


@pytest.fixture
def engine(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'bo.db'}")
    create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def kiosk(tmp_path):
    store = KioskStore(tmp_path / "kiosk.db")
    yield store
    store.close()


def sell(store, n: int) -> list:
    out = []
    for i in range(n):
        t = Ticket()
        t.add(CROC if i % 2 else JUS, 1 + i % 3)
        t.pay_card()
        out.append(store.record_sale(t, "1", "Léa"))
    return out


def bo_numbers(engine) -> list[tuple[int, int]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(ticket.c.seq, ticket.c.number).order_by(ticket.c.seq))]


def test_backoff_doubles_up_to_its_cap_and_resets():
    top = Backoff(base=1.0, cap=60.0, rng=lambda: 1.0)
    assert [top.failure() for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    low = Backoff(base=1.0, cap=60.0, rng=lambda: 0.0)
    assert [low.failure() for _ in range(4)] == [0.5, 1, 2, 4]
    low.success()
    assert low.failures == 0 and low.failure() == 0.5


def test_missing_seqs_are_sent_again(engine, kiosk):
    token = register_device(engine, "caisse-1", "1")
    sell(kiosk, 6)
    with ThreadedBackOffice(create_app(engine)) as office:
        pusher = Pusher(kiosk.path, office.url, "caisse-1", token, batch=3)
        conn = kiosk.conn
        post_json(pusher.url, {"version": VERSION, "device": "caisse-1", "records": outbox.pending(conn, 3)}, token)
        outbox.mark_sent(conn, [1, 2, 3, 4, 5])  # 4 and 5 marked sent, but the back office never got them
        assert outbox.counts(conn) == (1, 5)
        assert pusher.push_once() == 3  # sends 6, is asked for 4..5, sends 4, 5, 6
    assert bo_numbers(engine) == [(s, s) for s in range(1, 7)]
    assert outbox.counts(kiosk.conn) == (0, 6)


def test_missing_seqs_the_kiosk_does_not_have(engine, kiosk):
    token = register_device(engine, "caisse-1", "1")
    sell(kiosk, 5)
    with kiosk.conn:
        kiosk.conn.execute("DELETE FROM outbox WHERE seq IN (2, 3)")
    with ThreadedBackOffice(create_app(engine)) as office:
        pusher = Pusher(kiosk.path, office.url, "caisse-1", token)
        with pytest.raises(PushError) as e:
            pusher.push_once()
    assert str(e.value) == ("le back-office attend les envois n° 2 à 3, que cette caisse n'a pas : prévenir le "
                            "professeur (base de la caisse remplacée ?)")
    assert bo_numbers(engine) == [(1, 1)]
    status = pusher.status()
    assert (status["waiting"], status["last_error"]) == (2, str(e.value))


def test_batches_shrink_when_too_big(engine, kiosk, monkeypatch):
    token = register_device(engine, "caisse-1", "1")
    sell(kiosk, 9)
    one = len(json.dumps(outbox.pending(kiosk.conn, 1)[0]))
    monkeypatch.setattr(sync_api, "MAX_BODY", 3 * one + 200)  # about 3 records a batch
    sent = []
    real_post = post_json

    def counting_post(url, body, token, timeout=10.0):
        sent.append(len(body["records"]))
        return real_post(url, body, token, timeout)

    monkeypatch.setattr("sync.pusher.post_json", counting_post)
    with ThreadedBackOffice(create_app(engine)) as office:
        assert Pusher(kiosk.path, office.url, "caisse-1", token, batch=16).push_once() == 9
    assert sent == [9, 8, 4, 2, 2, 2, 2, 1]  # 413 for 9, 8 and 4 records; then 2 at a time
    assert bo_numbers(engine) == [(s, s) for s in range(1, 10)]


def test_status_survives_a_restart_and_heartbeat_shows_up_to_date(engine, kiosk):
    token = register_device(engine, "caisse-1", "1")
    sales = sell(kiosk, 4)
    first = Pusher(kiosk.path, f"http://127.0.0.1:{free_port()}", "caisse-1", token, timeout=2)
    with pytest.raises(PushError):
        first.push_once()
    down = first.status()
    assert (down["waiting"], down["sent"], down["last_success"]) == (4, 0, None)
    assert down["last_error"].startswith("back-office injoignable")
    oldest = datetime.fromisoformat(down["oldest_waiting"])
    assert abs((oldest - sales[0].created_at).total_seconds()) < 5  # local time, like the ticket's

    with ThreadedBackOffice(create_app(engine)) as office:
        # the kiosk restarts: a new pusher, same database
        pusher = Pusher(kiosk.path, office.url, "caisse-1", token)
        body = {"version": VERSION, "records": outbox.pending(kiosk.conn, 1), "head_seq": 4}
        post_json(pusher.url, body, token)
        with engine.connect() as conn:
            s = sync_status.device_status(conn, "caisse-1")
        assert (s.last_seq, s.head_seq, s.behind) == (1, 4, 3)
        assert pusher.push_once() == 4
        up = pusher.status()
        assert (up["waiting"], up["sent"], up["oldest_waiting"], up["last_error"]) == (0, 4, None, None)
        assert up["last_success"] == pusher.last_success.isoformat()
        assert Pusher(kiosk.path, office.url, "caisse-1", token).status()["last_success"] == up["last_success"]
        with engine.begin() as conn:
            conn.execute(sync_status.device.update().values(last_seen_at=None))
        assert pusher.push_once(heartbeat=True) == 0  # nothing to send: still seen
        with engine.connect() as conn:
            s = sync_status.device_status(conn, "caisse-1")
        assert (s.last_seq, s.head_seq, s.behind, s.state) == (4, 4, 0, "à jour") and s.last_seen_at is not None


def test_background_loop_backs_off_then_delivers(engine, kiosk):
    token = register_device(engine, "caisse-1", "1")
    port = free_port()
    calls = []
    backoff = Backoff(base=0.05, cap=0.2)
    real_failure = backoff.failure
    backoff.failure = lambda: calls.append(time.monotonic()) or real_failure()
    pusher = Pusher(kiosk.path, f"http://127.0.0.1:{port}", "caisse-1", token, timeout=2, backoff=backoff)
    pusher.start(interval=0.05)
    try:
        sell(kiosk, 3)
        pusher.kick()
        deadline = time.monotonic() + 10
        while len(calls) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(calls) >= 4 and backoff.failures >= 4
        with ThreadedBackOffice(create_app(engine), port=port):
            deadline = time.monotonic() + 10
            while (pusher.status()["waiting"] or backoff.failures) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert (pusher.status()["waiting"], backoff.failures, pusher.last_error) == (0, 0, None)
    finally:
        pusher.stop()
    assert bo_numbers(engine) == [(1, 1), (2, 2), (3, 3)]
