"""Exact ESC/POS bytes of our encoder, read back with the independent decoder."""
import pytest
from commerce.receipt import Barcode, Cut, Text, build_receipt, receipt_text
from conftest_drivers import LONG_NAME, sample_ticket
from drivers.escpos_decode import decode, decoded_text
from drivers.printer.escpos_encode import drawer_pulse, encode_job

INIT = bytes.fromhex("1b 40 1b 74 13")  # ESC @, ESC t 19 (PC858)


def test_cafe_euro_in_pc858():
    assert encode_job([Text("Café 12,50 €")], 42) == INIT + bytes.fromhex(
        "43 61 66 82 20 31 32 2C 35 30 20 D5") + b"\n"


def test_decomposed_accent_is_composed_first():
    assert encode_job([Text("Cafe\u0301")], 42) == INIT + b"Caf\x82\n"


@pytest.mark.parametrize("text, expected", [
    ("Prix — 3 €", b"Prix - 3 \xd5"),
    ("n–1 ─", b"n-1 -"),
    ("l’œuf…", b"l'oeuf..."),
    ("Bœuf ☃", b"Boeuf ?"),
    ("nom\x1b@piège", b"nom?@pi\x8age"),  # a name cannot inject ESC @
])
def test_fallbacks_never_print_a_wrong_glyph(text, expected):
    assert encode_job([Text(text)], 42) == INIT + expected + b"\n"


def test_fallback_that_lengthens_a_line_eats_padding_not_the_price():
    line = "Bœuf bourguignon…".ljust(42 - 5) + "12,50"
    assert len(line) == 42
    out = encode_job([Text(line)], 42)
    body = out[len(INIT):-1]
    assert len(body) == 42 and body.startswith(b"Boeuf bourguignon...") and body.endswith(b"12,50")


def test_styles_bytes():
    out = encode_job([Text("TOTAL", "center", bold=True, double=True), Text("x")], 42)
    assert out == INIT + bytes.fromhex("1b 61 01 1b 45 01 1d 21 11") + b"TOTAL\n" \
        + bytes.fromhex("1b 61 00 1b 45 00 1d 21 00") + b"x\n"
    right = encode_job([Text("9,99", "right")], 32)
    assert right == INIT + bytes.fromhex("1b 61 02") + b"9,99\n"


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_no_line_wider_than_the_paper(columns):
    blocks = build_receipt(sample_ticket(long_name=True), columns)
    items = decode(encode_job(blocks, columns))
    texts = [i for i in items if i.kind == "text"]
    assert texts
    for item in texts:
        assert len(item.text) * item.width <= columns, item.text
    doubles = [i.text for i in texts if i.double]
    assert "MODE FORMATION" in doubles and any(t.startswith("TOTAL") for t in doubles)
    assert all(len(t) <= columns // 2 for t in doubles)
    # the long name is wrapped, not cut: every word is printed
    printed = " ".join(i.text for i in texts)
    assert all(word in printed for word in LONG_NAME.split())


def test_round_trip_equals_receipt_text():
    blocks = build_receipt(sample_ticket(), 42)
    items = decode(encode_job(blocks, 42))
    cut_at = next(k for k, i in enumerate(items) if i.kind == "cut")
    assert decoded_text(items[:cut_at]).rstrip("\n") == receipt_text(blocks).replace("—", "-")
    assert items[-1].kind == "cut" and items[-1].partial


def test_code128_set_c_bytes():
    out = encode_job([Barcode("CODE128", "001000000042")], 42)
    assert out == INIT + bytes.fromhex("1b 61 01 1d 68 50 1d 77 02 1d 48 02 1d 6b 49 08 7b 43"
                                       "00 0a 00 00 00 2a")
    [item] = decode(out)
    assert (item.kind, item.text, item.align) == ("barcode", "[CODE128 001000000042]", "center")


def test_code128_set_b_escapes_brace():
    out = encode_job([Barcode("CODE128", "AB{12")], 42)
    assert out.endswith(bytes.fromhex("1d 6b 49 08") + b"{BAB{{12")
    assert decode(out)[0].data == "AB{12"


def test_ean13_bytes_and_bad_check_digit():
    out = encode_job([Barcode("EAN13", "3017620422003")], 42)
    assert out.endswith(bytes.fromhex("1d 6b 43 0d") + b"3017620422003")
    with pytest.raises(ValueError, match="clé de contrôle"):
        encode_job([Barcode("EAN13", "3017620422004")], 42)


def test_cut_feeds_then_partial_cut():
    assert encode_job([Cut()], 42) == INIT + bytes.fromhex("1b 64 03 1d 56 42 00")


def test_drawer_pulse_exact_bytes():
    assert drawer_pulse(2, 100, 500) == bytes.fromhex("1b 70 00 32 fa")
    assert drawer_pulse(5, 60, 240) == bytes.fromhex("1b 70 01 1e 78")
    [event] = decode(drawer_pulse(5, 60, 240))
    assert (event.kind, event.pin, event.on_ms, event.off_ms) == ("drawer", 5, 60, 240)
    with pytest.raises(ValueError):
        drawer_pulse(3)
