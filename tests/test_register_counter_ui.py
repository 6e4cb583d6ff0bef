"""The counter's other actions through the real window (Xvfb, real X key events and pointer clicks):
weighing on a simulated Toledo 8217 scale (a real pseudo-terminal), a price override with a
teacher's approval (a student's badge refused, a prompt abandoned with Échap), loyalty points earned
then redeemed, a return without ticket exchanged for the same item (a ticket that nets to 0), the
touch buttons, and Ctrl shortcuts left to the search field while it is typed in."""
from __future__ import annotations

import json
import sqlite3
import time

import pytest

from commerce import cards
from commerce.instore import price_for_weight
from comptoir.register_driver import parse_script_line, play_action
from drivers.escpos_decode import decode, decoded_text
from drivers.sim.serial_devices import SimScale

from ui_support import Register, demo_products, screen, snapshot  # noqa: F401 (fixture)

pytestmark = pytest.mark.ui
ALL = demo_products()
PRODUCTS = {p.gtin13: p for p in ALL}
CROC, FUSEE, YOP, CORNET = "3292590049201", "3292590050511", "3292590050603", "3292590082062"
NO_PROMO_HERE = tuple(p.gtin13 for p in ALL[20:24])  # the demo offers, on products these tests do not sell
TEACHER, STUDENT, TEACHER_PIN = "0400000000992", "0400000000015", "246810"
KARIM = cards.make_card(cards.LOYALTY, 2)  # Karim Benali (kiosk.accounts.seed_demo)


@pytest.fixture(scope="module")
def reg(screen, tmp_path_factory):  # noqa: F811
    scale = SimScale(weight_g=0)
    r = Register(tmp_path_factory.mktemp("counter-ui"), screen, promotions_on=NO_PROMO_HERE, scale=scale)
    yield r
    r.close()
    scale.close()


@pytest.fixture
def d(reg):
    """A driver on an empty ticket on the sale screen."""
    drv = reg.driver
    for _ in range(3):
        st = drv.state()
        if st["screen"] == "vente" and not st["prompt"]:
            break
        drv.key("Escape")
    assert not drv.state()["lines"], "the previous test left a ticket"
    return drv


def play(d, line: str) -> dict:
    refused = line.startswith("!")
    st = play_action(d, *parse_script_line(line.lstrip("! ")))
    assert (st.get("level") == "error") == refused, f"{line}: {st.get('message')}"
    return st


def journal(reg, kind: str) -> list[dict]:
    conn = sqlite3.connect(reg.root / "kiosk.db")
    try:
        return [json.loads(d) for (d,) in conn.execute("SELECT details FROM journal WHERE kind = ? ORDER BY number",
                                                       (kind,))]
    finally:
        conn.close()


def test_weighing_on_the_serial_scale(d, reg):
    st = play(d, "scale 0.750")
    assert st["scale"] is True
    st = play(d, f"weigh {CORNET}")  # Ctrl+B, then the item scanned in the prompt
    (line,) = st["lines"]
    assert line["total"] == price_for_weight(PRODUCTS[CORNET].price, 750) == 472  # 6,29 €/kg × 0,750 kg
    assert "0,750 kg" in line["label"] and "6,29 €/kg" in line["label"]
    assert reg.driver.scale.requests >= 1  # the window asked the scale over the pty
    play(d, "scale 1.204")
    st = d.typed_key(CROC, "ctrl+b")  # the code typed first, then Peser
    assert st["level"] == "info" and st["lines"][-1]["total"] == price_for_weight(PRODUCTS[CROC].price, 1204)
    d.scale.set(state="under")
    before = d.state()["lines"]
    st = play(d, f"! weigh {YOP}")
    assert "Pesée impossible" in st["message"] and "sous zéro" in st["message"] and st["lines"] == before
    d.scale.set(state="stable")
    st = play(d, "pay card")
    assert st["tickets"] == 1 and st["last_ticket"]["total"] == 472 + price_for_weight(PRODUCTS[CROC].price, 1204)


def test_price_override_needs_a_teacher(d, reg, screen):  # noqa: F811
    play(d, f"scan {CROC}")
    st = play(d, f"! price 1.00 {STUDENT}")  # a student's badge: refused, the price unchanged
    assert "professeur" in st["message"] and st["lines"][0]["total"] == PRODUCTS[CROC].price
    st = d.typed_key("1,00", "ctrl+p")  # asked, then abandoned with Échap: nothing changes
    assert st["prompt"]["kind"] == "approval"
    snapshot(screen, "accord", reg.root / "shots")
    st = d.key("Escape")
    assert st["prompt"] is None and "annulée" in st["message"] and st["lines"][0]["total"] == PRODUCTS[CROC].price
    st = play(d, f"price 1,00 {TEACHER_PIN}")  # the teacher types her code
    assert st["lines"][0]["total"] == 100 and "accord Mme Laurent" in st["message"]
    override = journal(reg, "price_override")[-1]
    assert (override["from"], override["to"], override["approved_by"]) == (PRODUCTS[CROC].price, 100, "prof")
    approvals = journal(reg, "approval")
    assert approvals[-1]["requested_by"] == "eleve1" and approvals[-1]["method"] == "pin"
    assert journal(reg, "approval_refused")
    st = play(d, "cancel " + TEACHER)
    assert st["lines"] == []


def test_loyalty_points_earned_then_redeemed(d, reg):
    play(d, f"customer {KARIM}")
    play(d, f"scan {CORNET}")
    play(d, "qty 16")  # 100,64 €: 100 points
    st = play(d, "pay card")
    assert st["tickets"] >= 1
    st = play(d, f"customer {KARIM}")
    assert st["customer"]["points"] == 100
    play(d, f"scan {CROC}")
    play(d, "! points 100")  # 5,00 € off: more than the 3,59 € on the ticket
    play(d, f"scan {CORNET}")
    st = play(d, "points 100")
    loyalty = [l for l in st["priced"] if l["kind"] == "loyalty"]
    assert sum(l["total"] for l in loyalty) == -500 and st["points_redeemed"] == 100
    assert st["total"] == PRODUCTS[CROC].price + PRODUCTS[CORNET].price - 500
    st = play(d, "pay card")
    text = decoded_text(decode(sorted((reg.root / "receipts").glob("*.bin"))[-1].read_bytes()))
    assert "Fidélité 100 points" in text
    conn = sqlite3.connect(reg.root / "kiosk.db")
    moves = [a for (a,) in conn.execute("SELECT amount FROM value_move WHERE kind = 'points' AND code = ? ORDER BY id",
                                        (KARIM,))]
    conn.close()
    earned = (PRODUCTS[CROC].price + PRODUCTS[CORNET].price - 500) // 100
    assert moves == [100, earned - 100]  # earned on the first ticket; earned minus redeemed on the second


def test_return_without_ticket_exchanged_for_the_same_item(d, reg):
    tickets = d.state()["tickets"]
    st = play(d, f"! return-no-ticket {YOP} 1 {STUDENT}")
    assert st["lines"] == []
    st = play(d, f"return-no-ticket {YOP} 1 {TEACHER}")
    assert st["total"] == -PRODUCTS[YOP].price and st["lines"][0]["kind"] == "return"
    assert journal(reg, "refund_without_ticket")[-1]["approved_by"] == "prof"
    play(d, f"scan {YOP}")  # the same item again: the ticket nets to 0 and is recorded as it is
    st = play(d, "pay cash")
    assert st["tickets"] == tickets + 1 and st["last_ticket"]["total"] == 0 and st["last_ticket"]["payments"] == []


def test_touch_buttons_discount_and_return_screen(d, reg, screen):  # noqa: F811
    def tap(x, y, what):
        before = d.state()["events"]
        d.kb.click(x, y)
        return d.wait(lambda s: s["events"] > before, 10, what)

    play(d, f"scan {CORNET}")
    tap(662, 484, "la touche 1")  # 1024×768: the sale keypad
    tap(662, 546, "la touche 0")
    st = tap(967, 360, "la touche %")
    assert st["entry"] == "10%"
    st = tap(81, 622, "Remise ligne")
    assert [l["kind"] for l in st["priced"]] == ["item", "discount"] and st["total"] == 629 - 63, st["message"]
    st = tap(383, 678, "Retour")
    assert st["screen"] == "retour" and st["return"] is None
    snapshot(screen, "retour-vide", reg.root / "shots")
    st = tap(836, 732, "Revenir au ticket")
    d.wait(lambda s: s["screen"] == "vente", 10, "la vente")
    d.kb._run("mousemove", "700", "100")
    play(d, "cancel " + TEACHER)


def test_ctrl_shortcuts_belong_to_the_search_field_while_typing(d, reg, screen):  # noqa: F811
    shots = reg.root / "shots"
    play(d, f"scan {FUSEE}")
    st = d.key("F2")
    assert st["search_open"]
    d.kb.type("cola", delay_ms=120)
    d.wait(lambda s: s["search_text"] == "cola", 5, "le texte de la recherche")
    d.kb.key("ctrl+a")  # select all in the field, not "park the ticket"
    time.sleep(0.5)
    st = d.state()
    assert st["parked"] == 0 and [l["gtin"] for l in st["lines"]] == [FUSEE]
    d.key("Escape")
    play(d, "park")  # outside the field, Ctrl+A parks
    st = d.key("ctrl+shift+a")
    assert st["screen"] == "attente" and [p["summary"] for p in st["parked_list"]] == ["1 article — 1,19 €"]
    snapshot(screen, "attente", shots)
    d.key("Escape")
    st = play(d, "resume")
    assert [l["gtin"] for l in st["lines"]] == [FUSEE] and st["parked"] == 0
    play(d, "cancel " + TEACHER)

