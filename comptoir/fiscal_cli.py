"""comptoir fiscal verify [--database FICHIER | --config kiosk.toml]

Recomputes every fiscal chain of a kiosk database (tickets and technical events journal, per
register) and prints a French summary. Exit status: 0 chains sound, 1 a chain is broken, 2 usage or
unreadable database.
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path


def main(argv=None) -> int:
    argv = list(sys.argv[2:] if argv is None else argv)
    ap = argparse.ArgumentParser(prog="comptoir fiscal", description="Chaîne fiscale de la caisse (NF525)")
    sub = ap.add_subparsers(dest="action", required=True)
    v = sub.add_parser("verify", help="recalculer les chaînes de tickets et du journal d'une caisse")
    where = v.add_mutually_exclusive_group(required=True)
    where.add_argument("--database", help="base SQLite de la caisse (par exemple var/kiosk-1.db)")
    where.add_argument("--config", help="fichier TOML de la caisse : sa base est vérifiée")
    args = ap.parse_args(argv)
    return verify(args.database, args.config)


def verify(database, config) -> int:
    from kiosk.fiscal_verify import verify as verify_chains

    if config:
        from kiosk.config import ConfigError, load
        try:
            database = load(config).database
        except ConfigError as e:
            print(f"comptoir fiscal verify : {e}", file=sys.stderr)
            return 2
    path = Path(database)
    if not path.is_file():
        print(f"comptoir fiscal verify : base {path} introuvable", file=sys.stderr)
        return 2
    try:
        conn = sqlite3.connect(str(path))
        try:
            reports = verify_chains(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        print(f"comptoir fiscal verify : base {path} illisible ({e})", file=sys.stderr)
        return 2
    print(f"Vérification de la chaîne fiscale : {path}")
    if not reports:
        print("Aucun ticket ni événement enregistré : rien à vérifier.")
        return 0
    for r in reports:
        what = {"tickets": "tickets", "closings": "clôtures"}.get(r.kind, "journal des événements techniques")
        count = f"{r.checked} enregistrement{'s' if r.checked > 1 else ''} vérifié{'s' if r.checked > 1 else ''}"
        legacy = (f", {r.legacy} ticket{'s' if r.legacy > 1 else ''} antérieur{'s' if r.legacy > 1 else ''} "
                  "à la chaîne (version précédente, non chaîné" + ("s" if r.legacy > 1 else "") + ")"
                  if r.legacy else "")
        verdict = "chaîne intègre" if r.ok else f"{len(r.problems)} anomalie{'s' if len(r.problems) > 1 else ''}"
        print(f"Caisse {r.register} — {what} : {count}{legacy}, {verdict}.")
        for p in r.problems:
            print(f"  {p.message}")
    broken = [r for r in reports if not r.ok]
    total = sum(r.checked for r in reports)
    if not broken:
        print(f"Résultat : chaînes intègres ({len(reports)} chaîne{'s' if len(reports) > 1 else ''}, "
              f"{total} enregistrement{'s' if total > 1 else ''}).")
        return 0
    first = broken[0].problems[0]
    field = f", champ {first.field}" if first.field else ""
    if first.number is None:
        print(f"Résultat : CHAÎNE ROMPUE — {first.message}.")
    else:
        print(f"Résultat : CHAÎNE ROMPUE — premier enregistrement altéré : {broken[0].name} n° {first.number}{field}.")
    return 1
