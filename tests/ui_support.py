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
from kiosk import accounts
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

    def __init__(self, root: Path, screen: VirtualScreen, printer_extra: str = "", open_session: bool = True,
                 promotions_on: tuple[str, ...] = (), scale=None):
        """promotions_on: GTINs for the demo customers and promotions (kiosk.accounts.seed_demo: 3 for 2
        on the first, 2nd at −50 % on the second, a bundle on the third and fourth); scale: a
        drivers.sim.serial_devices.SimScale the register weighs on."""
        self.root = root
        store = KioskStore(root / "kiosk.db")
        store.upsert_products(demo_products(), cursor="0")
        if promotions_on:
            accounts.seed_demo(store.conn, list(promotions_on))
        store.close()
        scale_section = f'[scale]\nuri = "serial://{scale.port}?baudrate=9600"\n' if scale is not None else ""
        (root / "kiosk.toml").write_text(
            '[kiosk]\nregister = "7"\ndevice = "caisse-7"\ncashier = "Testeur"\ndatabase = "kiosk.db"\n'
            '[backoffice]\nurl = "http://127.0.0.1:9"\n' + scale_section +
            f'[printer]\nbackend = "sim"\nout_dir = "receipts"\ncolumns = 42\n{printer_extra}', encoding="utf-8")
        env = {**screen.env, "KIVY_NO_ARGS": "1", "COMPTOIR_KIOSK_TOKEN": "none"}
        self.log = open(root / "register.log", "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "kiosk.register", "--config", str(root / "kiosk.toml"),
                                      "--state", str(root / "state.json")], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.driver = RegisterDriver(root / "state.json", Keyboard(screen.env), self.proc, scale=scale)
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


def snapshot(screen: VirtualScreen, name: str, folder: str | Path | None = None) -> Path | None:
    """A screenshot of the virtual screen (ImageMagick's import) into `folder`, or into the folder
    named by COMPTOIR_SNAPSHOTS; None when neither is given."""
    import time

    folder = folder or os.environ.get("COMPTOIR_SNAPSHOTS")
    if not folder:
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    time.sleep(0.5)  # the state file is written before the next frame is drawn
    path = Path(folder) / f"{name}.png"
    subprocess.run(["import", "-window", "root", str(path)], env=screen.env, check=False, timeout=30)
    return path
