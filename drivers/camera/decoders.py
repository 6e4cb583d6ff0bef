"""Image decoders behind one small interface.

A decoder takes a grayscale image (2-D numpy uint8 array) and returns a list of
``(symbology, text)`` tuples with our symbology names (EAN13, EAN8, UPCA, UPCE, CODE128, CODE39,
CODE93, I25, CODABAR, DATABAR, DATABAR_EXP, QRCODE, …). Barcodes stay strings (leading zeros).

A decoder never raises on an image: a library failure (pyzbar raises ``ValueError`` on an SQ-code,
a wrong array shape…) is appended, in French, to the optional ``problems`` list and the decoder
returns what it found.

Backends: ``ZbarDecoder`` (libzbar through pyzbar's ctypes bindings) and ``ZxingDecoder``
(zxing-cpp). ``Chain`` tries decoders in order and retries on the inverted image and a few rotations
only when the plain pass found nothing.
"""
from __future__ import annotations

from ctypes import POINTER, c_int, c_uint, c_void_p, cast, string_at
from typing import Iterable, Protocol

import numpy as np

Code = tuple[str, str]  # (symbology, text)


class Decoder(Protocol):
    name: str

    def decode(self, gray: np.ndarray, problems: list[str] | None = None) -> list[Code]:
        """Codes found in a grayscale image; never raises on a bad image."""


def _report(problems: list[str] | None, message: str) -> None:
    if problems is not None:
        problems.append(message)


def _as_gray(image: np.ndarray) -> np.ndarray:
    """A C-contiguous 2-D uint8 array (BGR and BGRA frames are converted)."""
    if image.ndim == 3:
        import cv2
        code = cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY
        image = cv2.cvtColor(image, code)
    if image.dtype != np.uint8 or image.ndim != 2:
        raise ValueError(f"image {image.dtype} {image.shape} : attendu une image en niveaux de gris 8 bits")
    return np.ascontiguousarray(image)


def decode_text(raw: bytes) -> str:
    """QR/byte payloads: UTF-8 first (what phones and our own labels write), else ISO-8859-1
    (the QR default character set). Never the Shift-JIS/Big5 guess zbar makes for bytes ≥ 0x80."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


# --------------------------------------------------------------------------------------------- zbar

_ZBAR_CFG_BINARY = 4  # zbar >= 0.23: "don't convert binary data to text" (pyzbar 0.1.9 lacks it)
_ZBAR_QRCODE = 64
_ZBAR_SQCODE = 80
_ZBAR_NAMES = {
    2: "EAN2", 5: "EAN5", 8: "EAN8", 9: "UPCE", 10: "ISBN10", 12: "UPCA", 13: "EAN13", 14: "ISBN13",
    15: "COMPOSITE", 25: "I25", 34: "DATABAR", 35: "DATABAR_EXP", 38: "CODABAR", 39: "CODE39",
    57: "PDF417", 64: "QRCODE", 80: "SQCODE", 93: "CODE93", 128: "CODE128",
}
_BINARY_SYMBOLOGIES = ("QRCODE", "SQCODE")


class ZbarDecoder:
    """libzbar through pyzbar's ctypes wrapper, with raw bytes for QR codes.

    pyzbar.decode() cannot set ZBAR_CFG_BINARY and builds a ZBarOrientation enum that raises
    ValueError on SQ-codes, so we drive the same C functions ourselves. One zbar scanner is kept
    per decoder (not thread-safe: one decoder per thread).
    """

    name = "zbar"

    def __init__(self):
        from pyzbar import wrapper as w
        self._w = w
        self._get_type = w.zbar_function("zbar_symbol_get_type", c_int, POINTER(w.zbar_symbol))
        self._scanner = w.zbar_image_scanner_create()
        w.zbar_image_scanner_set_config(self._scanner, _ZBAR_QRCODE, _ZBAR_CFG_BINARY, 1)
        w.zbar_image_scanner_set_config(self._scanner, _ZBAR_SQCODE, _ZBAR_CFG_BINARY, 1)

    def __del__(self):
        scanner, self._scanner = getattr(self, "_scanner", None), None
        destroy = getattr(getattr(self, "_w", None), "zbar_image_scanner_destroy", None)
        if scanner and callable(destroy):  # at interpreter exit the library may be gone: the OS frees it
            destroy(scanner)

    def decode(self, gray: np.ndarray, problems: list[str] | None = None) -> list[Code]:
        w = self._w
        try:
            gray = _as_gray(gray)
            height, width = gray.shape
            if not width or not height:
                return []
            image = w.zbar_image_create()
            try:
                w.zbar_image_set_format(image, 808466521)  # fourcc 'Y800' (8-bit gray)
                w.zbar_image_set_size(image, c_uint(width), c_uint(height))
                w.zbar_image_set_data(image, cast(gray.ctypes.data, c_void_p), gray.size, None)
                if w.zbar_scan_image(self._scanner, image) < 0:
                    _report(problems, "zbar : format d'image refusé")
                    return []
                codes = []
                symbol = w.zbar_image_first_symbol(image)
                while symbol:
                    kind = self._get_type(symbol)
                    raw = string_at(w.zbar_symbol_get_data(symbol), w.zbar_symbol_get_data_length(symbol))
                    name = _ZBAR_NAMES.get(kind, f"ZBAR_{kind}")
                    text = decode_text(raw) if name in _BINARY_SYMBOLOGIES else raw.decode("utf-8", "replace")
                    codes.append((name, text))
                    symbol = w.zbar_symbol_next(symbol)
                return codes
            finally:
                w.zbar_image_destroy(image)
        except Exception as exc:  # a decoder never crashes the caller on one image
            _report(problems, f"zbar : échec du décodage ({type(exc).__name__} : {exc})")
            return []


class PyzbarDecoder:
    """pyzbar.decode() as shipped (for the measurement only: it raises ValueError on SQ-codes, which
    we catch, and garbles UTF-8 QR text)."""

    name = "pyzbar"

    def decode(self, gray: np.ndarray, problems: list[str] | None = None) -> list[Code]:
        try:
            from pyzbar import pyzbar
            return [(d.type, d.data.decode("utf-8", "replace")) for d in pyzbar.decode(_as_gray(gray))]
        except Exception as exc:
            _report(problems, f"pyzbar : échec du décodage ({type(exc).__name__} : {exc})")
            return []


# ---------------------------------------------------------------------------------------- zxing-cpp

_ZXING_NAMES = {
    "EAN13": "EAN13", "EAN8": "EAN8", "UPCA": "UPCA", "UPCE": "UPCE", "EAN2": "EAN2", "EAN5": "EAN5",
    "ISBN": "ISBN13", "Code128": "CODE128", "Code39": "CODE39", "Code39Std": "CODE39",
    "Code39Ext": "CODE39", "Code93": "CODE93", "ITF": "I25", "ITF14": "I25", "Codabar": "CODABAR",
    "DataBar": "DATABAR", "DataBarOmni": "DATABAR", "DataBarStk": "DATABAR", "DataBarStkOmni": "DATABAR",
    "DataBarExp": "DATABAR_EXP", "DataBarExpStk": "DATABAR_EXP", "DataBarExpanded": "DATABAR_EXP",
    "DataBarLtd": "DATABAR_LTD", "DataBarLimited": "DATABAR_LTD", "QRCode": "QRCODE",
    "QRCodeModel1": "QRCODE", "QRCodeModel2": "QRCODE", "MicroQRCode": "MICROQR", "RMQRCode": "RMQR",
    "PDF417": "PDF417", "CompactPDF417": "PDF417", "MicroPDF417": "MICROPDF417", "Aztec": "AZTEC",
    "AztecCode": "AZTEC", "AztecRune": "AZTEC", "DataMatrix": "DATAMATRIX", "MaxiCode": "MAXICODE",
}


class ZxingDecoder:
    """zxing-cpp. Its own rotation/inversion/downscale tries are switched by the flags (a ``Chain``
    can do inversion and rotations itself, for either backend)."""

    name = "zxing"

    def __init__(self, try_rotate: bool = True, try_invert: bool = True, try_downscale: bool = True):
        import zxingcpp
        self._zx = zxingcpp
        self._opts = dict(try_rotate=try_rotate, try_invert=try_invert, try_downscale=try_downscale,
                          text_mode=zxingcpp.TextMode.Plain)

    def decode(self, gray: np.ndarray, problems: list[str] | None = None) -> list[Code]:
        try:
            results = self._zx.read_barcodes(_as_gray(gray), **self._opts)
            codes = []
            for r in results:
                fmt = getattr(r.format, "name", str(r.format))
                name = _ZXING_NAMES.get(fmt, fmt.upper())
                text = r.text
                if name == "QRCODE":
                    text = _zxing_qr_text(r)
                codes.append((name, text))
            return codes
        except Exception as exc:
            _report(problems, f"zxing-cpp : échec du décodage ({type(exc).__name__} : {exc})")
            return []


def _zxing_qr_text(result) -> str:
    """UTF-8 first for QR payloads (zxing guesses the charset when no ECI is given)."""
    if result.symbology_identifier in ("]Q2", "]Q4", "]Q6"):  # ECI present: the charset is stated
        return result.text
    raw = bytes(result.bytes)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return result.text


# -------------------------------------------------------------------------------------------- chain

ROTATIONS = (45, -45, 90)
UPSCALE_BELOW = 640


class Chain:
    """Decoders tried in order until one finds something, on the plain image; then, only if nothing
    was found, the same on the inverted image and on a few rotations.

    ``invert``/``rotations`` turn the retries on or off. ``first_pass`` and ``retries`` let the
    camera pipeline run the cheap part on every frame and the rest on a budget.
    """

    def __init__(self, decoders: Iterable[Decoder], invert: bool = True,
                 rotations: tuple[int, ...] = ROTATIONS, name: str | None = None):
        self.decoders = list(decoders)
        self.invert = invert
        self.rotations = tuple(rotations)
        retries = ("+inv" if invert else "") + ("+rot" if self.rotations else "")
        self.name = name or ">".join(d.name for d in self.decoders) + retries

    def decode(self, gray: np.ndarray, problems: list[str] | None = None) -> list[Code]:
        return self.first_pass(gray, problems) or self.retries(gray, problems)

    def first_pass(self, gray: np.ndarray, problems: list[str] | None = None) -> list[Code]:
        """The first decoder on the image as given: the cheap pass a camera runs on every frame."""
        try:
            gray = _as_gray(gray)
        except Exception as exc:
            _report(problems, f"image illisible ({exc})")
            return []
        return _unique(self.decoders[0].decode(gray, problems))

    def retries(self, gray: np.ndarray, problems: list[str] | None = None) -> list[Code]:
        """Everything after the first pass: the other decoders, then all of them on the inverted
        image and on each rotation, until something is found."""
        try:
            gray = _as_gray(gray)
        except Exception as exc:
            _report(problems, f"image illisible ({exc})")
            return []
        if gray.size == 0:
            return []
        codes = self._first(gray, problems, self.decoders[1:])
        if codes:
            return codes
        try:
            if self.invert:
                codes = self._first(255 - gray, problems)
                if codes:
                    return codes
            for angle in self.rotations:
                codes = self._first(rotate(gray, angle), problems)
                if codes:
                    return codes
        except Exception as exc:  # an OpenCV error on an odd image is reported, never raised
            _report(problems, f"retournement ou rotation impossible ({type(exc).__name__} : {exc})")
        return []

    def _first(self, gray: np.ndarray, problems: list[str] | None, decoders=None) -> list[Code]:
        for decoder in self.decoders if decoders is None else decoders:
            codes = decoder.decode(gray, problems)
            if codes:
                return _unique(codes)
        return []


def _unique(codes: list[Code]) -> list[Code]:
    seen, out = set(), []
    for c in codes:
        if c not in seen:
            seen.add(c)
            out.append(c)
    return out


def rotate(gray: np.ndarray, angle: float) -> np.ndarray:
    """The image turned by `angle` degrees on a canvas big enough to keep all of it (border in the
    image's edge colour, so that the quiet zone of a code near the edge survives).

    Small images (longest side under `UPSCALE_BELOW`) are enlarged twice first: interpolating a
    1-pixel bar at 45° blurs it enough for zxing-cpp to misread an EAN-13 with a valid check digit
    (seen on zbar-examples/ean-13.png turned by -45° and back)."""
    import cv2
    if angle % 360 == 90:
        return np.ascontiguousarray(cv2.rotate(gray, cv2.ROTATE_90_COUNTERCLOCKWISE))
    if max(gray.shape) < UPSCALE_BELOW:
        gray = cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos + 0.5), int(h * cos + w * sin + 0.5)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    border = int(np.median(gray[[0, -1], :])) if gray.size else 255
    return cv2.warpAffine(gray, m, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=border)


def make(name: str) -> Decoder:
    """A decoder or chain by name, as used by the measurement and the configuration:
    ``zbar``, ``pyzbar``, ``zxing``, ``zxing-fast`` (no internal retries), or a chain such as
    ``zxing>zbar+inv+rot`` (decoders joined by ``>``; ``+inv`` and ``+rot`` add the retries)."""
    base, *flags = name.split("+")
    unknown = set(flags) - {"inv", "rot"}
    if unknown:
        raise ValueError(f"décodeur « {name} » : option « +{sorted(unknown)[0]} » inconnue (+inv, +rot)")
    parts = []
    for part in base.split(">"):
        if part == "zbar":
            parts.append(ZbarDecoder())
        elif part == "pyzbar":
            parts.append(PyzbarDecoder())
        elif part == "zxing":
            parts.append(ZxingDecoder())
        elif part == "zxing-fast":
            d = ZxingDecoder(try_rotate=False, try_invert=False, try_downscale=False)
            d.name = "zxing-fast"
            parts.append(d)
        else:
            raise ValueError(f"décodeur « {part} » inconnu (zbar, pyzbar, zxing, zxing-fast)")
    if len(parts) == 1 and not flags:
        return parts[0]
    return Chain(parts, invert="inv" in flags, rotations=ROTATIONS if "rot" in flags else (), name=name)
