"""GTIN rules: EAN-13, EAN-8, UPC-A, UPC-E. Codes are strings; a wrong check digit is refused, never fixed.

Lookup keys are GTIN-13 strings (see `Gtin.gtin13`): a UPC-A `697929110035` and the EAN-13
`0697929110035` printed on the same box are one key; an EAN-8 is left-padded with zeros; a UPC-E is
first expanded to its UPC-A (GS1 General Specifications, "UPC-E" zero-suppression rules) and its
check digit is the one of that expansion.

Which reading of an 8-digit code? A scanner that says "UPC-E" (`symbology="UPCE"`) is believed.
Without a symbology, 8 digits are an EAN-8 (as before); only when the EAN-8 check digit is wrong,
the code starts with 0 or 1 and it is a valid UPC-E, is it read as a UPC-E. `lookup_keys` gives
both keys when both readings are valid, so the caller can try each.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .errors import CommerceError

KINDS = {13: "EAN13", 8: "EAN8", 12: "UPCA"}
UPCE_NAMES = {"UPCE", "UPC-E", "UPC_E"}  # as pyzbar, zxing-cpp and our config spell it
EAN8_NAMES = {"EAN8", "EAN-8", "EAN_8"}


def check_digit(body: str) -> str:
    """Mod-10 check digit of the digits before it (weights 3,1,3,… from the right)."""
    right = body[::-1]  # the digit next to the check digit weighs 3
    total = 3 * sum(map(int, right[0::2])) + sum(map(int, right[1::2]))
    return str((10 - total % 10) % 10)


@dataclass(frozen=True)
class Gtin:
    code: str  # as read
    kind: str  # EAN13, EAN8, UPCA, UPCE
    expansion: str = ""  # UPC-E only: the 12-digit UPC-A it stands for

    @property
    def gtin13(self) -> str:
        """Lookup key: left-padded to 13 digits, so UPC-A 697929110035 == EAN-13 0697929110035."""
        return (self.expansion or self.code).rjust(13, "0")


def expand_upce(code: str) -> str:
    """UPC-E (8 digits: number system 0/1, six digits, check) -> the 11 digits of its UPC-A body.

    GS1 zero-suppression, by the last of the six digits d1..d6:
      0, 1, 2 -> d1 d2 d6 0 0 0 0 d3 d4 d5
      3       -> d1 d2 d3 0 0 0 0 0 d4 d5
      4       -> d1 d2 d3 d4 0 0 0 0 0 d5
      5 to 9  -> d1 d2 d3 d4 d5 0 0 0 0 d6
    The number system is kept in front. The check digit is not part of the result.
    """
    ns, d = code[0], code[1:7]
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return ns + body


def _clean(code: str) -> str:
    text = str(code).strip()
    if not text:
        raise CommerceError("code-barres vide")
    if not text.isdigit() or not text.isascii():
        raise CommerceError(f"code-barres « {text} » refusé : il ne doit contenir que des chiffres")
    return text


def _wrong_check(text: str, expected: str, extra: str = "") -> CommerceError:
    return CommerceError(
        f"code-barres {text} refusé : la clé de contrôle devrait être {expected} (lu {text[-1]}){extra}"
    )


def _upce_or_error(text: str) -> Gtin:
    if len(text) != 8:
        raise CommerceError(f"code-barres UPC-E {text} refusé : {len(text)} chiffres, un UPC-E en a 8")
    if text[0] not in "01":
        raise CommerceError(f"code-barres UPC-E {text} refusé : un UPC-E commence par 0 ou 1 (lu {text[0]})")
    body = expand_upce(text)
    expected = check_digit(body)
    if text[-1] != expected:
        raise _wrong_check(text, expected, f", calculée sur sa forme UPC-A {body}{expected}")
    return Gtin(text, "UPCE", body + expected)


def _is_upce(text: str) -> bool:
    return len(text) == 8 and text[0] in "01" and text[-1] == check_digit(expand_upce(text))


def parse_gtin(code: str, symbology: Optional[str] = None) -> Gtin:
    """Validate a scanned or typed code; raise CommerceError with the reason in French.

    `symbology` is what the scanner reported, when it did ("UPCE", "EAN8", "EAN13"…).
    """
    text = _clean(code)
    sym = (symbology or "").upper()
    if sym in UPCE_NAMES:
        return _upce_or_error(text)
    kind = KINDS.get(len(text))
    if kind is None:
        raise CommerceError(
            f"code-barres {text} refusé : {len(text)} chiffres, "
            "alors qu'un EAN-13 en a 13, un UPC-A 12 et un EAN-8 8"
        )
    expected = check_digit(text[:-1])
    if text[-1] != expected:
        if kind == "EAN8" and sym not in EAN8_NAMES and _is_upce(text):
            return _upce_or_error(text)
        raise _wrong_check(text, expected)
    return Gtin(text, kind)


def parse_entry(code: str, symbology: Optional[str] = None) -> Gtin:
    """Like parse_gtin, for what a cashier types: 7 digits are refused as ambiguous.

    Seven digits look like an EAN-8 whose check digit was left out (or a UPC-E without its check
    digit). We never complete a code: the person must type the 8 digits printed under the bars.
    """
    text = str(code).strip()
    if len(text) == 7 and text.isdigit() and text.isascii() and not symbology:
        raise CommerceError(
            f"code-barres {text} ambigu : 7 chiffres, c'est peut-être un EAN-8 sans sa clé de "
            f"contrôle (elle serait {check_digit(text)}) ; tapez les 8 chiffres imprimés sous les barres"
        )
    return parse_gtin(text, symbology)


def lookup_keys(code: str, symbology: Optional[str] = None) -> tuple[str, ...]:
    """Every GTIN-13 key a validated entry may stand for, the likeliest first (usually one).

    Two keys only for an 8-digit code starting with 0 or 1 that is valid both as an EAN-8 and as a
    UPC-E, read without a symbology: the EAN-8 key first, then the UPC-E's UPC-A key.
    """
    gtin = parse_entry(code, symbology)
    keys = [gtin.gtin13]
    if gtin.kind == "EAN8" and not symbology and _is_upce(gtin.code):
        keys.append(_upce_or_error(gtin.code).gtin13)
    return tuple(keys)


def normalize(code: str) -> str:
    """Validated GTIN-13 lookup key for any EAN-13, EAN-8, UPC-A (or UPC-E, see parse_gtin)."""
    return parse_gtin(code).gtin13
