"""A virtual X screen (Xvfb) and real X keyboard events (xdotool), for the headless demo and tests."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time


class XError(RuntimeError):
    pass


class VirtualScreen:
    """Xvfb on a free display number; `env` carries DISPLAY for the programs run on it."""

    def __init__(self, size: str = "1024x768x24"):
        if shutil.which("Xvfb") is None:
            raise XError("Xvfb est introuvable : installez le paquet Debian xvfb (make demo le fait en root)")
        r, w = os.pipe()
        self.proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", size, "-nolisten", "tcp"],
                                     pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(w)
        with os.fdopen(r) as f:
            number = f.readline().strip()
        if not number:
            self.proc.kill()
            raise XError("Xvfb n'a pas démarré")
        self.display = f":{number}"
        self.env = {**os.environ, "DISPLAY": self.display}

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Keyboard:
    """Sends real key events to the focused window of a display with xdotool."""

    def __init__(self, env: dict):
        if shutil.which("xdotool") is None:
            raise XError("xdotool est introuvable : installez le paquet Debian xdotool")
        self.env = env

    def _run(self, *args: str) -> None:
        subprocess.run(["xdotool", *args], env=self.env, check=True, timeout=30,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def focus(self, pid: int, timeout: float = 30.0) -> None:
        """Give the keyboard focus to the window of process `pid` (SDL sets _NET_WM_PID)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._run("search", "--pid", str(pid), "windowfocus")
                return
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline:
                    raise XError(f"fenêtre du processus {pid} introuvable sur {self.env.get('DISPLAY')}") from None
                time.sleep(0.2)

    def type(self, text: str, delay_ms: int = 1) -> None:
        # `xdotool type` loses accented letters under Xvfb (the key it maps for one is gone before the
        # window reads it); a Unicode keysym sent with `key` arrives. ASCII runs go as one burst.
        for run in re.findall(r"[\x00-\x7f]+|[^\x00-\x7f]", text):
            if run.isascii():
                self._run("type", "--delay", str(delay_ms), "--", run)  # "--": text may start with "-"
            elif run != run.lower() and len(run.lower()) == 1:
                # a key mapped to one letter gives its lower case: the capital is Shift + that key
                self._run("key", f"shift+U{ord(run.lower()):04X}")
            else:
                self._run("key", f"U{ord(run):04X}")

    def key(self, *keysyms: str) -> None:
        self._run("key", "--delay", "20", *keysyms)

    def click(self, x: int, y: int) -> None:
        self._run("mousemove", str(x), str(y), "click", "1")
