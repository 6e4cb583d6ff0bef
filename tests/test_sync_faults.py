"""Faults on purpose: three kiosks selling and pushing through a proxy that drops, duplicates,
delays, reorders and cuts requests and answers; a back office killed (kill -9) and restarted
mid-push. In the end the back office holds exactly the kiosks' tickets: the same set, the same
totals, the same VAT, every register's chain verifying with the kiosks' own hashes.

The record count is a parameter: 10 000 (about 20 s per database on 2 cores), or
$COMPTOIR_FAULT_RECORDS. The counts (records, faults, requests) are printed.
"""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time

from sqlalchemy import func, select, text

from backoffice import chain, sync_status
from backoffice.app import create_app
from backoffice.db import device, ticket, ticket_line, ticket_vat
from backoffice.devices import register_device
from backoffice_fixtures import engine  # noqa: F401
from commerce.catalogue import Product
from commerce.ticket import Ticket
from fault_proxy import FaultProxy
from kiosk.store import KioskStore
from sync.pusher import Backoff, Pusher
from sync_support import ThreadedBackOffice, free_port

RECORDS = int(os.environ.get("COMPTOIR_FAULT_RECORDS", "10000"))  # across the three kiosks
KIOSKS = ("1", "2", "3")
RATES = {"drop_request": 0.05, "cut_request": 0.04, "delay": 0.08, "duplicate": 0.06, "drop_response": 0.07,
         "cut_response": 0.04, "replay_later": 0.06}
# Real GTINs (Open Food Facts sample); prices and rates invented, as in the other tests.
PRODUCTS = (Product("3292590049201", "Croc citron", 250, 550), Product("3292590050511", "Fusée cola citron", 120, 550),
            Product("3297560704173", "Jus d'Orange Mangue 1L", 345, 1000),
            Product("3297560900810", "Jus de tangor", 799, 2000), Product("0697929110035", "Thé vert « bio »", 320, 550))


class Kiosk:
    """A kiosk's store, its pusher, and a thread selling ``n`` tickets."""

    def __init__(self, tmp_path, register: str, token: str, url: str, n: int, seed: int, pace: float = 0.0):
        self.register, self.n, self.pace = register, n, pace
        self.store = KioskStore(tmp_path / f"kiosk-{register}.db")
        # small batches: more requests, so more faults and more interleavings
        self.pusher = Pusher(self.store.path, url, f"caisse-{register}", token, batch=50, timeout=1.0,
                             backoff=Backoff(base=0.05, cap=0.5))
        self.rng = random.Random(seed)
        self.seller = threading.Thread(target=self._sell, daemon=True)

    def _sell(self):
        for i in range(self.n):
            t = Ticket()
            for _ in range(self.rng.randint(1, 4)):
                t.add(self.rng.choice(PRODUCTS), self.rng.randint(1, 3))
            if self.rng.random() < 0.5:
                t.pay_cash(t.total + self.rng.choice((0, 0, 50, 1000)))
            else:
                t.pay_card()
            self.store.record_sale(t, self.register, "Léa")
            if self.pace:
                time.sleep(self.pace)
            elif i % 50 == 0:
                time.sleep(0.01)  # selling goes on while batches go out

    def start(self, interval: float = 0.05):
        self.pusher.start(interval=interval)
        self.seller.start()

    def done(self) -> bool:
        return not self.seller.is_alive() and self.pusher.status()["waiting"] == 0

    def stop(self):
        self.pusher.stop()
        self.store.close()

    def tickets(self) -> list[tuple]:
        return self.store.conn.execute(
            "SELECT id, register, number, total, prev_hash, hash FROM ticket ORDER BY number").fetchall()

    def lines(self) -> list[tuple]:
        return self.store.conn.execute(
            "SELECT t.number, l.gtin13, l.qty, l.unit_price, l.vat_bp, l.total FROM ticket_line l "
            "JOIN ticket t ON t.id = l.ticket_id ORDER BY t.number, l.line_no").fetchall()

    def vat(self) -> list[tuple]:
        return self.store.conn.execute(
            "SELECT rate_bp, sum(ht), sum(tva), sum(ttc) FROM ticket_vat GROUP BY rate_bp ORDER BY rate_bp").fetchall()


def wait_for(kiosks, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not all(k.done() for k in kiosks):
        if time.monotonic() > deadline:
            states = {k.register: (k.seller.is_alive(), k.pusher.status()) for k in kiosks}
            raise AssertionError(f"les caisses n'ont pas tout envoyé à temps : {states}")
        time.sleep(0.1)


def assert_back_office_holds_exactly(engine, kiosks) -> dict:  # noqa: F811
    """Same tickets (ids, numbers, totals, hashes), same lines, same VAT, chains verified, no break."""
    figures = {}
    with engine.connect() as conn:
        for k in kiosks:
            reg = k.register
            expected = [tuple(r) for r in k.tickets()]
            stored = [tuple(r) for r in conn.execute(
                select(ticket.c.id, ticket.c.register, ticket.c.number, ticket.c.total, ticket.c.prev_hash,
                       ticket.c.hash).where(ticket.c.register == reg).order_by(ticket.c.number))]
            assert len(expected) == k.n
            assert stored == expected, f"caisse {reg} : {len(stored)} tickets au back-office, {len(expected)} en caisse"
            lines = [tuple(r) for r in conn.execute(
                select(ticket.c.number, ticket_line.c.gtin, ticket_line.c.qty, ticket_line.c.unit_price,
                       ticket_line.c.vat_bp, ticket_line.c.total)
                .join(ticket, ticket.c.id == ticket_line.c.ticket_id).where(ticket.c.register == reg)
                .order_by(ticket.c.number, ticket_line.c.line_no))]
            assert lines == [tuple(r) for r in k.lines()]
            vat = [tuple(int(x) for x in r) for r in conn.execute(
                select(ticket_vat.c.rate_bp, func.sum(ticket_vat.c.ht), func.sum(ticket_vat.c.tva),
                       func.sum(ticket_vat.c.ttc))
                .join(ticket, ticket.c.id == ticket_vat.c.ticket_id).where(ticket.c.register == reg)
                .group_by(ticket_vat.c.rate_bp).order_by(ticket_vat.c.rate_bp))]
            assert vat == [tuple(r) for r in k.vat()]
            report = chain.verify_register(conn, reg)
            assert (report.ok, report.tickets, report.last_hash) == (True, k.n, expected[-1][5]), report.breaks
            dev = conn.execute(select(device.c.last_seq, device.c.head_seq)
                               .where(device.c.code == f"caisse-{reg}")).one()
            assert tuple(dev) == (k.n, k.n)
            figures[reg] = (len(stored), sum(r[3] for r in stored))
        assert sync_status.chain_breaks(conn) == []
        assert conn.execute(select(func.count()).select_from(ticket)).scalar_one() == sum(k.n for k in kiosks)
    return figures


def run_through_proxy(engine, tmp_path, capsys, records: int, seed: int = 5):  # noqa: F811
    tokens = {reg: register_device(engine, f"caisse-{reg}", reg) for reg in KIOSKS}
    started = time.monotonic()
    with ThreadedBackOffice(create_app(engine)) as office, \
            FaultProxy(office.port, seed=seed, rates=RATES, max_delay=1.5) as proxy:
        per = records // len(KIOSKS)
        kiosks = [Kiosk(tmp_path, reg, tokens[reg], proxy.url, per + (i < records % len(KIOSKS)), seed + i)
                  for i, reg in enumerate(KIOSKS)]
        try:
            for k in kiosks:
                k.start()
            wait_for(kiosks, timeout=60 + records * 0.05)
            assert proxy.wait_idle(), "des requêtes retardées sont encore en vol"
            figures = assert_back_office_holds_exactly(engine, kiosks)
        finally:
            for k in kiosks:
                k.stop()
    faults = {name: proxy.counts[name] for name in RATES}
    with capsys.disabled():
        print(f"\n[faults] {records} enregistrements, 3 caisses, {time.monotonic() - started:.1f} s ; "
              f"par caisse (tickets, total en centimes) : {figures} ; "
              f"requêtes transmises {proxy.counts['forwarded']}, pannes injectées {sum(faults.values())} : {faults}")
    # every kind of fault happened, so the run tested them all
    assert all(n > 0 for n in faults.values()), faults


def test_three_kiosks_through_a_faulty_network(engine, tmp_path, capsys):  # noqa: F811
    run_through_proxy(engine, tmp_path, capsys, RECORDS)


# -- kill -9 ------------------------------------------------------------------------------------
class BackOfficeProcess:
    """`uvicorn --factory backoffice.app:create_app --workers 2` in its own process group."""

    def __init__(self, database_url: str, port: int, log):
        self.database_url, self.port, self.log = database_url, port, log
        self.proc = None

    def start(self):
        env = dict(os.environ, COMPTOIR_DATABASE_URL=self.database_url)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "backoffice.app:create_app", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", "2", "--log-level", "warning"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        import urllib.request
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("le back-office (uvicorn) n'a pas démarré")

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)  # the master and its workers, mid-transaction or not
        self.proc.wait(10)


def database_url_of(engine) -> str:  # noqa: F811
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        url += ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    return url


def test_back_office_killed_mid_push_and_restarted(engine, tmp_path, capsys):  # noqa: F811
    tokens = {reg: register_device(engine, f"caisse-{reg}", reg) for reg in KIOSKS}
    office = BackOfficeProcess(database_url_of(engine), free_port(), open(tmp_path / "uvicorn.log", "ab"))
    office.start()
    rng = random.Random(11)
    # 400 tickets each, one every 20 ms or so: still selling and pushing when the back office dies
    kiosks = [Kiosk(tmp_path, reg, tokens[reg], f"http://127.0.0.1:{office.port}", 400, 20 + i, pace=0.02)
              for i, reg in enumerate(KIOSKS)]
    waiting_at_kill = []
    try:
        for k in kiosks:
            k.start(interval=0.02)
        for _ in range(4):
            time.sleep(rng.uniform(0.3, 1.2))
            office.kill()
            waiting_at_kill.append(sum(k.pusher.status()["waiting"] for k in kiosks))
            time.sleep(rng.uniform(0.1, 0.5))  # the kiosks find no one and back off
            office.start()
        wait_for(kiosks, timeout=120)
        figures = assert_back_office_holds_exactly(engine, kiosks)
    finally:
        for k in kiosks:
            k.stop()
        if office.proc and office.proc.poll() is None:
            office.kill()
    with capsys.disabled():
        print(f"\n[kill -9 back-office] {sum(k.n for k in kiosks)} enregistrements, back-office tué "
              f"{len(waiting_at_kill)} fois et relancé, enregistrements en attente à chaque arrêt : {waiting_at_kill} ; "
              f"par caisse (tickets, total en centimes) : {figures}")
    assert any(waiting_at_kill), "aucun arrêt pendant un envoi : le test n'a rien éprouvé"


def _sold(db, register: str) -> int:
    """Tickets the kiosk process has recorded so far, read beside it (WAL lets a reader in)."""
    if not os.path.exists(db):
        return 0
    conn = sqlite3.connect(db, timeout=5)
    try:
        return conn.execute("SELECT max(number) FROM ticket WHERE register = ?", (register,)).fetchone()[0] or 0
    except sqlite3.OperationalError:  # the kiosk has not created its tables yet
        return 0
    finally:
        conn.close()


def test_kiosk_killed_at_random_points(engine, tmp_path, capsys):  # noqa: F811
    """The whole kiosk process (selling and pushing) is killed -9 and started again, four times."""
    token = register_device(engine, "caisse-7", "7")
    n, db = 600, tmp_path / "kiosk-7.db"
    rng = random.Random(3)
    with ThreadedBackOffice(create_app(engine)) as office:
        cmd = [sys.executable, os.path.join(os.path.dirname(__file__), "kiosk_process.py"), str(db), office.url,
               "7", token, str(n), "7"]
        sold_at_kill = []
        # Killed once it has sold past a random target, so that every kill lands mid-work whatever the speed.
        targets = sorted(rng.sample(range(40, n - 40), 4))
        for target in targets:
            proc = subprocess.Popen(cmd)
            deadline = time.monotonic() + 60
            while _sold(db, "7") < target and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            store = KioskStore(db)
            sold_at_kill.append(store.ticket_count("7"))
            store.close()
        assert subprocess.run(cmd, timeout=120).returncode == 0
        store = KioskStore(db)
        try:
            k = Kiosk.__new__(Kiosk)
            k.register, k.n, k.store = "7", n, store
            figures = assert_back_office_holds_exactly(engine, [k])
        finally:
            store.close()
    with capsys.disabled():
        print(f"\n[kill -9 caisse] {n} tickets, caisse tuée 4 fois (tickets vendus à chaque arrêt : {sold_at_kill}) ; "
              f"(tickets, total en centimes) : {figures}")
    assert 0 < sold_at_kill[0] and sold_at_kill[-1] < n
