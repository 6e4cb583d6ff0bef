"""Pushes the kiosk outbox to the back office in batches; marks records sent only after the ack.

The back office answers each batch with the seqs it holds (accepted or duplicates): only those are
marked sent. If it says seqs are missing, they are queued again and sent first. While it cannot be
reached, the background loop waits longer and longer between tries (``Backoff``); sales go on and
wait in the outbox. The register screen calls ``Pusher.status()`` (or ``outbox.status(conn)``):
what is waiting, since when, the last success and the last error, kept in the kiosk's database.
"""
from __future__ import annotations

import json
import random
import sqlite3
import threading
from datetime import datetime
from typing import Callable, Optional

from . import outbox
from .wire import VERSION

BATCH = 200


class PushError(Exception):
    """A push that did not go through; str() is French. ``status``: the HTTP status, if there was one."""

    def __init__(self, message: str, status: Optional[int] = None):
        super().__init__(message)
        self.status = status


def post_json(url: str, body: dict, token: str, timeout: float = 10.0) -> dict:
    import urllib.error  # imported at the first push: the register window opens without it
    import urllib.request

    data = json.dumps(body, ensure_ascii=False).encode()
    req = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as e:
        detail = e.read().decode(errors="replace")[:300]
        raise PushError(f"le back-office a refusé l'envoi ({e.code}) : {detail}", e.code) from None
    except (urllib.error.URLError, OSError, ValueError) as e:  # ValueError: an answer cut short
        raise PushError(f"back-office injoignable ({getattr(e, 'reason', e)})") from None


class Backoff:
    """Waits between tries while the back office is away: base, 2 × base, 4 × base… up to ``cap``
    seconds, each drawn between half and all of it, so that kiosks coming back together spread out."""

    def __init__(self, base: float = 1.0, cap: float = 60.0, rng: Callable[[], float] = random.random):
        self.base, self.cap, self.rng = base, cap, rng
        self.failures = 0

    def failure(self) -> float:
        """One more failed try: how long to wait before the next."""
        delay = min(self.cap, self.base * 2 ** self.failures)
        self.failures += 1
        return delay / 2 + self.rng() * delay / 2

    def success(self) -> None:
        self.failures = 0


class Pusher:
    """Background sender. `kick()` after each sale; retries with backoff when offline."""

    def __init__(self, db_path: str, base_url: str, device: str, token: str, *, batch: int = BATCH,
                 timeout: float = 10.0, backoff: Optional[Backoff] = None):
        self.db_path = db_path
        self.url = base_url.rstrip("/") + "/api/v1/sync/batch"
        self.device = device
        self.token = token
        self.batch = batch
        self.timeout = timeout
        self.backoff = backoff or Backoff()
        self.last_success: Optional[datetime] = None
        self.last_error: Optional[str] = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def push_once(self, heartbeat: bool = False) -> int:
        """Send everything waiting; returns how many records the back office acknowledged.

        ``heartbeat``: with nothing to send, still tell the back office this kiosk is alive and up to date.
        """
        conn = sqlite3.connect(self.db_path, timeout=10)
        try:
            return self._push(conn, heartbeat)
        except PushError as e:
            self.last_error = str(e)
            outbox.note(conn, last_error=self.last_error)
            raise
        finally:
            conn.close()

    def _push(self, conn: sqlite3.Connection, heartbeat: bool) -> int:
        done, limit, asked = 0, self.batch, set()
        while True:
            records = outbox.pending(conn, limit)
            if not records and not (heartbeat and done == 0):
                return done
            heartbeat = False
            body = {"version": VERSION, "device": self.device, "head_seq": outbox.head_seq(conn), "records": records}
            try:
                ack = post_json(self.url, body, self.token, self.timeout)
            except PushError as e:
                if e.status == 413 and limit > 1:  # records too big for one batch: fewer at a time
                    limit = max(1, limit // 2)
                    continue
                raise
            sent = {r["seq"] for r in records}
            seqs = [s for s in ack.get("accepted", []) + ack.get("duplicates", []) if s in sent]
            outbox.mark_sent(conn, seqs)
            done += len(seqs)
            self.last_success, self.last_error = datetime.now().replace(microsecond=0), None
            outbox.note(conn, last_success=self.last_success.isoformat(), last_error=None)
            missing = ack.get("missing")
            if missing:
                span = (int(missing["from"]), int(missing["to"]))
                if span in asked or outbox.requeue(conn, *span) == 0:
                    raise PushError(f"le back-office attend les envois n° {span[0]} à {span[1]}, que cette caisse "
                                    "n'a pas : prévenir le professeur (base de la caisse remplacée ?)")
                asked.add(span)
                continue
            if records and not seqs:
                raise PushError("le back-office n'a accusé réception d'aucun enregistrement")

    def status(self) -> dict:
        """For the register screen: {"waiting", "sent", "oldest_waiting", "last_success", "last_error"}
        (see sync.outbox.status), read from the kiosk's database."""
        conn = sqlite3.connect(self.db_path, timeout=10)
        try:
            return outbox.status(conn)
        finally:
            conn.close()

    def kick(self) -> None:
        """A new record: send it now, unless the loop is waiting out a failure."""
        if self.backoff.failures == 0:
            self._wake.set()

    def start(self, interval: float = 5.0) -> None:
        def run():
            while not self._stop.is_set():
                try:
                    self.push_once(heartbeat=True)
                    self.backoff.success()
                    self._wake.wait(interval)
                except PushError:
                    self._stop.wait(self.backoff.failure())  # a sale does not cut the wait short
                except Exception as e:  # the loop must outlive a surprise (a locked database…)
                    self.last_error = f"erreur inattendue : {type(e).__name__}: {e}"
                    self._stop.wait(self.backoff.failure())
                self._wake.clear()

        self._thread = threading.Thread(target=run, name="pusher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)
