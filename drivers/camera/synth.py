"""Synthetic camera frames for the simulator, the tests and the bench: an EAN-13 drawn by us
(no library), placed on a textured grey background such as a counter camera sees."""
from __future__ import annotations

import numpy as np

_L = ("0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011",
      "0110111", "0001011")
_G = tuple(p.translate(str.maketrans("01", "10"))[::-1] for p in _L)
_R = tuple(p.translate(str.maketrans("01", "10")) for p in _L)
_PARITY = ("LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL",
           "LGGLGL")


def ean13_check(digits12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits12))
    return str((10 - total % 10) % 10)


def ean13_modules(code: str) -> str:
    """The 95 modules (1 = bar) of an EAN-13; the check digit must be right."""
    if len(code) != 13 or not code.isdigit() or ean13_check(code[:12]) != code[12]:
        raise ValueError(f"EAN-13 « {code} » invalide (13 chiffres, clé de contrôle juste)")
    parity = _PARITY[int(code[0])]
    left = "".join((_L if p == "L" else _G)[int(d)] for p, d in zip(parity, code[1:7]))
    right = "".join(_R[int(d)] for d in code[7:])
    return "101" + left + "01010" + right + "101"


def ean13_image(code: str, module: int = 3, height: int = 180, quiet: int = 11) -> np.ndarray:
    """A white label with the code: `module` pixels per module, `quiet` modules of margin."""
    bars = np.array([c == "1" for c in ean13_modules(code)])
    row = np.where(np.repeat(bars, module), 0, 255).astype(np.uint8)
    pad = np.full(quiet * module, 255, np.uint8)
    row = np.concatenate([pad, row, pad])
    label = np.tile(row, (height, 1))
    return np.pad(label, ((quiet * module // 2,) * 2, (0, 0)), constant_values=255)


def ean13_frame(code: str | None, size: tuple[int, int] = (1280, 720), seed: int = 0,
                at: tuple[int, int] | None = None, module: int = 3) -> np.ndarray:
    """A grayscale `size` (width, height) frame: textured background, noise, and the label
    centred (or at `at`, top-left) when `code` is given."""
    width, height = size
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    frame = 110 + 30 * np.sin(x / 53.0) * np.cos(y / 71.0)
    if code is not None:
        label = ean13_image(code, module=module).astype(np.float64) * 0.8 + 25  # print and light
        lh, lw = label.shape
        top, left = at if at is not None else ((height - lh) // 2, (width - lw) // 2)
        frame[top:top + lh, left:left + lw] = label
    # optics blur, then sensor noise smoothed by the camera's processing and compression
    import cv2
    frame = cv2.GaussianBlur(frame, (3, 3), 0.8)
    frame += cv2.GaussianBlur(rng.normal(0, 6, (height, width)), (3, 3), 0.8)
    return np.clip(frame, 0, 255).astype(np.uint8)
