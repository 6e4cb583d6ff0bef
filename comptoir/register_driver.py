"""Plays register actions through the real window: real X key events in, the window's state file out.

Used by the headless demo (`--sales N`, `--script FILE`) and by the UI tests.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

from commerce import cash
from commerce.errors import CommerceError
from commerce.money import format_amount, parse_amount
from commerce.receipt import parse_ticket_code

from .xsession import Keyboard

FLOAT_NOTES_UP_TO = 2000  # an amount given as one figure is counted in notes of 20 € at most, then coins
DOUBLE_READ_S = 0.4  # the same code scanned again sooner is a double read (kiosk [scanner] dedupe_s = 0.3)
REFUND_KEYS = {"cash": "F6", "card": "F7", "cheque": "ctrl+h", "credit-note": "ctrl+v"}


def split_amount(cents: int) -> cash.CashCount:
    """150,00 € -> 7 × 20 € + 1 × 10 €: the fewest pieces, with notes of 20 € at most (a till's float)."""
    counts = {}
    for d in sorted((d for d in cash.DENOMINATIONS if d <= FLOAT_NOTES_UP_TO), reverse=True):
        counts[d], cents = divmod(cents, d)
    return cash.CashCount.of(counts)


def read_count(text: str) -> cash.CashCount:
    """A count for a script: one amount ('150.00', split by split_amount) or the compact form of
    commerce.cash.parse_count ('7x20 1x10 4x0,50'). Raises ValueError with the reason."""
    try:
        if "x" in text.lower() or "×" in text:
            return cash.parse_count(text)
        return split_amount(parse_amount(text, "montant compté"))
    except CommerceError as e:
        raise ValueError(str(e)) from None


class DriverError(RuntimeError):
    pass


class WindowError(DriverError):
    """The window itself failed (closed, or stopped answering): never what an exercise expects."""


def parse_kg(text: str) -> int:
    """'0.512' or '0,512' (kg, up to 3 decimals) -> 512 grams. Raises ValueError with the reason."""
    m = re.fullmatch(r"(\d{1,3})(?:[.,](\d{1,3}))?", text.strip())
    if not m:
        raise ValueError(f"poids « {text} » illisible : attendu des kilogrammes comme 0.512")
    return int(m.group(1)) * 1000 + int((m.group(2) or "0").ljust(3, "0"))


class RegisterDriver:
    def __init__(self, state_path: str | Path, keyboard: Keyboard, proc=None, scale=None):
        self.state_path = Path(state_path)
        self.kb = keyboard
        self.proc = proc
        self.scale = scale  # drivers.sim.serial_devices.SimScale the register weighs on, if simulated
        self._last_scan = ("", 0.0)

    def state(self) -> dict:
        try:
            return json.loads(self.state_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}

    def wait(self, pred, timeout: float = 30.0, what: str = "la caisse") -> dict:
        deadline = time.monotonic() + timeout
        while True:
            st = self.state()
            if st and pred(st):
                return st
            if self.proc is not None and self.proc.poll() is not None:
                raise WindowError(f"la fenêtre de caisse s'est fermée (code {self.proc.returncode})")
            if time.monotonic() > deadline:
                raise WindowError(f"délai dépassé en attendant {what} (état : {st.get('message')!r})")
            time.sleep(0.01)

    def wait_ready(self, timeout: float = 60.0) -> dict:
        st = self.wait(lambda s: s.get("ready") and s.get("catalogue") != "loading", timeout, "la fenêtre")
        self.kb.focus(st["pid"])
        # Right after the window maps, keys may reach it before its text input is on (Enter arrives,
        # the digits do not): a probe digit must show in the entry before anything is played.
        deadline = time.monotonic() + timeout
        while True:
            self.kb.type("0")
            try:
                st = self.wait(lambda s: s.get("entry", "").endswith("0"), 1.0, "la saisie au clavier")
                break
            except DriverError:
                if time.monotonic() > deadline:
                    raise
        time.sleep(0.1)  # a retried probe may still be arriving
        n = len(self.state().get("entry", ""))
        return self._act(lambda: self.kb.key(*["BackSpace"] * n), commands=n)  # the probe is erased (Corr.)

    def _act(self, send, commands: int = 1, timeout: float = 20.0) -> dict:
        """Send keys ending with `commands` command keys; wait until the window has handled them."""
        before = self.state().get("commands", 0)
        send()
        return self.wait(lambda s: s.get("commands", 0) >= before + commands, timeout, "la réponse de la caisse")

    # -- actions -------------------------------------------------------------------------------
    def scan(self, code: str, delay_ms: int = 1) -> dict:
        """A keyboard-wedge scanner burst: the digits at `delay_ms` per key, then Enter."""
        st = self._act(lambda: (self.kb.type(code, delay_ms), self.kb.key("Return")))
        self._last_scan = (code, time.monotonic())
        return st

    def present(self, code: str) -> dict:
        """A code presented to the scanner by the cashier: the same code as the last scan waits past
        the double-read window first, so that it counts (scripts: `scan X` twice is two items)."""
        self.past_double_read(code)
        return self.scan(code)

    def past_double_read(self, text: str) -> None:
        """Wait until `text` sent again would not be taken for a double read of the last scan."""
        last, at = self._last_scan
        if text and text == last:
            time.sleep(max(0.0, at + DOUBLE_READ_S - time.monotonic()))

    def typed_key(self, text: str, keysym: str) -> dict:
        """Text typed into the entry (an amount, a quantity, 10%…), then a command key."""
        return self._act(lambda: (self.kb.type(text) if text else None, self.kb.key(keysym)))

    def answer(self, st: dict, *answers: str) -> dict:
        """Answer the prompts the window opened (a badge or code, a card, a product, a cheque number):
        each is scanned (an empty answer: Entrée alone). Stops at a refusal: no prompt left open."""
        for text in answers:
            if not st.get("prompt"):
                return st
            st = self.present(text) if text else self.key("Return")
        return st

    def to_sale(self) -> dict:
        """Back to the sale screen from the return or parked tickets screen."""
        st = self.state()
        if st.get("screen") in ("retour", "attente") or (st.get("screen") == "paiement" and not st.get("payments")):
            st = self.key("Escape")
            if st.get("screen") != "vente":  # Échap first cleared a typed entry
                st = self.key("Escape")
        return st

    def login(self, badge: str) -> dict:
        """Sign in by scanning a badge (the same burst as a product)."""
        return self.scan(badge)

    def qty(self, n: str) -> dict:
        return self._act(lambda: (self.kb.type(str(n)), self.kb.key("F3")))

    def remove(self) -> dict:
        return self._act(lambda: self.kb.key("Delete"))

    def to_payment(self) -> dict | None:
        """Go to the payment screen; the refusal's state if the register would not, else None.
        (An error already on screen, from a refused payment say, is not a refusal of this step.)"""
        if self.state().get("screen") == "paiement":
            return None
        st = self._act(lambda: self.kb.key("F5"))
        return st if st.get("level") == "error" else None

    def pay_cash(self, amount: str = "") -> dict:
        refused = self.to_payment()
        if refused is not None:
            return refused
        return self._act(lambda: (self.kb.type(amount) if amount else None, self.kb.key("F6")))

    def pay_card(self, amount: str = "") -> dict:
        """Card for what is due, or for `amount` (a part of it)."""
        refused = self.to_payment()
        if refused is not None:
            return refused
        return self._act(lambda: (self.kb.type(amount) if amount else None, self.kb.key("F7")))

    def key(self, keysym: str) -> dict:
        return self._act(lambda: self.kb.key(keysym))

    # -- the counter's actions (kiosk/register/counter.py) -----------------------------------------
    def select(self, n: int) -> dict:
        """Select goods line n (from 1) with the arrows."""
        st = self.to_sale()
        lines = st.get("lines") or []
        if not 1 <= n <= len(lines):
            raise DriverError(f"ligne {n} inexistante : le ticket a {len(lines)} ligne(s)")
        step = (n - 1) - (st.get("selected") if st.get("selected") is not None else 0)
        arrows = ["Down" if step > 0 else "Up"] * abs(step)
        if arrows:
            st = self._act(lambda: self.kb.key(*arrows), commands=len(arrows))
        if st.get("selected") != n - 1:
            chosen = (st.get("selected") or 0) + 1
            raise DriverError(f"ligne {n} non sélectionnée : la fenêtre a choisi la ligne {chosen}")
        # the window's message is still the last action's (a refusal, perhaps): the selection is the news
        return {**st, "message": f"Ligne {n} choisie : {lines[n - 1]['label']}", "level": "info"}

    def discount(self, scope: str, value: str) -> dict:
        self.to_sale()
        return self.typed_key(value, "ctrl+l" if scope == "line" else "ctrl+t")

    def price(self, amount: str, approver: str) -> dict:
        self.to_sale()
        return self.answer(self.typed_key(amount, "ctrl+p"), approver)

    def weigh(self, code: str) -> dict:
        self.to_sale()
        return self.answer(self.key("ctrl+b"), code)

    def set_scale(self, grams: int) -> dict:
        if self.scale is None:
            raise DriverError("aucune balance simulée : la démonstration en démarre une (section [scale])")
        self.scale.set(weight_g=grams, state="stable")
        kg, g = divmod(grams, 1000)
        return {**self.state(), "message": f"Balance simulée : {kg},{g:03d} kg", "level": "info"}

    def points(self, n: str) -> dict:
        self.to_sale()
        return self.typed_key(n, "ctrl+f")

    def sell_gift_card(self, card: str, amount: str) -> dict:
        """Scan the card (the window keeps it), type the amount, Carte cadeau (Ctrl+G)."""
        self.to_sale()
        st = self.present(card)
        if st.get("gift_card_scanned") is None:
            return st  # not a gift card, or refused
        return self.typed_key(amount, "ctrl+g")

    def pay_with(self, keysym: str, amount: str = "", *answers: str) -> dict:
        refused = self.to_payment()
        if refused is not None:
            return refused
        return self.answer(self.typed_key(amount, keysym), *answers)

    def refund_line(self, ticket: str, line: int, qty: str) -> dict:
        """Retour (Ctrl+R): the original ticket scanned (its 12-digit barcode) or its number typed, line
        `line` of its articles chosen with the arrows, the quantity, Entrée; back to the ticket."""
        st = self.to_sale()
        if st.get("screen") != "vente":
            return st
        st = self.key("ctrl+r")
        if st.get("screen") != "retour":
            return st
        try:
            wanted = list(parse_ticket_code(ticket, st.get("register", "")))
        except CommerceError as e:
            raise ValueError(str(e)) from None
        if not st.get("return") or st["return"]["ticket"] != wanted:
            st = self.present(ticket) if len(ticket) == 12 and ticket.isdigit() else self.typed_key(ticket, "Return")
            if st.get("level") == "error" or not st.get("return"):
                self.key("Escape")
                return st
        rows = st["return"]["rows"]
        if not 1 <= line <= len(rows):
            self.key("Escape")
            raise ValueError(f"ligne {line} : le ticket n° {wanted[1]} a {len(rows)} article(s)")
        step = line - st["return"]["selected"]
        if step:
            self._act(lambda: self.kb.key(*(["Down" if step > 0 else "Up"] * abs(step))), commands=abs(step))
        done = self.typed_key(qty, "Return")
        back = self.key("Escape")  # to the ticket: the line taken back (or the refusal) stays the message
        return done if done.get("level") == "error" else back

    def refund_to(self, method: str) -> dict:
        refused = self.to_payment()
        if refused is not None:
            return refused
        return self.key(REFUND_KEYS[method])

    def return_without_ticket(self, code: str, qty: str, approver: str) -> dict:
        self.to_sale()
        return self.answer(self.typed_key(qty, "ctrl+shift+r"), code, approver)

    def resume(self, parked_id: int | None = None) -> dict:
        self.to_sale()
        st = self.key("ctrl+shift+a")
        if st.get("screen") != "attente":
            return st
        ids = [p["id"] for p in st.get("parked_list") or []]
        if parked_id is not None:
            if parked_id not in ids:
                self.key("Escape")
                raise DriverError(f"ticket en attente n° {parked_id} absent (en attente : "
                                  f"{', '.join(map(str, ids)) or 'aucun'})")
            step = ids.index(parked_id) - st["parked_choice"]
            if step:
                self._act(lambda: self.kb.key(*(["Down" if step > 0 else "Up"] * abs(step))), commands=abs(step))
        st = self.key("Return")
        if st.get("screen") == "attente":
            self.key("Escape")
        return st

    def with_approval(self, keysym: str, approver: str) -> dict:
        """A command that needs a manager (cancel, drawer): the key, then the badge or code asked for."""
        self.to_sale()
        return self.answer(self.key(keysym), approver)

    # -- the cash session ----------------------------------------------------------------------
    def count(self, count: cash.CashCount, card: str | None = None, cheque: str | None = None) -> dict:
        """On the opening or closing screen: for each denomination, arrows to its row, the number,
        Entrée; then the cheques' and the card's totals on their rows. The window moves to the next
        row after each Entrée."""
        st = self.state()
        if not st.get("count"):
            raise DriverError(f"la caisse n'est pas sur un écran de comptage (écran « {st.get('screen')} »)")
        rows = st["count"]["keys"]
        entries = [(str(d), str(n)) for d, n in sorted(count.pieces)]
        if cheque is not None:
            entries.append(("cheque", cheque))
        if card is not None:
            entries.append(("card", card))
        for key, value in entries:
            target = rows.index(key)
            step = target - self.state()["count"]["row"]
            arrows = ["Down" if step > 0 else "Up"] * abs(step)
            st = self._act(lambda: (self.kb.key(*arrows) if arrows else None, self.kb.type(value, 40),
                                    self.kb.key("Return")), commands=len(arrows) + 1)
            if st.get("level") == "error":
                return st
        return st

    def open_session(self, count: cash.CashCount) -> dict:
        st = self.state()
        if st.get("screen") != "ouverture":
            raise DriverError(f"pas d'ouverture de caisse à faire (écran « {st.get('screen')} », session "
                              f"{st.get('session')})")
        st = self.count(count)
        if st.get("level") == "error":
            return st
        return self.key("F5")

    def cash_movement(self, direction: str, amount: str, reason: str) -> dict:
        st = self.state()
        if st.get("screen") != "caisse":
            st = self.key("F4")
            if st.get("screen") != "caisse":
                return st
        choices = st["movement"]["choices"]
        wanted = f"{direction}:{reason}"
        if wanted not in choices:
            names = ", ".join(c.split(":")[1] for c in choices if c.startswith(direction + ":"))
            raise DriverError(f"motif « {reason} » inconnu (motifs : {names})")
        step = choices.index(wanted) - st["movement"]["choice"]
        arrows = ["Down" if step > 0 else "Up"] * abs(step)
        if arrows:
            self._act(lambda: self.kb.key(*arrows), commands=len(arrows))
        return self._act(lambda: (self.kb.type(amount, 40), self.kb.key("Return")))

    def close_session(self, count: cash.CashCount, card: str | None, end_of_day: bool | None = None,
                      cheque: str | None = None) -> dict:
        """Shift+F11, the count, F6 if the day must (not) be closed, F5; the differences screen is then
        left with Entrée."""
        st = self.key("shift+F11")
        if st.get("screen") != "cloture":
            return st
        st = self.count(count, card, cheque)
        if st.get("level") == "error":
            return st
        if end_of_day is not None and st["count"]["end_of_day"] != end_of_day:
            self.key("F6")
        st = self.key("F5")
        if st.get("screen") == "ecarts":
            self.key("Return")
        return st


def parse_script_line(line: str) -> tuple[str, list[str]] | None:
    """'pay cash 20.00' -> ('pay', ['cash', '20.00']); blank lines and # comments -> None."""
    text = line.split("#", 1)[0].strip()
    if not text:
        return None
    words = text.split()
    return words[0].lower(), words[1:]


def play_action(driver: RegisterDriver, verb: str, args: list[str]) -> dict:
    """One script action through the window. Raises ValueError with the reason for a bad line."""
    if verb == "scan" and len(args) == 1:
        return driver.present(args[0])
    if verb == "qty" and len(args) == 1:
        if not args[0].isdigit():
            raise ValueError(f"quantité « {args[0]} » : nombre entier attendu")
        return driver.qty(args[0])
    if verb == "remove" and not args:
        return driver.remove()
    if verb == "pay" and args[:1] == ["cash"] and len(args) <= 2:
        return driver.pay_cash(args[1] if len(args) == 2 else "")
    if verb == "pay" and args[:1] == ["card"] and len(args) <= 2:
        return driver.pay_card(args[1] if len(args) == 2 else "")
    if verb == "login" and len(args) == 1:
        return driver.login(args[0])
    if verb == "logout" and not args:
        return driver.key("F12")
    if verb == "reprint" and not args:
        return driver.key("F8")
    if verb == "gift-receipt" and not args:
        return driver.key("F10")
    if verb == "open-session" and args:
        return driver.open_session(read_count(" ".join(args)))
    if verb in ("cash-in", "cash-out") and len(args) == 2:
        amount = format_amount(_amount(args[0]))
        return driver.cash_movement("in" if verb == "cash-in" else "out", amount, args[1])
    if verb == "report-x" and not args:
        return driver.key("F11")
    if verb == "select" and len(args) == 1 and args[0].isdigit():
        return driver.select(int(args[0]))
    if verb == "discount" and len(args) == 2 and args[0] in ("line", "ticket"):
        return driver.discount(args[0], args[1])
    if verb == "price" and len(args) == 2:
        return driver.price(args[0], args[1])
    if verb == "weigh" and len(args) == 1:
        return driver.weigh(args[0])
    if verb == "scale" and len(args) == 1:
        return driver.set_scale(parse_kg(args[0]))
    if verb == "customer" and len(args) == 1:
        driver.to_sale()
        return driver.present(args[0])
    if verb == "points" and len(args) == 1:
        return driver.points(args[0])
    if verb == "gift-card" and len(args) == 3 and args[0] == "sell":
        return driver.sell_gift_card(args[1], args[2])
    if verb == "pay" and args[:1] == ["gift"] and len(args) in (2, 3):
        return driver.pay_with("ctrl+g", args[2] if len(args) == 3 else "", args[1])
    if verb == "pay" and args[:1] == ["credit-note"] and len(args) in (2, 3):
        return driver.pay_with("ctrl+v", args[2] if len(args) == 3 else "", args[1])
    if verb == "pay" and args[:1] == ["cheque"] and len(args) in (2, 3):
        return driver.pay_with("ctrl+h", args[1], args[2] if len(args) == 3 else "")
    if verb == "refund" and len(args) == 3 and args[1].isdigit():
        return driver.refund_line(args[0], int(args[1]), args[2])
    if verb == "refund-to" and len(args) == 1 and args[0] in REFUND_KEYS:
        return driver.refund_to(args[0])
    if verb == "return-no-ticket" and len(args) == 3:
        return driver.return_without_ticket(args[0], args[1], args[2])
    if verb == "park" and not args:
        driver.to_sale()
        return driver.key("ctrl+a")
    if verb == "resume" and len(args) <= 1 and all(a.isdigit() for a in args):
        return driver.resume(int(args[0]) if args else None)
    if verb == "cancel" and len(args) == 1:
        return driver.with_approval("ctrl+Delete", args[0])
    if verb == "drawer" and len(args) == 1:
        return driver.with_approval("ctrl+o", args[0])
    if verb == "close-session" and args:
        cards = [a for a in args if a.lower().startswith("card=")]
        cheques = [a for a in args if a.lower().startswith("cheque=")]
        days = [a.lower() for a in args if a.lower().startswith("day=")]
        counts = [a for a in args if not a.lower().startswith(("card=", "cheque=", "day="))]
        card = format_amount(_amount(cards[-1].split("=", 1)[1])) if cards else None
        cheque = format_amount(_amount(cheques[-1].split("=", 1)[1])) if cheques else None
        if days and days[-1] not in ("day=close", "day=keep"):
            raise ValueError(f"« {days[-1]} » : day=close (clôturer la journée) ou day=keep (la garder ouverte)")
        end_of_day = None if not days else days[-1] == "day=close"
        return driver.close_session(read_count(" ".join(counts)), card, end_of_day, cheque)
    usage = {"scan": "scan CODE", "qty": "qty N", "remove": "remove",
             "pay": "pay cash MONTANT | pay card [MONTANT] | pay cheque MONTANT [NUMÉRO] | pay gift CARTE [MONTANT] "
                    "| pay credit-note AVOIR [MONTANT]",
             "select": "select N", "discount": "discount line|ticket 10% (ou 2,50)",
             "price": "price PRIX BADGE_PROF", "weigh": "weigh CODE", "scale": "scale 0.512 (kg)",
             "customer": "customer CARTE", "points": "points N", "gift-card": "gift-card sell CARTE MONTANT",
             "refund": "refund TICKET LIGNE QTÉ", "refund-to": "refund-to cash|card|cheque|credit-note",
             "return-no-ticket": "return-no-ticket CODE QTÉ BADGE_PROF", "park": "park", "resume": "resume [N]",
             "cancel": "cancel BADGE_PROF", "drawer": "drawer BADGE_PROF",
             "reprint": "reprint", "gift-receipt": "gift-receipt", "login": "login BADGE", "logout": "logout",
             "open-session": "open-session MONTANT | open-session 7x20 1x10",
             "cash-in": "cash-in MONTANT change", "cash-out": "cash-out MONTANT bank|safe|expense",
             "report-x": "report-x", "close-session": "close-session COMPTAGE card=MONTANT [cheque=MONTANT] [day=close|keep]"}
    if verb in usage:
        raise ValueError(f"arguments incorrects pour « {verb} » : attendu « {usage[verb]} »")
    raise ValueError(f"action « {verb} » inconnue (actions : {', '.join(usage)})")


def _amount(text: str) -> int:
    try:
        return parse_amount(text, "montant")
    except CommerceError as e:
        raise ValueError(str(e)) from None
