"""Labels: barcodes as PNG or SVG (python-barcode) and shelf labels as PNG (Pillow).

Glossary: étiquette = label, étiquette de rayon = shelf label, prix au kilo = unit price per kg.

    png = render_barcode("EAN13", "0697929110035", "png")     # bytes; LabelError (French) if refused
    svg = render_barcode("CODE128", "CAISSE1-000042", "svg")
    png = render_shelf_label(label)                            # any object with the ShelfLabel fields

python-barcode silently replaces a wrong EAN check digit (and silently adds a missing one). We never
let it: `check_code` validates the whole code first with its own mod-10 (drivers import nothing of
ours), and refuses a code given without its check digit. Codes stay strings: leading zeros kept.
"""
from __future__ import annotations

from .codes import LabelError, check_code, ean_check_digit
from .barcodes import FORMATS, render_barcode
from .shelf import render_shelf_label

__all__ = ["LabelError", "check_code", "ean_check_digit", "FORMATS", "render_barcode", "render_shelf_label"]
