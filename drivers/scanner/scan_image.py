"""`comptoir scan-image FICHIER…`: decode image files, one JSON line per file on stdout.

    {"file": "a.png", "codes": [{"symbology": "EAN13", "data": "3017620422003"}]}
    {"file": "absent.png", "codes": [], "error": "absent.png : fichier introuvable"}

Every file is processed even when one fails; the exit code is 1 if any file could not be read,
else 0. A decoder that fails on a symbol (pyzbar on an SQ-code) does not stop the others: its
message goes in "warnings".
"""
from __future__ import annotations

import argparse
import json
import sys


def scan_file(path: str, decoder=None) -> dict:
    from drivers.camera import decode_image, load_gray
    from drivers.camera.frames import ImageError
    line: dict = {"file": path, "codes": []}
    try:
        gray = load_gray(path)
    except ImageError as exc:
        line["error"] = str(exc)
        return line
    problems: list[str] = []
    codes = decoder.decode(gray, problems) if decoder is not None else decode_image(gray, problems)
    line["codes"] = [{"symbology": s, "data": d} for s, d in codes]
    if problems:
        line["warnings"] = sorted(set(problems))
    return line


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="comptoir scan-image",
                                 description="Lire les codes-barres d'images (une ligne JSON par fichier)")
    ap.add_argument("files", nargs="+", metavar="FICHIER")
    ap.add_argument("--decoder", default=None,
                    help="décodeur ou chaîne (défaut zxing-fast>zbar+inv+rot ; voir docs/decoding.md)")
    args = ap.parse_args(argv)
    decoder = None
    if args.decoder:
        from drivers.camera import make
        try:
            decoder = make(args.decoder)
        except ValueError as exc:
            ap.error(str(exc))
    failed = False
    for path in args.files:
        line = scan_file(path, decoder)
        failed |= "error" in line
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
