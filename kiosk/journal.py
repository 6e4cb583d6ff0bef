"""The technical events journal (journal des événements techniques, JET), chained per register.

Printer errors, reprints, drawer opened with no sale, closings, archives, failed sign-ins: each is a
row with a gap-free number per register, and hash = SHA-256(previous hash || canonical bytes)
(commerce.fiscal.canonical_event). Rows are never updated or deleted (triggers, kiosk.store).

Works on the kiosk's sqlite3 connection; the caller owns the transaction.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Mapping, Optional

from commerce import fiscal
from sync import outbox

# Event kinds the register writes (code names; the French wording is for screens and reports).
KINDS = {
    "printer_error": "erreur d'imprimante",
    "reprint": "réimpression (duplicata)",
    "drawer_no_sale": "ouverture du tiroir sans vente",
    "failed_sign_in": "échec de connexion",  # older name, unused: sign-in failures are "sign_in_failed"
    # who is at the register (commerce.operators event kinds, written by kiosk.signin_service)
    "sign_in": "connexion",
    "sign_in_failed": "échec de connexion",
    "sign_out": "déconnexion",
    "approval": "accord du professeur",
    "approval_refused": "accord refusé",
    "closing": "clôture",
    "archive": "archivage",
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    register TEXT NOT NULL,
    number INTEGER NOT NULL,          -- gap-free per register, from 1
    created_at TEXT NOT NULL,
    operator TEXT NOT NULL,
    kind TEXT NOT NULL,
    details TEXT NOT NULL,            -- canonical JSON (commerce.fiscal.details_json)
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    canonical TEXT,                   -- the bytes hashed, as sealed: tells which field changed (NULL before)
    PRIMARY KEY (register, number)
);
"""


def append(conn: sqlite3.Connection, kind: str, register: str, operator: str, details: Mapping,
           now: Optional[datetime] = None) -> fiscal.JournalEntry:
    """Number, chain and insert one event (inside the caller's transaction)."""
    last = conn.execute("SELECT number, hash FROM journal WHERE register = ? ORDER BY number DESC LIMIT 1",
                        (register,)).fetchone()
    number, prev_hash = (last[0] + 1, last[1]) if last else (1, fiscal.GENESIS)
    entry = fiscal.JournalEntry(register=register, number=number,
                                timestamp=(now or datetime.now()).replace(microsecond=0).isoformat(),
                                operator=operator, kind=kind, details=dict(details))
    canonical = fiscal.canonical_event(entry)
    digest = fiscal.chain_hash(prev_hash, canonical)
    conn.execute("INSERT INTO journal(register, number, created_at, operator, kind, details, prev_hash, hash, "
                 "canonical) VALUES (?,?,?,?,?,?,?,?,?)",
                 (register, number, entry.timestamp, operator, kind, fiscal.details_json(entry.details),
                  prev_hash, digest, canonical.decode("utf-8")))
    # To the back office in the same transaction, with its seal, so the teacher sees the journal too.
    outbox.enqueue(conn, "journal", f"journal:{register}:{number}",
                   {"register": register, "number": number, "timestamp": entry.timestamp, "operator": operator,
                    "kind": kind, "details": entry.details, "prev_hash": prev_hash, "hash": digest})
    return entry


def entries(conn: sqlite3.Connection, register: str) -> list[fiscal.JournalEntry]:
    rows = conn.execute("SELECT register, number, created_at, operator, kind, details FROM journal "
                        "WHERE register = ? ORDER BY number", (register,)).fetchall()
    return [fiscal.JournalEntry(r, n, ts, op, kind, json.loads(details)) for r, n, ts, op, kind, details in rows]
