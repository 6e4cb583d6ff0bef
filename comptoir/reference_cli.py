"""`comptoir reference import KIND FILE.csv | list`: what the back office publishes to every kiosk
(operators, customers, pricelists, promotions; formats in backoffice/reference.py)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

KIND_WORDS = {"operators": "operator", "customers": "customer", "pricelists": "pricelist", "promotions": "promotion"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="comptoir reference",
                                 description="Référentiel publié aux kiosques : opérateurs, clients, tarifs, promotions")
    sub = ap.add_subparsers(dest="action", required=True)
    i = sub.add_parser("import", help="publier un fichier CSV")
    i.add_argument("kind", choices=sorted(KIND_WORDS))
    i.add_argument("file", metavar="FICHIER.csv")
    sub.add_parser("list", help="combien de chaque sorte est publié")
    for p in sub.choices.values():
        p.add_argument("--database-url", help="base du back-office (sinon $COMPTOIR_DATABASE_URL, sinon var/backoffice.db)")
    args = ap.parse_args(argv)
    from sqlalchemy.exc import SQLAlchemyError

    from backoffice import reference
    from backoffice.db import create_all, make_engine, unreachable
    from commerce.errors import CommerceError
    name = f"comptoir reference {args.action}"
    try:
        engine = make_engine(args.database_url)
        create_all(engine)
        if args.action == "list":
            with engine.connect() as conn:
                for kind, n in reference.counts(conn).items():
                    print(f"{kind:<10} {n}")
            return 0
        path = Path(args.file)
        if not path.is_file():
            print(f"{name} : fichier {path} introuvable", file=sys.stderr)
            return 2
        records, errors = reference.read_file(KIND_WORDS[args.kind], path)
        published, unchanged = reference.publish(engine, records)
    except (CommerceError, UnicodeDecodeError, OSError) as e:  # before ValueError: a CommerceError is one
        print(f"{name} : {e}", file=sys.stderr)
        return 2
    except (SQLAlchemyError, ValueError) as e:
        print(f"{name} : {unreachable(e)}", file=sys.stderr)
        return 2
    for e in errors:
        print(str(e))
    print(f"{published} publié(s), {unchanged} inchangé(s), {len(errors)} ligne(s) refusée(s) ; "
          "les kiosques les reçoivent à leur prochaine synchronisation")
    return 1 if errors else 0
