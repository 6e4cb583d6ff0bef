"""Barcode images through python-barcode, after our own validation (see codes.check_code)."""
from __future__ import annotations

import io

from barcode import EAN8, EAN13, Code128
from barcode.writer import ImageWriter, SVGWriter

from .codes import LabelError, check_code

FORMATS = ("png", "svg")
_CLASSES = {"EAN13": EAN13, "EAN8": EAN8, "CODE128": Code128}
# Sizes in millimetres: 0.33 mm modules are EAN's nominal X-dimension (magnification 100 %).
OPTIONS = {"module_width": 0.33, "module_height": 15.0, "quiet_zone": 3.0, "font_size": 10,
           "text_distance": 4.0}


def make_symbol(symbology: str, data: str, writer):
    """A python-barcode object for a validated code; its full code is checked to be ours exactly."""
    sym = str(symbology).upper().replace("-", "").replace("_", "")
    data = check_code(sym, data)
    if sym == "CODE128":
        symbol = Code128(data, writer=writer)
    else:  # the check digit is ours and already verified: python-barcode must not compute its own
        symbol = _CLASSES[sym](data, writer=writer, no_checksum=True)
    if symbol.get_fullcode() != data:  # never draw a code other than the one we were given
        raise LabelError(f"code-barres {sym} {data} : la bibliothèque le dessinerait comme "
                         f"{symbol.get_fullcode()}, refusé")
    return symbol


def render_barcode(symbology: str, data: str, fmt: str = "png", dpi: int = 300, text: bool = True) -> bytes:
    """PNG or SVG bytes of one barcode, with the human-readable digits under it unless text=False."""
    fmt = str(fmt).lower()
    if fmt not in FORMATS:
        raise LabelError(f"format d'image « {fmt} » non pris en charge (png, svg)")
    writer = ImageWriter(format="PNG", dpi=dpi) if fmt == "png" else SVGWriter()
    symbol = make_symbol(symbology, data, writer)
    options = dict(OPTIONS, write_text=text)
    out = io.BytesIO()
    symbol.write(out, options)
    return out.getvalue()


def barcode_image(symbology: str, data: str, dpi: int = 300, module_height: float = 12.0):
    """A Pillow image of one barcode (for composing labels)."""
    symbol = make_symbol(symbology, data, ImageWriter(format="PNG", dpi=dpi))
    return symbol.render(dict(OPTIONS, module_height=module_height))
