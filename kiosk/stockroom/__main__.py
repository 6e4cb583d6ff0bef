"""python -m kiosk.stockroom --config reserve.toml [--state state.json]"""
import sys


def _app():
    from .app import StockroomApp
    return StockroomApp


def main(argv=None):
    from ..launch import main as launch
    return launch(argv, "comptoir stockroom", "Réserve Comptoir (Kivy)", _app)


if __name__ == "__main__":
    sys.exit(main())
