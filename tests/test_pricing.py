"""commerce.pricing and the priced ticket (commerce.ticket): discounts, promotions, pricelists,
loyalty points, `spread`. Pure rules: every figure in cents."""
from __future__ import annotations

import pytest

from register_env import BISCUIT, CAFE, JUS, LIVRE, NUT, PROMOS, SODA, YAOURT

from commerce.errors import CommerceError
from commerce.pricing import (FULL_BP, Customer, Discount, Pricelist, Promotion, parse_discount, points_earned,
                              redeem_value, spread)
from commerce.ticket import DISCOUNT, ITEM, LOYALTY, PROMO, Ticket


def lines(t):
    return [(l.kind, l.label, l.vat_bp, l.total, l.net) for l in t.priced]


def vat(t):
    return [(v.rate_bp, v.ht, v.tva, v.ttc) for v in t.vat]


# -- discounts as typed ------------------------------------------------------------------------
@pytest.mark.parametrize("typed, discount, label", [
    ("10%", Discount(percent_bp=1000), "10 %"),
    ("5,5 %", Discount(percent_bp=550), "5,5 %"),
    ("12.25%", Discount(percent_bp=1225), "12,25 %"),
    ("100 %", Discount(percent_bp=10000), "100 %"),
    ("2,50", Discount(amount=250), "2,50 €"),
    ("2.50 €", Discount(amount=250), "2,50 €"),
    ("3", Discount(amount=300), "3,00 €"),
])
def test_parse_discount(typed, discount, label):
    assert parse_discount(typed) == discount
    assert discount.label == label


@pytest.mark.parametrize("typed, message", [
    ("150%", "remise « 150% » refusée : un pourcentage va de 0,01 % à 100 %"),
    ("0 %", "remise « 0 % » refusée : un pourcentage va de 0,01 % à 100 %"),
    ("10,555%", "remise « 10,555% » illisible : attendu un pourcentage comme 10 % ou 5,5 %"),
    ("%10", "remise « %10 » illisible : attendu un pourcentage comme 10 % ou 5,5 %"),
    ("dix", "remise « dix » illisible : attendu un nombre comme 12,50"),
    ("-2", "remise « -2 » refusée : le montant doit être positif"),
    ("0,00", "remise « 0,00 » refusée : le montant doit être positif"),
])
def test_parse_discount_refusals(typed, message):
    with pytest.raises(CommerceError) as e:
        parse_discount(typed)
    assert str(e.value) == message


def test_discount_cut_rounds_half_up_and_never_exceeds_the_base():
    assert Discount(percent_bp=1000).cut(999) == 100        # 99,9 c
    assert Discount(percent_bp=550).cut(737) == 41          # 40,535 c
    assert Discount(percent_bp=1000).cut(1005) == 101       # 100,5 c: half up
    assert Discount(amount=737).cut(737) == 737
    with pytest.raises(CommerceError, match=r"^remise de 8,00 € refusée : elle dépasse le montant remisé \(7,37 €\)$"):
        Discount(amount=800).cut(737)
    with pytest.raises(CommerceError, match="rien à remiser"):
        Discount(percent_bp=1000).cut(0)
    # once accepted, a discount whose base shrinks takes at most the base (no error when reading the ticket)
    assert Discount(amount=800).off(100) == 100
    assert Discount(percent_bp=1000).off(0) == 0


# -- spread --------------------------------------------------------------------------------------
def test_spread_is_exact_and_gives_the_cents_left_to_the_largest_remainders():
    assert spread(100, [1, 1, 1]) == [34, 33, 33]
    assert spread(357, [737, 120]) == [307, 50]             # 307,01 and 49,98
    assert spread(1179, [2211, 9582]) == [221, 958]         # 221,04 and 957,96
    assert spread(0, [5, 5]) == [0, 0]
    assert spread(7, [0, 3]) == [0, 7]
    shares = spread(1001, [333, 333, 334, 1])
    assert sum(shares) == 1001 and shares == [333, 333, 334, 1]
    with pytest.raises(CommerceError, match="base nulle"):
        spread(5, [0, 0])


# -- promotions ------------------------------------------------------------------------------------
def test_promotion_cuts_group_by_group_dearest_first():
    three_for_two = Promotion("P", "3 pour 2", frozenset({"x"}), 3, percent_bp=FULL_BP)
    assert three_for_two.cuts([500, 300, 120, 120, 120, 100, 50]) == [(2, 120), (5, 100)]
    half = Promotion("H", "2e à -50 %", frozenset({"x"}), 2, percent_bp=5000)
    assert half.cuts([499, 499, 499]) == [(1, 250)]           # 249,5 c -> 250; the third unit pays in full
    bundle = Promotion("L", "Lot de 2 à 5,00 €", frozenset({"x"}), 2, bundle_price=500)
    assert bundle.cuts([345, 290]) == [(0, 73), (1, 62)]     # 1,35 € off, shared by price
    assert bundle.cuts([200, 200]) == []                      # the bundle costs more than the units: no cut


@pytest.mark.parametrize("kw", [dict(n=1, percent_bp=5000), dict(n=2), dict(n=2, percent_bp=5000, bundle_price=500),
                                dict(n=2, percent_bp=12000)])
def test_bad_promotions_are_refused(kw):
    with pytest.raises(CommerceError, match="promotion X refusée"):
        Promotion("X", "x", frozenset({"a"}), **kw)


def test_three_for_two_with_mixed_vat_rates():
    t = Ticket(promotions=PROMOS)
    t.add(SODA, 3)
    t.add(YAOURT, 3)
    assert t.total == 540   # 8,10 € less one soda (1,50 €, 20 %) and one yoghurt (1,20 €, 5,5 %)
    assert lines(t) == [
        (ITEM, "Soda 33 cl", 2000, 450, 300), (ITEM, "Yaourt", 550, 360, 240),
        (PROMO, "Promo 3 pour 2", 2000, -150, None), (PROMO, "Promo 3 pour 2", 550, -120, None)]
    assert vat(t) == [(2000, 250, 50, 300), (550, 227, 13, 240)]


def test_second_at_half_price_and_bundle_price():
    t = Ticket(promotions=PROMOS)
    t.add(CAFE, 3)
    assert t.total == 1247 and lines(t)[1] == (PROMO, "Promo 2e à -50 %", 550, -250, None)
    t = Ticket(promotions=PROMOS)
    t.add(BISCUIT)
    t.add(JUS)
    assert t.total == 500
    assert lines(t) == [(ITEM, "Biscuits", 550, 290, 228), (ITEM, "Jus 1 L", 1000, 345, 272),
                        (PROMO, "Promo Lot de 2 à 5,00 €", 1000, -73, None),
                        (PROMO, "Promo Lot de 2 à 5,00 €", 550, -62, None)]
    assert vat(t) == [(1000, 247, 25, 272), (550, 216, 12, 228)]


def test_no_promotion_on_a_line_with_a_manual_discount():
    t = Ticket(promotions=PROMOS)
    t.add(YAOURT, 3)
    assert t.total == 240
    t.set_line_discount(0, parse_discount("10%"))
    assert lines(t) == [(ITEM, "Yaourt", 550, 360, 324), (DISCOUNT, "Remise 10 %", 550, -36, None)]
    t.add(YAOURT)  # a new line (the discounted one is not added to), too few units alone for the offer
    assert t.total == 444 and len(t.lines) == 2


# -- line and ticket discounts -----------------------------------------------------------------
def test_line_discount_amount_and_ticket_discount_spread_per_rate():
    t = Ticket()
    t.add(NUT)
    t.add(LIVRE)
    t.set_line_discount(0, parse_discount("2,00"))
    assert t.total == 537 + 9582
    t.set_line_discount(0, None)
    t.set_discount(parse_discount("10%"))  # 1 031,9 c -> 10,32 € shared 0,74 / 9,58
    assert lines(t) == [(ITEM, "Nutella 400 g", 2000, 737, 663), (ITEM, "Livre", 210, 9582, 8624),
                        (DISCOUNT, "Remise ticket 10 %", 2000, -74, None),
                        (DISCOUNT, "Remise ticket 10 %", 210, -958, None)]
    assert t.total == 9287
    assert vat(t) == [(2000, 553, 110, 663), (210, 8447, 177, 8624)]


def test_discount_refused_over_the_line_and_kept_safe_when_the_base_shrinks():
    t = Ticket()
    t.add(NUT)
    with pytest.raises(CommerceError, match=r"remise de 8,00 € refusée : elle dépasse le montant remisé \(7,37 €\)"):
        t.set_line_discount(0, parse_discount("8,00"))
    with pytest.raises(CommerceError, match=r"remise de 8,00 € refusée"):
        t.set_discount(parse_discount("8,00"))
    t.set_line_discount(0, parse_discount("5,00"))
    t.set_price(0, 100)  # overridden below the discount: the discount takes the line to 0, never below
    assert t.total == 0 and lines(t)[1] == (DISCOUNT, "Remise 5,00 €", 2000, -100, None)
    t2 = Ticket()
    t2.add(NUT)
    t2.add(LIVRE)
    t2.set_discount(parse_discount("50,00"))
    t2.remove(1)  # the ticket discount now takes the 7,37 € left, not more
    assert t2.total == 0


# -- pricelists ----------------------------------------------------------------------------------
def test_pricelist_percent_and_fixed_prices():
    staff = Pricelist("personnel", "Tarif personnel −10 %", 1000, {LIVRE.gtin13: 9000})
    assert staff.price(NUT.gtin13, 737) == 663    # 73,7 c off -> 74
    assert staff.price(LIVRE.gtin13, 9582) == 9000
    assert Pricelist("x", "x").price(NUT.gtin13, 737) == 737


def test_attach_prices_lines_before_and_after_but_not_an_override():
    staff = Pricelist("personnel", "Tarif personnel −10 %", 1000)
    t = Ticket()
    t.add(NUT)
    t.add(CAFE)
    t.set_price(1, 400)
    t.attach(Customer("0490000000038", "Mme Lefèvre", "personnel"), staff)
    t.add(LIVRE)
    assert [(l.label, l.unit_price) for l in t.lines] == [("Nutella 400 g", 663), ("Café 250 g", 400),
                                                          ("Livre", 8624)]


# -- loyalty ----------------------------------------------------------------------------------------
def test_points_earned_and_redeemed():
    assert points_earned(10319) == 103 and points_earned(99) == 0 and points_earned(-500) == 0
    assert redeem_value(100, 150) == 500 and redeem_value(300, 300) == 1500
    with pytest.raises(CommerceError, match=r"^points « 150 » refusés : par centaines \(100, 200…\)$"):
        redeem_value(150, 500)
    with pytest.raises(CommerceError, match="^200 points demandés : le client n'en a que 189$"):
        redeem_value(200, 189)


def test_points_come_off_after_the_ticket_discount():
    t = Ticket()
    t.add(NUT)
    t.add(YAOURT)
    with pytest.raises(CommerceError, match="aucun client"):
        t.redeem_points(100)
    t.attach(Customer("0490000000014", "Camille", points=250))
    t.set_discount(parse_discount("50%"))  # 8,57 € -> 4,28 € left (4,285 -> 4,29 off)
    with pytest.raises(CommerceError, match=r"^100 points valent 5,00 € : plus que les articles du ticket \(4,28 €\)$"):
        t.redeem_points(100)
    t.set_discount(None)
    assert t.redeem_points(100) == 500
    assert lines(t)[-2:] == [(LOYALTY, "Fidélité 100 points", 2000, -430, None),
                             (LOYALTY, "Fidélité 100 points", 550, -70, None)]
    assert t.total == 357
    t.remove(0)  # the points are now worth more than what is left: no payment until they are changed
    with pytest.raises(CommerceError, match=r"100 points valent 5,00 € : plus que les articles du ticket \(1,20 €\)"):
        t.pay_card()
