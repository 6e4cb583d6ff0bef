"""Shelf label (étiquette de rayon) as a PNG, drawn with Pillow.

The label's content comes from the caller, duck-typed (drivers import nothing of ours): an object
with `title`, `price_text`, `quantity_text`, `unit_price_text`, `barcode_symbology`, `barcode_data`
(commerce.shelf_label.ShelfLabel has them). Nothing is computed here: the unit price is printed as
given. Text that does not fit is wrapped (title, 2 lines at most, then "…") or shrunk, never cut.
"""
from __future__ import annotations

import io
import os

import barcode as _barcode_pkg
from PIL import Image, ImageDraw, ImageFont

from .barcodes import barcode_image
from .codes import LabelError

DPI = 300
SIZE_MM = (70, 40)  # a common shelf-edge label size
_SYSTEM_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
                 "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
_BUNDLED_FONT = os.path.join(os.path.dirname(_barcode_pkg.__file__), "fonts", "DejaVuSansMono.ttf")


def _mm(mm: float) -> int:
    return round(mm * DPI / 25.4)


def _font(size: int, bold: bool = True):
    for path in (_SYSTEM_FONTS if bold else _SYSTEM_FONTS[::-1]) + (_BUNDLED_FONT,):
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _width(draw, text, font) -> int:
    return int(draw.textlength(text, font=font))


def _fit_font(draw, text: str, width: int, size: int, bold: bool = True, smallest: int = 14):
    """The largest font not above `size` in which `text` fits `width` (down to `smallest`)."""
    while size > smallest and _width(draw, text, _font(size, bold)) > width:
        size -= 2
    font = _font(size, bold)
    if _width(draw, text, font) > width:
        raise LabelError(f"texte « {text} » trop long pour l'étiquette")
    return font


def _wrap(draw, text: str, width: int, font, max_lines: int = 2) -> list[str]:
    words, lines, current = text.split(), [], ""
    for word in words:
        trial = f"{current} {word}".strip()
        if _width(draw, trial, font) <= width:
            current = trial
            continue
        if current:
            lines.append(current)
        current = word
        while _width(draw, current, font) > width:  # a single word wider than the label
            cut = len(current) - 1
            while cut > 1 and _width(draw, current[:cut] + "-", font) > width:
                cut -= 1
            lines.append(current[:cut] + "-")
            current = current[cut:]
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and _width(draw, last + "…", font) > width:
            last = last[:-1].rstrip()
        lines = lines[:max_lines - 1] + [last + "…"]
    return lines


def render_shelf_label(label, size_mm: tuple[float, float] = SIZE_MM) -> bytes:
    """PNG bytes of one shelf label: name, price, net quantity, unit price, barcode."""
    w, h = _mm(size_mm[0]), _mm(size_mm[1])
    margin = _mm(2)
    inner = w - 2 * margin
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, w - 1, h - 1), outline=0, width=3)

    y = margin
    title_font = _font(_mm(3.2))
    for line in _wrap(draw, str(label.title), inner, title_font):
        draw.text((margin, y), line, font=title_font, fill=0)
        y += title_font.size + 4

    # bottom-left: barcode; right: the price, big, with the unit price under it (legal mention)
    code = barcode_image(label.barcode_symbology, label.barcode_data, dpi=DPI, module_height=8.0).convert("L")
    code_box_w = min(code.width, int(inner * 0.55))
    if code.width > code_box_w:  # scale down by an integer-friendly factor keeps bars crisp
        code = code.resize((code_box_w, round(code.height * code_box_w / code.width)), Image.NEAREST)
    code_y = h - margin - code.height
    img.paste(code, (margin, code_y))

    right_x = margin + code.width + _mm(2)
    right_w = w - margin - right_x
    price_font = _fit_font(draw, str(label.price_text), right_w, _mm(7))
    small = _mm(2.6)
    details = [t for t in (str(label.quantity_text or ""), str(label.unit_price_text or "")) if t]
    detail_fonts = [_fit_font(draw, t, right_w, small, bold=False) for t in details]
    block_h = price_font.size + sum(f.size + 6 for f in detail_fonts)
    yy = max(y + 4, h - margin - block_h)
    draw.text((right_x + right_w - _width(draw, label.price_text, price_font), yy), label.price_text,
              font=price_font, fill=0)
    yy += price_font.size + 6
    for text, font in zip(details, detail_fonts):
        draw.text((right_x + right_w - _width(draw, text, font), yy), text, font=font, fill=0)
        yy += font.size + 6
    if code_y < y:
        raise LabelError(f"étiquette trop petite pour « {label.title} » et son code-barres")

    out = io.BytesIO()
    img.save(out, format="PNG", dpi=(DPI, DPI))
    return out.getvalue()
