"""The real register window under Xvfb, driven by real X key events (xdotool) like a USB scanner."""
from __future__ import annotations

import time

import pytest

from drivers.escpos_decode import decode, decoded_text

from ui_support import Register, demo_products, screen  # noqa: F401 (fixture)

pytestmark = pytest.mark.ui

PRODUCTS = {p.gtin13: p for p in demo_products()}
CROC, FUSEE, YOP = "3292590049201", "3292590050511", "3292590050603"


@pytest.fixture(scope="module")
def reg(screen, tmp_path_factory):  # noqa: F811
    r = Register(tmp_path_factory.mktemp("register-ui"), screen)
    yield r
    r.close()


@pytest.fixture
def d(reg):
    """A driver on an empty ticket on the sale screen."""
    drv = reg.driver
    if drv.state()["screen"] != "vente":
        drv.key("Escape")
    while drv.state()["lines"]:
        drv.remove()
    time.sleep(0.4)  # past the double-read window of the last test's scan
    return drv


def lines(st):
    return [(l["gtin"], l["qty"], l["total"]) for l in st["lines"]]


def test_scanner_bursts_at_1ms_per_key_make_lines_and_total(d):
    for code in (CROC, FUSEE, FUSEE, YOP):
        time.sleep(0.4)  # a cashier presents the next item (a double read comes faster: see below)
        st = d.scan(code, delay_ms=1)
        assert st["level"] == "info", st["message"]
    p = PRODUCTS
    assert lines(st) == [(CROC, 1, p[CROC].price), (FUSEE, 2, 2 * p[FUSEE].price), (YOP, 1, p[YOP].price)]
    assert st["total"] == p[CROC].price + 2 * p[FUSEE].price + p[YOP].price


def test_refused_codes_leave_the_ticket_unchanged(d):
    d.scan(CROC)
    before = lines(d.state())
    st = d.scan("1234567891012")
    assert st["level"] == "error" and "devrait être 9" in st["message"]
    assert lines(st) == before
    st = d.scan("3000000000007")  # valid check digit, not in the catalogue
    assert st["level"] == "error" and "inconnu" in st["message"]
    assert lines(st) == before
    # A burst cut short (no Enter): reported once the scanner has gone quiet, nothing added.
    ev = d.state()["events"]
    d.kb.type("3292590")
    st = d.wait(lambda s: s["events"] > ev, 5, "le message de lecture incomplète")
    assert st["level"] == "error" and "Lecture incomplète" in st["message"] and "3292590" in st["message"]
    assert lines(st) == before
    st = d.scan(FUSEE)  # and the next full scan is read normally
    assert lines(st) == before + [(FUSEE, 1, PRODUCTS[FUSEE].price)]


def test_a_scan_with_the_search_field_focused_gives_one_line(d):
    st = d.key("F2")
    assert st["search_open"]
    d.kb.type("choc", delay_ms=120)  # a person typing in the focused field
    st = d.wait(lambda s: s["search_text"] == "choc", 5, "le texte de la recherche")
    time.sleep(0.5)  # then picks up the scanner
    st = d.scan(CROC)
    assert lines(st) == [(CROC, 1, PRODUCTS[CROC].price)]
    assert st["search_text"] == "choc"  # the burst was taken back out of the field
    d.key("Escape")
    assert not d.state()["search_open"]


def test_quantity_remove_and_cash_payment_print_a_receipt(d, reg):
    d.scan(CROC)
    d.scan(YOP)
    st = d.qty("3")
    assert lines(st)[-1] == (YOP, 3, 3 * PRODUCTS[YOP].price)
    d.scan(FUSEE)
    st = d.remove()
    assert [l[0] for l in lines(st)] == [CROC, YOP]
    total = st["total"]
    tickets = st["tickets"]
    st = d.pay_cash("50.00")
    assert st["tickets"] == tickets + 1 and st["lines"] == [] and st["screen"] == "vente"
    assert st["last_ticket"]["total"] == total
    assert "rendu" in st["message"]
    receipts = sorted((reg.root / "receipts").glob("*.bin"))
    text = decoded_text(decode(receipts[-1].read_bytes()))
    assert PRODUCTS[CROC].name in text and PRODUCTS[YOP].name in text
    assert "MODE FORMATION" in text and "Espèces" in text and "€" in text
    assert (reg.root / "receipts" / "drawer.log").exists()


def test_card_payment_and_empty_ticket(d):
    st = d.key("F5")
    assert st["level"] == "error" and "vide" in st["message"] and st["screen"] == "vente"
    d.scan(FUSEE)
    before = d.state()["tickets"]
    st = d.pay_card()
    assert st["tickets"] == before + 1 and st["last_ticket"]["total"] == PRODUCTS[FUSEE].price


def test_search_by_name_with_the_keyboard_only(d):
    st = d.key("F2")
    d.kb.type("fusee cola", delay_ms=80)  # accents and case are ignored
    d.wait(lambda s: s["search_text"] == "fusee cola", 10, "le texte de la recherche")
    st = d.key("Return")
    assert FUSEE in st["search_results"]
    for _ in range(st["search_results"].index(FUSEE)):
        d.key("Down")
    st = d.key("Return")
    assert not st["search_open"]
    assert lines(st) == [(FUSEE, 1, PRODUCTS[FUSEE].price)]


def test_quick_cash_button_by_touch_gives_change(d, reg):
    d.scan(CROC)  # 3,59 €
    d.key("F5")
    st = d.state()
    assert st["screen"] == "paiement"
    before = st["events"]
    d.kb.click(212, 731)  # the "10 €" button (1024×768 layout)
    st = d.wait(lambda s: s["events"] > before and s["screen"] == "vente", 10, "le paiement")
    assert st["last_ticket"]["total"] == PRODUCTS[CROC].price
    assert f"rendu {(1000 - PRODUCTS[CROC].price) // 100},{(1000 - PRODUCTS[CROC].price) % 100:02d} €" in st["message"]


def test_a_double_read_counts_once_and_the_customer_display_follows(d):
    st = d.scan(CROC)
    assert lines(st) == [(CROC, 1, PRODUCTS[CROC].price)], st["message"]
    assert st["customer_display"][0].startswith(PRODUCTS[CROC].name[:20].strip())
    assert st["customer_display"][1].rstrip().endswith("3,59 €")
    d.scan(CROC)  # the same code again at once: the scanner read it twice
    st = d.state()
    assert lines(st) == [(CROC, 1, PRODUCTS[CROC].price)]
    time.sleep(0.4)
    st = d.scan(CROC)  # presented again: a second item
    assert lines(st) == [(CROC, 2, 2 * PRODUCTS[CROC].price)]
    st = d.key("F5")
    assert st["customer_display"][0].startswith("Total") or "Total" in " ".join(st["customer_display"])
