"""Cash drawer (tiroir-caisse): opened through the receipt printer (ESC p, see drivers/printer) or,
standalone, by a byte string on its own serial port; and a watch that warns when it stays open.

    [drawer]
    uri = "serial:///dev/ttyUSB1?baudrate=9600"
    open_bytes = "1b 70 00 32 fa"      # what this drawer's interface opens on (hex); default ESC p
    open_warning_s = 60                # warn when the drawer stays open longer than this

A drawer hung on the printer needs no [drawer] table: `[printer] drawer_pin = 2 | 5`.
"""
from __future__ import annotations

import time
from typing import Callable, Optional

from .printer.escpos_encode import drawer_pulse
from .uri import DeviceError, parse_uri

__all__ = ["DrawerError", "SerialDrawer", "make_drawer", "drawer_pulse", "open_too_long", "DrawerWatch"]


class DrawerError(DeviceError):
    pass


def parse_open_bytes(text: str) -> bytes:
    try:
        data = bytes.fromhex(text)
    except (TypeError, ValueError):
        raise DrawerError(f"Configuration du tiroir : open_bytes = « {text} » illisible, attendu des "
                          "octets en hexadécimal, par exemple \"1b 70 00 32 fa\"", "config") from None
    if not data:
        raise DrawerError("Configuration du tiroir : open_bytes est vide", "config")
    return data


class SerialDrawer:
    """A drawer with its own serial interface: writing `open_bytes` fires the solenoid."""

    def __init__(self, uri: str, open_bytes: bytes | None = None, timeout: float = 2.0):
        try:
            self.target = parse_uri(uri, allowed=("serial",), params=("baudrate",))
        except DeviceError as e:
            raise DrawerError(f"Configuration du tiroir : {e}", "config") from e
        self.open_bytes = open_bytes or drawer_pulse(2, 100, 500)
        self.timeout = timeout
        self.openings = 0

    def open_drawer(self) -> None:
        import serial

        where = self.target.path
        try:
            with serial.Serial(self.target.path, int(self.target.params.get("baudrate", 9600)),
                               timeout=self.timeout, write_timeout=self.timeout) as port:
                port.write(self.open_bytes)
                port.flush()
        except (serial.SerialException, OSError) as e:
            raise DrawerError(f"Tiroir-caisse injoignable sur {where} : port série absent ou occupé "
                              f"({getattr(e, 'strerror', None) or e})", "offline") from e
        self.openings += 1


def make_drawer(cfg: dict) -> SerialDrawer:
    unknown = sorted(set(cfg) - {"uri", "open_bytes", "open_warning_s"})
    if unknown:
        raise DrawerError(f"Configuration du tiroir : clé « {unknown[0]} » inconnue dans [drawer]", "config")
    if "uri" not in cfg:
        raise DrawerError("Configuration du tiroir : uri manque, par exemple serial:///dev/ttyUSB1", "config")
    open_bytes = parse_open_bytes(cfg["open_bytes"]) if "open_bytes" in cfg else None
    return SerialDrawer(cfg["uri"], open_bytes)


def open_too_long(opened_at: Optional[float], now: float, limit_s: float) -> Optional[str]:
    """The warning to show when the drawer has been open longer than `limit_s` seconds, or None."""
    if opened_at is None or now - opened_at <= limit_s:
        return None
    seconds = int(now - opened_at)
    shown = f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"
    return f"Le tiroir-caisse est ouvert depuis {shown} : refermez-le."


class DrawerWatch:
    """Polls a drawer sensor (e.g. `printer.drawer_open`) and says when it stays open too long.

    `poll()` returns the warning text (once per opening, until the drawer closes) or None. A sensor
    that cannot be read (printer unplugged) leaves the state as it was."""

    def __init__(self, read_open: Callable[[], bool], limit_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic):
        self.read_open = read_open
        self.limit_s = limit_s
        self.clock = clock
        self.opened_at: Optional[float] = None
        self.warned = False

    def poll(self) -> Optional[str]:
        now = self.clock()
        try:
            is_open = self.read_open()
        except DeviceError:
            return None
        if not is_open:
            self.opened_at, self.warned = None, False
            return None
        if self.opened_at is None:
            self.opened_at = now
        message = open_too_long(self.opened_at, now, self.limit_s)
        if message and not self.warned:
            self.warned = True
            return message
        return None
