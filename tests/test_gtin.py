"""GTIN rules: EAN-13, EAN-8, UPC-A; wrong codes refused with a clear French message, never fixed."""
from __future__ import annotations

import pytest

from commerce.errors import CommerceError
from commerce.gtin import check_digit, normalize, parse_gtin


@pytest.mark.parametrize("code, kind", [
    ("4006381333931", "EAN13"),   # the GS1 / Wikipedia EAN-13 example
    ("3292590049201", "EAN13"),   # Croc citron (Open Food Facts)
    ("0697929110035", "EAN13"),
    ("96385074", "EAN8"),         # the Wikipedia EAN-8 example
    ("73513537", "EAN8"),
    ("036000291452", "UPCA"),     # the Wikipedia UPC-A example
    ("697929110035", "UPCA"),
])
def test_valid_codes(code, kind):
    g = parse_gtin(code)
    assert g.kind == kind
    assert g.code == code
    assert len(g.gtin13) == 13 and g.gtin13.endswith(code)


@pytest.mark.parametrize("body, digit", [
    ("400638133393", "1"), ("329259004920", "1"), ("9638507", "4"), ("03600029145", "2"),
    ("123456789101", "9"), ("000000000000", "0"),
])
def test_check_digit(body, digit):
    assert check_digit(body) == digit


def test_exactly_one_check_digit_is_accepted():
    body = "329259004920"
    accepted = []
    for d in "0123456789":
        try:
            parse_gtin(body + d)
            accepted.append(d)
        except CommerceError:
            pass
    assert accepted == ["1"]


def test_wrong_check_digit_is_refused_not_fixed():
    with pytest.raises(CommerceError) as exc:
        parse_gtin("1234567891012")
    msg = str(exc.value)
    assert "devrait être 9" in msg
    assert msg == "code-barres 1234567891012 refusé : la clé de contrôle devrait être 9 (lu 2)"


@pytest.mark.parametrize("code, expected, read", [
    ("3292590049202", "1", "2"), ("96385075", "4", "5"), ("036000291453", "2", "3"),
])
def test_wrong_check_digit_each_kind(code, expected, read):
    with pytest.raises(CommerceError) as exc:
        parse_gtin(code)
    assert str(exc.value) == (f"code-barres {code} refusé : la clé de contrôle devrait être "
                              f"{expected} (lu {read})")


def test_upc_a_and_its_ean13_form_share_one_key():
    assert normalize("697929110035") == normalize("0697929110035") == "0697929110035"
    assert parse_gtin("697929110035").gtin13 == parse_gtin("0697929110035").gtin13
    # EAN-8 keys are padded the same way, and keep every zero
    assert normalize("96385074") == "0000096385074"


def test_codes_stay_strings_with_leading_zeros():
    g = parse_gtin("0697929110035")
    assert isinstance(g.code, str) and isinstance(g.gtin13, str)
    assert g.code == "0697929110035"
    assert g.gtin13 == "0697929110035"
    assert normalize(" 0697929110035 \n") == "0697929110035"  # scanner whitespace only is stripped
    assert normalize("0000096385074") == normalize("96385074")  # EAN-8 written as EAN-13


@pytest.mark.parametrize("code", ["329259004920A", "3292 590049201", "3292590049-20", "３２９２５９００４９２０１",
                                  "٣٢٩٢٥٩٠٠٤٩٢٠١", "+292590049201", "3292590049201.0"])
def test_non_digits_refused(code):
    with pytest.raises(CommerceError) as exc:
        parse_gtin(code)
    assert str(exc.value) == f"code-barres « {code.strip()} » refusé : il ne doit contenir que des chiffres"


@pytest.mark.parametrize("code", ["3292590049", "32925900492011", "1234567", "1", "123456789", "12345678901"])
def test_wrong_lengths_refused(code):
    with pytest.raises(CommerceError) as exc:
        parse_gtin(code)
    assert str(exc.value) == (f"code-barres {code} refusé : {len(code)} chiffres, "
                              "alors qu'un EAN-13 en a 13, un UPC-A 12 et un EAN-8 8")


@pytest.mark.parametrize("code", ["", "   ", "\n"])
def test_empty_refused(code):
    with pytest.raises(CommerceError, match="^code-barres vide$"):
        parse_gtin(code)
