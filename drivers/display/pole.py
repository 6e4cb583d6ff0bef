"""2x20 pole display, ESC/POS customer display command set (Epson DM-D and the many compatibles).

Protocol (kept apart from the transport; any object with write(bytes) and close()):

    ESC @        1B 40        initialise: clear, cursor home, default modes
    US MD1       1F 01        overwrite mode (no scrolling: we always place each line ourselves)
    US C n       1F 43 00     cursor hidden
    US $ x y     1F 24 x y    cursor to column x (1-20), line y (1-2)
    FF           0C           clear the screen (used by `clear_screen`)

Every screen is sent as `US $ 1 1` + 20 characters + `US $ 1 2` + 20 characters: each line is
overwritten whole, so nothing from the previous screen stays and nothing flickers (no clear before
each update). Characters are 7-bit ASCII only, see drivers/display/text.py for why.
"""
from __future__ import annotations

from drivers.uri import DeviceError

from . import CustomerDisplay
from .text import COLS

ESC, US, FF = 0x1B, 0x1F, 0x0C
INIT = bytes([ESC, 0x40, US, 0x01, US, 0x43, 0x00])
CLEAR = bytes([FF])


def goto(x: int, y: int) -> bytes:
    """Cursor to column x (1-20), line y (1-2)."""
    if not (1 <= x <= COLS and 1 <= y <= 2):
        raise ValueError(f"position ({x}, {y}) outside a 2x{COLS} display")
    return bytes([US, 0x24, x, y])


def encode_lines(line1: str, line2: str) -> bytes:
    """The bytes that show exactly these two lines (each must be 20 ASCII characters)."""
    out = bytearray()
    for y, line in ((1, line1), (2, line2)):
        if len(line) != COLS:
            raise ValueError(f"line {y} has {len(line)} characters, a pole display line has {COLS}")
        data = line.encode("ascii")  # Screens(ascii_only=True) guarantees it
        if any(b < 0x20 for b in data):
            raise ValueError(f"control character in line {y}: {line!r}")
        out += goto(1, y) + data
    return bytes(out)


class PoleDisplay(CustomerDisplay):
    ascii_only = True

    def __init__(self, transport, label: str = "afficheur client"):
        super().__init__()
        self.transport = transport
        self.label = label
        self._write(INIT)

    @classmethod
    def open(cls, path: str, baudrate: int = 9600) -> "PoleDisplay":
        from drivers.scanner.serial import PySerialTransport

        transport = PySerialTransport(path, baudrate, what="afficheur client")
        return cls(transport, transport.label)

    def _write(self, data: bytes) -> None:
        try:
            self.transport.write(data)
        except DeviceError:
            raise
        except OSError as e:
            raise DeviceError(f"{self.label} : écriture impossible ({e})") from e

    def _show(self, line1: str, line2: str) -> None:
        self._write(encode_lines(line1, line2))

    def clear_screen(self) -> None:
        self._write(CLEAR)
        self.lines = (" " * COLS, " " * COLS)

    def reinit(self) -> None:
        """After the display was switched off and on: initialise it and show the lines again."""
        self._write(INIT)
        self._show(*self.lines)

    def close(self) -> None:
        self.transport.close()
