"""Printer profiles: what one model of receipt printer can do.

Built on python-escpos' capability database (escpos/capabilities.json) where a model is listed there,
plus what that database does not say: the code page we pin for French text (PC858 where the printer
has it, for €), the printable dots we lay barcodes and images out in, and whether to trust GS k.

    [printer]
    profile = "generic-80"      # generic-80 | generic-58 | basic-437 | default (see PROFILES)
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

# python encoding name -> ESC/POS code page name as in capabilities.json
CODEPAGE_NAMES = {"cp858": "CP858", "cp437": "CP437", "cp850": "CP850", "cp1252": "CP1252"}


@dataclass(frozen=True)
class Profile:
    name: str
    description: str  # French, shown by `comptoir devices`
    columns: int  # characters per line at Font A (12 x 24 dots)
    columns_b: int  # at Font B (9 x 17 dots)
    dots: int  # printable dots per line
    codepage: str  # python codec of the pinned code page
    codepage_number: int  # n of ESC t n selecting it on this printer
    codepages: tuple[str, ...]  # every code page the printer has (python codec names, known ones)
    raster: bool  # GS v 0
    native_qr: bool  # GS ( k
    native_barcodes: bool  # GS k with m >= 65 (EAN-13, EAN-8, Code128)
    cutter: bool
    escpos_profile: str = ""  # python-escpos profile name it is built on

    def select_codepage(self) -> bytes:
        return b"\x1bt" + bytes([self.codepage_number])


@lru_cache(maxsize=None)
def _escpos_profiles() -> dict:
    """python-escpos' capability database, read once (it loads a 100 kB JSON file)."""
    import json
    from importlib.resources import files

    return json.loads(files("escpos").joinpath("capabilities.json").read_text(encoding="utf-8"))["profiles"]


def _from_escpos(name: str, escpos_name: str, description: str, codepage: str, **ours) -> Profile:
    p = _escpos_profiles()[escpos_name]
    f = p["features"]
    pages = {v.lower(): int(k) for k, v in sorted(p["codePages"].items(), key=lambda kv: -int(kv[0]))
             if v.lower().startswith("cp")}  # lowest number wins for a page listed twice
    if codepage not in pages:
        raise ValueError(f"profile {name}: {escpos_name} has no {codepage}")
    fonts = p["fonts"]
    pixels = p["media"]["width"]["pixels"]
    values = dict(
        columns=fonts["0"]["columns"], columns_b=fonts.get("1", fonts["0"])["columns"],
        dots=pixels if isinstance(pixels, int) else fonts["0"]["columns"] * 12,
        codepage=codepage, codepage_number=pages[codepage], codepages=tuple(sorted(pages)),
        raster=f["bitImageRaster"], native_qr=f["qrCode"], native_barcodes=f["barcodeB"],
        cutter=f["paperPartCut"] or f["paperFullCut"],
    )
    values.update(ours)
    return Profile(name=name, description=description, escpos_profile=escpos_name, **values)


@lru_cache(maxsize=None)
def profiles() -> dict[str, Profile]:
    return {p.name: p for p in (
        # What the encoder always assumed: 42 columns (80 mm at 12-dot characters on 512 dots).
        _from_escpos("default", "default", "ESC/POS générique 80 mm, 42 colonnes", "cp858", dots=512),
        # Epson TM-T20II class: 80 mm, 576 dots, 48 columns.
        _from_escpos("generic-80", "TM-T20II", "ESC/POS 80 mm, 48 colonnes, QR natif, massicot", "cp858"),
        # POS-5890 class: 58 mm, 384 dots, no cutter, no GS ( k. The capability database also marks
        # GS k as unsupported there, so barcodes go as raster images.
        _from_escpos("generic-58", "POS-5890", "ESC/POS 58 mm, 32 colonnes, sans QR natif ni massicot",
                     "cp858"),
        # A printer that only knows PC437 (python-escpos' "simple" profile): no €, so € prints "EUR".
        _from_escpos("basic-437", "simple", "ESC/POS minimal, page PC437 seule (sans €), 42 colonnes",
                     "cp437", dots=504),
    )}


DEFAULT_PROFILE = "default"


def get_profile(name: str | None) -> Profile:
    """The profile called `name`; ValueError in French naming the profiles that exist."""
    table = profiles()
    if name is None:
        return table[DEFAULT_PROFILE]
    if name not in table:
        raise ValueError(f"profil « {name} » inconnu ; profils : " + ", ".join(table))
    return table[name]
