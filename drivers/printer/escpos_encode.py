"""ESC/POS bytes for a receipt (protocol only, no I/O).

Blocks are duck-typed by class name (drivers import nothing of ours):
Text(text, align, bold, double), Barcode(symbology, data), Cut().
"""
from __future__ import annotations

import re
import unicodedata

ESC, GS, LF = b"\x1b", b"\x1d", b"\n"
CODEPAGE = "cp858"  # PC858 = PC850 + euro sign at 0xD5
CODEPAGE_ESC_T = 19  # ESC t 19 selects PC858 on Epson-compatible printers
ALIGN = {"left": 0, "center": 1, "right": 2}
CUT_FEED_LINES = 3
BARCODE_HEIGHT = 80  # dots, about 10 mm
BARCODE_DOTS = {32: 384, 42: 512, 48: 576}  # printable dots per line (12-dot font A)

# Characters PC858 lacks: a readable ASCII stand-in, never a look-alike glyph from the code page.
FALLBACK = str.maketrans({
    "—": "-", "–": "-", "─": "-", "‐": "-", "‑": "-", "−": "-",
    "’": "'", "‘": "'", "‚": "'", "“": '"', "”": '"', "„": '"',
    "œ": "oe", "Œ": "OE", "…": "...", "\u202f": " ", "\u2009": " ", "\u2007": " ",
})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # a product name must never inject a printer command


def encode_text(text: str) -> bytes:
    text = _CONTROL.sub("?", unicodedata.normalize("NFC", text).translate(FALLBACK))
    return text.encode(CODEPAGE, errors="replace")  # "replace" writes "?"


def fit(line: bytes, width: int) -> list[bytes]:
    """Fallbacks can lengthen a line ("œ" -> "oe"): take the excess out of the widest gap of
    padding first, then wrap, so nothing is cut off and the printer never wraps on its own."""
    if len(line) > width:
        line = line.rstrip(b" ")
    while len(line) > width:
        gaps = list(re.finditer(rb"  +", line))
        if not gaps:
            break
        gap = max(gaps, key=lambda m: len(m.group()))
        cut = min(len(line) - width, len(gap.group()) - 1)
        line = line[:gap.start()] + line[gap.start() + cut:]
    return [line[i:i + width] for i in range(0, len(line), width)] or [b""]


def _ean_check_ok(digits: str) -> bool:
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def barcode_command(symbology: str, data: str) -> tuple[bytes, int]:
    """GS k for one barcode; returns (command, module count) or raises ValueError in French."""
    if symbology in ("EAN13", "EAN8"):
        n = 13 if symbology == "EAN13" else 8
        if not (data.isascii() and data.isdigit() and len(data) == n):
            raise ValueError(f"code-barres {symbology} « {data} » refusé : {n} chiffres attendus")
        if not _ean_check_ok(data):
            raise ValueError(f"code-barres {symbology} « {data} » refusé : clé de contrôle fausse")
        m = 67 if n == 13 else 68
        return GS + b"k" + bytes([m, n]) + data.encode("ascii"), 95 if n == 13 else 67
    if symbology != "CODE128":
        raise ValueError(f"symbologie « {symbology} » non prise en charge (CODE128, EAN13, EAN8)")
    if not data or not all(32 <= ord(c) < 127 for c in data):
        raise ValueError(f"code-barres CODE128 « {data} » refusé : caractères ASCII imprimables attendus")
    if data.isdigit() and len(data) % 2 == 0:
        # Code set C: one byte (0-99) per pair of digits, half the width of set B.
        payload = b"{C" + bytes(int(data[i:i + 2]) for i in range(0, len(data), 2))
        symbols = len(data) // 2
    else:
        payload = b"{B" + data.replace("{", "{{").encode("ascii")
        symbols = len(data)
    if len(payload) > 255:
        raise ValueError(f"code-barres CODE128 trop long ({len(data)} caractères)")
    # start + data + check symbols of 11 modules, stop of 13, quiet zones of 10 each side
    return GS + b"k" + bytes([73, len(payload)]) + payload, 11 * (symbols + 2) + 13 + 20


def encode_job(blocks, columns: int) -> bytes:
    out = bytearray(ESC + b"@" + ESC + b"t" + bytes([CODEPAGE_ESC_T]))
    align, bold, double = 0, False, False  # printer state right after ESC @

    def set_style(a: int, b: bool, d: bool):
        nonlocal align, bold, double
        if a != align:
            out.extend(ESC + b"a" + bytes([a]))
        if b != bold:
            out.extend(ESC + b"E" + bytes([int(b)]))
        if d != double:
            out.extend(GS + b"!" + (b"\x11" if d else b"\x00"))
        align, bold, double = a, b, d

    for block in blocks:
        kind = type(block).__name__
        if kind == "Text":
            if block.align not in ALIGN:
                raise ValueError(f"alignement « {block.align} » inconnu (left, center, right)")
            set_style(ALIGN[block.align], bool(block.bold), bool(block.double))
            width = columns // 2 if block.double else columns
            for line in fit(encode_text(block.text), width):
                out.extend(line + LF)
        elif kind == "Barcode":
            command, modules = barcode_command(block.symbology, block.data)
            module_width = max(1, min(2, BARCODE_DOTS.get(columns, columns * 12) // modules))
            set_style(ALIGN["center"], False, False)
            out.extend(GS + b"h" + bytes([BARCODE_HEIGHT]) + GS + b"w" + bytes([module_width])
                       + GS + b"H\x02" + command)
        elif kind == "Cut":
            out.extend(ESC + b"d" + bytes([CUT_FEED_LINES]) + GS + b"V" + bytes([66, 0]))
        else:
            raise ValueError(f"bloc « {kind} » inconnu pour l'imprimante")
    return bytes(out)


def drawer_pulse(pin: int = 2, on_ms: int = 100, off_ms: int = 500) -> bytes:
    """ESC p m t1 t2: pulse on the drawer connector pin 2 (m=0) or 5 (m=1), times in 2 ms units."""
    if pin not in (2, 5):
        raise ValueError(f"broche du tiroir « {pin} » invalide : 2 ou 5")
    for name, ms in (("pulse_on_ms", on_ms), ("pulse_off_ms", off_ms)):
        if not 2 <= ms <= 510:
            raise ValueError(f"{name} = {ms} invalide : entre 2 et 510 ms")
    return ESC + b"p" + bytes([0 if pin == 2 else 1, on_ms // 2, off_ms // 2])
