"""Printer blocks beyond the receipt's Text / Barcode / Cut (commerce/receipt.py).

The encoder reads blocks by class name, so commerce never imports drivers and drivers never import
commerce. These are the blocks only the drivers' tools (test receipt, logo) produce.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class QRCode:
    data: str
    module: int = 6  # dots per QR module (GS ( k size, or raster box size)


@dataclass(frozen=True)
class Image:
    """A picture: a file path or a PIL image. Printed as a raster, scaled down to the paper."""

    source: Any
    align: str = "center"


@dataclass(frozen=True)
class Init:
    """ESC @ mid-job (it resets the printer, so the encoder selects the code page again)."""


@dataclass(frozen=True)
class Feed:
    lines: int = 1


# The same shapes as commerce/receipt.py's blocks, for receipts the drivers make themselves
# (the test receipt): the encoder reads blocks by class name.
@dataclass(frozen=True)
class Text:
    text: str
    align: str = "left"
    bold: bool = False
    double: bool = False


@dataclass(frozen=True)
class Barcode:
    symbology: str  # CODE128 | EAN13 | EAN8
    data: str


@dataclass(frozen=True)
class Cut:
    pass
