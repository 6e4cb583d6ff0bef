"""The baseline window: one Label, a file written on the first frame (as the register does).

    python bench/bare_kivy_app.py READY_FILE
"""
import json
import os
import sys

from kivy.config import Config

Config.set("graphics", "width", "1024")  # same window as the register
Config.set("graphics", "height", "768")

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.uix.label import Label  # noqa: E402


class BareApp(App):
    def __init__(self, ready_path, **kw):
        super().__init__(**kw)
        self.ready_path = ready_path

    def build(self):
        return Label(text="Comptoir — banc d'essai")

    def on_start(self):
        Clock.schedule_once(lambda dt: self._ready(), 0)

    def _ready(self):
        tmp = self.ready_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"ready": True, "pid": os.getpid()}, f)
        os.replace(tmp, self.ready_path)


if __name__ == "__main__":
    BareApp(sys.argv[1]).run()
