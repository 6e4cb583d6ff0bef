"""Customer display: the screens of a sale, the exact ESC/POS bytes, and a pole display on a pty."""
from __future__ import annotations

import pytest

from drivers.display import ScreenDisplay, open_display
from drivers.display.pole import INIT, encode_lines
from drivers.display.text import Screens, to_ascii
from drivers.sim.serial_devices import PoleScreen, SimPoleDisplay
from drivers.uri import DeviceError


def test_accents_and_euro_become_ascii():
    assert to_ascii("Crème brûlée à 5 € « maison »") == 'Creme brulee a 5 EUR " maison "'
    assert to_ascii("Œuf, cœur, façon, déjà, où, île, naïve") == "OEuf, coeur, facon, deja, ou, ile, naive"
    assert to_ascii("thé 中") == "the ?"


def test_screens_are_two_lines_of_exactly_20():
    s = Screens()
    assert s.item("Café moulu 250 g", 1250) == ("Cafe moulu 250 g    ", "           12,50 EUR")
    assert s.item("Cahier 96 pages", 320, 3) == ("Cahier 96 pages     ", "3 x 3,20    9,60 EUR")
    assert s.item("Coffret dégustation thés et infusions", 2490)[0] == "Coffret degustation "
    assert s.total(2210) == ("Total      22,10 EUR", " " * 20)
    assert s.change(2210, 7790) == ("Total      22,10 EUR", "Rendu      77,90 EUR")
    assert s.thanks("Comptoir") == ("Merci et a bientot !", "      Comptoir      ")
    assert s.line("Un nom bien trop long", "123456,78 EUR") == "Un nom 123456,78 EUR"  # amount never cut
    assert s.item("Avoir", -320)[1] == " " * 11 + "-3,20 EUR"
    for screen in (s.item("é" * 40, 99999999), s.thanks("x" * 50)):
        assert all(len(line) == 20 and line.isascii() for line in screen)


def test_exact_bytes_of_a_screen():
    assert INIT == b"\x1b\x40\x1f\x01\x1f\x43\x00"
    assert encode_lines("Total      22,10 EUR", "Rendu      77,90 EUR") == (
        b"\x1f\x24\x01\x01" b"Total      22,10 EUR" b"\x1f\x24\x01\x02" b"Rendu      77,90 EUR")
    with pytest.raises(ValueError):
        encode_lines("short", "x" * 20)
    with pytest.raises(UnicodeEncodeError):
        encode_lines("é" * 20, "x" * 20)


def test_pole_interpreter_follows_the_command_set():
    screen = PoleScreen()
    screen.feed(b"\x1b@HELLO\x0c\x1f\x24\x05\x02abc\x1bl\x01\x01X\x0bY")
    assert screen.lines == ("Y" + " " * 19, " " * 4 + "abc" + " " * 13)
    screen.feed(b"\x18")  # CAN clears the cursor's line (line 1)
    assert screen.lines == (" " * 20, " " * 4 + "abc" + " " * 13)
    assert screen.errors == []


def test_a_sale_on_a_pole_display_over_a_pty():
    sim = SimPoleDisplay()
    display = open_display(f"serial://{sim.port}?baudrate=9600")
    try:
        display.show_item("Café moulu 250 g", 1250)
        assert sim.wait_for_lines("Cafe moulu 250 g    ", "           12,50 EUR")
        display.show_item("Cahier 96 pages", 320, 3)
        assert sim.wait_for_lines("Cahier 96 pages     ", "3 x 3,20    9,60 EUR")
        display.show_total(2210)
        assert sim.wait_for_lines("Total      22,10 EUR", " " * 20)
        display.show_change(2210, 7790)
        assert sim.wait_for_lines("Total      22,10 EUR", "Rendu      77,90 EUR")
        display.thank_you("Comptoir")
        assert sim.wait_for_lines("Merci et a bientot !", "      Comptoir      ")
        assert sim.screen.errors == []
        assert all(b < 0x80 for b in sim.received)  # never a byte that depends on a code page
        assert bytes(sim.received).startswith(INIT + b"\x1f\x24\x01\x01Cafe moulu 250 g    ")
        assert sim.screen.cursor_visible is False and sim.screen.mode == "overwrite"
    finally:
        display.close()
        sim.close()


def test_screen_display_keeps_accents_and_euro():
    d = ScreenDisplay()
    seen = []
    d.listen(lambda a, b: seen.append((a, b)))
    d.show_item("Café moulu 250 g", 1250)
    assert seen[-1] == ("Café moulu 250 g    ", " " * 13 + "12,50 €")
    d.thank_you()
    assert seen[-1][0] == "Merci et à bientôt !"


def test_bad_display_address():
    with pytest.raises(DeviceError, match="impossible d'ouvrir le port"):
        open_display("serial:///dev/ttyNOPE1")
    with pytest.raises(DeviceError, match="tcp://"):
        open_display("tcp://10.0.0.5:9100")
