"""Duplicate filter shared by every scanner path (serial, wedge, camera).

A scanner can report one physical scan twice: a double trigger, a bounce, a continuous-mode scanner
that reads the label again while it is still under the beam. An identical code arriving within
`window_s` of the last *accepted* one is dropped; the same code after the window counts again (the
cashier scanning a second identical item); a different code always counts.

The window is measured from the last accepted scan, not from the last duplicate, so a scanner that
keeps reading the same label gives one event per window rather than one event forever.

Default 1.0 s: duplicates from a double read arrive within a few hundred milliseconds, while a
cashier needs about a second to put one item down and present the next identical one. Configure it
per scanner (`dedupe=0.5` in the device URI or config) when that is too long.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

DEFAULT_WINDOW_S = 1.0


class Deduper:
    def __init__(self, window_s: float = DEFAULT_WINDOW_S, clock: Callable[[], float] = time.monotonic):
        if window_s < 0:
            raise ValueError("window_s must be >= 0")
        self.window_s = window_s
        self.clock = clock
        self._last_code: str | None = None
        self._last_time = 0.0
        self.dropped = 0  # duplicates swallowed so far (for diagnostics)
        self._lock = threading.Lock()  # a reader thread and the UI thread may share one filter

    def accept(self, code: str, now: float | None = None) -> bool:
        """True if this scan counts; False if it repeats the last accepted code within the window."""
        with self._lock:
            t = self.clock() if now is None else now
            if code == self._last_code and t - self._last_time < self.window_s:
                self.dropped += 1
                return False
            self._last_code, self._last_time = code, t
            return True

    def reset(self) -> None:
        """Forget the last code (e.g. a new ticket starts: the next scan always counts)."""
        with self._lock:
            self._last_code = None
