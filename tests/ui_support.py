"""Shared set-up for tests that run the real register window under Xvfb with real X key events."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from commerce.catalogue import Product, parse_rows
from comptoir.demo import CATALOGUE
from comptoir.register_driver import RegisterDriver, split_amount
from comptoir.xsession import Keyboard, VirtualScreen, XError
from kiosk.store import KioskStore


STUDENT_BADGE = "0400000000015"  # Léa Martin, commerce.operators.DEMO_OPERATORS


def demo_products() -> list[Product]:
    with CATALOGUE.open(encoding="utf-8", newline="") as f:
        return [p for p in parse_rows(csv.DictReader(f)) if isinstance(p, Product)]


@pytest.fixture(scope="session")
def screen():
    try:
        s = VirtualScreen()
    except XError as e:
        pytest.skip(str(e))
    yield s
    s.stop()


class Register:
    """A register window on the virtual screen, offline (no back office), with the demo catalogue."""

    def __init__(self, root: Path, screen: VirtualScreen, printer_extra: str = "", open_session: bool = True):
        self.root = root
        store = KioskStore(root / "kiosk.db")
        store.upsert_products(demo_products(), cursor="0")
        store.close()
        (root / "kiosk.toml").write_text(
            '[kiosk]\nregister = "7"\ndevice = "caisse-7"\ncashier = "Testeur"\ndatabase = "kiosk.db"\n'
            '[backoffice]\nurl = "http://127.0.0.1:9"\n'
            f'[printer]\nbackend = "sim"\nout_dir = "receipts"\ncolumns = 42\n{printer_extra}', encoding="utf-8")
        env = {**screen.env, "KIVY_NO_ARGS": "1", "COMPTOIR_KIOSK_TOKEN": "none"}
        self.log = open(root / "register.log", "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "kiosk.register", "--config", str(root / "kiosk.toml"),
                                      "--state", str(root / "state.json")], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.driver = RegisterDriver(root / "state.json", Keyboard(screen.env), self.proc)
        self.driver.wait_ready(90)
        self.driver.kb._run("mousemove", "700", "100")  # the pointer off the buttons: keys only
        st = self.driver.login(STUDENT_BADGE)
        assert st["operator"] == "eleve1", st.get("message")
        if open_session:  # a new register: count a float of 150,00 € (7 × 20 € + 1 × 10 €) and open
            st = self.driver.open_session(split_amount(15000))
            assert st["screen"] == "vente" and st["session"] == 1, st.get("message")

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
