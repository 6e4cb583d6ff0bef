"""Plays register actions through the real window: real X key events in, the window's state file out.

Used by the headless demo (`--sales N`, `--script FILE`) and by the UI tests.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from .xsession import Keyboard


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
        return st

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

    def to_payment(self) -> dict:
        if self.state().get("screen") == "paiement":
            return self.state()
        return self._act(lambda: self.kb.key("F5"))

    def pay_cash(self, amount: str = "") -> dict:
        st = self.to_payment()
        if st.get("level") == "error":
            return st
        return self._act(lambda: (self.kb.type(amount) if amount else None, self.kb.key("F6")))

    def pay_card(self) -> dict:
        st = self.to_payment()
        if st.get("level") == "error":
            return st
        return self._act(lambda: self.kb.key("F7"))

    def key(self, keysym: str) -> dict:
        return self._act(lambda: self.kb.key(keysym))


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
    if verb == "pay" and args == ["card"]:
        return driver.pay_card()
    if verb == "login" and len(args) == 1:
        return driver.login(args[0])
    if verb == "logout" and not args:
        return driver.key("F12")
    if verb == "reprint" and not args:
        return driver.key("F8")
    if verb == "gift-receipt" and not args:
        return driver.key("F10")
    usage = {"scan": "scan CODE", "qty": "qty N", "remove": "remove", "pay": "pay cash MONTANT | pay card",
             "reprint": "reprint", "gift-receipt": "gift-receipt", "login": "login BADGE", "logout": "logout"}
    if verb in usage:
        raise ValueError(f"arguments incorrects pour « {verb} » : attendu « {usage[verb]} »")
    raise ValueError(f"action « {verb} » inconnue (actions : {', '.join(usage)})")
