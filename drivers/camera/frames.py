"""Frame sources: a camera (camera://0), a video file (camera:///path/video.mp4), or image files
(a folder or a list, for the simulator and the tests). Each yields grayscale frames (2-D uint8).

Image files are read with OpenCV, and with Pillow for what OpenCV cannot read (GIF…).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from drivers.uri import DeviceError, parse_uri

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".pgm", ".ppm")


class ImageError(Exception):
    """An image file that cannot be read, with a French message naming the file."""


def _to_gray(image: np.ndarray) -> np.ndarray:
    """Any decoded image -> 8-bit gray; transparency is laid on white paper (transparent PNG
    labels read as black otherwise, and the bars disappear)."""
    import cv2
    if image.dtype != np.uint8:
        image = cv2.convertScaleAbs(image, alpha=255.0 / max(1, int(image.max())))
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        alpha = image[:, :, 3:4].astype(np.float32) / 255.0
        image = (image[:, :, :3].astype(np.float32) * alpha + 255.0 * (1 - alpha)).astype(np.uint8)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def load_gray(path: str | os.PathLike) -> np.ndarray:
    """The image file as a 2-D uint8 array; ImageError (French) if missing or not an image."""
    import cv2
    p = Path(path)
    if not p.exists():
        raise ImageError(f"{p} : fichier introuvable")
    if p.is_dir():
        raise ImageError(f"{p} : c'est un dossier, pas une image")
    try:
        data = np.fromfile(p, dtype=np.uint8)
    except OSError as exc:
        raise ImageError(f"{p} : lecture impossible ({exc.strerror or exc})") from None
    if data.size == 0:
        raise ImageError(f"{p} : fichier vide")
    _quiet_opencv()
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    gray = None if image is None else _to_gray(image)
    if gray is None:
        try:
            from PIL import Image
            with Image.open(p) as im:
                gray = np.asarray(im.convert("L"))
        except Exception:
            raise ImageError(f"{p} : ce n'est pas une image lisible (PNG, JPEG, WebP, BMP, GIF…)") from None
    return np.ascontiguousarray(gray)


def _quiet_opencv() -> None:
    """OpenCV logs decoder failures on stderr; we report them ourselves (ImageError)."""
    import cv2
    try:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    except AttributeError:
        pass


def image_files(folder: str | os.PathLike) -> list[Path]:
    """The images of a folder, sorted by name."""
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


class ImageFrames:
    """Frames from image files (each file once, or `repeat` times in a row, as a camera would see a
    still code). Unreadable files are skipped and listed in `problems`."""

    def __init__(self, paths: Iterable[str | os.PathLike] | str | os.PathLike, repeat: int = 1,
                 fps: float = 30.0):
        if isinstance(paths, (str, os.PathLike)) and Path(paths).is_dir():
            paths = image_files(paths)
        elif isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        self.paths = [Path(p) for p in paths]
        self.repeat = max(1, repeat)
        self.fps = fps  # nominal: frame times are index / fps
        self.problems: list[str] = []

    def __iter__(self) -> Iterator[np.ndarray]:
        for p in self.paths:
            try:
                gray = load_gray(p)
            except ImageError as exc:
                self.problems.append(str(exc))
                continue
            for _ in range(self.repeat):
                yield gray

    def close(self) -> None:
        pass


class VideoFrames:
    """Frames from cv2.VideoCapture: a camera index or a video file. `fps` is the file's frame rate
    (frame times are then index / fps) and None for a live camera (frame times from the clock)."""

    def __init__(self, source: int | str, width: int = 0, height: int = 0):
        import cv2
        self.source = source
        self._cap = cv2.VideoCapture(source)
        if not self._cap.isOpened():
            self._cap.release()
            if isinstance(source, int):
                raise DeviceError(f"caméra {source} : introuvable ou déjà utilisée par un autre programme")
            if not Path(source).exists():
                raise DeviceError(f"vidéo {source} : fichier introuvable", "config")
            raise DeviceError(f"vidéo {source} : format illisible")
        fps = self._cap.get(cv2.CAP_PROP_FPS) if not isinstance(source, int) else 0
        self.fps = fps if fps and fps > 0 else None
        if width and height:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)

    def __iter__(self) -> Iterator[np.ndarray]:
        import cv2
        while self._cap is not None:
            ok, frame = self._cap.read()
            if not ok:
                return
            yield frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def open_frames(source: str | os.PathLike | Iterable, **kwargs):
    """A frame source from a camera URI (camera://0, camera:///path/video.mp4 — a folder or an image
    file there gives image frames), a folder, an image path, or a list of image paths."""
    if isinstance(source, str) and "://" in source:
        uri = parse_uri(source, allowed=("camera",))
        if uri.index >= 0:
            return VideoFrames(uri.index, **kwargs)
        path = Path(uri.path)
        if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
            if not path.exists():
                raise DeviceError(f"caméra simulée {path} : introuvable", "config")
            return ImageFrames(path, **kwargs)
        return VideoFrames(str(path))
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
            return ImageFrames(path, **kwargs)
        return VideoFrames(str(path))
    return ImageFrames(source, **kwargs)
