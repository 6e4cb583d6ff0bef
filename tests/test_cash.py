"""Cash session: counts by denomination, a full day with values, X and Z reports, the 24-hour rule."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta

import pytest

from commerce.cash import (
    COINS, DENOMINATIONS, NOTES, CashCount, CashSession, MethodCheck, denomination_label, parse_count,
)
from commerce.catalogue import Product
from commerce.errors import CommerceError
from commerce.ticket import Line, Payment, Ticket, ValidatedTicket
from commerce.vat import VatRow

BREAD = Product("3292590049201", "Pain aux céréales", 135, 550)    # 1,35 € at 5,5 %
DRINK = Product("3297560704173", "Limonade 33 cl", 250, 2000)      # 2,50 € at 20 %
SANDWICH = Product("3297560900810", "Sandwich jambon", 490, 1000)  # 4,90 € at 10 %
SCARF = Product("3229820129488", "Écharpe laine", 1999, 2000)      # 19,99 € at 20 %
HEADSET = Product("3017620422003", "Casque audio", 9999, 2000)     # 99,99 € at 20 %
BOOK = Product("9782070360024", "Livre de poche", 745, 550)        # 7,45 € at 5,5 %

OPEN = datetime(2025, 3, 14, 8, 0)
FLOAT_TEXT = "1x50 3x20 2x10 2x5 4x2 1x1 1x0,50 2x0,20 1x0,10"  # 150,00 €


def at(hh: int, mm: int = 0) -> datetime:
    return OPEN.replace(hour=hh, minute=mm)


class Day:
    """Numbers the tickets of a day at register 2."""

    def __init__(self):
        self.n = 0

    def sell(self, items, pay, when) -> ValidatedTicket:
        t = Ticket()
        for product, qty in items:
            t.add(product, qty)
        for method, amount in pay:
            t.pay_cash(amount) if method == "cash" else t.pay_card(amount)
        self.n += 1
        return t.validate(ticket_id=f"t-{self.n}", register="2", number=self.n, cashier="Léa", created_at=when)

    def refund(self, product, qty, method, when) -> ValidatedTicket:
        """What a returns module produces: negative line, negative payment, no change."""
        self.n += 1
        line = Line(product.gtin13, product.name, -qty, product.price, product.vat_bp)
        return ValidatedTicket(id=f"t-{self.n}", register="2", number=self.n, cashier="Léa", created_at=when,
                               lines=(line,), payments=(Payment(method, line.total),))


def opened() -> CashSession:
    return CashSession.open(register="2", number=12, operator="Léa", opening_count=parse_count(FLOAT_TEXT), now=OPEN)


# -- denominations and counts ---------------------------------------------------------------------
def test_denominations_of_the_euro():
    assert COINS == (1, 2, 5, 10, 20, 50, 100, 200)
    assert NOTES == (500, 1000, 2000, 5000, 10000, 20000, 50000)
    assert [denomination_label(d) for d in DENOMINATIONS] == [
        "1 c", "2 c", "5 c", "10 c", "20 c", "50 c", "1 €", "2 €",
        "5 €", "10 €", "20 €", "50 €", "100 €", "200 €", "500 €"]


def test_float_counted_by_denomination():
    count = parse_count(FLOAT_TEXT)
    assert count.total == 15000
    assert count.pieces == ((5000, 1), (2000, 3), (1000, 2), (500, 2), (200, 4), (100, 1),
                            (50, 1), (20, 2), (10, 1))
    assert count == CashCount.of({5000: 1, 2000: 3, 1000: 2, 500: 2, 200: 4, 100: 1, 50: 1, 20: 2, 10: 1,
                                  1: 0})
    assert parse_count(count.to_text()) == count
    assert count.to_text() == "1x50,00 3x20,00 2x10,00 2x5,00 4x2,00 1x1,00 1x0,50 2x0,20 1x0,10"


@pytest.mark.parametrize("text, total", [
    ("20x10.00 5x2.00 3x0.50", 20000 + 1000 + 150),
    ("20X10 5x2€ 3x0,5", 21150),
    ("1x500 1x0,01", 50001),
    ("", 0),
    ("   ", 0),
    ("0x20", 0),
])
def test_parse_count_totals(text, total):
    assert parse_count(text).total == total


@pytest.mark.parametrize("text, message", [
    ("20x10 5x3", "coupure 3,00 € inconnue dans « 5x3 » : les coupures sont 1 c, 2 c, 5 c, 10 c, 20 c, "
                  "50 c, 1 €, 2 €, 5 €, 10 €, 20 €, 50 €, 100 €, 200 €, 500 €"),
    ("2x0,03", "coupure 0,03 € inconnue dans « 2x0,03 »"),
    ("20x10 abc", "élément de comptage « abc » illisible : attendu NOMBRExVALEUR, par exemple 20x10,00 "
                  "(20 billets de 10 €)"),
    ("2.5x1", "élément de comptage « 2.5x1 » illisible"),
    ("10:20", "élément de comptage « 10:20 » illisible"),
    ("-2x1", "nombre de pièces négatif dans « -2x1 »"),
    ("3xdix", "coupure « dix » illisible dans « 3xdix » : attendu une valeur en euros comme 10 ou 0,50"),
    ("2x1 3x1,00", "coupure 1 € comptée deux fois (« 3x1,00 ») : donnez chaque coupure une seule fois"),
    ("999999x500", "comptage de 499999500,00 € refusé : une caisse ne dépasse pas 100000,00 €"),
])
def test_parse_count_names_the_bad_token(text, message):
    with pytest.raises(CommerceError) as exc:
        parse_count(text)
    assert str(exc.value).startswith(message)


@pytest.mark.parametrize("counts, message", [
    ({300: 1}, "coupure 3,00 € inconnue : les coupures sont 1 c,"),
    ({"10€": 1}, "coupure « 10€ » inconnue"),
    ({0.5: 1}, "coupure « 0.5 » inconnue"),
    ({True: 1}, "coupure « True » inconnue"),
    ({200: -1}, "nombre de pièces « -1 » pour 2 € refusé : il ne peut pas être négatif"),
    ({50: 2.5}, "nombre de pièces « 2.5 » pour 50 c refusé : un nombre entier est attendu"),
    ({50: 2.0}, "nombre de pièces « 2.0 » pour 50 c refusé : un nombre entier est attendu"),
    ({1000: "3"}, "nombre de pièces « 3 » pour 10 € refusé : un nombre entier est attendu"),
])
def test_count_mapping_refused_with_messages(counts, message):
    with pytest.raises(CommerceError) as exc:
        CashCount.of(counts)
    assert str(exc.value).startswith(message)


# -- a full day ---------------------------------------------------------------------------------------
def full_day():
    """Returns the session after the whole day, and the X report taken mid-day with its session copy."""
    day = Day()
    s = opened()
    assert s.opening_count.total == 15000
    s.record(day.sell([(BREAD, 2), (DRINK, 1)], [("cash", 1000)], at(9)))      # 5,20, change 4,80
    s.record(day.sell([(SANDWICH, 1)], [("cash", 500)], at(10)))               # 4,90, change 0,10
    s.record(day.sell([(HEADSET, 1)], [("card", None)], at(10, 30)))           # 99,99 card
    s.cash_in(2000, "change", operator="Léa", now=at(11))                      # apport 20,00
    mid = s.x_report(operator="M. Bernard", now=at(11, 30))
    snapshot = copy.deepcopy(s)
    assert s.x_report(operator="M. Bernard", now=at(11, 31)).figures == mid.figures
    assert s == snapshot  # an X report changes nothing
    s.record(day.sell([(SCARF, 1)], [("cash", 5000)], at(14)))                 # 19,99, change 30,01
    s.record(day.sell([(BOOK, 1)], [("card", None)], at(15)))                  # 7,45 card
    s.record(day.refund(DRINK, 1, "cash", at(16)))                             # -2,50 cash
    s.cash_out(10000, "bank", note="sac n° 41", operator="M. Bernard", now=at(17))  # remise en banque
    return s, mid


def test_x_report_mid_day_has_the_figures_so_far():
    _, mid = full_day()
    f = mid.figures
    assert (mid.kind, mid.register, mid.session_number, mid.operator) == ("X", "2", 12, "M. Bernard")
    assert f.totals.tickets == 3
    assert f.totals.total == 520 + 490 + 9999
    assert f.cash.opening_float == 15000
    assert (f.cash.tendered, f.cash.change, f.cash.refunds, f.cash.cash_in, f.cash.cash_out) == \
        (1500, 480 + 10, 0, 2000, 0)
    assert f.cash.expected == 15000 + 1500 - 490 + 2000 == 18010
    assert f.expected == {"cash": 18010, "card": 9999}


def test_full_day_figures():
    s, _ = full_day()
    f = s.figures
    t = f.totals
    assert t.tickets == 6
    assert t.refund_tickets == 1
    assert t.total == 520 + 490 + 9999 + 1999 + 745 - 250 == 13503
    assert (t.gross_sales, t.returns) == (13753, -250)
    c = f.cash
    assert c.opening_float == 15000
    assert c.tendered == 1000 + 500 + 5000
    assert c.change == 480 + 10 + 3001 == 3491
    assert c.sales == 520 + 490 + 1999
    assert c.refunds == 250
    assert (c.cash_in, c.cash_out) == (2000, 10000)
    assert c.expected == 15000 + 6500 - 3491 - 250 + 2000 - 10000 == 9759
    assert f.expected == {"cash": 9759, "card": 9999 + 745}
    cash, card = t.methods
    assert (cash.method, cash.received, cash.refunded, cash.net, cash.payments) == ("cash", 3009, 250, 2759, 4)
    assert (card.method, card.received, card.refunded, card.net, card.payments) == ("card", 10744, 0, 10744, 2)
    assert [(m.direction, m.amount, m.label, m.operator) for m in f.movements] == [
        ("in", 2000, "Apport de monnaie", "Léa"),
        ("out", 10000, "Remise en banque : sac n° 41", "M. Bernard")]


def test_vat_per_rate_is_each_tickets_rows_added_and_adds_up_to_the_grand_total():
    s, _ = full_day()
    t = s.figures.totals
    # per ticket: 20 %: 2,50 -> 2,08+0,42; 19,99 -> 16,66+3,33; 99,99 -> 83,33+16,66; -2,50 -> -2,08-0,42
    #             10 %: 4,90 -> 4,45+0,45;  5,5 %: 2,70 -> 2,56+0,14; 7,45 -> 7,06+0,39
    assert t.vat == (VatRow(2000, 9999, 1999, 11998), VatRow(1000, 445, 45, 490), VatRow(550, 962, 53, 1015))
    # (one 20 % split of 119,98 would give 99,98 HT: the report sums the tickets' own rows instead)
    assert sum(r.ttc for r in t.vat) == t.total == 13503
    assert all(r.ht + r.tva == r.ttc for r in t.vat)
    assert (t.total_ht, t.total_tva) == (11406, 2097)
    assert t.total_ht + t.total_tva == t.total


def test_sale_and_its_full_refund_net_to_zero():
    day = Day()
    s = opened()
    s.record(day.sell([(HEADSET, 1)], [("card", None)], at(9)))
    s.record(day.refund(HEADSET, 1, "card", at(10)))
    t = s.figures.totals
    assert t.total == 0
    assert t.vat == (VatRow(2000, 0, 0, 0),)
    assert s.figures.expected == {"cash": 15000, "card": 0}
    assert (t.method("card").received, t.method("card").refunded) == (9999, 9999)


def test_z_closing_records_a_short_drawer():
    s, _ = full_day()
    counted = parse_count("1x50 2x20 1x5 1x2 1x0,20 1x0,05 2x0,02")  # 97,29 € for 97,59 € expected
    assert counted.total == 9729
    z = s.close(counted, {"card": 10744}, operator="M. Bernard", now=at(18))
    assert z.kind == "Z" and z.session_number == 12
    assert z.checks == (MethodCheck("cash", 9759, 9729), MethodCheck("card", 10744, 10744))
    assert z.check("cash").difference == -30
    assert z.check("card").difference == 0
    assert z.difference == -30
    assert z.figures == s.figures
    assert s.closing is z and s.is_closed
    d = z.as_dict()
    assert d["checks"] == [
        {"method": "cash", "label": "Espèces", "expected": 9759, "counted": 9729, "difference": -30},
        {"method": "card", "label": "Carte bancaire", "expected": 10744, "counted": 10744, "difference": 0}]
    assert (d["total"], d["tickets"], d["training"], d["counted_cash"]["total"]) == (13503, 6, True, 9729)
    assert d["cash"] == {"opening_float": 15000, "tendered": 6500, "change": 3491, "refunds": 250,
                         "cash_in": 2000, "cash_out": 10000, "expected": 9759}
    assert d["vat"][0] == {"rate": 2000, "ht": 9999, "tva": 1999, "ttc": 11998}
    assert d["expected"] == {"cash": 9759, "card": 10744}


def test_z_over_on_card_and_other_methods():
    s, _ = full_day()
    z = s.close(parse_count("1x50 2x20 1x5 1x2 1x0,50 1x0,05 2x0,02"), {"card": 10800},
                operator="M. Bernard", now=at(18))
    assert (z.check("cash").difference, z.check("card").difference) == (0, 56)


def test_closed_session_refuses_everything_but_x():
    s, _ = full_day()
    s.close(parse_count("1x50 2x20 1x5 1x2 1x0,50 1x0,05 2x0,02"), {"card": 10744}, operator="M", now=at(18))
    with pytest.raises(CommerceError, match="^session de caisse n° 12 clôturée : ouvrez une nouvelle session "
                                            "pour vendre$"):
        s.record(Day().sell([(BREAD, 1)], [("cash", 200)], at(19)))
    with pytest.raises(CommerceError, match="clôturée"):
        s.cash_in(100, operator="M", now=at(19))
    with pytest.raises(CommerceError, match="pour clôturer"):
        s.close(CashCount(), {"card": 0}, operator="M", now=at(19))
    assert s.x_report(operator="M", now=at(19)).figures.totals.total == 13503


def test_z_needs_the_typed_amount_of_each_method_used():
    s, _ = full_day()
    with pytest.raises(CommerceError) as exc:
        s.close(CashCount(), operator="M", now=at(18))
    assert str(exc.value) == "montant compté pour Carte bancaire manquant (attendu 107,44 €) : saisissez-le"
    assert not s.is_closed
    with pytest.raises(CommerceError, match="^les espèces se comptent par coupure"):
        s.close(CashCount(), {"cash": 9759, "card": 10744}, operator="M", now=at(18))
    with pytest.raises(CommerceError, match="^moyen de paiement « bitcoin » inconnu"):
        s.close(CashCount(), {"card": 10744, "bitcoin": 5}, operator="M", now=at(18))
    with pytest.raises(CommerceError, match="^montant compté « 107.44 » pour Carte bancaire refusé"):
        s.close(CashCount(), {"card": 107.44}, operator="M", now=at(18))


def test_z_with_no_card_payment_needs_no_card_amount():
    s = opened()
    z = s.close(parse_count(FLOAT_TEXT), operator="Léa", now=at(9))
    assert z.checks == (MethodCheck("cash", 15000, 15000), MethodCheck("card", 0, 0))


def test_other_payment_methods_get_their_own_figures():
    """Room for cheque, gift card, credit note: any method on a ticket is summed and checked."""
    s = opened()
    line = Line(BOOK.gtin13, BOOK.name, 2, BOOK.price, BOOK.vat_bp)
    s.record(ValidatedTicket(id="t-1", register="2", number=1, cashier="Léa", created_at=at(9), lines=(line,),
                             payments=(Payment("cheque", 1000), Payment("cash", 490, 500))))
    f = s.figures
    assert f.expected == {"cash": 15490, "card": 0, "cheque": 1000}
    assert (f.cash.tendered, f.cash.change) == (500, 10)
    drawer = parse_count(FLOAT_TEXT).as_dict()
    for denom, n in {200: 2, 50: 1, 20: 1, 10: 1, 5: 1, 2: 2}.items():  # + 4,89 €
        drawer[denom] = drawer.get(denom, 0) + n
    z = s.close(CashCount.of(drawer), {"cheque": 1000}, operator="Léa", now=at(10))
    assert [(c.method, c.label, c.difference) for c in z.checks] == [
        ("cash", "Espèces", -1), ("card", "Carte bancaire", 0), ("cheque", "Chèque", 0)]


# -- the 24-hour rule ------------------------------------------------------------------------------
def test_a_session_opened_more_than_24_hours_ago_must_be_closed_before_selling():
    s = opened()
    day = Day()
    assert not s.needs_closing(OPEN + timedelta(hours=24))
    s.check_can_sell(OPEN + timedelta(hours=24))
    s.record(day.sell([(BREAD, 1)], [("cash", 135)], OPEN + timedelta(hours=24)))
    late = OPEN + timedelta(hours=24, seconds=1)
    assert s.needs_closing(late)
    with pytest.raises(CommerceError) as exc:
        s.check_can_sell(late)
    assert str(exc.value) == ("session de caisse ouverte le 14/03/2025 à 08:00, il y a plus de 24 heures : "
                              "faites la clôture (Z) avant de vendre à nouveau")
    with pytest.raises(CommerceError, match="plus de 24 heures"):
        s.record(day.sell([(BREAD, 1)], [("cash", 135)], late))
    assert s.figures.totals.tickets == 1
    # closing is still allowed, and so is a cash out before closing
    s.cash_out(135, "safe", operator="Léa", now=late)
    z = s.close(parse_count(FLOAT_TEXT), operator="Léa", now=late + timedelta(minutes=5))
    assert z.check("cash").difference == 0


def test_a_date_before_the_opening_is_refused():
    s = opened()
    with pytest.raises(CommerceError, match="^date du 14/03/2025 à 07:59 antérieure à l'ouverture"):
        s.check_can_sell(at(7, 59))


# -- records refused ----------------------------------------------------------------------------------
def test_tickets_refused_by_the_session():
    s = opened()
    day = Day()
    t = day.sell([(BREAD, 1)], [("cash", 200)], at(9))
    s.record(t)
    with pytest.raises(CommerceError, match="^ticket n° 1 déjà enregistré"):
        s.record(t)
    other = Ticket()
    other.add(BREAD)
    other.pay_card()
    foreign = other.validate(ticket_id="x", register="3", number=1, cashier="Léa", created_at=at(9))
    with pytest.raises(CommerceError, match="^ticket n° 1 de la caisse 3 refusé"):
        s.record(foreign)
    line = Line(BREAD.gtin13, BREAD.name, 1, BREAD.price, BREAD.vat_bp)
    unpaid = ValidatedTicket(id="u", register="2", number=9, cashier="Léa", created_at=at(9), lines=(line,),
                             payments=(Payment("card", 100),))
    with pytest.raises(CommerceError, match=r"^ticket n° 9 refusé : réglé 1,00 € pour un total de 1,35 €$"):
        s.record(unpaid)
    card_change = ValidatedTicket(id="c", register="2", number=10, cashier="Léa", created_at=at(9),
                                  lines=(line,), payments=(Payment("card", 135, 200),))
    with pytest.raises(CommerceError, match="le rendu se fait en espèces"):
        s.record(card_change)
    assert len(s.tickets) == 1


# -- cash movements -----------------------------------------------------------------------------------
@pytest.mark.parametrize("call, message", [
    (lambda s: s.cash_in(0, operator="L", now=at(9)), "entrée de caisse de 0,00 € refusée : le montant doit être positif"),
    (lambda s: s.cash_out(-500, operator="L", now=at(9)), "sortie de caisse de -5,00 € refusée : le montant doit être positif"),
    (lambda s: s.cash_in(12.5, operator="L", now=at(9)), "entrée de caisse de « 12.5 » refusée"),
    (lambda s: s.cash_in(100, "bank", operator="L", now=at(9)),
     "motif « bank » inconnu pour une entrée de caisse : change (Apport de monnaie), other (Autre entrée)"),
    (lambda s: s.cash_out(100, "other", note="  ", operator="L", now=at(9)),
     "motif « autre » : précisez la raison de la sortie de caisse"),
    (lambda s: s.cash_out(15001, operator="L", now=at(9)),
     "sortie de 150,01 € refusée : la caisse ne contient que 150,00 € en espèces"),
    (lambda s: s.move("sideways", 100, "other", operator="L", now=at(9)), "mouvement « sideways » inconnu"),
])
def test_cash_movements_refused(call, message):
    s = opened()
    with pytest.raises(CommerceError) as exc:
        call(s)
    assert str(exc.value).startswith(message)
    assert s.movements == []


def test_cash_movement_reasons_and_free_text():
    s = opened()
    m = s.cash_out(15000, "other", note="  achat   de timbres ", operator="Léa", now=at(9))
    assert (m.amount, m.signed, m.reason, m.note, m.label) == (15000, -15000, "other", "achat de timbres",
                                                             "Autre sortie : achat de timbres")
    assert s.expected_cash == 0
    m = s.cash_in(5000, operator="Léa", now=at(10))
    assert (m.reason, m.label, m.signed) == ("change", "Apport de monnaie", 5000)
    assert s.expected_cash == 5000


def test_open_refuses_a_bad_number():
    with pytest.raises(CommerceError, match="^numéro de session « 0 » refusé"):
        CashSession.open(register="2", number=0, operator="L", opening_count=CashCount(), now=OPEN)
