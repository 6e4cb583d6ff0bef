"""comptoir fiscal verify [--database FICHIER | --config kiosk.toml]
comptoir fiscal verify ARCHIVE.json [--key CLÉ]
comptoir fiscal archive --period AAAA-MM [--register N] [--database FICHIER | --config kiosk.toml] [--out DOSSIER]

verify on a database recomputes every fiscal chain of a kiosk database (tickets, closings, technical
events journal and archives, per register); on an archive file it checks the file offline (schema,
every record's chain, totals, hash, signature). archive writes a closed month as a signed archive
(kiosk.archive). Both print a French summary.

Exit status, verify: 0 sound, 1 a chain or the archive is broken, 2 usage or unreadable database or file.
archive: 0 written, 2 usage (bad period, missing database, unknown register, unusable key), 3 refused:
the period is not over or not closed yet.
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

PROG = "comptoir fiscal"


def main(argv=None) -> int:
    argv = list(sys.argv[2:] if argv is None else argv)
    ap = argparse.ArgumentParser(prog=PROG, description="Chaîne fiscale de la caisse (NF525)")
    sub = ap.add_subparsers(dest="action", required=True)
    v = sub.add_parser("verify", help="recalculer les chaînes d'une caisse, ou vérifier une archive hors ligne",
                       description="Sans ARCHIVE : recalcule les chaînes de la base (--database ou --config). "
                                   "Avec ARCHIVE : vérifie le fichier seul, sans base.")
    v.add_argument("archive", nargs="?", help="fichier d'archive fiscale (JSON) à vérifier hors ligne")
    v.add_argument("--key", help="avec ARCHIVE : clé publique attendue (fichier .pub, clé en base64 ou son "
                                 "empreinte SHA-256)")
    where = v.add_mutually_exclusive_group()
    where.add_argument("--database", help="base SQLite de la caisse (par exemple var/kiosk-1.db)")
    where.add_argument("--config", help="fichier TOML de la caisse : sa base est vérifiée")
    a = sub.add_parser("archive", help="archiver un mois clôturé (fichier JSON signé)",
                       description="Écrit l'archive fiscale d'un mois clôturé d'une caisse : tickets, clôtures, "
                                   "journal, totaux ; empreinte SHA-256 et signature Ed25519.")
    a.add_argument("--period", required=True, help="mois à archiver, AAAA-MM (par exemple 2025-03)")
    a.add_argument("--register", help="numéro de caisse (par défaut : celle de --config, ou la seule de la base)")
    where = a.add_mutually_exclusive_group(required=True)
    where.add_argument("--database", help="base SQLite de la caisse (par exemple var/kiosk-1.db)")
    where.add_argument("--config", help="fichier TOML de la caisse")
    a.add_argument("--out", help="dossier des archives (par défaut : archives/ à côté de la base)")
    a.add_argument("--operator", default="console", help="qui archive (noté dans l'archive et au journal)")
    args = ap.parse_args(argv)
    if args.action == "archive":
        return archive(args.period, args.register, args.database, args.config, args.out, args.operator)
    if args.archive is not None:
        if args.database or args.config:
            ap.error("verify : une archive OU une base (--database/--config), pas les deux")
        return verify_archive(args.archive, args.key)
    if args.key:
        ap.error("verify : --key ne sert qu'avec un fichier d'archive")
    if not (args.database or args.config):
        ap.error("verify : donnez une base (--database ou --config) ou un fichier d'archive")
    return verify(args.database, args.config)


def _database(database, config, action: str):
    """(database path, register from the config or None), or an error message."""
    if config:
        from kiosk.config import ConfigError, load
        try:
            cfg = load(config)
        except ConfigError as e:
            return None, None, f"{PROG} {action} : {e}"
        return Path(cfg.database), cfg.register, None
    return Path(database), None, None


def verify(database, config) -> int:
    from kiosk.fiscal_verify import verify as verify_chains

    path, _, error = _database(database, config, "verify")
    if error:
        print(error, file=sys.stderr)
        return 2
    if not path.is_file():
        print(f"{PROG} verify : base {path} introuvable", file=sys.stderr)
        return 2
    try:
        conn = sqlite3.connect(str(path))
        try:
            reports = verify_chains(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        print(f"{PROG} verify : base {path} illisible ({e})", file=sys.stderr)
        return 2
    print(f"Vérification de la chaîne fiscale : {path}")
    if not reports:
        print("Aucun ticket ni événement enregistré : rien à vérifier.")
        return 0
    _print_reports(reports)
    broken = [r for r in reports if not r.ok]
    total = sum(r.checked for r in reports)
    if not broken:
        print(f"Résultat : chaînes intègres ({len(reports)} chaîne{'s' if len(reports) > 1 else ''}, "
              f"{total} enregistrement{'s' if total > 1 else ''}).")
        return 0
    _print_first(broken[0].name, broken[0].problems[0], "CHAÎNE ROMPUE")
    return 1


CHAIN_NAMES = {"tickets": "tickets", "closings": "clôtures", "journal": "journal des événements techniques",
               "archives": "archives"}


def _print_reports(reports) -> None:
    for r in reports:
        count = f"{r.checked} enregistrement{'s' if r.checked > 1 else ''} vérifié{'s' if r.checked > 1 else ''}"
        legacy = (f", {r.legacy} ticket{'s' if r.legacy > 1 else ''} antérieur{'s' if r.legacy > 1 else ''} "
                  "à la chaîne (version précédente, non chaîné" + ("s" if r.legacy > 1 else "") + ")"
                  if r.legacy else "")
        verdict = "chaîne intègre" if r.ok else f"{len(r.problems)} anomalie{'s' if len(r.problems) > 1 else ''}"
        print(f"Caisse {r.register} — {CHAIN_NAMES[r.kind]} : {count}{legacy}, {verdict}.")
        for p in r.problems:
            print(f"  {p.message}")


def _print_first(name: str, first, verdict: str) -> None:
    field = f", champ {first.field}" if first.field else ""
    if first.number is None:
        print(f"Résultat : {verdict} — {first.message}.")
    else:
        print(f"Résultat : {verdict} — premier enregistrement altéré : {name} n° {first.number}{field}.")


# -- archives --------------------------------------------------------------------------------------------
def archive(period_text, register, database, config, out, operator) -> int:
    from commerce.archive import parse_period
    from commerce.errors import CommerceError
    from commerce.money import format_eur
    from kiosk.archive import ArchiveError, make_archive

    try:
        period = parse_period(period_text)
    except CommerceError as e:
        print(f"{PROG} archive : {e}", file=sys.stderr)
        return 2
    path, config_register, error = _database(database, config, "archive")
    if error:
        print(error, file=sys.stderr)
        return 2
    try:
        done = make_archive(path, period, register=register or config_register, out_dir=out, operator=operator)
    except CommerceError as e:
        print(f"{PROG} archive : archivage refusé — {e}", file=sys.stderr)
        return 3
    except ArchiveError as e:
        print(f"{PROG} archive : {e}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as e:
        print(f"{PROG} archive : base {path} illisible ({e})", file=sys.stderr)
        return 2
    c = done.content
    seq, totals = c["sequences"], c["totals"]
    print(f"Archive fiscale n° {done.number} de la caisse {done.register} — période {period.text} "
          f"(du {period.first:%d/%m/%Y} au {period.last:%d/%m/%Y}), faite le "
          f"{_when(c['archive']['created_at'])} par {c['archive']['operator']}.")
    print(f"Fichier : {done.path}")
    if done.empty:
        print(f"Période vide : aucun ticket ni clôture sur la caisse {done.register} en {period.text} ; "
              "l'archive l'atteste.")
    else:
        print(f"Contenu : {_span('ticket', seq['tickets'])}, {_span('clôture', seq['closings'])}, "
              f"{_span('événement', seq['journal'])}.")
        grand = totals["grand_total"]
        print(f"Total TTC de la période : {format_eur(totals['total'])}"
              + (f" ; grand total perpétuel : {format_eur(grand['perpetual_total'])} "
                 f"(clôture de mois n° {grand['closing']})." if grand else "."))
    if done.previous_same_period:
        print(f"Note : la période était déjà archivée (archive n° {done.previous_same_period}) ; "
              "celle-ci en est une nouvelle copie, numérotée à la suite.")
    print(f"Empreinte SHA-256 de l'archive : {done.archive_hash}")
    print(f"Empreinte SHA-256 du fichier : {done.file_sha256}")
    key = done.key
    print(f"Signature Ed25519, clé de la caisse : {key.fingerprint}"
          + (f" (nouvelle clé créée : {key.path}, privée, mode 600 ; clé publique : {key.public_path})"
             if key.created else f" (clé publique : {key.public_path})"))
    print(f"Archivage noté au journal des événements techniques : événement n° {done.event}.")
    return 0


def _when(timestamp) -> str:
    """'2025-04-02T09:00:00' -> '02/04/2025 à 09:00' (as it is when unreadable)."""
    from datetime import datetime
    try:
        return datetime.fromisoformat(timestamp).strftime("%d/%m/%Y à %H:%M")
    except (TypeError, ValueError):
        return str(timestamp)


def _span(noun: str, seq: dict) -> str:
    n = seq["count"]
    if not n:
        return f"aucun{'e' if noun == 'clôture' else ''} {noun}"
    plural = "s" if n > 1 else ""
    return f"{n} {noun}{plural} (n° {seq['first']} à {seq['last']})"


def verify_archive(file, key) -> int:
    from kiosk.archive import ArchiveError, expected_fingerprint, verify_file

    try:
        expected = expected_fingerprint(key) if key else None
        check = verify_file(file, expected)
    except ArchiveError as e:
        print(f"{PROG} verify : {e}", file=sys.stderr)
        return 2
    print(f"Vérification de l'archive fiscale : {check.path}")
    h = check.header
    if h is not None and isinstance(h, dict):
        print(f"Archive n° {h.get('number')} de la caisse {h.get('register')}, période {h.get('period')}, "
              f"faite le {_when(h.get('created_at'))} par {h.get('operator')}.")
    if check.schema_ok:
        print("Schéma : conforme (archive.schema.json, format 1).")
        _print_reports(check.reports)
        print("Séquences et totaux : conformes aux enregistrements." if check.totals_ok
              else "Séquences et totaux : NON conformes.")
        print("Empreinte SHA-256 de l'archive : conforme." if check.hash_ok
              else "Empreinte SHA-256 de l'archive : DIFFÉRENTE.")
        fingerprint = h["signer"]["fingerprint"]
        if check.signature_ok:
            pin = (" (la clé attendue)" if check.pinned else
                   " (clé non épinglée : --key CLÉ impose la clé attendue)" if key is None else "")
            print(f"Signature Ed25519 : valide, clé {fingerprint}{pin}.")
        else:
            print(f"Signature Ed25519 : INVALIDE (clé annoncée {fingerprint}).")
    if check.problems:
        print("Anomalies du fichier :")
    for p in check.problems:
        print(f"  {p.message}")
    first = check.first_problem()
    if first is None:
        print("Résultat : archive intègre.")
        return 0
    _print_first(*first, "ARCHIVE ALTÉRÉE")
    return 1
