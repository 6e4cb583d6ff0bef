"""Who is at the register, through the real window: badge, name + PIN, wrong PIN, sign-out."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from ui_support import Register, screen  # noqa: F401 (fixture)

pytestmark = pytest.mark.ui
CROC = "3292590049201"


def test_sign_in_out_and_every_attempt_journalled(screen, tmp_path):  # noqa: F811
    reg = Register(tmp_path, screen)  # signs in Léa with her badge
    d = reg.driver
    try:
        st = d.scan(CROC)
        assert st["lines"] and st["operator"] == "eleve1"
        st = d.key("F12")  # a ticket is open: no sign-out
        assert st["level"] == "error" and st["operator"] == "eleve1"
        d.pay_card()
        st = d.key("F12")
        assert st["screen"] == "connexion" and st["operator"] is None
        time.sleep(0.4)  # past the double-read window of the first scan of CROC
        st = d.scan(CROC)  # a product is not a badge
        assert st["level"] == "error" and st["screen"] == "connexion", st["message"]
        st = d.key("F5")  # no selling before signing in
        assert st["level"] == "error" and "Connectez-vous" in st["message"]
        # Hugo by name (arrow keys) and PIN: first a wrong one, then the right one, typed like a person
        st = d.key("Down")  # the first name: the teacher
        while st["login_choice"] != "eleve2":
            st = d.key("Down")
        time.sleep(0.4)
        st = d.scan(CROC)  # a product scanned on the code screen: refused, and not left in the code field
        assert st["level"] == "error" and st["entry"] == "", st
        st = d.key("Return")  # Entrée alone is no wrong code
        assert st["message"] == "Hugo Bernard : tapez votre code, puis Entrée" and st["entry"] == "", st
        d.kb.type("9999", delay_ms=120)
        st = d.key("Return")
        assert st["level"] == "error" and st["operator"] is None and "Hugo Bernard" in st["message"]
        d.kb.type("2222", delay_ms=120)
        st = d.key("Return")
        assert st["operator"] == "eleve2" and st["screen"] == "vente", st["message"]
        assert st["entry"] == "", "the code must not stay on screen after sign-in"
    finally:
        reg.close()
    r = subprocess.run([sys.executable, "-m", "comptoir.cli", "fiscal", "verify", "--database", str(tmp_path / "kiosk.db")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    from kiosk.store import KioskStore
    store = KioskStore(tmp_path / "kiosk.db")
    kinds = [e.kind for e in store.events("7")]
    store.close()
    assert kinds.count("sign_in") == 2 and kinds.count("sign_out") == 1 and kinds.count("sign_in_failed") == 1
