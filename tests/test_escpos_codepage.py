"""Code pages: the profile's page pinned after every ESC @, readable stand-ins, never a wrong glyph."""
import pytest
from commerce.receipt import Text
from drivers.escpos_decode import decode, decoded_text
from drivers.printer.blocks import Init
from drivers.printer.escpos_encode import encode_job

PC858 = bytes.fromhex("1b 40 1b 74 13")  # ESC @, ESC t 19
PC437 = bytes.fromhex("1b 40 1b 74 00")  # ESC @, ESC t 0


def test_euro_and_accents_under_pc858():
    out = encode_job([Text("€ é è à ç")], profile="generic-80")
    assert out == PC858 + bytes.fromhex("d5 20 82 20 8a 20 85 20 87") + b"\n"
    assert decoded_text(decode(out)) == "€ é è à ç"


def test_euro_and_accents_under_a_page_without_euro():
    out = encode_job([Text("€ é è à ç")], profile="basic-437")
    assert out == PC437 + b"EUR " + bytes.fromhex("82 20 8a 20 85 20 87") + b"\n"
    assert decoded_text(decode(out)) == "EUR é è à ç"


@pytest.mark.parametrize("text, pc858, pc437", [
    ("12,50 €", b"12,50 \xd5", b"12,50 EUR"),
    ("Crème ─ Œuf", b"Cr\x8ame - OEuf", b"Cr\x8ame - OEuf"),
    ("ÀÈÔ", b"\xb7\xd4\xe2", b"AEO"),  # PC437 has no capital accents but É: plain letters, not ╖╘Γ
    ("«bio»", b"\xaebio\xaf", b"\xaebio\xaf"),
    ("ő ☃", b"o ?", b"o ?"),
])
def test_missing_characters_print_readable_stand_ins(text, pc858, pc437):
    assert encode_job([Text(text)], profile="generic-80") == PC858 + pc858 + b"\n"
    assert encode_job([Text(text)], profile="basic-437") == PC437 + pc437 + b"\n"


def test_code_page_selected_again_after_every_esc_at():
    out = encode_job([Text("Café"), Init(), Text("Thé 3 €")], profile="generic-58")
    assert out == PC858 + b"Caf\x82\n" + PC858 + b"Th\x82 3 \xd5\n"
    # and each reset comes before any non-ASCII byte
    for k, b in enumerate(out):
        if b >= 0x80:
            before = out[:k]
            assert before.rfind(b"\x1bt\x13") > before.rfind(b"\x1b@") >= 0


def test_a_job_of_ascii_only_still_pins_the_page():
    # a later job may print accents after a printer reset (power cycle): every job starts pinned
    assert encode_job([Text("OK")], profile="basic-437") == PC437 + b"OK\n"
