"""Tickets in progress, payments, validation, and the receipt laid out for 32/42/48 columns."""
from __future__ import annotations

import re
from datetime import datetime

import pytest

from commerce.catalogue import Product
from commerce.errors import CommerceError
from commerce.money import parse_amount
from commerce.receipt import Barcode, Cut, Text, build_receipt, receipt_text
from commerce.ticket import Line, Payment, Ticket

CROC = Product("3292590049201", "Croc citron", 250, 550)           # 2,50 € at 5,5 %
JUS = Product("3297560704173", "Jus d'Orange Mangue 1L", 345, 1000)  # 3,45 € at 10 %
TANGOR = Product("3297560900810", "Jus de tangor", 799, 2000)      # 7,99 € at 20 %
LONG = Product("3229820129488", "Coffret dégustation thés et infusions biologiques du monde entier "
               "édition limitée pour les fêtes", 2490, 2000)       # 24,90 € at 20 %
WHEN = datetime(2025, 3, 14, 10, 5, 7)


def validate(t: Ticket, number: int = 7):
    return t.validate(ticket_id="t-7", register="2", number=number, cashier="Léa Martin", created_at=WHEN)


# -- lines ---------------------------------------------------------------------------------
def test_add_merges_the_same_product_scanned_again():
    t = Ticket()
    assert t.add(CROC) == 0
    assert t.add(CROC) == 0
    assert t.add(CROC, 3) == 0
    assert t.lines == [Line(CROC.gtin13, "Croc citron", 5, 250, 550)]
    assert t.total == 1250


def test_add_another_product_makes_a_new_line():
    t = Ticket()
    t.add(CROC)
    assert t.add(JUS) == 1
    assert t.add(CROC) == 2  # not the last line: a new line, in scan order
    assert [(l.label, l.qty) for l in t.lines] == [("Croc citron", 1), ("Jus d'Orange Mangue 1L", 1),
                                                   ("Croc citron", 1)]
    assert t.total == 250 + 345 + 250


def test_set_qty_and_remove():
    t = Ticket()
    t.add(CROC)
    t.add(JUS)
    t.set_qty(0, 4)
    assert t.lines[0].qty == 4 and t.lines[0].total == 1000
    assert t.total == 1345
    removed = t.remove(1)
    assert removed.label == "Jus d'Orange Mangue 1L"
    assert t.total == 1000 and len(t.lines) == 1


@pytest.mark.parametrize("qty", [0, -1, 1000, 2.5, "3"])
def test_set_qty_refuses_bad_quantities(qty):
    t = Ticket()
    t.add(CROC)
    with pytest.raises(CommerceError, match="entre 1 et 999"):
        t.set_qty(0, qty)
    assert t.lines[0].qty == 1


def test_bad_index_refused():
    t = Ticket()
    t.add(CROC)
    with pytest.raises(CommerceError) as exc:
        t.remove(3)
    assert str(exc.value) == "ligne 4 inexistante : le ticket a 1 ligne(s)"
    with pytest.raises(CommerceError):
        t.set_qty(-1, 2)
    assert len(t.lines) == 1


def test_total_is_sum_of_line_totals():
    t = Ticket()
    t.add(CROC, 3)
    t.add(JUS, 2)
    t.add(TANGOR, 1)
    t.add(LONG, 7)
    assert [l.total for l in t.lines] == [750, 690, 799, 17430]
    assert t.total == sum(l.total for l in t.lines) == 19669
    assert t.due == 19669 and t.paid == 0 and not t.is_paid


# -- payments ------------------------------------------------------------------------------
def test_cash_payment_with_change():
    t = Ticket()
    t.add(CROC, 2)
    t.add(JUS)                     # 5,00 + 3,45 = 8,45
    p = t.pay_cash(2000)
    assert p == Payment("cash", 845, 2000)
    assert p.change == 1155
    assert t.change == 1155 and t.due == 0 and t.is_paid
    v = validate(t)
    assert v.total == 845 and v.paid == 845 and v.change == 1155


def test_split_cash_then_card():
    t = Ticket()
    t.add(TANGOR, 2)               # 15,98
    t.pay_cash(500)
    assert t.due == 1098 and not t.is_paid
    p = t.pay_card()
    assert p == Payment("card", 1098, 0)
    assert t.is_paid and t.change == 0
    v = validate(t)
    assert [(p.method, p.amount) for p in v.payments] == [("cash", 500), ("card", 1098)]


def test_partial_card_then_cash_with_change():
    t = Ticket()
    t.add(TANGOR)                  # 7,99
    t.pay_card(500)
    assert t.due == 299
    t.pay_cash(500)
    assert t.change == 201 and t.is_paid


def test_card_cannot_exceed_due():
    t = Ticket()
    t.add(CROC)
    with pytest.raises(CommerceError) as exc:
        t.pay_card(251)
    assert str(exc.value) == "paiement carte de 2,51 € refusé : il reste 2,50 € à payer"
    with pytest.raises(CommerceError):
        t.pay_card(0)
    assert t.payments == [] and t.due == 250


def test_cash_must_be_positive():
    t = Ticket()
    t.add(CROC)
    with pytest.raises(CommerceError, match="montant donné -1,00 € refusé"):
        t.pay_cash(-100)
    assert t.payments == []


def test_empty_ticket_cannot_be_paid():
    t = Ticket()
    for pay in (lambda: t.pay_cash(1000), lambda: t.pay_card()):
        with pytest.raises(CommerceError) as exc:
            pay()
        assert str(exc.value) == "ticket vide : scannez un article avant d'encaisser"
    assert t.payments == []


def test_paid_ticket_cannot_be_paid_again():
    t = Ticket()
    t.add(CROC)
    t.pay_card()
    with pytest.raises(CommerceError, match="ticket déjà réglé"):
        t.pay_cash(100)
    assert len(t.payments) == 1


def test_editing_after_payment_started_is_refused():
    t = Ticket()
    t.add(CROC)
    t.add(JUS)
    t.pay_cash(100)
    for edit in (lambda: t.add(TANGOR), lambda: t.set_qty(0, 5), lambda: t.remove(0)):
        with pytest.raises(CommerceError) as exc:
            edit()
        assert str(exc.value) == "paiement commencé : le ticket ne peut plus être modifié"
    assert [(l.label, l.qty) for l in t.lines] == [("Croc citron", 1), ("Jus d'Orange Mangue 1L", 1)]
    assert t.total == 595 and t.due == 495


def test_validate_refuses_unpaid_ticket():
    t = Ticket()
    t.add(TANGOR)
    t.pay_cash(500)
    with pytest.raises(CommerceError) as exc:
        validate(t)
    assert str(exc.value) == "ticket non soldé : il reste 2,99 € à payer"
    with pytest.raises(CommerceError):
        validate(Ticket())  # empty: never paid


def test_validated_ticket_is_frozen():
    t = Ticket()
    t.add(CROC)
    t.pay_card()
    v = validate(t)
    assert v.training is True and v.number == 7 and v.register == "2"
    with pytest.raises(AttributeError):
        v.number = 8  # type: ignore[misc]
    assert isinstance(v.lines, tuple) and isinstance(v.payments, tuple)


# -- receipt ---------------------------------------------------------------------------------
AMOUNT = re.compile(r"\s(-?\d+,\d{2})$")


def rich_ticket():
    t = Ticket()
    t.add(CROC, 3)       # 7,50 (5,5 %)
    t.add(JUS)           # 3,45 (10 %)
    t.add(LONG)          # 24,90 (20 %) — long label, wrapped
    t.add(TANGOR, 12)    # 95,88 (20 %)
    t.pay_cash(5000)
    t.pay_card()
    return validate(t, number=123)   # 131,73: 50,00 cash + 81,73 card


def sections(text: str, columns: int):
    """Split the receipt text at its rules: [header, ticket info, lines, total, vat, payments, footer]."""
    out, cur = [], []
    for line in text.split("\n"):
        if line == "-" * columns:
            out.append(cur)
            cur = []
        else:
            cur.append(line)
    out.append(cur)
    return out


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_receipt_lines_fit_the_paper(columns):
    blocks = build_receipt(rich_ticket(), columns)
    texts = [b for b in blocks if isinstance(b, Text)]
    assert texts
    for b in texts:
        limit = columns // 2 if b.double else columns
        assert len(b.text) <= limit, (b, limit)
    assert isinstance(blocks[-1], Cut)
    assert [b.data for b in blocks if isinstance(b, Barcode)] == ["002000000123"]


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_printed_total_equals_sum_of_printed_lines(columns):
    v = rich_ticket()
    text = receipt_text(build_receipt(v, columns))
    parts = sections(text, columns)
    assert len(parts) == 7
    header, info, items, total, vat, payments, footer = parts
    printed = [parse_amount(m.group(1)) for m in map(AMOUNT.search, items) if m]
    assert printed == [750, 345, 2490, 9588]
    # the amounts end exactly at the last column
    assert all(len(l) == columns for l in items if AMOUNT.search(l))
    total_line = next(l for l in total if l.startswith("TOTAL"))
    m = re.fullmatch(r"TOTAL\s+(\d+,\d{2}) €", total_line)
    assert m, total_line
    assert parse_amount(m.group(1)) == sum(printed) == v.total == 13173
    assert "4 lignes, 17 articles" in total
    # multi-quantity lines show the unit price
    assert any(re.fullmatch(r"\s+12 x 7,99\s+95,88", l) for l in items)
    assert any(re.fullmatch(r"\s+3 x 2,50\s+7,50", l) for l in items)
    # every word of the long label is printed
    assert " ".join(items).split().count("biologiques") == 1


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_receipt_training_banner_and_vat_rows(columns):
    v = rich_ticket()
    blocks = build_receipt(v, columns)
    text = receipt_text(blocks)
    banners = [b for b in blocks if isinstance(b, Text) and b.text == "MODE FORMATION"]
    assert len(banners) == 2 and all(b.double and b.bold for b in banners)
    assert "Ticket d'exercice, sans valeur commerciale" in text.replace("\n", " ")
    vat = sections(text, columns)[4]
    assert vat[0].split() == ["TVA", "HT", "TVA", "TTC"]
    rows = [l.split() for l in vat[1:]]
    # 20 %: 24,90 + 95,88 = 120,78 / 1,2 = 100,65 ; TVA 20,13
    # 10 %: 3,45 / 1,1 = 3,136… -> 3,14 ; TVA 0,31
    # 5,5 %: 7,50 / 1,055 = 7,109… -> 7,11 ; TVA 0,39
    assert rows == [["20", "%", "100,65", "20,13", "120,78"],
                    ["10", "%", "3,14", "0,31", "3,45"],
                    ["5,5", "%", "7,11", "0,39", "7,50"]]
    assert sum(parse_amount(r[4]) for r in rows) == v.total
    for r in rows:
        assert parse_amount(r[2]) + parse_amount(r[3]) == parse_amount(r[4])


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_receipt_payments_and_header(columns):
    text = receipt_text(build_receipt(rich_ticket(), columns))
    info, payments = sections(text, columns)[1], sections(text, columns)[5]
    assert re.fullmatch(r"Ticket n° 000123\s+Caisse 2", info[0]) and len(info[0]) == columns
    assert info[1] == "Le 14/03/2025 à 10:05:07"
    assert info[2] == "Caissier : Léa Martin"
    assert [re.sub(r"\s{2,}|(?<=\D) (?=\d)", "|", l) for l in payments] == [
        "Espèces|50,00 €", "Carte bancaire|81,73 €"]


def test_receipt_shows_cash_given_and_change():
    t = Ticket()
    t.add(CROC, 2)
    t.add(JUS)
    t.pay_cash(2000)
    text = receipt_text(build_receipt(validate(t), 42))
    lines = text.split("\n")
    assert "Espèces" + " " * (42 - len("Espèces") - len("20,00 €")) + "20,00 €" in lines
    assert "Rendu" + " " * (42 - len("Rendu") - len("11,55 €")) + "11,55 €" in lines
    assert re.search(r"^TOTAL\s+8,45 €$", text, re.M)
