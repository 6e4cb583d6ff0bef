"""French in-store codes (RCN prefixes 02, 20-29) with an embedded price or weight."""
from __future__ import annotations

import pytest

from commerce.errors import CommerceError
from commerce.instore import (DEFAULT_RULES, InStoreRule, make_instore_code, parse_instore,
                              price_check_digit, price_for_weight, rules_from_config, format_weight)


@pytest.mark.parametrize("value, digit", [("2875", "9"), ("14685", "6"),   # GS1 General Specifications 7.9.3 examples
                                          ("0000", "0"), ("00000", "0")])
def test_gs1_price_check_digit(value, digit):
    assert price_check_digit(value) == digit


def test_default_02_price_code():
    # 02 + item 12345 + 002,49 € + EAN check digit 0
    c = parse_instore("0212345002490")
    assert (c.item, c.measure, c.price_cents, c.grams) == ("12345", "price", 249, None)
    assert c.item_key == "0212345000007"
    # the UPC-A read of the same label (leading 0 dropped) is the same thing
    assert parse_instore("212345002490") == c


def test_default_21_weight_code_and_odoo_vectors():
    c = parse_instore("2100042003507")  # 0,350 kg of item 00042
    assert (c.item, c.measure, c.grams, c.price_cents, c.item_key) == ("00042", "weight", 350, None, "2100042000001")
    # Odoo's own POS test codes: 23.....{NNNDD} 123,45 € and 21.....{NNDDD}
    assert parse_instore("2301000123453").price_cents == 12345
    assert parse_instore("2301000123453").item_key == "2301000000006"
    # Odoo's tour scans 2100002080003: its EAN check digit is wrong (should be 5); we refuse it
    with pytest.raises(CommerceError) as exc:
        parse_instore("2100002080003")
    assert str(exc.value) == "code-barres 2100002080003 refusé : la clé de contrôle devrait être 5 (lu 3)"
    assert parse_instore("2100002080005").grams == 8000


def test_codes_outside_the_rules_are_plain_products():
    assert parse_instore("3292590049201") is None          # a French GTIN
    assert parse_instore("2012345000001") is None          # prefix 20: no default rule
    assert parse_instore("96385074") is None               # EAN-8


def test_bad_check_digit_refused_before_anything():
    with pytest.raises(CommerceError) as exc:
        parse_instore("0212345002491")
    assert str(exc.value) == "code-barres 0212345002491 refusé : la clé de contrôle devrait être 0 (lu 1)"


def test_internal_price_check_digit():
    rule = InStoreRule.from_pattern("20IIIIICNNDD", "prix")   # 4-digit price NN,DD with its check digit
    code = make_instore_code(rule, "12345", 1299)
    assert code == "2012345212992"                              # C = 2 for 1299
    c = parse_instore(code, [rule])
    assert (c.price_cents, c.item_key) == (1299, "2012345000001")
    # same code with C = 3 and a correct EAN check digit: the price check refuses it
    from commerce.gtin import check_digit
    bad = "201234531299"
    bad += check_digit(bad)
    with pytest.raises(CommerceError) as exc:
        parse_instore(bad, [rule])
    assert str(exc.value) == f"code-barres {bad} refusé : la clé du prix 1299 devrait être 2 (lu 3)"


def test_five_digit_weight_with_check_and_configurable_item_digits():
    rule = InStoreRule.from_pattern("28IIIICNNDDD", "poids")
    code = make_instore_code(rule, "0042", 14685)              # 14,685 kg
    assert code[6] == "6"                                      # GS1's 14685 -> 6
    c = parse_instore(code, [rule])
    assert (c.item, c.grams) == ("0042", 14685)
    rule = InStoreRule.from_pattern("25IIIIIIINNN", "prix")    # whole euros, 7 item digits
    c = parse_instore(make_instore_code(rule, "1234567", 1500), [rule])
    assert (c.item, c.price_cents) == ("1234567", 1500)


def test_zero_value_refused():
    with pytest.raises(CommerceError) as exc:
        parse_instore("2112345000008")
    assert str(exc.value) == "code-barres 2112345000008 refusé : il indique un poids nul ; pesez l'article à nouveau"


@pytest.mark.parametrize("pattern, measure, message", [
    ("30IIIIINNNDD", "prix", "règle de code magasin 30IIIIINNNDD refusée : le préfixe 30 n'est pas réservé "
                             "à la circulation restreinte (02 ou 20 à 29)"),
    ("21IIIIINNDDDD", "poids", None),
    ("21IIIIINNDDD", "volume", "règle de code magasin 21IIIIINNDDD : mesure « volume » inconnue (prix ou poids)"),
    ("23IIIIINNDDD", "prix", "règle de code magasin 23IIIIINNDDD refusée : 3 décimales, au plus 2 pour un prix (centimes)"),
    ("20IIICNNNNDD", "prix", "règle de code magasin 20IIICNNNNDD refusée : une clé de prix (C) ne protège que 4 ou 5 chiffres"),
])
def test_bad_rules_refused(pattern, measure, message):
    with pytest.raises(CommerceError) as exc:
        InStoreRule.from_pattern(pattern, measure)
    if message:
        assert str(exc.value) == message
    else:
        assert "illisible" in str(exc.value)


def test_rules_from_config():
    rules = rules_from_config({"02IIIIINNNDD": "prix", "26IIIIINNDDD": "poids"})
    assert [r.pattern for r in rules] == ["02IIIIINNNDD", "26IIIIINNDDD"]
    assert parse_instore(make_instore_code(rules[1], "00007", 1234), rules).grams == 1234
    with pytest.raises(CommerceError, match="deux règles pour le préfixe 02"):
        rules_from_config({"02IIIIINNNDD": "prix", "02IIIIINNDDD": "poids"})
    assert [r.pattern for r in DEFAULT_RULES] == ["02IIIIINNNDD", "21IIIIINNDDD", "23IIIIINNNDD"]


@pytest.mark.parametrize("per_kg, grams, cents", [
    (1890, 350, 662),     # 18,90 €/kg × 0,350 kg = 6,615 -> 6,62 (half up)
    (1000, 1, 1),         # 0,01 exactly
    (999, 1, 1),          # 0,00999 -> 0,01
    (1000, 4, 4),
    (1250, 2, 3),         # 0,025 -> 0,03 (half up, not to even)
    (2290, 1234, 2826),   # 28,2586 -> 28,26
    (0, 500, 0),
])
def test_price_for_weight_rounds_half_up(per_kg, grams, cents):
    assert price_for_weight(per_kg, grams) == cents


def test_format_weight():
    assert format_weight(350) == "0,350 kg" and format_weight(14685) == "14,685 kg"
