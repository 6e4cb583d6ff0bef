"""Keyboard-wedge scanner: a scanner that types its code as a burst of keys ending with Enter.

The decoder sees every printable character of the window (focused field or not), with its arrival
time, and tells a scanner burst from typing on the keypad by its speed.

Arrival times are those of the UI's event loop, which hands over keys a frame at a time: a scanner
sending a key every 1 ms shows up as a few groups, one frame (10-150 ms with software GL) apart.
So a burst is judged on its average time per key, not on single gaps: a scanner averages a few
ms per key even when batched, while nobody types faster than ~60 ms per key.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

MAX_GAP_S = 0.2  # a longer silence ends a run of keys
MAX_AVG_S = 0.04  # average time per key (Enter included) of a scanner burst
MIN_BURST_LEN = 4
CUT_AFTER_S = 0.5  # a fast burst followed by this much silence and no Enter was cut short


@dataclass(frozen=True)
class Entry:
    kind: str  # "scan" | "typed" (keyed in by hand) | "cut" (a burst that never got its Enter)
    text: str


class WedgeDecoder:
    def __init__(self, max_gap_s: float = MAX_GAP_S, max_avg_s: float = MAX_AVG_S,
                 min_len: int = MIN_BURST_LEN):
        self.max_gap_s, self.max_avg_s, self.min_len = max_gap_s, max_avg_s, min_len
        self.buffer = ""
        self._run_start: Optional[int] = None  # index in buffer where the current run began
        self._run_t0 = 0.0
        self._last_t: Optional[float] = None

    def feed(self, text: str, t: float, manual: bool = False) -> None:
        """A character arrived at time t; `manual` for on-screen keypad taps (never a scan)."""
        if manual:
            self._run_start = None
        elif self._last_t is None or t - self._last_t > self.max_gap_s:
            self._run_start, self._run_t0 = len(self.buffer), t
        self.buffer += text
        self._last_t = t

    def _fast_run(self, t_end: float) -> str:
        """The current run if it came at scanner speed up to t_end, else ''."""
        if self._run_start is None or self._last_t is None or t_end - self._last_t > self.max_gap_s:
            return ""
        run = self.buffer[self._run_start:]
        if len(run) < self.min_len or (t_end - self._run_t0) / len(run) > self.max_avg_s:
            return ""
        return run

    def terminate(self, t: float) -> Optional[Entry]:
        """Enter (or Tab) pressed: the buffered text is a scan if it arrived as one fast burst."""
        run = self._fast_run(t)
        entry = Entry("scan", run) if run else (Entry("typed", self.buffer) if self.buffer else None)
        self.clear()
        return entry

    def expire(self, t: float) -> Optional[Entry]:
        """Call periodically: a fast burst that stopped without its terminator was cut short."""
        if self._last_t is None or t - self._last_t < CUT_AFTER_S:
            return None
        run = self._fast_run(self._last_t)
        if not run:
            return None
        self.clear()
        return Entry("cut", run)

    def take_typed(self) -> str:
        """The keyed-in text, consumed by a command key (quantity, cash amount…)."""
        text = self.buffer
        self.clear()
        return text

    def backspace(self) -> None:
        self.buffer = self.buffer[:-1]
        if self._run_start is not None and self._run_start >= len(self.buffer):
            self._run_start = None

    def clear(self) -> None:
        self.buffer = ""
        self._run_start = None
        self._last_t = None
