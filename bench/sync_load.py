"""Sync under load: KIOSKS simulated kiosks pushing for SECONDS seconds against one back office
(uvicorn, 2 workers, PostgreSQL as in bench.ingest, else SQLite when PostgreSQL is unreachable).

Each kiosk sells 1 to 5 tickets (made and sealed as on a register), pushes them as one batch, checks
the acknowledgement, waits 0.2 to 1 s, and again. Reported: errors (refused pushes, dropped
connections, an acknowledgement that does not list what was sent; target 0), and the latency of a
push (median, p99). At the end the back office must hold every acknowledged ticket once, every chain
without a break.

    python -m bench.sync_load [--kiosks 50] [--seconds 60]
"""
from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import threading
import time
import uuid
from datetime import datetime

from sqlalchemy import create_engine, text

from .ingest import PG_URL, Server

TARGETS = {"sync_load_errors": ("≤", 0, "envois en erreur, 50 caisses pendant 60 s")}
LABELS = {"sync_load_p99_ms": "ms, 99e centile d'un envoi", "sync_load_median_ms": "ms, médiane d'un envoi",
          "sync_load_pushes": "envois", "sync_load_tickets": "tickets reçus", "sync_load_kiosks": "caisses simulées"}
KIOSKS, SECONDS = 50, 60


class SimulatedKiosk(threading.Thread):
    def __init__(self, port: int, code: str, register: str, token: str, until: float, seed: int):
        super().__init__(daemon=True)
        self.port, self.code, self.register, self.token, self.until = port, code, register, token, until
        self.rng = random.Random(seed)
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.sent = 0
        self.prev = None
        self.number = 0

    def _tickets(self, k: int) -> list[dict]:
        from commerce import fiscal
        from commerce.catalogue import Product
        from commerce.ticket import Ticket
        from sync.wire import ticket_to_wire

        items = (Product("3292590049201", "Croc citron", 250, 550), Product("3297560704173", "Jus d'orange", 345, 1000),
                 Product("3297560900810", "Jus de tangor", 799, 2000))
        out = []
        for _ in range(k):
            t = Ticket()
            for p in self.rng.sample(items, self.rng.randint(1, 3)):
                t.add(p, self.rng.randint(1, 3))
            t.pay_card()
            self.number += 1
            v = t.validate(ticket_id=str(uuid.uuid4()), register=self.register, number=self.number, cashier="Élève",
                           created_at=datetime.now().replace(microsecond=0))
            prev = self.prev or fiscal.GENESIS
            self.prev = fiscal.chain_hash(prev, fiscal.canonical_ticket(fiscal.fiscal_ticket(v)))
            out.append({"seq": self.number, "kind": "ticket", "id": v.id,
                        "payload": ticket_to_wire(v, prev_hash=prev, hash=self.prev)})
        return out

    def run(self):
        conn, pending = None, []  # pending: made, not yet acknowledged (sent again as they are)
        while time.monotonic() < self.until:
            pending += self._tickets(self.rng.randint(1, 5))
            body = json.dumps({"version": 1, "head_seq": self.number, "records": pending}).encode()
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                t0 = time.perf_counter()
                conn.request("POST", "/api/v1/sync/batch", body, {"Content-Type": "application/json",
                                                                  "Authorization": f"Bearer {self.token}"})
                resp = conn.getresponse()
                data = resp.read()
                self.latencies.append(time.perf_counter() - t0)
                ack = json.loads(data) if resp.status == 200 else None
                if ack is None or ack.get("accepted") != [r["seq"] for r in pending]:
                    self.errors.append(f"{resp.status} {data[:160]!r}")
                else:
                    self.sent += len(pending)
                    pending = []
            except (OSError, http.client.HTTPException, ValueError) as e:
                self.errors.append(f"{type(e).__name__}: {e}")
                conn = None
            time.sleep(self.rng.uniform(0.2, 1.0))


def _database(log):
    """(url, cleanup) on a fresh PostgreSQL schema, or a SQLite file when PostgreSQL is away."""
    admin = create_engine(PG_URL, connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as e:
        import tempfile
        folder = tempfile.mkdtemp(prefix="comptoir-load-")
        log(f"PostgreSQL injoignable ({type(e).__name__}) : SQLite dans {folder}")
        return f"sqlite:///{folder}/bo.db", lambda: None
    schema = f"bench_load_{uuid.uuid4().hex[:10]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop():
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return PG_URL + ("&" if "?" in PG_URL else "?") + f"options=-csearch_path%3D{schema}", drop


def run(kiosks: int = KIOSKS, seconds: float = SECONDS, log=lambda m: None) -> dict:
    from backoffice.db import create_all, make_engine
    from backoffice.devices import register_device

    url, cleanup = _database(log)
    engine = make_engine(url)
    try:
        create_all(engine)
        tokens = [register_device(engine, f"charge-{k + 1}", str(100 + k)) for k in range(kiosks)]
        server = Server(url)
        try:
            log(f"{kiosks} caisses simulées pendant {seconds:g} s")
            until = time.monotonic() + seconds
            sims = [SimulatedKiosk(server.port, f"charge-{k + 1}", str(100 + k), tokens[k], until, k)
                    for k in range(kiosks)]
            for s in sims:
                s.start()
            for s in sims:
                s.join(seconds + 60)
        finally:
            server.stop()
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM ticket")).scalar_one()
            breaks = conn.execute(text("SELECT count(*) FROM chain_break")).scalar_one()
    finally:
        engine.dispose()
        cleanup()
    latencies = sorted(x for s in sims for x in s.latencies)
    errors = [e for s in sims for e in s.errors]
    acknowledged = sum(s.sent for s in sims)
    if stored != acknowledged or breaks:
        errors.append(f"{stored} tickets stockés pour {acknowledged} accusés, {breaks} ruptures")
    for e in errors[:5]:
        log(f"erreur : {e}")
    return {
        "sync_load_errors": len(errors),
        "sync_load_p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1) if latencies else 0,
        "sync_load_median_ms": round(1000 * statistics.median(latencies), 1) if latencies else 0,
        "sync_load_pushes": len(latencies), "sync_load_tickets": stored, "sync_load_kiosks": kiosks,
    }


def main(argv=None) -> int:
    from . import report

    ap = argparse.ArgumentParser(prog="python -m bench.sync_load", description=__doc__.splitlines()[0])
    ap.add_argument("--kiosks", type=int, default=KIOSKS)
    ap.add_argument("--seconds", type=float, default=SECONDS)
    args = ap.parse_args(argv)
    report.TARGETS.update(TARGETS)
    report.LABELS.update(LABELS)
    figures = run(args.kiosks, args.seconds, lambda m: print(f"[bench] {m}", file=sys.stderr, flush=True))
    report.print_table(report.with_targets(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
