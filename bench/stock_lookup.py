"""Stock on hand: StockStore.on_hand (one product, summed over its sellable locations) on a kiosk
store holding 1,000,000 stock moves over 100,000 products, against a raw indexed SQLite lookup of
the same rows (the product's stock_level rows) on a plain sqlite3 connection, in the same run.

Diagnostic figure: the same stock summed from the ledger itself (stock_move, indexed by product),
what every read would cost without the stock_level table kept in the moves' transaction.

The store is built once through the store's own write path (kiosk.stock_store.write_moves, in big
transactions) and cached under var/bench/. Each product gets ten moves (reception, put-away, six
sales, a scrap, a count adjustment), interleaved across products as days would interleave them.
Timing: call by call with perf_counter_ns on the same shuffled codes, rounds alternating which
side goes first; medians.
"""
from __future__ import annotations

import random
import sqlite3
import statistics
import time
from pathlib import Path

from commerce import stock
from commerce.gtin import check_digit
from commerce.stock import Move
from kiosk.stock_store import StockStore, write_moves
from kiosk.store import KioskStore

TARGETS = {"stock_lookup_ratio": ("≤", 2.0, "stock d'un article (StockStore.on_hand) / lecture SQLite indexée "
                                             "de ses lignes, 1 000 000 mouvements")}
LABELS = {"stock_lookup_median_us": "µs, médiane", "stock_raw_lookup_median_us": "µs, médiane (référence)",
          "stock_from_moves_median_us": "µs, médiane (diagnostic : somme des mouvements)",
          "stock_moves": "mouvements dans la base", "stock_products": "articles",
          "stock_build_s": "s (0 = base en cache)"}
PRODUCTS = 100_000
MOVES_PER_PRODUCT = 10
BENCH_DIR = Path(__file__).resolve().parent.parent / "var" / "bench"
RAW_SQL = "SELECT location, qty FROM stock_level WHERE gtin13 = ?"
LEDGER_SQL = ("SELECT coalesce(sum(CASE WHEN dest IN ('RESERVE', 'RAYON') THEN qty END), 0) "
              "- coalesce(sum(CASE WHEN source IN ('RESERVE', 'RAYON') THEN qty END), 0) "
              "FROM stock_move WHERE gtin13 = ?")


def codes(n: int) -> list[str]:
    rng = random.Random(6)
    return [str(b) + check_digit(str(b)) for b in sorted(rng.sample(range(300_000_000_000, 380_000_000_000), n))]


def day_moves(gtin: str, step: int) -> Move:
    """The step-th move of a product's life in the shop (10 steps)."""
    R, S = stock.RESERVE, stock.SHELF
    if step == 0:
        return Move(stock.RECEPTION, gtin, 24, stock.SUPPLIER, R, "", 180, None)
    if step == 1:
        return Move(stock.TRANSFER, gtin, 12, R, S, "rangement")
    if step <= 7:
        return Move(stock.SALE, gtin, 1, S, stock.CUSTOMER, "", None, 359)
    if step == 8:
        return Move(stock.SCRAP_MOVE, gtin, 1, S, stock.SCRAP, "damaged", 180, 359)
    return Move(stock.ADJUSTMENT, gtin, 1, S, stock.INVENTORY, "inventaire n° 1 : écart -1")


def build(n: int = PRODUCTS, log=lambda m: None) -> tuple[Path, float]:
    path = BENCH_DIR / f"stock-{n}x{MOVES_PER_PRODUCT}.db"
    if path.exists():
        return path, 0.0
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    log(f"construction de {n * MOVES_PER_PRODUCT:,} mouvements sur {n:,} articles dans {path}")
    t0 = time.perf_counter()
    store = KioskStore(tmp)
    StockStore(store.conn)
    gtins = codes(n)
    for step in range(MOVES_PER_PRODUCT):  # one day per step, every product moves once a day
        with store.conn:
            store.conn.execute("BEGIN IMMEDIATE")
            for start in range(0, n, 50):  # one operation per 50 moves, as a busy day's tickets would be
                batch = [day_moves(g, step) for g in gtins[start:start + 50]]
                write_moves(store.conn, batch, ref=f"bench-{step}-{start}", operator="bench")
        log(f"  jour {step + 1}/{MOVES_PER_PRODUCT}")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    tmp.rename(path)
    return path, time.perf_counter() - t0


def _time(fn, sample: list[str], out: list[int]) -> None:
    ns = time.perf_counter_ns
    for g in sample:
        t0 = ns()
        fn(g)
        out.append(ns() - t0)


def run(rounds: int = 5, log=lambda m: None, n: int = PRODUCTS, sample_size: int = 5000) -> dict:
    path, build_s = build(n, log)
    raw_conn = sqlite3.connect(str(path))
    store = KioskStore(path)
    st = StockStore(store.conn)
    try:
        moves = raw_conn.execute("SELECT count(*) FROM stock_move").fetchone()[0]
        sample = random.Random(7).sample(codes(n), min(sample_size, n))
        for g in sample[:200]:  # the figure must be the ledger's: 24 received - 6 sold - 1 scrapped - 1 counted
            if not st.on_hand(g) == raw_conn.execute(LEDGER_SQL, (g,)).fetchone()[0] == 16:
                raise RuntimeError(f"banc stock : le stock de {g} ne correspond pas à ses mouvements")

        def raw(g):
            return raw_conn.execute(RAW_SQL, (g,)).fetchall()

        def ledger(g):
            return raw_conn.execute(LEDGER_SQL, (g,)).fetchone()

        _time(raw, sample, [])  # warm-up: pages into the cache, statements prepared
        _time(st.on_hand, sample, [])
        ours, base, from_moves = [], [], []
        rng = random.Random(11)
        for r in range(rounds):
            order = sample[:]
            rng.shuffle(order)
            pair = ((raw, base), (st.on_hand, ours))
            for fn, out in (pair if r % 2 == 0 else pair[::-1]):
                _time(fn, order, out)
        _time(ledger, sample, [])
        _time(ledger, sample, from_moves)
    finally:
        store.close()
        raw_conn.close()
    ours_us, base_us = statistics.median(ours) / 1000, statistics.median(base) / 1000
    return {
        "stock_lookup_ratio": round(ours_us / base_us, 2),
        "stock_lookup_median_us": round(ours_us, 2),
        "stock_raw_lookup_median_us": round(base_us, 2),
        "stock_from_moves_median_us": round(statistics.median(from_moves) / 1000, 2),
        "stock_moves": moves,
        "stock_products": n,
        "stock_build_s": round(build_s, 1),
    }


if __name__ == "__main__":
    print(run(3, print))
