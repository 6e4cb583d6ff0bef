"""A day at the register through the real window (Xvfb, real X key events): the float counted by
denomination, cash and card sales, 100 € to the bank, an X report, a Z closing 0,30 € short; then
`comptoir report z --json` and `comptoir fiscal verify` on that database, as subprocesses."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from commerce.cash import parse_count
from drivers.escpos_decode import decode, decoded_text
from kiosk.store import KioskStore

from ui_support import Register, demo_products, screen  # noqa: F401 (fixture)

pytestmark = pytest.mark.ui
ROOT = Path(__file__).resolve().parents[1]
PRODUCTS = {p.gtin13: p for p in demo_products()}
CROC, FUSEE, YOP = "3292590049201", "3292590050511", "3292590050603"
FLOAT = parse_count("5x20 4x10 1x5 2x2 1x1")  # 150,00 €


def snap(screen, name):  # noqa: F811
    """A screenshot of the virtual screen when COMPTOIR_SNAPSHOTS names a folder (to look at the screens)."""
    folder = os.environ.get("COMPTOIR_SNAPSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        time.sleep(0.5)  # the state file is written before the next frame is drawn
        subprocess.run(["import", "-window", "root", str(Path(folder) / f"{name}.png")], env=screen.env,
                       check=False, timeout=30)


def last_receipt(root: Path) -> str:
    return decoded_text(decode(sorted((root / "receipts").glob("*.bin"))[-1].read_bytes()))


def amount_on(text: str, label: str) -> str:
    return next(line.split()[-1] for line in text.splitlines() if line.startswith(label))


def comptoir(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "comptoir.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_a_day_open_sell_cash_out_x_and_z_short(screen, tmp_path):  # noqa: F811
    reg = Register(tmp_path, screen, open_session=False)
    d = reg.driver
    try:
        st = d.state()
        assert st["screen"] == "ouverture" and st["session"] is None, st["message"]
        st = d.key("F7")  # no selling before the opening
        assert st["level"] == "error" and "fond de caisse" in st["message"] and st["screen"] == "ouverture"
        st = d.count(parse_count("3x0,50"))  # a row typed then corrected with ↑ and a new number
        assert st["count"]["total"] == 150
        st = d._act(lambda: (d.kb.key("Up"), d.kb.type("2,5"), d.kb.key("Return")), commands=2)
        assert st["level"] == "error" and "2,5" in st["message"] and st["count"]["total"] == 150
        st = d._act(lambda: (d.kb.type("0"), d.kb.key("Return")))
        assert st["count"]["total"] == 0
        st = d.count(FLOAT)
        assert st["count"]["total"] == 15000 and st["count"]["counts"] == {"100": 1, "200": 2, "500": 1,
                                                                            "1000": 4, "2000": 5}
        snap(screen, "1-ouverture")
        st = d.key("F5")
        assert st["screen"] == "vente" and st["session"] == 1, st["message"]
        assert "150,00 €" in st["message"]

        # sales: cash with change, then card
        time.sleep(0.4)
        d.scan(CROC)
        st = d.pay_cash("10.00")
        assert st["tickets"] == 1 and "rendu" in st["message"], st["message"]
        time.sleep(0.4)
        d.scan(FUSEE)
        d.scan(YOP)
        st = d.pay_card()
        assert st["tickets"] == 2, st["message"]
        cash_sales = PRODUCTS[CROC].price
        card_sales = PRODUCTS[FUSEE].price + PRODUCTS[YOP].price

        # 100 € to the bank (F4, the reason with the arrows, the amount, Entrée)
        st = d.key("F4")
        assert st["screen"] == "caisse" and st["movement"]["choices"][0] == "in:change"
        snap(screen, "2-caisse")
        st = d.cash_movement("out", "100.00", "bank")
        assert st["level"] == "info" and st["screen"] == "vente", st["message"]
        assert "Remise en banque" in st["message"] and "100,00 €" in st["message"]
        expected_cash = 15000 + cash_sales - 10000

        # X report on the receipt printer: the figures, and nothing reset
        st = d.key("F11")
        assert st["level"] == "info" and "Rapport X" in st["message"], st["message"]
        x = last_receipt(reg.root)
        assert "RAPPORT X" in x and "MODE FORMATION" in x
        assert amount_on(x, "= Attendu en caisse") == f"{expected_cash // 100},{expected_cash % 100:02d}"
        assert amount_on(x, "- Sorties") == "100,00" and amount_on(x, "Fond de caisse") == "150,00"
        assert d.state()["session"] == 1

        # Z: the drawer counted 0,30 € short, the card terminal's total typed on its row
        st = d.key("shift+F11")
        assert st["screen"] == "cloture" and st["count"]["keys"][-1] == "card"
        short = expected_cash - 30
        drawer = parse_count(f"{short // 2000}x20 {short % 2000 // 100}x1 {short % 100 // 10}x0,10 "
                             f"{short % 10}x0,01")
        assert drawer.total == short
        card = f"{card_sales // 100}.{card_sales % 100:02d}"
        st = d.count(drawer, card)
        assert st["count"]["total"] == short and st["count"]["card"] == card_sales, st["message"]
        snap(screen, "3-cloture")
        st = d.key("F5")
        assert st["screen"] == "ecarts", st["message"]
        checks = {c["method"]: c for c in st["closing"]["checks"]}
        assert checks["cash"]["difference"] == -30 and checks["cash"]["expected"] == expected_cash
        assert checks["card"]["difference"] == 0 and checks["card"]["counted"] == card_sales
        assert "espèces −0,30 €" in st["message"] and "Rapport Z imprimé" in st["message"]
        snap(screen, "4-ecarts")
        z = last_receipt(reg.root)
        assert "CLÔTURE Z" in z and "MODE FORMATION" in z and amount_on(z, "Écart total") == "-0,30"
        st = d.key("Return")  # the day is closed with the Z: signed out
        assert st["screen"] == "connexion" and st["operator"] is None and st["session"] is None, st["message"]
        st = d.login("0400000000022")  # Hugo: the day is over, the opening is refused with the reason
        assert st["screen"] == "ouverture"
        st = d.key("F5")
        assert st["level"] == "error" and "déjà clôturée" in st["message"], st["message"]
    finally:
        reg.close()

    db = str(tmp_path / "kiosk.db")
    p = comptoir("report", "z", "--register", "7", "--database", db, "--json")
    assert p.returncode == 0, p.stderr
    zj = json.loads(p.stdout)
    assert zj["total"] == cash_sales + card_sales and zj["tickets"] == 2
    assert zj["difference"] == -30 and zj["expected"] == {"cash": expected_cash, "card": card_sales}
    assert [m["direction"] + ":" + m["reason"] for m in zj["movements"]] == ["out:bank"]
    p = comptoir("fiscal", "verify", "--database", db)
    assert p.returncode == 0, p.stdout + p.stderr


def test_opening_and_cash_out_by_touch(screen, tmp_path):  # noqa: F811
    reg = Register(tmp_path, screen, open_session=False)
    d = reg.driver

    def tap(x, y, what):
        before = d.state()["events"]
        d.kb.click(x, y)
        return d.wait(lambda s: s["events"] > before, 10, what)

    try:
        tap(160, 552, "la ligne 2 €")  # 1024×768 layout: the coins' column, last row
        st = d.state()
        assert st["count"]["keys"][st["count"]["row"]] == "200"
        tap(954, 484, "la touche 3")
        st = tap(826, 607, "Valider la ligne")
        assert st["count"]["counts"] == {"200": 3} and st["count"]["total"] == 600, st["message"]
        st = tap(826, 669, "Ouvrir la caisse")
        st = d.wait(lambda s: s["screen"] == "vente", 10, "la vente")
        assert st["session"] == 1 and "6,00 €" in st["message"]
        st = tap(800, 24, "Caisse (F4)")
        st = d.wait(lambda s: s["screen"] == "caisse", 10, "l'écran Caisse")
        tap(296, 232, "Sortie : Remise en banque")
        assert d.state()["movement"]["choice"] == 1
        tap(806, 484, "la touche 5")
        tap(806, 669, "Enregistrer")
        st = d.wait(lambda s: s["screen"] == "vente", 10, "la sortie")
        assert "Remise en banque, 5,00 €" in st["message"], st["message"]
    finally:
        reg.close()
    store = KioskStore(tmp_path / "kiosk.db")
    try:
        x = store.x_report("7", "test")
        assert (x.figures.cash.opening_float, x.figures.cash.cash_out, x.figures.cash.expected) == (600, 500, 100)
    finally:
        store.close()
