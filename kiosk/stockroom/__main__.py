"""python -m kiosk.stockroom --config reserve.toml [--state state.json]"""
import argparse
import sys


def main(argv=None):
    ap = argparse.ArgumentParser(prog="comptoir stockroom", description="Réserve Comptoir (Kivy)")
    ap.add_argument("--config", required=True, help="fichier TOML du kiosque de la réserve")
    ap.add_argument("--state", help="fichier JSON où la fenêtre écrit son état (démo, tests)")
    args = ap.parse_args(argv)
    from ..config import ConfigError, load
    try:
        cfg = load(args.config)
    except ConfigError as e:
        print(f"comptoir : {e}", file=sys.stderr)
        return 2
    from .app import StockroomApp
    StockroomApp(cfg, args.state).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
