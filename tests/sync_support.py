"""Helpers for the sync tests: tickets sealed as a kiosk seals them, row counts, a back office in a thread."""
from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request

from sqlalchemy import func, select

from backoffice.db import chain_break, payment, sync_record, ticket, ticket_line, ticket_vat
from commerce import fiscal
from sync.wire import ticket_to_wire

TABLES = (ticket, ticket_line, ticket_vat, payment, sync_record, chain_break)


def sealed(tickets, start: str = fiscal.GENESIS) -> list[dict]:
    """Wire payloads carrying the kiosk's seal (prev_hash, hash), chained in the given order."""
    out, prev = [], start
    for t in tickets:
        digest = fiscal.chain_hash(prev, fiscal.canonical_ticket(fiscal.fiscal_ticket(t)))
        out.append(ticket_to_wire(t, prev_hash=prev, hash=digest))
        prev = digest
    return out


def batch_of(payloads, first_seq: int = 1, device: str | None = "caisse-1", **extra) -> dict:
    body = {"version": 1, "records": [{"seq": first_seq + i, "kind": "ticket", "id": p["id"], "payload": p}
                                      for i, p in enumerate(payloads)], **extra}
    if device is not None:
        body["device"] = device
    return body


def row_counts(engine) -> dict:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThreadedBackOffice:
    """The real app under uvicorn in a thread, on a free port; stop() then start() again restarts it on
    the same port (a back office down for a while)."""

    def __init__(self, app, port: int | None = None):
        self.app = app
        self.port = port or free_port()
        self.server = self.thread = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ThreadedBackOffice":
        import uvicorn
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("le back-office de test n'a pas démarré")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "le back-office de test ne s'est pas arrêté"

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(self.url + path, timeout=10) as resp:
            return json.loads(resp.read())
