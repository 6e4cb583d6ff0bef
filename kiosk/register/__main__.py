"""python -m kiosk.register --config kiosk.toml [--state state.json]"""
import sys


def _app():
    from .app import RegisterApp
    return RegisterApp


def main(argv=None):
    from ..launch import main as launch
    return launch(argv, "comptoir register", "Caisse Comptoir (Kivy)", _app)


if __name__ == "__main__":
    sys.exit(main())
