"""The simulated printer: exact bytes on disk, a PNG preview, failures that lose nothing."""
import pytest
from commerce.receipt import build_receipt
from conftest_drivers import sample_ticket
from drivers.escpos_decode import decode, decoded_text
from drivers.printer import PrinterError, make_printer
from drivers.printer.escpos_encode import encode_job
from PIL import Image


def sim(tmp_path, **cfg):
    return make_printer({"backend": "sim", "out_dir": str(tmp_path), **cfg})


@pytest.mark.parametrize("columns, width", [(32, 408), (42, 528), (48, 600)])
def test_job_written_as_bin_and_png(tmp_path, columns, width):
    printer = sim(tmp_path, columns=columns)
    blocks = build_receipt(sample_ticket(), columns)
    sent = printer.print_job(blocks)
    assert (tmp_path / "0001.bin").read_bytes() == sent == encode_job(blocks, columns)

    items = decode((tmp_path / "0001.bin").read_bytes())
    text = decoded_text(items)
    assert "Café moulu 250 g" in text and "Cahier 96 pages" in text
    assert "100,00 €" in text and "Caissier : Léa Martin" in text
    assert [i.text for i in items if i.double][0] == "MODE FORMATION"
    assert "[CODE128 001000000042]" in text

    png = Image.open(tmp_path / "0001.png")
    assert png.width == width  # (columns + 2 margin cells) * 12 dots
    assert png.height >= 24 * sum(i.height for i in items if i.kind == "text") + 80  # + bars
    gray = png.convert("L")
    # the barcode is drawn as bars: 80 identical rows that alternate black and white many times
    pixels = gray.tobytes()

    def pattern(y):
        dark = [v < 128 for v in pixels[y * width:(y + 1) * width]]
        return tuple(x for x in range(1, width) if dark[x] != dark[x - 1])
    rows = [pattern(y) for y in range(gray.height)]
    run, best = 0, (0, 0)
    for y in range(1, len(rows)):
        run = run + 1 if len(rows[y]) > 40 and rows[y] == rows[y - 1] else 0
        best = max(best, (run, y))
    assert best[0] >= 75 and best[1] > png.height // 2


def test_numbering_continues_after_existing_files(tmp_path):
    (tmp_path / "0007.bin").write_bytes(b"old")
    printer = sim(tmp_path)
    printer.print_job(build_receipt(sample_ticket(), 42))
    printer.print_job(build_receipt(sample_ticket(number=43), 42))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "0007.bin", "0008.bin", "0008.png", "0009.bin", "0009.png"]
    assert (tmp_path / "0007.bin").read_bytes() == b"old"


def test_paper_out_keeps_the_job_for_retry(tmp_path):
    printer = sim(tmp_path, fail_with="paper_out")
    blocks = build_receipt(sample_ticket(), 42)
    with pytest.raises(PrinterError) as err:
        printer.print_job(blocks)
    assert str(err.value).startswith("Plus de papier") and err.value.kind == "paper_out"
    assert not list(tmp_path.glob("*.bin"))
    printer.open_drawer()  # the drawer needs no paper: the change can still be given
    assert printer.drawer_openings == 1

    printer.fail_with = None  # a new roll is loaded
    assert printer.retry() == encode_job(blocks, 42)
    assert (tmp_path / "0001.bin").read_bytes() == encode_job(blocks, 42)
    assert printer.pending is None


def test_offline_fails_print_and_drawer(tmp_path):
    printer = sim(tmp_path, fail_with="offline")
    with pytest.raises(PrinterError, match="injoignable"):
        printer.print_job(build_receipt(sample_ticket(), 42))
    with pytest.raises(PrinterError, match="injoignable"):
        printer.open_drawer()
    assert printer.drawer_openings == 0 and printer.pending is not None


def test_drawer_openings_are_logged(tmp_path):
    printer = sim(tmp_path, drawer_pin=5)
    printer.open_drawer()
    printer.open_drawer()
    lines = (tmp_path / "drawer.log").read_text().splitlines()
    assert printer.drawer_openings == 2 and len(lines) == 2
    assert all(l.endswith(" 1b 70 01 32 fa") for l in lines)
    assert not list(tmp_path.glob("*.bin"))
