"""Serial devices on pseudo-terminals: a scanner, a 2x20 pole display and a scale.

Each simulator owns a pty pair. The driver under test opens `sim.port` (the slave's name, e.g.
/dev/pts/7) with pyserial exactly as it opens /dev/ttyUSB0; the simulator plays the device on the
master side. Both sides are raw: no echo, no CR/LF translation, every byte arrives as sent.

The simulators are written from the protocol documents, not from our drivers' encoders, so a test
that passes through them checks the bytes on the wire, not one piece of our code against itself.
"""
from __future__ import annotations

import os
import select
import threading
import time
import tty
from typing import Callable, Optional


class Pty:
    """A raw pseudo-terminal pair. `port` is the name a driver opens; the device side is the master."""

    def __init__(self):
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)  # kept open: the pty lives as long as the simulator
        self.port = os.ttyname(self._slave)
        self.label = f"pty {self.port}"
        self._closed = False

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self.master, view)
            view = view[n:]

    def read(self, timeout: float = 0.05) -> bytes:
        """What the other side sent, waiting at most `timeout`; b'' when nothing came."""
        if self._closed:
            return b""
        try:
            ready, _, _ = select.select([self.master], [], [], timeout)
            if not ready:
                return b""
            return os.read(self.master, 4096)
        except (OSError, ValueError):  # EIO when no slave is open, EBADF after close
            if not self._closed:
                time.sleep(timeout)
            return b""

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Served(Pty):
    """A pty with a thread that handles whatever the driver writes (display, scale)."""

    def __init__(self):
        super().__init__()
        self._stop = threading.Event()
        self._lock = threading.RLock()  # re-entrant: a wait_until predicate may read `lines`
        self._changed = threading.Condition(self._lock)
        self.received = bytearray()  # every byte the driver sent, in order
        self._thread = threading.Thread(target=self._run, name=f"sim-{self.port}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            data = self.read(0.05)
            if data:
                with self._changed:
                    self.received += data
                    self._handle(data)
                    self._changed.notify_all()

    def _handle(self, data: bytes) -> None:
        raise NotImplementedError

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 2.0) -> bool:
        """Wait until predicate() (checked under the simulator's lock) is true; False on timeout."""
        end = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    def close(self) -> None:
        self._stop.set()
        self._thread.join(1.0)
        super().close()


class SimScanner(Pty):
    """A serial scanner: `scan(code)` sends the code and its terminator, as a real one does."""

    TERMINATORS = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "TAB": b"\t"}

    def __init__(self, terminator: str = "CR"):
        super().__init__()
        self.terminator = self.TERMINATORS[terminator]

    def scan(self, code: str) -> None:
        self.write(code.encode("ascii") + self.terminator)


# -- pole display --------------------------------------------------------------------------------
class PoleScreen:
    """Interprets the ESC/POS customer-display command set (Epson DM-D style) into 2 lines x 20.

    Understood: ESC @ (initialise: clear, home, overwrite mode), FF 0x0C (clear, home),
    VT 0x0B (home), CR (start of line), LF (next line), BS, HT (right one), CAN 0x18 (clear line),
    US $ x y and ESC l x y (cursor to column x 1-20, line y 1-2), US MD1/MD2/MD3 (0x1F 0x01-0x03:
    overwrite, vertical scroll, horizontal scroll), US C n (cursor on/off), ESC t n / ESC R n / ESC = n
    (code table, international set, peripheral: accepted and recorded). Printable bytes 0x20-0x7E are
    shown; bytes 0x80-0xFF are shown as '?' and recorded in `errors` (our driver never sends them),
    as is any unknown control byte.
    """

    COLS, ROWS = 20, 2

    def __init__(self):
        self.errors: list[str] = []
        self.settings: dict[str, int] = {}
        self.mode = "overwrite"
        self.cursor_visible = True
        self._esc: list[int] = []
        self.reset()

    def reset(self) -> None:
        self.cells = [[" "] * self.COLS for _ in range(self.ROWS)]
        self.x = self.y = 0
        self.mode = "overwrite"

    @property
    def lines(self) -> tuple[str, str]:
        return tuple("".join(row) for row in self.cells)

    def feed(self, data: bytes) -> None:
        for b in data:
            if self._esc:
                self._esc.append(b)
                self._command()
            elif b in (0x1B, 0x1F):
                self._esc = [b]
            else:
                self._plain(b)

    _LENGTHS = {(0x1B, 0x40): 2, (0x1B, 0x6C): 4, (0x1B, 0x74): 3, (0x1B, 0x52): 3, (0x1B, 0x3D): 3,
                (0x1F, 0x24): 4, (0x1F, 0x01): 2, (0x1F, 0x02): 2, (0x1F, 0x03): 2, (0x1F, 0x43): 3}

    def _command(self) -> None:
        seq = self._esc
        if len(seq) < 2:
            return
        need = self._LENGTHS.get((seq[0], seq[1]))
        if need is None:
            self.errors.append(f"commande inconnue {bytes(seq).hex(' ')}")
            self._esc = []
            return
        if len(seq) < need:
            return
        self._esc = []
        key = (seq[0], seq[1])
        if key == (0x1B, 0x40):
            self.reset()
            self.cursor_visible = True
        elif key in ((0x1B, 0x6C), (0x1F, 0x24)):
            x, y = seq[2], seq[3]
            if 1 <= x <= self.COLS and 1 <= y <= self.ROWS:
                self.x, self.y = x - 1, y - 1
            else:
                self.errors.append(f"position hors écran x={x} y={y}")
        elif key == (0x1F, 0x01):
            self.mode = "overwrite"
        elif key == (0x1F, 0x02):
            self.mode = "vertical"
        elif key == (0x1F, 0x03):
            self.mode = "horizontal"
        elif key == (0x1F, 0x43):
            self.cursor_visible = bool(seq[2])
        else:
            self.settings[{0x74: "code_table", 0x52: "charset", 0x3D: "peripheral"}[seq[1]]] = seq[2]

    def _plain(self, b: int) -> None:
        if 0x20 <= b <= 0x7E:
            self._put(chr(b))
        elif b >= 0x80:
            self.errors.append(f"octet non ASCII 0x{b:02X}")
            self._put("?")
        elif b == 0x0C:
            self.cells = [[" "] * self.COLS for _ in range(self.ROWS)]
            self.x = self.y = 0
        elif b == 0x0B:
            self.x = self.y = 0
        elif b == 0x0D:
            self.x = 0
        elif b == 0x0A:
            self._line_feed()
        elif b == 0x08:
            self.x = max(0, self.x - 1)
        elif b == 0x09:
            self._advance()
        elif b == 0x18:
            self.cells[self.y] = [" "] * self.COLS
            self.x = 0
        else:
            self.errors.append(f"octet de contrôle inconnu 0x{b:02X}")

    def _put(self, ch: str) -> None:
        self.cells[self.y][self.x] = ch
        self._advance()

    def _advance(self) -> None:
        if self.x < self.COLS - 1:
            self.x += 1
            return
        # past the last column: overwrite mode wraps to the other line's start; scroll mode scrolls
        self.x = 0
        if self.y == 0:
            self.y = 1
        elif self.mode == "vertical":
            self.cells = [self.cells[1], [" "] * self.COLS]
        else:
            self.y = 0

    def _line_feed(self) -> None:
        if self.y == 0:
            self.y = 1
        elif self.mode == "vertical":
            self.cells = [self.cells[1], [" "] * self.COLS]


class SimPoleDisplay(_Served):
    """A 2x20 pole display on a pty; `lines` is what a customer would read."""

    def __init__(self):
        self.screen = PoleScreen()
        super().__init__()

    def _handle(self, data: bytes) -> None:
        self.screen.feed(data)

    @property
    def lines(self) -> tuple[str, str]:
        with self._lock:
            return self.screen.lines

    def wait_for_lines(self, line1: str, line2: str, timeout: float = 2.0) -> bool:
        return self.wait_until(lambda: self.screen.lines == (line1, line2), timeout)


# -- scale: Mettler Toledo 8217 ------------------------------------------------------------------
class SimScale(_Served):
    """A scale speaking Mettler Toledo 8217 (see drivers/scale/toledo.py for the frames).

    Settable: `weight_g` (integer grams, shown as kg with 3 decimals), `state` one of "stable",
    "moving", "under" (under zero), "over" (over capacity); `net` adds the N suffix; `silent` makes
    it answer nothing (unplugged); `reply` overrides the next answer with raw bytes (bad frames).
    """

    def __init__(self, weight_g: int = 0, state: str = "stable"):
        self.weight_g = weight_g
        self.state = state
        self.net = False
        self.silent = False
        self.reply: Optional[bytes] = None
        self.requests = 0
        super().__init__()

    def set(self, weight_g: Optional[int] = None, state: Optional[str] = None) -> None:
        with self._lock:
            if weight_g is not None:
                self.weight_g = weight_g
            if state is not None:
                self.state = state

    def _handle(self, data: bytes) -> None:
        for b in data:
            if b == ord("W"):
                self.requests += 1
                if self.silent:
                    continue
                if self.reply is not None:
                    answer, self.reply = self.reply, None
                else:
                    answer = self._answer()
                self.write(answer)
            elif b == ord("S"):
                self.write(b"\x02?" + bytes([self._status()]) + b"\r")

    def _status(self) -> int:
        bits = 0x40  # bit 6 is always 1
        bits |= {"moving": 0x01, "over": 0x02, "under": 0x04}.get(self.state, 0)
        if self.weight_g == 0 and self.state == "stable":
            bits |= 0x10  # centre of zero
        if self.net:
            bits |= 0x20
        return bits  # bit 7 would be even parity on a 7E1 line; the pty carries 8 bits

    def _answer(self) -> bytes:
        if self.state != "stable" or self.weight_g < 0:
            return b"\x02?" + bytes([self._status()]) + b"\r"
        kg, g = divmod(self.weight_g, 1000)
        text = f"{kg:02d}.{g:03d}" + ("N" if self.net else "")
        return b"\x02" + text.encode("ascii") + b"\r"
