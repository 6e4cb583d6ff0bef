"""The counter's actions beyond scan-and-pay, mixed into RegisterApp: discounts, price override,
weighing, gift cards, loyalty points, returns and exchanges, park and resume, cancelling a ticket,
the drawer without a sale, and the payment methods other than cash and card.

Each action calls one RegisterService method and shows its Feedback; no rule lives here. A second
input (a manager's badge or code, a card to scan, a cheque number) is asked in a prompt that reads
the window-level entry like every other key, so a scanner burst or a typed code both answer it.

Glossary: remise = discount, avoir = credit note, mise en attente = park, retour = return,
accord du professeur = manager approval, balance = scale, chèque = cheque.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from kivy.app import App
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.popup import Popup
from kivy.uix.recycleview.views import RecycleDataViewBehavior
from kivy.uix.screenmanager import Screen

from commerce import cards
from commerce.errors import CommerceError
from commerce.money import format_amount, format_eur
from commerce.ticket import GOODS, PAYMENT_METHODS

from ..register_service import Feedback

# The service refuses an action needing a manager with this message when no approver was given:
# the window then asks for the badge or code and calls the same method again with it.
NEEDS_APPROVAL = "accord du professeur requis"
PAY_CARD_KINDS = (cards.GIFT_CARD, cards.CREDIT_NOTE)


@dataclass
class Prompt:
    kind: str  # approval | card | cheque_number | product
    title: str
    hint: str
    answer: Callable[[str], Optional[Feedback]]  # called with the scanned or typed text
    masked: bool = False  # a manager's code is not shown


class PromptPopup(Popup):
    heading = StringProperty("")
    hint = StringProperty("")
    masked = BooleanProperty(False)


class ReturnScreen(Screen):
    pass


class ParkedScreen(Screen):
    pass


class _TouchRow(RecycleDataViewBehavior, BoxLayout):
    index = NumericProperty(0)
    selected = BooleanProperty(False)
    on_pick = "select"  # app method called with the row's index

    def refresh_view_attrs(self, rv, index, data):
        self.index = index
        return super().refresh_view_attrs(rv, index, data)

    def on_touch_down(self, touch):
        if self.collide_point(*touch.pos):
            getattr(App.get_running_app(), self.on_pick)(self.index)
            return True
        return super().on_touch_down(touch)


class ReturnRow(_TouchRow):
    rank = NumericProperty(0)
    label = StringProperty("")
    sold = NumericProperty(0)
    taken = NumericProperty(0)
    left = NumericProperty(0)
    paid = StringProperty("")
    on_pick = "choose_return_row"


class ParkedRow(_TouchRow):
    parked_id = NumericProperty(0)
    at = StringProperty("")
    operator = StringProperty("")
    summary = StringProperty("")
    on_pick = "choose_parked"


def vat_label(bp: int) -> str:
    """2000 -> '20 %', 550 -> '5,5 %'."""
    units, rest = divmod(bp, 100)
    return f"{units}{',' + str(rest).rstrip('0') if rest else ''} %"


def safe_card_kind(code: str) -> Optional[str]:
    """The card kind of a code, or None (a wrong check digit is left to the service to explain)."""
    try:
        return cards.card_kind(code)
    except CommerceError:
        return None


class CounterMixin:
    """RegisterApp's counter actions. Expects from the app: service, sm, take_entry(), _show(), _bump()."""

    prompt: Optional[Prompt] = None
    prompt_popup: Optional[PromptPopup] = None
    gift_card_scanned: Optional[str] = None  # a gift card just scanned on the sale screen, to sell
    return_choice = 0  # index of the chosen row on the return screen
    parked_choice = 0  # index of the chosen row on the parked tickets screen
    parked_rows: list = []

    # -- prompts ---------------------------------------------------------------------------------
    def _ask(self, kind: str, title: str, hint: str, answer, said: str = "", masked: bool = False) -> None:
        self.wedge.clear()
        self.entry = ""
        self.prompt = Prompt(kind, title, hint, answer, masked)
        self.load_later_rules()
        self.prompt_popup = PromptPopup(heading=title, hint=hint, masked=masked)
        self.prompt_popup.open()
        self._show(Feedback(said or hint))

    def _close_prompt(self) -> Optional[Prompt]:
        prompt, self.prompt = self.prompt, None
        if self.prompt_popup is not None:
            self.prompt_popup.dismiss()
            self.prompt_popup = None
        return prompt

    def _answer(self, text: str) -> None:
        prompt = self._close_prompt()
        self.entry = ""
        if prompt is None:
            return
        feedback = prompt.answer(text.strip())
        if feedback is not None:
            self._show(feedback)
        else:
            self._bump()

    def prompt_enter(self):
        """Valider in the prompt (touch): the code typed on its keypad."""
        self._answer(self.take_entry())

    def cancel_prompt(self):
        if self._close_prompt() is not None:
            self.take_entry()
            self._show(Feedback("Action annulée : rien n'a été enregistré"))

    def _approved(self, call) -> Optional[Feedback]:
        """call(approver) -> Feedback. Tried with no approver first, so the service checks everything
        else; when it asks for a manager, the badge or code is asked for, then the call made again."""
        feedback = call("")
        if feedback.level == "error" and feedback.message.lower().startswith(NEEDS_APPROVAL):
            self._ask("approval", "Accord du professeur", "Le professeur scanne son badge, ou tape son code puis Entrée.",
                      call, said=feedback.message, masked=True)
            return None
        return feedback

    def _show_approved(self, call, after=None) -> None:
        def done(feedback):
            if after is not None and feedback.level != "error":
                after()
            return feedback
        feedback = self._approved(lambda who: done(call(who)))
        if feedback is not None:
            self._show(feedback)

    # -- the sale screen's actions ------------------------------------------------------------------
    def keypad_enter(self):
        """Entrée on the sale keypad (touch): the typed entry, as the Enter key would take it."""
        self._on_enter()
        self._bump()

    def discount_line(self):
        self._show(self.service.discount_line(self.take_entry()))

    def discount_ticket(self):
        self._show(self.service.discount_ticket(self.take_entry()))

    def override_price(self):
        typed = self.take_entry()
        self._show_approved(lambda who: self.service.override_price(typed, who))

    def weigh(self):
        """Peser: the code typed before, or asked for (scan it); the scale gives the weight."""
        typed = self.take_entry()
        if typed or self.service.scale is None:
            self._show(self.service.weigh(typed))
            return
        self._ask("product", "Peser un article", "Posez l'article sur la balance, puis scannez-le (ou tapez son code "
                  "et Entrée).", self.service.weigh)

    def gift_card(self):
        """Ctrl+G: on the payment screen, pay with a gift card; on the sale screen, sell one (the card
        scanned just before, or scanned now) for the amount typed."""
        if self.sm.current == "paiement":
            self.pay_gift_card()
            return
        typed = self.take_entry()
        if self.gift_card_scanned:
            feedback = self.service.sell_gift_card(self.gift_card_scanned, typed)
            if feedback.level != "error":
                self.gift_card_scanned = None
            self._show(feedback)
            return
        if not typed.strip():
            self._show(Feedback("Carte cadeau : scannez la carte, tapez son montant puis Carte cadeau (Ctrl+G)", "error"))
            return
        self._ask("card", "Vendre une carte cadeau", f"Carte cadeau de {typed} € : scannez la carte (ou tapez son "
                  "numéro) puis Entrée.", lambda code: self.service.sell_gift_card(code, typed))

    def redeem_points(self):
        self._show(self.service.redeem_points(self.take_entry()))

    def park(self):
        feedback = self.service.park()
        if feedback.level != "error":
            self.sm.current = "vente"
        self._show(feedback)

    def cancel_ticket(self):
        self.take_entry()
        self._show_approved(self.service.cancel_ticket, after=lambda: setattr(self.sm, "current", "vente"))

    def drawer_no_sale(self):
        self.take_entry()
        self._show_approved(self.service.open_drawer_no_sale)

    # -- payment methods ----------------------------------------------------------------------------
    def _to_payment(self) -> bool:
        """To the payment screen (straight from the sale screen too); False with the refusal shown."""
        if self.sm.current == "paiement":
            return True
        start = self.service.start_payment()
        if start.level == "error":
            self._show(start)
            return False
        self.sm.current = "paiement"
        return True

    def _paid(self, feedback: Feedback) -> Feedback:
        if not self.service.ticket.lines:  # the ticket went through: back to a new one
            self.sm.current = "vente"
        return feedback

    def _pay(self, pay, method: str = "cash"):
        """Pay with the typed amount; on a refund (negative total), give back by `method`."""
        if not self._to_payment():
            return
        typed = self.take_entry()
        t = self.service.ticket
        if t.is_refund:
            self._show(self._paid(self.service.refund(method, typed)))
        elif t.due == 0 and not t.payments:
            # An even exchange (returned = bought) has nothing to pay, and every pay method refuses a
            # ticket with nothing due: it is recorded as it is. (Service: no public method for it yet.)
            self._show(self._paid(self.service._after_payment()))
        else:
            self._show(self._paid(pay(typed)))

    def pay_cheque(self):
        if not self._to_payment():
            return
        typed = self.take_entry()
        if self.service.ticket.is_refund:
            self._show(self._paid(self.service.refund("cheque", typed)))
            return
        amount = f"{typed} €" if typed else "tout le reste dû"
        self._ask("cheque_number", "Paiement par chèque", f"Chèque de {amount} : tapez le numéro du chèque puis Entrée "
                  "(Entrée seule : sans numéro).", lambda number: self._paid(self.service.pay_cheque(typed, number)))

    def pay_gift_card(self):
        self._pay_with_card(cards.GIFT_CARD)

    def pay_credit_note(self):
        self._pay_with_card(cards.CREDIT_NOTE)

    def _pay_with_card(self, kind: str):
        if not self._to_payment():
            return
        typed = self.take_entry()
        if self.service.ticket.is_refund:  # an avoir is issued; a gift card is refused by the service
            self._show(self._paid(self.service.refund(kind, typed)))
            return
        pay = self.service.pay_gift_card if kind == cards.GIFT_CARD else self.service.pay_credit_note
        what = "la carte cadeau" if kind == cards.GIFT_CARD else "l'avoir"
        amount = f" ({typed} €)" if typed else " (le reste dû, dans la limite de son solde)"
        self._ask("card", "Payer avec une carte cadeau" if kind == cards.GIFT_CARD else "Payer avec un avoir",
                  f"Scannez {what}{amount}, ou tapez son numéro puis Entrée.",
                  lambda code: self._paid(pay(code, typed)))

    def scan_on_payment(self, code: str, kind: str) -> None:
        """A gift card or credit note scanned on the payment screen pays what is due with it."""
        pay = self.service.pay_gift_card if kind == cards.GIFT_CARD else self.service.pay_credit_note
        self._show(self._paid(pay(code, "")))

    # -- returns ------------------------------------------------------------------------------------
    def open_return(self):
        self.take_entry()
        self.sm.current = "retour"
        self._refresh_return()
        if self.service.return_source is None:
            self._show(Feedback("Retour : scannez le ticket d'origine, ou tapez son numéro puis Entrée"))
        else:
            self._show(Feedback(f"Retour sur le ticket n° {self.service.return_source.number} : choisissez la ligne, "
                                "la quantité, Entrée"))

    def close_return(self):
        if self.wedge.buffer:
            self.take_entry()
            self._show(Feedback("Saisie effacée"))
            return
        self.sm.current = "vente"  # the last message (the line taken back, or a refusal) stays on screen
        self._refresh()

    def _refresh_return(self):
        src = self.service.return_source
        rows = self.service.returnable()
        self.return_open = src is not None
        if src is None:
            self.return_title = "Aucun ticket d'origine"
        else:
            self.return_title = (f"Ticket n° {src.number} (caisse {src.register}) du {src.created_at:%d/%m/%Y à %H:%M}, "
                                 f"{format_eur(src.total)}")
        self.return_choice = max(0, min(self.return_choice, len(rows) - 1))
        self.sm.get_screen("retour").ids.rows.data = [
            {"rank": i + 1, "label": line.label, "sold": line.qty, "taken": line.qty - left, "left": left,
             "paid": format_amount(line.net if line.net is not None else line.total),
             "selected": i == self.return_choice}
            for i, (no, line, left) in enumerate(rows)]
        self._bump()

    def choose_return_row(self, index):
        self.return_choice = index
        self._refresh_return()

    def return_up(self):
        self.choose_return_row(max(0, self.return_choice - 1))

    def return_down(self):
        self.choose_return_row(min(max(0, len(self.service.returnable()) - 1), self.return_choice + 1))

    def return_touch_enter(self):
        typed = self.take_entry()
        self.return_enter("typed", typed)

    def return_enter(self, kind: str, text: str):
        """Entrée on the return screen: a scanned ticket (or a number typed before any ticket) opens
        it; otherwise the typed number is the quantity of the chosen line (none: 1)."""
        if kind == "scan" or self.service.return_source is None:
            if not text:
                self._show(Feedback("Scannez le ticket d'origine, ou tapez son numéro puis Entrée", "error"))
                return
            feedback = self.service.open_return(text)
            if feedback.level != "error":
                rows = self.service.returnable()
                self.return_choice = next((i for i, r in enumerate(rows) if r[2] > 0), 0)
            self._refresh_return()
            self._show(feedback)
            return
        rows = self.service.returnable()
        if not rows:
            self._show(Feedback("Ce ticket n'a aucun article à reprendre", "error"))
            return
        qty = text.strip() or "1"
        if not qty.isdigit():
            self._show(Feedback(f"Quantité « {text} » refusée : tapez un nombre entier puis Entrée", "error"))
            return
        feedback = self.service.return_line(rows[self.return_choice][0], int(qty))
        self._refresh_return()
        self._show(feedback)

    def return_without_ticket(self):
        """Ctrl+Maj+R: the quantity typed before (none: 1), the item scanned, then a manager's approval."""
        typed = self.take_entry().strip() or "1"
        if not typed.isdigit():
            self._show(Feedback(f"Quantité « {typed} » refusée : tapez un nombre entier puis Retour sans ticket",
                                "error"))
            return
        qty = int(typed)

        def to_sale():
            self.sm.current = "vente"

        def item(code):
            def call(who):
                feedback = self.service.return_without_ticket(code, qty, who)
                if feedback.level != "error":
                    to_sale()
                return feedback
            return self._approved(call)

        self._ask("product", "Retour sans ticket", f"Quantité {qty} : scannez l'article rapporté (ou tapez son code) "
                  "puis Entrée. Le professeur donnera son accord.", item)

    # -- parked tickets -----------------------------------------------------------------------------
    def open_parked(self):
        self.take_entry()
        self.parked_choice = 0
        self.sm.current = "attente"
        self._refresh_parked()
        count = len(self.parked_rows)
        self._show(Feedback("Aucun ticket en attente : Échap pour revenir" if not count else
                            f"{count} ticket(s) en attente : choisissez-en un, Entrée pour le reprendre",
                            "error" if not count else "info"))

    def close_parked(self):
        self.sm.current = "vente"
        self._show(Feedback("Scannez un article." if not self.service.ticket.lines else "Ticket en cours"))

    def _refresh_parked(self):
        self.parked_rows = self.service.parked()
        self.parked_count = len(self.parked_rows)
        self.parked_choice = max(0, min(self.parked_choice, len(self.parked_rows) - 1))
        if self.sm.current == "attente":
            self.sm.get_screen("attente").ids.rows.data = [
                {"parked_id": pid, "at": at[11:16], "operator": operator, "summary": summary,
                 "selected": i == self.parked_choice}
                for i, (pid, at, operator, summary) in enumerate(self.parked_rows)]
        self._bump()

    def choose_parked(self, index):
        self.parked_choice = index
        self._refresh_parked()

    def parked_up(self):
        self.choose_parked(max(0, self.parked_choice - 1))

    def parked_down(self):
        self.choose_parked(min(max(0, len(self.parked_rows) - 1), self.parked_choice + 1))

    def resume_chosen(self):
        self.take_entry()
        if not self.parked_rows:
            self._show(self.service.resume())  # the service says there is none
            return
        feedback = self.service.resume(self.parked_rows[self.parked_choice][0])
        if feedback.level != "error":
            self.sm.current = "vente"
        self._refresh_parked()
        self._show(feedback)

    # -- what the screens and the state file show ---------------------------------------------------
    def ticket_rows(self) -> list[dict]:
        """The ticket panel: the goods lines as entered, each followed by what is derived from it
        (discounts), then promotions, the ticket discount and loyalty points."""
        t = self.service.ticket
        sel = self.service.selected
        rows, goods = [], -1
        for line in t.priced:
            is_goods = line.kind in GOODS
            goods += is_goods
            # a derived line is split per VAT rate: its rate tells the parts apart
            detail = f"{line.qty} × {format_amount(line.unit_price)}" if is_goods else f"TVA {vat_label(line.vat_bp)}"
            rows.append({"label": line.label if is_goods else f"   {line.label}", "detail": detail,
                         "amount": format_amount(line.total), "kind": line.kind, "goods": goods if is_goods else -1,
                         "selected": is_goods and goods == sel})
        return rows

    def customer_line(self) -> str:
        t = self.service.ticket
        parts = []
        if t.customer is not None:
            group = f" · {t.pricelist.label}" if t.pricelist else ""
            used = f" · {t.points} utilisés" if t.points else ""
            parts.append(f"Client : {t.customer.name} · {t.customer.points} points{used}{group}")
        if t.corrects:
            parts.append(f"Retour sur le ticket n° {t.corrects[1]}")
        return " — ".join(parts) or "Aucun client (scannez sa carte de fidélité)"

    def payments_line(self) -> str:
        t = self.service.ticket
        if not t.payments:
            return ""
        return "Paiements : " + " · ".join(
            f"{PAYMENT_METHODS.get(p.method, p.method)}{' ' + p.reference if p.reference else ''} "
            f"{format_eur(p.amount)}" for p in t.payments)

    def counter_state(self) -> dict:
        """What the state file adds for the counter's actions (scripts and tests wait on it)."""
        t = self.service.ticket
        src = self.service.return_source
        refund = t.is_refund
        return {
            "priced": [{"kind": l.kind, "gtin": l.gtin13, "label": l.label, "qty": l.qty, "unit": l.unit_price,
                        "total": l.total} for l in t.priced],
            "customer": ({"card": t.customer.card, "name": t.customer.name, "points": t.customer.points,
                          "group": t.customer.group} if t.customer else None),
            "points_redeemed": t.points,
            "ticket_discount": t.discount.label if t.discount else None,
            "payments": [{"method": p.method, "amount": p.amount, "reference": p.reference} for p in t.payments],
            "paid": t.paid, "refund": refund,
            "refund_methods": list(self.service.refund_methods()) if refund else [],
            "corrects": list(t.corrects) if t.corrects else None,
            "return": ({"ticket": [src.register, src.number], "selected": self.return_choice + 1,
                        "rows": [{"no": i + 1, "line": no, "label": l.label, "sold": l.qty, "left": left}
                                 for i, (no, l, left) in enumerate(self.service.returnable())]}
                       if src is not None else None),
            "parked": self.parked_count,
            "parked_list": ([{"id": pid, "summary": s} for pid, _, _, s in self.parked_rows]
                            if self.sm.current == "attente" else None),
            "parked_choice": self.parked_choice if self.sm.current == "attente" else None,
            "prompt": ({"kind": self.prompt.kind, "title": self.prompt.title} if self.prompt else None),
            "gift_card_scanned": self.gift_card_scanned,
            "scale": self.service.scale is not None, "register": self.cfg.register,
        }
