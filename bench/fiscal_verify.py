"""Fiscal chain verification: `comptoir fiscal verify`'s work (kiosk.fiscal_verify.verify) on a kiosk
store holding a chain of 100 000 tickets (3 lines, two VAT rates, one or two payments each, one ticket
in ten paid partly by a cheque with its reference), against plain hashlib SHA-256 chained over the same
canonical bytes (already in memory), in the same run.

Also measured, as a diagnostic: only reading the columns the verification recomputes the bytes from
(every row of ticket, ticket_line, ticket_vat and payment, nothing built, nothing hashed). It is the
floor of any verification that works from the columns with Python's sqlite3, and shows how much of the
ratio is reading. And the floor of any verification in one process: reading only the sealed canonical
copies (with their previous and own hashes) and hashing them, recomputing nothing from the columns
(`fiscal_floor_ratio`, a diagnostic: it is how the target compares with what SQLite and Python allow).

The store is built once through the store's own insert path (KioskStore._insert_sale, one big
transaction) and cached under var/bench/. Rounds alternate which side goes first; medians.
"""
from __future__ import annotations

import hashlib
import sqlite3
import statistics
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from commerce import fiscal
from commerce.catalogue import Product
from commerce.ticket import Payment, Ticket
from kiosk.fiscal_verify import TICKET_COLUMNS, verify
from kiosk.store import KioskStore

TARGETS = {"fiscal_verify_ratio": ("≤", 3.0, "vérification d'une chaîne de 100 000 tickets / SHA-256 seul "
                                              "sur les mêmes octets canoniques")}
LABELS = {"fiscal_verify_s": "s, médiane", "fiscal_sha256_s": "s, médiane (référence)",
          "fiscal_tickets": "tickets dans la chaîne", "fiscal_canonical_bytes": "octets canoniques par ticket, moyenne",
          "fiscal_build_s": "s (0 = base en cache)",
          "fiscal_read_s": "s, médiane (diagnostic : lecture seule des colonnes, sans rien construire ni hacher)",
          "fiscal_floor_ratio": "diagnostic : lire les copies scellées et les hacher, sans rien recalculer / SHA-256 seul"}
TICKETS = 100_000
BENCH_DIR = Path("var/bench")
ITEMS = (Product("3017620422003", "Pâte à tartiner noisettes 400 g", 459, 550),
         Product("3297560704173", "Jus d'orange mangue 1 L", 345, 1000),
         Product("3033490004743", "Crème brûlée × 4", 329, 550),
         Product("3292590049201", "Croc' citron — sachet", 250, 2000),
         Product("0697929110035", "Thé vert « bio »", 320, 550))


def build(n: int = TICKETS, log=lambda m: None) -> tuple[Path, float]:
    path = BENCH_DIR / f"fiscal-ref-{n}.db"  # "ref": with cheque references (older caches lack them)
    if path.exists():
        return path, 0.0
    tmp = path.with_suffix(".tmp")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    log(f"construction d'une chaîne de {n:,} tickets dans {path}")
    t0 = time.perf_counter()
    store = KioskStore(tmp)
    start, prev = datetime(2025, 1, 6, 9, 0), fiscal.GENESIS
    with store.conn:
        store.conn.execute("BEGIN IMMEDIATE")
        for i in range(n):
            t = Ticket()
            for k in range(3):
                t.add(ITEMS[(i + k) % len(ITEMS)], 1 + (i + k) % 3)
            if i % 4 == 0:
                t.pay_card(t.total // 2)
            elif i % 10 == 1:
                t.payments.append(Payment("cheque", t.total // 3, 0, f"CHQ-{i:07d}"))
            t.pay_cash(t.total - t.paid + (i % 7) * 10)
            v = t.validate(ticket_id=str(uuid.uuid4()), register="1", number=i + 1, cashier=f"Élève {i % 24 + 1}",
                           created_at=start + timedelta(seconds=37 * i))
            prev = store._insert_sale(v, None, prev)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    tmp.rename(path)
    return path, time.perf_counter() - t0


def _baseline(canonicals: list[bytes]) -> str:
    sha256, h = hashlib.sha256, bytes.fromhex(fiscal.GENESIS)
    for c in canonicals:
        h = sha256(h + c).digest()
    return h.hex()


READS = (f"SELECT {TICKET_COLUMNS} FROM ticket",
         "SELECT ticket_id, line_no, gtin13, ht, label, qty, total, unit_price, vat_bp FROM ticket_line",
         "SELECT ticket_id, rate_bp, ht, tva, ttc FROM ticket_vat",
         "SELECT ticket_id, line_no, method, amount, given, reference FROM payment")


def _read(conn: sqlite3.Connection) -> None:
    for sql in READS:
        for _ in conn.execute(sql):
            pass


def _floor(conn: sqlite3.Connection) -> int:
    """Read each ticket's sealed bytes with its hashes and check them, as cheaply as Python allows."""
    sha256, fromhex, bad = hashlib.sha256, bytes.fromhex, 0
    for prev, digest, canonical in conn.execute("SELECT prev_hash, hash, CAST(canonical AS BLOB) FROM ticket"):
        bad += sha256(fromhex(prev) + canonical).hexdigest() != digest
    return bad


def run(rounds: int = 5, log=lambda m: None) -> dict:
    path, build_s = build(TICKETS, log)
    conn = sqlite3.connect(str(path))
    canonicals = [c.encode("utf-8") for (c,) in conn.execute(
        "SELECT canonical FROM ticket WHERE register = '1' ORDER BY number")]
    last = conn.execute("SELECT hash FROM ticket WHERE register = '1' ORDER BY number DESC LIMIT 1").fetchone()[0]
    if _baseline(canonicals) != last:
        raise RuntimeError("banc fiscal : la référence ne retrouve pas la dernière empreinte de la chaîne")
    reports = verify(conn)  # warm the page cache; and the chain must be sound
    if not all(r.ok for r in reports) or sum(r.checked for r in reports) != TICKETS:
        raise RuntimeError(f"banc fiscal : la chaîne de référence ne se vérifie pas ({reports[:1]})")
    ours, base, read, floor = [], [], [], []
    for r in range(rounds):
        order = ((ours, lambda: verify(conn)), (base, lambda: _baseline(canonicals)), (read, lambda: _read(conn)),
                 (floor, lambda: _floor(conn)))
        for out, fn in (order if r % 2 == 0 else order[::-1]):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    conn.close()
    ours_s, base_s = statistics.median(ours), statistics.median(base)
    return {
        "fiscal_verify_ratio": round(ours_s / base_s, 2),
        "fiscal_verify_s": round(ours_s, 3),
        "fiscal_sha256_s": round(base_s, 3),
        "fiscal_tickets": TICKETS,
        "fiscal_canonical_bytes": round(sum(map(len, canonicals)) / len(canonicals)),
        "fiscal_build_s": round(build_s, 1),
        "fiscal_read_s": round(statistics.median(read), 3),
        "fiscal_floor_ratio": round(statistics.median(floor) / base_s, 2),
    }


if __name__ == "__main__":
    print(run(3, print))
