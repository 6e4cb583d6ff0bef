"""A whole kiosk in one process, to be killed (kill -9) at any point by tests/test_sync_faults.py:
it sells until its register has N tickets (going on from what a killed run left) while its pusher
sends, and exits once everything is acknowledged.

    python tests/kiosk_process.py DB URL REGISTER TOKEN N SEED
"""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from commerce.catalogue import Product  # noqa: E402
from commerce.ticket import Ticket  # noqa: E402
from kiosk.store import KioskStore  # noqa: E402
from sync.pusher import Backoff, Pusher  # noqa: E402

PRODUCTS = (Product("3292590049201", "Croc citron", 250, 550), Product("3297560704173", "Jus d'Orange Mangue 1L", 345, 1000),
            Product("3297560900810", "Jus de tangor", 799, 2000))


def main(db: str, url: str, register: str, token: str, n: int, seed: int) -> int:
    store = KioskStore(db)
    rng = random.Random(seed + store.ticket_count(register))
    pusher = Pusher(db, url, f"caisse-{register}", token, batch=20, timeout=2.0, backoff=Backoff(base=0.05, cap=0.3))
    pusher.start(interval=0.02)
    while store.ticket_count(register) < n:
        t = Ticket()
        for _ in range(rng.randint(1, 3)):
            t.add(rng.choice(PRODUCTS), rng.randint(1, 2))
        t.pay_card()
        store.record_sale(t, register, "Hugo")
        time.sleep(0.003)
    while pusher.status()["waiting"]:
        time.sleep(0.05)
    pusher.stop()
    return 0


if __name__ == "__main__":
    db, url, register, token, n, seed = sys.argv[1:7]
    sys.exit(main(db, url, register, token, int(n), int(seed)))
