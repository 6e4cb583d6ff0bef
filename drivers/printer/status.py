"""The printer's real-time status (DLE EOT n, n = 1..4), read into plain flags, and the typed error
each fault becomes. Bit meanings from the Epson ESC/POS reference (bits 1 and 4 always 1, bit 0 and
7 always 0, so a valid answer matches 0b0xx1xx10):

    n=1 printer:  bit 2 drawer connector pin 3 HIGH, bit 3 offline, bit 5 waiting for recovery
    n=2 offline:  bit 2 cover open, bit 3 feed button, bit 5 stopped at paper end, bit 6 error
    n=3 error:    bit 3 autocutter error, bit 5 unrecoverable error, bit 6 auto-recoverable error
    n=4 paper:    bits 2+3 roll near its end, bits 5+6 roll out
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

DLE_EOT = b"\x10\x04"
QUERIES = tuple(DLE_EOT + bytes([n]) for n in (1, 2, 3, 4))
DRAWER_LEVELS = ("low", "high")  # the pin 3 level that means "drawer open" (depends on the drawer)


def is_status_byte(b: int) -> bool:
    return b & 0b10010011 == 0b00010010


@dataclass(frozen=True)
class PrinterStatus:
    online: bool
    cover_open: bool
    paper_near_end: bool
    paper_out: bool
    error: bool  # autocutter, unrecoverable or auto-recoverable (head too hot) error
    drawer_pin3_high: bool
    raw: bytes = b""

    def drawer_open(self, open_level: str = "low") -> bool:
        return self.drawer_pin3_high == (open_level == "high")

    def as_dict(self) -> dict:
        d = asdict(self)
        d["raw"] = self.raw.hex(" ")
        return d


def parse_status(raw: bytes) -> PrinterStatus:
    """The four answers to DLE EOT 1, 2, 3, 4 (in that order) -> flags; ValueError if not status."""
    if len(raw) != 4 or not all(is_status_byte(b) for b in raw):
        raise ValueError(f"réponse d'état illisible : {raw.hex(' ') or 'rien'}")
    printer, offline, error, paper = raw
    return PrinterStatus(
        online=not printer & 0x08,
        cover_open=bool(offline & 0x04),
        paper_near_end=bool(paper & 0x0C),
        paper_out=bool(paper & 0x60) or bool(offline & 0x20),
        error=bool(error & 0x68) or bool(offline & 0x40),
        drawer_pin3_high=bool(printer & 0x04),
        raw=bytes(raw),
    )
