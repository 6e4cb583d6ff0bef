"""A receipt printer on disk: each job's exact bytes as NNNN.bin and a PNG preview NNNN.png,
drawn from the decoded bytes (so the preview shows what the bytes say, not what we meant)."""
from __future__ import annotations

import importlib.util
import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ..escpos_decode import Printed, decode
from . import PaperOut, PrinterOffline, ReceiptPrinter
from .status import PrinterStatus

CELL_W, CELL_H = 12, 24  # font A: 12 x 24 dots, so columns * 12 = printable dots
MARGIN = CELL_W  # paper beyond the printable area, each side
BAR_MODULE, BAR_HEIGHT = 2, 80
FAILURES = {
    "paper_out": (PaperOut, "Plus de papier : remettez un rouleau puis relancez l'impression."),
    "offline": (PrinterOffline, "Imprimante injoignable (simulateur) : imprimante hors ligne."),
}


def paper_width(columns: int) -> int:
    return (columns + 2) * CELL_W


@lru_cache(maxsize=None)
def _font_path() -> str | None:
    """Kivy's RobotoMono, found without importing kivy (no window stack); else DejaVu Sans Mono."""
    spec = importlib.util.find_spec("kivy")
    candidates = [Path(p) / "data/fonts/RobotoMono-Regular.ttf"
                  for p in (spec.submodule_search_locations or [])] if spec else []
    candidates.append(Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"))
    return next((str(p) for p in candidates if p.exists()), None)


@lru_cache(maxsize=None)
def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _font_path()
    if path is None:
        return ImageFont.load_default(size=20)
    probe = ImageFont.truetype(path, 100)
    return ImageFont.truetype(path, int(100 * CELL_W / probe.getlength("0")))  # advance = 12 px


def _text_image(text: str, bold: bool) -> Image.Image:
    img = Image.new("L", (max(1, len(text)) * CELL_W, CELL_H), 255)
    # monospace: one glyph per cell, so a wide fallback glyph cannot shift the columns
    draw = ImageDraw.Draw(img)
    for k, ch in enumerate(text):
        draw.text((k * CELL_W + CELL_W / 2, CELL_H / 2), ch, fill=0, font=_font(), anchor="mm",
                  stroke_width=1 if bold else 0, stroke_fill=0)
    return img


def _bars(item: Printed) -> Image.Image:
    import barcode  # python-barcode computes the module pattern

    name = {"CODE128": "code128", "EAN13": "ean13", "EAN8": "ean8"}.get(item.symbology)
    try:
        modules = "".join(barcode.get_barcode_class(name)(item.data).build())
    except Exception:  # unknown symbology or data python-barcode refuses: show a plain box
        modules = ""
    width = max(len(modules) * BAR_MODULE, 40 * CELL_W // 4)
    img = Image.new("L", (width, BAR_HEIGHT + CELL_H + 4), 255)
    draw = ImageDraw.Draw(img)
    if modules:
        for k, m in enumerate(modules):
            if m == "1":
                draw.rectangle([k * BAR_MODULE, 0, (k + 1) * BAR_MODULE - 1, BAR_HEIGHT - 1], fill=0)
    else:
        draw.rectangle([0, 0, width - 1, BAR_HEIGHT - 1], outline=0, width=2)
    hri = _text_image(item.data, False)
    img.paste(hri, ((width - hri.width) // 2, BAR_HEIGHT + 4))
    return img


def _raster(item: Printed) -> Image.Image:
    w, h = item.size
    stride = (w + 7) // 8
    bits = item.bits[:stride * h].ljust(stride * h, b"\x00")
    # PIL's "1" mode reads 1 as white: invert so 1 stays a black dot
    img = Image.frombytes("1", (stride * 8, h), bytes(255 - b for b in bits))
    return img.crop((0, 0, w, h)).convert("L")


def _qr(item: Printed) -> Image.Image:
    import qrcode

    qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(item.data.encode("utf-8"))
    qr.make(fit=True)
    m = qr.get_matrix()
    module = max(1, item.width)
    img = Image.new("L", (len(m) * module, len(m) * module), 255)
    draw = ImageDraw.Draw(img)
    for y, row in enumerate(m):
        for x, dot in enumerate(row):
            if dot:
                draw.rectangle([x * module, y * module, (x + 1) * module - 1, (y + 1) * module - 1], fill=0)
    return img


def render_png(data: bytes, columns: int, path: Path) -> None:
    width, printable = paper_width(columns), columns * CELL_W
    pieces: list[tuple[str, Image.Image | None, str]] = []
    for item in decode(data, columns):
        if item.kind == "text":
            img = _text_image(item.text, item.bold)
            if item.width > 1 or item.height > 1:
                img = img.resize((img.width * item.width, img.height * item.height), Image.NEAREST)
            pieces.append((item.align, img if item.text else Image.new("L", (1, CELL_H), 255), ""))
        elif item.kind == "barcode":
            pieces.append((item.align, _bars(item), ""))
        elif item.kind == "qr":
            pieces.append((item.align, _qr(item), ""))
        elif item.kind == "image":
            pieces.append((item.align, _raster(item), ""))
        elif item.kind == "cut":
            pieces.append(("", None, "cut"))
        elif item.kind == "drawer":
            pieces.append(("center", _text_image("[ouverture tiroir]", False), ""))
    height = CELL_H + sum(p[1].height if p[1] else CELL_H for p in pieces) + CELL_H
    paper = Image.new("L", (width, height), 255)
    draw, y = ImageDraw.Draw(paper), CELL_H
    for align, img, mark in pieces:
        if mark == "cut":  # dashed line where the cutter goes
            for x in range(0, width, 12):
                draw.line([(x, y + CELL_H // 2), (x + 6, y + CELL_H // 2)], fill=128, width=2)
            y += CELL_H
            continue
        free = max(0, printable - img.width)
        x = MARGIN + {"center": free // 2, "right": free}.get(align, 0)
        paper.paste(img, (x, y))
        y += img.height
    paper.save(path)


class SimulatedPrinter(ReceiptPrinter):
    """Same interface as a real printer. `fail_with` = "paper_out" | "offline" makes it fail
    (set it back to None, then retry()), to show that a sale survives a printer problem."""

    def __init__(self, out_dir, columns: int | None = None, fail_with: str | None = None, **kwargs):
        super().__init__(columns=columns, **kwargs)
        self.drawer_is_open = False  # the simulated drawer: opened by a pulse, closed by close_drawer()
        if fail_with not in (None, *FAILURES):
            raise ValueError(f"fail_with « {fail_with} » inconnu : paper_out ou offline")
        self.out_dir = Path(out_dir)
        self.fail_with = fail_with
        self.drawer_openings = 0
        self.last_job: Path | None = None  # the last NNNN.bin written

    def _fail(self, when: tuple[str, ...]) -> None:
        if self.fail_with in when:
            error, message = FAILURES[self.fail_with]
            raise error(message)

    def _next_number(self) -> int:
        numbers = [int(p.stem) for p in self.out_dir.glob("*.bin") if re.fullmatch(r"\d{4,}", p.stem)]
        return max(numbers, default=0) + 1

    def _send(self, data: bytes) -> None:
        self._fail(("paper_out", "offline"))
        self.out_dir.mkdir(parents=True, exist_ok=True)
        stem = f"{self._next_number():04d}"
        bin_path = self.out_dir / f"{stem}.bin"
        bin_path.write_bytes(data)  # the bytes first: the preview is only a convenience
        render_png(data, self.columns, self.out_dir / f"{stem}.png")
        self.last_job = bin_path

    def _pulse(self, data: bytes) -> None:
        self._fail(("offline",))  # the drawer hangs on the printer, but needs no paper
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.drawer_openings += 1
        self.drawer_is_open = True
        with open(self.out_dir / "drawer.log", "a", encoding="utf-8") as log:
            log.write(f"{datetime.now().isoformat(timespec='seconds')} {data.hex(' ')}\n")

    def close_drawer(self) -> None:
        """The student pushes the drawer shut."""
        self.drawer_is_open = False

    def _status(self) -> PrinterStatus:
        self._fail(("offline",))
        pin3_high = self.drawer_is_open == (self.drawer_open_level == "high")
        out = self.fail_with == "paper_out"
        return PrinterStatus(online=not out, cover_open=False, paper_near_end=out, paper_out=out,
                             error=False, drawer_pin3_high=pin3_high)
