"""Money (integer cents, one rounding rule) and French VAT: values computed by hand."""
from __future__ import annotations

import pytest

from commerce.catalogue import Product
from commerce.errors import CommerceError
from commerce.money import format_amount, format_eur, parse_amount, round_half_up
from commerce.ticket import Ticket
from commerce.vat import VatRow, breakdown, parse_rate, rate_label, split_ttc


# -- round_half_up ---------------------------------------------------------------------------
@pytest.mark.parametrize("num, den, expected", [
    (5, 10, 1), (15, 10, 2), (25, 10, 3), (7, 2, 4),      # positive halves go up
    (-5, 10, -1), (-15, 10, -2), (-25, 10, -3), (-7, 2, -4),  # negative halves go away from zero
    (14, 10, 1), (16, 10, 2), (-14, 10, -1), (-16, 10, -2),  # not halves: nearest
    (0, 7, 0), (20, 10, 2), (-20, 10, -2),
    (1031900, 12000, 86), (123456789, 100, 1234568),
])
def test_round_half_up(num, den, expected):
    assert round_half_up(num, den) == expected


@pytest.mark.parametrize("den", [0, -10])
def test_round_half_up_refuses_non_positive_denominator(den):
    with pytest.raises(ValueError):
        round_half_up(10, den)


# -- parse_amount / format -------------------------------------------------------------------
@pytest.mark.parametrize("text, cents", [
    ("12,50", 1250), ("12.5", 1250), ("12", 1200), ("12,50 €", 1250), ("12,5 €", 1250),
    (" 0,05 ", 5), ("0", 0), ("-3,20", -320), ("1\u00a0234,56", 123456), ("12,50€", 1250),
    ("999999999,99", 99999999999),
])
def test_parse_amount(text, cents):
    value = parse_amount(text)
    assert value == cents
    assert isinstance(value, int)


@pytest.mark.parametrize("text", ["abc", "12,505", "1.2.3", "12,5x", "12 ,50 ,1", "1e3", "--3"])
def test_parse_amount_refuses_with_french_message_naming_input(text):
    with pytest.raises(CommerceError) as exc:
        parse_amount(text, "montant donné")
    assert str(exc.value) == f"montant donné « {text} » illisible : attendu un nombre comme 12,50"


@pytest.mark.parametrize("text", ["", " ", "€"])
def test_a_missing_amount_says_so(text):
    with pytest.raises(CommerceError) as exc:
        parse_amount(text, "prix")
    assert str(exc.value) == "prix manquant : attendu un nombre comme 12,50"


def test_parse_amount_default_label():
    with pytest.raises(CommerceError, match="^montant « douze » illisible"):
        parse_amount("douze")


@pytest.mark.parametrize("cents, text", [
    (1250, "12,50 €"), (5, "0,05 €"), (0, "0,00 €"), (-320, "-3,20 €"), (-5, "-0,05 €"),
    (100000, "1000,00 €"), (10319, "103,19 €"),
])
def test_format_eur(cents, text):
    assert format_eur(cents) == text
    assert format_amount(cents) == text[:-2]
    assert parse_amount(text) == cents  # what we print, we can read back


# -- VAT split --------------------------------------------------------------------------------
@pytest.mark.parametrize("ttc, rate_bp, ht, tva", [
    # 103,19 / 1,20 = 85,9916… -> 85,99 ; TVA = 103,19 - 85,99 = 17,20
    (10319, 2000, 8599, 1720),
    # 1,00 / 1,20 = 0,8333… -> 0,83 ; TVA 0,17
    (100, 2000, 83, 17),
    # 2,50 / 1,055 = 2,3696… -> 2,37 ; TVA 0,13
    (250, 550, 237, 13),
    # 10,00 / 1,055 = 9,4786… -> 9,48 ; TVA 0,52
    (1000, 550, 948, 52),
    # 3,45 / 1,10 = 3,1363… -> 3,14 ; TVA 0,31
    (345, 1000, 314, 31),
    # 0,55 / 1,10 = 0,50 exactly ; TVA 0,05
    (55, 1000, 50, 5),
    # 10,00 / 1,021 = 9,7943… -> 9,79 ; TVA 0,21
    (1000, 210, 979, 21),
    # 1,99 / 1,021 = 1,9490… -> 1,95 ; TVA 0,04
    (199, 210, 195, 4),
    (0, 2000, 0, 0),
    # a refund splits symmetrically
    (-10319, 2000, -8599, -1720),
])
def test_split_ttc(ttc, rate_bp, ht, tva):
    assert split_ttc(ttc, rate_bp) == (ht, tva)


def test_breakdown_of_a_multi_rate_ticket():
    t = Ticket()
    t.add(Product("3292590049201", "Bonbons", 799, 2000), 2)          # 15,98 at 20 %
    t.add(Product("3297560704173", "Jus", 345, 1000), 3)             # 10,35 at 10 %
    t.add(Product("3292590050511", "Biscuits", 250, 550), 2)         # 5,00 at 5,5 %
    t.add(Product("4006381333931", "Coffret", 10319, 2000))          # 103,19 at 20 %
    t.add(Product("3760040070006", "Journal", 199, 210))             # 1,99 at 2,1 %
    assert t.total == 1598 + 1035 + 500 + 10319 + 199 == 13651
    rows = t.vat
    # 20 %: 119,17 / 1,2 = 99,308… -> 99,31, TVA 19,86
    # 10 %: 10,35 / 1,1 = 9,409… -> 9,41, TVA 0,94
    # 5,5 %: 5,00 / 1,055 = 4,739… -> 4,74, TVA 0,26
    # 2,1 %: 1,99 / 1,021 = 1,949… -> 1,95, TVA 0,04
    assert rows == [
        VatRow(2000, 9931, 1986, 11917),
        VatRow(1000, 941, 94, 1035),
        VatRow(550, 474, 26, 500),
        VatRow(210, 195, 4, 199),
    ]
    for row in rows:
        assert row.ht + row.tva == row.ttc
    assert sum(r.ttc for r in rows) == t.total


def test_breakdown_groups_by_rate_highest_first():
    rows = breakdown([(550, 100), (2000, 1), (550, 150), (2000, 2), (1000, 0)])
    assert [r.rate_bp for r in rows] == [2000, 1000, 550]
    assert [r.ttc for r in rows] == [3, 0, 250]
    # 0,03 / 1,2 = 0,025 -> 0,03 (ht) and 0,00 TVA; 2,50 / 1,055 = 2,3696 -> 2,37
    assert rows[0] == VatRow(2000, 3, 0, 3)
    assert rows[2] == VatRow(550, 237, 13, 250)
    assert breakdown([]) == []


# -- rates ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text, bp", [
    ("20", 2000), ("20 %", 2000), ("20%", 2000), ("0,2", 2000), ("0.20", 2000),
    ("10", 1000), ("5,5", 550), ("5.5", 550), ("5.5 %", 550), ("5,5 %", 550), ("0.055", 550),
    ("2,1", 210), ("2.1", 210), ("0,021", 210), (" 10 ", 1000),
])
def test_parse_rate(text, bp):
    assert parse_rate(text) == bp


@pytest.mark.parametrize("text", ["7", "19,6", "0.07", "0", "100", "5,4"])
def test_parse_rate_refuses_unknown_rates(text):
    with pytest.raises(CommerceError) as exc:
        parse_rate(text)
    assert "inconnu : les taux français sont 20 %, 10 %, 5,5 % et 2,1 %" in str(exc.value)


def test_parse_rate_seven_names_the_rate():
    with pytest.raises(CommerceError) as exc:
        parse_rate("7")
    assert str(exc.value).startswith("taux de TVA 7 % inconnu")


@pytest.mark.parametrize("text", ["vingt", "5,5,5"])
def test_parse_rate_refuses_unreadable(text):
    with pytest.raises(CommerceError) as exc:
        parse_rate(text)
    assert str(exc.value) == f"taux de TVA « {text} » illisible : attendu 20, 10, 5,5 ou 2,1"


@pytest.mark.parametrize("text", ["", "%"])
def test_a_missing_rate_says_so(text):
    with pytest.raises(CommerceError, match="^taux de TVA manquant"):
        parse_rate(text)


@pytest.mark.parametrize("bp, label", [(2000, "20 %"), (1000, "10 %"), (550, "5,5 %"), (210, "2,1 %"),
                                       (700, "7 %"), (1960, "19,6 %"), (5, "0,05 %")])
def test_rate_label(bp, label):
    assert rate_label(bp) == label
