"""Plays register actions through the real window: real X key events in, the window's state file out.

Used by the headless demo (`--sales N`, `--script FILE`) and by the UI tests.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from commerce import cash
from commerce.errors import CommerceError
from commerce.money import format_amount, parse_amount

from .xsession import Keyboard

FLOAT_NOTES_UP_TO = 2000  # an amount given as one figure is counted in notes of 20 € at most, then coins


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


class RegisterDriver:
    def __init__(self, state_path: str | Path, keyboard: Keyboard, proc=None):
        self.state_path = Path(state_path)
        self.kb = keyboard
        self.proc = proc

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
                raise DriverError(f"la fenêtre de caisse s'est fermée (code {self.proc.returncode})")
            if time.monotonic() > deadline:
                raise DriverError(f"délai dépassé en attendant {what} (état : {st.get('message')!r})")
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
        return self._act(lambda: (self.kb.type(code, delay_ms), self.kb.key("Return")))

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

    # -- the cash session ----------------------------------------------------------------------
    def count(self, count: cash.CashCount, card: str | None = None) -> dict:
        """On the opening or closing screen: for each denomination, arrows to its row, the number,
        Entrée; then the card total on its row. The window moves to the next row after each Entrée."""
        st = self.state()
        if not st.get("count"):
            raise DriverError(f"la caisse n'est pas sur un écran de comptage (écran « {st.get('screen')} »)")
        rows = st["count"]["keys"]
        entries = [(str(d), str(n)) for d, n in sorted(count.pieces)]
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

    def close_session(self, count: cash.CashCount, card: str | None, end_of_day: bool | None = None) -> dict:
        """Shift+F11, the count, F6 if the day must (not) be closed, F5; the differences screen is then
        left with Entrée."""
        st = self.key("shift+F11")
        if st.get("screen") != "cloture":
            return st
        st = self.count(count, card)
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
        return driver.scan(args[0])
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
    if verb == "close-session" and args:
        cards = [a for a in args if a.lower().startswith("card=")]
        days = [a.lower() for a in args if a.lower().startswith("day=")]
        counts = [a for a in args if not a.lower().startswith(("card=", "day="))]
        card = format_amount(_amount(cards[-1].split("=", 1)[1])) if cards else None
        if days and days[-1] not in ("day=close", "day=keep"):
            raise ValueError(f"« {days[-1]} » : day=close (clôturer la journée) ou day=keep (la garder ouverte)")
        end_of_day = None if not days else days[-1] == "day=close"
        return driver.close_session(read_count(" ".join(counts)), card, end_of_day)
    usage = {"scan": "scan CODE", "qty": "qty N", "remove": "remove", "pay": "pay cash MONTANT | pay card [MONTANT]",
             "reprint": "reprint", "gift-receipt": "gift-receipt", "login": "login BADGE", "logout": "logout",
             "open-session": "open-session MONTANT | open-session 7x20 1x10",
             "cash-in": "cash-in MONTANT change", "cash-out": "cash-out MONTANT bank|safe|expense",
             "report-x": "report-x", "close-session": "close-session COMPTAGE card=MONTANT [day=close|keep]"}
    if verb in usage:
        raise ValueError(f"arguments incorrects pour « {verb} » : attendu « {usage[verb]} »")
    raise ValueError(f"action « {verb} » inconnue (actions : {', '.join(usage)})")


def _amount(text: str) -> int:
    try:
        return parse_amount(text, "montant")
    except CommerceError as e:
        raise ValueError(str(e)) from None
