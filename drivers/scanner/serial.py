"""Serial barcode scanner (RS-232 or USB-serial, through pyserial).

    serial:///dev/ttyUSB0?baudrate=9600&terminator=CR&dedupe=1.0

Protocol and transport are kept apart:

- `FrameSplitter` (pure, no I/O) turns the bytes as they come into scans and errors. A scan is
  delivered as soon as its terminator arrives. We never use pyserial's `readline`: it waits for LF
  and stalls forever on a CR-only scanner. Terminators: CR, LF, CRLF or TAB.
  * CR and CRLF: the CR ends the scan at once; an LF right after it (even in a later read) is the
    rest of the terminator and is swallowed, so CRLF gives one scan, never a scan and an empty one.
  * LF: a CR just before the LF belongs to the terminator too (a CRLF scanner on an LF setting works).
  * A frame is made of printable ASCII (0x20-0x7E). Other bytes are garbage: before the first
    printable byte of a frame they are line noise, reported at once and dropped (the scan that follows
    is intact); inside a frame they corrupt it, and at its terminator the whole frame is refused with
    the bytes named. Either way the next scan starts clean.
  * A partial frame is buffered until its terminator; if nothing more arrives for `frame_timeout_s`
    it is reported as an incomplete read and dropped, so it cannot glue itself to the next scan.
- `ScanReader` runs a reader thread over any transport with `read(timeout) -> bytes` and `close()`
  (pyserial here, the master side of a pseudo-terminal for sim://), calls `on_scan(code)` for each
  scan that passes the duplicate filter and `on_error(DeviceError)` for each problem. Callbacks run
  on the reader thread: a Kivy app hands them over with Clock.schedule_once / @mainthread.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

from drivers.uri import DeviceError, DeviceUri, parse_uri

from .dedupe import DEFAULT_WINDOW_S, Deduper

TERMINATORS = ("CR", "LF", "CRLF", "TAB")
SCANNER_PARAMS = ("baudrate", "terminator", "dedupe")
MAX_FRAME = 256  # no barcode is longer; more means the terminator is not the configured one
FRAME_TIMEOUT_S = 1.0  # a partial frame with no byte for this long was cut short
READ_TIMEOUT_S = 0.05  # reader poll: how fast stop() is noticed; bytes are handled as soon as they come

CR, LF, TAB = 0x0D, 0x0A, 0x09
_NAMES = {CR: "CR", LF: "LF", TAB: "TAB"}


@dataclass(frozen=True)
class ScanEvent:
    kind: str  # "scan" | "error"
    text: str  # the code (scan) or the French message (error)


def hex_bytes(data: bytes) -> str:
    return " ".join(f"0x{b:02X}" for b in data)


def check_terminator(name: str) -> str:
    t = (name or "").strip().upper()
    if t not in TERMINATORS:
        raise DeviceError(f"terminateur « {name} » inconnu : possibles " + ", ".join(TERMINATORS), "config")
    return t


class FrameSplitter:
    """Bytes in, whole scans and errors out. Keeps state between reads (split frames, CR|LF split)."""

    def __init__(self, terminator: str = "CR", max_len: int = MAX_FRAME,
                 frame_timeout_s: float = FRAME_TIMEOUT_S):
        self.terminator = check_terminator(terminator)
        self.max_len = max_len
        self.frame_timeout_s = frame_timeout_s
        self._frame = bytearray()  # printable bytes of the frame in progress
        self._bad = bytearray()  # garbage bytes inside the frame in progress
        self._marked = bytearray()  # the frame as received, garbage shown as '?'
        self._noise = bytearray()  # garbage before the first printable byte
        self._after_cr = False  # CR/CRLF: the last byte ended a frame with CR (an LF may follow)
        self._pending_cr = False  # LF: a CR that may be the first half of CRLF
        self._overflow = False  # dropping an overlong frame until its terminator
        self._last_byte_at: Optional[float] = None

    @property
    def pending(self) -> str:
        """The partial frame waiting for its terminator (for diagnostics)."""
        return self._marked.decode("ascii")

    def feed(self, data: bytes, now: float = 0.0) -> list[ScanEvent]:
        out: list[ScanEvent] = []
        for b in data:
            self._byte(b, out)
        if data:
            self._last_byte_at = now
        return out

    def idle(self, now: float) -> list[ScanEvent]:
        """Call when no byte came: a partial frame left alone too long is reported and dropped."""
        out: list[ScanEvent] = []
        if self._pending_cr and self._last_byte_at is not None \
                and now - self._last_byte_at >= self.frame_timeout_s:
            self._pending_cr = False
            self._garbage(CR, out)
        if (self._marked or self._overflow) and self._last_byte_at is not None \
                and now - self._last_byte_at >= self.frame_timeout_s:
            if not self._overflow:
                bad = bytes(self._bad)
                detail = f", octets illisibles {hex_bytes(bad)}{self._hint(bad)}" if bad else ""
                out.append(ScanEvent("error", f"lecture incomplète « {self.pending} » : le terminateur "
                                     f"{self.terminator} n'est pas arrivé{detail} ; code ignoré, "
                                     "scannez à nouveau"))
            self._reset_frame()
        self._flush_noise(out)
        return out

    # -- byte by byte ----------------------------------------------------------------------------
    def _byte(self, b: int, out: list) -> None:
        if self._after_cr:
            self._after_cr = False
            if b == LF:
                return  # second half of CRLF
        if self._pending_cr:
            self._pending_cr = False
            if b == LF:
                self._end(out)
                return
            self._garbage(CR, out)
        t = self.terminator
        if b == CR and t in ("CR", "CRLF"):
            self._end(out)
            self._after_cr = True
        elif b == CR and t == "LF":
            self._pending_cr = True
        elif (b == LF and t == "LF") or (b == TAB and t == "TAB"):
            self._end(out)
        elif 0x20 <= b <= 0x7E:
            self._flush_noise(out)
            self._printable(b, out)
        else:
            self._garbage(b, out)

    def _printable(self, b: int, out: list) -> None:
        if self._overflow:
            return
        if len(self._marked) >= self.max_len:
            out.append(ScanEvent("error", f"plus de {self.max_len} caractères reçus sans terminateur "
                                 f"{self.terminator} : vérifiez le terminateur configuré du scanner"))
            self._reset_frame()
            self._overflow = True
            return
        self._frame.append(b)
        self._marked.append(b)

    def _garbage(self, b: int, out: list) -> None:
        if self._overflow:
            return
        if not self._marked:
            self._noise.append(b)
        else:
            self._bad.append(b)
            self._marked.append(ord("?"))

    def _hint(self, data: bytes) -> str:
        others = sorted({_NAMES[b] for b in data if b in _NAMES} - {self.terminator})
        if others:
            return (f" (le scanner envoie peut-être {' ou '.join(others)} comme terminateur, "
                    f"alors que {self.terminator} est configuré)")
        return ""

    def _flush_noise(self, out: list) -> None:
        if self._noise:
            noise = bytes(self._noise)
            self._noise.clear()
            out.append(ScanEvent("error", f"octets illisibles reçus du scanner : {hex_bytes(noise)} ; "
                                 f"ignorés{self._hint(noise)}"))

    def _end(self, out: list) -> None:
        self._flush_noise(out)
        if self._overflow:
            self._reset_frame()
        elif self._bad:
            bad = bytes(self._bad)
            out.append(ScanEvent("error", f"lecture corrompue « {self.pending} » : octets illisibles "
                                 f"{hex_bytes(bad)}{self._hint(bad)} ; code ignoré, scannez à nouveau"))
        elif self._frame:
            out.append(ScanEvent("scan", self._frame.decode("ascii")))
        self._reset_frame()

    def _reset_frame(self) -> None:
        self._frame.clear()
        self._bad.clear()
        self._marked.clear()
        self._overflow = False


# -- transport ---------------------------------------------------------------------------------
class PySerialTransport:
    """A serial port through pyserial: `read` returns what is available, or b'' after READ_TIMEOUT_S.

    The pyserial timeout is set once at open: changing it reconfigures the port (a termios call)."""

    def __init__(self, path: str, baudrate: int = 9600, bytesize: int = 8, parity: str = "N",
                 what: str = "scanner"):
        import serial  # pyserial; imported here so that drivers import without it

        self.label = f"{what} série {path}"
        self._serial_exc = serial.SerialException
        try:
            self.port = serial.Serial(path, baudrate=baudrate, bytesize=bytesize, parity=parity,
                                      timeout=READ_TIMEOUT_S, write_timeout=2.0)
        except (serial.SerialException, OSError, ValueError) as e:
            raise DeviceError(f"{self.label} : impossible d'ouvrir le port ({_reason(e)}) ; "
                              "vérifiez le câble et l'adresse configurée") from e

    def read(self, timeout: float = READ_TIMEOUT_S) -> bytes:
        try:
            return self.port.read(self.port.in_waiting or 1)
        except (self._serial_exc, OSError, TypeError) as e:
            # pyserial raises TypeError when the port is closed under it by another thread
            raise DeviceError(f"{self.label} : plus de réponse ({_reason(e)}) ; le câble est-il "
                              "débranché ?") from e

    def write(self, data: bytes) -> None:
        try:
            self.port.write(data)
            self.port.flush()
        except (self._serial_exc, OSError) as e:
            raise DeviceError(f"{self.label} : écriture impossible ({_reason(e)})") from e

    def reset_input(self) -> None:
        try:
            self.port.reset_input_buffer()
        except (self._serial_exc, OSError):
            pass

    def close(self) -> None:
        try:
            self.port.close()
        except (self._serial_exc, OSError):
            pass


def _reason(e: BaseException) -> str:
    text = str(e).strip()
    return text or type(e).__name__


# -- reader ------------------------------------------------------------------------------------
class ScanReader:
    """A reader thread over a transport: whole scans to `on_scan`, problems to `on_error`."""

    def __init__(self, transport, splitter: FrameSplitter, on_scan: Callable[[str], None],
                 on_error: Optional[Callable[[DeviceError], None]] = None,
                 dedupe: Optional[Deduper] = None, clock: Callable[[], float] = time.monotonic):
        self.transport = transport
        self.splitter = splitter
        self.on_scan = on_scan
        self.on_error = on_error or (lambda e: None)
        self.dedupe = dedupe
        self.clock = clock
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self) -> "ScanReader":
        self._thread = threading.Thread(target=self._run, name=f"scan-{self.transport.label}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self.transport.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.transport.read(READ_TIMEOUT_S)
            except DeviceError as e:
                if not self._stop.is_set():
                    self.on_error(e)
                return
            now = self.clock()
            events = self.splitter.feed(data, now) if data else self.splitter.idle(now)
            for ev in events:
                self._deliver(ev)

    def _deliver(self, ev: ScanEvent) -> None:
        try:
            if ev.kind == "scan":
                if self.dedupe is None or self.dedupe.accept(ev.text):
                    self.on_scan(ev.text)
            else:
                self.on_error(DeviceError(f"{self.transport.label} : {ev.text}", "input"))
        except Exception as e:  # a failing callback must not kill the reader
            try:
                self.on_error(DeviceError(f"{self.transport.label} : erreur en traitant la lecture ({e!r})",
                                          "internal"))
            except Exception:
                pass


def scanner_settings(dev: DeviceUri, default_terminator: str = "CR") -> tuple[str, Deduper]:
    """Terminator and duplicate filter from the URI's parameters (`terminator=CR`, `dedupe=1.0`)."""
    terminator = dev.params.get("terminator", default_terminator)
    try:
        terminator = check_terminator(terminator)
    except DeviceError as e:
        raise DeviceError(f"adresse de périphérique « {dev.uri} » : {e}", "config") from None
    raw = dev.params.get("dedupe", str(DEFAULT_WINDOW_S))
    try:
        window = float(raw.replace(",", "."))
        if not 0 <= window <= 60:
            raise ValueError
    except ValueError:
        raise DeviceError(f"adresse de périphérique « {dev.uri} » : fenêtre anti-doublon « {raw} » "
                          "invalide : un nombre de secondes entre 0 et 60, par exemple 1.0", "config") from None
    return terminator, Deduper(window)


class SerialScanner(ScanReader):
    """A scanner on a serial port, from its URI. `start()` opens the port and starts reading."""

    def __init__(self, uri: str, on_scan: Callable[[str], None],
                 on_error: Optional[Callable[[DeviceError], None]] = None):
        dev = parse_uri(uri, allowed=("serial",), params=SCANNER_PARAMS)
        terminator, dedupe = scanner_settings(dev)
        self.uri = dev
        self.baudrate = int(dev.params.get("baudrate", 9600))
        self.transport = None
        super().__init__(None, FrameSplitter(terminator), on_scan, on_error, dedupe)

    def start(self) -> "SerialScanner":
        self.transport = PySerialTransport(self.uri.path, self.baudrate)
        return super().start()

    def stop(self, timeout: float = 2.0) -> None:
        if self.transport is not None:
            super().stop(timeout)
