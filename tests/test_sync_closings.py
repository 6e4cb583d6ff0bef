"""Closings and the technical events journal reach the back office like tickets: in the outbox in the
transaction that records them, pushed, kept once, and shown to the teacher on the register's page
with each Z's expected, counted and difference (on SQLite and PostgreSQL)."""
from __future__ import annotations

import json
import urllib.request

from sqlalchemy import select

from backoffice.app import create_app
from backoffice.db import sync_record
from backoffice.devices import register_device
from backoffice_fixtures import engine  # noqa: F401
from commerce.catalogue import Product
from drivers.printer.simulator import SimulatedPrinter
from kiosk.register_service import RegisterService
from kiosk.store import KioskStore
from sync import outbox
from sync.pusher import Pusher
from sync_support import ThreadedBackOffice

CROC = Product("3292590049201", "Croc citron", 250, 550, "Confiserie")  # 2,50 €
JUS = Product("3297560704173", "Jus d'Orange Mangue 1L", 345, 1000, "Boissons")  # 3,45 €


def a_day_0_30_short(tmp_path) -> KioskStore:
    store = KioskStore(tmp_path / "caisse.db")
    store.upsert_products([CROC, JUS])
    svc = RegisterService(store, SimulatedPrinter(tmp_path / "tickets", columns=42), register="1",
                          cashier="Léa Martin", require_session=True)
    assert svc.open_session({2000: 5, 1000: 4, 500: 1, 200: 2, 100: 1}).level == "info"  # 150,00 €
    svc.scan(CROC.gtin13)
    svc.pay_cash("10")
    svc.scan(JUS.gtin13)
    svc.pay_card()
    svc.reprint_last()  # a duplicata: a journal entry
    fb = svc.close_session({2000: 7, 1000: 1, 200: 1, 20: 1}, "3,45")  # 152,20 € for 152,50 € expected
    assert fb.level == "info" and "espèces −0,30 €" in fb.message, fb.message
    return store


def test_closings_and_journal_enter_the_outbox_with_their_seal(tmp_path):
    store = a_day_0_30_short(tmp_path)
    try:
        rows = store.conn.execute("SELECT kind, record_id, payload FROM outbox ORDER BY seq").fetchall()
        kinds = [k for k, _, _ in rows]
        assert kinds.count("ticket") == 2 and kinds.count("closing") == 2  # the Z and the day
        z = next(json.loads(p) for k, _, p in rows if k == "closing" and json.loads(p)["kind"] == "Z")
        stored = store.conn.execute("SELECT hash, difference FROM closing WHERE number = 1").fetchone()
        assert (z["number"], z["hash"], z["difference"]) == (1, stored[0], -30) == (1, *stored)
        assert {c["method"]: c["difference"] for c in z["checks"]} == {"cash": -30, "card": 0}
        journal = [json.loads(p) for k, _, p in rows if k == "journal"]
        numbers = store.conn.execute("SELECT number, hash FROM journal ORDER BY number").fetchall()
        assert [(j["number"], j["hash"]) for j in journal] == numbers  # every entry, in order, sealed
        assert "reprint" in [j["kind"] for j in journal] and "closing" in [j["kind"] for j in journal]
    finally:
        store.close()


def test_the_teacher_sees_the_z_and_its_difference(engine, tmp_path):  # noqa: F811
    store = a_day_0_30_short(tmp_path)
    token = register_device(engine, "caisse-1", "1")
    try:
        with ThreadedBackOffice(create_app(engine)) as office:
            pusher = Pusher(store.path, office.url, "caisse-1", token)
            while pusher.push_once():
                pass
            assert pusher.push_once() == 0  # pushing again sends nothing
            assert outbox.counts(store.conn)[0] == 0
            with urllib.request.urlopen(f"{office.url}/caisses/1", timeout=10) as resp:
                page = resp.read().decode("utf-8")
        with engine.connect() as conn:
            kinds = [r.kind for r in conn.execute(select(sync_record.c.kind).where(sync_record.c.duplicate.is_(False)))]
        assert kinds.count("closing") == 2 and kinds.count("ticket") == 2 and "journal" in kinds
        closings = page.split('id="closings"')[1].split("</table>")[0]
        assert "Z (session)" in closings and "Journée" in closings
        assert "-0,30 €" in closings and "Espèces : 152,50 € / 152,20 €" in closings
        journal = page.split('id="journal"')[1].split("</table>")[0]
        assert "duplicata" in journal and "clôture" in journal
    finally:
        store.close()


def day_records(engine, tmp_path) -> list[dict]:  # noqa: F811
    """The outbox of a day 0,30 € short, its kiosk declared in the back office."""
    store = a_day_0_30_short(tmp_path)
    register_device(engine, "caisse-1", "1")
    try:
        return outbox.pending(store.conn, 100)
    finally:
        store.close()


def test_an_altered_journal_entry_or_closing_is_flagged_not_lost(engine, tmp_path):  # noqa: F811
    """The journal and closing chains are checked on ingest like the tickets': a record changed on
    its way (or on the kiosk before it was sent) is kept, and the break is flagged for the teacher."""
    from backoffice.db import chain_break
    from backoffice.ingest import ingest_batch
    from sync.wire import VERSION

    records = day_records(engine, tmp_path)
    for r in records:
        if r["kind"] == "journal" and r["payload"]["number"] == 2:
            r["payload"]["details"] = dict(r["payload"]["details"], forged=True)
        if r["kind"] == "closing" and r["payload"]["kind"] == "day":
            r["payload"]["figures"] = dict(r["payload"]["figures"], total=1)
    ack = ingest_batch(engine, "caisse-1", {"version": VERSION, "device": "caisse-1", "records": records})
    assert ack["accepted"] == [r["seq"] for r in records]  # nothing is lost
    with engine.connect() as conn:
        reasons = [r.reason for r in conn.execute(select(chain_break.c.reason).order_by(chain_break.c.id))]
    assert len(reasons) == 2
    assert reasons[0].startswith("événement du journal n° 2 de la caisse 1 : son contenu ne correspond pas")
    assert reasons[1].startswith("clôture n° 2 de la caisse 1 : son contenu ne correspond pas")


def test_sound_journal_and_closings_make_no_break(engine, tmp_path):  # noqa: F811
    from backoffice.db import chain_break
    from backoffice.ingest import ingest_batch
    from sync.wire import VERSION

    records = day_records(engine, tmp_path)
    half = len(records) // 2  # in two batches: a record's predecessor comes from the log
    ingest_batch(engine, "caisse-1", {"version": VERSION, "device": "caisse-1", "records": records[:half]})
    ingest_batch(engine, "caisse-1", {"version": VERSION, "device": "caisse-1", "records": records[half:]})
    with engine.connect() as conn:
        assert conn.execute(select(chain_break.c.reason)).scalars().all() == []
