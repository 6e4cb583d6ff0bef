"""Validation of what we hand to python-barcode (protocol only, no I/O)."""
from __future__ import annotations

SYMBOLOGIES = {"EAN13": 13, "EAN8": 8, "CODE128": None}
CODE128_MAX = 80  # characters; longer codes do not fit a label or a 80 mm receipt


class LabelError(ValueError):
    """A code or label we refuse to draw; the message is French and names the input."""


def ean_check_digit(body: str) -> str:
    """GS1 mod-10 check digit (weights 3, 1, 3… from the right) of the digits before it."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def check_code(symbology: str, data: str) -> str:
    """Return `data` unchanged if it can be drawn as `symbology`, else raise LabelError.

    EAN-13 and EAN-8 must be given whole, check digit included, and it must be right.
    CODE128: printable ASCII (32-126), 1 to 80 characters.
    """
    sym = str(symbology).upper().replace("-", "").replace("_", "")
    if sym not in SYMBOLOGIES:
        raise LabelError(f"symbologie « {symbology} » non prise en charge (EAN13, EAN8, CODE128)")
    if not isinstance(data, str):
        raise LabelError(f"code-barres {sym} refusé : il doit être une chaîne de caractères (zéros en tête gardés)")
    name = {"EAN13": "EAN-13", "EAN8": "EAN-8", "CODE128": "Code 128"}[sym]
    if sym == "CODE128":
        if not data or len(data) > CODE128_MAX:
            raise LabelError(f"code-barres Code 128 refusé : 1 à {CODE128_MAX} caractères (lu {len(data)})")
        bad = next((c for c in data if not 32 <= ord(c) < 127), None)
        if bad is not None:
            raise LabelError(f"code-barres Code 128 « {data} » refusé : caractère {bad!r} hors ASCII imprimable")
        return data
    n = SYMBOLOGIES[sym]
    if not (data.isascii() and data.isdigit()):
        raise LabelError(f"code-barres {name} « {data} » refusé : il ne doit contenir que des chiffres")
    if len(data) != n:
        raise LabelError(f"code-barres {name} {data} refusé : {len(data)} chiffres, un {name} en a {n} "
                         "(clé de contrôle comprise)")
    expected = ean_check_digit(data[:-1])
    if data[-1] != expected:
        raise LabelError(f"code-barres {name} {data} refusé : la clé de contrôle devrait être {expected} "
                         f"(lu {data[-1]})")
    return data
