"""comptoir operators list | add | import-demo  (--database FICHIER | --config kiosk.toml)

The operators (élèves and professeurs) a kiosk knows: list them (never their PIN hash), add one
(the PIN is read from standard input, asked twice on a terminal, never taken on the command line
where it would stay in the shell history), or load the demo class (idempotent).
Exit status: 0 done, 2 usage, refused input or unreadable database.
"""
from __future__ import annotations

import argparse
import getpass
import sqlite3
import sys
from pathlib import Path

ROLE_WORDS = {"cashier": "cashier", "élève": "cashier", "eleve": "cashier",
              "manager": "manager", "professeur": "manager", "prof": "manager"}


def main(argv=None) -> int:
    argv = list(sys.argv[2:] if argv is None else argv)
    where = argparse.ArgumentParser(add_help=False)
    group = where.add_mutually_exclusive_group(required=True)
    group.add_argument("--database", help="base SQLite de la caisse (par exemple var/kiosk-1.db)")
    group.add_argument("--config", help="fichier TOML de la caisse : sa base est utilisée")
    ap = argparse.ArgumentParser(prog="comptoir operators", description="Élèves et professeurs de la caisse")
    sub = ap.add_subparsers(dest="action", required=True)
    sub.add_parser("list", parents=[where], help="lister les opérateurs (sans leurs codes)")
    a = sub.add_parser("add", parents=[where], help="ajouter un opérateur (code lu sur l'entrée standard)")
    a.add_argument("id", help="identifiant, par exemple eleve6")
    a.add_argument("name", help="nom affiché, par exemple « Lina Roux »")
    a.add_argument("--role", default="élève", help="élève (cashier, par défaut) ou professeur (manager)")
    a.add_argument("--badge", help="badge à 13 chiffres commençant par 04 (par défaut : un nouveau badge)")
    sub.add_parser("import-demo", parents=[where], help="charger la classe de démonstration (5 élèves, 1 professeur)")
    args = ap.parse_args(argv)

    database = _database(args.database, args.config)
    if database is None:
        return 2
    if args.action == "list":
        return _list(database)
    if args.action == "add":
        return _add(database, args)
    return _import_demo(database)


def _say(message: str) -> None:
    print(f"comptoir operators : {message}", file=sys.stderr)


def _database(database, config):
    if config:
        from kiosk.config import ConfigError, load
        try:
            return Path(load(config).database)
        except ConfigError as e:
            _say(str(e))
            return None
    return Path(database)


def _open(path: Path, create: bool):
    from kiosk.store import KioskStore
    if not create and not path.is_file():
        _say(f"base {path} introuvable")
        return None
    try:
        return KioskStore(path)
    except sqlite3.DatabaseError as e:
        _say(f"base {path} illisible ({e})")
        return None


def _list(path: Path) -> int:
    store = _open(path, create=False)
    if store is None:
        return 2
    try:
        ops = store.operators()
    finally:
        store.close()
    if not ops:
        print(f"Aucun opérateur dans {path}. Ajoutez-en avec « comptoir operators add » "
              "ou « comptoir operators import-demo ».")
        return 0
    print(f"{'identifiant':<12} {'nom':<24} {'rôle':<11} {'badge':<13}  état")
    for op in ops:
        print(f"{op.id:<12} {op.name:<24} {op.role_label:<11} {op.badge:<13}  {'actif' if op.active else 'désactivé'}")
    print(f"{len(ops)} opérateur{'s' if len(ops) > 1 else ''}.")
    return 0


def _read_pin() -> str:
    if sys.stdin.isatty():
        pin = getpass.getpass("Code (4 à 8 chiffres, 6 à 8 pour un professeur) : ")
        if getpass.getpass("Le même code, encore une fois : ") != pin:
            raise ValueError("les deux codes tapés diffèrent")
        return pin
    return sys.stdin.readline().strip()


def _add(path: Path, args) -> int:
    from commerce.errors import CommerceError
    from commerce.operators import create_operator, new_badge
    role = ROLE_WORDS.get(args.role.strip().lower())
    if role is None:
        _say(f"rôle « {args.role} » refusé : élève ou professeur")
        return 2
    try:
        pin = _read_pin()
        op = create_operator(args.id, args.name, role, args.badge or new_badge(), pin)
    except (CommerceError, ValueError) as e:
        _say(str(e))
        return 2
    store = _open(path, create=True)
    if store is None:
        return 2
    try:
        store.add_operator(op)
    except CommerceError as e:
        _say(str(e))
        return 2
    finally:
        store.close()
    print(f"Opérateur ajouté : {op.name} ({op.id}), {op.role_label}, badge {op.badge}.")
    return 0


def _import_demo(path: Path) -> int:
    from commerce.errors import CommerceError
    from commerce.operators import DEMO_OPERATORS
    from kiosk.operators_store import ensure_demo_operators
    store = _open(path, create=True)
    if store is None:
        return 2
    try:
        added = ensure_demo_operators(store)
    except CommerceError as e:
        _say(str(e))
        return 2
    finally:
        store.close()
    total = len(DEMO_OPERATORS)
    if not added:
        print(f"Classe de démonstration déjà présente dans {path} ({total} opérateurs) : rien à ajouter.")
    else:
        print(f"Classe de démonstration : {len(added)} opérateur{'s' if len(added) > 1 else ''} "
              f"ajouté{'s' if len(added) > 1 else ''} dans {path} (badges et codes : commerce/operators.py, "
              "DEMO_OPERATORS).")
    return 0
