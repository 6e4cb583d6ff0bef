"""comptoir report x|z --register N [--database FICHIER | --config kiosk.toml] [--json] [--columns 42]

x: the open session's X report (rapport X), computed from the kiosk database; z: the last Z closing
(clôture Z) as it was sealed in the closing chain. Neither writes anything: the database is opened
read-only, and a Z closing is a register action (it needs the drawer counted), not a command.

Exit status: 0 printed; 2 usage, missing or unreadable database, unknown register; 3 nothing to report:
no open session (x) or no Z closing (z) — the command then says so on standard output, as JSON with
--json: {"register": "1", "session": null, "error": "aucune session de caisse ouverte", "message": …}
(z: "closing": null, "error": "aucune clôture Z").
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from dataclasses import replace
from pathlib import Path

from commerce.cash import report_blocks
from commerce.errors import CommerceError
from commerce.receipt import COLUMN_CHOICES, ShopInfo, receipt_text, wrap
from commerce.money import format_eur

PROG = "comptoir report"
EXIT_USAGE, EXIT_NOTHING = 2, 3
EPILOG = ("Code de sortie : 0 rapport imprimé ; 2 erreur d'utilisation, base absente ou illisible, caisse "
          "inconnue ; 3 rien à rapporter : aucune session ouverte (x) ou aucune clôture Z (z), message sur la "
          "sortie standard (en JSON avec --json : {\"register\": …, \"session\": null, \"error\": …}).")


class ReportError(Exception):
    pass


class NothingToReport(Exception):
    """No open session (x) or no Z closing (z): said on standard output, exit status 3."""

    def __init__(self, register: str, kind: str, message: str):
        super().__init__(message)
        self.register, self.kind, self.message = register, kind, message

    def as_dict(self) -> dict:
        if self.kind == "x":
            return {"register": self.register, "session": None, "error": "aucune session de caisse ouverte",
                    "message": self.message}
        return {"register": self.register, "closing": None, "error": "aucune clôture Z", "message": self.message}


def main(argv=None) -> int:
    argv = list(sys.argv[2:] if argv is None else argv)
    ap = argparse.ArgumentParser(prog=PROG, description="Rapports de caisse : X (en cours) et Z (clôture)",
                                 epilog=EPILOG)
    ap.add_argument("kind", choices=["x", "z"], help="x : rapport X de la session ouverte ; z : dernière clôture Z")
    ap.add_argument("--register", required=True, help="numéro de caisse, par exemple 1")
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--database", help="base SQLite de la caisse (par exemple var/kiosk-1.db)")
    where.add_argument("--config", help="fichier TOML de la caisse : sa base est lue")
    ap.add_argument("--json", action="store_true", help="le rapport en JSON (montants en centimes)")
    ap.add_argument("--columns", type=int, choices=COLUMN_CHOICES, default=42, help="largeur du texte (42)")
    ap.add_argument("--operator", default="console", help="qui édite le rapport X (console par défaut)")
    args = ap.parse_args(argv)
    try:
        database, shop = _where(args.database, args.config)
        conn = _open(database)
        try:
            out = report(conn, args.kind, args.register, database, as_json=args.json, columns=args.columns,
                         operator=args.operator, shop=shop)
        finally:
            conn.close()
    except NothingToReport as e:
        print(json.dumps(e.as_dict(), ensure_ascii=False, indent=2) if args.json else e.message)
        return EXIT_NOTHING
    except ReportError as e:
        print(f"{PROG} {args.kind} : {e}", file=sys.stderr)
        return EXIT_USAGE
    except sqlite3.DatabaseError as e:
        print(f"{PROG} {args.kind} : base {database} illisible ({e})", file=sys.stderr)
        return EXIT_USAGE
    print(out)
    return 0


def _where(database, config) -> tuple[Path, ShopInfo]:
    shop = ShopInfo()
    if config:
        from kiosk.config import ConfigError, load
        try:
            cfg = load(config)
        except ConfigError as e:
            raise ReportError(str(e)) from None
        database = cfg.database
        if cfg.shop:
            try:
                shop = ShopInfo(**cfg.shop)
            except TypeError:
                pass  # an unknown key in [shop]: the default heading, the figures are what matter
    return Path(database), shop


def _open(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise ReportError(f"base {path} introuvable")
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # a report changes nothing


def report(conn: sqlite3.Connection, kind: str, register: str, database, *, as_json: bool, columns: int,
           operator: str, shop: ShopInfo) -> str:
    from kiosk import sessions

    known = sessions.registers(conn)
    if register not in known:
        others = f"caisses présentes : {', '.join(known)}" if known else "aucune caisse n'y a encore travaillé"
        raise ReportError(f"caisse {register} inconnue dans la base {database} ({others})")
    no_session = (f"aucune session de caisse ouverte sur la caisse {register} : rien à rapporter (le rapport X "
                  f"porte sur la session en cours ; « {PROG} z » montre la dernière clôture)")
    try:
        if kind == "x":
            if sessions.current_session(conn, register) is None:
                raise NothingToReport(register, kind, no_session)
            x = sessions.x_report(conn, register, operator)
            if as_json:
                return json.dumps(x.as_dict(), ensure_ascii=False, indent=2)
            return receipt_text(report_blocks(x, columns, shop))
        z = sessions.last_closing(conn, register, sessions.Z)
    except sqlite3.OperationalError:  # a database from before cash sessions
        if kind == "x":
            raise NothingToReport(register, kind, f"{no_session} ; la base {database} n'a jamais enregistré de "
                                                  "session") from None
        z = None
    except CommerceError as e:
        raise ReportError(str(e)) from None
    if z is None:
        raise NothingToReport(register, kind, f"aucune clôture Z sur la caisse {register} : la clôture se fait à "
                                              "la caisse, avec le comptage du tiroir")
    periods = [c for c in sessions.closings(conn, register) if c.number > z.number and c.kind != sessions.Z]
    if as_json:
        out = dict(z.figures)
        out["closing"] = {"number": z.number, "created_at": z.created_at, "first_ticket": z.first_ticket,
                          "last_ticket": z.last_ticket, "perpetual_total": z.perpetual_total,
                          "perpetual_absolute": z.perpetual_absolute, "prev_hash": z.prev_hash, "hash": z.hash}
        out["periods"] = [c.as_dict() for c in periods]
        return json.dumps(out, ensure_ascii=False, indent=2)
    # a Z sealed before the printed Z carried them: its number and grand totals are the stored closing's
    printed = replace(sessions.report_from_dict(z.figures), number=z.number, perpetual_total=z.perpetual_total,
                      perpetual_absolute=z.perpetual_absolute)
    text = receipt_text(report_blocks(printed, columns, shop))
    notes = [f"Clôture n° {z.number} — empreinte {z.hash[:16]}…"]
    for c in periods:
        notes.append(f"{sessions.KIND_LABELS[c.kind].capitalize()} n° {c.number} "
                     f"({_period(c)}) : total {format_eur(c.figures['total'])}, "
                     f"grand total perpétuel {format_eur(c.perpetual_total)}")
    return "\n".join([text] + [line for note in notes for line in wrap(note, columns)])


def _period(c) -> str:
    from datetime import date
    start, end = date.fromisoformat(c.period_start), date.fromisoformat(c.period_end)
    if c.kind == "day":
        return f"{start:%d/%m/%Y}"
    if c.kind == "month":
        return f"{start:%m/%Y}"
    return f"{start:%d/%m/%Y} au {end:%d/%m/%Y}"
