"""What both kiosk windows do the same way: their command line, and reading the back office's
catalogue and reference data (operators, customers, offers) into the kiosk's store."""
from __future__ import annotations

import argparse
import sys

from .config import ConfigError, KioskConfig, load


def main(argv, prog: str, description: str, app_class) -> int:
    """`prog --config kiosk.toml [--state state.json]`: load the TOML, then run the window."""
    ap = argparse.ArgumentParser(prog=prog, description=description)
    ap.add_argument("--config", required=True, help="fichier TOML du kiosque")
    ap.add_argument("--state", help="fichier JSON où la fenêtre écrit son état (démo, tests)")
    args = ap.parse_args(argv)
    try:
        cfg = load(args.config)
    except ConfigError as e:
        print(f"comptoir : {e}", file=sys.stderr)
        return 2
    app_class()(cfg, args.state).run()
    return 0


def refresh_catalogue(cfg: KioskConfig) -> tuple[str, int]:
    """Read what changed in the back office's catalogue (on its own connection: this runs beside the
    window's thread). Returns ("ok" or "hors ligne : why", products in the store)."""
    from sync.catalogue_pull import pull_catalogue
    from sync.pusher import PushError

    from .store import KioskStore

    from commerce.errors import CommerceError

    from . import reference

    store = KioskStore(cfg.database)
    try:
        pull_catalogue(cfg.backoffice_url, cfg.token, store.catalogue_cursor(), store.upsert_products)
        reference.refresh(store, cfg.backoffice_url, cfg.token)  # operators, customers, offers
        state = "ok"
    except (PushError, CommerceError) as e:  # offline: what the kiosk already has still works
        state = f"hors ligne : {e}"
    finally:
        products = store.product_count()
        store.close()
    return state, products


class CameraThread:
    """A camera (camera://N, or a video file played at its own pace) read on a thread: each code in
    view once is `on_code(text)`; every third frame goes to `on_frame(frame)` for a preview, if given.
    Both are called from the thread: the window hands them to its own loop (Kivy's Clock)."""

    def __init__(self, uri: str, on_code, on_frame=None):
        import threading

        from drivers.camera.frames import open_frames
        self.frames = open_frames(uri)  # a bad address raises DeviceError now, shown to the user
        self.on_code, self.on_frame = on_code, on_frame
        self._stop = threading.Event()
        threading.Thread(target=self._run, name="camera", daemon=True).start()

    def _paced(self, fps):
        import time
        start = time.monotonic()
        for i, frame in enumerate(self.frames):
            if fps:  # a video file plays at its own pace, like a camera
                time.sleep(max(0.0, start + i / fps - time.monotonic()))
            if self.on_frame is not None and i % 3 == 0:  # about 10 pictures a second is enough to aim
                self.on_frame(frame)
            yield frame

    def _run(self):
        from drivers.camera.pipeline import CameraScanner
        fps = getattr(self.frames, "fps", None)
        for event in CameraScanner().scan(self._paced(fps), fps=fps):
            if self._stop.is_set():
                break
            self.on_code(event.data)

    def stop(self):
        self._stop.set()


def open_scanner(uri: str, on_code, on_error, on_frame=None):
    """The scanner of a kiosk's TOML ([scanner] uri), started: a serial scanner, or a camera
    (CameraThread, frames to `on_frame` for a preview). Callbacks come from the device's thread.
    A keyboard wedge needs nothing (its keys reach the window): no uri, None. DeviceError if it
    cannot be opened."""
    if not uri:
        return None
    if uri.startswith("camera://"):
        return CameraThread(uri, on_code, on_frame)
    from drivers.scanner.serial import SerialScanner
    scanner = SerialScanner(uri, on_scan=on_code, on_error=on_error)
    scanner.start()
    return scanner
