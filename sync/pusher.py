"""Pushes the kiosk outbox to the back office in batches; marks records sent only after the ack."""
from __future__ import annotations

import json
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from typing import Optional

from . import outbox
from .wire import VERSION

BATCH = 200


class PushError(Exception):
    pass


def post_json(url: str, body: dict, token: str, timeout: float = 10.0) -> dict:
    data = json.dumps(body, ensure_ascii=False).encode()
    req = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as e:
        detail = e.read().decode(errors="replace")[:300]
        raise PushError(f"le back-office a refusé l'envoi ({e.code}) : {detail}") from None
    except (urllib.error.URLError, OSError) as e:
        raise PushError(f"back-office injoignable ({getattr(e, 'reason', e)})") from None


class Pusher:
    """Background sender. `kick()` after each sale; retries with backoff when offline."""

    def __init__(self, db_path: str, base_url: str, device: str, token: str):
        self.db_path = db_path
        self.url = base_url.rstrip("/") + "/api/v1/sync/batch"
        self.device = device
        self.token = token
        self.last_success: Optional[datetime] = None
        self.last_error: Optional[str] = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def push_once(self) -> int:
        """Send everything waiting; returns how many records the back office acknowledged."""
        conn = sqlite3.connect(self.db_path, timeout=10)
        try:
            done = 0
            while True:
                records = outbox.pending(conn, BATCH)
                if not records:
                    return done
                ack = post_json(self.url, {"version": VERSION, "device": self.device, "records": records},
                                self.token)
                seqs = [int(s) for s in ack.get("accepted", []) + ack.get("duplicates", [])]
                outbox.mark_sent(conn, seqs)
                self.last_success, self.last_error = datetime.now(), None
                done += len(seqs)
                if not seqs:
                    raise PushError("le back-office n'a accusé réception d'aucun enregistrement")
        finally:
            conn.close()

    def status(self) -> dict:
        conn = sqlite3.connect(self.db_path, timeout=10)
        try:
            waiting, sent = outbox.counts(conn)
        finally:
            conn.close()
        return {"waiting": waiting, "sent": sent, "last_error": self.last_error,
                "last_success": self.last_success.isoformat(timespec="seconds") if self.last_success else None}

    def kick(self) -> None:
        self._wake.set()

    def start(self, interval: float = 5.0) -> None:
        def run():
            delay = interval
            while not self._stop.is_set():
                try:
                    self.push_once()
                    delay = interval
                except PushError as e:
                    self.last_error = str(e)
                    delay = min(delay * 2, 60.0)  # back off while the back office is away
                self._wake.wait(delay)
                self._wake.clear()

        self._thread = threading.Thread(target=run, name="pusher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)
