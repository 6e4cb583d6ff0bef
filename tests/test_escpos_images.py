"""Logo, QR codes and barcodes on paper: exact command bytes, raster headers that declare exactly
the bytes sent, and rasters that a real decoder reads back."""
import re

import pytest
import zxingcpp
from commerce.receipt import Barcode, Text
from drivers.escpos_decode import decode
from drivers.printer import PrinterError, make_printer
from drivers.printer.blocks import Image as ImageBlock, QRCode
from drivers.printer.config import SHOP_LOGO
from drivers.printer.escpos_encode import encode_job
from PIL import Image

RASTER = re.compile(rb"\x1dv0\x00(..)(..)", re.S)


def rasters(data: bytes) -> list[tuple[int, int, bytes, int]]:
    """(width bytes, height, payload, offset after payload) of each GS v 0, read from its header."""
    out = []
    for m in RASTER.finditer(data):
        w, h = int.from_bytes(m.group(1), "little"), int.from_bytes(m.group(2), "little")
        out.append((w, h, data[m.end():m.end() + w * h], m.end() + w * h))
    return out


def to_image(w: int, h: int, bits: bytes) -> Image.Image:
    img = Image.frombytes("1", (w * 8, h), bytes(255 - b for b in bits)).convert("L")
    framed = Image.new("L", (img.width + 80, img.height + 80), 255)
    framed.paste(img, (40, 40))
    return framed


def test_logo_header_declares_exactly_the_bytes_sent():
    assert Image.open(SHOP_LOGO).size == (192, 48)
    out = encode_job([ImageBlock(SHOP_LOGO), Text("x")], profile="generic-80")
    head = bytes.fromhex("1b 40 1b 74 13 1b 61 01") + bytes.fromhex("1d 76 30 00 18 00 30 00")
    assert out.startswith(head)  # xL=24 bytes (192 dots), yL=48 rows
    [(w, h, payload, end)] = rasters(out)
    assert (w, h, len(payload)) == (24, 48, 24 * 48)
    assert out[end:] == bytes.fromhex("1b 61 00") + b"x\n"  # the next command right after
    [img] = [i for i in decode(out) if i.kind == "image"]
    assert img.size == (192, 48) and img.bits == payload
    assert payload[:24] == b"\xff" * 24  # the frame's top row is all black


def test_wide_logo_is_scaled_to_the_paper(tmp_path):
    path = tmp_path / "large.png"
    Image.new("L", (1000, 100), 0).save(path)
    [(w, h, payload, _)] = rasters(encode_job([ImageBlock(str(path))], profile="generic-58"))
    assert (w, h) == (48, 38) and len(payload) == 48 * 38 and set(payload) == {0xFF}  # 384 dots


def test_logo_config_key_prints_it_first(tmp_path):
    printer = make_printer({"backend": "sim", "out_dir": str(tmp_path), "logo": SHOP_LOGO,
                            "profile": "generic-58"})
    sent = printer.print_job([Text("Merci")])
    assert sent.startswith(bytes.fromhex("1b 40 1b 74 13 1b 61 01 1d 76 30 00 18 00 30 00"))
    assert sent.endswith(b"\x1ba\x00Merci\n")


def test_native_qr_where_the_profile_has_it():
    out = encode_job([QRCode("Café 12,50 €", module=6)], profile="generic-80")
    data = "Café 12,50 €".encode("utf-8")
    assert out == bytes.fromhex("1b 40 1b 74 13 1b 61 01"
                                "1d 28 6b 04 00 31 41 32 00"     # model 2
                                "1d 28 6b 03 00 31 43 06"        # module 6 dots
                                "1d 28 6b 03 00 31 45 31"        # error correction M
                                ) + b"\x1d(k" + (len(data) + 3).to_bytes(2, "little") + b"1P0" + data \
        + bytes.fromhex("1d 28 6b 03 00 31 51 30") + b"\n"
    [qr] = [i for i in decode(out) if i.kind == "qr"]
    assert qr.data == "Café 12,50 €"


@pytest.mark.parametrize("profile", ["generic-58", "basic-437"])
def test_qr_is_a_raster_on_printers_without_native_qr(profile):
    out = encode_job([QRCode("Café 12,50 €", module=4)], profile=profile)
    assert b"\x1d(k" not in out  # never the native command: it would print as garbage
    [(w, h, payload, end)] = rasters(out)
    assert len(payload) == w * h and out[end:] == b"\n"
    [found] = zxingcpp.read_barcodes(to_image(w, h, payload))
    assert found.format == zxingcpp.BarcodeFormat.QRCode and found.text == "Café 12,50 €"


@pytest.mark.parametrize("symbology, data, command", [
    ("EAN13", "3017620422003", "1d 6b 43 0d 33 30 31 37 36 32 30 34 32 32 30 30 33"),
    ("EAN13", "0697929110035", "1d 6b 43 0d 30 36 39 37 39 32 39 31 31 30 30 33 35"),
    ("EAN8", "96385074", "1d 6b 44 08 39 36 33 38 35 30 37 34"),
    ("CODE128", "R01-42", "1d 6b 49 08 7b 42 52 30 31 2d 34 32"),
])
def test_native_barcodes(symbology, data, command):
    out = encode_job([Barcode(symbology, data)], profile="generic-80")
    assert out.endswith(bytes.fromhex(command))
    assert bytes.fromhex("1d 68 50 1d 77 02 1d 48 02") in out  # height 80, module 2, HRI below
    [bar] = [i for i in decode(out) if i.kind == "barcode"]
    assert (bar.symbology, bar.data) == (symbology, data)


@pytest.mark.parametrize("symbology, data, fmt", [
    ("EAN13", "3017620422003", zxingcpp.BarcodeFormat.EAN13),
    ("EAN8", "96385074", zxingcpp.BarcodeFormat.EAN8),
    ("CODE128", "R01-42", zxingcpp.BarcodeFormat.Code128),
])
def test_barcodes_drawn_as_raster_where_gs_k_is_not_supported(symbology, data, fmt):
    out = encode_job([Barcode(symbology, data)], profile="generic-58")
    assert b"\x1dk" not in out
    [(w, h, payload, end)] = rasters(out)
    assert h == 80 and len(payload) == w * h and out[end:] == data.encode() + b"\n"
    [found] = zxingcpp.read_barcodes(to_image(w, h, payload))
    assert (found.format, found.text) == (fmt, data)


@pytest.mark.parametrize("profile", ["generic-80", "generic-58"])
@pytest.mark.parametrize("symbology, data", [("EAN13", "3017620422004"), ("EAN8", "96385075"),
                                             ("EAN13", "301762042200"), ("EAN8", "9638507")])
def test_wrong_ean_check_digit_is_refused_never_fixed(profile, symbology, data):
    with pytest.raises(ValueError, match=f"code-barres {symbology} « {data} » refusé"):
        encode_job([Barcode(symbology, data)], profile=profile)


def test_refused_barcode_is_a_job_error_in_french(tmp_path):
    printer = make_printer({"backend": "sim", "out_dir": str(tmp_path)})
    with pytest.raises(PrinterError) as err:
        printer.print_job([Barcode("EAN13", "3017620422004")])
    assert str(err.value) == ("Ticket impossible à imprimer : code-barres EAN13 « 3017620422004 » "
                              "refusé : clé de contrôle fausse") and err.value.kind == "job"
