"""A whole day at the counter through the real register window (Xvfb, real X key events), played with
the `--script` actions of comptoir/register_driver.py: the float counted, sales paid by every method
(cash with change, card, cheque, a gift card sold then redeemed, a credit note), a return refunded by
credit note and one to the card, an exchange, a reprint, a park and resume, a ticket cancelled with a
teacher's approval, the drawer opened with no sale, cash out, an X report and a Z closing 0,50 € short.

Then, from outside the window: `comptoir report z --json` equals the sums of the stored tickets,
`comptoir fiscal verify` passes, and a ticket line changed in the SQLite file (its trigger dropped)
makes it fail and name that ticket."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from commerce import cards
from commerce.receipt import ticket_barcode_data
from comptoir.register_driver import play_action, parse_script_line
from drivers.escpos_decode import decode, decoded_text
from kiosk.store import KioskStore

from ui_support import Register, demo_products, screen, snapshot  # noqa: F401 (fixture)

pytestmark = pytest.mark.ui
ROOT = Path(__file__).resolve().parents[1]
PRODUCTS = {p.gtin13: p for p in demo_products()}
CROC, FUSEE, YOP, CORNET = "3292590049201", "3292590050511", "3292590050603", "3292590082062"
PROMO_ON = (CROC, FUSEE, YOP, "3292590068202")  # 3 for 2 on CROC, the 2nd at −50 % on FUSEE, a bundle
TEACHER, STUDENT, TEACHER_PIN = "0400000000992", "0400000000015", "246810"
LOYALTY = cards.make_card(cards.LOYALTY, 1)  # Camille Durand (kiosk.accounts.seed_demo)
GIFT = cards.make_card(cards.GIFT_CARD, 42)


def price(gtin):
    return PRODUCTS[gtin].price


def comptoir(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "comptoir.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def receipt(root: Path, index: int = -1) -> str:
    return decoded_text(decode(sorted((root / "receipts").glob("*.bin"))[index].read_bytes()))


def test_a_day_at_the_counter_every_payment_return_exchange_and_z(screen, tmp_path):  # noqa: F811
    reg = Register(tmp_path, screen, open_session=False, promotions_on=PROMO_ON)
    d = reg.driver
    shots = tmp_path / "shots"

    def play(line: str) -> dict:
        """One script line through the window; '! ACTION': the register must refuse it."""
        refused = line.startswith("!")
        st = play_action(d, *parse_script_line(line.lstrip("! ")))
        assert (st.get("level") == "error") == refused, f"{line}: {st.get('message')}"
        return st

    try:
        st = play("open-session 150.00")
        assert st["screen"] == "vente" and st["session"] == 1, st["message"]

        # 1. a customer, 3 for 2 on CROC, 10 % off the cornet, cash with change
        st = play(f"customer {LOYALTY}")
        assert st["customer"]["name"] == "Camille Durand"
        play(f"scan {CROC}")
        play("qty 3")
        play(f"scan {CORNET}")
        st = play("discount line 10%")
        kinds = [(l["kind"], l["total"]) for l in st["priced"]]
        assert kinds == [("item", 3 * price(CROC)), ("item", price(CORNET)),
                         ("discount", -round(price(CORNET) / 10)), ("promo", -price(CROC))], kinds
        total1 = 2 * price(CROC) + price(CORNET) - round(price(CORNET) / 10)
        assert st["total"] == total1
        snapshot(screen, "1-vente-client-promo-remise", shots)
        st = play("pay cash 20.00")
        assert st["tickets"] == 1 and f"rendu {(2000 - total1) // 100},{(2000 - total1) % 100:02d} €" in st["message"]
        text = receipt(reg.root)
        assert "Promo 3 pour 2" in text and "Remise 10 %" in text

        # 2. card  3. cheque with its number
        play(f"scan {FUSEE}")
        st = play("pay card")
        assert st["tickets"] == 2 and st["last_ticket"]["payments"][0]["method"] == "card"
        play(f"scan {CORNET}")
        st = play(f"pay cheque {price(CORNET) // 100}.{price(CORNET) % 100:02d} 1234567")
        assert st["tickets"] == 3
        assert st["last_ticket"]["payments"] == [{"method": "cheque", "amount": price(CORNET), "reference": "1234567"}]

        # 4. a gift card sold (no VAT on it)  5. redeemed for part of a ticket, the rest in cash
        st = play(f"gift-card sell {GIFT} 30.00")
        assert [(l["kind"], l["total"]) for l in st["lines"]] == [("gift_card", 3000)], st["message"]
        st = play("pay card")
        assert st["tickets"] == 4
        play(f"scan {YOP}")
        play(f"scan {CORNET}")
        st = play(f"pay gift {GIFT} 5.00")
        assert st["payments"] == [{"method": "gift_card", "amount": 500, "reference": GIFT}] and st["tickets"] == 4
        st = play("pay cash")
        assert st["tickets"] == 5
        play(f"! pay gift {GIFT} 99.00")  # nothing to pay: refused (an empty ticket)

        # 6. a return of ticket 1's cornet (paid in cash): refunded by a credit note
        st = play("refund 1 2 1")
        assert st["screen"] == "vente" and st["corrects"] == ["7", 1]
        back = price(CORNET) - round(price(CORNET) / 10)  # what was paid for it, its discount deducted
        assert st["total"] == -back, st["priced"]
        play("! refund 1 2 1")  # never twice: nothing of it left to take back
        st = play("refund-to credit-note")
        assert st["tickets"] == 6 and st["last_ticket"]["corrects"] == ["7", 1]
        (refund_payment,) = st["last_ticket"]["payments"]
        avoir = refund_payment["reference"]
        assert refund_payment["method"] == "credit_note" and refund_payment["amount"] == -back
        assert cards.card_kind(avoir) == cards.CREDIT_NOTE and avoir in receipt(reg.root)

        # 7. the credit note pays for a sale
        play(f"scan {YOP}")
        play(f"scan {CORNET}")
        st = play(f"pay credit-note {avoir}")
        assert st["payments"] == [{"method": "credit_note", "amount": back, "reference": avoir}]
        st = play("pay card")
        assert st["tickets"] == 7

        # 8. a return of ticket 2 (paid by card): only the card or a credit note are allowed
        st = play("refund 2 1 1")
        assert st["total"] == -price(FUSEE)
        st = play("! refund-to cash")
        assert st["refund_methods"] == ["card", "credit_note"]
        snapshot(screen, "2-remboursement", shots)
        st = play("refund-to card")
        assert st["tickets"] == 8 and st["last_ticket"]["payments"][0]["amount"] == -price(FUSEE)

        # 9. an exchange on one ticket: ticket 3's cornet (scanned barcode) back, two CROC out, cash
        play(f"refund {ticket_barcode_data('7', 3)} 1 1")
        play(f"scan {CROC}")
        st = play("qty 2")
        exchange = 2 * price(CROC) - price(CORNET)
        assert st["total"] == exchange and [l["kind"] for l in st["lines"]] == ["return", "item"]
        st = play("pay cash")
        assert st["tickets"] == 9 and st["last_ticket"]["corrects"] == ["7", 3]

        # 10. a reprint, logged and marked DUPLICATA
        st = play("reprint")
        assert "Duplicata n° 1 du ticket n° 9" in st["message"]
        assert "DUPLICATA" in receipt(reg.root)

        # 11. park a ticket, sell another, resume the parked one
        play(f"scan {FUSEE}")
        st = play("park")
        assert st["parked"] == 1 and st["lines"] == []
        play(f"scan {YOP}")
        play("pay card")
        st = play("resume 1")
        assert [l["gtin"] for l in st["lines"]] == [FUSEE] and st["parked"] == 0
        st = play("pay cash 5.00")
        assert st["tickets"] == 11

        # 12. a ticket cancelled: a student's badge is refused, the teacher's accepted; nothing sold
        play(f"scan {YOP}")
        play(f"! cancel {STUDENT}")
        st = play(f"cancel {TEACHER}")
        assert st["lines"] == [] and st["tickets"] == 11 and "Ticket annulé" in st["message"]

        # 13. the drawer opened with no sale (the teacher's code typed), cash out, X
        st = play(f"drawer {TEACHER_PIN}")
        assert "Tiroir ouvert sans vente" in st["message"]
        play("cash-out 50.00 bank")
        play("report-x")

        conn = sqlite3.connect(tmp_path / "kiosk.db")
        events = {k for (k,) in conn.execute("SELECT kind FROM journal")}
        conn.close()
        for kind in ("reprint", "ticket_parked", "ticket_resumed", "ticket_cancelled", "drawer_no_sale",
                     "approval", "approval_refused"):
            assert kind in events, kind

        close_short_and_check(play, reg, screen, shots, tickets=11, change=2000 - total1 + 500 - price(FUSEE))
    finally:
        reg.close()
    verify_then_tamper(tmp_path / "kiosk.db", ticket=3)


def test_a_short_day_without_cheques_z_equals_the_tickets(screen, tmp_path):  # noqa: F811
    """Cash with change, a gift card sold then spent, a return refunded by credit note and the note
    spent, cash out, a Z 0,50 € short: the Z is the tickets' sum, the chain verifies, an altered
    ticket is named."""
    reg = Register(tmp_path, screen)
    d = reg.driver

    def play(line: str) -> dict:
        refused = line.startswith("!")
        st = play_action(d, *parse_script_line(line.lstrip("! ")))
        assert (st.get("level") == "error") == refused, f"{line}: {st.get('message')}"
        return st

    try:
        play(f"scan {CROC}")
        play("pay cash 10.00")
        play(f"gift-card sell {GIFT} 20.00")
        play("pay card")
        play(f"scan {CORNET}")
        play(f"pay gift {GIFT}")
        play("refund 3 1 1")
        st = play("refund-to credit-note")
        avoir = st["last_ticket"]["payments"][0]["reference"]
        play(f"scan {YOP}")
        st = play(f"pay credit-note {avoir}")
        assert st["tickets"] == 5 and st["last_ticket"]["payments"][0]["method"] == "credit_note"
        play("cash-out 5.00 expense")
        close_short_and_check(play, reg, screen, tmp_path / "shots", tickets=5, change=1000 - price(CROC))
    finally:
        reg.close()
    verify_then_tamper(tmp_path / "kiosk.db", ticket=2)


def close_short_and_check(play, reg, screen, shots, tickets: int, change: int) -> None:  # noqa: F811
    """Z counted 0,50 € short in cash (cheques and card as expected), then `comptoir report z --json`
    against the stored tickets and payments."""
    db = reg.root / "kiosk.db"
    store = KioskStore(db)
    try:
        expected = dict(store.x_report("7", "test").figures.expected)
    finally:
        store.close()
    cash = expected["cash"]
    st = play("report-x")  # (X: nothing reset) then the count screen with its cheques and card rows
    st = reg.driver.key("shift+F11")
    assert st["screen"] == "cloture" and st["count"]["keys"][-2:] == ["cheque", "card"]
    snapshot(screen, "z-comptage", shots)
    reg.driver.key("Escape")
    line = f"close-session {(cash - 50) / 100:.2f} card={expected.get('card', 0) / 100:.2f}"
    if expected.get("cheque"):
        line += f" cheque={expected['cheque'] / 100:.2f}"
    st = play(line)
    assert st["screen"] == "ecarts", st["message"]
    checks = {c["method"]: c for c in st["closing"]["checks"]}
    assert checks["cash"]["difference"] == -50 and st["closing"]["difference"] == -50
    assert all(c["difference"] == 0 for m, c in checks.items() if m != "cash"), checks

    conn = sqlite3.connect(db)
    try:
        count, total = conn.execute("SELECT count(*), sum(total) FROM ticket WHERE register = '7'").fetchone()
        per_method = dict(conn.execute("SELECT method, sum(amount) FROM payment GROUP BY method").fetchall())
        given_back = conn.execute("SELECT coalesce(sum(given - amount), 0) FROM payment WHERE method = 'cash' "
                                  "AND given > amount").fetchone()[0]
        moved = conn.execute("SELECT coalesce(sum(CASE direction WHEN 'in' THEN amount ELSE -amount END), 0) "
                             "FROM cash_movement").fetchone()[0]
    finally:
        conn.close()
    assert count == tickets and given_back == change

    p = comptoir("report", "z", "--register", "7", "--database", str(db), "--json")
    assert p.returncode == 0, p.stderr
    z = json.loads(p.stdout)
    assert (z["tickets"], z["total"], z["difference"]) == (tickets, total, -50)
    assert z["expected"]["cash"] == 15000 + per_method.get("cash", 0) + moved
    for method in ("card", "cheque", "gift_card", "credit_note"):
        assert z["expected"].get(method, 0) == per_method.get(method, 0), (method, z["expected"], per_method)


def verify_then_tamper(db: Path, ticket: int) -> None:
    ok = comptoir("fiscal", "verify", "--database", str(db))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # a ticket line changed behind the register's back (its trigger dropped first): the ticket is named
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER ticket_line_no_update")
    conn.execute("UPDATE ticket_line SET unit_price = 100 WHERE line_no = 0 AND ticket_id = "
                 "(SELECT id FROM ticket WHERE register = '7' AND number = ?)", (ticket,))
    conn.commit()
    conn.close()
    bad = comptoir("fiscal", "verify", "--database", str(db))
    assert bad.returncode == 1, bad.stdout
    assert f"ticket n° {ticket}" in bad.stdout and "lines[0].unit_price" in bad.stdout, bad.stdout
