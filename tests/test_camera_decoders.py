"""Decoders: our symbology names, strings with leading zeros, UTF-8 QR text, inverted and rotated
codes found by the retries, and no crash on any image."""
import numpy as np
import pytest

from drivers.camera import decode_image, load_gray, make
from drivers.camera.decoders import rotate

from camera_support import CAFE, ZBAR, inverted_ean13, utf8_qr


@pytest.mark.parametrize("name", ["zbar", "zxing", "zxing-fast", "zxing-fast>zbar+inv+rot"])
def test_utf8_qr_text_comes_back_right(name):
    assert make(name).decode(utf8_qr()) == [("QRCODE", CAFE)]


def test_shipped_pyzbar_garbles_utf8_qr_which_is_why_we_read_raw_bytes():
    got = make("pyzbar").decode(utf8_qr())
    assert got and got[0][1] != CAFE and got[0][1].startswith("Caf")


def test_default_chain_reads_the_utf8_qr():
    assert decode_image(utf8_qr()) == [("QRCODE", CAFE)]


@pytest.mark.parametrize("file,expected", [
    ("ean-13.png", ("EAN13", "9789876543217")),
    ("ean-8.png", ("EAN8", "98765430")),
    ("code-upc-a.png", ("EAN13", "0987654321012")),  # UPC-A as GTIN-13: the leading zero is kept
    ("code-128.png", ("CODE128", "https://github.com/mchehab/zbar")),
    ("code-39.png", ("CODE39", "ZBAR-9876543210")),
    ("code-93.png", ("CODE93", "ZBAR-9876543210")),
    ("i2-5.png", ("I25", "9876543210")),
    ("databar.png", ("DATABAR", "0198765432109879")),
    ("databar-exp.png", ("DATABAR_EXP", "019876543210987905012345")),
    ("codabar.png", ("CODABAR", "A9876543210B")),
    ("qr-code.png", ("QRCODE", "https://github.com/mchehab/zbar")),
    ("qr-code-inverted.png", ("QRCODE", "https://github.com/mchehab/zbar")),
])
@pytest.mark.parametrize("name", ["zbar+inv+rot", "zxing", "zxing-fast>zbar+inv+rot"])
def test_zbar_examples_with_our_names(name, file, expected):
    assert make(name).decode(load_gray(ZBAR / file)) == [expected]


def test_inverted_ean13_needs_the_inversion_retry():
    img = inverted_ean13()
    assert make("zbar").decode(img) == []  # zbar alone finds nothing on white-on-black
    assert make("zbar+inv").decode(img) == [("EAN13", "9789876543217")]
    assert decode_image(img) == [("EAN13", "9789876543217")]


@pytest.mark.parametrize("angle", [45, -45])
def test_45_degree_ean13_found_by_the_rotation_retry(angle):
    img = rotate(load_gray(ZBAR / "ean-13.png"), angle)
    assert make("zbar").decode(img) == []  # zbar's scan lines are horizontal and vertical only
    assert make("zxing-fast").decode(img) == []
    assert decode_image(img) == [("EAN13", "9789876543217")]


@pytest.mark.parametrize("angle", [30, 90, 180, 200])
def test_other_angles(angle):
    assert decode_image(rotate(load_gray(ZBAR / "ean-13.png"), angle)) == [("EAN13", "9789876543217")]


def test_sq_code_does_not_crash_and_shipped_pyzbar_error_is_reported():
    img = load_gray(ZBAR / "sqcode1-generated.png")
    problems = []
    assert make("pyzbar").decode(img, problems) == []
    assert problems and "ValueError" in problems[0]
    problems = []
    codes = decode_image(img, problems)
    assert problems == []
    assert [s for s, _ in codes] == ["SQCODE"]


@pytest.mark.parametrize("image", [
    np.zeros((0, 0), np.uint8), np.zeros((1, 1), np.uint8), np.zeros((3, 500), np.uint8),
    np.full((50, 50), 255, np.uint8), np.zeros((20, 20), np.float32), np.zeros((4, 4, 4, 4), np.uint8),
], ids=["empty", "1x1", "thin", "white", "float", "4d"])
@pytest.mark.parametrize("name", ["zbar", "pyzbar", "zxing", "zxing-fast>zbar+inv+rot"])
def test_no_crash_on_odd_arrays(name, image):
    problems = []
    assert make(name).decode(image, problems) == []


def test_colour_frames_are_accepted():
    import cv2
    bgr = cv2.cvtColor(load_gray(ZBAR / "ean-13.png"), cv2.COLOR_GRAY2BGR)
    assert decode_image(bgr) == [("EAN13", "9789876543217")]


def test_unknown_decoder_name_is_refused_in_french():
    with pytest.raises(ValueError, match="inconnu"):
        make("zbar>quagga")
    with pytest.raises(ValueError, match="option"):
        make("zbar+flip")
