"""GTIN rules: EAN-13, EAN-8, UPC-A. Codes are strings; a wrong check digit is refused, never fixed."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import CommerceError

KINDS = {13: "EAN13", 8: "EAN8", 12: "UPCA"}


def check_digit(body: str) -> str:
    """Mod-10 check digit of the digits before it (weights 3,1,3,… from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


@dataclass(frozen=True)
class Gtin:
    code: str  # as read
    kind: str  # EAN13, EAN8, UPCA

    @property
    def gtin13(self) -> str:
        """Lookup key: left-padded to 13 digits, so UPC-A 697929110035 == EAN-13 0697929110035."""
        return self.code.rjust(13, "0")


def parse_gtin(code: str) -> Gtin:
    """Validate a scanned or typed code; raise CommerceError with the reason in French."""
    text = str(code).strip()
    if not text:
        raise CommerceError("code-barres vide")
    if not text.isdigit() or not text.isascii():
        raise CommerceError(f"code-barres « {text} » refusé : il ne doit contenir que des chiffres")
    kind = KINDS.get(len(text))
    if kind is None:
        raise CommerceError(
            f"code-barres {text} refusé : {len(text)} chiffres, "
            "alors qu'un EAN-13 en a 13, un UPC-A 12 et un EAN-8 8"
        )
    expected = check_digit(text[:-1])
    if text[-1] != expected:
        raise CommerceError(
            f"code-barres {text} refusé : la clé de contrôle devrait être {expected} (lu {text[-1]})"
        )
    return Gtin(text, kind)


def normalize(code: str) -> str:
    """Validated GTIN-13 lookup key for any EAN-13, EAN-8 or UPC-A."""
    return parse_gtin(code).gtin13
