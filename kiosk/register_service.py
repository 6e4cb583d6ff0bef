"""The register's use cases: one function per user action. Screens call these and nothing else.

Each action loads what it needs from the store, asks `commerce` to decide, stores, then tells the
devices. A sale is stored before printing, so a printer fault never loses it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Mapping, Optional, Sequence

from datetime import datetime

from commerce import cards, cash
from commerce.catalogue import Product
from commerce.errors import CommerceError
from commerce.gtin import lookup_keys, parse_entry
from commerce.instore import DEFAULT_RULES, format_weight, parse_instore, price_for_weight
from commerce.money import format_amount, format_eur, parse_amount, round_half_up
from commerce.operators import CANCEL_TICKET, OPEN_DRAWER, PRICE_OVERRIDE, REFUND_WITHOUT_TICKET
from commerce.pricing import parse_discount
from commerce.receipt import ShopInfo, build_receipt, parse_ticket_code
from commerce.ticket import ITEM, PAY_WORDS, REFUND_METHODS, RETURN, Line, Ticket, ValidatedTicket

from . import accounts, parking
from .store import KioskStore
from .version import VERSION


@dataclass
class Feedback:
    message: str
    level: str = "info"  # info | error


class RegisterService:
    instore_rules = DEFAULT_RULES  # in-store price/weight code rules (commerce.instore)

    def __init__(self, store: KioskStore, printer, register: str, cashier: str,
                 shop: ShopInfo = ShopInfo(), on_sale: Optional[Callable[[ValidatedTicket], None]] = None,
                 displays: Sequence = (), require_session: bool = False, signin=None, scale=None):
        self.store = store
        self.signin = signin  # kiosk.signin_service.SignInService: who is signed in, manager approvals
        self.scale = scale  # drivers.scale: weighs loose goods (None: no scale at this register)
        self.return_source: Optional[ValidatedTicket] = None  # the ticket whose lines come back
        # The register window sells only within an open cash session (commerce.cash: float counted,
        # under 24 hours, day not closed); the service tests that sell without one leave it off.
        self.require_session = require_session
        self.last_closing = None  # kiosk.sessions.ClosingResult of the last Z made here
        self.displays = list(displays)  # customer displays (pole and/or on screen)
        self.drawer = printer  # the printer opens the drawer, unless it has its own interface
        self.display_fault: Optional[str] = None
        self.printer = printer
        self.register = register
        self.cashier = cashier
        self.shop = shop
        self.on_sale = on_sale or (lambda t: None)
        self.ticket = self.new_ticket()
        self.selected: Optional[int] = None  # index of the selected line
        self.last_sale: Optional[ValidatedTicket] = None

    def new_ticket(self) -> Ticket:
        """An empty ticket carrying the shop's current promotions."""
        return Ticket(promotions=accounts.promotions(self.store.conn))

    # -- building the ticket ---------------------------------------------------------------
    def scan(self, code: str) -> Feedback:
        """A scanned or keyed-in barcode. Refused codes leave the ticket unchanged.
        Loyalty cards attach the customer; gift cards and credit notes show their balance."""
        try:
            kind = cards.card_kind(code)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        if kind == cards.LOYALTY:
            return self.attach_customer(code)
        if kind is not None:
            return self.check_card(code)
        try:
            gtin = parse_entry(code)  # a 7-digit entry is ambiguous: refused, never completed
            instore = parse_instore(gtin, self.instore_rules)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        if instore is not None:  # price or weight in the code: the item is found by its item part
            product = self.store.product(instore.item_key)
            if product is None:
                return Feedback(f"Code-barres {code} : article magasin {instore.item} inconnu "
                                f"(clé {instore.item_key} absente du catalogue)", "error")
            if instore.grams is not None:  # catalogue price of a weighed item = price per kg
                product = replace(product, name=f"{product.name} {format_weight(instore.grams)}",
                                  price=price_for_weight(product.price, instore.grams))
            else:
                product = replace(product, price=instore.price_cents)
            return self.add_product(product)
        product = self.store.product(gtin.gtin13)
        for key in lookup_keys(code)[1:] if product is None else ():  # an 8-digit UPC-E read as EAN-8
            product = product or self.store.product(key)
        if product is None:
            return Feedback(f"Code-barres {code} inconnu : ce produit n'est pas au catalogue", "error")
        return self.add_product(product)

    def add_product(self, product: Product, qty: int = 1) -> Feedback:
        try:
            self.selected = self.ticket.add(product, qty)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        self._show_line(self.selected)
        return Feedback(f"{product.name} — {format_eur(product.price)}")

    def search(self, text: str) -> list[Product]:
        return self.store.search(text)

    def select(self, index: int) -> None:
        if 0 <= index < len(self.ticket.lines):
            self.selected = index

    def set_quantity(self, typed: str) -> Feedback:
        if self.selected is None:
            return Feedback("Aucune ligne sélectionnée : scannez un article d'abord", "error")
        if not typed.strip().isdigit():
            return Feedback(f"Quantité « {typed} » refusée : tapez un nombre entier puis Quantité", "error")
        try:
            self.ticket.set_qty(self.selected, int(typed))
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        line = self.ticket.lines[self.selected]
        self._show_line(self.selected)
        return Feedback(f"{line.label} : quantité {line.qty}")

    def remove_line(self) -> Feedback:
        if self.selected is None:
            return Feedback("Aucune ligne à supprimer", "error")
        try:
            line = self.ticket.remove(self.selected)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        self.selected = len(self.ticket.lines) - 1 if self.ticket.lines else None
        self._display("show_total", self.ticket.total)
        return Feedback(f"Ligne supprimée : {line.label}")

    # -- approvals ------------------------------------------------------------------------------
    def _approve(self, action: str, code: str):
        """A manager's badge or PIN for `action`, journaled by the sign-in service; raises
        CommerceError (a refusal names the action) when missing or refused."""
        if not str(code or "").strip():
            from commerce.operators import APPROVAL_ACTIONS
            raise CommerceError(f"accord du professeur requis pour {APPROVAL_ACTIONS[action]} : "
                                "scannez son badge ou tapez son code")
        if self.signin is None:
            from .signin_service import SignInService
            self.signin = SignInService(self.store, self.register)
        return self.signin.approve(action, code)

    def _journal(self, kind: str, details: dict) -> None:
        self.store.record_event(kind, self.register, self.cashier, details)

    # -- customers and loyalty ---------------------------------------------------------------------
    def attach_customer(self, code: str) -> Feedback:
        """A loyalty card scanned: the customer's group prices apply; points are earned at payment."""
        card = cards.card_key(code)
        customer = accounts.customer(self.store.conn, card)
        if customer is None:
            return Feedback(f"Carte de fidélité {card} inconnue : ce client n'est pas enregistré", "error")
        try:
            self.ticket.attach(customer, accounts.pricelist(self.store.conn, customer.group) if customer.group else None)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        group = f", {self.ticket.pricelist.label}" if self.ticket.pricelist else ""
        return Feedback(f"Client : {customer.name} ({customer.points} points{group})")

    def redeem_points(self, typed: str) -> Feedback:
        try:
            if not typed.strip().isdigit():
                raise CommerceError(f"points « {typed} » refusés : tapez un nombre de points (100, 200…)")
            value = self.ticket.redeem_points(int(typed))
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        self._display("show_total", self.ticket.total)
        return Feedback(f"{typed.strip()} points de fidélité : −{format_eur(value)}")

    def check_card(self, code: str) -> Feedback:
        """A gift card or credit note scanned on the sale screen: its balance."""
        try:
            card = cards.card_key(code)
            kind = cards.card_kind(card)
            if kind not in (cards.GIFT_CARD, cards.CREDIT_NOTE):
                raise CommerceError(f"code « {code} » : ni une carte cadeau (048…) ni un avoir (047…)")
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        label = _capitalize(cards.LABELS[kind])
        if not accounts.issued(self.store.conn, kind, card):
            hint = " : tapez le montant puis Carte cadeau pour la vendre" if kind == cards.GIFT_CARD else ""
            return Feedback(f"{label} {card} non émis(e){hint}", "error" if kind != cards.GIFT_CARD else "info")
        return Feedback(f"{label} {card} : solde {format_eur(accounts.balance(self.store.conn, kind, card))}")

    # -- discounts and prices --------------------------------------------------------------------------
    def discount_line(self, typed: str) -> Feedback:
        """A discount on the selected line: '10%' or '2,50'; empty removes it."""
        if self.selected is None:
            return Feedback("Aucune ligne sélectionnée pour la remise", "error")
        try:
            line = self.ticket.set_line_discount(self.selected, parse_discount(typed) if typed.strip() else None)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        self._display("show_total", self.ticket.total)
        if line.discount is None:
            return Feedback(f"Remise retirée : {line.label}")
        return Feedback(f"Remise {line.discount.label} sur {line.label} : total {format_eur(self.ticket.total)}")

    def discount_ticket(self, typed: str) -> Feedback:
        try:
            self.ticket.set_discount(parse_discount(typed) if typed.strip() else None)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        self._display("show_total", self.ticket.total)
        if self.ticket.discount is None:
            return Feedback("Remise sur le ticket retirée")
        return Feedback(f"Remise {self.ticket.discount.label} sur le ticket : total {format_eur(self.ticket.total)}")

    def override_price(self, typed: str, approver: str) -> Feedback:
        """A new unit price for the selected line, with a manager's approval (journaled)."""
        if self.selected is None:
            return Feedback("Aucune ligne sélectionnée pour changer le prix", "error")
        try:
            price = parse_amount(typed, "prix")
            old = self.ticket.check_price(self.selected, price)  # refused before the manager is asked
            approval = self._approve(PRICE_OVERRIDE, approver)
            line = self.ticket.set_price(self.selected, price)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        self._journal("price_override", {"gtin": line.gtin13, "label": line.label, "from": old.unit_price,
                                         "to": line.unit_price, "approved_by": approval.approver})
        self._show_line(self.selected)
        return Feedback(f"Prix de {line.label} : {format_eur(old.unit_price)} → {format_eur(price)} "
                        f"(accord {approval.approver_name})")

    # -- weighed items ---------------------------------------------------------------------------------
    def weigh(self, code: str) -> Feedback:
        """A loose item put on the scale: its catalogue price is the price per kg."""
        if self.scale is None:
            return Feedback("Aucune balance à cette caisse", "error")
        product = self._product(code)
        if isinstance(product, Feedback):
            return product
        try:
            reading = self.scale.wait_stable()
        except Exception as e:  # noqa: BLE001 (any device fault: nothing is added)
            return Feedback(f"Pesée impossible : {e}", "error")
        return self.add_weighed(product, reading.grams)

    def add_weighed(self, product: Product, grams: int) -> Feedback:
        if not grams or grams <= 0:
            return Feedback(f"Poids {grams} g refusé : posez l'article sur le plateau", "error")
        return self.add_product(replace(product, name=f"{product.name} {format_weight(grams)} à "
                                        f"{format_eur(product.price)}/kg",
                                        price=price_for_weight(product.price, grams)))

    def _product(self, code: str):
        try:
            gtin = parse_entry(code)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        return self.store.product(gtin.gtin13) or Feedback(f"Code-barres {code} inconnu : ce produit n'est pas au "
                                                           "catalogue", "error")

    # -- gift cards sold ---------------------------------------------------------------------------
    def sell_gift_card(self, code: str, typed: str) -> Feedback:
        """A new gift card loaded with the typed amount (no VAT on it: due on what it buys)."""
        try:
            card = cards.card_key(code)
            if cards.card_kind(card) != cards.GIFT_CARD:
                raise CommerceError(f"code {code} : ce n'est pas une carte cadeau (elles commencent par 048)")
            if accounts.issued(self.store.conn, cards.GIFT_CARD, card):
                raise CommerceError(f"carte cadeau {card} déjà vendue (solde "
                                    f"{format_eur(accounts.balance(self.store.conn, cards.GIFT_CARD, card))})")
            self.selected = self.ticket.add_gift_card(card, parse_amount(typed, "montant de la carte cadeau"))
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        self._show_line(self.selected)
        return Feedback(f"Carte cadeau {card} : {format_eur(self.ticket.lines[self.selected].total)}")

    # -- returns and exchanges -------------------------------------------------------------------------
    def open_return(self, text: str) -> Feedback:
        """The original ticket scanned (or its number typed): its lines can now come back."""
        try:
            register, number = parse_ticket_code(text, self.register)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        original = self.store.find_ticket(register, number)
        if original is None:
            return Feedback(f"Ticket n° {number} de la caisse {register} introuvable", "error")
        if self.ticket.corrects and self.ticket.corrects != (original.register, original.number):
            return Feedback(f"Ce ticket reprend déjà des articles du ticket n° {self.ticket.corrects[1]} : "
                            "un retour par ticket d'origine", "error")
        self.return_source = original
        left = self.returnable()
        if not any(q for _, _, q in left):
            return Feedback(f"Ticket n° {number} : tous ses articles ont déjà été repris", "error")
        return Feedback(f"Ticket n° {number} du {original.created_at:%d/%m/%Y} : choisissez les articles repris "
                        f"({', '.join(f'{n} {l.label} ×{q}' for n, l, q in left if q)})")

    def returnable(self) -> list[tuple[int, Line, int]]:
        """[(line number from 1, line, units that may still come back)] of the original ticket."""
        src = self.return_source
        if src is None:
            return []
        done = self.store.returned(src.id)
        pending = {}
        for l in self.ticket.lines:
            if l.kind == RETURN and l.origin and l.origin[0] == src.id:
                pending[l.origin[1]] = pending.get(l.origin[1], 0) - l.qty
        return [(i + 1, l, l.qty - done.get(i, 0) - pending.get(i, 0))
                for i, l in enumerate(src.lines) if l.kind == ITEM]

    def return_line(self, line_no: int, qty: int = 1) -> Feedback:
        """`qty` units of line `line_no` (from 1) of the original ticket come back: refunded at what
        was paid for them (its discounts deducted), never more than was sold, never twice."""
        src = self.return_source
        if src is None:
            return Feedback("Aucun ticket d'origine : scannez d'abord le ticket (Retour)", "error")
        left = {n: (l, q) for n, l, q in self.returnable()}
        if line_no not in left:
            return Feedback(f"Ligne {line_no} : pas un article du ticket n° {src.number} "
                            f"(lignes {', '.join(map(str, left)) or 'aucune'})", "error")
        line, can = left[line_no]
        if not 0 < qty <= can:
            return Feedback(f"Retour de {qty} × {line.label} refusé : {can} au plus "
                            f"({line.qty} vendu(s), {line.qty - can} déjà repris)", "error")
        index = line_no - 1
        already = line.qty - can
        off = line.total - (line.net if line.net is not None else line.total)  # its discounts when sold
        give_back = round_half_up(off * (already + qty), line.qty) - round_half_up(off * already, line.qty)
        try:
            self.selected = self.ticket.add_return(Line(line.gtin13, f"Retour {line.label}", -qty, line.unit_price,
                                                        line.vat_bp, RETURN, origin=(src.id, index),
                                                        give_back=give_back))
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        self.ticket.corrects = (src.register, src.number)
        self._display("show_total", self.ticket.total)
        return Feedback(f"Retour {qty} × {line.label} : {format_eur(line.unit_price * qty - give_back)} à rendre")

    def return_without_ticket(self, code: str, qty: int, approver: str) -> Feedback:
        """An item brought back without its ticket: refunded at today's price, with a manager's approval."""
        product = self._product(code)
        if isinstance(product, Feedback):
            return product
        try:
            if not 0 < qty <= 999:
                raise CommerceError(f"quantité « {qty} » refusée : entre 1 et 999")
            self.ticket._check_editable()
            approval = self._approve(REFUND_WITHOUT_TICKET, approver)
            self.selected = self.ticket.add_return(Line(product.gtin13, f"Retour sans ticket {product.name}", -qty,
                                                        product.price, product.vat_bp, RETURN))
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        self._journal("refund_without_ticket", {"gtin": product.gtin13, "qty": qty, "unit_price": product.price,
                                                "approved_by": approval.approver})
        return Feedback(f"Retour sans ticket {qty} × {product.name} (accord {approval.approver_name})")

    def refund_methods(self) -> tuple[str, ...]:
        """How money may go back: the original ticket's methods (while they have something left to
        give back), or a credit note (avoir)."""
        if self.return_source is None:
            return ("cash", "credit_note")
        used = [p.method for p in self.return_source.payments if p.amount > 0 and p.method in REFUND_METHODS]
        return tuple(m for m in dict.fromkeys(used + ["credit_note"]) if self._refundable(m) != 0)

    def _refundable(self, method: str) -> Optional[int]:
        """Cents that may still go back by `method`: what the original ticket was paid by it, less
        what its earlier returns and this ticket gave back by it. None: no limit (a credit note, or
        a return without ticket)."""
        src = self.return_source
        if src is None or method == "credit_note":
            return None
        left = sum(p.amount for p in src.payments if p.method == method and p.amount > 0)
        for number in self.store.corrections(src.register, src.number):
            earlier = self.store.find_ticket(src.register, number)
            left += sum(p.amount for p in earlier.payments if p.method == method and p.amount < 0)
        left += sum(p.amount for p in self.ticket.payments if p.method == method and p.amount < 0)
        return max(left, 0)

    def refund(self, method: str, typed: str = "") -> Feedback:
        """Money given back on a return: by the original method or by a credit note (avoir)."""
        refusal = self._before_paying()
        if refusal:
            return refusal
        if self.ticket.is_paid:  # an even exchange: nothing goes back, the ticket is recorded
            return self._after_payment()
        if not self.ticket.is_refund:
            return Feedback("Rien à rembourser : le ticket n'est pas négatif", "error")
        if method not in self.refund_methods():
            allowed = ", ".join(PAY_WORDS[m] for m in self.refund_methods())
            return Feedback(f"Remboursement par {PAY_WORDS.get(method, method)} refusé : par le moyen de paiement "
                            f"d'origine ou un avoir ({allowed})", "error")
        try:
            amount = -parse_amount(typed, "montant remboursé") if typed.strip() else None
            cap = self._refundable(method)
            if cap is not None:
                amount = -min(-self.ticket.due, cap) if amount is None else amount
                if -amount > cap:
                    raise CommerceError(f"remboursement {PAY_WORDS[method]} de {format_eur(-amount)} refusé : le "
                                        f"ticket n° {self.return_source.number} peut encore rendre "
                                        f"{format_eur(cap)} par {PAY_WORDS[method]} ; le reste en avoir")
            taken = [p.reference for p in self.ticket.payments if p.method == "credit_note"]
            reference = accounts.next_card(self.store.conn, cards.CREDIT_NOTE, self.register, taken) \
                if method == "credit_note" else ""
            self.ticket.pay(method, amount, reference)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        return self._after_payment()

    # -- other payment methods -------------------------------------------------------------------------
    def pay_cheque(self, typed: str = "", number: str = "") -> Feedback:
        return self._pay("cheque", typed, number.strip())

    def pay_gift_card(self, code: str, typed: str = "") -> Feedback:
        return self._pay_card_balance(cards.GIFT_CARD, code, typed)

    def pay_credit_note(self, code: str, typed: str = "") -> Feedback:
        return self._pay_card_balance(cards.CREDIT_NOTE, code, typed)

    def _pay_card_balance(self, kind: str, code: str, typed: str) -> Feedback:
        """A gift card or credit note pays what it holds, up to what is due."""
        if self.ticket.is_refund:  # money going back: by the original method or a new credit note
            return self.refund(kind, typed)
        try:
            card = cards.card_key(code)
            if cards.card_kind(card) != kind:
                raise CommerceError(f"code « {code} » : ce n'est pas un(e) {cards.LABELS[kind]}")
            spent = sum(p.amount for p in self.ticket.payments if p.reference == card)
            left = accounts.balance(self.store.conn, kind, card) - spent
            amount = parse_amount(typed, "montant") if typed.strip() else min(self.ticket.due, left)
            accounts.check_spend(self.store.conn, kind, card, spent + max(amount, 0))  # unknown, or short
            if amount <= 0:
                raise CommerceError(f"{cards.LABELS[kind]} {card} : solde {format_eur(left)}, rien à payer avec")
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        return self._pay(kind, format_amount(amount), card)

    def _pay(self, method: str, typed: str, reference: str = "") -> Feedback:
        refusal = self._before_paying()
        if refusal:
            return refusal
        if self.ticket.is_refund:  # money going back: only by the original method or a credit note
            return self.refund(method, typed)
        if self.ticket.is_paid:  # nothing to pay (an even exchange, a ticket at 0,00 €)
            return self._after_payment()
        try:
            amount = parse_amount(typed, f"montant {PAY_WORDS[method]}") if typed.strip() else None
            self.ticket.pay(method, amount, reference)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        return self._after_payment()

    # -- park, resume, cancel, drawer ------------------------------------------------------------------
    def park(self) -> Feedback:
        """Put the ticket aside (the customer forgot something); the next one can be rung up."""
        try:
            payload = parking.dump(self.ticket)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        summary = parking.summary(self.ticket)
        parked_id = self.store.park(self.register, self.cashier, summary, payload, datetime.now().replace(microsecond=0))
        self._journal("ticket_parked", {"parked": parked_id, "total": self.ticket.total,
                                        "lines": len(self.ticket.lines)})
        self.ticket, self.selected, self.return_source = self.new_ticket(), None, None
        self._display("thank_you", "")
        return Feedback(f"Ticket mis en attente n° {parked_id} ({summary})")

    def parked(self) -> list[tuple[int, str, str, str]]:
        return self.store.parked(self.register)

    def resume(self, parked_id: Optional[int] = None) -> Feedback:
        """Take a parked ticket back (the oldest when no number is given); only on an empty ticket."""
        if self.ticket.lines:
            return Feedback("Ticket en cours : encaissez-le ou mettez-le en attente avant de reprendre un autre",
                            "error")
        waiting = self.parked()
        if not waiting:
            return Feedback("Aucun ticket en attente", "error")
        parked_id = waiting[0][0] if parked_id is None else parked_id
        payload = self.store.unpark(self.register, parked_id)
        if payload is None:
            return Feedback(f"Ticket en attente n° {parked_id} introuvable "
                            f"(en attente : {', '.join(str(w[0]) for w in waiting)})", "error")
        self.ticket = parking.load(payload, accounts.promotions(self.store.conn))
        self.selected = len(self.ticket.lines) - 1
        if self.ticket.corrects:  # its returns go back by the original ticket's methods
            self.return_source = self.store.find_ticket(*self.ticket.corrects)
        if self.ticket.customer:  # points may have been earned or spent since
            self.ticket.customer = accounts.customer(self.store.conn, self.ticket.customer.card) or self.ticket.customer
        self._journal("ticket_resumed", {"parked": parked_id, "total": self.ticket.total})
        self._display("show_total", self.ticket.total)
        return Feedback(f"Ticket n° {parked_id} repris : {parking.summary(self.ticket)}")

    def cancel_ticket(self, approver: str = "") -> Feedback:
        """Cancel the ticket before payment. Recorded in the journal, never erased; a ticket holding
        lines needs a manager's approval."""
        t = self.ticket
        if not t.lines:
            return Feedback("Ticket vide : rien à annuler", "error")
        if t.payments:
            return Feedback("Paiement commencé : le ticket ne peut plus être annulé, terminez l'encaissement",
                            "error")
        try:
            approval = self._approve(CANCEL_TICKET, approver)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        self._journal("ticket_cancelled", {
            "total": t.total, "approved_by": approval.approver,
            "lines": [{"gtin": l.gtin13, "label": l.label, "qty": l.qty, "total": l.total} for l in t.priced]})
        total = t.total
        self.ticket, self.selected, self.return_source = self.new_ticket(), None, None
        self._display("thank_you", "")
        return Feedback(f"Ticket annulé ({format_eur(total)}), enregistré au journal (accord {approval.approver_name})")

    def open_drawer_no_sale(self, approver: str) -> Feedback:
        """Open the drawer with no sale: a manager's approval, journaled."""
        try:
            approval = self._approve(OPEN_DRAWER, approver)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        self._journal("drawer_no_sale", {"approved_by": approval.approver})
        fault = self._open_drawer()
        if fault:
            return Feedback(fault, "error")
        return Feedback(f"Tiroir ouvert sans vente (accord {approval.approver_name}), noté au journal")

    # -- customer display --------------------------------------------------------------------
    def _display(self, method: str, *args) -> None:
        """Tell every customer display; a display fault is reported, never blocks the sale."""
        self.display_fault = None
        for display in self.displays:
            try:
                getattr(display, method)(*args)
            except Exception as e:  # noqa: BLE001 (any device fault)
                self.display_fault = f"Afficheur client : {e}"

    def _show_line(self, index: int) -> None:
        line = self.ticket.lines[index]
        self._display("show_item", line.label, line.unit_price, line.qty)

    # -- payment -----------------------------------------------------------------------------
    def _session_refusal(self) -> Optional[Feedback]:
        """Why no payment may be taken now (no open session, over 24 hours, day closed), or None."""
        if not self.require_session:
            return None
        try:
            self.store.check_can_sell(self.register)
        except CommerceError as e:  # the ticket stays as it is
            return Feedback(f"Vente impossible : {e}", "error")
        return None

    def _before_paying(self) -> Optional[Feedback]:
        """Why no payment may be taken now: no session (see _session_refusal), or, before the first
        payment, returns or points no longer available (a parked ticket resumed after they were
        used elsewhere); None when it may."""
        refusal = self._session_refusal()
        if refusal or self.ticket.payments:
            return refusal
        try:
            self._check_returns()
            t = self.ticket
            if t.points and t.customer:
                have = accounts.balance(self.store.conn, accounts.POINTS, t.customer.card)
                if t.points > have:
                    raise CommerceError(f"{t.points} points utilisés : le client n'en a plus que {have}")
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        return None

    def _check_returns(self) -> None:
        """Returned lines still within what was sold and not yet returned."""
        wanted: dict[tuple[str, int], int] = {}
        for l in self.ticket.lines:
            if l.kind == RETURN and l.origin:
                wanted[l.origin] = wanted.get(l.origin, 0) - l.qty
        for (ticket_id, index), qty in wanted.items():
            src = self.store.load_ticket(ticket_id)
            sold = src.lines[index]
            done = self.store.returned(ticket_id).get(index, 0)
            if qty > sold.qty - done:
                raise CommerceError(f"retour de {qty} × {sold.label} refusé : {sold.qty - done} au plus ({sold.qty} "
                                    f"vendu(s), {done} déjà repris) ; supprimez la ligne de retour")

    def start_payment(self) -> Feedback:
        if not self.ticket.lines:
            return Feedback("Ticket vide : scannez un article avant d'encaisser", "error")
        refusal = self._before_paying()
        if refusal:
            return refusal
        self._display("show_total", self.ticket.due)
        return Feedback("Tapez le montant donné puis Espèces, ou Carte")

    def pay_cash(self, typed: str) -> Feedback:
        """Cash given; an empty entry means the exact amount due. On a refund: the cash given back
        (empty: all that is due, within what the original ticket was paid in cash)."""
        refusal = self._before_paying()
        if refusal:
            return refusal
        if self.ticket.is_refund:
            return self.refund("cash", typed)
        if self.ticket.is_paid:  # nothing to pay (an even exchange, a ticket at 0,00 €)
            return self._after_payment()
        try:
            given = parse_amount(typed, "montant donné") if typed.strip() else self.ticket.due
            self.ticket.pay_cash(given)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        return self._after_payment()

    def pay_card(self, typed: str = "") -> Feedback:
        refusal = self._before_paying()
        if refusal:
            return refusal
        if self.ticket.is_refund:
            return self.refund("card", typed)
        if self.ticket.is_paid:  # nothing to pay (an even exchange, a ticket at 0,00 €)
            return self._after_payment()
        try:
            amount = parse_amount(typed, "montant carte") if typed.strip() else None
            self.ticket.pay_card(amount)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        return self._after_payment()

    def _after_payment(self) -> Feedback:
        if not self.ticket.is_paid:
            self._display("show_total", self.ticket.due)
            if self.ticket.is_refund:
                return Feedback(f"Reste à rendre : {format_eur(-self.ticket.due)}")
            return Feedback(f"Reste à payer : {format_eur(self.ticket.due)}")
        try:
            sale = self.store.record_sale(self.ticket, self.register, self.cashier)  # stored first
        except CommerceError as e:  # a balance spent meanwhile at another register: nothing stored
            if self.ticket.payments:
                self.ticket.payments.pop()
            return Feedback(f"Ticket non enregistré : {e}", "error")
        if sale.change:
            self._display("show_change", sale.total, sale.change)
        else:
            self._display("thank_you", "")
        self.ticket, self.selected, self.last_sale = self.new_ticket(), None, sale
        self.return_source = None
        self.on_sale(sale)
        change = f" — rendu {format_eur(sale.change)}" if sale.change else ""
        message = f"Ticket n° {sale.number} enregistré : {format_eur(sale.total)}{change}"
        fault = self._print(lambda: self.printer.print_job(self._receipt(sale)))
        if any(p.method == "cash" for p in sale.payments):
            drawer_fault = self._open_drawer()  # even when printing failed: change is due now
            fault = fault or drawer_fault
        if fault:
            return Feedback(f"{message}. {fault}", "error")
        return Feedback(message)

    def _receipt(self, sale: ValidatedTicket, **kw) -> list:
        fingerprint = (self.store.ticket_hash(sale.id) or "")[:8]  # the start of its chain hash
        return build_receipt(sale, self.printer.columns, self.shop, fingerprint=fingerprint,
                             version=VERSION, **kw)

    def reprint_last(self) -> Feedback:
        """A copy of the last ticket, marked DUPLICATA with its number, and logged in the journal."""
        sale = self.last_sale
        if sale is None:
            return Feedback("Aucun ticket à réimprimer depuis l'ouverture de la caisse", "error")
        copy = 1 + sum(1 for e in self.store.events(self.register)
                       if e.kind == "reprint" and e.details.get("ticket") == sale.number)
        self.store.record_event("reprint", self.register, self.cashier, {"ticket": sale.number, "copy": copy})
        fault = self._print(lambda: self.printer.print_job(self._receipt(sale, copy=copy)))
        if fault:
            return Feedback(fault, "error")
        return Feedback(f"Duplicata n° {copy} du ticket n° {sale.number} imprimé")

    def gift_receipt(self) -> Feedback:
        """A gift receipt for the last ticket: what was bought, without any price."""
        sale = self.last_sale
        if sale is None:
            return Feedback("Aucun ticket pour un ticket cadeau", "error")
        fault = self._print(lambda: self.printer.print_job(self._receipt(sale, gift=True)))
        return Feedback(fault, "error") if fault else Feedback(f"Ticket cadeau du ticket n° {sale.number} imprimé")

    @property
    def print_pending(self) -> bool:
        """A receipt the printer could not print is waiting (the printer keeps the job)."""
        return getattr(self.printer, "pending", None) is not None

    def _print(self, job) -> Optional[str]:
        try:
            job()
        except Exception as e:  # any device fault: the sale is already stored
            self.store.record_event("printer_error", self.register, self.cashier, {"error": str(e)})  # chained JET
            return f"Ticket non imprimé ({e}) : F9 pour relancer l'impression"
        return None

    def _open_drawer(self) -> Optional[str]:
        try:
            self.drawer.open_drawer()
        except Exception as e:
            return f"Tiroir non ouvert ({e})"
        return None

    def retry_print(self) -> Feedback:
        if not self.print_pending:
            return Feedback("Aucune impression en attente")
        fault = self._print(self.printer.retry)
        return Feedback(fault, "error") if fault else Feedback("Ticket imprimé")


    # -- the cash session (session de caisse) ------------------------------------------------
    def session_status(self) -> tuple[str, str]:
        """('open', '') when selling is allowed; ('none', why) with no open session; ('stale', why)
        when the open session must be closed first (over 24 hours, or its day already closed)."""
        if self.store.current_session(self.register) is None:
            return "none", "Aucune caisse ouverte : comptez le fond de caisse puis Ouvrir la caisse (F5)"
        try:
            self.store.check_can_sell(self.register)
        except CommerceError as e:
            return "stale", f"{_capitalize(str(e))} : comptez la caisse et clôturez-la (Z)"
        return "open", ""

    def open_session(self, counts: Mapping[int, int]) -> Feedback:
        """Ouverture: the float counted by denomination {cents: pieces}."""
        try:
            count = cash.CashCount.of(counts)
            s = self.store.open_session(self.register, self.cashier, count)
        except CommerceError as e:
            return Feedback(f"Ouverture refusée : {e}", "error")
        fault = self._open_drawer()  # the float goes into the drawer
        message = f"Caisse ouverte (session n° {s.number}) : fond de caisse {format_eur(count.total)}"
        return Feedback(f"{message}. {fault}", "error") if fault else Feedback(f"{message}. Scannez un article.")

    def cash_movement(self, direction: str, typed: str, reason: str) -> Feedback:
        """Apport ('in') or sortie ('out') of the typed amount, with its reason (cash.MOVEMENT_REASONS)."""
        word = "Entrée" if direction == cash.CASH_IN else "Sortie"
        try:
            if not typed.strip():
                raise CommerceError("tapez le montant puis Entrée")
            amount = parse_amount(typed, "montant")
            m = self.store.cash_movement(self.register, direction, amount, reason, operator=self.cashier)
        except CommerceError as e:
            return Feedback(f"{word} d'espèces refusée : {e}", "error")
        fault = self._open_drawer()
        message = f"{word} d'espèces enregistrée : {m.label}, {format_eur(m.amount)}"
        return Feedback(f"{message}. {fault}", "error") if fault else Feedback(message)

    def x_report(self) -> Feedback:
        """Rapport X printed on the receipt printer; it resets nothing."""
        try:
            report = self.store.x_report(self.register, self.cashier)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        fault = self._print(lambda: self.printer.print_job(cash.report_blocks(report, self.printer.columns, self.shop)))
        if fault:
            return Feedback(fault, "error")
        return Feedback(f"Rapport X imprimé (ne remet rien à zéro) : {plural_tickets(report.figures.totals.tickets)}, "
                        f"total {format_eur(report.figures.totals.total)}, "
                        f"espèces attendues {format_eur(report.figures.cash.expected)}")

    def closes_the_day(self) -> bool:
        """Whether a Z now closes today by default: yes for a session opened today; a session left
        open from an earlier day closes that day, and today stays open for a new float."""
        stored = self.store.current_session(self.register)
        return stored is not None and stored.opened_at.date() >= self._today()

    def close_session(self, counts: Mapping[int, int], card_typed: str = "",
                      end_of_day: Optional[bool] = None, cheque_typed: str = "") -> Feedback:
        """Clôture Z: the drawer counted by denomination, the card terminal's total and the cheques'
        total as typed. The
        differences are recorded; the Z report prints. The result is kept in `last_closing`.
        end_of_day: also close today (no more sales today); None: closes_the_day()."""
        stored = self.store.current_session(self.register)
        try:
            if stored is None:
                raise CommerceError("aucune session de caisse ouverte")
            count = cash.CashCount.of(counts)
            other = {"card": parse_amount(card_typed, "total carte")} if card_typed.strip() else {}
            if cheque_typed.strip():
                other["cheque"] = parse_amount(cheque_typed, "total chèques")
            if end_of_day is None:
                end_of_day = self.closes_the_day()
            result = self.store.close_session(self.register, count, other, operator=self.cashier,
                                              end_of_day=end_of_day)
        except CommerceError as e:
            return Feedback(f"Clôture refusée : {e}", "error")
        self.last_closing = result
        blocks = cash.report_blocks(result.report, self.printer.columns, self.shop)
        fault = self._print(lambda: self.printer.print_job(blocks))
        diffs = ", ".join(f"{c.label.lower()} {signed_eur(c.difference)}" for c in result.report.checks)
        message = f"Clôture Z n° {result.z.number} enregistrée (écarts : {diffs})"
        return Feedback(f"{message}. {fault}", "error") if fault else Feedback(f"{message}. Rapport Z imprimé")

    @staticmethod
    def _today():
        from datetime import date
        return date.today()


def signed_eur(cents: int) -> str:
    """+1,20 € / −0,30 € / 0,00 € (a difference: counted − expected)."""
    if cents > 0:
        return f"+{format_eur(cents)}"
    if cents < 0:
        return f"−{format_eur(-cents)}"
    return format_eur(0)


def plural_tickets(n: int) -> str:
    return f"{n} ticket" + ("s" if n > 1 else "")


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]
