"""Scale (balance): weighs loose goods sold by the kilogram.

One small interface and its backends:
- `SerialScale`: a scale on a serial port speaking Mettler Toledo 8217 (drivers/scale/toledo.py has
  the frames and where they come from), `serial:///dev/ttyUSB2?baudrate=9600&bytesize=7&parity=E`;
- the simulator, drivers.sim.serial_devices.SimScale, answers the same frames on a pty.

Weights are integer grams, never floats. The price of a weighed item is computed by
commerce.instore.price_for_weight (one rounding rule, in commerce); the scale only weighs.

    scale = open_scale("serial:///dev/ttyUSB2")
    reading = scale.read_weight()      # Reading(grams=1234, stable=True) or (None, False) if moving
    reading = scale.wait_stable(3.0)   # polls until stable; raises NotStable after the time
    UnderZero, Overload, NoAnswer, BadFrame: typed errors (DeviceError) with French messages.
"""
from __future__ import annotations

import time

from drivers.uri import DeviceError, parse_uri

from .toledo import (CR, REQUEST_WEIGHT, STX, BadFrame, NoAnswer, NotStable, Overload, Reading, ScaleError,
                     UnderZero, parse_frame)

__all__ = ["SerialScale", "open_scale", "Reading", "ScaleError", "UnderZero", "Overload", "NoAnswer",
           "BadFrame", "NotStable", "DeviceError"]

SCALE_PARAMS = ("baudrate", "bytesize", "parity")


class SerialScale:
    def __init__(self, transport, label: str = "balance"):
        self.transport = transport
        self.label = label

    def read_weight(self, timeout: float = 1.0) -> Reading:
        """Ask for the weight once and parse the answer."""
        self.transport.reset_input()  # a late answer to an earlier request must not be taken for this one
        self.transport.write(REQUEST_WEIGHT)
        return parse_frame(self._frame(timeout), self.label)

    def wait_stable(self, timeout: float = 3.0, interval: float = 0.2) -> Reading:
        end = time.monotonic() + timeout
        while True:
            reading = self.read_weight()
            if reading.stable:
                return reading
            if time.monotonic() + interval > end:
                raise NotStable(self.label, timeout)
            time.sleep(interval)

    def _frame(self, timeout: float) -> bytes:
        buf = bytearray()
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                if buf:
                    raise BadFrame(self.label, bytes(buf), "réponse coupée, CR manquant")
                raise NoAnswer(self.label, timeout)
            buf += self.transport.read(min(left, 0.05))
            start = buf.find(bytes([STX]))
            if start < 0:
                if len(buf) > 64:
                    raise BadFrame(self.label, bytes(buf[:64]), "pas de STX")
                continue
            stop = buf.find(bytes([CR]), start)
            if stop >= 0:
                return bytes(buf[start: stop + 1])

    def close(self) -> None:
        self.transport.close()


def open_scale(uri: str) -> SerialScale:
    dev = parse_uri(uri, allowed=("serial",), params=SCALE_PARAMS)
    from drivers.scanner.serial import PySerialTransport

    bytesize = dev.params.get("bytesize", "7")
    parity = dev.params.get("parity", "E").upper()
    if bytesize not in ("7", "8"):
        raise DeviceError(f"adresse de périphérique « {uri} » : bytesize « {bytesize} » invalide : 7 ou 8",
                          "config")
    if parity not in ("N", "E", "O"):
        raise DeviceError(f"adresse de périphérique « {uri} » : parité « {parity} » invalide : N, E ou O",
                          "config")
    transport = PySerialTransport(dev.path, int(dev.params.get("baudrate", 9600)), int(bytesize), parity,
                                  what="balance")
    return SerialScale(transport, transport.label)
