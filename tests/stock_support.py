"""Shared setup for the stockroom tests: a kiosk store holding the bundled demo catalogue (real
products and barcodes), the demo class with cheap PIN hashes, and a printer that keeps its jobs."""
from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from commerce.catalogue import parse_rows
from commerce.operators import demo_class
from commerce.receipt import receipt_text
from kiosk.store import KioskStore

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "comptoir" / "data" / "demo-catalogue.csv"

# Real products of comptoir/data/demo-catalogue.csv (prices are the catalogue's, in cents).
CROC = "3292590049201"       # Croc citron, 3,59 €
FUSEE = "3292590050511"      # Fusée cola citron, 1,19 €
LENTILLES = "3297131001021"  # Lentilles grises 2 Kg, 2,99 €
COMPOTE = "3297760019947"    # Compote pomme clementine, 0,79 €
RIZ = "3297135107071"        # Riz basmati grain long 5 Kg, 7,79 €
JUS = "3297380100018"        # Pur Jus Ananas Victoria 75 cl - Albius, 3,99 €
PROF_BADGE, LEA_BADGE = "0400000000992", "0400000000015"
T0 = datetime(2025, 3, 14, 9, 30, 0)


def open_store(path) -> KioskStore:
    store = KioskStore(path)
    if store.product_count() == 0:
        with CATALOGUE.open(encoding="utf-8") as f:
            products = [p for p in parse_rows(csv.DictReader(f)) if not hasattr(p, "reason")]
        store.upsert_products(products)
        for op in demo_class(iterations=1_000):
            store.add_operator(op, now=T0)
    return store


class Printer:
    """Keeps every job's blocks; `fail` makes the next jobs raise like an offline printer."""

    columns = 42

    def __init__(self):
        self.jobs: list[list] = []
        self.fail = ""

    def print_job(self, blocks):
        if self.fail:
            raise RuntimeError(self.fail)
        self.jobs.append(list(blocks))

    @property
    def last_text(self) -> str:
        return receipt_text(self.jobs[-1])


class Clock:
    """A settable clock for the service (whole seconds)."""

    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header] + rows) + "\n", encoding="utf-8")
    return path
