"""`comptoir scan-image FILE…`: one JSON line per file, errors in French, exit 1 at the end."""
import json
import subprocess
import sys

import cv2

from comptoir.cli import main

from camera_support import CAFE, DATA, ZBAR, inverted_ean13, utf8_qr


def run(capsys, *files):
    rc = main(["scan-image", *map(str, files)])
    lines = [json.loads(l) for l in capsys.readouterr().out.splitlines()]
    return rc, lines


def test_expected_values_on_shared_images(capsys):
    rc, lines = run(capsys, ZBAR / "ean-13.png", ZBAR / "code-upc-a.png", DATA / "pyzbar" / "code128.png",
                    DATA / "pyzbar" / "empty.png", DATA / "zxing-cpp-samples" / "ean8-1" / "1.png")
    assert rc == 0
    lines[2]["codes"].sort(key=lambda c: c["data"])  # two codes in one image: any order
    assert lines == [
        {"file": str(ZBAR / "ean-13.png"), "codes": [{"symbology": "EAN13", "data": "9789876543217"}]},
        {"file": str(ZBAR / "code-upc-a.png"), "codes": [{"symbology": "EAN13", "data": "0987654321012"}]},
        {"file": str(DATA / "pyzbar" / "code128.png"),
         "codes": [{"symbology": "CODE128", "data": "Foramenifera"},
                   {"symbology": "CODE128", "data": "Rana temporaria"}]},
        {"file": str(DATA / "pyzbar" / "empty.png"), "codes": []},
        {"file": str(DATA / "zxing-cpp-samples" / "ean8-1" / "1.png"),
         "codes": [{"symbology": "EAN8", "data": "48512343"}]},
    ]


def test_inverted_ean13_and_utf8_qr(capsys, tmp_path):
    inv, qr = tmp_path / "ean13-inverse.png", tmp_path / "qr-utf8.png"
    cv2.imwrite(str(inv), inverted_ean13())
    cv2.imwrite(str(qr), utf8_qr())
    rc, lines = run(capsys, inv, qr)
    assert rc == 0
    assert lines[0]["codes"] == [{"symbology": "EAN13", "data": "9789876543217"}]
    assert lines[1]["codes"] == [{"symbology": "QRCODE", "data": CAFE}]


def test_sq_code_does_not_crash(capsys):
    rc, lines = run(capsys, ZBAR / "sqcode1-generated.png", ZBAR / "ean-8.png")
    assert rc == 0
    assert lines[0]["codes"][0]["symbology"] == "SQCODE" and "error" not in lines[0]
    assert lines[1]["codes"] == [{"symbology": "EAN8", "data": "98765430"}]


def test_missing_and_unreadable_files_give_an_error_line_and_exit_1(capsys, tmp_path):
    junk = tmp_path / "ticket.png"
    junk.write_bytes(b"ceci n'est pas une image")
    rc, lines = run(capsys, tmp_path / "absent.png", junk, tmp_path, ZBAR / "ean-13.png")
    assert rc == 1
    assert lines[0] == {"file": str(tmp_path / "absent.png"), "codes": [],
                        "error": f"{tmp_path / 'absent.png'} : fichier introuvable"}
    assert "pas une image lisible" in lines[1]["error"]
    assert "dossier" in lines[2]["error"]
    assert lines[3]["codes"] == [{"symbology": "EAN13", "data": "9789876543217"}]


def test_real_command_line_utf8_output():
    out = subprocess.run([sys.executable, "-m", "comptoir.cli", "scan-image", str(ZBAR / "i2-5.png"),
                          "/nulle/part.png"], capture_output=True, text=True, encoding="utf-8")
    assert out.returncode == 1
    first, second = out.stdout.splitlines()
    assert json.loads(first)["codes"] == [{"symbology": "I25", "data": "9876543210"}]
    assert json.loads(second)["error"] == "/nulle/part.png : fichier introuvable"
