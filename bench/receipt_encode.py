"""Receipt encoding: a 100-line receipt through our layout (commerce.receipt) and our ESC/POS
encoder (profile generic-80: PC858 code page, accents and €, a Code128 barcode, the cut), against
python-escpos' Dummy printer given the same 100 lines as plain text, in the same run.

Rounds alternate which side goes first; each side's figure is the median of its rounds.
"""
from __future__ import annotations

import statistics
import time
from datetime import datetime

from commerce.catalogue import Product
from commerce.receipt import Text, build_receipt
from commerce.ticket import Ticket
from drivers.printer.escpos_encode import encode_job
from drivers.printer.profiles import get_profile

TARGETS = {"receipt_encode_ratio": ("≤", 2.0, "encodage d'un ticket de 100 lignes / Dummy python-escpos, texte brut")}
LABELS = {"receipt_encode_us": "µs, médiane", "escpos_dummy_text_us": "µs, médiane (référence)",
          "receipt_encode_lines": "lignes de texte", "receipt_encode_bytes": "octets ESC/POS"}
LINES = 100
NAMES = ("Café moulu 250 g", "Crème fraîche épaisse 20 cl", "Pâtes complètes à l'épeautre 500 g",
         "Thé vert bio — boîte de 20 sachets", "Bœuf haché 5 % 350 g", "Eau minérale 6 x 1,5 l")


def sample_receipt(columns: int):
    """A validated ticket and the blocks of its receipt with exactly LINES text lines (items added until it has them)."""
    n = 1
    while True:
        t = Ticket()
        for i in range(n):
            name = f"{NAMES[i % len(NAMES)]} n°{i + 1}"
            t.add(Product(f"{3017620422003:013d}", name, 199 + 37 * i, 550), 1 + i % 3)
        t.pay_cash(t.total + 1000)
        sale = t.validate(ticket_id="bench", register="R01", number=7, cashier="Léa Martin",
                          created_at=datetime(2025, 3, 14, 10, 5))
        blocks = build_receipt(sale, columns)
        texts = [b for b in blocks if isinstance(b, Text)]
        if len(texts) >= LINES:
            return sale, blocks
        n += 1


def _ours(sale, profile) -> bytes:
    """Layout (commerce.receipt) then bytes: the register's whole path from sale to printer."""
    return encode_job(build_receipt(sale, profile.columns), profile.columns, profile)


def _dummy(lines: list[str]) -> bytes:
    from escpos.printer import Dummy

    d = Dummy()
    for line in lines:
        d.text(line + "\n")
    return d.output


def run(rounds: int = 7, repeat: int = 20) -> dict:
    profile = get_profile("generic-80")
    sale, blocks = sample_receipt(profile.columns)
    lines = [b.text for b in blocks if isinstance(b, Text)]  # the same lines, as plain text
    _ours(sale, profile)  # warm caches on both sides (python-escpos loads its profiles once)
    _dummy(lines)
    ours, base = [], []
    for r in range(rounds):
        order = ((ours, lambda: _ours(sale, profile)), (base, lambda: _dummy(lines)))
        for out, fn in (order if r % 2 == 0 else order[::-1]):
            t0 = time.perf_counter()
            for _ in range(repeat):
                fn()
            out.append((time.perf_counter() - t0) / repeat)
    ours_s, base_s = statistics.median(ours), statistics.median(base)
    return {
        "receipt_encode_ratio": round(ours_s / base_s, 2),
        "receipt_encode_us": round(ours_s * 1e6, 1),
        "escpos_dummy_text_us": round(base_s * 1e6, 1),
        "receipt_encode_lines": len(lines),
        "receipt_encode_bytes": len(_ours(sale, profile)),
    }


if __name__ == "__main__":
    print(run())
