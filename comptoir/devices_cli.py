"""`comptoir devices …`: tools for the teacher setting up a kiosk's hardware.

    comptoir devices list [--config var/kiosk-1.toml]   what is configured and what answers
    comptoir devices print-test URI [--profile NAME]    a test receipt
    comptoir devices open-drawer URI [--pin 2|5]        pulse the cash drawer
    comptoir devices listen URI                         print each scan as it arrives
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import tomllib
from pathlib import Path

from drivers.uri import DeviceError, parse_uri


def _fail(e: Exception) -> int:
    print(f"comptoir devices : {e}", file=sys.stderr)
    return 1


# What each kind of device accepts (schemes, query parameters): the drivers' own rules.
KINDS = {
    "drawer": (("serial",), ("baudrate",)),
    "scanner": (("serial", "camera", "sim"), ("baudrate", "terminator", "dedupe")),
    "display": (("serial", "sim"), ("baudrate",)),
    "scale": (("serial",), ("baudrate", "bytesize", "parity")),
}


def _device_state(kind: str, uri: str) -> str:
    allowed, params = KINDS[kind]
    try:
        dev = parse_uri(uri, allowed=allowed, params=params)
    except DeviceError as e:
        return f"ERREUR : {e}"
    if dev.scheme in ("serial", "file"):
        return "port présent" if os.path.exists(dev.path) else f"ERREUR : {dev.path} introuvable (branché ?)"
    if dev.scheme == "camera" and dev.index < 0:
        return "fichier présent" if os.path.exists(dev.path) else f"ERREUR : {dev.path} introuvable"
    return "simulateur" if dev.scheme == "sim" else "configuré"


def list_devices(config: Path) -> int:
    from drivers.printer.tools import probe

    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _fail(f"configuration {config} introuvable (make demo en crée une dans var/)")
    except tomllib.TOMLDecodeError as e:
        return _fail(f"configuration {config} illisible : {e}")
    print(f"Périphériques de {config} :")
    printer = data.get("printer", {})
    if printer.get("backend") == "sim":
        print(f"  imprimante   simulée, tickets dans {printer.get('out_dir')}  (simulateur)")
    elif printer.get("uri"):
        try:
            p = probe(printer["uri"])
            state = p["message"] if p["answers"] is not False else f"ERREUR : {p['message']}"
        except DeviceError as e:
            state = f"ERREUR : {e}"
        print(f"  imprimante   {printer['uri']}  {state}")
    else:
        print("  imprimante   aucune")
    for key, label in (("drawer", "tiroir"), ("scanner", "scanner"), ("display", "afficheur"), ("scale", "balance")):
        uri = data.get(key, {}).get("uri")
        if uri:
            print(f"  {label:<12} {uri}  {_device_state(key, uri)}")
        elif key == "drawer":
            print(f"  {label:<12} par l'imprimante (broche {printer.get('drawer_pin', 2)})")
        elif key == "scanner":
            print(f"  {label:<12} douchette clavier (USB HID), lue par la fenêtre de caisse")
        else:
            print(f"  {label:<12} aucun{'e' if key == 'scale' else ''}")
    return 0


def main(argv) -> int:
    ap = argparse.ArgumentParser(prog="comptoir devices", description="Périphériques de la caisse")
    sub = ap.add_subparsers(dest="action", required=True)
    lst = sub.add_parser("list", help="ce qui est configuré et ce qui répond")
    lst.add_argument("--config", default="var/kiosk-1.toml")
    pt = sub.add_parser("print-test", help="imprimer un ticket de test")
    pt.add_argument("uri")
    pt.add_argument("--profile")
    od = sub.add_parser("open-drawer", help="ouvrir le tiroir-caisse")
    od.add_argument("uri")
    od.add_argument("--pin", type=int, default=2, choices=(2, 5))
    li = sub.add_parser("listen", help="afficher chaque code scanné")
    li.add_argument("uri")
    args = ap.parse_args(argv)
    if args.action == "list":
        return list_devices(Path(args.config))
    try:
        if args.action == "print-test":
            from drivers.printer.tools import print_test
            sent = print_test(args.uri, args.profile)
            print(f"Ticket de test envoyé à {args.uri} ({len(sent)} octets).")
        elif args.action == "open-drawer":
            from drivers.printer.tools import open_drawer
            open_drawer(args.uri, args.pin)
            print(f"Impulsion d'ouverture envoyée (broche {args.pin}).")
        elif args.action == "listen":
            from drivers.scanner.listen import listen
            stop = threading.Event()
            try:
                listen(args.uri, lambda code: print(code, flush=True), stop)
            except KeyboardInterrupt:
                stop.set()
    except DeviceError as e:
        return _fail(e)
    return 0
