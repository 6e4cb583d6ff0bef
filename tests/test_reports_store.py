"""The reports of a day stored in a real kiosk database (SQLite file): tickets read back with their line
kinds and payment references, the Z closed with the cheques counted, then `comptoir report x|z` as real
subprocesses (JSON and text), and `comptoir report x --json` with no open session."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from commerce import cards
from commerce.cash import parse_count
from commerce.catalogue import Product
from commerce.errors import CommerceError
from commerce.pricing import Discount
from commerce.ticket import GIFT_CARD, RETURN, Line, Ticket
from kiosk import sessions
from kiosk.store import KioskStore

HEADSET = Product("3017620422003", "Casque audio", 9999, 2000)  # 99,99 € at 20 %
BOOK = Product("9782070360024", "Livre de poche", 745, 550)     # 7,45 € at 5,5 %
SCARF = Product("3229820129488", "Écharpe laine", 1999, 2000)   # 19,99 € at 20 %
FLOAT = "1x50 3x20 2x10 2x5 3x2 2x1 4x0,50"  # 150,00 €
ROOT = Path(__file__).resolve().parent.parent


def at(hh: int, mm: int = 0) -> datetime:
    return datetime(2025, 3, 14, hh, mm)


def comptoir(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "comptoir.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def amount_on(lines, label: str) -> str:
    [line] = [line for line in lines if line.startswith(label)]
    return line[len(label):].strip()


@pytest.fixture
def day(tmp_path):
    """Float 150,00 €; the headset sold by card and refunded to the card; two books by cheque; a gift
    card of 50,00 € sold in cash (given 50,00) then spent on a scarf with 10 % off (17,99 €); a book
    returned for a credit note. Drawer expected: 150 + 50 = 200,00 €."""
    db = tmp_path / "caisse.db"
    store = KioskStore(db)
    gift, credit = cards.make_card(cards.GIFT_CARD, 7), cards.make_card(cards.CREDIT_NOTE, 3)
    store.open_session("1", "Léa Martin", parse_count(FLOAT), now=at(8))

    def sell(t: Ticket, when, corrects=None):
        return store.record_sale(t, "1", "Léa Martin", now=when, corrects=corrects)

    t = Ticket()
    t.add(HEADSET)
    t.pay_card()
    sold = sell(t, at(9))
    back = Ticket(corrects=("1", sold.number))
    back.add_return(Line(HEADSET.gtin13, HEADSET.name, -1, 9999, 2000, RETURN, origin=(sold.id, 0)))
    back.pay("card")
    sell(back, at(9, 30), ("1", sold.number))
    t = Ticket()
    t.add(BOOK, 2)
    t.pay("cheque", None, "CHQ-0001234")
    books = sell(t, at(10))
    t = Ticket()
    t.add_gift_card(gift, 5000)
    t.pay_cash(5000)
    sell(t, at(10, 30))
    t = Ticket()
    t.add(SCARF)
    t.set_line_discount(0, Discount(percent_bp=1000))
    t.pay("gift_card", None, gift)
    sell(t, at(11))
    back = Ticket(corrects=("1", books.number))
    back.add_return(Line(BOOK.gtin13, BOOK.name, -1, 745, 550, RETURN, origin=(books.id, 0)))
    back.pay("credit_note", None, credit)
    sell(back, at(11, 30), ("1", books.number))
    yield store, db
    store.close()


def test_stored_tickets_come_back_with_their_kinds_and_references(day):
    store, _ = day
    tickets = sessions.load_tickets(store.conn, "1")
    assert [[(l.kind, l.total, l.vat_bp) for l in t.lines] for t in tickets] == [
        [("item", 9999, 2000)], [("return", -9999, 2000)], [("item", 1490, 550)], [(GIFT_CARD, 5000, 0)],
        [("item", 1999, 2000), ("discount", -200, 2000)], [("return", -745, 550)]]
    assert tickets[1].lines[0].origin == (tickets[0].id, 0) and tickets[1].corrects == ("1", 1)
    assert [(p.method, p.amount, p.reference) for t in tickets for p in t.payments][2:] == [
        ("cheque", 1490, "CHQ-0001234"), ("cash", 5000, ""), ("gift_card", 1799, cards.make_card(cards.GIFT_CARD, 7)),
        ("credit_note", -745, cards.make_card(cards.CREDIT_NOTE, 3))]


def test_report_x_and_z_of_the_day(day):
    store, db = day
    p = comptoir("report", "x", "--register", "1", "--database", str(db), "--json")
    assert p.returncode == 0, p.stderr
    x = json.loads(p.stdout)
    assert (x["tickets"], x["total"], x["turnover"], x["gift_cards_sold"], x["returns"], x["return_lines"]) == (
        6, 9999 - 9999 + 1490 + 5000 + 1799 - 745, 1490 + 1799 - 745, 5000, -9999 - 745, 2)
    assert x["vat"] == [{"rate": 2000, "ht": 1499, "tva": 300, "ttc": 1799},   # the headset nets to 0
                        {"rate": 550, "ht": 706, "tva": 39, "ttc": 745}]
    assert x["expected"] == {"cash": 20000, "card": 0, "cheque": 1490, "gift_card": 1799, "credit_note": -745}
    assert (x["credit_notes_issued"], x["credit_notes_redeemed"], x["gift_cards_redeemed"], x["discounts"]) == (
        745, 0, 1799, -200)

    with pytest.raises(CommerceError, match="montant compté pour Chèque manquant"):
        store.close_session("1", parse_count("2x100"), {"card": 0}, operator="Mme Laurent", now=at(18))
    result = store.close_session("1", parse_count("2x100"), {"card": 0, "cheque": 1490}, operator="Mme Laurent",
                                 now=at(18))
    assert (result.z.number, result.report.number, result.report.perpetual_total) == (1, 1, 7544)
    assert result.z.perpetual_total == 7544 and result.z.perpetual_absolute == result.report.perpetual_absolute
    assert result.report.perpetual_absolute == 9999 * 2 + 1490 + 5000 + 1999 + 200 + 745

    p = comptoir("report", "z", "--register", "1", "--database", str(db), "--json")
    assert p.returncode == 0, p.stderr
    z = json.loads(p.stdout)
    assert [(c["method"], c["expected"], c["counted"], c["difference"]) for c in z["checks"]] == [
        ("cash", 20000, 20000, 0), ("card", 0, 0, 0), ("cheque", 1490, 1490, 0), ("gift_card", 1799, 1799, 0),
        ("credit_note", -745, -745, 0)]
    assert (z["z_number"], z["perpetual_total"], z["closing"]["perpetual_total"]) == (1, 7544, 7544)
    assert [(m["method"], m["received"], m["refunded"], m["net"]) for m in z["methods"]] == [
        ("cash", 5000, 0, 5000), ("card", 9999, 9999, 0), ("cheque", 1490, 0, 1490), ("gift_card", 1799, 0, 1799),
        ("credit_note", 0, 745, -745)]
    text = comptoir("report", "z", "--register", "1", "--database", str(db), "--columns", "32")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert amount_on(lines, "Z n° 000001") == "Caisse 1" and amount_on(lines, "Grand total perpétuel") == "75,44"
    assert "par Léa Martin" in lines and "par Mme Laurent" in lines
    assert amount_on(lines, "  Avoirs émis") == "-7,45" and amount_on(lines, "  Avoirs utilisés") == "0,00"
    assert amount_on(lines, "Cartes cadeaux vendues (1)") == "50,00" and amount_on(lines, "TOTAL") == "75,44"
    assert max(len(line) for line in lines) <= 32

    p = comptoir("report", "x", "--register", "1", "--database", str(db), "--json")
    assert p.returncode == 3 and json.loads(p.stdout) == {
        "register": "1", "session": None, "error": "aucune session de caisse ouverte",
        "message": "aucune session de caisse ouverte sur la caisse 1 : rien à rapporter (le rapport X porte sur "
                   "la session en cours ; « comptoir report z » montre la dernière clôture)"}


def test_the_help_documents_the_exit_codes():
    p = comptoir("report", "--help")
    assert p.returncode == 0
    assert "3 rien à rapporter" in " ".join(p.stdout.split())
