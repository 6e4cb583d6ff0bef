"""Layout guarantees of the encoder: no line wider than the profile, prices at the last column,
double width wrapped by us at half the columns and ended by an explicit LF."""

from commerce.receipt import Text, build_receipt, left_right
from conftest_drivers import LONG_NAME, sample_ticket
from drivers.escpos_decode import decode
from drivers.printer.escpos_encode import encode_job

DOUBLE_ON, DOUBLE_OFF = b"\x1d!\x11", b"\x1d!\x00"


def test_32_columns_long_item_name_and_double_width_title():
    title = Text("Boutique pédagogique du lycée Jean Moulin", "center", bold=True, double=True)
    blocks = [title] + build_receipt(sample_ticket(long_name=True), 32)
    out = encode_job(blocks, profile="generic-58")
    items = [i for i in decode(out) if i.kind == "text"]
    assert all(len(i.text) * i.width <= 32 for i in items)
    # the title, wrapped by us at 16 columns on word boundaries, each line its own LF
    start = out.index(DOUBLE_ON) + len(DOUBLE_ON)
    title_bytes = out[start:start + 42]
    assert title_bytes == b"Boutique\np\x82dagogique du\nlyc\x82e Jean\nMoulin\n"
    assert [i.text for i in items if i.double][:4] == ["Boutique", "pédagogique du", "lycée Jean", "Moulin"]
    # the long name wraps over whole lines and its price ends exactly at column 32
    long_lines = [i.text for i in items if i.text.startswith(("Coffret", "infusions", "entier", "limitée",
                                                               "fêtes", "d'année"))]
    assert long_lines[0] == "Coffret dégustation thés et"
    price_line = next(i.text for i in items if i.text.endswith("24,90"))
    assert price_line == "fêtes de fin d'année       24,90"
    total = next(i for i in items if i.double and i.text.startswith("TOTAL"))
    assert len(total.text) == 16 and total.text.endswith("€")


def test_price_still_ends_at_last_column_when_euro_becomes_eur():
    line = left_right("Total à payer", "12,50 €", 32)[0]
    assert len(line) == 32
    out = encode_job([Text(line)], profile="generic-58")
    assert out.endswith(b"12,50 \xd5\n") and len(out.split(b"\n")[0]) - 5 == 32
    out437 = encode_job([Text(line)], 32, profile="basic-437")
    body = out437[5:-1]
    assert len(body) == 32 and body.endswith(b"12,50 EUR") and body.startswith(b"Total \x85 payer ")


def test_double_width_price_line_fits_half_the_columns():
    line = left_right("TOTAL", "1 234,50 €", 16)[0]
    out = encode_job([Text(line, bold=True, double=True)], profile="basic-437", columns=32)
    assert line == "TOTAL 1 234,50 €"
    # "EUR" makes it 18 wide and there is no padding left to take: wrapped at a space, never cut
    assert out == bytes.fromhex("1b 40 1b 74 00 1b 45 01") + DOUBLE_ON + b"TOTAL 1 234,50\nEUR\n"


def test_every_text_line_ends_with_lf_and_no_line_is_cut_mid_word():
    words = LONG_NAME.split()
    out = encode_job([Text(LONG_NAME)], profile="generic-58")
    lines = out[5:].split(b"\n")
    assert lines[-1] == b"" and all(len(l) <= 32 for l in lines)
    assert b" ".join(lines[:-1]).decode("cp858").split() == words
