"""`comptoir devices …`: tools for the teacher setting up a kiosk's hardware, and the kiosks that sync.

    comptoir devices list [--config var/kiosk-1.toml]   what is configured and what answers
    comptoir devices print-test URI [--profile NAME]    a test receipt
    comptoir devices open-drawer URI [--pin 2|5]        pulse the cash drawer
    comptoir devices listen URI                         print each scan as it arrives

Back office (teacher), on the back office's database ($COMPTOIR_DATABASE_URL or --database-url):

    comptoir devices add NAME --register N [--name LABEL]   add a kiosk: prints its one-time enrolment code
    comptoir devices revoke NAME                            its token stops working (401)
    comptoir devices status                                 last seen, how far behind, chain breaks

Kiosk side (kiosk_enrol_main):

    comptoir kiosk enrol URL CODE [--token-file PATH]       exchange the code for this kiosk's token
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


def _engine(database_url):
    from backoffice.db import create_all, make_engine
    engine = make_engine(database_url)
    create_all(engine)
    return engine


def _db_error(e: Exception) -> int:
    from backoffice.db import unreachable
    return _fail(unreachable(e))


def add_kiosk(name: str, register: str, label: str, database_url) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from backoffice.devices import ENROL_HOURS, DeviceError, add_device
    try:
        code = add_device(_engine(database_url), name, register, label or f"Caisse {register}")
    except DeviceError as e:
        return _fail(e)
    except SQLAlchemyError as e:
        return _db_error(e)
    print(f"Appareil {name} (caisse {register}) ajouté. Code d'enrôlement, à usage unique, valable {ENROL_HOURS} h :")
    print(code)
    print(f"Sur la caisse : comptoir kiosk enrol URL-DU-BACK-OFFICE {code}")
    return 0


def revoke_kiosk(name: str, database_url) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from backoffice.devices import DeviceError, revoke
    try:
        revoke(_engine(database_url), name)
    except DeviceError as e:
        return _fail(e)
    except SQLAlchemyError as e:
        return _db_error(e)
    print(f"Appareil {name} révoqué : son jeton est refusé (401). Pour le réactiver : "
          f"comptoir devices add {name} --register N (nouveau code d'enrôlement).")
    return 0


def kiosks_status(database_url) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from backoffice.sync_status import devices
    try:
        with _engine(database_url).connect() as conn:
            rows = devices(conn)
    except SQLAlchemyError as e:
        return _db_error(e)
    if not rows:
        print("Aucun appareil. Pour en ajouter un : comptoir devices add caisse-2 --register 2")
        return 0
    print(f"{'appareil':<16} {'caisse':<7} {'état':<26} {'dernière visite':<17} {'reçus':>7} {'retard':>7} {'ruptures':>8}")
    for d in rows:
        seen = d.last_seen_at.strftime("%d/%m/%Y %H:%M") if d.last_seen_at else "jamais"
        print(f"{d.code:<16} {d.register:<7} {d.state:<26} {seen:<17} {d.last_seq:>7} {d.behind:>7} {d.breaks:>8}")
    return 0


def kiosk_enrol_main(argv) -> int:
    """`comptoir kiosk enrol URL CODE [--token-file PATH]`, on the kiosk."""
    from sync.enrol import enrol
    from sync.pusher import PushError

    ap = argparse.ArgumentParser(prog="comptoir kiosk enrol",
                                 description="Échanger le code d'enrôlement du professeur contre le jeton de cette caisse")
    ap.add_argument("url", help="adresse du back-office, par exemple http://192.168.1.10:8000")
    ap.add_argument("code", help="code d'enrôlement à usage unique, par exemple ABCD-EFGH-JKMN")
    ap.add_argument("--token-file", help="écrire le jeton dans ce fichier (lisible par son seul propriétaire)")
    args = ap.parse_args(argv)
    try:
        got = enrol(args.url, args.code)
    except PushError as e:
        print(f"comptoir kiosk enrol : {e}", file=sys.stderr)
        return 1
    print(f"Caisse enrôlée : appareil {got['device']}, caisse {got['register']}.")
    if args.token_file:
        path = Path(args.token_file)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(got["token"] + "\n")
        print(f"Jeton écrit dans {path}. Avant de lancer la caisse : export COMPTOIR_KIOSK_TOKEN=$(cat {path})")
    else:
        print("Jeton (gardez-le, il n'est affiché qu'une fois) :")
        print(got["token"])
        print(f"Avant de lancer la caisse : export COMPTOIR_KIOSK_TOKEN={got['token']}")
    print(f'Dans le TOML de la caisse : [kiosk] device = "{got["device"]}", register = "{got["register"]}" ; '
          f'[backoffice] url = "{args.url}"')
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
    ad = sub.add_parser("add", help="back-office : ajouter une caisse, donne son code d'enrôlement")
    ad.add_argument("name", help="nom de l'appareil, par exemple caisse-2")
    ad.add_argument("--register", required=True, help="numéro de caisse, par exemple 2")
    ad.add_argument("--name", dest="label", default="", help="libellé affiché (défaut : Caisse N)")
    rv = sub.add_parser("revoke", help="back-office : révoquer une caisse (son jeton est refusé)")
    rv.add_argument("name")
    st = sub.add_parser("status", help="back-office : dernière visite, retard et ruptures de chaîne de chaque caisse")
    for p in (ad, rv, st):
        p.add_argument("--database-url", help="base du back-office (sinon $COMPTOIR_DATABASE_URL, sinon var/backoffice.db)")
    args = ap.parse_args(argv)
    if args.action == "list":
        return list_devices(Path(args.config))
    if args.action == "add":
        return add_kiosk(args.name, args.register, args.label, args.database_url)
    if args.action == "revoke":
        return revoke_kiosk(args.name, args.database_url)
    if args.action == "status":
        return kiosks_status(args.database_url)
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
