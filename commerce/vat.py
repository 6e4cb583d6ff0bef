"""French VAT (TVA). Rates are integers in basis points (2000 = 20 %).

Shelf prices include VAT (TTC). The net (HT) and VAT of a rate are derived once from that
rate's TTC total, so that HT + TVA = TTC holds on every row and on the receipt.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .errors import CommerceError
from .money import round_half_up

RATES_BP = (2000, 1000, 550, 210)  # normal, intermédiaire, réduit, particulier


def check_rate(rate_bp: int) -> int:
    if rate_bp not in RATES_BP:
        raise CommerceError(
            f"taux de TVA {rate_label(rate_bp)} inconnu : les taux français sont 20 %, 10 %, 5,5 % et 2,1 %"
        )
    return rate_bp


def parse_rate(text: str) -> int:
    """'20', '5,5', '5.5 %', '0.055', '0,2' -> basis points; refuses unknown rates."""
    raw = str(text).strip().replace("%", "").replace(",", ".").strip()
    if not raw:
        raise CommerceError("taux de TVA manquant : attendu 20, 10, 5,5 ou 2,1")
    try:
        value = float(raw)
    except ValueError:
        raise CommerceError(f"taux de TVA « {text} » illisible : attendu 20, 10, 5,5 ou 2,1") from None
    # Rates written as fractions (0.055) are accepted too; no French rate is below 1 %.
    bp = round(value * 10000) if value < 1 else round(value * 100)
    return check_rate(bp)


def rate_label(rate_bp: int) -> str:
    """2000 -> '20 %', 550 -> '5,5 %'."""
    units, rest = divmod(int(rate_bp), 100)
    dec = f",{rest:02d}".rstrip("0") if rest else ""
    return f"{units}{dec} %"


def split_ttc(ttc_cents: int, rate_bp: int) -> tuple[int, int]:
    """TTC -> (HT, TVA) with HT rounded by the shop's rule and TVA = TTC - HT."""
    ht = round_half_up(ttc_cents * 10000, 10000 + rate_bp)
    return ht, ttc_cents - ht


@dataclass(frozen=True)
class VatRow:
    rate_bp: int
    ht: int
    tva: int
    ttc: int


def breakdown(amounts: Iterable[tuple[int, int]]) -> list[VatRow]:
    """(rate_bp, ttc_cents) pairs -> one row per rate, highest rate first."""
    per_rate: dict[int, int] = {}
    for rate_bp, ttc in amounts:
        per_rate[rate_bp] = per_rate.get(rate_bp, 0) + ttc
    rows = []
    for rate_bp in sorted(per_rate, reverse=True):
        ht, tva = split_ttc(per_rate[rate_bp], rate_bp)
        rows.append(VatRow(rate_bp, ht, tva, per_rate[rate_bp]))
    return rows
