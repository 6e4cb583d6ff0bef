"""The decoder on bytes we did not write: escpos-php output with a raster logo."""

from shared_data import SHARED_DATA

from drivers.escpos_decode import decode, decode_code128

DATA = SHARED_DATA / "escpos"


def test_escpos_php_receipt_matches_esc2text():
    raw = (DATA / "receipt-with-logo.bin").read_bytes()
    items = decode(raw)
    ours = [i.text.rstrip() for i in items if i.kind == "text" and i.text.strip()]
    ref = [l.rstrip() for l in (DATA / "receipt-with-logo.esc2text.txt").read_text().splitlines()
           if l.strip()]
    assert ours == ref
    [logo] = [i for i in items if i.kind == "image"]
    assert logo.size == (300, 236) and logo.align == "center"
    assert [i.kind for i in items[-2:]] == ["cut", "drawer"]
    assert (items[-1].pin, items[-1].on_ms, items[-1].off_ms) == (2, 120, 240)
    title = next(i for i in items if i.text == "ExampleMart Ltd.")
    assert (title.width, title.height, title.align) == (2, 1, "center")
    assert next(i for i in items if i.text == "SALES INVOICE").bold


def test_truncated_input_never_crashes():
    raw = (DATA / "receipt-with-logo.bin").read_bytes()
    for end in range(0, len(raw), 97):
        decode(raw[:end])


def test_code128_code_sets():
    assert decode_code128(b"{C\x00\x0a\x63") == "001099"
    assert decode_code128(b"{BAB{{1{C\x17") == "AB{123"
