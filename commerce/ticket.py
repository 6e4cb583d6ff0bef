"""A ticket being rung up, its payments, and the validated (frozen) ticket it becomes.

The cashier enters goods lines: items sold, items returned (negative quantities, naming the line
they come back from) and gift cards sold. Discounts, promotions and loyalty points are derived from
them (commerce.pricing) as lines of their own, each time the ticket is read: `priced`. A validated
ticket keeps the priced lines, each goods line with its `net` (its total after its share of the
discounts), which is what a later return gives back.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from operator import attrgetter
from typing import Optional

from .catalogue import Product
from .errors import CommerceError
from .money import MAX_AMOUNT, MAX_CASH_OVER_DUE, format_eur
from .pricing import REDEEM_STEP, REDEEM_VALUE, Customer, Discount, Pricelist, Promotion, redeem_value, spread
from .vat import VatRow, breakdown

# The sums a scan recomputes over every line (a 50-line ticket at each scan): iterated in C.
_total, _discount, _give_back = attrgetter("total"), attrgetter("discount"), attrgetter("give_back")

MAX_QTY = 999
PAYMENT_METHODS = {"cash": "Espèces", "card": "Carte bancaire", "cheque": "Chèque",
                   "gift_card": "Carte cadeau", "credit_note": "Avoir"}
PAY_WORDS = {"cash": "espèces", "card": "carte", "cheque": "chèque", "gift_card": "carte cadeau",
             "credit_note": "avoir"}  # in messages: "paiement carte de 2,51 € refusé"
# A refund goes back by these methods (a gift card is never refunded: an avoir is issued instead).
REFUND_METHODS = ("cash", "card", "cheque", "credit_note")

# Line kinds. Goods lines are entered by the cashier; the others are derived (commerce.pricing).
ITEM, RETURN, GIFT_CARD = "item", "return", "gift_card"
DISCOUNT, PROMO, LOYALTY = "discount", "promo", "loyalty"
GOODS = (ITEM, RETURN, GIFT_CARD)


@dataclass(frozen=True)
class Line:
    gtin13: str
    label: str
    qty: int  # negative on a returned line
    unit_price: int  # cents TTC (negative on a discount line)
    vat_bp: int
    kind: str = ITEM
    discount: Optional[Discount] = None  # a line discount typed on an item
    origin: Optional[tuple[str, int]] = None  # a returned line: (original ticket id, its line no)
    give_back: int = 0  # a returned line: its share of the original ticket's discounts (cents ≥ 0)
    list_price: int = field(default=0, compare=False)  # the shelf price when the line was rung up (before a pricelist or override)
    net: Optional[int] = field(default=None, compare=False)  # set at validation on goods lines: total after the discounts
    total: int = field(init=False, compare=False)  # computed once: totals are summed on every scan

    def __post_init__(self):
        object.__setattr__(self, "total", self.unit_price * self.qty)
        if self.net is None and self.kind in GOODS:  # until a discount is spread on it, a goods line nets its total
            object.__setattr__(self, "net", self.total)


@dataclass(frozen=True)
class Payment:
    method: str  # key of PAYMENT_METHODS
    amount: int  # cents applied to the ticket (negative: money given back on a refund)
    given: int = 0  # cash handed over (cash only)
    reference: str = ""  # gift card, credit note (avoir) or cheque number

    @property
    def change(self) -> int:
        # Change is only ever given back on cash handed over, never on a refund (negative amount).
        return max(0, self.given - self.amount) if self.method == "cash" and self.amount > 0 else 0


def check_qty(qty: int) -> int:
    if not isinstance(qty, int) or qty < 1 or qty > MAX_QTY:
        raise CommerceError(f"quantité « {qty} » refusée : entre 1 et {MAX_QTY}")
    return qty


def method_label(method: str) -> str:
    return PAYMENT_METHODS.get(method, method)


class _Amounts:
    """Totals shared by a ticket in progress and a validated one (one place for the sums)."""

    payments: "list[Payment] | tuple[Payment, ...]"

    @property
    def priced(self) -> "tuple[Line, ...]":
        raise NotImplementedError

    @property
    def total(self) -> int:
        return sum(map(_total, self.priced))

    @property
    def vat(self) -> list[VatRow]:
        # A multi-purpose gift card sold is outside VAT: VAT is due on what it buys.
        return breakdown((line.vat_bp, line.total) for line in self.priced if line.kind != GIFT_CARD)

    @property
    def paid(self) -> int:
        return sum(p.amount for p in self.payments)

    @property
    def change(self) -> int:
        return sum(p.change for p in self.payments)


def price_lines(goods: list[Line], promotions=(), discount: Optional[Discount] = None,
                points: int = 0) -> tuple[Line, ...]:
    """Goods lines -> the ticket's lines: each goods line (with its `net`) followed by its line
    discount, then the promotions, the ticket discount and the loyalty points, per VAT rate."""
    if not (promotions or discount or points or any(map(_discount, goods)) or any(map(_give_back, goods))):
        return tuple(goods)  # nothing derived: each goods line nets its own total (Line.__post_init__)
    out: list[Line] = []
    nets: dict[int, int] = {}  # index in `out` of a goods line -> its net
    for line in goods:
        out.append(line)
        at, net = len(out) - 1, line.total
        if line.kind == ITEM and line.discount and line.total > 0:
            cut = line.discount.off(line.total)
            out.append(Line(line.gtin13, f"Remise {line.discount.label}", 1, -cut, line.vat_bp, DISCOUNT))
            net -= cut
        elif line.kind == RETURN and line.give_back:  # the discount it had when sold comes off the refund
            out.append(Line(line.gtin13, "Remise d'origine déduite", 1, line.give_back, line.vat_bp, DISCOUNT))
            net += line.give_back
        nets[at] = net
    for promo in promotions:
        units = sorted(((l.unit_price, i) for i, l in enumerate(out) if l.kind == ITEM and not l.discount
                        and l.gtin13 in promo.gtins for _ in range(max(l.qty, 0))), reverse=True)
        if len(units) >= promo.n:
            cuts = [(units[u][1], off) for u, off in promo.cuts([p for p, _ in units])]
            out += _spread_lines(out, nets, cuts, f"Promo {promo.label}", PROMO)
    for kind, label, cut in ((DISCOUNT, f"Remise ticket {discount.label}" if discount else "", discount),
                             (LOYALTY, f"Fidélité {points} points", points // REDEEM_STEP * REDEEM_VALUE)):
        if not cut:
            continue
        sold = [i for i in nets if out[i].kind == ITEM and nets[i] > 0]
        base = sum(nets[i] for i in sold)
        if base <= 0:
            continue
        off = cut.off(base) if isinstance(cut, Discount) else min(cut, base)
        out += _spread_lines(out, nets, list(zip(sold, spread(off, [nets[i] for i in sold]))), label, kind)
    # Copied only where a discount changed the net: most scans re-price lines that have none.
    return tuple(replace(l, net=nets[i]) if i in nets and l.net != nets[i] else l for i, l in enumerate(out))


def _spread_lines(out: list[Line], nets: dict[int, int], cuts, label: str, kind: str) -> list[Line]:
    """Cuts [(goods line index, cents)] -> the goods lines' nets lowered, and one line per VAT rate."""
    per_rate: dict[int, int] = {}
    for i, off in cuts:
        nets[i] -= off
        per_rate[out[i].vat_bp] = per_rate.get(out[i].vat_bp, 0) + off
    return [Line("", label, 1, -off, rate, kind) for rate, off in sorted(per_rate.items(), reverse=True) if off]


@dataclass
class Ticket(_Amounts):
    """A ticket in progress. Lines change freely until payment starts; then only payments."""

    lines: list[Line] = field(default_factory=list)  # the goods lines, as entered
    payments: list[Payment] = field(default_factory=list)
    promotions: tuple[Promotion, ...] = ()  # the shop's offers, applied by themselves
    discount: Optional[Discount] = None  # a discount on the whole ticket
    customer: Optional[Customer] = None  # attached by scanning a loyalty card
    pricelist: Optional[Pricelist] = None  # the customer's group prices
    points: int = 0  # loyalty points redeemed on this ticket
    corrects: Optional[tuple[str, int]] = None  # the ticket the returned lines come from (register, number)
    _cache: tuple = field(default=(None, ()), repr=False, compare=False)

    @property
    def priced(self) -> tuple[Line, ...]:
        key = (tuple(self.lines), self.promotions, self.discount, self.points)
        if self._cache[0] != key:
            self._cache = (key, price_lines(self.lines, self.promotions, self.discount, self.points))
        return self._cache[1]

    # -- lines -------------------------------------------------------------------------
    def _check_editable(self):
        if self.payments:
            raise CommerceError("paiement commencé : le ticket ne peut plus être modifié")

    def add(self, product: Product, qty: int = 1) -> int:
        """Add a product; scanning the last product again adds to its line. Returns the line index."""
        self._check_editable()
        check_qty(qty)
        price = self.pricelist.price(product.gtin13, product.price) if self.pricelist else product.price
        last = self.lines[-1] if self.lines else None
        if (last and last.kind == ITEM and last.gtin13 == product.gtin13 and last.unit_price == price
                and not last.discount):
            self.set_qty(len(self.lines) - 1, last.qty + qty)
            return len(self.lines) - 1
        return self._append(Line(product.gtin13, product.name, qty, price, product.vat_bp, list_price=product.price))

    def _append(self, line: Line) -> int:
        self._check_total(self.lines + [line])
        self.lines.append(line)
        return len(self.lines) - 1

    def add_gift_card(self, code: str, amount: int) -> int:
        """A multi-purpose gift card sold: no VAT on it (VAT is due on what it buys)."""
        self._check_editable()
        if amount <= 0 or amount > MAX_AMOUNT:
            raise CommerceError(f"montant de carte cadeau {format_eur(amount)} refusé : entre 0,01 € et "
                                f"{format_eur(MAX_AMOUNT)}")
        if any(l.kind == GIFT_CARD and l.gtin13 == code for l in self.lines):
            raise CommerceError(f"carte cadeau {code} déjà sur ce ticket")
        return self._append(Line(code, f"Carte cadeau {code}", 1, amount, 0, GIFT_CARD))

    def add_return(self, line: Line) -> int:
        """A line coming back (kind RETURN, negative quantity, with its origin, or none for a return
        without ticket); checked by the caller against what was sold and already returned."""
        self._check_editable()
        if line.kind != RETURN or line.qty >= 0:
            raise CommerceError("ligne de retour invalide")
        return self._append(line)

    @staticmethod
    def _check_total(lines: list[Line]) -> None:
        total = sum(map(_total, lines))
        if abs(total) > MAX_AMOUNT:
            raise CommerceError(f"total de {format_eur(total)} refusé : un ticket ne dépasse pas "
                                f"{format_eur(MAX_AMOUNT)} (vérifiez les quantités)")

    def _check_index(self, index: int):
        if not 0 <= index < len(self.lines):
            raise CommerceError(f"ligne {index + 1} inexistante : le ticket a {len(self.lines)} ligne(s)")

    def _replace(self, index: int, **changes) -> Line:
        self._check_editable()
        self._check_index(index)
        new = replace(self.lines[index], net=None, **changes)  # its net follows its new total
        self._check_total(self.lines[:index] + [new] + self.lines[index + 1:])
        self.lines[index] = new
        return new

    def _item(self, index: int, what: str) -> Line:
        self._check_index(index)
        line = self.lines[index]
        if line.kind != ITEM:
            raise CommerceError(f"{what} impossible sur « {line.label} » : seulement sur un article vendu")
        return line

    def set_qty(self, index: int, qty: int) -> None:
        self._item(index, "changement de quantité")
        check_qty(qty)
        self._replace(index, qty=qty)

    def check_price(self, index: int, unit_price: int) -> Line:
        """Refused now, before a manager is asked to approve, if line `index` cannot take this price."""
        self._check_editable()
        line = self._item(index, "changement de prix")
        if unit_price <= 0 or unit_price > MAX_AMOUNT:
            raise CommerceError(f"prix {format_eur(unit_price)} refusé : entre 0,01 € et {format_eur(MAX_AMOUNT)}")
        return line

    def set_price(self, index: int, unit_price: int) -> Line:
        """A price override (the caller has the manager's approval)."""
        self.check_price(index, unit_price)
        return self._replace(index, unit_price=unit_price)

    def set_line_discount(self, index: int, discount: Optional[Discount]) -> Line:
        line = self._item(index, "remise")
        if discount is not None:
            discount.cut(line.total)  # refused now if it cannot apply
        return self._replace(index, discount=discount)

    def set_discount(self, discount: Optional[Discount]) -> None:
        """A discount on the whole ticket (what is sold, after line discounts and promotions)."""
        self._check_editable()
        if discount is not None:
            discount.cut(self._discountable())
        self.discount = discount

    def _discountable(self, discount: Optional[Discount] = None) -> int:
        """What is sold, after line discounts and promotions (and `discount`, the ticket discount)."""
        return sum(l.net for l in price_lines(self.lines, self.promotions, discount) if l.kind == ITEM and l.net > 0)

    def attach(self, customer: Customer, pricelist: Optional[Pricelist] = None) -> None:
        """A loyalty card scanned: the customer's group prices apply to the lines not overridden."""
        self._check_editable()
        if self.customer and self.customer.card != customer.card:
            self.points = 0  # points redeemed were the other customer's
        self.customer, self.pricelist = customer, pricelist
        for i, l in enumerate(self.lines):
            if l.kind == ITEM and l.unit_price == (l.list_price or l.unit_price) and pricelist:
                self._replace(i, unit_price=pricelist.price(l.gtin13, l.list_price or l.unit_price))

    def redeem_points(self, points: int) -> int:
        """Loyalty points taken off the ticket; returns the cents off."""
        self._check_editable()
        if self.customer is None:
            raise CommerceError("aucun client : scannez sa carte de fidélité d'abord")
        value = redeem_value(points, self.customer.points)
        self._check_points_cover(points, value)
        self.points = points
        return value

    def _check_points_cover(self, points: int, value: int) -> None:
        # Points are taken last, after the ticket discount: they never pay for more than that is left.
        left = self._discountable(self.discount)
        if value > left:
            raise CommerceError(f"{points} points valent {format_eur(value)} : plus que les articles du ticket "
                                f"({format_eur(left)})")

    def remove(self, index: int) -> Line:
        self._check_editable()
        self._check_index(index)
        line = self.lines.pop(index)
        if not any(l.kind == RETURN for l in self.lines):
            self.corrects = None
        return line

    @property
    def due(self) -> int:
        return self.total - self.paid

    @property
    def is_paid(self) -> bool:
        return bool(self.lines) and self.due == 0

    @property
    def is_refund(self) -> bool:
        return self.due < 0

    # -- payments ----------------------------------------------------------------------
    def _check_payable(self):
        if not self.lines:
            raise CommerceError("ticket vide : scannez un article avant d'encaisser")
        self._check_points()
        if self.due == 0:
            raise CommerceError("ticket déjà réglé")

    def _check_points(self):
        if self.points and not self.payments:  # lines removed since the points were redeemed
            self._check_points_cover(self.points, self.points // REDEEM_STEP * REDEEM_VALUE)

    def pay_cash(self, given: int) -> Payment:
        """Cash handed over; covers up to what is due, the rest is change. On a refund, the cash
        given back is what is due (`given` is then ignored)."""
        self._check_payable()
        if self.due < 0:
            return self.pay("cash")
        if given <= 0:
            raise CommerceError(f"montant donné {format_eur(given)} refusé : il doit être positif")
        if given - self.due >= MAX_CASH_OVER_DUE:
            raise CommerceError(f"montant donné {format_eur(given)} refusé : il dépasse de plus de "
                                f"{format_eur(MAX_CASH_OVER_DUE)} le reste à payer ({format_eur(self.due)}) ; "
                                "vérifiez la saisie")
        payment = Payment("cash", min(given, self.due), given)
        self.payments.append(payment)
        return payment

    def pay_card(self, amount: Optional[int] = None) -> Payment:
        """Card pays what is due, or a part of it; never more (no change on a card)."""
        return self.pay("card", amount)

    def pay(self, method: str, amount: Optional[int] = None, reference: str = "") -> Payment:
        """A payment (or, when the ticket is a refund, money given back) by any method but cash
        handed over: never more than what is due, since change is given only in cash.
        `amount` is positive for a payment, negative for a refund; None: all that is due."""
        if method not in PAYMENT_METHODS:
            raise CommerceError(f"moyen de paiement « {method} » inconnu : {', '.join(PAYMENT_METHODS)}")
        self._check_payable()
        due = self.due
        amount = due if amount is None else amount
        label = PAY_WORDS.get(method, method)
        if due > 0 and not 0 < amount <= due:
            raise CommerceError(f"paiement {label} de {format_eur(amount)} refusé : il reste "
                                f"{format_eur(due)} à payer")
        if due < 0:
            if method not in REFUND_METHODS:
                raise CommerceError(f"remboursement par {label} impossible : espèces, carte, chèque ou avoir")
            if not due <= amount < 0:
                raise CommerceError(f"remboursement de {format_eur(-amount)} refusé : il reste "
                                    f"{format_eur(-due)} à rendre")
        payment = Payment(method, amount, amount if method == "cash" and amount > 0 else 0, reference)
        self.payments.append(payment)
        return payment

    def validate(self, *, ticket_id: str, register: str, number: int, cashier: str,
                 created_at: datetime) -> "ValidatedTicket":
        if not self.is_paid:
            raise CommerceError(f"ticket non soldé : il reste {format_eur(self.due)} à payer")
        self._check_points()
        priced = self.priced
        return ValidatedTicket(
            id=ticket_id, register=register, number=number, cashier=cashier,
            created_at=created_at, lines=priced, payments=tuple(self.payments), corrects=self.corrects,
            customer=self.customer.card if self.customer else "", points_redeemed=self.points,
            points_earned=points_for(priced) if self.customer else 0,
        )


def points_for(lines) -> int:
    """Loyalty points a ticket earns: one per whole euro of goods paid, discounts deducted."""
    from .pricing import points_earned
    return points_earned(sum(l.net for l in lines if l.kind in (ITEM, RETURN) and l.net is not None))


@dataclass(frozen=True)
class ValidatedTicket(_Amounts):
    """A fully paid ticket with its number. Never modified: a correction is a new ticket."""

    id: str
    register: str
    number: int
    cashier: str
    created_at: datetime
    lines: tuple[Line, ...]  # priced: goods lines with their net, and the derived lines
    payments: tuple[Payment, ...]
    training: bool = True  # every ticket of this teaching product is a training ticket
    corrects: Optional[tuple[str, int]] = None  # (register, number) of the ticket it corrects
    customer: str = ""  # the loyalty card attached, if any
    points_earned: int = 0
    points_redeemed: int = 0

    @property
    def priced(self) -> tuple[Line, ...]:
        return self.lines


def next_ticket_number(last: Optional[int]) -> int:
    """Numbers are per register, start at 1, never reused, with no gaps."""
    return 1 if last is None else last + 1
