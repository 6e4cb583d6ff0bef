"""Keyboard wedge: layout repair (QWERTY scanner on an AZERTY host), suffix, duplicate filter."""
from __future__ import annotations

import pytest

from drivers.scanner.dedupe import Deduper
from drivers.scanner.layout import fix_layout
from drivers.scanner.wedge import Entry, WedgeDecoder

AZERTY_ROW = "&é\"'(-è_çà"


def test_azerty_burst_read_as_digits():
    assert fix_layout(AZERTY_ROW + "&é\"", "qwerty-on-azerty") == "1234567890123"
    assert fix_layout("'ààà('_è", "qwerty-on-azerty") == "40005487"  # EAN-8
    # any length once it holds é/è/ç/à (no Code128 can): the GTIN rules then judge the digits
    assert fix_layout("à(-è_è_((àé", "qwerty-on-azerty") == "05678785502"
    assert fix_layout("@#$%^&*()!!!", "azerty-on-qwerty") == "234567890111"


def test_never_remaps_what_is_not_a_numeric_code():
    q = "qwerty-on-azerty"
    assert fix_layout("R&D-42", q) == "R&D-42"  # a Code128 with & stays
    assert fix_layout("&é\"'(", q) == "12345"  # é: not a Code128, so the digit row it is
    assert fix_layout("&\"'(-", q) == "&\"'(-"  # plain ASCII punctuation of no GTIN length: left alone
    assert fix_layout("&é\"'(-è_çà&é3", q) == "&é\"'(-è_çà&é3"  # mixed: left alone
    assert fix_layout("3292590049201", q) == "3292590049201"
    assert fix_layout(AZERTY_ROW + "&é\"", "none") == AZERTY_ROW + "&é\""
    with pytest.raises(ValueError, match="disposition clavier « dvorak » inconnue"):
        fix_layout("123", "dvorak")


def burst(d, text, t0, per_key=0.001):
    for i, ch in enumerate(text):
        d.feed(ch, t0 + i * per_key)
    return t0 + (len(text) - 1) * per_key


def test_wedge_with_layout_repairs_scans_only():
    d = WedgeDecoder(layout="qwerty-on-azerty")
    last = burst(d, AZERTY_ROW + "&é\"", 1.0)
    assert d.terminate(last + 0.001) == Entry("scan", "1234567890123")
    last = burst(d, "R&D-4200", 2.0)
    assert d.terminate(last + 0.001) == Entry("scan", "R&D-4200")
    last = burst(d, "&é\"'(-è_", 3.0, per_key=0.2)  # typed by hand: never touched
    assert d.terminate(last + 0.2) == Entry("typed", "&é\"'(-è_")


def test_tab_suffix():
    d = WedgeDecoder(suffix="tab")
    assert d.ends_scan("tab") and d.ends_scan("enter") and not d.ends_scan("escape")
    assert not WedgeDecoder().ends_scan("tab")
    last = burst(d, "3292590049201", 1.0)
    assert d.terminate(last + 0.001) == Entry("scan", "3292590049201")
    with pytest.raises(ValueError, match="suffixe"):
        WedgeDecoder(suffix="space")


def test_wedge_duplicate_within_window_counts_once():
    clock = [100.0]
    d = WedgeDecoder(dedupe=Deduper(1.0, clock=lambda: clock[0]))
    code = "3292590049201"
    last = burst(d, code, 1.0)
    assert d.terminate(last + 0.001) == Entry("scan", code)
    clock[0] += 0.3
    last = burst(d, code, 2.0)
    assert d.terminate(last + 0.001) is None and d.duplicates == 1
    clock[0] += 1.0
    last = burst(d, code, 3.0)
    assert d.terminate(last + 0.001) == Entry("scan", code)  # a rescan after the window counts


def test_the_issue_example_the_whole_digit_row():
    """A QWERTY scanner on an AZERTY PC: its 1234567890 arrives as &é"'(-è_çà."""
    from drivers.scanner.wedge import WedgeDecoder

    d = WedgeDecoder(layout="qwerty-on-azerty")
    for i, ch in enumerate('&é"\'(-è_çà'):
        d.feed(ch, 1.0 + i * 0.001)
    assert d.terminate(1.02).text == "1234567890"
    assert fix_layout('&"\'(-_', "qwerty-on-azerty") == '&"\'(-_'  # could be a Code128: left alone
