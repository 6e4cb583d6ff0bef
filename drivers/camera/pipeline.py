"""The camera scanner: frames in, one event per physical scan out.

Every frame gets the cheap first pass of the decoder chain (zxing-cpp on the frame as it is). When
that finds nothing, the expensive retries (zbar, the inverted frame, rotations) run on a reduced
copy of the frame (longest side `retry_max_side`), and only on one empty frame in `retry_every`: a
code held to the camera stays in view for many frames, so an inverted or tilted code is still found
within `retry_every` frames (about a quarter of a second at 30 frames/s), and an empty scene (most
of the time at a counter) keeps about 30 frames/s on one core (retries ≈ 140 ms on an 800×450 copy,
first pass ≈ 10 ms on 1280×720; bench `camera_empty_fps`).

Debounce, per code (symbology and text):
- a code that stays in view counts once: it is "in view" until it has been missing from
  `absent_frames` frames in a row (a blurred frame or two does not end it);
- when it comes back less than `repeat_window` seconds after it was last seen, it is the same scan
  (counts once); later, it is a rescan and counts again.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import numpy as np

from .decoders import Chain, Decoder, _as_gray

# zxing-cpp without its own retries, then zbar, then both on the inverted image and on rotations:
# the most codes found and no wrong read on the shared sets (docs/decoding.md), and the cheapest
# first pass (about 7 ms on a 1280×720 frame).
DEFAULT_CHAIN = "zxing-fast>zbar+inv+rot"


@dataclass(frozen=True)
class ScanEvent:
    symbology: str
    data: str
    frame: int  # index of the frame where the code appeared
    time: float  # seconds: frame time (video, images) or time.monotonic() (live camera)


class CameraScanner:
    """Feed frames (``feed``) or a frame source (``scan``); get ``ScanEvent``s through the returned
    lists, the iterator, or the ``on_scan`` callback."""

    def __init__(self, decoder: Decoder | None = None, *, absent_frames: int = 4,
                 repeat_window: float = 0.5, retry_every: int = 8, retry_max_side: int = 800,
                 on_scan: Callable[[ScanEvent], None] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        if decoder is None:
            from .decoders import make
            decoder = make(DEFAULT_CHAIN)
        if absent_frames < 1 or retry_every < 1 or repeat_window < 0:
            raise ValueError("absent_frames et retry_every ≥ 1, repeat_window ≥ 0")
        self.decoder = decoder
        self.absent_frames = absent_frames
        self.repeat_window = repeat_window
        self.retry_every = retry_every
        self.retry_max_side = retry_max_side
        self.on_scan = on_scan
        self.clock = clock
        self.problems: list[str] = []
        self.frames = 0
        self._empty_run = 0
        self._missing: dict[tuple[str, str], int] = {}  # code in view -> frames missing in a row
        self._last_seen: dict[tuple[str, str], float] = {}

    # ---------------------------------------------------------------------------------- decoding
    def decode_frame(self, frame: np.ndarray) -> list[tuple[str, str]]:
        """The codes in one frame (first pass, then the budgeted retries)."""
        try:
            gray = _as_gray(frame)
        except Exception as exc:
            self._problem(f"image de la caméra illisible ({exc})")
            return []
        if gray.size == 0:
            self._problem("image de la caméra vide (0 pixel)")
            return []
        problems: list[str] = []
        if isinstance(self.decoder, Chain):
            codes = self.decoder.first_pass(gray, problems)
            if codes:
                self._empty_run = 0
            else:
                self._empty_run += 1
                if self._empty_run % self.retry_every == 1 or self.retry_every == 1:
                    codes = self.decoder.retries(_reduced(gray, self.retry_max_side), problems)
        else:
            codes = self.decoder.decode(gray, problems)
        for p in problems:
            self._problem(p)
        return codes

    # ---------------------------------------------------------------------------------- debounce
    def feed(self, frame: np.ndarray, t: float | None = None) -> list[ScanEvent]:
        """Process one frame taken at time `t` (seconds; default the clock); new scans returned."""
        index, self.frames = self.frames, self.frames + 1
        now = self.clock() if t is None else t
        seen = set(self.decode_frame(frame))
        events = []
        for code in seen:
            if code in self._missing:
                self._missing[code] = 0
            else:
                self._missing[code] = 0
                last = self._last_seen.get(code)
                if last is None or now - last >= self.repeat_window:
                    events.append(ScanEvent(code[0], code[1], index, now))
            self._last_seen[code] = now
        for code in list(self._missing):
            if code not in seen:
                self._missing[code] += 1
                if self._missing[code] >= self.absent_frames:
                    del self._missing[code]
        for event in events:
            if self.on_scan is not None:
                self.on_scan(event)
        return events

    def scan(self, frames: Iterable[np.ndarray], fps: float | None = None) -> Iterator[ScanEvent]:
        """Events from a frame source. With `fps` (or a source that states it: video file, image
        frames), frame times are index / fps, so replays are deterministic; else the clock."""
        fps = fps or getattr(frames, "fps", None)
        try:
            for i, frame in enumerate(frames):
                yield from self.feed(frame, i / fps if fps else None)
        finally:
            self.problems.extend(getattr(frames, "problems", []))

    @property
    def in_view(self) -> list[tuple[str, str]]:
        return sorted(self._missing)

    def _problem(self, message: str) -> None:
        if len(self.problems) < 100:  # a bad camera must not grow memory frame after frame
            self.problems.append(message)


def _reduced(gray: np.ndarray, max_side: int) -> np.ndarray:
    import cv2
    h, w = gray.shape
    scale = max_side / max(h, w)
    if scale >= 1:
        return gray
    return cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)


def open_scanner(uri: str, **kwargs) -> tuple[CameraScanner, object]:
    """A scanner and its frame source from a device URI (camera://0, camera:///video.mp4, or
    camera:///folder-of-images for the simulator)."""
    from .frames import open_frames
    return CameraScanner(**kwargs), open_frames(uri)
