"""The back office's reference data applied to a kiosk's store (sync.reference_pull): operators,
customers, pricelists and promotions, each batch and its cursor in one transaction, so a kiosk that
stops mid-way starts again from what it has. The latest version of a record replaces the kiosk's."""
from __future__ import annotations

import sqlite3

from commerce.errors import CommerceError
from commerce.operators import ROLES
from commerce.pricing import Customer, Pricelist, Promotion

from . import accounts, operators_store

CURSOR_KEY = "reference_cursor"


def cursor(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (CURSOR_KEY,)).fetchone()
    return row[0] if row else "0"


def _operator(conn, p: dict) -> None:
    if p.get("role") not in ROLES:
        raise CommerceError(f"opérateur {p.get('id')} : rôle « {p.get('role')} » inconnu")
    taken = conn.execute("SELECT id FROM operator WHERE badge = ? AND id != ?", (p["badge"], p["id"])).fetchone()
    if taken:
        raise CommerceError(f"opérateur {p['id']} : badge {p['badge']} déjà celui de « {taken[0]} » sur ce kiosque")
    conn.execute("INSERT INTO operator(id, name, role, badge, pin_hash, active, created_at) "
                 "VALUES (?,?,?,?,?,?, strftime('%Y-%m-%dT%H:%M:%S','now','localtime')) "
                 "ON CONFLICT(id) DO UPDATE SET name = excluded.name, role = excluded.role, badge = excluded.badge, "
                 "pin_hash = excluded.pin_hash, active = excluded.active",
                 (p["id"], p["name"], p["role"], p["badge"], p["pin_hash"], int(bool(p.get("active", True)))))


def apply(conn: sqlite3.Connection, records: list[dict], new_cursor: str) -> int:
    """Store a batch of records and the cursor it reaches, all or nothing. Returns how many."""
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        operators_store.ensure_schema(conn)
        for r in records:
            kind, p = r["kind"], r["payload"]
            if kind == "operator":
                _operator(conn, p)
            elif kind == "customer":
                accounts.save_customer(conn, Customer(p["card"], p["name"], p.get("group", "")))
            elif kind == "pricelist":
                accounts.save_pricelist(conn, Pricelist(p["group"], p["label"], p.get("percent_bp", 0),
                                                        p.get("prices") or {}))
            elif kind == "promotion":
                accounts.save_promotion(conn, Promotion(p["code"], p["label"], frozenset(p["gtins"]), p["n"],
                                                        p.get("percent_bp", 0), p.get("bundle_price", 0)))
            # another kind is for a newer kiosk: skipped, the cursor still moves past it
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (CURSOR_KEY, str(new_cursor)))
    return len(records)


def refresh(store, base_url: str, token: str) -> int:
    """Pull what the back office published since this kiosk's cursor (PushError when it is away)."""
    from sync.reference_pull import pull_reference
    return pull_reference(base_url, token, cursor(store.conn), lambda recs, c: apply(store.conn, recs, c))
