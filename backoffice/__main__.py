"""python -m backoffice [--host H] [--port P] [--database-url URL]: run the back office."""
from __future__ import annotations

import argparse

from .app import serve


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backoffice", description="Lance le back-office Comptoir.")
    parser.add_argument("--host", default="127.0.0.1", help="adresse d'écoute (défaut 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (défaut 8000)")
    parser.add_argument("--database-url", default=None,
                        help="base de données (sinon $COMPTOIR_DATABASE_URL, sinon var/backoffice.db)")
    ns = parser.parse_args(argv)
    serve(ns.host, ns.port, ns.database_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
