"""Receipts carry the ticket's fingerprint and the software version; duplicatas are numbered and
journalled; gift receipts show no price."""
import re
import subprocess
import sys

import pytest

from commerce.catalogue import Product
from drivers.escpos_decode import decode, decoded_text
from drivers.printer.simulator import SimulatedPrinter
from kiosk.register_service import RegisterService
from kiosk.store import KioskStore
from kiosk.version import VERSION

CROC = Product("3292590049201", "Croc citron", 359, 2000)
JUS = Product("3292590050511", "Jus de tangor", 250, 550)


@pytest.fixture
def svc(tmp_path):
    store = KioskStore(tmp_path / "caisse.db")
    store.upsert_products([CROC, JUS])
    svc = RegisterService(store, SimulatedPrinter(tmp_path / "tickets", columns=42), register="1", cashier="Léa")
    yield svc, store, tmp_path
    store.close()


def text(path):
    return decoded_text(decode(path.read_bytes(), 42))


def test_receipt_prints_fingerprint_and_version_and_duplicatas_are_numbered(svc):
    svc, store, tmp = svc
    assert svc.reprint_last().level == "error"  # nothing sold yet
    svc.scan(CROC.gtin13)
    svc.scan(JUS.gtin13)
    svc.pay_cash("10")
    sale = svc.last_sale
    first = text(tmp / "tickets" / "0001.bin")
    fingerprint = store.ticket_hash(sale.id)[:8]
    assert f"Empreinte {fingerprint} · Comptoir {VERSION}" in first
    assert "DUPLICATA" not in first
    fb = svc.reprint_last()
    assert fb.message == "Duplicata n° 1 du ticket n° 1 imprimé"
    assert svc.reprint_last().message == "Duplicata n° 2 du ticket n° 1 imprimé"
    second = text(tmp / "tickets" / "0003.bin")
    assert second.count("DUPLICATA n° 2") == 2 and f"Empreinte {fingerprint}" in second
    assert re.search(r"^TOTAL +6,09 €$", second, re.M)  # same amounts as the original
    reprints = [e for e in store.events("1") if e.kind == "reprint"]
    assert [(e.details["ticket"], e.details["copy"], e.operator) for e in reprints] == [(1, 1, "Léa"), (1, 2, "Léa")]
    r = subprocess.run([sys.executable, "-m", "comptoir.cli", "fiscal", "verify", "--database", str(tmp / "caisse.db")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr  # the journal entries are chained


def test_gift_receipt_has_no_price(svc):
    svc, store, tmp = svc
    svc.scan(CROC.gtin13)
    svc.scan(CROC.gtin13)
    svc.pay_card()
    assert svc.gift_receipt().message == "Ticket cadeau du ticket n° 1 imprimé"
    gift = text(tmp / "tickets" / "0002.bin")
    assert "TICKET CADEAU" in gift and "Croc citron" in gift and "x 2" in gift
    assert "€" not in gift and "3,59" not in gift and "7,18" not in gift and "TVA" not in gift
    assert "MODE FORMATION" in gift
