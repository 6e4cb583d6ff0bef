"""Shelf labels on A4 sheets as a PDF (Pillow): 3 × 7 labels of 68 × 38 mm per page, centred, for
plain paper cut along the thin frame every label has (drivers.labels.shelf draws it).

Duck-typed like render_shelf_label: any objects with the ShelfLabel fields.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Sequence

from PIL import Image

from .shelf import DPI, render_shelf_label

A4_MM = (210, 297)
LABEL_MM = (68, 38)
COLUMNS, ROWS = 3, 7


def _px(mm: float) -> int:
    return round(mm * DPI / 25.4)


def label_sheet_pages(labels: Sequence) -> list[Image.Image]:
    """One greyscale A4 image per page of labels."""
    page_w, page_h = _px(A4_MM[0]), _px(A4_MM[1])
    w, h = _px(LABEL_MM[0]), _px(LABEL_MM[1])
    left, top = (page_w - COLUMNS * w) // 2, (page_h - ROWS * h) // 2
    pages = []
    per_page = COLUMNS * ROWS
    for start in range(0, len(labels), per_page):
        page = Image.new("L", (page_w, page_h), 255)
        for i, label in enumerate(labels[start:start + per_page]):
            img = Image.open(io.BytesIO(render_shelf_label(label, LABEL_MM))).convert("L")
            row, col = divmod(i, COLUMNS)
            page.paste(img, (left + col * w, top + row * h))
        pages.append(page)
    return pages


def write_label_sheet(labels: Sequence, path) -> int:
    """Write the labels as an A4 PDF at `path`; returns the number of pages."""
    pages = label_sheet_pages(list(labels))
    if not pages:
        return 0
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pages[0].save(str(path), "PDF", resolution=DPI, save_all=True, append_images=pages[1:])
    return len(pages)
