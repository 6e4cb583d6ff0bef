"""On-screen customer display: a real Kivy window under Xvfb, fed through a ScreenDisplay."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.ui

SCRIPT = textwrap.dedent("""
    import json, sys, threading
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kiosk.register.customer_display import CustomerDisplayView, attach

    out = {}

    class T(App):
        def build(self):
            self.view = CustomerDisplayView()
            self.display = attach(self.view)
            return self.view

        def on_start(self):
            self.display.show_item("Café moulu 250 g", 1250)           # main thread
            out["item"] = [self.view.ids.line1.text, self.view.ids.line2.text]
            threading.Thread(target=lambda: self.display.show_change(2210, 7790)).start()
            Clock.schedule_once(self.check, 0.5)

        def check(self, dt):
            out["change"] = [self.view.ids.line1.text, self.view.ids.line2.text]
            Clock.schedule_once(self.shoot, 0.3)  # after a frame has drawn the new lines

        def shoot(self, dt):
            Window.screenshot(name=sys.argv[1])
            print("RESULT " + json.dumps(out), flush=True)
            self.stop()

    T().run()
""")


def test_on_screen_display_shows_the_lines(tmp_path: Path):
    if not shutil.which("xvfb-run"):
        pytest.skip("xvfb-run absent")
    script = tmp_path / "show.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1", KIVY_HOME=str(tmp_path / "kivy"),
               PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 800x600x24", sys.executable, str(script),
                           str(tmp_path / "shot.png")], capture_output=True, text=True, timeout=60, env=env)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
    assert lines, proc.stdout[-2000:] + proc.stderr[-2000:]
    out = json.loads(lines[-1][7:])
    assert out["item"] == ["Café moulu 250 g    ", " " * 13 + "12,50 €"]
    assert out["change"] == ["Total" + " " * 8 + "22,10 €", "Rendu" + " " * 8 + "77,90 €"]
    assert list(tmp_path.glob("shot*.png"))
