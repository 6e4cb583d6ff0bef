"""How a ticket's prices are adjusted: line and ticket discounts, automatic promotions, pricelists
per customer group, loyalty points. Pure rules, no I/O.

Every adjustment becomes a line of its own with a negative total and the VAT rate of what it
reduces, so the VAT breakdown stays right and the receipt shows it (a promotion is printed, never
hidden in a price). A cut spread over several lines or rates goes through `spread`, which keeps
the sum exact. Items with a manual line discount take no promotion (no stacking).

Glossary: remise = discount, promotion = automatic offer, tarif = pricelist, fidélité = loyalty.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

from .errors import CommerceError
from .money import format_eur, parse_amount, round_half_up

FULL_BP = 10_000  # 100 % in basis points
_PERCENT = re.compile(r"^(\d{1,3})(?:[.,](\d{1,2}))?\s*%$")


@dataclass(frozen=True)
class Discount:
    """A discount as typed: a percentage (basis points) or an amount (cents), never both."""

    percent_bp: int = 0
    amount: int = 0

    @property
    def label(self) -> str:
        if self.percent_bp:
            units, rest = divmod(self.percent_bp, 100)
            return f"{units}{f',{rest:02d}'.rstrip('0') if rest else ''} %"
        return format_eur(self.amount)

    def cut(self, base: int) -> int:
        """What the discount takes off `base` cents; never more than the base."""
        if base <= 0:
            raise CommerceError("remise impossible : rien à remiser (montant nul ou négatif)")
        if self.percent_bp:
            return round_half_up(base * self.percent_bp, FULL_BP)
        if self.amount > base:
            raise CommerceError(f"remise de {format_eur(self.amount)} refusée : elle dépasse le montant "
                                f"remisé ({format_eur(base)})")
        return self.amount

    def off(self, base: int) -> int:
        """What the discount takes off `base` now, at most the base: a discount accepted earlier
        stays valid when the base shrinks later (a price override, a line removed)."""
        if base <= 0:
            return 0
        return min(round_half_up(base * self.percent_bp, FULL_BP) if self.percent_bp else self.amount, base)


def parse_discount(text: str) -> Discount:
    """'10%', '5,5 %' -> a percentage; '2,50', '2.50 €' -> an amount. Refused with the reason."""
    raw = str(text).strip()
    m = _PERCENT.match(raw)
    if m:
        bp = int(m.group(1)) * 100 + int((m.group(2) or "0").ljust(2, "0"))
        if not 0 < bp <= FULL_BP:
            raise CommerceError(f"remise « {text} » refusée : un pourcentage va de 0,01 % à 100 %")
        return Discount(percent_bp=bp)
    if "%" in raw:
        raise CommerceError(f"remise « {text} » illisible : attendu un pourcentage comme 10 % ou 5,5 %")
    cents = parse_amount(raw, "remise")
    if cents <= 0:
        raise CommerceError(f"remise « {text} » refusée : le montant doit être positif")
    return Discount(amount=cents)


def spread(total: int, weights: Sequence[int]) -> list[int]:
    """`total` cents shared in proportion to `weights` (all ≥ 0), the shares summing exactly to
    `total`: each share is rounded down, then the cents left go to the largest remainders."""
    whole = sum(weights)
    if whole <= 0:
        raise CommerceError("répartition impossible : base nulle")
    shares, rests = [], []
    for i, w in enumerate(weights):
        q, r = divmod(total * w, whole)
        shares.append(q)
        rests.append((-r, i))
    for _, i in sorted(rests)[: total - sum(shares)]:
        shares[i] += 1
    return shares


@dataclass(frozen=True)
class Promotion:
    """An automatic offer on units of some products, applied group by group, dearest units first.

    percent_bp: the cheapest unit of every group of `n` takes this off (3 pour 2: n=3, 100 %;
    the second at −50 %: n=2, 50 %). bundle_price: every group of `n` costs this (lot de 2 à 5 €).
    """

    code: str
    label: str  # printed on the ticket: "3 pour 2", "2e à -50 %", "Lot de 2 à 5,00 €"
    gtins: frozenset
    n: int
    percent_bp: int = 0
    bundle_price: int = 0

    def __post_init__(self):
        if self.n < 2 or not self.gtins or (self.percent_bp <= 0) == (self.bundle_price <= 0):
            raise CommerceError(f"promotion {self.code} refusée : il faut au moins 2 articles par lot et "
                                "soit un pourcentage, soit un prix de lot")
        if self.percent_bp > FULL_BP:
            raise CommerceError(f"promotion {self.code} refusée : plus de 100 % de remise")

    def cuts(self, units: Sequence[int]) -> list[tuple[int, int]]:
        """Unit prices (dearest first) -> [(index of a unit, cents off)] for every complete group."""
        out = []
        for start in range(0, len(units) - self.n + 1, self.n):
            group = range(start, start + self.n)
            if self.percent_bp:
                cheapest = start + self.n - 1
                out.append((cheapest, round_half_up(units[cheapest] * self.percent_bp, FULL_BP)))
            else:
                off = sum(units[i] for i in group) - self.bundle_price
                if off > 0:
                    for i, share in zip(group, spread(off, [units[i] for i in group])):
                        out.append((i, share))
        return out


@dataclass(frozen=True)
class Pricelist:
    """Prices of a customer group: a fixed price per product, else a percentage off the shelf price."""

    group: str
    label: str
    percent_bp: int = 0
    prices: Mapping[str, int] = field(default_factory=dict)

    def price(self, gtin13: str, shelf_price: int) -> int:
        if gtin13 in self.prices:
            return self.prices[gtin13]
        if self.percent_bp:
            return shelf_price - round_half_up(shelf_price * self.percent_bp, FULL_BP)
        return shelf_price


# -- loyalty ------------------------------------------------------------------------------------
POINT_EARNED_PER = 100  # one point per whole euro of goods paid
REDEEM_STEP = 100  # points are redeemed by hundreds…
REDEEM_VALUE = 500  # …each hundred worth 5,00 € off the ticket


@dataclass(frozen=True)
class Customer:
    card: str  # the loyalty card's barcode (commerce.cards)
    name: str
    group: str = ""  # the pricelist group, "" for shelf prices
    points: int = 0  # balance before this ticket


def points_earned(goods_paid: int) -> int:
    return max(0, goods_paid) // POINT_EARNED_PER


def redeem_value(points: int, balance: int) -> int:
    """The cents off for `points` redeemed out of `balance`; refused with the reason."""
    if points <= 0 or points % REDEEM_STEP:
        raise CommerceError(f"points « {points} » refusés : par centaines ({REDEEM_STEP}, {2 * REDEEM_STEP}…)")
    if points > balance:
        raise CommerceError(f"{points} points demandés : le client n'en a que {balance}")
    return points // REDEEM_STEP * REDEEM_VALUE


def demo_promotions(gtins: Sequence[str]) -> list[Promotion]:
    """The demo shop's offers on the first products of the catalogue (deterministic)."""
    g = list(gtins)
    out = []
    if len(g) >= 1:
        out.append(Promotion("P3X2", "3 pour 2", frozenset(g[0:1]), 3, percent_bp=FULL_BP))
    if len(g) >= 2:
        out.append(Promotion("P2E50", "2e à -50 %", frozenset(g[1:2]), 2, percent_bp=5000))
    if len(g) >= 4:
        out.append(Promotion("LOT2", "Lot de 2 à 5,00 €", frozenset(g[2:4]), 2, bundle_price=500))
    return out


def parse_optional_discount(text: Optional[str]) -> Optional[Discount]:
    return parse_discount(text) if text and text.strip() else None
