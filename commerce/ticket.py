"""A ticket being rung up, its payments, and the validated (frozen) ticket it becomes."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from .catalogue import Product
from .errors import CommerceError
from .money import MAX_AMOUNT, MAX_CASH_OVER_DUE, format_eur
from .vat import VatRow, breakdown

MAX_QTY = 999
PAYMENT_METHODS = {"cash": "Espèces", "card": "Carte bancaire"}


@dataclass(frozen=True)
class Line:
    gtin13: str
    label: str
    qty: int
    unit_price: int  # cents TTC
    vat_bp: int
    total: int = field(init=False, compare=False)  # computed once: totals are summed on every scan

    def __post_init__(self):
        object.__setattr__(self, "total", self.unit_price * self.qty)


@dataclass(frozen=True)
class Payment:
    method: str  # key of PAYMENT_METHODS
    amount: int  # cents applied to the ticket
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


class _Amounts:
    """Totals shared by a ticket in progress and a validated one (one place for the sums)."""

    lines: "list[Line] | tuple[Line, ...]"
    payments: "list[Payment] | tuple[Payment, ...]"

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def vat(self) -> list[VatRow]:
        return breakdown((line.vat_bp, line.total) for line in self.lines)

    @property
    def paid(self) -> int:
        return sum(p.amount for p in self.payments)

    @property
    def change(self) -> int:
        return sum(p.change for p in self.payments)


@dataclass
class Ticket(_Amounts):
    """A ticket in progress. Lines change freely until payment starts; then only payments."""

    lines: list[Line] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)

    # -- lines -------------------------------------------------------------------------
    def _check_editable(self):
        if self.payments:
            raise CommerceError("paiement commencé : le ticket ne peut plus être modifié")

    def add(self, product: Product, qty: int = 1) -> int:
        """Add a product; scanning the last product again adds to its line. Returns the line index."""
        self._check_editable()
        check_qty(qty)
        last = self.lines[-1] if self.lines else None
        if last and last.gtin13 == product.gtin13 and last.unit_price == product.price:
            self.set_qty(len(self.lines) - 1, last.qty + qty)
            return len(self.lines) - 1
        line = Line(product.gtin13, product.name, qty, product.price, product.vat_bp)
        self._check_total(self.total + line.total)
        self.lines.append(line)
        return len(self.lines) - 1

    @staticmethod
    def _check_total(total: int) -> None:
        if total > MAX_AMOUNT:
            raise CommerceError(f"total de {format_eur(total)} refusé : un ticket ne dépasse pas "
                                f"{format_eur(MAX_AMOUNT)} (vérifiez les quantités)")

    def _check_index(self, index: int):
        if not 0 <= index < len(self.lines):
            raise CommerceError(f"ligne {index + 1} inexistante : le ticket a {len(self.lines)} ligne(s)")

    def set_qty(self, index: int, qty: int) -> None:
        self._check_editable()
        self._check_index(index)
        check_qty(qty)
        line = self.lines[index]
        new = Line(line.gtin13, line.label, qty, line.unit_price, line.vat_bp)
        self._check_total(self.total - line.total + new.total)
        self.lines[index] = new

    def remove(self, index: int) -> Line:
        self._check_editable()
        self._check_index(index)
        return self.lines.pop(index)

    @property
    def due(self) -> int:
        return self.total - self.paid

    @property
    def is_paid(self) -> bool:
        return bool(self.lines) and self.due == 0

    # -- payments ----------------------------------------------------------------------
    def _check_payable(self):
        if not self.lines:
            raise CommerceError("ticket vide : scannez un article avant d'encaisser")
        if self.due <= 0:
            raise CommerceError("ticket déjà réglé")

    def pay_cash(self, given: int) -> Payment:
        """Cash handed over; covers up to what is due, the rest is change."""
        self._check_payable()
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
        self._check_payable()
        amount = self.due if amount is None else amount
        if amount <= 0 or amount > self.due:
            raise CommerceError(
                f"paiement carte de {format_eur(amount)} refusé : il reste {format_eur(self.due)} à payer"
            )
        payment = Payment("card", amount)
        self.payments.append(payment)
        return payment

    def validate(self, *, ticket_id: str, register: str, number: int, cashier: str,
                 created_at: datetime) -> "ValidatedTicket":
        if not self.is_paid:
            raise CommerceError(f"ticket non soldé : il reste {format_eur(self.due)} à payer")
        return ValidatedTicket(
            id=ticket_id, register=register, number=number, cashier=cashier,
            created_at=created_at, lines=tuple(self.lines), payments=tuple(self.payments),
        )


@dataclass(frozen=True)
class ValidatedTicket(_Amounts):
    """A fully paid ticket with its number. Never modified: a correction is a new ticket."""

    id: str
    register: str
    number: int
    cashier: str
    created_at: datetime
    lines: tuple[Line, ...]
    payments: tuple[Payment, ...]
    training: bool = True  # every ticket of this teaching product is a training ticket


def next_ticket_number(last: Optional[int]) -> int:
    """Numbers are per register, start at 1, never reused, with no gaps."""
    return 1 if last is None else last + 1
