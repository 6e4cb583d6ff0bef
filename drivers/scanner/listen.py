"""`comptoir devices listen URI`: print each scan as it arrives, to check a scanner's set-up.

    serial:///dev/ttyUSB0?baudrate=9600&terminator=CR   a serial scanner
    camera://0 or camera:///path/video.mp4              a camera or a video file
    sim://NAME                                          a pseudo-terminal we create; its name is
                                                        announced, and lines written into it are scans
                                                        (printf '3292590049201\\n' > /dev/pts/7)

For sim:// the default terminator is LF (lines typed in a terminal or sent with echo); add
`?terminator=CR` to play a CR scanner. Duplicates within the dedupe window count once, as at the till.
"""
from __future__ import annotations

import threading
from typing import Callable, Optional

from drivers.uri import DeviceError, parse_uri

from .serial import SCANNER_PARAMS, FrameSplitter, ScanReader, SerialScanner, scanner_settings


def _print_error(e: DeviceError) -> None:
    print(f"erreur : {e}", flush=True)


def _announce(text: str) -> None:
    print(text, flush=True)


def listen(uri: str, on_scan: Callable[[str], None], stop: threading.Event,
           on_error: Optional[Callable[[DeviceError], None]] = None,
           on_ready: Optional[Callable[[str], None]] = None) -> None:
    """Read scans from `uri` until `stop` is set. Blocks. Raises DeviceError for a bad URI or port.

    `on_scan(code)` and `on_error(DeviceError)` run on the reader thread; `on_ready(message)` is
    called once the device is open (for sim://, the message names the pty to write into).
    """
    dev = parse_uri(uri, allowed=("serial", "sim", "camera"), params=SCANNER_PARAMS)
    on_error = on_error or _print_error
    on_ready = on_ready or _announce
    if dev.scheme == "camera":
        from drivers.camera.frames import open_frames
        from drivers.camera.pipeline import CameraScanner

        frames = open_frames(uri)
        on_ready(f"Caméra {dev.label()} ouverte ; montrez un code (Ctrl-C pour arrêter).")
        for event in CameraScanner().scan(frames):
            on_scan(event.data)
            if stop.is_set():
                break
        return
    if dev.scheme == "serial":
        reader = SerialScanner(uri, on_scan, on_error)
        reader.start()
        on_ready(f"Scanner série {dev.path} ouvert ; scannez un code (Ctrl-C pour arrêter).")
    else:
        from drivers.sim.serial_devices import Pty

        terminator, dedupe = scanner_settings(dev, default_terminator="LF")
        pty = Pty()
        pty.label = f"simulateur {dev.path} ({pty.port})"
        reader = ScanReader(pty, FrameSplitter(terminator), on_scan, on_error, dedupe)
        reader.start()
        on_ready(f"Simulateur de scanner « {dev.path} » : écrivez les codes dans {pty.port}, "
                 f"un par ligne, par exemple : printf '3292590049201\\n' > {pty.port}")
    try:
        stop.wait()
    finally:
        reader.stop()
