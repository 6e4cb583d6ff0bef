"""Camera barcode scanner (opencv frames, zxing-cpp and zbar decoders).

    decode_image(gray) -> [(symbology, text)]         still images (scan-image): the whole chain
    CameraScanner(...).scan(frames) -> ScanEvent…     camera frames, one event per physical scan
    open_frames("camera://0" | "camera:///video.mp4" | folder | [images])

Decoders: drivers.camera.decoders (make("zxing>zbar+inv+rot")…); accuracy report and how the
default was chosen: docs/decoding.md (python -m drivers.camera.measure).
"""
from __future__ import annotations

from .decoders import Chain, Code, Decoder, ZbarDecoder, ZxingDecoder, make
from .frames import ImageError, ImageFrames, VideoFrames, load_gray, open_frames
from .pipeline import DEFAULT_CHAIN, CameraScanner, ScanEvent

_image_decoder = None


def decode_image(gray, problems: list[str] | None = None) -> list[Code]:
    """Codes in a still image: the default chain, retries included (no frame budget here)."""
    global _image_decoder
    if _image_decoder is None:
        _image_decoder = make(DEFAULT_CHAIN)
    return _image_decoder.decode(gray, problems)


__all__ = ["CameraScanner", "Chain", "Code", "DEFAULT_CHAIN", "Decoder",
           "ImageError", "ImageFrames", "ScanEvent", "VideoFrames", "ZbarDecoder", "ZxingDecoder",
           "decode_image", "load_gray", "make", "open_frames"]
