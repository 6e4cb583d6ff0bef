"""The kiosk outbox: every validated record enters it in the same transaction that records it.

Works on the kiosk's sqlite3 connection; the caller owns the transaction.
"""
from __future__ import annotations

import json
import sqlite3

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


def counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """(waiting, sent)."""
    waiting, total = conn.execute("SELECT count(*) FILTER (WHERE sent_at IS NULL), count(*) FROM outbox").fetchone()
    return waiting, total - waiting
