"""Scan to ticket line: RegisterService.scan (parse_gtin -> store.product -> ticket.add, then the
ticket total) against a raw indexed lookup on a plain sqlite3 connection to the same file.

Both are timed call by call with perf_counter_ns on the same codes, in rounds whose order
alternates (raw first, then scan first, ...) so neither side always finds the OS cache warmer.
"""
from __future__ import annotations

import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from commerce.gtin import parse_gtin
from commerce.ticket import Ticket
from drivers.printer import make_printer
from kiosk.register_service import RegisterService
from kiosk.store import KioskStore

RAW_SQL = "SELECT gtin13, name, price, vat_bp, category FROM product WHERE gtin13 = ?"
TICKET_SIZE = 50


def _time_raw(conn: sqlite3.Connection, codes: list[str], out: list[int]) -> None:
    ns = time.perf_counter_ns
    for code in codes:
        t0 = ns()
        row = conn.execute(RAW_SQL, (code,)).fetchone()
        t1 = ns()
        if row is None:
            raise RuntimeError(f"code {code} absent de la base")
        out.append(t1 - t0)


def _time_scan(service: RegisterService, codes: list[str], out: list[int]) -> None:
    ns = time.perf_counter_ns
    for i, code in enumerate(codes):
        if i % TICKET_SIZE == 0:
            service.ticket, service.selected = Ticket(), None
        t0 = ns()
        feedback = service.scan(code)
        total = service.ticket.total
        t1 = ns()
        if feedback.level != "info" or total <= 0:
            raise RuntimeError(f"scan {code} refusé : {feedback.message}")
        out.append(t1 - t0)


def _time_parts(store: KioskStore, codes: list[str]) -> tuple[list[int], list[int]]:
    """Where a scan's time goes: parse_gtin alone, store.product alone (diagnostic figures)."""
    ns = time.perf_counter_ns
    parse, lookup = [], []
    for code in codes:
        t0 = ns()
        g = parse_gtin(code)
        t1 = ns()
        store.product(g.gtin13)
        t2 = ns()
        parse.append(t1 - t0)
        lookup.append(t2 - t1)
    return parse, lookup


def run(db: Path, codes: list[str], rounds: int) -> dict:
    raw_conn = sqlite3.connect(db)
    store = KioskStore(db)
    with tempfile.TemporaryDirectory(prefix="comptoir-bench-") as tmp:
        printer = make_printer({"backend": "sim", "out_dir": tmp})  # a scan never prints
        service = RegisterService(store, printer, register="bench", cashier="Banc d'essai")
        try:
            # warm-up: both connections, all codes (pages into the OS cache, statements prepared)
            _time_raw(raw_conn, codes, [])
            _time_scan(service, codes, [])
            raw, scan = [], []
            rng = random.Random(11)
            for r in range(rounds):
                order = codes[:]
                rng.shuffle(order)
                if r % 2 == 0:
                    _time_raw(raw_conn, order, raw)
                    _time_scan(service, order, scan)
                else:
                    _time_scan(service, order, scan)
                    _time_raw(raw_conn, order, raw)
            parse, lookup = _time_parts(store, codes)
        finally:
            store.close()
            raw_conn.close()
    raw_med = statistics.median(raw) / 1000
    scan_med = statistics.median(scan) / 1000
    return {
        "scan_to_line_ratio": round(scan_med / raw_med, 2),
        "scan_to_line_median_us": round(scan_med, 2),
        "scan_to_line_p99_us": round(_quantile(scan, 0.99) / 1000, 2),
        "sqlite_lookup_median_us": round(raw_med, 2),
        "sqlite_lookup_p99_us": round(_quantile(raw, 0.99) / 1000, 2),
        "parse_gtin_median_us": round(statistics.median(parse) / 1000, 2),
        "store_product_median_us": round(statistics.median(lookup) / 1000, 2),
        "scan_samples": len(scan),
    }


def time_product_count(db: Path, repeat: int) -> float:
    """Median ms of KioskStore.product_count(): what the register's state file write costs (diagnostic)."""
    store = KioskStore(db)
    try:
        store.product_count()
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            store.product_count()
            times.append(time.perf_counter() - t0)
    finally:
        store.close()
    return round(statistics.median(times) * 1000, 2)


def _quantile(values: list[int], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]
