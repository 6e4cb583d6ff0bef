"""GTIN normalisation for lookups: UPC-A, EAN-13 with a leading 0, UPC-E, EAN-8; ambiguous entries refused."""
from __future__ import annotations

import pytest

from commerce.errors import CommerceError
from commerce.gtin import expand_upce, lookup_keys, normalize, parse_entry, parse_gtin


def test_upc_a_and_ean13_with_leading_zero_are_one_item():
    assert normalize("697929110035") == normalize("0697929110035") == "0697929110035"
    assert lookup_keys("697929110035") == lookup_keys("0697929110035") == ("0697929110035",)
    assert parse_gtin("697929110035").kind == "UPCA"
    assert parse_gtin("0697929110035").kind == "EAN13"


@pytest.mark.parametrize("upce, upca", [
    ("06543217", "065100004327"),   # Wikipedia's UPC-E example (last digit 1: d1 d2 d6 0000 d3 d4 d5)
    ("04252614", "042100005264"),   # UPC-A 042100005264 compressed
    ("01234565", "012345000065"),   # last digit 5..9: d1..d5 0000 d6
    ("01234133", "012300000413"),   # last digit 3: d1 d2 d3 00000 d4 d5
    ("01234145", "012340000015"),   # last digit 4: d1..d4 00000 d5
    ("01234125", "012200003415"),   # last digit 2
    ("11234562", "112345000062"),   # number system 1
])
def test_upce_expansion(upce, upca):
    assert expand_upce(upce) == upca[:11]
    g = parse_gtin(upce, symbology="UPCE")
    assert (g.kind, g.code, g.expansion, g.gtin13) == ("UPCE", upce, upca, "0" + upca)
    assert lookup_keys(upce, "UPC-E") == ("0" + upca,)


def test_upce_is_the_same_item_as_its_upc_a_and_ean13():
    assert parse_gtin("04252614", "UPCE").gtin13 == normalize("042100005264") == normalize("0042100005264")


def test_upce_check_digit_is_validated_on_the_expansion():
    with pytest.raises(CommerceError) as exc:
        parse_gtin("06543218", symbology="UPCE")
    assert str(exc.value) == ("code-barres 06543218 refusé : la clé de contrôle devrait être 7 (lu 8), "
                              "calculée sur sa forme UPC-A 065100004327")


@pytest.mark.parametrize("code, message", [
    ("26543217", "code-barres UPC-E 26543217 refusé : un UPC-E commence par 0 ou 1 (lu 2)"),
    ("654321", "code-barres UPC-E 654321 refusé : 6 chiffres, un UPC-E en a 8"),
])
def test_upce_shape_refused(code, message):
    with pytest.raises(CommerceError) as exc:
        parse_gtin(code, symbology="UPCE")
    assert str(exc.value) == message


def test_eight_digits_without_symbology():
    # valid EAN-8: stays an EAN-8 (as before)
    assert parse_gtin("96385074").kind == "EAN8"
    # wrong as an EAN-8 (expected 1), valid as a UPC-E: read as the UPC-E
    g = parse_gtin("06543217")
    assert (g.kind, g.gtin13) == ("UPCE", "0065100004327")
    # valid both ways: EAN-8 key first, then the UPC-E's
    assert parse_gtin("01234565").kind == "EAN8"
    assert lookup_keys("01234565") == ("0000001234565", "0012345000065")
    # a scanner that says EAN-8 is believed: the EAN-8 message, no UPC-E guess
    with pytest.raises(CommerceError) as exc:
        parse_gtin("06543217", symbology="EAN8")
    assert str(exc.value) == "code-barres 06543217 refusé : la clé de contrôle devrait être 1 (lu 7)"


def test_ean8_padded_and_zeros_kept():
    assert normalize("96385074") == "0000096385074"
    assert lookup_keys("00000096385074"[1:]) == ("0000096385074",)
    g = parse_gtin("0065100004327")
    assert isinstance(g.gtin13, str) and g.gtin13 == "0065100004327"


def test_seven_digit_entry_is_ambiguous_and_never_completed():
    with pytest.raises(CommerceError) as exc:
        parse_entry("9638507")
    assert str(exc.value) == ("code-barres 9638507 ambigu : 7 chiffres, c'est peut-être un EAN-8 sans sa clé "
                              "de contrôle (elle serait 4) ; tapez les 8 chiffres imprimés sous les barres")
    with pytest.raises(CommerceError, match="ambigu"):
        lookup_keys(" 9638507 ")
    assert lookup_keys("96385074") == ("0000096385074",)  # the full code typed: found


def test_bad_ean13_check_digit_refused_with_the_expected_digit():
    for fn in (parse_gtin, parse_entry, lookup_keys):
        with pytest.raises(CommerceError) as exc:
            fn("3292590049202")
        assert str(exc.value) == "code-barres 3292590049202 refusé : la clé de contrôle devrait être 1 (lu 2)"


def test_existing_messages_unchanged_for_parse_gtin():
    with pytest.raises(CommerceError) as exc:
        parse_gtin("1234567")
    assert str(exc.value) == ("code-barres 1234567 refusé : 7 chiffres, alors qu'un EAN-13 en a 13, "
                              "un UPC-A 12 et un EAN-8 8")
