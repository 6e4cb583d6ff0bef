"""The register's use cases: one function per user action. Screens call these and nothing else.

Each action loads what it needs from the store, asks `commerce` to decide, stores, then tells the
devices. A sale is stored before printing, so a printer fault never loses it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Mapping, Optional, Sequence

from commerce import cash
from commerce.catalogue import Product
from commerce.errors import CommerceError
from commerce.gtin import lookup_keys, parse_entry
from commerce.instore import DEFAULT_RULES, format_weight, parse_instore, price_for_weight
from commerce.money import format_amount, format_eur, parse_amount
from commerce.receipt import ShopInfo, build_receipt
from commerce.ticket import Ticket, ValidatedTicket

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
                 displays: Sequence = (), require_session: bool = False):
        self.store = store
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
        self.ticket = Ticket()
        self.selected: Optional[int] = None  # index of the selected line
        self.last_sale: Optional[ValidatedTicket] = None

    # -- building the ticket ---------------------------------------------------------------
    def scan(self, code: str) -> Feedback:
        """A scanned or keyed-in barcode. Refused codes leave the ticket unchanged."""
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

    def start_payment(self) -> Feedback:
        if not self.ticket.lines:
            return Feedback("Ticket vide : scannez un article avant d'encaisser", "error")
        refusal = self._session_refusal()
        if refusal:
            return refusal
        self._display("show_total", self.ticket.due)
        return Feedback("Tapez le montant donné puis Espèces, ou Carte")

    def pay_cash(self, typed: str) -> Feedback:
        """Cash given; an empty entry means the exact amount due."""
        refusal = self._session_refusal()
        if refusal:
            return refusal
        try:
            given = parse_amount(typed, "montant donné") if typed.strip() else self.ticket.due
            self.ticket.pay_cash(given)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        return self._after_payment()

    def pay_card(self, typed: str = "") -> Feedback:
        refusal = self._session_refusal()
        if refusal:
            return refusal
        try:
            amount = parse_amount(typed, "montant carte") if typed.strip() else None
            self.ticket.pay_card(amount)
        except CommerceError as e:
            return Feedback(_capitalize(str(e)), "error")
        return self._after_payment()

    def _after_payment(self) -> Feedback:
        if not self.ticket.is_paid:
            self._display("show_total", self.ticket.due)
            return Feedback(f"Reste à payer : {format_eur(self.ticket.due)}")
        sale = self.store.record_sale(self.ticket, self.register, self.cashier)  # stored first
        if sale.change:
            self._display("show_change", sale.total, sale.change)
        else:
            self._display("thank_you", "")
        self.ticket, self.selected, self.last_sale = Ticket(), None, sale
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
                      end_of_day: Optional[bool] = None) -> Feedback:
        """Clôture Z: the drawer counted by denomination and the card terminal's total as typed. The
        differences are recorded; the Z report prints. The result is kept in `last_closing`.
        end_of_day: also close today (no more sales today); None: closes_the_day()."""
        stored = self.store.current_session(self.register)
        try:
            if stored is None:
                raise CommerceError("aucune session de caisse ouverte")
            count = cash.CashCount.of(counts)
            other = {"card": parse_amount(card_typed, "total carte")} if card_typed.strip() else {}
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
