"""Operators (opérateurs) kept in the kiosk's SQLite store, and the sign-in history read back.

Works on the kiosk's sqlite3 connection (isolation_level=None, as kiosk.store opens it), like
kiosk.journal does. The rules live in commerce.operators; this module only stores and loads.

Operators are configuration, not fiscal records: a row may be updated (deactivated, a new PIN, a
PIN re-hashed with more iterations) and is never chained. Only the PIN's salted hash is stored.

Sign-in history (what commerce.operators.throttle needs) is read from the chained technical events
journal (kiosk.journal), not from a table of its own: every sign-in, failure and refused approval
is journaled anyway (the law wants failed sign-ins there), the journal survives a restart of the
kiosk, and its rows cannot be deleted (triggers) without `comptoir fiscal verify` seeing a break,
so a student cannot reset the wait by restarting the kiosk or by emptying a side table. Only the
rows the throttle can use are loaded: the guesses of the last REGISTER_WINDOW, and one operator's
rows since their last successful sign-in.

Journal timestamps are whole seconds, naive local time (kiosk.journal); the history is returned
with those times, so the sign-in service works in whole seconds too.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Optional

from commerce.errors import CommerceError
from commerce.operators import (APPROVAL_REFUSED, REGISTER_WINDOW, ROLES, SIGN_IN, SIGN_IN_FAILED,
                                DEMO_OPERATORS, Event, Operator, check_unique,
                                demo_class)

# Executed statement by statement (never executescript, which would commit a caller's transaction).
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS operator (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('cashier', 'manager')),
        badge TEXT NOT NULL UNIQUE,       -- 13-digit EAN-13 badge key, leading zeros kept
        pin_hash TEXT NOT NULL,           -- pbkdf2_sha256$iterations$salt$hash; never the PIN
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    )""",
    # The throttle reads one operator's sign-in rows: keep that cheap as the journal grows.
    "CREATE INDEX IF NOT EXISTS journal_by_operator ON journal(operator, kind, created_at)",
    "CREATE INDEX IF NOT EXISTS journal_by_time ON journal(created_at)",
)
# Journal kinds the throttle reads (commerce.operators: successes reset, failures count).
HISTORY_KINDS = (SIGN_IN, SIGN_IN_FAILED, APPROVAL_REFUSED)
NO_OPERATOR = ""  # journal.operator is NOT NULL: an unknown badge or operator is stored as ""

_COLUMNS = "id, name, role, badge, pin_hash, active"


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the operator table (and the journal indexes) if missing. Safe inside a transaction."""
    for statement in SCHEMA:
        conn.execute(statement)


def _operator(row) -> Operator:
    i, name, role, badge, pin_hash, active = row
    return Operator(id=i, name=name, role=role, badge=badge, pin_hash=pin_hash, active=bool(active))


def operators(conn: sqlite3.Connection, *, active_only: bool = False) -> list[Operator]:
    """Every operator, managers then students, by name."""
    ensure_schema(conn)
    where = "WHERE active = 1 " if active_only else ""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM operator {where}"
                        "ORDER BY role = 'cashier', name, id").fetchall()
    return [_operator(r) for r in rows]


def get(conn: sqlite3.Connection, operator_id: str) -> Optional[Operator]:
    ensure_schema(conn)
    row = conn.execute(f"SELECT {_COLUMNS} FROM operator WHERE id = ?", (operator_id,)).fetchone()
    return _operator(row) if row else None


def _insert(conn: sqlite3.Connection, op: Operator, now: datetime) -> None:
    conn.execute(f"INSERT INTO operator({_COLUMNS}, created_at) VALUES (?,?,?,?,?,?,?)",
                 (op.id, op.name, op.role, op.badge, op.pin_hash, int(op.active),
                  now.replace(microsecond=0).isoformat()))


def add(conn: sqlite3.Connection, op: Operator, now: Optional[datetime] = None) -> Operator:
    """Store a new operator (made by commerce.operators.create_operator). Refuses, in French, an id
    or a badge already taken."""
    if op.role not in ROLES:
        raise CommerceError(f"rôle « {op.role} » refusé")
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        ensure_schema(conn)
        existing = [_operator(r) for r in conn.execute(
            f"SELECT {_COLUMNS} FROM operator WHERE id = ? OR badge = ?", (op.id, op.badge))]
        check_unique(existing + [op])  # "identifiant « x » en double (A et B)" / "badge … en double"
        _insert(conn, op, now or datetime.now())
    return op


def set_active(conn: sqlite3.Connection, operator_id: str, active: bool) -> Operator:
    """Deactivate (or reactivate) an operator: their badge and PIN are then refused."""
    return _update(conn, operator_id, "active = ?", int(bool(active)))


def set_pin_hash(conn: sqlite3.Connection, operator_id: str, pin_hash: str) -> Operator:
    """Replace the stored PIN hash (a new PIN, see commerce.operators.with_pin, or a re-hash)."""
    return _update(conn, operator_id, "pin_hash = ?", pin_hash)


def _update(conn: sqlite3.Connection, operator_id: str, assignment: str, value) -> Operator:
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        ensure_schema(conn)
        if conn.execute(f"UPDATE operator SET {assignment} WHERE id = ?", (value, operator_id)).rowcount != 1:
            raise CommerceError(f"opérateur « {operator_id} » inconnu")
    return get(conn, operator_id)


def ensure_demo(conn: sqlite3.Connection, now: Optional[datetime] = None) -> list[Operator]:
    """Add the demo class (commerce.operators.demo_class: 5 students, 1 teacher) where missing.

    Idempotent: an operator whose id is already stored is left as it is (its PIN is not reset).
    Returns the operators added (empty the second time)."""
    ensure_schema(conn)
    have = {r[0] for r in conn.execute("SELECT id FROM operator")}
    if {row[0] for row in DEMO_OPERATORS} <= have:
        return []  # nothing to hash
    added = []
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        have = {r[0] for r in conn.execute("SELECT id FROM operator")}
        badges = {r[0]: r[1] for r in conn.execute("SELECT badge, id FROM operator")}
        for op in demo_class():
            if op.id in have:
                continue
            if op.badge in badges:
                raise CommerceError(f"badge de démonstration {op.badge} ({op.name}) déjà donné à "
                                    f"« {badges[op.badge]} »")
            _insert(conn, op, now or datetime.now())
            added.append(op)
    return added


def ensure_demo_operators(store, now: Optional[datetime] = None) -> list[Operator]:
    """The headless demo's setup: the demo class in a kiosk.store.KioskStore (idempotent)."""
    return ensure_demo(store.conn, now)


# -- sign-in history, from the chained journal ---------------------------------------------------

def local_seconds(moment: datetime) -> datetime:
    """Naive local time, whole seconds (how the journal stores its timestamps)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone().replace(tzinfo=None)
    return moment.replace(microsecond=0)


def sign_in_history(conn: sqlite3.Connection, now: datetime,
                    operator_id: Optional[str] = None) -> list[Event]:
    """The journal's sign-in events the throttle needs, oldest first, as commerce Events:
    every register's sign-ins, failures and refused approvals of the last REGISTER_WINDOW, and, for
    `operator_id`, theirs since their last successful sign-in (on any register of this store)."""
    ensure_schema(conn)
    kinds = ",".join("?" * len(HISTORY_KINDS))
    since = local_seconds(now - REGISTER_WINDOW).isoformat()
    rows = set(conn.execute(
        f"SELECT register, number, created_at, operator, kind, details FROM journal "
        f"WHERE created_at > ? AND kind IN ({kinds})", (since, *HISTORY_KINDS)).fetchall())
    if operator_id:
        last = conn.execute("SELECT max(created_at) FROM journal WHERE operator = ? AND kind = ?",
                            (operator_id, SIGN_IN)).fetchone()[0]
        rows |= set(conn.execute(
            f"SELECT register, number, created_at, operator, kind, details FROM journal "
            f"WHERE operator = ? AND kind IN ({kinds}) AND created_at >= ?",
            (operator_id, *HISTORY_KINDS, last or "")).fetchall())
    events = []
    for register, number, created_at, operator, kind, details in sorted(rows, key=lambda r: (r[2], r[0], r[1])):
        events.append(Event(kind, operator or None, register, local_seconds(datetime.fromisoformat(created_at)),
                            json.loads(details)))
    return events
