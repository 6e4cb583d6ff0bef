"""`comptoir demo --headless` end to end: real window, real X keys, simulated printer, real back office."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from drivers.escpos_decode import decode, decoded_text

from ui_support import demo_products

pytestmark = pytest.mark.ui
NAMES = {p.name for p in demo_products()}
AMOUNT = re.compile(r"(-?\d+,\d\d)( €)?$")


def cents(text: str) -> int:
    units, dec = text.replace("-", "").split(",")
    return (-1 if text.startswith("-") else 1) * (int(units) * 100 + int(dec))


def run_demo(out, *args, timeout=300):
    return subprocess.run([sys.executable, "-m", "comptoir.cli", "demo", "--headless", "--out", str(out),
                           "--port", "18700", *args], capture_output=True, text=True, timeout=timeout)


def receipt_lines(text: str) -> tuple[list[str], list[int], int]:
    """(item labels, printed line totals, printed TOTAL) read back from a receipt's text."""
    lines = [l.strip() for l in text.splitlines()]
    rules = [i for i, l in enumerate(lines) if l and set(l) == {"-"}]
    items = lines[rules[1] + 1: rules[2]]
    amounts = [cents(m.group(1)) for l in items if (m := AMOUNT.search(l))]
    total_line = next(l for l in lines if l.startswith("TOTAL"))
    return items, amounts, cents(AMOUNT.search(total_line).group(1))


def test_five_sales_printed_and_synced(tmp_path):
    r = run_demo(tmp_path, "--sales", "5")
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads(r.stdout)
    assert summary["tickets"] == 5 and summary["match"] is True
    assert summary["backoffice"]["tickets"] == 5
    assert summary["backoffice"]["grand_total"] == summary["grand_total"] > 0
    assert sum(v["ttc"] for v in summary["vat"]) == summary["grand_total"]
    assert summary["waiting_to_sync"] == 0
    bins = sorted((tmp_path / "receipts").glob("*.bin"))
    assert [b.name for b in bins] == [f"{i:04d}.bin" for i in range(1, 7)]  # 5 tickets, then the Z report
    z = summary["z"]  # the demo opened with a 150,00 € float and closed with a Z, counted as expected
    assert (z["tickets"], z["grand_total"], z["difference"]) == (5, summary["grand_total"], 0)
    assert z["vat"] == summary["vat"] and z["expected"]["cash"] > 15000
    z_text = decoded_text(decode(bins.pop().read_bytes()))
    assert "CLÔTURE Z" in z_text and "MODE FORMATION" in z_text
    total_z = summary["grand_total"]
    assert re.search(rf"^TOTAL +{total_z // 100},{total_z % 100:02d}$", z_text, re.M), z_text
    assert all(b.with_suffix(".png").stat().st_size > 1000 for b in bins)
    grand = 0
    methods = []
    for b in bins:
        data = b.read_bytes()
        assert data.startswith(b"\x1b@\x1bt\x13")  # initialise, then PC858 before any text
        text = decoded_text(decode(data))
        items, amounts, total = receipt_lines(text)
        assert amounts and sum(amounts) == total
        assert any(name in " ".join(items) for name in NAMES if len(name) > 3)
        assert "MODE FORMATION" in text and f"{total // 100},{total % 100:02d} €" in text
        assert b"\xd5" in data  # the euro sign in PC858
        methods.append("Espèces" in text)
        grand += total
    assert grand == summary["grand_total"]
    assert methods == [True, False, True, False, True]  # cash and card alternate


def test_script_plays_and_a_bad_line_stops_with_its_number(tmp_path):
    script = tmp_path / "exercice.txt"
    script.write_text("# un exercice\nscan 3292590049201\n! scan 1234567891012\nscan 3292590050511\nqty 3\nremove\n"
                      "scan 3292590050603\npay cash 20.00\nscan 3292590049201\npay card\n", encoding="utf-8")
    r = run_demo(tmp_path / "ok", "--script", str(script))
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads(r.stdout)
    prices = {p.gtin13: p.price for p in demo_products()}
    assert summary["tickets"] == 2
    assert summary["grand_total"] == prices["3292590049201"] * 2 + prices["3292590050603"]
    assert summary["match"] is True

    bad = tmp_path / "faux.txt"
    bad.write_text("scan 3292590049201\nscan 1234567891012\npay card\n", encoding="utf-8")
    r = run_demo(tmp_path / "bad", "--script", str(bad))
    assert r.returncode != 0
    assert "ligne 2" in r.stderr and "devrait être 9" in r.stderr
    bad.write_text("scan 3292590049201\n! scan 1234567891012\n! scan 3292590050511\npay card\n", encoding="utf-8")
    r = run_demo(tmp_path / "bad1", "--script", str(bad))
    assert r.returncode != 0 and "ligne 3" in r.stderr and "refus attendu" in r.stderr
    bad.write_text("scan 3292590049201\nvoler 3\n", encoding="utf-8")
    r = run_demo(tmp_path / "bad2", "--script", str(bad))
    assert r.returncode != 0 and "ligne 2" in r.stderr and "inconnue" in r.stderr


def test_script_runs_a_cash_session(tmp_path):
    from kiosk.store import KioskStore

    croc = {p.gtin13: p.price for p in demo_products()}["3292590049201"]
    drawer = 15000 + croc + 2000 - 10000
    script = tmp_path / "journee.txt"
    script.write_text("login 0400000000022\nopen-session 150.00\nscan 3292590049201\npay cash 5.00\n"
                      "cash-in 20.00 change\ncash-out 100.00 bank\n! cash-out 500.00 bank\nreport-x\n"
                      f"close-session {drawer // 100}.{drawer % 100:02d} card=0 day=keep\n"
                      # the afternoon class: a new float the same day, a card sale, and the day's Z
                      "open-session 5x10\nscan 3292590049201\npay card\n"
                      f"close-session 5x10 card={croc // 100}.{croc % 100:02d}\n", encoding="utf-8")
    r = run_demo(tmp_path / "out", "--script", str(script))
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads(r.stdout)["tickets"] == 2
    assert "ligne 2 « open-session 150.00 » : Caisse ouverte" in r.stderr
    store = KioskStore(tmp_path / "out" / "kiosk-1.db")
    try:
        assert [(c.kind, c.session) for c in store.closings("1")] == [("Z", 1), ("Z", 2), ("day", None)]
        z2 = store.closings("1", "Z")[1]
        assert (z2.difference, z2.figures["total"], z2.figures["opening_count"]["total"]) == (0, croc, 5000)
        z = store.closings("1", "Z")[0]
        assert z.operator == "Hugo Bernard" and z.difference == 0
        assert z.figures["opening_count"]["text"] == "7x20,00 1x10,00"  # 150.00 typed as counts
        assert [(m["direction"], m["reason"], m["amount"]) for m in z.figures["movements"]] == [
            ("in", "change", 2000), ("out", "bank", 10000)]
        assert z.figures["cash"]["expected"] == drawer
    finally:
        store.close()
    texts = [decoded_text(decode(b.read_bytes())) for b in sorted((tmp_path / "out" / "receipts").glob("*.bin"))]
    assert ["RAPPORT X" in t for t in texts] == [False, True, False, False, False]
    assert "CLÔTURE Z" in texts[2] and "CLÔTURE Z" in texts[4]


def test_script_refusals_then_the_right_action_goes_on(tmp_path):
    """A sale before the register is opened is refused; after a refused over-payment the right one
    is taken (the register clears the refused amount)."""
    script = tmp_path / "erreurs.txt"
    script.write_text("login 0400000000015\n! scan 3292590049201\nopen-session 150.00\nscan 3292590049201\n"
                      "! scan 1234567891012\nselect 1\n! select 9\n! pay cash 1000.00\npay cash 5.00\n", encoding="utf-8")
    r = run_demo(tmp_path / "out", "--script", str(script))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "ligne 2 « ! scan 3292590049201 » : Pas de vente pendant le comptage" in r.stderr
    assert ("ligne 5 « ! scan 1234567891012 » : Code-barres 1234567891012 refusé : la clé de contrôle "
            "devrait être 9") in r.stderr
    assert "ligne 6 « select 1 » : Ligne 1 choisie : " in r.stderr  # not the refusal just before, again
    assert "ligne 7 « ! select 9 » : ligne 9 inexistante : le ticket a 1 ligne(s)" in r.stderr  # refused, as asked
    assert "ligne 9 « pay cash 5.00 » : Ticket n° 1 enregistré : 3,59 € — rendu 1,41 €" in r.stderr
    summary = json.loads(r.stdout)
    assert summary["tickets"] == 1 and summary["grand_total"] == 359 and summary["match"] is True


def test_script_selecting_a_line_the_ticket_does_not_have_stops_it(tmp_path):
    script = tmp_path / "ligne.txt"
    script.write_text("scan 3292590049201\nselect 9\npay card\n", encoding="utf-8")
    r = run_demo(tmp_path / "out", "--script", str(script))
    assert r.returncode != 0 and r.stdout == ""
    assert "ligne.txt, ligne 2 « select 9 » : ligne 9 inexistante : le ticket a 1 ligne(s)" in r.stderr
    # the simulated scale's pseudo-terminal is gone with the demo: the TOML left behind no longer names it
    toml = (tmp_path / "out" / "kiosk-1.toml").read_text(encoding="utf-8")
    assert "[scale]" not in toml and "[printer]" in toml
