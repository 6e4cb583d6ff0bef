"""Shared helpers for the camera tests (imported by name; not a pytest conftest)."""

from shared_data import SHARED_DATA

import numpy as np

DATA = SHARED_DATA / "barcodes"
ZBAR = DATA / "zbar-examples"
FALSEPOS = DATA / "zxing-cpp-samples" / "falsepositives-1"
CAFE = "Café 12,50 €"


def utf8_qr() -> np.ndarray:
    """A QR code holding `Café 12,50 €` as UTF-8 bytes, without ECI (what phones and most
    generators write), drawn by the qrcode package."""
    import qrcode
    qr = qrcode.QRCode(box_size=6, border=4)
    qr.add_data(CAFE.encode("utf-8"))
    qr.make()
    return np.array(qr.make_image().get_image().convert("L"))


def inverted_ean13() -> np.ndarray:
    import cv2
    return 255 - cv2.imread(str(ZBAR / "ean-13.png"), cv2.IMREAD_GRAYSCALE)
