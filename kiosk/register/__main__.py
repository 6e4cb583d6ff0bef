"""python -m kiosk.register --config kiosk.toml [--state state.json]"""
import argparse
import sys


def main(argv=None):
    ap = argparse.ArgumentParser(prog="comptoir register", description="Caisse Comptoir (Kivy)")
    ap.add_argument("--config", required=True, help="fichier TOML de la caisse")
    ap.add_argument("--state", help="fichier JSON où la fenêtre écrit son état (démo, tests)")
    args = ap.parse_args(argv)
    from ..config import ConfigError, load
    try:
        cfg = load(args.config)
    except ConfigError as e:
        print(f"comptoir : {e}", file=sys.stderr)
        return 2
    from .app import RegisterApp
    RegisterApp(cfg, args.state).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
