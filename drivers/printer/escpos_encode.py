"""ESC/POS bytes for a receipt (protocol only, no I/O), for one printer profile.

Blocks are duck-typed by class name (drivers import nothing of ours):
Text(text, align, bold, double), Barcode(symbology, data), Cut() from commerce/receipt.py, and
QRCode(data, module), Image(source, align), Init(), Feed(lines) from drivers/printer/blocks.py.

What the encoder guarantees, whatever the blocks say:
- the profile's code page is selected right after every ESC @, so before any non-ASCII byte;
- a character the code page lacks prints as a readable stand-in (─ -> "-", € -> "EUR" on PC437),
  never as another glyph of the page;
- no line is wider than the paper (columns, or half of them in double width); every line ends in LF;
- only commands the profile has: GS ( k for QR and GS k for barcodes where supported, else a raster
  image (GS v 0), whose header declares exactly the number of bytes that follow.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .profiles import Profile, get_profile

ESC, GS, LF = b"\x1b", b"\x1d", b"\n"
CODEPAGE = "cp858"  # PC858 = PC850 + euro sign at 0xD5 (the default profile's page)
CODEPAGE_ESC_T = 19  # ESC t 19 selects PC858 on Epson-compatible printers
ALIGN = {"left": 0, "center": 1, "right": 2}
CUT_FEED_LINES = 3
TEAR_FEED_LINES = 5  # no cutter: feed the last line past the tear bar
BARCODE_HEIGHT = 80  # dots, about 10 mm
BARCODE_DOTS = {32: 384, 42: 512, 48: 576}  # printable dots per line (12-dot font A)
QR_EC_M = 49  # GS ( k error correction "M" (15 %)

# Always replaced, even where a page has a look-alike (PC858 has box drawing at 0xC4): a receipt
# prints plain text, and "-" reads the same on every printer.
FALLBACK = str.maketrans({
    "—": "-", "–": "-", "─": "-", "‐": "-", "‑": "-", "−": "-", "━": "-", "═": "=",
    "’": "'", "‘": "'", "‚": "'", "“": '"', "”": '"', "„": '"',
    "œ": "oe", "Œ": "OE", "…": "...", "\u202f": " ", "\u2009": " ", "\u2007": " ",
})
# Replaced only when the pinned page lacks the character (€ is 0xD5 in PC858, absent from PC437).
MISSING = {"€": "EUR", "«": '"', "»": '"', "æ": "ae", "Æ": "AE", "ß": "ss", "\u00a0": " ",
           "•": "*", "·": ".", "×": "x", "°": "o"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # a product name must never inject a printer command


@lru_cache(maxsize=4096)
def _char_bytes(ch: str, codepage: str) -> bytes:
    """One character that `codepage` may lack -> bytes: itself, its stand-in, its unaccented
    letter (ő -> o), or "?"."""
    for candidate in (ch, MISSING.get(ch)):
        if candidate:
            try:
                return candidate.encode(codepage)
            except UnicodeEncodeError:
                pass
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    try:
        return base.encode(codepage) if base and base.isprintable() else b"?"
    except UnicodeEncodeError:
        return b"?"


def encode_text(text: str, codepage: str = CODEPAGE) -> bytes:
    text = _CONTROL.sub("?", unicodedata.normalize("NFC", text).translate(FALLBACK))
    try:
        return text.encode(codepage)
    except UnicodeEncodeError:
        return b"".join(_char_bytes(ch, codepage) for ch in text)


def _wrap_words(line: bytes, width: int) -> list[bytes]:
    out, cur = [], b""
    for word in line.split(b" "):
        while len(word) > width:  # a word longer than the line: cut it
            if cur:
                out.append(cur)
                cur = b""
            out.append(word[:width])
            word = word[width:]
        if not cur:
            cur = word
        elif len(cur) + 1 + len(word) <= width:
            cur += b" " + word
        else:
            out.append(cur)
            cur = word
    out.append(cur)
    return out


def fit(line: bytes, width: int) -> list[bytes]:
    """Fallbacks can lengthen a line ("œ" -> "oe", "€" -> "EUR"): take the excess out of the widest
    gap of padding first (so a right-aligned price still ends at the last column), then wrap at
    spaces, so nothing is cut off and the printer never wraps on its own."""
    if len(line) <= width:
        return [line]
    line = line.rstrip(b" ")
    while len(line) > width:
        gaps = list(re.finditer(rb"  +", line))
        if not gaps:
            break
        gap = max(gaps, key=lambda m: len(m.group()))
        cut = min(len(line) - width, len(gap.group()) - 1)
        line = line[:gap.start()] + line[gap.start() + cut:]
    return [line] if len(line) <= width else _wrap_words(line, width)


def _ean_check_ok(digits: str) -> bool:
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def barcode_command(symbology: str, data: str) -> tuple[bytes, int]:
    """GS k for one barcode; returns (command, module count) or raises ValueError in French."""
    if symbology in ("EAN13", "EAN8"):
        n = 13 if symbology == "EAN13" else 8
        if not (isinstance(data, str) and data.isascii() and data.isdigit() and len(data) == n):
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


# --- raster images (GS v 0) -------------------------------------------------------------------

def raster_command(width_bytes: int, height: int, bits: bytes) -> bytes:
    """GS v 0 m xL xH yL yH d1..dk with k = (xL + 256 xH) * (yL + 256 yH), checked."""
    if len(bits) != width_bytes * height or not 0 < width_bytes < 65536 or not 0 < height < 65536:
        raise ValueError(f"image raster incohérente : {len(bits)} octets pour {width_bytes} x {height}")
    return (GS + b"v0\x00" + width_bytes.to_bytes(2, "little") + height.to_bytes(2, "little") + bits)


def pack_rows(rows: list[list[bool]]) -> tuple[int, int, bytes]:
    """Rows of dots (True = black) -> (width in bytes, height, bits MSB first)."""
    width = max(len(r) for r in rows)
    width_bytes = (width + 7) // 8
    out = bytearray()
    for r in rows:
        value = 0
        for dot in r:
            value = value << 1 | bool(dot)
        value <<= width_bytes * 8 - len(r)
        out += value.to_bytes(width_bytes, "big")
    return width_bytes, len(rows), bytes(out)


def image_raster(img, max_dots: int) -> bytes:
    """A PIL image -> GS v 0, scaled down to `max_dots` wide, thresholded at mid-grey."""
    from PIL import Image as PILImage, ImageOps

    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        background = PILImage.new("RGBA", img.size, "white")
        img = PILImage.alpha_composite(background, img)
    img = img.convert("L")
    if img.width > max_dots:
        img = img.resize((max_dots, max(1, round(img.height * max_dots / img.width))), PILImage.LANCZOS)
    width_bytes = (img.width + 7) // 8
    padded = PILImage.new("L", (width_bytes * 8, img.height), 255)
    padded.paste(img, (0, 0))
    # PIL's mode "1" stores a white pixel as 1: invert first so that 1 is a black dot
    bits = ImageOps.invert(padded).point(lambda v: 255 if v >= 128 else 0).convert("1").tobytes()
    return raster_command(width_bytes, img.height, bits)


@lru_cache(maxsize=16)
def _file_raster(path: str, mtime: float, max_dots: int) -> bytes:
    from PIL import Image as PILImage

    with PILImage.open(path) as img:
        img.load()
        return image_raster(img, max_dots)


def load_image_raster(source, max_dots: int) -> bytes:
    """A file path (cached while the file is unchanged) or a PIL image -> GS v 0 bytes."""
    import os

    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        try:
            mtime = os.stat(path).st_mtime
            return _file_raster(path, mtime, max_dots)
        except OSError as e:
            raise ValueError(f"image « {path} » illisible : {e.strerror or e}") from e
        except Exception as e:  # PIL.UnidentifiedImageError and friends
            raise ValueError(f"image « {path} » illisible : ce n'est pas une image") from e
    return image_raster(source, max_dots)


def barcode_raster(symbology: str, data: str, max_dots: int) -> bytes:
    """A barcode drawn as a raster, for printers without GS k (after our check-digit check)."""
    import barcode as python_barcode

    barcode_command(symbology, data)  # refuses a wrong check digit: python-barcode would fix it
    name = {"EAN13": "ean13", "EAN8": "ean8", "CODE128": "code128"}[symbology]
    modules = "".join(python_barcode.get_barcode_class(name)(data).build())
    # the widest module that fits with a quiet zone of at least 5 modules each side (the paper's
    # own margin adds to it), up to 10
    module = max(1, min(3, max_dots // (len(modules) + 10)))
    quiet = max(0, min(10, (max_dots // module - len(modules)) // 2))
    row = [False] * (quiet * module)
    for m in modules:
        row += [m == "1"] * module
    row += [False] * (quiet * module)
    return raster_command(*pack_rows([row] * BARCODE_HEIGHT))


def qr_native(data: str, module: int) -> bytes:
    """GS ( k: model 2, module size, error correction M, store the data, print it."""
    payload = data.encode("utf-8")
    if len(payload) > 7089:
        raise ValueError(f"QR code trop long ({len(payload)} octets)")

    def fn(code: int, body: bytes) -> bytes:
        return GS + b"(k" + (len(body) + 2).to_bytes(2, "little") + b"1" + bytes([code]) + body

    return (fn(65, b"2\x00") + fn(67, bytes([module])) + fn(69, bytes([QR_EC_M]))
            + fn(80, b"0" + payload) + fn(81, b"0"))


def qr_raster(data: str, module: int, max_dots: int) -> bytes:
    """The same QR code drawn by the qrcode package, as GS v 0, for printers without GS ( k."""
    import qrcode

    qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(data.encode("utf-8"))
    qr.make(fit=True)
    matrix = qr.get_matrix()
    module = max(1, min(module, max_dots // len(matrix)))
    rows = []
    for r in matrix:
        row = [dot for dot in r for _ in range(module)]
        rows.extend([row] * module)
    return raster_command(*pack_rows(rows))


# --- the job ----------------------------------------------------------------------------------

def encode_job(blocks, columns: int | None = None, profile: Profile | str | None = None) -> bytes:
    """The bytes of one job for `profile` (default: 42-column PC858 80 mm) at `columns`."""
    if not isinstance(profile, Profile):
        profile = get_profile(profile)
    columns = columns or profile.columns
    dots = profile.dots if columns == profile.columns else BARCODE_DOTS.get(columns, columns * 12)
    codepage = profile.codepage
    init = ESC + b"@" + profile.select_codepage()  # the page again after every ESC @
    out = bytearray(init)
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
            for line in fit(encode_text(block.text, codepage), width):
                out.extend(line + LF)
        elif kind == "Barcode":
            set_style(ALIGN["center"], False, False)
            if profile.native_barcodes:
                command, modules = barcode_command(block.symbology, block.data)
                module_width = max(1, min(2, dots // modules))
                out.extend(GS + b"h" + bytes([BARCODE_HEIGHT]) + GS + b"w" + bytes([module_width])
                           + GS + b"H\x02" + command)
            else:  # drawn by us, with the human-readable digits as text below
                out.extend(barcode_raster(block.symbology, block.data, dots)
                           + fit(encode_text(block.data, codepage), columns)[0] + LF)
        elif kind == "QRCode":
            set_style(ALIGN["center"], False, False)
            if profile.native_qr:
                out.extend(qr_native(block.data, block.module) + LF)
            elif profile.raster:
                out.extend(qr_raster(block.data, block.module, dots) + LF)
            else:
                raise ValueError("QR code impossible : l'imprimante n'a ni QR natif ni image raster")
        elif kind == "Image":
            if not profile.raster:
                raise ValueError(f"image impossible : le profil « {profile.name} » n'imprime pas d'image")
            set_style(ALIGN.get(block.align, 1), False, False)
            out.extend(load_image_raster(block.source, dots))
        elif kind == "Init":
            out.extend(init)
            align, bold, double = 0, False, False
        elif kind == "Feed":
            out.extend(ESC + b"d" + bytes([max(0, min(255, block.lines))]))
        elif kind == "Cut":
            if profile.cutter:
                out.extend(ESC + b"d" + bytes([CUT_FEED_LINES]) + GS + b"V" + bytes([66, 0]))
            else:
                out.extend(ESC + b"d" + bytes([TEAR_FEED_LINES]))
        else:
            raise ValueError(f"bloc « {kind} » inconnu pour l'imprimante")
    return bytes(out)


def drawer_pulse(pin: int = 2, on_ms: int = 100, off_ms: int = 500) -> bytes:
    """ESC p m t1 t2: pulse on the drawer connector pin 2 (m=0) or 5 (m=1), times in 2 ms units.
    Always the five bytes: some printers wait for t2 and swallow the next command without it."""
    if pin not in (2, 5):
        raise ValueError(f"broche du tiroir « {pin} » invalide : 2 ou 5")
    for name, ms in (("pulse_on_ms", on_ms), ("pulse_off_ms", off_ms)):
        if not 2 <= ms <= 510:
            raise ValueError(f"{name} = {ms} invalide : entre 2 et 510 ms")
    return ESC + b"p" + bytes([0 if pin == 2 else 1, on_ms // 2, off_ms // 2])
