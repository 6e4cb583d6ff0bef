"""Register window start: spawn to "ready" in its state file, against a bare Kivy window.

Both run under the same Xvfb with the same environment; runs alternate (bare, register, bare, ...)
after one untimed warm-up of each. The register's database holds the benchmark's N products and
its back-office URL points at a closed local port, so the catalogue pull fails fast in the background.
"""
from __future__ import annotations

import json
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from comptoir.xsession import VirtualScreen

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TIMEOUT = 120.0


def closed_port() -> int:
    """A local port nobody listens on (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp: Path, db: Path) -> Path:
    toml = tmp / "kiosk-bench.toml"
    toml.write_text(
        "# Caisse du banc d'essai (périphériques simulés, back-office injoignable)\n"
        f'[kiosk]\nregister = "bench"\ndevice = "caisse-bench"\ncashier = "Banc d\'essai"\n'
        f'database = "{db.as_posix()}"\n\n'
        f'[backoffice]\nurl = "http://127.0.0.1:{closed_port()}"\n\n'
        '[printer]\nbackend = "sim"\nout_dir = "receipts"\n', encoding="utf-8")
    return toml


def _state(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # not written yet (the window writes it atomically)
        return {}


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def time_window(argv: list[str], ready: Path, env: dict, log_path: Path, settle=None) -> float:
    """Seconds from spawning argv until `ready` holds {"ready": true}.

    `settle(state)`, if given, is then waited for (untimed, 15 s at most) before the window is closed.
    """
    ready.unlink(missing_ok=True)
    with open(log_path, "ab") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        try:
            while not _state(ready).get("ready"):
                if proc.poll() is not None:
                    raise RuntimeError(f"{argv[2]} s'est arrêté (code {proc.returncode}) avant d'être prêt : "
                                       f"voir {log_path}")
                if time.perf_counter() - t0 > TIMEOUT:
                    raise RuntimeError(f"{argv[2]} pas prêt après {TIMEOUT:.0f} s : voir {log_path}")
                time.sleep(0.005)
            took = time.perf_counter() - t0
            if settle is not None:
                deadline = time.monotonic() + 15
                while not settle(_state(ready)) and time.monotonic() < deadline and proc.poll() is None:
                    time.sleep(0.05)
        finally:
            _stop(proc)
    return took


def run(db: Path, runs: int, log=print) -> dict:
    with tempfile.TemporaryDirectory(prefix="comptoir-bench-") as d:
        tmp = Path(d)
        toml = write_config(tmp, db)
        screen = VirtualScreen()
        try:
            env = {**screen.env, "COMPTOIR_KIOSK_TOKEN": "banc-d-essai", "KIVY_NO_ARGS": "1",
                   "KIVY_LOG_MODE": "PYTHON"}
            kiosk_state, bare_ready = tmp / "state.json", tmp / "bare.json"
            kiosk = ([sys.executable, "-m", "kiosk.register", "--config", str(toml), "--state", str(kiosk_state)],
                     kiosk_state, env, tmp / "register.log")
            bare = ([sys.executable, str(HERE / "bare_kivy_app.py"), str(bare_ready)], bare_ready, env,
                    tmp / "bare.log")
            # warm-up, untimed: Kivy's first start on a display, OS caches; and a check that the
            # catalogue pull does fail (fast) against the closed port, as this benchmark assumes
            time_window(*bare)
            time_window(*kiosk, settle=lambda st: st.get("catalogue") not in (None, "loading"))
            catalogue_state = _state(kiosk_state).get("catalogue")
            bare_s, kiosk_s = [], []
            for i in range(runs):
                bare_s.append(time_window(*bare))
                kiosk_s.append(time_window(*kiosk))
                log(f"  démarrage {i + 1}/{runs} : Kivy nu {bare_s[-1]:.2f} s, caisse {kiosk_s[-1]:.2f} s")
        finally:
            screen.stop()
    b, k = statistics.median(bare_s), statistics.median(kiosk_s)
    return {"kiosk_start_ratio": round(k / b, 2), "kiosk_start_s": round(k, 3), "bare_kivy_start_s": round(b, 3),
            "kiosk_start_runs": runs, "_catalogue": catalogue_state}
