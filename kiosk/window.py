"""What both kiosk windows (register, stockroom) do around their life, written once: a signal closes
the window cleanly; the window says it is ready; only then does its background work start."""
from __future__ import annotations

import signal
import threading

from kivy.clock import Clock


class KioskWindow:
    """A mixin for a kivy App with `pusher`, `external_scanner`, `_write_state(ready=…)` and
    `_pull_catalogue()` (run on a thread)."""

    def stop_on_signals(self) -> None:
        # Ctrl-C or a stop from the demo closes the window cleanly (the work in progress is not recorded).
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *a: Clock.schedule_once(lambda dt: self.stop()))

    def ready_on_next_frame(self) -> None:
        Clock.schedule_once(lambda dt: self._ready_to_scan(), 0)

    def _ready_to_scan(self) -> None:
        self._write_state(ready=True)
        # Background work starts once the window takes scans: its imports and first requests would
        # otherwise share the interpreter with the window's first frame.
        self.pusher.start()
        threading.Thread(target=self._pull_catalogue, name="catalogue", daemon=True).start()

    def stop_background(self) -> None:
        self.pusher.stop()
        if self.external_scanner is not None:
            self.external_scanner.stop()
