"""The cash session (session de caisse): float, sales and refunds, cash in and out, X and Z reports,
and the period closings the law asks for (day, month, fiscal year, with a perpetual grand total).

Pure rules: no clock, no storage, no printer. Every function that needs the time takes `now`.

Glossary: session de caisse = cash session (CashSession); fond de caisse = opening float;
comptage = count (CashCount); coupure = denomination; apport = cash in; sortie / remise en banque =
cash out; rapport X = X report (resets nothing); clôture Z = Z closing; écart = difference
(counted − expected: positive over, negative short); grand total perpétuel = perpetual grand total.

Refunds. A refund (or the returned part of an exchange) is a ValidatedTicket whose returned lines have
a negative quantity (so a negative total) and whose payments may be negative: Payment("cash", -1250)
gives 12,50 € back in cash, Payment("card", -1250) credits the card. Change is only ever given in cash,
on a positive cash payment (given > amount); on a negative payment `given` is ignored. The session
computes the drawer from the payments' amounts itself, so it does not depend on Payment.change for
negative payments.

What the reports state (Totals): gross sales (item lines), returns (returned lines, and how many),
discounts, promotions and loyalty points (their derived lines, commerce.ticket kinds), gift cards sold
(outside the VAT breakdown: not turnover), the net turnover per VAT rate, and per payment method what
was received, refunded and the net (a credit note issued on a refund is a negative "credit_note"
payment: "Avoirs émis"; one redeemed is a positive one: "Avoirs utilisés"). A sale and its full refund
net to 0 everywhere: each ticket's VAT rows are split from its own TTC, and the split is symmetric.

Count text form (for scripts): items "COUNTxVALUE" separated by spaces, VALUE in euros as
commerce.money.parse_amount reads it, e.g. "20x10 5x2 3x0,50" or "20x10.00 5x2.00 3x0.50"
(20 notes of 10 €, 5 coins of 2 €, 3 coins of 50 c). A denomination appears once.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable, Mapping, Optional, Sequence, Union

from .errors import CommerceError
from .money import MAX_AMOUNT, format_amount, format_eur, parse_amount
from .receipt import TRAINING_BANNER, Cut, ShopInfo, Text, left_right, plural, vat_table, wrap
from .ticket import (
    DISCOUNT, GIFT_CARD, ITEM, LOYALTY, PAYMENT_METHODS, PROMO, RETURN, Payment, ValidatedTicket, method_label,
)
from .vat import VatRow

# -- denominations and counts (comptage) ------------------------------------------------------------

COINS = (1, 2, 5, 10, 20, 50, 100, 200)  # cents
NOTES = (500, 1000, 2000, 5000, 10000, 20000, 50000)  # cents
DENOMINATIONS = COINS + NOTES

SESSION_MAX_AGE = timedelta(hours=24)


def denomination_label(cents: int) -> str:
    """50 -> '50 c', 200 -> '2 €', 50000 -> '500 €'."""
    return f"{cents} c" if cents < 100 else f"{cents // 100} €"


_ALL_DENOMINATIONS = ", ".join(denomination_label(d) for d in DENOMINATIONS)


def _unknown_denomination(value, where: str = "") -> CommerceError:
    shown = format_eur(value) if isinstance(value, int) and not isinstance(value, bool) else f"« {value} »"
    return CommerceError(f"coupure {shown} inconnue{where} : les coupures sont {_ALL_DENOMINATIONS}")


@dataclass(frozen=True)
class CashCount:
    """Pieces per denomination (cents -> number of pieces), highest first, zero counts left out."""

    pieces: tuple[tuple[int, int], ...] = ()

    @classmethod
    def of(cls, counts: Mapping[int, int]) -> "CashCount":
        """Validate a mapping {denomination in cents: number of pieces}."""
        clean: dict[int, int] = {}
        for denom, n in counts.items():
            if isinstance(denom, bool) or not isinstance(denom, int) or denom not in DENOMINATIONS:
                raise _unknown_denomination(denom)
            label = denomination_label(denom)
            if isinstance(n, bool) or not isinstance(n, int):
                raise CommerceError(f"nombre de pièces « {n} » pour {label} refusé : un nombre entier est attendu")
            if n < 0:
                raise CommerceError(f"nombre de pièces « {n} » pour {label} refusé : il ne peut pas être négatif")
            if n:
                clean[denom] = n
        count = cls(tuple(sorted(clean.items(), reverse=True)))
        if count.total > MAX_AMOUNT:
            raise CommerceError(f"comptage de {format_eur(count.total)} refusé : une caisse ne dépasse pas "
                                f"{format_eur(MAX_AMOUNT)} (vérifiez les nombres)")
        return count

    @property
    def total(self) -> int:
        return sum(d * n for d, n in self.pieces)

    def as_dict(self) -> dict[int, int]:
        return dict(self.pieces)

    def to_text(self) -> str:
        """The script form, read back by parse_count: '20x10,00 3x0,50'."""
        return " ".join(f"{n}x{format_amount(d)}" for d, n in self.pieces)


_ITEM = re.compile(r"^(-?\d+)[xX×](.+)$")


def parse_count(text: str) -> CashCount:
    """'20x10 5x2,00 3x0.50' -> CashCount. An empty text is an empty drawer. Errors name the token."""
    counts: dict[int, int] = {}
    for token in str(text).split():
        m = _ITEM.match(token)
        if not m:
            raise CommerceError(f"élément de comptage « {token} » illisible : attendu NOMBRExVALEUR, "
                                "par exemple 20x10,00 (20 billets de 10 €)")
        n = int(m.group(1))
        try:
            denom = parse_amount(m.group(2), "coupure")
        except CommerceError:
            raise CommerceError(f"coupure « {m.group(2)} » illisible dans « {token} » : attendu une valeur "
                                "en euros comme 10 ou 0,50") from None
        if denom not in DENOMINATIONS:
            raise _unknown_denomination(denom, f" dans « {token} »")
        if n < 0:
            raise CommerceError(f"nombre de pièces négatif dans « {token} »")
        if denom in counts:
            raise CommerceError(f"coupure {denomination_label(denom)} comptée deux fois (« {token} ») : "
                                "donnez chaque coupure une seule fois")
        counts[denom] = n
    return CashCount.of(counts)


# -- payment methods and line kinds ----------------------------------------------------------------

# At a Z closing, cash is counted by denomination; these are typed (the card terminal's total, the
# cheques' total: the closing screen asks for them); gift cards and credit notes are not counted: their
# expected amount is their net. Any other method used must be typed too.
TYPED_METHODS = ("card", "cheque")
UNCOUNTED_METHODS = ("gift_card", "credit_note")
# What "received" and "refunded" mean for a method on a report (a credit note is redeemed or issued).
_FLOW_LABELS = {"credit_note": ("Avoirs utilisés", "Avoirs émis")}
REDUCTIONS = (DISCOUNT, PROMO, LOYALTY)
_KINDS = (ITEM, RETURN, GIFT_CARD) + REDUCTIONS


def _method_order(method: str) -> tuple:
    keys = list(PAYMENT_METHODS)
    return (keys.index(method), "") if method in keys else (len(keys), method)


def line_kind(line) -> str:
    """What a line counts as in the reports: its kind (commerce.ticket), except that a line stored
    before kinds existed (or of an unknown kind) is a sale, or a return when negative, and that a
    returned gift card (a return at 0 %: gift cards carry no VAT) counts with the gift cards."""
    kind = line.kind if line.kind in _KINDS else ITEM
    if kind == ITEM and line.total < 0:
        return RETURN
    if kind == RETURN and line.vat_bp == 0:
        return GIFT_CARD
    return kind


# -- cash movements (apports et sorties) ---------------------------------------------------------

CASH_IN, CASH_OUT = "in", "out"
MOVEMENT_REASONS = {
    CASH_IN: {"change": "Apport de monnaie", "other": "Autre entrée"},
    CASH_OUT: {"bank": "Remise en banque", "safe": "Dépôt au coffre", "expense": "Dépense",
               "other": "Autre sortie"},
}


@dataclass(frozen=True)
class CashMovement:
    direction: str  # CASH_IN | CASH_OUT
    amount: int  # cents, always positive
    reason: str  # key of MOVEMENT_REASONS[direction]
    note: str  # free text ('' allowed, required when reason is 'other')
    operator: str
    at: datetime

    @property
    def signed(self) -> int:
        return self.amount if self.direction == CASH_IN else -self.amount

    @property
    def label(self) -> str:
        base = MOVEMENT_REASONS[self.direction][self.reason]
        return f"{base} : {self.note}" if self.note else base


def make_movement(direction: str, amount: int, reason: str, note: str, operator: str,
                  at: datetime) -> CashMovement:
    if direction not in MOVEMENT_REASONS:
        raise CommerceError(f"mouvement « {direction} » inconnu : entrée (in) ou sortie (out)")
    word = "entrée" if direction == CASH_IN else "sortie"
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        shown = format_eur(amount) if isinstance(amount, int) else f"« {amount} »"
        raise CommerceError(f"{word} de caisse de {shown} refusée : le montant doit être positif")
    if amount > MAX_AMOUNT:
        raise CommerceError(f"{word} de caisse de {format_eur(amount)} refusée : au plus {format_eur(MAX_AMOUNT)}")
    reasons = MOVEMENT_REASONS[direction]
    if reason not in reasons:
        allowed = ", ".join(f"{k} ({v})" for k, v in reasons.items())
        raise CommerceError(f"motif « {reason} » inconnu pour une {word} de caisse : {allowed}")
    note = " ".join(str(note or "").split())
    if reason == "other" and not note:
        raise CommerceError(f"motif « autre » : précisez la raison de la {word} de caisse")
    return CashMovement(direction, amount, reason, note, operator, at)


# -- figures --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MethodTotal:
    """What one payment method took in and gave back (cents, both ≥ 0)."""

    method: str
    received: int  # sum of positive payment amounts (cash: what was kept, change already deducted)
    refunded: int  # sum of negative payment amounts, as a positive number (credit notes: issued)
    payments: int  # number of payments

    @property
    def net(self) -> int:
        return self.received - self.refunded

    @property
    def label(self) -> str:
        return method_label(self.method)

    @property
    def received_label(self) -> str:
        return _FLOW_LABELS.get(self.method, ("encaissé", "remboursé"))[0]

    @property
    def refunded_label(self) -> str:
        return _FLOW_LABELS.get(self.method, ("encaissé", "remboursé"))[1]


@dataclass(frozen=True)
class Totals:
    """Sums over a set of tickets: what a report and a period closing share.

    total == gross_sales + returns + reductions + gift_cards_sold; the VAT rows are the net turnover
    (sales, returns and reductions netted per rate), gift cards sold are outside them."""

    tickets: int = 0
    refund_tickets: int = 0  # tickets with a negative total
    total: int = 0  # TTC, the sum of the ticket totals (what the customers paid, net)
    gross_sales: int = 0  # sum of the sale lines (before reductions)
    returns: int = 0  # sum of the returned lines (≤ 0)
    vat: tuple[VatRow, ...] = ()  # net turnover per rate, each ticket's own rows added up, highest rate first
    methods: tuple[MethodTotal, ...] = ()
    return_lines: int = 0  # number of returned lines
    discounts: int = 0  # line and ticket discounts (≤ 0)
    promotions: int = 0  # automatic promotions (≤ 0)
    loyalty: int = 0  # loyalty points redeemed (≤ 0)
    gift_cards_sold: int = 0  # multi-purpose gift cards sold (returned ones deducted): no VAT, not turnover
    gift_cards_count: int = 0  # number of gift cards sold (net of returned ones)
    absolute: int = 0  # every line total in absolute value: what the perpetual absolute grand total adds

    @property
    def reductions(self) -> int:
        """Discounts, promotions and loyalty points together (≤ 0)."""
        return self.discounts + self.promotions + self.loyalty

    @property
    def total_ht(self) -> int:
        return sum(r.ht for r in self.vat)

    @property
    def total_tva(self) -> int:
        return sum(r.tva for r in self.vat)

    @property
    def turnover(self) -> int:
        """Net turnover TTC (chiffre d'affaires): the VAT rows' TTC, gift cards sold left out."""
        return sum(r.ttc for r in self.vat)

    def method(self, method: str) -> MethodTotal:
        for m in self.methods:
            if m.method == method:
                return m
        return MethodTotal(method, 0, 0, 0)


def _sum_vat(rows: Iterable[VatRow]) -> tuple[VatRow, ...]:
    per_rate: dict[int, list[int]] = {}
    for r in rows:
        acc = per_rate.setdefault(r.rate_bp, [0, 0, 0])
        acc[0] += r.ht
        acc[1] += r.tva
        acc[2] += r.ttc
    return tuple(VatRow(rate, *per_rate[rate]) for rate in sorted(per_rate, reverse=True))


def _sum_methods(items: Iterable[MethodTotal]) -> tuple[MethodTotal, ...]:
    acc: dict[str, list[int]] = {}
    for m in items:
        a = acc.setdefault(m.method, [0, 0, 0])
        a[0] += m.received
        a[1] += m.refunded
        a[2] += m.payments
    return tuple(MethodTotal(k, *acc[k]) for k in sorted(acc, key=_method_order))


def _payment_total(p: Payment) -> MethodTotal:
    return MethodTotal(p.method, max(p.amount, 0), max(-p.amount, 0), 1)


def turnover_vat(ticket: ValidatedTicket) -> list[VatRow]:
    """A ticket's own VAT rows, gift cards left out: a multi-purpose gift card is not turnover (VAT is due
    on what it buys). Ticket.vat already leaves out the cards sold; a 0 % row (no French rate is 0 %)
    could only be a card coming back."""
    return [r for r in ticket.vat if r.rate_bp != 0]


def ticket_totals(tickets: Iterable[ValidatedTicket]) -> Totals:
    """Count and sum tickets; VAT per rate is each ticket's own rows added up (as the back office does)."""
    tickets = list(tickets)
    per_kind: dict[str, int] = {}
    return_lines = gift_cards_count = absolute = 0
    for line in (line for t in tickets for line in t.lines):
        kind = line_kind(line)
        per_kind[kind] = per_kind.get(kind, 0) + line.total
        absolute += abs(line.total)
        if kind == RETURN:
            return_lines += 1
        elif kind == GIFT_CARD:
            gift_cards_count += line.qty
    return Totals(
        tickets=len(tickets),
        refund_tickets=sum(1 for t in tickets if t.total < 0),
        total=sum(t.total for t in tickets),
        gross_sales=per_kind.get(ITEM, 0),
        returns=per_kind.get(RETURN, 0),
        vat=_sum_vat(r for t in tickets for r in turnover_vat(t)),
        methods=_sum_methods(_payment_total(p) for t in tickets for p in t.payments),
        return_lines=return_lines,
        discounts=per_kind.get(DISCOUNT, 0),
        promotions=per_kind.get(PROMO, 0),
        loyalty=per_kind.get(LOYALTY, 0),
        gift_cards_sold=per_kind.get(GIFT_CARD, 0),
        gift_cards_count=gift_cards_count,
        absolute=absolute,
    )


_SUMMED = ("tickets", "refund_tickets", "total", "gross_sales", "returns", "return_lines", "discounts",
           "promotions", "loyalty", "gift_cards_sold", "gift_cards_count", "absolute")


def add_totals(parts: Iterable[Totals]) -> Totals:
    parts = list(parts)
    return Totals(
        **{name: sum(getattr(p, name) for p in parts) for name in _SUMMED},
        vat=_sum_vat(r for p in parts for r in p.vat),
        methods=_sum_methods(m for p in parts for m in p.methods),
    )


@dataclass(frozen=True)
class CashFigures:
    """The drawer: float + cash taken − change − cash refunds + cash in − cash out."""

    opening_float: int
    tendered: int  # cash handed over by customers on cash payments
    change: int  # change given back
    refunds: int  # cash given back on refunds (≥ 0)
    cash_in: int
    cash_out: int

    @property
    def sales(self) -> int:
        """Cash kept from sales: tendered − change."""
        return self.tendered - self.change

    @property
    def expected(self) -> int:
        return self.opening_float + self.tendered - self.change - self.refunds + self.cash_in - self.cash_out


@dataclass(frozen=True)
class Figures:
    """Everything an X or Z report states about a session so far."""

    totals: Totals
    cash: CashFigures
    movements: tuple[CashMovement, ...]

    @property
    def expected(self) -> dict[str, int]:
        """Expected amount per method: the drawer for cash, the net taken for the others.
        Cash and card always appear; other methods when they were used."""
        out = {"cash": self.cash.expected, "card": self.totals.method("card").net}
        for m in self.totals.methods:
            if m.method not in out:
                out[m.method] = m.net
        return {k: out[k] for k in sorted(out, key=_method_order)}


def compute_figures(opening_float: CashCount, tickets: Sequence[ValidatedTicket],
                    movements: Sequence[CashMovement]) -> Figures:
    cash = [p for t in tickets for p in t.payments if p.method == "cash"]
    tendered = sum(max(p.given, p.amount) for p in cash if p.amount > 0)
    kept = sum(p.amount for p in cash if p.amount > 0)
    return Figures(
        totals=ticket_totals(tickets),
        cash=CashFigures(
            opening_float=opening_float.total,
            tendered=tendered,
            change=tendered - kept,
            refunds=-sum(p.amount for p in cash if p.amount < 0),
            cash_in=sum(m.amount for m in movements if m.direction == CASH_IN),
            cash_out=sum(m.amount for m in movements if m.direction == CASH_OUT),
        ),
        movements=tuple(movements),
    )


# -- reports --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MethodCheck:
    """Expected against counted for one method at a Z closing."""

    method: str
    expected: int
    counted: int

    @property
    def difference(self) -> int:
        """counted − expected: positive = over (excédent), negative = short (manquant)."""
        return self.counted - self.expected

    @property
    def label(self) -> str:
        return method_label(self.method)


@dataclass(frozen=True)
class XReport:
    """Rapport X: the session's figures at a moment. Resets nothing."""

    register: str
    session_number: int
    opened_at: datetime
    opened_by: str
    opening_count: CashCount
    at: datetime
    operator: str
    figures: Figures
    training: bool = True

    kind = "X"

    def as_dict(self) -> dict:
        return _report_dict(self)


@dataclass(frozen=True)
class ZReport:
    """Clôture Z: the final figures, the counted drawer and the differences, recorded once.

    Its number is the session's number (one Z per session; sessions are numbered without gaps)."""

    register: str
    session_number: int
    opened_at: datetime
    opened_by: str
    opening_count: CashCount
    at: datetime
    operator: str
    figures: Figures
    counted_cash: CashCount
    checks: tuple[MethodCheck, ...]
    training: bool = True
    # Set when the closing is stored (kiosk.sessions): its number in the register's closing chain and
    # the perpetual grand totals after it. Printed on the Z.
    number: Optional[int] = None
    perpetual_total: Optional[int] = None
    perpetual_absolute: Optional[int] = None

    kind = "Z"

    def check(self, method: str) -> MethodCheck:
        for c in self.checks:
            if c.method == method:
                return c
        raise KeyError(method)

    @property
    def difference(self) -> int:
        return sum(c.difference for c in self.checks)

    def as_dict(self) -> dict:
        d = _report_dict(self)
        d["counted_cash"] = _count_dict(self.counted_cash)
        d["checks"] = [{"method": c.method, "label": c.label, "expected": c.expected, "counted": c.counted,
                        "difference": c.difference} for c in self.checks]
        d["difference"] = self.difference
        d["z_number"] = self.number
        d["perpetual_total"] = self.perpetual_total
        d["perpetual_absolute"] = self.perpetual_absolute
        return d


def _count_dict(count: CashCount) -> dict:
    return {"pieces": [{"denomination": d, "label": denomination_label(d), "count": n, "amount": d * n}
                       for d, n in count.pieces],
            "total": count.total, "text": count.to_text()}


def _totals_dict(t: Totals) -> dict:
    credit, gift = t.method("credit_note"), t.method("gift_card")
    return {
        "tickets": t.tickets, "refund_tickets": t.refund_tickets, "total": t.total,
        "gross_sales": t.gross_sales, "returns": t.returns, "total_ht": t.total_ht, "total_tva": t.total_tva,
        "vat": [{"rate": r.rate_bp, "ht": r.ht, "tva": r.tva, "ttc": r.ttc} for r in t.vat],
        "methods": [{"method": m.method, "label": m.label, "received": m.received, "refunded": m.refunded,
                     "net": m.net, "payments": m.payments, "received_label": m.received_label,
                     "refunded_label": m.refunded_label} for m in t.methods],
        "return_lines": t.return_lines, "discounts": t.discounts, "promotions": t.promotions,
        "loyalty": t.loyalty, "reductions": t.reductions, "turnover": t.turnover,
        "gift_cards_sold": t.gift_cards_sold, "gift_cards_count": t.gift_cards_count,
        "gift_cards_redeemed": gift.received, "credit_notes_issued": credit.refunded,
        "credit_notes_redeemed": credit.received, "absolute": t.absolute,
    }


def _report_dict(r: Union[XReport, ZReport]) -> dict:
    f = r.figures
    return {
        "kind": r.kind, "training": r.training, "register": r.register, "session": r.session_number,
        "opened_at": r.opened_at.isoformat(), "opened_by": r.opened_by, "at": r.at.isoformat(),
        "operator": r.operator, "opening_count": _count_dict(r.opening_count),
        **_totals_dict(f.totals),
        "cash": {"opening_float": f.cash.opening_float, "tendered": f.cash.tendered, "change": f.cash.change,
                 "refunds": f.cash.refunds, "cash_in": f.cash.cash_in, "cash_out": f.cash.cash_out,
                 "expected": f.cash.expected},
        "expected": f.expected,
        "movements": [{"direction": m.direction, "amount": m.amount, "reason": m.reason, "note": m.note,
                       "label": m.label, "operator": m.operator, "at": m.at.isoformat()} for m in f.movements],
    }


# -- the session ----------------------------------------------------------------------------------

def _when(dt: datetime) -> str:
    return dt.strftime("%d/%m/%Y à %H:%M")


@dataclass
class CashSession:
    """Session de caisse. Records are only ever appended; a closed session refuses everything."""

    register: str
    number: int
    opened_by: str
    opened_at: datetime
    opening_count: CashCount
    tickets: list[ValidatedTicket] = field(default_factory=list)
    movements: list[CashMovement] = field(default_factory=list)
    closing: Optional[ZReport] = None

    @classmethod
    def open(cls, *, register: str, number: int, operator: str, opening_count: CashCount,
             now: datetime) -> "CashSession":
        if not isinstance(opening_count, CashCount):
            raise TypeError("opening_count must be a CashCount (use CashCount.of or parse_count)")
        if not isinstance(number, int) or number < 1:
            raise CommerceError(f"numéro de session « {number} » refusé : entier à partir de 1")
        return cls(register, number, operator, now, opening_count)

    # -- state --------------------------------------------------------------------------------
    @property
    def is_closed(self) -> bool:
        return self.closing is not None

    def needs_closing(self, now: datetime) -> bool:
        """True when the session was opened more than 24 hours before `now`."""
        return now - self.opened_at > SESSION_MAX_AGE

    def _check_open(self, now: datetime, action: str):
        if self.is_closed:
            raise CommerceError(f"session de caisse n° {self.number} clôturée : ouvrez une nouvelle session "
                                f"pour {action}")
        if now < self.opened_at:
            raise CommerceError(f"date du {_when(now)} antérieure à l'ouverture de la session "
                                f"({_when(self.opened_at)}) : vérifiez l'horloge de la caisse")

    def check_can_sell(self, now: datetime) -> None:
        """Refuses a sale (or refund) in a closed session or one opened more than 24 hours ago."""
        self._check_open(now, "vendre")
        if self.needs_closing(now):
            raise CommerceError(f"session de caisse ouverte le {_when(self.opened_at)}, il y a plus de "
                                "24 heures : faites la clôture (Z) avant de vendre à nouveau")

    @property
    def figures(self) -> Figures:
        return compute_figures(self.opening_count, self.tickets, self.movements)

    @property
    def expected_cash(self) -> int:
        return self.figures.cash.expected

    # -- records --------------------------------------------------------------------------------
    def record(self, ticket: ValidatedTicket) -> None:
        """A validated sale, refund or exchange, at its own created_at."""
        self.check_can_sell(ticket.created_at)
        name = f"ticket n° {ticket.number}"
        if ticket.register != self.register:
            raise CommerceError(f"{name} de la caisse {ticket.register} refusé : la session est celle de "
                                f"la caisse {self.register}")
        if any(t.id == ticket.id for t in self.tickets):
            raise CommerceError(f"{name} déjà enregistré dans la session")
        if ticket.paid != ticket.total:
            raise CommerceError(f"{name} refusé : réglé {format_eur(ticket.paid)} pour un total de "
                                f"{format_eur(ticket.total)}")
        for p in ticket.payments:
            if p.method != "cash" and p.given not in (0, p.amount):
                raise CommerceError(f"{name} refusé : rendu de monnaie sur un paiement "
                                    f"{method_label(p.method)} (le rendu se fait en espèces)")
        self.tickets.append(ticket)

    def move(self, direction: str, amount: int, reason: str, *, note: str = "", operator: str,
             now: datetime) -> CashMovement:
        """Cash in (apport) or out (sortie); a cash out never takes more than the drawer holds."""
        self._check_open(now, "faire un mouvement de caisse")
        movement = make_movement(direction, amount, reason, note, operator, now)
        if direction == CASH_OUT and amount > self.expected_cash:
            raise CommerceError(f"sortie de {format_eur(amount)} refusée : la caisse ne contient que "
                                f"{format_eur(self.expected_cash)} en espèces")
        self.movements.append(movement)
        return movement

    def cash_in(self, amount: int, reason: str = "change", *, note: str = "", operator: str,
                now: datetime) -> CashMovement:
        return self.move(CASH_IN, amount, reason, note=note, operator=operator, now=now)

    def cash_out(self, amount: int, reason: str = "bank", *, note: str = "", operator: str,
                 now: datetime) -> CashMovement:
        return self.move(CASH_OUT, amount, reason, note=note, operator=operator, now=now)

    # -- reports --------------------------------------------------------------------------------
    def _header(self) -> dict:
        return dict(register=self.register, session_number=self.number, opened_at=self.opened_at,
                    opened_by=self.opened_by, opening_count=self.opening_count)

    def x_report(self, *, operator: str, now: datetime) -> XReport:
        """Rapport X: the figures so far. Changes nothing (allowed on a closed session too)."""
        return XReport(**self._header(), at=now, operator=operator, figures=self.figures)

    def close(self, counted_cash: CashCount, counted_other: Optional[Mapping[str, int]] = None, *,
              operator: str, now: datetime, number: Optional[int] = None,
              perpetual_total: Optional[int] = None, perpetual_absolute: Optional[int] = None) -> ZReport:
        """Clôture Z. `counted_cash` is the drawer by denomination; `counted_other` the typed amount of
        each typed method used (e.g. {'card': terminal total, 'cheque': cheques total}); gift cards and
        credit notes are not counted (expected = counted = their net). Differences are recorded in the
        report. `number` and the perpetual totals are the stored closing's (kiosk.sessions), printed."""
        self._check_open(now, "clôturer")
        if not isinstance(counted_cash, CashCount):
            raise TypeError("counted_cash must be a CashCount (use CashCount.of or parse_count)")
        figures = self.figures
        expected = figures.expected
        typed = dict(counted_other or {})
        if "cash" in typed:
            raise CommerceError("les espèces se comptent par coupure, pas en montant saisi")
        for method, amount in typed.items():
            if method not in expected and method not in PAYMENT_METHODS:
                raise CommerceError(f"moyen de paiement « {method} » inconnu dans le comptage")
            if method in UNCOUNTED_METHODS:
                raise CommerceError(f"{method_label(method)} : rien à compter à la clôture (le montant attendu, "
                                    f"{format_eur(expected.get(method, 0))}, est repris tel quel)")
            if isinstance(amount, bool) or not isinstance(amount, int) or abs(amount) > MAX_AMOUNT:
                raise CommerceError(f"montant compté « {amount} » pour {method_label(method)} refusé : "
                                    "un montant en centimes est attendu")
        checks = [MethodCheck("cash", expected["cash"], counted_cash.total)]
        for method in sorted(set(expected) | set(typed), key=_method_order):
            if method == "cash":
                continue
            if method in UNCOUNTED_METHODS:
                checks.append(MethodCheck(method, expected[method], expected[method]))
                continue
            used = figures.totals.method(method).payments > 0
            if method not in typed and used:
                raise CommerceError(f"montant compté pour {method_label(method)} manquant "
                                    f"(attendu {format_eur(expected.get(method, 0))}) : saisissez-le")
            checks.append(MethodCheck(method, expected.get(method, 0), typed.get(method, 0)))
        z = ZReport(**self._header(), at=now, operator=operator, figures=figures,
                    counted_cash=counted_cash, checks=tuple(checks), number=number,
                    perpetual_total=perpetual_total, perpetual_absolute=perpetual_absolute)
        self.closing = z
        return z


# -- report layout (commerce.receipt Text blocks) -----------------------------------------------------

def _signed(cents: int) -> str:
    return f"+{format_amount(cents)}" if cents > 0 else format_amount(cents)


def _by(what: str, name: str, w: int) -> list:
    """'Ouverte le …' then 'par NAME' on a line of its own: a name is never cut across two lines
    (one longer than the paper is shortened with '…'; the full name stays in the data)."""
    name = " ".join(str(name).split())
    if len(name) > w:
        name = name[:w - 1] + "…"
    who = [f"par {name}"] if len(name) + 4 <= w else ["par", name]
    return [Text(s) for s in wrap(what, w) + who]


def report_blocks(report: Union[XReport, ZReport], columns: int, shop: ShopInfo = ShopInfo()) -> list:
    """An X or Z report laid out for a printer of `columns` columns (32, 42, 48). Every amount ends at
    the last column, in euros without the sign (the TOTAL line too)."""
    w = columns
    rule = Text("-" * w)

    def lr(left: str, right: str, **kw) -> list:
        return [Text(s, **kw) for s in left_right(left, right, w)]

    def text(s: str, **kw) -> list:
        return [Text(line, **kw) for line in wrap(s, w)]

    f = report.figures
    t = f.totals
    is_z = isinstance(report, ZReport)
    out: list = [Text(TRAINING_BANNER, "center", bold=True, double=True)]
    out += [Text(line, "center", bold=True) for line in wrap(shop.name, w)]
    out.append(rule)
    out.append(Text("CLÔTURE Z" if is_z else "RAPPORT X", "center", bold=True, double=True))
    if not is_z:
        out += [Text(s, "center") for s in wrap("(ne remet rien à zéro)", w)]
    if is_z and report.number is not None:
        out += lr(f"Z n° {report.number:06d}", f"Caisse {report.register}", bold=True)
        out += text(f"Session n° {report.session_number:06d}")
    else:
        out += lr(f"Session n° {report.session_number:06d}", f"Caisse {report.register}")
    out += _by(f"Ouverte le {_when(report.opened_at)}", report.opened_by, w)
    out += _by(f"{'Clôturée' if is_z else 'Éditée'} le {_when(report.at)}", report.operator, w)
    out.append(rule)

    out += text(plural(t.tickets, "ticket"))
    if t.refund_tickets:
        out += text(f"  dont {plural(t.refund_tickets, 'remboursement')}")
    out += lr("Ventes brutes", format_amount(t.gross_sales))
    out += lr(f"Retours ({plural(t.return_lines, 'ligne')})", format_amount(t.returns))
    out += lr("Remises et promotions", format_amount(t.reductions))
    for label, amount in (("  remises", t.discounts), ("  promotions", t.promotions),
                          ("  points fidélité", t.loyalty)):
        if amount:
            out += lr(label, format_amount(amount))
    out += lr(f"Cartes cadeaux vendues ({t.gift_cards_count})", format_amount(t.gift_cards_sold))
    out += lr("TOTAL", format_amount(t.total), bold=True)
    out.append(rule)
    if t.vat:
        out += text("CHIFFRE D'AFFAIRES NET PAR TAUX", bold=True)
        out += vat_table(t.vat, w)
        out += lr("Total HT", format_amount(t.total_ht))
        out += lr("Total TVA", format_amount(t.total_tva))
        out += lr("Total TTC", format_amount(t.turnover))
        if t.gift_cards_sold:
            out += text("Cartes cadeaux : hors TVA")
        out.append(rule)

    out.append(Text("PAIEMENTS", bold=True))
    for m in t.methods:
        out += lr(f"{m.label} ({m.payments})", format_amount(m.net))
        if m.refunded or m.method in _FLOW_LABELS:
            out += lr(f"  {m.received_label}", format_amount(m.received))
            out += lr(f"  {m.refunded_label}", format_amount(-m.refunded))
    if not t.methods:
        out += text("aucun paiement")
    out.append(rule)

    c = f.cash
    out.append(Text("ESPÈCES", bold=True))
    out += lr("Fond de caisse", format_amount(c.opening_float))
    out += lr("+ Reçu", format_amount(c.tendered))
    out += lr("- Rendu monnaie", format_amount(c.change))
    out += lr("- Remboursements", format_amount(c.refunds))
    out += lr("+ Apports", format_amount(c.cash_in))
    out += lr("- Sorties", format_amount(c.cash_out))
    out += lr("= Attendu en caisse", format_amount(c.expected), bold=True)
    if f.movements:
        out.append(rule)
        out.append(Text("MOUVEMENTS", bold=True))
        for mv in f.movements:
            out += lr(f"{mv.at:%H:%M} {mv.label}", _signed(mv.signed))
    out.append(rule)

    if is_z:
        out.append(Text("COMPTAGE ESPÈCES", bold=True))
        for d, n in report.counted_cash.pieces:
            out += lr(f"{n} x {denomination_label(d)}", format_amount(d * n))
        out += lr("Total compté", format_amount(report.counted_cash.total), bold=True)
        out.append(rule)
        out.append(Text("ÉCARTS (compté - attendu)", bold=True))
        for chk in report.checks:
            out += text(chk.label)
            if chk.method in UNCOUNTED_METHODS:
                out += lr("  non compté", format_amount(chk.expected))
                continue
            out += lr("  attendu", format_amount(chk.expected))
            out += lr("  compté", format_amount(chk.counted))
            out += lr("  écart", _signed(chk.difference), bold=chk.difference != 0)
        out += lr("Écart total", _signed(report.difference), bold=True)
        out.append(rule)
        if report.perpetual_total is not None:
            out += lr("Grand total perpétuel", format_amount(report.perpetual_total), bold=True)
            if report.perpetual_absolute is not None:
                out += lr("GT perpétuel absolu", format_amount(report.perpetual_absolute))
            out.append(rule)
    else:
        out.append(Text("ATTENDU PAR MOYEN", bold=True))
        for method, amount in f.expected.items():
            out += lr(f"  {method_label(method)}", format_amount(amount))
        out.append(rule)

    out.append(Text(TRAINING_BANNER, "center", bold=True, double=True))
    out += [Text(s, "center") for s in wrap("Rapport d'exercice, sans valeur commerciale", w)]
    out.append(Cut())
    return out


# -- conservation: period closings (jour, mois, exercice) ------------------------------------------

DAY, MONTH, YEAR = "day", "month", "year"
_KIND_LABEL = {DAY: "de journée", MONTH: "de mois", YEAR: "d'exercice"}


@dataclass(frozen=True)
class PeriodClosing:
    """Clôture de période: the period's totals and the perpetual grand totals after it.

    perpetual_total: the register's net TTC since its first ticket (previous + period total; never reset).
    perpetual_absolute: every line in absolute value (sales, returns, reductions, gift cards) since the
    first ticket: it only ever grows.
    """

    kind: str  # DAY | MONTH | YEAR
    register: str
    start: date
    end: date  # inclusive
    totals: Totals
    perpetual_total: int
    perpetual_absolute: int
    training: bool = True

    @property
    def perpetual_total_before(self) -> int:
        return self.perpetual_total - self.totals.total

    @property
    def perpetual_absolute_before(self) -> int:
        return self.perpetual_absolute - self.totals.absolute

    @property
    def name(self) -> str:
        if self.kind == DAY:
            return f"clôture du {self.start:%d/%m/%Y}"
        if self.kind == MONTH:
            return f"clôture du mois {self.start:%m/%Y}"
        return f"clôture de l'exercice {self.start:%d/%m/%Y}–{self.end:%d/%m/%Y}"

    def as_dict(self) -> dict:
        return {"kind": self.kind, "training": self.training, "register": self.register,
                "start": self.start.isoformat(), "end": self.end.isoformat(), **_totals_dict(self.totals),
                "perpetual_total": self.perpetual_total, "perpetual_absolute": self.perpetual_absolute}


def _chain(register: str, kind: str, previous: Optional[PeriodClosing], start: date) -> tuple[int, int]:
    """The perpetual totals a new closing starts from, after checking `previous`."""
    if previous is None:
        return 0, 0
    if previous.kind != kind or previous.register != register:
        raise CommerceError(f"{previous.name} (caisse {previous.register}) ne peut pas précéder une clôture "
                            f"{_KIND_LABEL[kind]} de la caisse {register}")
    if previous.end >= start:
        raise CommerceError(f"{previous.name} n'est pas antérieure à la période du {start:%d/%m/%Y}")
    return previous.perpetual_total, previous.perpetual_absolute


def close_day(register: str, day: date, tickets: Iterable[ValidatedTicket],
              previous: Optional[PeriodClosing] = None) -> PeriodClosing:
    """Day closing from the day's tickets (by their created_at date) and the previous day closing."""
    tickets = list(tickets)
    for t in tickets:
        if t.register != register:
            raise CommerceError(f"ticket n° {t.number} de la caisse {t.register} dans la clôture de la "
                                f"caisse {register}")
        if t.created_at.date() != day:
            raise CommerceError(f"ticket n° {t.number} du {t.created_at:%d/%m/%Y} hors de la journée du "
                                f"{day:%d/%m/%Y}")
    before_total, before_abs = _chain(register, DAY, previous, day)
    totals = ticket_totals(tickets)
    return PeriodClosing(DAY, register, day, day, totals, before_total + totals.total, before_abs + totals.absolute)


def _roll_up(kind: str, child_kind: str, register: str, start: date, end: date,
             children: Sequence[PeriodClosing], previous: Optional[PeriodClosing]) -> PeriodClosing:
    before_total, before_abs = _chain(register, kind, previous, start)
    total, absolute = before_total, before_abs
    last_end: Optional[date] = None
    for c in children:
        if c.kind != child_kind or c.register != register:
            raise CommerceError(f"{c.name} (caisse {c.register}) ne peut pas entrer dans une clôture "
                                f"{_KIND_LABEL[kind]} de la caisse {register}")
        if c.start < start or c.end > end:
            raise CommerceError(f"{c.name} hors de la période du {start:%d/%m/%Y} au {end:%d/%m/%Y}")
        if last_end is not None and c.start <= last_end:
            raise CommerceError(f"{c.name} en double ou dans le désordre")
        last_end = c.end
    for c in children:  # then the chain, once the list itself is sound
        if (c.perpetual_total_before, c.perpetual_absolute_before) != (total, absolute):
            raise CommerceError(f"{c.name} : grand total perpétuel de départ {format_eur(c.perpetual_total_before)}"
                                f", attendu {format_eur(total)} (une clôture manque ou a été modifiée)")
        total, absolute = c.perpetual_total, c.perpetual_absolute
    return PeriodClosing(kind, register, start, end, add_totals(c.totals for c in children), total, absolute)


def close_month(register: str, year: int, month: int, days: Sequence[PeriodClosing],
                previous: Optional[PeriodClosing] = None) -> PeriodClosing:
    """Month closing: the month's day closings in order (days without tickets may be absent)."""
    start = date(year, month, 1)
    end = date(year, month, calendar.monthrange(year, month)[1])
    return _roll_up(MONTH, DAY, register, start, end, days, previous)


def fiscal_year_bounds(day: date, first_month: int = 1) -> tuple[date, date]:
    """The fiscal year holding `day`, for a fiscal year starting on the 1st of `first_month`."""
    year = day.year if day.month >= first_month else day.year - 1
    start = date(year, first_month, 1)
    end = date(year + 1, first_month, 1) - timedelta(days=1)
    return start, end


def close_year(register: str, start: date, months: Sequence[PeriodClosing],
               previous: Optional[PeriodClosing] = None) -> PeriodClosing:
    """Fiscal-year closing from its month closings; `start` is the first day of the fiscal year."""
    if start.day != 1:
        raise CommerceError(f"un exercice commence le 1er d'un mois, pas le {start:%d/%m/%Y}")
    first, end = fiscal_year_bounds(start, start.month)
    return _roll_up(YEAR, MONTH, register, first, end, months, previous)
