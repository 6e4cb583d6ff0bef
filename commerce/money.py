"""Money is an integer number of cents. The one rounding rule of the shop lives here."""
from __future__ import annotations

import re

from .errors import CommerceError

# The largest amount the shop handles: a price, a ticket total or a payment (100 000,00 €).
# Beyond it, an amount is a typing slip; the sync format refuses it too.
MAX_AMOUNT = 10_000_000
# Cash handed over may exceed what is due by less than this (a 500 € note): more is a typing slip.
MAX_CASH_OVER_DUE = 50_000

_AMOUNT = re.compile(r"^(-?)(\d{1,9})(?:[.,](\d{1,2}))?$")


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves away from zero.

    The shop's only rounding rule (commercial rounding, as on French receipts); every
    computation that leaves exact integers (VAT split, weights, percentages) goes through it.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return sign * q


def parse_amount(text: str, what: str = "montant") -> int:
    """'12,50', '12.50', '12', '12,5 €' -> cents. Refuses anything else with a French message."""
    raw = str(text).strip().replace("€", "").replace("\u00a0", "").replace(" ", "")
    if not raw:
        raise CommerceError(f"{what} manquant : attendu un nombre comme 12,50")
    m = _AMOUNT.match(raw)
    if not m:
        raise CommerceError(f"{what} « {text} » illisible : attendu un nombre comme 12,50")
    sign, units, dec = m.groups()
    cents = int(units) * 100 + int((dec or "0").ljust(2, "0"))
    return -cents if sign else cents


def format_amount(cents: int) -> str:
    """1250 -> '12,50'; -320 -> '-3,20' (French decimal comma, no currency)."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{units},{rest:02d}"


def format_eur(cents: int) -> str:
    """1250 -> '12,50 €'."""
    return f"{format_amount(cents)} €"
