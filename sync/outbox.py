"""The kiosk outbox: every validated record enters it in the same transaction that records it.

Works on the kiosk's sqlite3 connection; the caller owns the transaction. ``seq`` is the record's
number in the device's sequence (1, 2, 3…, never reused): the back office applies a device's records
in that order and asks again for any it missed (``requeue``).

``outbox_state`` keeps the pusher's last success and last error, so that the register screen shows
them after a restart too (``status``).
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Optional

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,   -- per-device sequence, never reused
    kind TEXT NOT NULL,
    record_id TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(seq) WHERE sent_at IS NULL;
CREATE TABLE IF NOT EXISTS outbox_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def create(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)


def enqueue(conn: sqlite3.Connection, kind: str, record_id: str, payload: dict) -> int:
    cur = conn.execute("INSERT INTO outbox(kind, record_id, payload) VALUES (?,?,?)",
                       (kind, record_id, json.dumps(payload, ensure_ascii=False, separators=(",", ":"))))
    return cur.lastrowid


def pending(conn: sqlite3.Connection, limit: int = 200) -> list[dict]:
    rows = conn.execute("SELECT seq, kind, record_id, payload FROM outbox WHERE sent_at IS NULL "
                        "ORDER BY seq LIMIT ?", (limit,)).fetchall()
    return [{"seq": s, "kind": k, "id": rid, "payload": json.loads(p)} for s, k, rid, p in rows]


def mark_sent(conn: sqlite3.Connection, seqs: list[int]) -> None:
    with conn:
        conn.executemany("UPDATE outbox SET sent_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') "
                         "WHERE seq = ? AND sent_at IS NULL", [(s,) for s in seqs])


def requeue(conn: sqlite3.Connection, first: int, last: int) -> int:
    """The back office asked again for seqs first..last: send them again. Returns how many the kiosk has."""
    with conn:
        conn.execute("UPDATE outbox SET sent_at = NULL WHERE seq BETWEEN ? AND ?", (first, last))
        return conn.execute("SELECT count(*) FROM outbox WHERE seq BETWEEN ? AND ?", (first, last)).fetchone()[0]


def head_seq(conn: sqlite3.Connection) -> int:
    """The highest seq this kiosk holds, sent or not (0 when empty)."""
    return conn.execute("SELECT coalesce(max(seq), 0) FROM outbox").fetchone()[0]


def note(conn: sqlite3.Connection, **values: Optional[str]) -> None:
    """Remember pusher facts (last_success, last_error…); None forgets one."""
    with conn:
        for key, value in values.items():
            if value is None:
                conn.execute("DELETE FROM outbox_state WHERE key = ?", (key,))
            else:
                conn.execute("INSERT OR REPLACE INTO outbox_state(key, value) VALUES (?, ?)", (key, value))


def status(conn: sqlite3.Connection) -> dict:
    """What the register screen shows: {"waiting", "sent", "oldest_waiting", "last_success", "last_error"}.

    ``oldest_waiting`` is when the oldest record still to send was made, ``last_success`` when the back
    office last acknowledged a batch (ISO 8601 local time, or None), ``last_error`` the last failure
    since then, in French (None once a push succeeds).
    """
    waiting, sent = counts(conn)
    oldest = conn.execute("SELECT min(created_at) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
    state = dict(conn.execute("SELECT key, value FROM outbox_state").fetchall())
    return {"waiting": waiting, "sent": sent, "oldest_waiting": _local(oldest),
            "last_success": state.get("last_success"), "last_error": state.get("last_error")}


def _local(utc_text: Optional[str]) -> Optional[str]:
    """outbox.created_at is UTC ('…Z'): local time for the screen."""
    if not utc_text:
        return None
    return datetime.fromisoformat(utc_text.replace("Z", "+00:00")).astimezone().replace(tzinfo=None) \
        .isoformat(timespec="seconds")


def counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """(waiting, sent)."""
    waiting, total = conn.execute("SELECT count(*) FILTER (WHERE sent_at IS NULL), count(*) FROM outbox").fetchone()
    return waiting, total - waiting
