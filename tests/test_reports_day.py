"""X and Z reports for everything the register sells, with values: a sale refunded in full, a cheque,
a gift card sold then spent, a refund by credit note, a 10 % line discount, cash with change.

Tickets are built as commerce.ticket.ValidatedTicket with their Line and Payment objects (the lines a
priced Ticket produces: see test_the_discount_line_is_the_one_a_ticket_prices)."""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from commerce.cash import CashSession, MethodCheck, close_day, close_month, parse_count, report_blocks
from commerce.catalogue import Product
from commerce.errors import CommerceError
from commerce.pricing import Discount
from commerce.receipt import COLUMN_CHOICES, Text, receipt_text
from commerce.ticket import DISCOUNT, GIFT_CARD, RETURN, Line, Payment, Ticket, ValidatedTicket
from commerce.vat import VatRow
from kiosk import sessions

HEADSET = Product("3017620422003", "Casque audio", 9999, 2000)     # 99,99 € at 20 %
BOOK = Product("9782070360024", "Livre de poche", 745, 550)        # 7,45 € at 5,5 %
SCARF = Product("3229820129488", "Écharpe laine", 1999, 2000)      # 19,99 € at 20 %
SANDWICH = Product("3297560900810", "Sandwich jambon", 490, 1000)  # 4,90 € at 10 %
GIFT = "0480000000018"
CREDIT = "0470000000019"
FLOAT = "1x50 3x20 2x10 2x5 3x2 2x1 4x0,50"  # 150,00 €
DAY = date(2025, 3, 14)


def at(hh: int, mm: int = 0) -> datetime:
    return datetime(2025, 3, 14, hh, mm)


def item(p: Product, qty: int = 1) -> Line:
    return Line(p.gtin13, p.name, qty, p.price, p.vat_bp)


def ticket(n: int, when: datetime, lines, payments, corrects=None) -> ValidatedTicket:
    return ValidatedTicket(id=f"t-{n}", register="1", number=n, cashier="Léa Martin", created_at=when,
                           lines=tuple(lines), payments=tuple(payments), corrects=corrects)


def sale_and_refund() -> list[ValidatedTicket]:
    """99,99 € at 20 % by card, then the same refunded to the card (a ticket that corrects it)."""
    return [ticket(1, at(9), [item(HEADSET)], [Payment("card", 9999)]),
            ticket(2, at(9, 30), [Line(HEADSET.gtin13, HEADSET.name, -1, 9999, 2000, RETURN, origin=("t-1", 0))],
                   [Payment("card", -9999)], corrects=("1", 1))]


def scarf_with_discount() -> list[Line]:
    return [item(SCARF), Line(SCARF.gtin13, "Remise 10 %", 1, -200, 2000, DISCOUNT)]


def the_day() -> list[ValidatedTicket]:
    return sale_and_refund() + [
        ticket(3, at(10), [item(BOOK, 2)], [Payment("cheque", 1490, 0, "CHQ-0001234")]),
        ticket(4, at(10, 30), [Line(GIFT, f"Carte cadeau {GIFT}", 1, 5000, 0, GIFT_CARD)], [Payment("card", 5000)]),
        ticket(5, at(11), [item(SCARF), item(SANDWICH)], [Payment("gift_card", 2489, 0, GIFT)]),
        ticket(6, at(11, 30), [Line(BOOK.gtin13, BOOK.name, -1, 745, 550, RETURN, origin=("t-3", 0))],
               [Payment("credit_note", -745, 0, CREDIT)], corrects=("1", 3)),
        ticket(7, at(12), scarf_with_discount(),  # 17,99: the credit note, then 10,54 in cash for 20,00
               [Payment("credit_note", 745, 0, CREDIT), Payment("cash", 1054, 2000)]),
    ]


def session(tickets) -> CashSession:
    s = CashSession.open(register="1", number=4, operator="Léa Martin", opening_count=parse_count(FLOAT),
                         now=at(8))
    for t in tickets:
        s.record(t)
    return s


COUNTED = "1x100 1x50 1x5 2x2 1x1 2x0,20 2x0,02"  # 160,44 € for 160,54 € expected


def z_of_the_day(operator: str = "Mme Laurent"):
    s = session(the_day())
    return s.close(parse_count(COUNTED), {"card": 5000, "cheque": 1490}, operator=operator, now=at(18),
                   number=7, perpetual_total=10033, perpetual_absolute=31921)


# -- a sale and its refund ---------------------------------------------------------------------------
def test_a_sale_refunded_in_full_nets_to_zero_per_rate_and_per_method():
    s = session(sale_and_refund())
    z = s.close(parse_count(FLOAT), {"card": 0}, operator="Mme Laurent", now=at(18))
    t = z.figures.totals
    assert (t.tickets, t.refund_tickets, t.total, t.gross_sales, t.returns, t.return_lines) == (2, 1, 0, 9999, -9999, 1)
    assert t.vat == (VatRow(2000, 0, 0, 0),)  # 83,33 + 16,66 sold, −83,33 − 16,66 returned
    assert [r.vat for r in s.tickets] == [[VatRow(2000, 8333, 1666, 9999)], [VatRow(2000, -8333, -1666, -9999)]]
    card = t.method("card")
    assert (card.received, card.refunded, card.net, card.payments) == (9999, 9999, 0, 2)
    assert z.checks == (MethodCheck("cash", 15000, 15000), MethodCheck("card", 0, 0))
    d = json.loads(json.dumps(z.as_dict()))
    assert (d["total"], d["turnover"], d["returns"], d["return_lines"], d["gross_sales"]) == (0, 0, -9999, 1, 9999)
    assert d["vat"] == [{"rate": 2000, "ht": 0, "tva": 0, "ttc": 0}]
    assert d["methods"] == [{"method": "card", "label": "Carte bancaire", "received": 9999, "refunded": 9999,
                             "net": 0, "payments": 2, "received_label": "encaissé", "refunded_label": "remboursé"}]
    text = receipt_text(report_blocks(z, 42)).splitlines()
    card_at = text.index("Carte bancaire (2)" + " " * 20 + "0,00")
    assert text[card_at + 1:card_at + 3] == ["  encaissé".ljust(37) + "99,99", "  remboursé".ljust(36) + "-99,99"]
    assert "Retours (1 ligne)" + " " * 19 + "-99,99" in text


# -- the whole day ---------------------------------------------------------------------------------
def test_the_days_figures():
    t = session(the_day()).figures.totals
    assert (t.tickets, t.refund_tickets, t.total) == (7, 2, 10033)
    assert (t.gross_sales, t.returns, t.return_lines) == (9999 + 1490 + 1999 + 490 + 1999, -9999 - 745, 2)
    assert (t.discounts, t.promotions, t.loyalty, t.reductions) == (-200, 0, 0, -200)
    assert (t.gift_cards_sold, t.gift_cards_count) == (5000, 1)
    assert t.gross_sales + t.returns + t.reductions + t.gift_cards_sold == t.total
    # net turnover per rate: the gift card is not in it (it is no sale at 0 %)
    assert t.vat == (VatRow(2000, 1666 + 1499, 333 + 300, 1999 + 1799),  # the headset: sold and returned
                     VatRow(1000, 445, 45, 490),
                     VatRow(550, 1412 - 706, 78 - 39, 1490 - 745))
    assert (t.total_ht, t.total_tva, t.turnover) == (4316, 717, 5033)
    assert t.turnover + t.gift_cards_sold == t.total
    assert [(m.method, m.received, m.refunded, m.net, m.payments) for m in t.methods] == [
        ("cash", 1054, 0, 1054, 1),
        ("card", 9999 + 5000, 9999, 5000, 3),
        ("cheque", 1490, 0, 1490, 1),
        ("gift_card", 2489, 0, 2489, 1),
        ("credit_note", 745, 745, 0, 2)]  # one credit note issued on a refund, then spent
    assert sum(m.net for m in t.methods) == t.total
    assert t.absolute == 31921


def test_the_z_checks_what_is_counted_and_takes_the_rest_as_expected():
    z = z_of_the_day()
    c = z.figures.cash
    assert (c.opening_float, c.tendered, c.change, c.refunds, c.expected) == (15000, 2000, 946, 0, 16054)
    assert z.figures.expected == {"cash": 16054, "card": 5000, "cheque": 1490, "gift_card": 2489, "credit_note": 0}
    assert z.checks == (MethodCheck("cash", 16054, 16044), MethodCheck("card", 5000, 5000),
                        MethodCheck("cheque", 1490, 1490), MethodCheck("gift_card", 2489, 2489),
                        MethodCheck("credit_note", 0, 0))
    assert z.difference == -10


def test_the_z_refuses_a_count_for_gift_cards_and_needs_the_cheques():
    s = session(the_day())
    with pytest.raises(CommerceError) as exc:
        s.close(parse_count(COUNTED), {"card": 5000}, operator="M", now=at(18))
    assert str(exc.value) == "montant compté pour Chèque manquant (attendu 14,90 €) : saisissez-le"
    with pytest.raises(CommerceError) as exc:
        s.close(parse_count(COUNTED), {"card": 5000, "cheque": 1490, "gift_card": 2489}, operator="M", now=at(18))
    assert str(exc.value) == ("Carte cadeau : rien à compter à la clôture (le montant attendu, 24,89 €, "
                              "est repris tel quel)")
    assert not s.is_closed
    # cheques typed although none was taken: checked like the card
    empty = session([])
    z = empty.close(parse_count(FLOAT), {"cheque": 2000}, operator="M", now=at(18))
    assert z.checks == (MethodCheck("cash", 15000, 15000), MethodCheck("card", 0, 0), MethodCheck("cheque", 0, 2000))


def test_the_z_as_json_with_the_exact_cents():
    d = json.loads(json.dumps(z_of_the_day().as_dict(), ensure_ascii=False))
    assert {k: d[k] for k in ("tickets", "refund_tickets", "total", "gross_sales", "returns", "return_lines",
                              "discounts", "promotions", "loyalty", "reductions", "gift_cards_sold",
                              "gift_cards_count", "gift_cards_redeemed", "credit_notes_issued",
                              "credit_notes_redeemed", "turnover", "total_ht", "total_tva", "absolute")} == {
        "tickets": 7, "refund_tickets": 2, "total": 10033, "gross_sales": 15977, "returns": -10744,
        "return_lines": 2, "discounts": -200, "promotions": 0, "loyalty": 0, "reductions": -200,
        "gift_cards_sold": 5000, "gift_cards_count": 1, "gift_cards_redeemed": 2489, "credit_notes_issued": 745,
        "credit_notes_redeemed": 745, "turnover": 5033, "total_ht": 4316, "total_tva": 717, "absolute": 31921}
    assert d["vat"] == [{"rate": 2000, "ht": 3165, "tva": 633, "ttc": 3798},
                        {"rate": 1000, "ht": 445, "tva": 45, "ttc": 490},
                        {"rate": 550, "ht": 706, "tva": 39, "ttc": 745}]
    assert [(m["method"], m["label"], m["received"], m["refunded"], m["net"]) for m in d["methods"]] == [
        ("cash", "Espèces", 1054, 0, 1054), ("card", "Carte bancaire", 14999, 9999, 5000),
        ("cheque", "Chèque", 1490, 0, 1490), ("gift_card", "Carte cadeau", 2489, 0, 2489),
        ("credit_note", "Avoir", 745, 745, 0)]
    credit = d["methods"][-1]
    assert (credit["received_label"], credit["refunded_label"]) == ("Avoirs utilisés", "Avoirs émis")
    assert d["cash"] == {"opening_float": 15000, "tendered": 2000, "change": 946, "refunds": 0, "cash_in": 0,
                         "cash_out": 0, "expected": 16054}
    assert d["expected"] == {"cash": 16054, "card": 5000, "cheque": 1490, "gift_card": 2489, "credit_note": 0}
    assert [(c["method"], c["expected"], c["counted"], c["difference"]) for c in d["checks"]] == [
        ("cash", 16054, 16044, -10), ("card", 5000, 5000, 0), ("cheque", 1490, 1490, 0),
        ("gift_card", 2489, 2489, 0), ("credit_note", 0, 0, 0)]
    assert (d["difference"], d["z_number"], d["perpetual_total"], d["perpetual_absolute"]) == (-10, 7, 10033, 31921)
    # a stored Z's figures give the same report back (for `comptoir report z`)
    assert sessions.report_from_dict(d) == z_of_the_day()


def test_the_discount_line_is_the_one_a_ticket_prices():
    t = Ticket()
    t.add(SCARF)
    t.set_line_discount(0, Discount(percent_bp=1000))
    t.pay("credit_note", 745, CREDIT)
    t.pay_cash(2000)
    v = t.validate(ticket_id="t-7", register="1", number=7, cashier="Léa Martin", created_at=at(12))
    def shape(lines):
        return [(l.gtin13, l.label, l.qty, l.unit_price, l.vat_bp, l.kind, l.total) for l in lines]

    assert shape(v.lines) == shape(scarf_with_discount()) and v.payments == the_day()[-1].payments
    assert v.change == 946


# -- printed -----------------------------------------------------------------------------------------
def amount_on(lines, label: str) -> str:
    [line] = [line for line in lines if line.startswith(label)]
    return line[len(label):].strip()


@pytest.mark.parametrize("columns", COLUMN_CHOICES)
def test_the_printed_z(columns):
    z = z_of_the_day()
    blocks = report_blocks(z, columns)
    lines = [b.text for b in blocks if isinstance(b, Text)]
    assert all(len(b.text) <= (columns // 2 if b.double else columns) for b in blocks if isinstance(b, Text))
    assert amount_on(lines, "Z n° 000007") == "Caisse 1"
    assert "Session n° 000004" in lines
    assert amount_on(lines, "Grand total perpétuel") == "100,33"
    assert amount_on(lines, "GT perpétuel absolu") == "319,21"
    assert amount_on(lines, "Ventes brutes") == "159,77"
    assert amount_on(lines, "Retours (2 lignes)") == "-107,44"
    assert amount_on(lines, "Remises et promotions") == "-2,00"
    assert amount_on(lines, "  remises") == "-2,00"
    assert amount_on(lines, "Cartes cadeaux vendues (1)") == "50,00"
    assert amount_on(lines, "Total TTC") == "50,33"  # the turnover: the gift card is outside VAT
    assert amount_on(lines, "  Avoirs utilisés") == "7,45" and amount_on(lines, "  Avoirs émis") == "-7,45"
    assert amount_on(lines, "Chèque (1)") == "14,90" and amount_on(lines, "Carte cadeau (1)") == "24,89"
    assert lines[lines.index("Carte cadeau") + 1].split() == ["non", "compté", "24,89"]
    assert amount_on(lines, "Écart total") == "-0,10"
    # TOTAL is a plain line whose amount ends at the last column, like every other amount
    [total] = [b for b in blocks if isinstance(b, Text) and b.text.startswith("TOTAL ")]
    assert (total.text, total.double, total.bold) == ("TOTAL" + "100,33".rjust(columns - 5), False, True)
    # the operators' names are whole on their own line
    assert "par Léa Martin" in lines and "par Mme Laurent" in lines


@pytest.mark.parametrize("columns", COLUMN_CHOICES)
@pytest.mark.parametrize("name", ["Léa Martin", "Inès Dubois-Lefèvre", "Marie-Christine de La Tour d'Auvergne"])
def test_an_operator_name_never_splits(columns, name):
    z = z_of_the_day(operator=name)
    x = session(the_day()).x_report(operator=name, now=at(11, 30))
    for report in (z, x):
        lines = receipt_text(report_blocks(report, columns)).splitlines()
        shown = name if len(name) <= columns else name[:columns - 1] + "…"
        assert f"par {shown}" in lines or lines[lines.index("par") + 1] == shown
        assert all(len(line) <= columns for line in lines)
    assert lines[lines.index("RAPPORT X") + 3:lines.index("RAPPORT X") + 5] == [
        "Ouverte le 14/03/2025 à 08:00", "par Léa Martin"]


def test_the_x_total_is_aligned_with_the_amounts():
    x = session(the_day()).x_report(operator="Mme Laurent", now=at(12, 30))
    lines = receipt_text(report_blocks(x, 42)).splitlines()
    at_total = lines.index("TOTAL" + " " * 31 + "100,33")
    assert lines[at_total - 1] == "Cartes cadeaux vendues (1)" + " " * 11 + "50,00"
    assert "Z n°" not in "\n".join(lines) and "Grand total" not in "\n".join(lines)


# -- period closings ---------------------------------------------------------------------------------
def test_the_day_and_month_closings_carry_the_same_figures():
    day = close_day("1", DAY, the_day())
    t = day.totals
    assert (t.total, t.turnover, t.gift_cards_sold, t.returns, t.return_lines, t.reductions) == (
        10033, 5033, 5000, -10744, 2, -200)
    assert (day.perpetual_total, day.perpetual_absolute) == (10033, 31921)
    month = close_month("1", 2025, 3, [day])
    assert month.totals == t and month.perpetual_absolute == 31921
    d = json.loads(json.dumps(month.as_dict()))
    assert (d["gift_cards_sold"], d["credit_notes_issued"], d["turnover"], d["perpetual_total"]) == (
        5000, 745, 5033, 10033)
    # stored and read back (kiosk.sessions), then chained on
    stored = sessions._totals_from_dict(json.loads(json.dumps(day.as_dict())))
    assert stored == t
    next_day = close_day("1", date(2025, 3, 15),
                         [ticket(8, datetime(2025, 3, 15, 9), [item(BOOK)], [Payment("cash", 745, 1000)])],
                         previous=day)
    assert (next_day.perpetual_total, next_day.perpetual_absolute) == (10033 + 745, 31921 + 745)


def test_figures_sealed_before_these_keys_still_read():
    """A Z or day closing stored by the earlier version: no reductions, gift cards or line counts."""
    old = {"tickets": 2, "refund_tickets": 1, "total": 1355, "gross_sales": 1490, "returns": -135,
           "vat": [{"rate": 550, "ht": 1284, "tva": 71, "ttc": 1355}],
           "methods": [{"method": "cash", "label": "Espèces", "received": 1490, "refunded": 135, "net": 1355,
                        "payments": 2}]}
    t = sessions._totals_from_dict(old)
    assert (t.total, t.reductions, t.gift_cards_sold, t.absolute, t.turnover) == (1355, 0, 0, 1625, 1355)
