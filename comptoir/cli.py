"""The `comptoir` command."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv=None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # `comptoir … | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _main(argv=None) -> int:
    from .french_argparse import install
    install()  # usage and errors in French, for every subcommand
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["report"]:
        from .report_cli import main as report_main
        return report_main(argv[1:])
    if argv[:1] == ["operators"]:
        from .operators_cli import main as operators_main
        return operators_main(argv[1:])
    if argv[:1] == ["fiscal"]:
        from .fiscal_cli import main as fiscal_main
        return fiscal_main(argv[1:])
    if argv[:1] == ["scan-image"]:
        from drivers.scanner.scan_image import main as scan_image
        return scan_image(argv[1:])
    if argv[:1] == ["devices"]:
        from .devices_cli import main as devices_main
        return devices_main(argv[1:])
    if argv[:1] == ["stock"]:
        from .stock_cli import main as stock_main
        return stock_main(argv[1:])
    if argv[:1] == ["reference"]:
        from .reference_cli import main as reference_main
        return reference_main(argv[1:])
    if argv[:1] == ["purchase"]:
        from .stock_cli import purchase_main
        return purchase_main(argv[1:])
    if argv[:2] == ["kiosk", "enrol"]:
        from .devices_cli import kiosk_enrol_main
        return kiosk_enrol_main(argv[2:])
    if argv[:2] == ["catalog", "import"]:
        from backoffice.catalog_import import main as catalog_import
        return catalog_import(argv[2:])
    ap = argparse.ArgumentParser(prog="comptoir", description="Comptoir : caisse et réserve pédagogiques")
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="boutique de démonstration : back-office et caisse")
    d.add_argument("--headless", action="store_true", help="sans écran : écran virtuel et ventes jouées")
    d.add_argument("--out", default="var/demo", help="dossier de sortie (mode sans écran)")
    d.add_argument("--sales", type=int, default=5, help="nombre de ventes à jouer (mode sans écran)")
    d.add_argument("--script", help="scénario à jouer à la place des ventes (une action par ligne)")
    d.add_argument("--port", type=int, default=8000, help="port du back-office")
    d.add_argument("--kiosk", choices=["register", "stockroom"],
                   help="fenêtre jouée par --script : caisse ou réserve (par défaut : d'après la 1re action)")
    sub.add_parser("catalog", help="catalog import FICHIER.csv : importer un catalogue")
    sub.add_parser("devices", help="devices list | print-test URI | open-drawer URI | listen URI | add | revoke | status")
    sub.add_parser("scan-image", help="scan-image FICHIER… : décoder les codes-barres d'images")
    sub.add_parser("fiscal", help="fiscal verify | archive --period AAAA-MM : chaînes, archives signées")
    sub.add_parser("stock", help="stock on-hand | moves | verify | locations | replenish | scrap-report …")
    sub.add_parser("purchase", help="purchase import FICHIER.csv | list : bons de commande fournisseurs")
    sub.add_parser("reference", help="reference import operators|customers|pricelists|promotions FICHIER.csv | list")
    sub.add_parser("report", help="report x|z --register N : rapport X ou dernière clôture Z")
    sub.add_parser("operators", help="operators list|add|import-demo : élèves et professeurs de la caisse")
    r = sub.add_parser("register", help="ouvrir la fenêtre de caisse")
    r.add_argument("--config", required=True)
    r.add_argument("--state")
    sr = sub.add_parser("stockroom", help="ouvrir la fenêtre de la réserve (réception, inventaire, rebut…)")
    sr.add_argument("--config", required=True)
    sr.add_argument("--state")
    k = sub.add_parser("kiosk", help="kiosk add CODE --register N (donne son jeton) | kiosk enrol URL CODE")
    k.add_argument("action", choices=["add"],
                   help="add ; « comptoir kiosk enrol URL CODE » enrôle une caisse avec le code donné par devices add")
    k.add_argument("code", help="nom de l'appareil, par exemple caisse-2")
    k.add_argument("--register", required=True, help="numéro de caisse, par exemple 2")
    k.add_argument("--name", default="")
    k.add_argument("--database-url")
    b = sub.add_parser("backoffice", help="lancer le back-office")
    b.add_argument("--host", default="127.0.0.1")
    b.add_argument("--port", type=int, default=8000)
    b.add_argument("--database-url")
    b.add_argument("--workers", type=int, default=1, help="processus uvicorn (plusieurs : PostgreSQL conseillé)")
    args = ap.parse_args(argv)

    if args.command == "demo":
        from . import demo
        from .stockroom_driver import is_stockroom_script
        if args.sales < 1:
            ap.error("--sales doit être au moins 1")
        script = Path(args.script) if args.script else None
        if script is not None and not script.is_file():
            print(f"comptoir demo : scénario {script} introuvable", file=sys.stderr)
            return 2
        if script is not None and (args.kiosk == "stockroom" or (args.kiosk is None and is_stockroom_script(script))):
            from . import stockroom_demo
            return stockroom_demo.run_headless(Path(args.out), script, args.port)
        if args.kiosk == "stockroom":
            ap.error("--kiosk stockroom se joue avec --script FICHIER (receive, count, scrap…)")
        if args.headless or script is not None or not os.environ.get("DISPLAY"):
            if not args.headless:
                print("Pas d'écran (DISPLAY vide) : démo sans écran dans " + args.out, file=sys.stderr)
            return demo.run_headless(Path(args.out), args.sales, script, args.port)
        return demo.run_interactive(Path("var"), args.port)
    if args.command == "catalog":
        ap.error("usage : comptoir catalog import FICHIER.csv")
    if args.command == "register":
        from kiosk.register.__main__ import main as register_main
        return register_main(["--config", args.config] + (["--state", args.state] if args.state else []))
    if args.command == "stockroom":
        from kiosk.stockroom.__main__ import main as stockroom_main
        return stockroom_main(["--config", args.config] + (["--state", args.state] if args.state else []))
    if args.command == "kiosk":
        return add_kiosk(args.code, args.register, args.name, args.database_url)
    if args.command == "backoffice":
        from backoffice.app import serve
        if args.workers < 1:
            ap.error("--workers doit être au moins 1")
        serve(args.host, args.port, args.database_url, args.workers)
        return 0
    return 2


def add_kiosk(code: str, register: str, name: str, database_url) -> int:
    """Declare a kiosk in the back office and print its token (shown once: only its hash is kept)."""
    from sqlalchemy.exc import SQLAlchemyError

    from backoffice.db import create_all, make_engine, unreachable
    from backoffice.devices import DeviceError, register_device
    try:
        from sqlalchemy import select

        from backoffice.db import device
        engine = make_engine(database_url)
        create_all(engine)
        with engine.connect() as conn:
            existed = conn.execute(select(device.c.id).where(device.c.code == code.strip())).first() is not None
        token = register_device(engine, code, register, name or f"Caisse {register}")
    except DeviceError as e:
        print(f"comptoir kiosk : {e}", file=sys.stderr)
        return 2
    except (SQLAlchemyError, ValueError) as e:
        print(f"comptoir kiosk : {unreachable(e)}", file=sys.stderr)
        return 2
    if existed:
        print(f"Attention : {code} existait déjà ; son ancien jeton est révoqué, donnez-lui celui-ci.")
    print(f"Caisse {register} ({code}) déclarée. Son jeton (gardez-le, il n'est affiché qu'une fois) :")
    print(token)
    print(f'Sur la caisse : export COMPTOIR_KIOSK_TOKEN={token}  et, dans son TOML : '
          f'[kiosk] device = "{code}", register = "{register}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
