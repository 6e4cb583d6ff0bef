"""Keyboard-wedge scanner: a scanner that types its code as a burst of keys ending with Enter.

The decoder sees every printable character of the window (focused field or not), with its arrival
time, and tells a scanner burst from typing by its speed.

Arrival times are those of the UI's event loop, which hands keys over a frame at a time: a scanner
sending a key every 1 ms shows up as a few groups of keys with the same time, one frame apart (10 to
150 ms with software OpenGL). So two keys belong to one burst when they came close together
(FAST_GAP, quicker than anyone types), or when the later one arrived with others in the same frame
(keys piling up between frames) and the gap is at most MAX_GAP. A slow frame can pile up two or three
keys of a fast typist too, so the whole burst must also average a scanner's speed (MAX_AVG_GAP).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

SAME_FRAME_S = 0.003  # keys handed over in one frame
FAST_GAP_S = 0.05  # nobody types two keys this close, again and again
MAX_GAP_S = 0.2  # a longer silence always ends a burst (a slow frame is shorter than this)
MAX_AVG_GAP_S = 0.04  # average gap between the keys of a burst: people type at 80 ms per key and more
PILE_UP = 3  # keys arriving in one frame that only a machine sends
MIN_BURST_LEN = 4
CUT_AFTER_S = 0.5  # a burst followed by this much silence and no Enter was cut short


@dataclass(frozen=True)
class Entry:
    kind: str  # "scan" | "typed" (keyed in by hand) | "cut" (a burst that never got its Enter)
    text: str


class WedgeDecoder:
    def __init__(self, min_len: int = MIN_BURST_LEN):
        self.min_len = min_len
        self.buffer = ""
        self._times: list[Optional[float]] = []  # arrival time per character; None for keypad taps

    def feed(self, text: str, t: float, manual: bool = False) -> None:
        """Characters arrived at time t; `manual` for on-screen keypad taps (never part of a scan)."""
        self.buffer += text
        self._times += [None if manual else t] * len(text)

    def _group_size(self, i: int) -> int:
        t = self._times
        n = 0
        while i + n < len(t) and t[i + n] is not None and t[i + n] - t[i] <= SAME_FRAME_S:
            n += 1
        return n

    def _burst(self, t_end: float) -> str:
        """The trailing burst of keys if its last key came just before t_end, else ''."""
        t = self._times
        if not t or t[-1] is None or t_end - t[-1] > MAX_GAP_S:
            return ""
        i = len(t) - 1
        while i > 0 and t[i - 1] is not None:
            gap = t[i] - t[i - 1]
            if not (gap <= FAST_GAP_S or (gap <= MAX_GAP_S and self._group_size(i) >= PILE_UP)):
                break
            i -= 1
        burst = self.buffer[i:]
        if len(burst) < self.min_len or (t[-1] - t[i]) / (len(burst) - 1) > MAX_AVG_GAP_S:
            return ""
        return burst

    def terminate(self, t: float) -> Optional[Entry]:
        """Enter (or Tab) pressed: a scan if the text just before it came as a burst, else typed text."""
        burst = self._burst(t)
        entry = Entry("scan", burst) if burst else (Entry("typed", self.buffer) if self.buffer else None)
        self.clear()
        return entry

    def expire(self, t: float) -> Optional[Entry]:
        """Call periodically: a burst that stopped without its terminator was cut short."""
        if not self._times or self._times[-1] is None or t - self._times[-1] < CUT_AFTER_S:
            return None
        burst = self._burst(self._times[-1])
        if not burst:
            return None
        self.clear()
        return Entry("cut", burst)

    def take_typed(self) -> str:
        """The keyed-in text, consumed by a command key (quantity, cash amount…)."""
        text = self.buffer
        self.clear()
        return text

    def backspace(self) -> None:
        self.buffer = self.buffer[:-1]
        self._times = self._times[:-1]

    def clear(self) -> None:
        self.buffer = ""
        self._times = []
