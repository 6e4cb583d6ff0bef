"""drivers.labels: barcodes as PNG (decoded back with zbar) and SVG (bars read back), wrong codes refused."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from drivers.labels import LabelError, check_code, render_barcode

# EAN right-hand (R) patterns, and L/G patterns for the left half; parity of the first digit.
R = {"1110010": 0, "1100110": 1, "1101100": 2, "1000010": 3, "1011100": 4,
     "1001110": 5, "1010000": 6, "1000100": 7, "1001000": 8, "1110100": 9}
L = {"".join("1" if c == "0" else "0" for c in k): v for k, v in R.items()}
G = {k[::-1]: v for k, v in R.items()}
FIRST = {"LLLLLL": 0, "LLGLGG": 1, "LLGGLG": 2, "LLGGGL": 3, "LGLLGG": 4,
         "LGGLLG": 5, "LGGGLL": 6, "LGLGLG": 7, "LGLGGL": 8, "LGGLGL": 9}


def zbar(png: bytes):
    return [(r.type, r.data.decode("ascii")) for r in decode(Image.open(io.BytesIO(png)))]


@pytest.mark.parametrize("symbology, data, zbar_type", [
    ("EAN13", "0697929110035", "EAN13"),   # leading zero kept
    ("EAN13", "3292590049201", "EAN13"),
    ("EAN13", "0212345002490", "EAN13"),   # an in-store price label
    ("EAN8", "96385074", "EAN8"),
    ("EAN8", "00123457", "EAN8"),          # two leading zeros
    ("CODE128", "00012345", "CODE128"),
    ("CODE128", "T1-000042 caisse", "CODE128"),
])
def test_png_decodes_back_to_the_same_text(symbology, data, zbar_type):
    png = render_barcode(symbology, data, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert zbar(png) == [(zbar_type, data)]


def svg_modules(svg: str, module_mm: float = 0.33, quiet_mm: float = 3.0) -> str:
    """Read the bars of a python-barcode SVG back into a 0/1 module string."""
    bars = [(float(x), float(w)) for x, w in
            re.findall(r'<rect x="([\d.]+)mm" y="[\d.]+mm" width="([\d.]+)mm"', svg)]
    assert bars, "no bars in the SVG"
    end = max(round((x - quiet_mm + w) / module_mm) for x, w in bars)
    modules = ["0"] * end
    for x, w in bars:
        start = round((x - quiet_mm) / module_mm)
        for i in range(start, start + round(w / module_mm)):
            modules[i] = "1"
    return "".join(modules)


def ean13_from_modules(m: str) -> str:
    assert len(m) == 95 and m[:3] == "101" and m[45:50] == "01010" and m[92:] == "101"
    left, parity = [], ""
    for i in range(6):
        chunk = m[3 + 7 * i: 10 + 7 * i]
        if chunk in L:
            left.append(L[chunk]); parity += "L"
        else:
            left.append(G[chunk]); parity += "G"
    right = [R[m[50 + 7 * i: 57 + 7 * i]] for i in range(6)]
    return "".join(map(str, [FIRST[parity]] + left + right))


@pytest.mark.parametrize("data", ["0697929110035", "3292590049201", "4006381333931"])
def test_svg_holds_the_bars_of_the_code(data):
    svg = render_barcode("EAN13", data, "svg").decode("utf-8")
    assert svg.startswith("<?xml") and "<svg" in svg
    assert len(re.findall(r'<rect x=', svg)) == 30        # an EAN-13 has 30 bars
    assert ean13_from_modules(svg_modules(svg)) == data    # and they spell our digits
    assert f">{data}</text>" in svg                        # human-readable digits, zeros kept


def test_svg_without_text_and_ean8():
    svg = render_barcode("EAN8", "96385074", "svg", text=False).decode("utf-8")
    assert "<text" not in svg
    m = svg_modules(svg)
    assert len(m) == 67 and m[:3] == "101" and m[31:36] == "01010" and m[64:] == "101"


@pytest.mark.parametrize("symbology, data, message", [
    ("EAN13", "3292590049202", "code-barres EAN-13 3292590049202 refusé : la clé de contrôle devrait être 1 (lu 2)"),
    ("EAN13", "1234567890120", "code-barres EAN-13 1234567890120 refusé : la clé de contrôle devrait être 8 (lu 0)"),
    ("EAN8", "96385075", "code-barres EAN-8 96385075 refusé : la clé de contrôle devrait être 4 (lu 5)"),
    ("EAN13", "329259004920", "code-barres EAN-13 329259004920 refusé : 12 chiffres, un EAN-13 en a 13 "
                              "(clé de contrôle comprise)"),
    ("EAN13", "32925900492O1", "code-barres EAN-13 « 32925900492O1 » refusé : il ne doit contenir que des chiffres"),
    ("CODE128", "Prix 2,49 €", "code-barres Code 128 « Prix 2,49 € » refusé : caractère '€' hors ASCII imprimable"),
    ("QR", "x", "symbologie « QR » non prise en charge (EAN13, EAN8, CODE128)"),
])
@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_wrong_codes_refused_in_french_never_fixed(symbology, data, message, fmt):
    with pytest.raises(LabelError) as exc:
        render_barcode(symbology, data, fmt)
    assert str(exc.value) == message


def test_codes_must_be_strings_and_format_known():
    with pytest.raises(LabelError, match="chaîne de caractères"):
        check_code("EAN13", 697929110035)
    with pytest.raises(LabelError, match="format d'image « pdf » non pris en charge"):
        render_barcode("EAN13", "0697929110035", "pdf")
    assert check_code("ean-13", "0697929110035") == "0697929110035"
