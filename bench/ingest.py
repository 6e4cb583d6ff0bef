"""Sync ingest into PostgreSQL: 100 000 tickets (about 500 000 lines) pushed through POST
/api/v1/sync/batch to a back office under uvicorn (2 workers), into its own tables, against a raw
COPY of the very rows it stored into the same tables (same indexes and constraints), in the same run.

    ingest_ratio         = push throughput / COPY throughput (tickets per second)      target ≥ 0.25
    ingest_repush_ratio  = time to push the same 100 000 again / time of the first push  target ≤ 0.5

The tickets are made and sealed as kiosks make them (commerce.fiscal), spread over DEVICES kiosks
that push in parallel, batches of 500 (the most the wire format takes), bodies encoded beforehand:
what is timed is the back office. The database is a fresh schema of $COMPTOIR_BENCH_PG_URL (else
COMPTOIR_TEST_PG_URL, else postgresql+psycopg://postgres@127.0.0.1:5432/test), dropped at the end.

    python -m bench.ingest [--tickets N]
"""
from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta

from sqlalchemy import create_engine, text

TARGETS = {
    "ingest_ratio": ("≥", 0.25, "envoi de 100 000 tickets par /api/v1/sync/batch dans PostgreSQL / COPY brut des "
                                "mêmes lignes dans les mêmes tables"),
    "ingest_repush_ratio": ("≤", 0.5, "renvoi des mêmes 100 000 tickets / premier envoi"),
}
LABELS = {
    "ingest_push_s": "s, premier envoi",
    "ingest_repush_s": "s, renvoi des mêmes tickets",
    "ingest_copy_s": "s, COPY brut (référence)",
    "ingest_tickets_per_s": "tickets/s par l'API",
    "ingest_tickets": "tickets envoyés",
    "ingest_lines": "lignes de tickets",
}
TICKETS = 100_000
DEVICES = 4
BATCH = 500
TABLES = ("ticket", "ticket_line", "ticket_vat", "payment", "sync_record")
PG_URL = (os.environ.get("COMPTOIR_BENCH_PG_URL") or os.environ.get("COMPTOIR_TEST_PG_URL")
          or "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def make_bodies(n: int, log) -> tuple[list[list[bytes]], int, list[str]]:
    """Per device, its encoded batches; the number of lines; the device codes."""
    from commerce import fiscal
    from commerce.catalogue import Product
    from commerce.ticket import Ticket
    from sync.wire import ticket_to_wire

    rng = random.Random(1)
    items = [Product(code, name, price, rate) for code, name, price, rate in (
        ("3017620422003", "Pâte à tartiner noisettes 400 g", 459, 550), ("3297560704173", "Jus d'orange mangue 1 L", 345, 1000),
        ("3033490004743", "Crème brûlée × 4", 329, 550), ("3292590049201", "Croc' citron — sachet", 250, 2000),
        ("0697929110035", "Thé vert « bio »", 320, 550), ("3297560900810", "Jus de tangor", 799, 2000),
        ("3292590050511", "Fusée cola citron", 120, 550))]
    devices = [f"bench-{d + 1}" for d in range(DEVICES)]
    start, lines = datetime.now().replace(microsecond=0) - timedelta(days=30), 0
    bodies: list[list[bytes]] = []
    for d, code in enumerate(devices):
        count = n // DEVICES + (d < n % DEVICES)
        prev, records = fiscal.GENESIS, []
        for i in range(count):
            t = Ticket()
            for k in rng.sample(range(len(items)), 5):  # 5 distinct products: 5 lines
                t.add(items[k], rng.randint(1, 3))
            if i % 3 == 0:
                t.pay_cash(t.total + rng.choice((0, 20, 500)))
            else:
                t.pay_card()
            v = t.validate(ticket_id=str(uuid.uuid4()), register=str(d + 1), number=i + 1, cashier=f"Élève {i % 24 + 1}",
                           created_at=start + timedelta(seconds=20 * i))
            lines += len(v.lines)
            digest = fiscal.chain_hash(prev, fiscal.canonical_ticket(fiscal.fiscal_ticket(v)))
            records.append({"seq": i + 1, "kind": "ticket", "id": v.id,
                            "payload": ticket_to_wire(v, prev_hash=prev, hash=digest)})
            prev = digest
        bodies.append([json.dumps({"version": 1, "device": code, "head_seq": count, "records": records[j:j + BATCH]},
                                  ensure_ascii=False).encode() for j in range(0, count, BATCH)])
        log(f"  {code} : {count:,} tickets, {len(bodies[-1])} lots")
    return bodies, lines, devices


class Server:
    """The back office under uvicorn (2 workers) in its own process group."""

    def __init__(self, url: str):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = dict(os.environ, COMPTOIR_DATABASE_URL=url)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "backoffice.app:create_app", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", "2", "--log-level", "warning", "--no-access-log"],
            env=env, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/api/v1/health")
                if c.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("banc ingest : le back-office n'a pas démarré")

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(30)


def push_all(port: int, bodies: list[list[bytes]], tokens: list[str]) -> tuple[float, list[dict]]:
    """Every device pushes its batches in order, the devices in parallel; (seconds, last ack of each)."""
    acks: list = [None] * len(bodies)
    errors: list[str] = []

    def device(d: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {tokens[d]}"}
        for body in bodies[d]:
            conn.request("POST", "/api/v1/sync/batch", body, headers)
            resp = conn.getresponse()
            data = resp.read()
            if resp.status != 200:
                errors.append(f"{resp.status} {data[:200]!r}")
                return
            acks[d] = json.loads(data)
        conn.close()

    threads = [threading.Thread(target=device, args=(d,)) for d in range(len(bodies))]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"banc ingest : envoi refusé : {errors[0]}")
    return elapsed, acks


def copy_same_rows(engine) -> float:
    """Export what the ingest stored, empty the tables, COPY the rows back in: the time of the COPY."""
    raw = engine.raw_connection()
    try:
        cur = raw.driver_connection.cursor()
        dumps = {}
        for table in TABLES:
            buf = io.BytesIO()
            with cur.copy(f"COPY {table} TO STDOUT") as copy:
                for chunk in copy:
                    buf.write(chunk)
            dumps[table] = buf.getvalue()
        cur.execute("TRUNCATE " + ", ".join(TABLES))
        raw.commit()
        t0 = time.perf_counter()
        for table in TABLES:
            with cur.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(dumps[table])
        raw.commit()
        return time.perf_counter() - t0
    finally:
        raw.close()


def run(n: int = TICKETS, log=lambda m: None) -> dict:
    from backoffice.db import create_all
    from backoffice.devices import register_device

    admin = create_engine(PG_URL, connect_args={"connect_timeout": 5})
    schema = f"bench_ingest_{uuid.uuid4().hex[:10]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = PG_URL + ("&" if "?" in PG_URL else "?") + f"options=-csearch_path%3D{schema}"
    engine = create_engine(url)
    try:
        create_all(engine)
        log(f"tickets scellés comme sur les caisses : {n:,} sur {DEVICES} caisses")
        bodies, lines, devices = make_bodies(n, log)
        tokens = [register_device(engine, code, str(d + 1)) for d, code in enumerate(devices)]
        server = Server(url)
        try:
            log("premier envoi")
            push_s, acks = push_all(server.port, bodies, tokens)
            log("renvoi des mêmes lots")
            repush_s, again = push_all(server.port, bodies, tokens)
        finally:
            server.stop()
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM ticket")).scalar_one()
            stored_lines = conn.execute(text("SELECT count(*) FROM ticket_line")).scalar_one()
            breaks = conn.execute(text("SELECT count(*) FROM chain_break")).scalar_one()
        if (stored, stored_lines, breaks) != (n, lines, 0) or acks != again:
            raise RuntimeError(f"banc ingest : {stored} tickets, {stored_lines} lignes, {breaks} ruptures stockés "
                               f"(attendu {n}, {lines}, 0), ou accusés différents au renvoi")
        log("COPY brut des mêmes lignes dans les mêmes tables")
        copy_s = copy_same_rows(engine)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return {
        "ingest_ratio": round(copy_s / push_s, 3),  # (n / push_s) / (n / copy_s)
        "ingest_repush_ratio": round(repush_s / push_s, 3),
        "ingest_push_s": round(push_s, 2), "ingest_repush_s": round(repush_s, 2), "ingest_copy_s": round(copy_s, 2),
        "ingest_tickets_per_s": round(n / push_s), "ingest_tickets": n, "ingest_lines": lines,
    }


def main(argv=None) -> int:
    from . import report

    ap = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=TICKETS)
    args = ap.parse_args(argv)
    report.TARGETS.update(TARGETS)
    report.LABELS.update(LABELS)
    figures = run(args.tickets, lambda m: print(f"[bench] {m}", file=sys.stderr, flush=True))
    report.print_table(report.with_targets(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
