"""Keyboard-wedge scanner: a scanner that types its code as a burst of keys ending with Enter.

The decoder sees every printable character of the window (focused field or not), with its arrival
time, and tells a scanner burst from typing by its speed.

Arrival times are those of the UI's event loop, which hands keys over a frame at a time: a scanner
sending a key every 1 ms shows up as a few groups of keys with the same time, one frame apart (10 to
150 ms with software OpenGL). So two keys belong to one burst when they came close together
(FAST_GAP, quicker than anyone types), or when the later one arrived with others in the same frame
(keys piling up between frames) and the gap is at most STALL (a busy machine can stall a frame for
half a second: a scan must not be cut in two then). A slow frame can pile up two or three keys of a
fast typist too, so the burst's gaps must also average a scanner's speed (MAX_AVG_GAP), leaving out
the longest gap (one stall). Misreading fast typing as a scan is harmless at the till (both look the
code up); cutting a real scan in two is not.

Per scanner (all optional, the defaults keep the plain behaviour):
- `suffix`: the key the scanner sends after a code, "enter" or "tab" (`ends_scan(key)` tells the UI
  whether a key ends a scan);
- `layout`: "qwerty-on-azerty" (or "azerty-on-qwerty") repairs numeric codes typed with the wrong
  keyboard layout, see drivers.scanner.layout.fix_layout; other codes are left untouched;
- `dedupe`: a drivers.scanner.dedupe.Deduper; a scan repeating the last one within its window is
  swallowed (terminate returns None, `duplicates` counts them).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .dedupe import Deduper
from .layout import NONE, check_mode, fix_layout

SAME_FRAME_S = 0.003  # keys handed over in one frame
FAST_GAP_S = 0.05  # nobody types two keys this close, again and again
ONE_FRAME_S = 0.15  # a slow frame with software OpenGL
STALL_S = 0.6  # a longer silence always ends a burst (a stalled frame is shorter than this)
MAX_AVG_GAP_S = 0.04  # average gap between the keys of a burst: people type at 80 ms per key and more
PILE_UP = 3  # keys arriving in one frame that only a machine sends
MIN_BURST_LEN = 4
CUT_AFTER_S = 0.5  # a burst followed by this much silence and no Enter was cut short
SUFFIXES = ("enter", "tab")


@dataclass(frozen=True)
class Entry:
    kind: str  # "scan" | "typed" (keyed in by hand) | "cut" (a burst that never got its Enter)
    text: str


class WedgeDecoder:
    def __init__(self, min_len: int = MIN_BURST_LEN, suffix: str = "enter", layout: str = NONE,
                 dedupe: Optional[Deduper] = None):
        if suffix not in SUFFIXES:
            raise ValueError(f"suffixe de scanner « {suffix} » inconnu : possibles " + ", ".join(SUFFIXES))
        self.min_len = min_len
        self.suffix = suffix
        self.layout = check_mode(layout)
        self.dedupe = dedupe
        self.duplicates = 0
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

    def _group_size_before(self, i: int) -> int:
        """Keys that arrived in the same frame as key i - 1 (the group just before key i)."""
        t = self._times
        n = 0
        while i - 1 - n >= 0 and t[i - 1 - n] is not None and t[i - 1] - t[i - 1 - n] <= SAME_FRAME_S:
            n += 1
        return n

    def _burst(self, t_end: float) -> str:
        """The trailing burst of keys if its last key came just before t_end, else ''."""
        t = self._times
        if not t or t[-1] is None or t_end - t[-1] > STALL_S:
            return ""
        i = len(t) - 1
        while i > 0 and t[i - 1] is not None:
            gap = t[i] - t[i - 1]
            # Across a stall, both sides must be piles of keys: a lone key typed by hand just
            # before a scan (a quantity, say) stays out of it.
            # (the first key of a burst may still land alone in the frame before: up to one frame).
            piled = self._group_size(i) >= PILE_UP and (self._group_size_before(i) >= 2 or gap <= ONE_FRAME_S)
            if not (gap <= FAST_GAP_S or (gap <= STALL_S and piled)):
                break
            i -= 1
        burst = self.buffer[i:]
        if len(burst) < self.min_len:
            return ""
        gaps = sorted(b - a for a, b in zip(t[i:], t[i + 1:]))[:-1]  # the longest may be a stall
        if gaps and sum(gaps) / len(gaps) > MAX_AVG_GAP_S:
            return ""
        return burst

    def ends_scan(self, key: str) -> bool:
        """Whether a key ("enter", "tab", …) is this scanner's suffix. Enter always ends an entry."""
        return key == "enter" or key == self.suffix

    def terminate(self, t: float) -> Optional[Entry]:
        """Enter (or Tab) pressed: a scan if the text just before it came as a burst, else typed text.

        A scan is repaired for the configured layout; a duplicate of the last scan within the
        dedupe window gives None (nothing to do), as if the key had come with nothing buffered.
        """
        burst, typed = self._burst(t), self.buffer
        self.clear()
        if burst:
            code = fix_layout(burst, self.layout)
            if self.dedupe is not None and not self.dedupe.accept(code):
                self.duplicates += 1
                return None
            return Entry("scan", code)
        return Entry("typed", typed) if typed else None

    def expire(self, t: float) -> Optional[Entry]:
        """Call periodically: a burst that stopped without its terminator was cut short."""
        if not self._times or self._times[-1] is None or t - self._times[-1] < CUT_AFTER_S:
            return None
        burst = self._burst(self._times[-1])
        if not burst:
            return None
        self.clear()
        return Entry("cut", fix_layout(burst, self.layout))

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
