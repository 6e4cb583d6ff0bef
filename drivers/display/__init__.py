"""Customer display (afficheur client): what the customer reads while the cashier scans.

One small interface (`CustomerDisplay`, below) and two backends:
- `PoleDisplay` (drivers/display/pole.py): a 2x20 serial pole display speaking the ESC/POS customer
  display command set, `serial:///dev/ttyUSB1?baudrate=9600`;
- `ScreenDisplay`: no hardware, the lines go to listeners (the on-screen display of the register,
  kiosk/register/customer_display.py), `sim://ecran`.

The service calls show_item / show_total / show_change / thank_you; the display never decides
anything about the sale. A display failure raises DeviceError (French message); the caller shows it
and carries on: a sale never waits for the display.
"""
from __future__ import annotations

import threading
from typing import Callable

from drivers.uri import DeviceError, parse_uri

from .text import COLS, Screens, to_ascii

__all__ = ["CustomerDisplay", "ScreenDisplay", "open_display", "Screens", "to_ascii", "COLS", "DeviceError"]


class CustomerDisplay:
    """Facade: the public methods every display has. Backends implement `_show(line1, line2)`."""

    ascii_only = True

    def __init__(self):
        self.screens = Screens(ascii_only=self.ascii_only)
        self.lines: tuple[str, str] = (" " * COLS, " " * COLS)

    def show(self, line1: str, line2: str = "") -> None:
        """Two lines as given (spaces kept), each cut or padded to exactly 20 characters."""
        lines = (self.screens.fit(line1), self.screens.fit(line2))
        self._show(*lines)
        self.lines = lines

    def show_item(self, name: str, unit_cents: int, quantity: int = 1) -> None:
        """The item just scanned: its name on top, its price (or 3 x 3,20 and the line total) below."""
        self.show(*self.screens.item(name, unit_cents, quantity))

    def show_total(self, total_cents: int) -> None:
        self.show(*self.screens.total(total_cents))

    def show_change(self, total_cents: int, change_cents: int) -> None:
        self.show(*self.screens.change(total_cents, change_cents))

    def thank_you(self, footer: str = "") -> None:
        self.show(*self.screens.thanks(footer))

    def welcome(self, shop: str = "") -> None:
        self.show(*self.screens.welcome(shop))

    def clear(self) -> None:
        self.show("", "")

    def close(self) -> None:
        pass

    def _show(self, line1: str, line2: str) -> None:
        raise NotImplementedError


class ScreenDisplay(CustomerDisplay):
    """No hardware: each new pair of lines goes to the listeners (called on the caller's thread)."""

    ascii_only = False  # a screen has every glyph: accents and € stay

    def __init__(self):
        super().__init__()
        self._listeners: list[Callable[[str, str], None]] = []
        self._lock = threading.Lock()

    def listen(self, callback: Callable[[str, str], None]) -> None:
        with self._lock:
            self._listeners.append(callback)
        callback(*self.lines)

    def _show(self, line1: str, line2: str) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for cb in listeners:
            cb(line1, line2)


def open_display(uri: str) -> CustomerDisplay:
    """serial://… a pole display (opened and initialised now); sim://NAME an on-screen display."""
    dev = parse_uri(uri, allowed=("serial", "sim"), params=("baudrate",))
    if dev.scheme == "sim":
        return ScreenDisplay()
    from .pole import PoleDisplay

    return PoleDisplay.open(dev.path, int(dev.params.get("baudrate", 9600)))
