"""Mettler Toledo 8217 scale protocol (the "8217 mode" many POS scales and scanner-scales offer).

Learned from the Mettler Toledo DIVA Service Manual as printed in the PSC Magellan 8500 service
manual, section 6.1.3 "Command Descriptions" and 6.1.4.3 "Status Byte Format" (8217 mode). Line
settings there: 9600 baud, 7 data bits, even parity, 1 stop bit (our default; change with
`?baudrate=…&bytesize=8&parity=N`).

Frames we implement:

    host -> scale   W                       request the weight (one ASCII 'W', no terminator)
    scale -> host   STX WW.WWW CR           stable gross weight in kg, 3 decimals, leading zeros kept
                    STX WW.WWWN CR          same, net weight (a tare is set)
                    STX ? s CR              no weight: status byte s instead (motion, under zero,
                                            over capacity…)

    status byte s:  bit 0  1 = scale in motion
                    bit 1  1 = over capacity
                    bit 2  1 = under zero
                    bit 3  1 = outside zero capture range
                    bit 4  1 = centre of zero
                    bit 5  1 = net weight
                    bit 6  always 1
                    bit 7  even parity (masked off here)

A weight in pounds (`STX WW.WW CR`, 2 decimals) is refused with a message asking to set the scale to
kilograms. The weight is parsed from its digits into integer grams: '01.234' is 1234 g, never a float.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from drivers.uri import DeviceError

STX, CR = 0x02, 0x0D
REQUEST_WEIGHT = b"W"

MOTION, OVER, UNDER, OUT_OF_ZERO_RANGE, CENTRE_OF_ZERO, NET = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20

_KG = re.compile(rb"(\d{1,3})\.(\d{3})(N?)")
_LB = re.compile(rb"\d{1,3}\.\d{2}N?")


class ScaleError(DeviceError):
    """A scale problem in plain French; subclasses say which."""

    def __init__(self, message: str, kind: str = "scale"):
        super().__init__(message, kind)


class UnderZero(ScaleError):
    def __init__(self, label: str = "balance"):
        super().__init__(f"{label} : poids sous zéro ; videz le plateau et remettez la balance à zéro",
                         "under_zero")


class Overload(ScaleError):
    def __init__(self, label: str = "balance"):
        super().__init__(f"{label} : surcharge, le poids dépasse la portée de la balance ; "
                         "retirez l'article du plateau", "overload")


class NoAnswer(ScaleError):
    def __init__(self, label: str = "balance", timeout: float = 1.0):
        super().__init__(f"{label} : pas de réponse en {timeout:g} s ; vérifiez qu'elle est allumée, "
                         "branchée et réglée en protocole Toledo 8217", "offline")


class BadFrame(ScaleError):
    def __init__(self, label: str, frame: bytes, why: str):
        super().__init__(f"{label} : réponse illisible {frame!r} ({why})", "protocol")


class NotStable(ScaleError):
    def __init__(self, label: str = "balance", timeout: float = 3.0):
        super().__init__(f"{label} : le poids ne se stabilise pas en {timeout:g} s ; "
                         "laissez l'article immobile sur le plateau", "moving")


@dataclass(frozen=True)
class Reading:
    grams: Optional[int]  # None while the scale is in motion (8217 sends no weight then)
    stable: bool
    net: bool = False

    @property
    def kg_text(self) -> str:
        """'1,234 kg' (French decimal comma), or '' while moving."""
        if self.grams is None:
            return ""
        kg, g = divmod(self.grams, 1000)
        return f"{kg},{g:03d} kg"


def parse_frame(frame: bytes, label: str = "balance") -> Reading:
    """One answer, from STX to CR included. Raises UnderZero, Overload or BadFrame."""
    if len(frame) < 3 or frame[0] != STX or frame[-1] != CR:
        raise BadFrame(label, frame, "attendu STX … CR")
    body = frame[1:-1]
    if body[:1] == b"?":
        if len(body) != 2:
            raise BadFrame(label, frame, "octet d'état manquant ou en trop")
        status = body[1] & 0x7F
        if not status & 0x40:
            raise BadFrame(label, frame, f"octet d'état 0x{body[1]:02X} invalide (bit 6 à 0)")
        if status & OVER:
            raise Overload(label)
        if status & UNDER:
            raise UnderZero(label)
        if status & MOTION:
            return Reading(None, False, bool(status & NET))
        raise BadFrame(label, frame, f"aucun poids et aucun défaut signalé (état 0x{status:02X})")
    m = _KG.fullmatch(body)
    if m:
        grams = int(m.group(1)) * 1000 + int(m.group(2))
        return Reading(grams, True, m.group(3) == b"N")
    if _LB.fullmatch(body):
        raise ScaleError(f"{label} : la balance pèse en livres (lb) ; réglez-la en kilogrammes", "config")
    raise BadFrame(label, frame, "attendu un poids en kg comme 01.234")
