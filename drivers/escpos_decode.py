"""Read ESC/POS bytes back: what a printer would print, line by line, with its style.

Written from the Epson ESC/POS command reference, independently of our encoder, so tests and the
simulator can check the bytes we send. Unknown commands are skipped by their documented length;
truncated input ends the decoding instead of raising.
"""
from __future__ import annotations

from dataclasses import dataclass, field

CODE_PAGES = {0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 16: "cp1252",
              17: "cp866", 18: "cp852", 19: "cp858"}
ALIGNS = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}
SYMBOLOGIES = {0: "UPC-A", 1: "UPC-E", 2: "EAN13", 3: "EAN8", 4: "CODE39", 5: "ITF", 6: "CODABAR",
               65: "UPC-A", 66: "UPC-E", 67: "EAN13", 68: "EAN8", 69: "CODE39", 70: "ITF",
               71: "CODABAR", 72: "CODE93", 73: "CODE128"}
# ESC / GS commands with a fixed number of parameter bytes (the rest are handled one by one)
ESC_FIXED = {b" ": 1, b"!": 1, b"-": 1, b"2": 0, b"3": 1, b"=": 1, b"?": 1, b"E": 1, b"G": 1,
             b"J": 1, b"K": 1, b"L": 0, b"M": 1, b"R": 1, b"S": 0, b"T": 1, b"U": 1, b"V": 1,
             b"a": 1, b"d": 1, b"e": 1, b"i": 0, b"m": 0, b"r": 1, b"t": 1, b"{": 1, b"$": 2,
             b"\\": 2, b"%": 1, b"<": 0, b"W": 8}
GS_FIXED = {b"!": 1, b"B": 1, b"H": 1, b"I": 1, b"L": 2, b"W": 2, b"a": 1, b"b": 1, b"f": 1,
            b"h": 1, b"r": 1, b"w": 1, b"$": 2, b"\\": 2, b"^": 3, b":": 0, b"P": 2, b"T": 1,
            b"/": 1, b"g": 2}


@dataclass
class Printed:
    """One thing on the paper (or done by the printer): kind is text | barcode | qr | image | cut |
    drawer. For a qr, `width` is the module size in dots."""

    kind: str
    text: str = ""
    align: str = "left"
    bold: bool = False
    width: int = 1  # character magnification
    height: int = 1
    symbology: str = ""
    data: str = ""
    pin: int = 0  # drawer connector pin (2 or 5)
    on_ms: int = 0
    off_ms: int = 0
    partial: bool = False  # cut
    size: tuple[int, int] = (0, 0)  # image, in dots
    bits: bytes = field(default=b"", repr=False)  # image rows, MSB first, 1 = black

    @property
    def double(self) -> bool:
        return self.width == 2 and self.height == 2


class _State:
    def __init__(self):
        self.codepage, self.align, self.bold, self.width, self.height = "cp437", "left", False, 1, 1


def decode_code128(raw: bytes) -> str:
    """GS k 73 data: "{A"/"{B"/"{C" select a code set; in set C one byte stands for two digits."""
    out, codeset, i = [], "B", 0
    while i < len(raw):
        b = raw[i]
        if b == 0x7B and i + 1 < len(raw):  # "{"
            nxt = chr(raw[i + 1])
            i += 2
            if nxt in "ABC":
                codeset = nxt
            elif nxt == "{":
                out.append("{")
            continue  # {S shift and {1..{4 FNC codes print nothing
        out.append(f"{b:02d}" if codeset == "C" else chr(b))
        i += 1
    return "".join(out)


def decode(data: bytes, columns: int | None = None) -> list[Printed]:
    """Bytes -> printed items. With `columns`, over-long lines wrap as the printer would."""
    st, items, line, style = _State(), [], bytearray(), None

    def flush(force: bool):
        nonlocal line, style
        if line or force:
            s = style or (st.align, st.bold, st.width, st.height)
            text = bytes(line).decode(st.codepage, errors="replace")
            per_line = columns // s[2] if columns else len(text) or 1
            for k in range(0, max(len(text), 1), per_line):
                items.append(Printed("text", text[k:k + per_line], *s))
        line, style = bytearray(), None

    i, n = 0, len(data)
    try:
        while i < n:
            b = data[i]
            if b >= 0x20 and b != 0x7F:
                if style is None:  # a line's style is the one of its first character
                    style = (st.align, st.bold, st.width, st.height)
                line.append(b)
                i += 1
            elif b == 0x0A:
                flush(True)
                i += 1
            elif b == 0x09:
                line.extend(b" " * (8 - len(line) % 8))
                i += 1
            elif b == 0x1B:
                i = _esc(data, i, st, items, flush)
            elif b == 0x1D:
                i = _gs(data, i, st, items, flush)
            elif b == 0x1C:
                i = _fs(data, i)
            elif b == 0x10:  # DLE EOT/ENQ n (status), DLE DC4 fn m t (real-time pulse)
                cmd = data[i + 1]
                if cmd == 0x14 and data[i + 2] == 1:
                    items.append(Printed("drawer", pin=2 if data[i + 3] in (0, 48) else 5,
                                         on_ms=data[i + 4] * 100, off_ms=data[i + 4] * 100))
                i += 5 if cmd == 0x14 else 3
            else:
                i += 1  # CR and other controls: nothing to print
    except IndexError:
        pass  # truncated command at the end of the data
    flush(False)
    return items


def _u16(data: bytes, i: int) -> int:
    return data[i] + 256 * data[i + 1]


def _esc(data, i, st, items, flush) -> int:
    cmd, arg = data[i + 1:i + 2], data[i + 2] if i + 2 < len(data) else 0
    if cmd == b"@":
        st.__init__()
        return i + 2
    if cmd == b"t":
        st.codepage = CODE_PAGES.get(arg, "ascii")
    elif cmd == b"a":
        st.align = ALIGNS.get(arg, "left")
    elif cmd in (b"E", b"G"):  # emphasized / double-strike: both print bold
        st.bold = bool(arg & 1)
    elif cmd == b"!":  # print mode: bit 3 bold, bit 4 double height, bit 5 double width
        st.bold, st.height, st.width = bool(arg & 8), 2 if arg & 16 else 1, 2 if arg & 32 else 1
    elif cmd == b"d":
        flush(False)
        items.extend(Printed("text", "") for _ in range(arg))
    elif cmd in (b"i", b"m"):
        flush(False)
        items.append(Printed("cut", partial=cmd == b"m"))
    elif cmd == b"p":  # ESC p m t1 t2
        items.append(Printed("drawer", pin=2 if data[i + 2] in (0, 48) else 5,
                             on_ms=data[i + 3] * 2, off_ms=data[i + 4] * 2))
        return i + 5
    elif cmd == b"*":  # bit image: ESC * m nL nH, 1 or 3 bytes per column
        return i + 5 + _u16(data, i + 3) * (3 if data[i + 2] in (32, 33) else 1)
    elif cmd == b"D":  # tab stops, NUL-terminated
        return data.index(b"\x00", i + 2) + 1
    elif cmd == b"&":  # user-defined characters: ESC & y c1 c2 [x d1..d(y*x)]...
        y, c1, c2, j = data[i + 2], data[i + 3], data[i + 4], i + 5
        for _ in range(c2 - c1 + 1):
            j += 1 + y * data[j]
        return j
    elif cmd == b"c":  # ESC c 3/4/5 n
        return i + 4
    elif cmd == b"(":  # ESC ( x pL pH ...
        return i + 5 + _u16(data, i + 3)
    return i + 2 + ESC_FIXED.get(cmd, 0)


def _raster(width: int, height: int, bits: bytes, st) -> Printed:
    """Rows of ceil(width / 8) bytes, most significant bit leftmost, 1 = black dot."""
    return Printed("image", align=st.align, size=(width, height), bits=bits)


def _gs(data, i, st, items, flush) -> int:
    cmd = data[i + 1:i + 2]
    if cmd == b"!":
        arg = data[i + 2]
        st.width, st.height = (arg >> 4 & 7) + 1, (arg & 7) + 1
    elif cmd == b"V":  # GS V m [n]: 0/48 full, 1/49 partial; 65/66 (and 97.., 103..) take n
        m = data[i + 2]
        flush(False)
        items.append(Printed("cut", partial=m in (1, 49, 66, 98, 104)))
        return i + (3 if m in (0, 1, 48, 49) else 4)
    elif cmd == b"k":
        m = data[i + 2]
        if m <= 6:
            end = data.index(b"\x00", i + 3)
            raw, nxt = data[i + 3:end], end + 1
        else:
            raw, nxt = data[i + 4:i + 4 + data[i + 3]], i + 4 + data[i + 3]
        sym = SYMBOLOGIES.get(m, f"BARCODE{m}")
        text = decode_code128(raw) if sym == "CODE128" else raw.decode("ascii", "replace")
        flush(False)
        items.append(Printed("barcode", f"[{sym} {text}]", st.align, symbology=sym, data=text))
        return nxt
    elif cmd == b"v":  # GS v 0 m xL xH yL yH d...: raster image
        w, h = _u16(data, i + 4), _u16(data, i + 6)
        flush(False)
        items.append(_raster(w * 8, h, data[i + 8:i + 8 + w * h], st))
        return i + 8 + w * h
    elif cmd == b"*":  # define downloaded image: x*8 by y*8 dots
        return i + 4 + data[i + 2] * data[i + 3] * 8
    elif cmd == b"(":  # GS ( x pL pH m fn ...
        size, sub = _u16(data, i + 3), data[i + 2:i + 3]
        body = data[i + 5:i + 5 + size]
        if sub == b"L" and len(body) >= 2:
            _graphics(body, st, items, flush)
        elif sub == b"k" and len(body) >= 2 and body[0] == 49:  # cn 49: QR code
            _qr(body, st, items, flush)
        return i + 5 + size
    elif cmd == b"8":  # GS 8 L p1..p4 m fn ...: 4-byte length
        return i + 7 + int.from_bytes(data[i + 3:i + 7], "little")
    return i + 2 + GS_FIXED.get(cmd, 0)


def _graphics(body: bytes, st, items, flush):
    """GS ( L: fn 112 stores a raster in the print buffer, fn 50 prints it."""
    fn = body[1]
    if fn in (112, 0x70) and len(body) >= 10 and body[5] in (1, 49):  # monochrome
        w, h = _u16(body, 6), _u16(body, 8)
        st.graphics = (w, h, body[10:])
    elif fn in (2, 50) and getattr(st, "graphics", None):
        flush(False)
        items.append(_raster(*st.graphics, st))


def _qr(body: bytes, st, items, flush):
    """GS ( k cn=49: fn 67 module size, fn 80 store the data (after m=48), fn 81 print it."""
    fn = body[1]
    if fn == 67 and len(body) >= 3:
        st.qr_module = body[2]
    elif fn == 80:
        st.qr_data = body[3:]
    elif fn == 81 and getattr(st, "qr_data", None) is not None:
        flush(False)
        text = st.qr_data.decode("utf-8", "replace")
        items.append(Printed("qr", f"[QR {text}]", st.align, symbology="QR", data=text,
                             width=getattr(st, "qr_module", 3)))


def _fs(data, i) -> int:
    cmd = data[i + 1:i + 2]
    if cmd == b"p":  # FS p n m: print NV image
        return i + 4
    if cmd == b"(":
        return i + 5 + _u16(data, i + 3)
    return i + 2 + {b"!": 1, b"-": 1, b"C": 1, b"S": 2, b"W": 1, b"2": 74}.get(cmd, 0)


def decoded_text(items: list[Printed]) -> str:
    """Plain text of what was printed (barcodes as [CODE128 data])."""
    return "\n".join(p.text for p in items if p.kind in ("text", "barcode", "qr"))
