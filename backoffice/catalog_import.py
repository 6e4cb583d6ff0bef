"""Catalogue import: a CSV file (barcode,name,price,vat_rate[,category]) -> product rows.

The row rules live in commerce.catalogue (check_header, parse_rows); this module reads the file,
compares with what is stored and writes in batches. Products are upserted by GTIN-13; an unchanged
row is not written and keeps its version, so re-importing a file changes nothing.

CLI: ``comptoir catalog import FICHIER.csv [--database-url URL]`` calls ``main(argv)``.
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from commerce.catalogue import Product, RowError, check_header, parse_rows
from commerce.errors import CommerceError

from .db import create_all, database_url, is_postgresql, make_engine, product, unreachable

BATCH = 1000
Progress = Callable[[int, int], None]


class ImportFileError(Exception):
    """The file cannot be imported at all (missing, unreadable, wrong header); str() is French."""


@dataclass
class ImportReport:
    kept: int = 0  # valid product rows (inserted + updated + unchanged)
    refused: list[RowError] = field(default_factory=list)
    unchanged: int = 0
    inserted: int = 0
    updated: int = 0

    def summary(self) -> str:
        def n(count: int, word: str) -> str:  # French plural: 0 and 1 take the singular
            return f"{count} {word}" if count <= 1 else f"{count} {word.replace(' ', 's ')}s"
        return (f"{n(self.kept, 'produit gardé')}, {n(len(self.refused), 'ligne refusée')} "
                f"({n(self.unchanged, 'inchangé')})")


def read_catalogue(path: str | Path) -> tuple[list[Product], list[RowError]]:
    """Read and check the whole file; raise ImportFileError if it cannot be read as a catalogue."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ImportFileError(f"fichier {path} introuvable") from None
    except OSError as e:
        raise ImportFileError(f"fichier {path} illisible : {e.strerror or e}") from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ImportFileError(
            f"fichier {path} illisible : il n'est pas encodé en UTF-8 (octet {e.start + 1}) ; "
            "enregistrez-le en « CSV UTF-8 »") from None
    first_line = content.split("\n", 1)[0]
    # A spreadsheet saved "CSV (séparateur : point-virgule)" is the usual French export.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(content, newline=""), delimiter=delimiter)
    try:
        check_header(reader.fieldnames)
    except CommerceError as e:
        raise ImportFileError(f"fichier {path} : {e}") from None
    reader.fieldnames = [f.strip() for f in reader.fieldnames]
    products: list[Product] = []
    refused: list[RowError] = []
    first_line_of: dict[str, int] = {}
    try:
        for item in parse_rows(reader):
            line = reader.line_num  # the line the row ends on (blank lines counted)
            if isinstance(item, RowError):
                refused.append(item)
                continue
            if item.gtin13 in first_line_of:
                refused.append(RowError(line, item.gtin13, f"code-barres {item.gtin13} déjà présent "
                                                           f"ligne {first_line_of[item.gtin13]} du fichier"))
                continue
            first_line_of[item.gtin13] = line
            products.append(item)
    except csv.Error as e:
        raise ImportFileError(f"fichier {path} illisible ligne {reader.line_num} : {e}") from None
    return products, refused


def import_catalogue(engine: Engine, path: str | Path, progress: Optional[Progress] = None) -> ImportReport:
    """Import the CSV at ``path``; ``progress(done, total)`` is called about every 1000 rows."""
    products, refused = read_catalogue(path)
    report = ImportReport(kept=len(products), refused=refused)
    total = len(products)
    now = datetime.now().replace(microsecond=0)
    with engine.begin() as conn:
        if is_postgresql(engine):
            # One importer at a time: versions must stay unique and increasing.
            conn.execute(text("LOCK TABLE product IN SHARE ROW EXCLUSIVE MODE"))
        version = conn.execute(select(func.coalesce(func.max(product.c.version), 0))).scalar_one()
        stored = {r.gtin13: (r.name, r.price, r.vat_bp, r.category)
                  for r in conn.execute(select(product.c.gtin13, product.c.name, product.c.price,
                                               product.c.vat_bp, product.c.category))}
        upd_stmt = (update(product).where(product.c.gtin13 == bindparam("key"))
                    .values(name=bindparam("name"), price=bindparam("price"), vat_bp=bindparam("vat_bp"),
                            category=bindparam("category"), updated_at=bindparam("updated_at"),
                            version=bindparam("version")))
        for start in range(0, total, BATCH):
            inserts, updates = [], []
            for p in products[start:start + BATCH]:
                values = (p.name, p.price, p.vat_bp, p.category)
                old = stored.get(p.gtin13)
                if old == values:
                    report.unchanged += 1
                    continue
                version += 1
                row = dict(name=p.name, price=p.price, vat_bp=p.vat_bp, category=p.category,
                           updated_at=now, version=version)
                if old is None:
                    inserts.append(dict(row, gtin13=p.gtin13))
                else:
                    updates.append(dict(row, key=p.gtin13))
            if inserts:
                conn.execute(insert(product), inserts)
            if updates:
                conn.execute(upd_stmt, updates)
            report.inserted += len(inserts)
            report.updated += len(updates)
            if progress:
                progress(min(start + BATCH, total), total)
    return report


def main(argv: Optional[list[str]] = None) -> int:
    """``comptoir catalog import FICHIER.csv [--database-url URL]`` (argv without the program name).

    Accepts argv starting with "FICHIER.csv" or with "catalog import FICHIER.csv".
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:2] == ["catalog", "import"]:
        args = args[2:]
    parser = argparse.ArgumentParser(
        prog="comptoir catalog import",
        description="Importe un catalogue CSV (barcode,name,price,vat_rate[,category]) dans le back-office.")
    parser.add_argument("file", metavar="FICHIER.csv")
    parser.add_argument("--database-url", default=None,
                        help="base de données (sinon $COMPTOIR_DATABASE_URL, sinon var/backoffice.db)")
    ns = parser.parse_args(args)

    try:
        engine = make_engine(ns.database_url)
        create_all(engine)
    except (SQLAlchemyError, ValueError) as e:  # bad URL, server down, no rights
        print(f"Erreur : {unreachable(e, ns.database_url or database_url())}", file=sys.stderr)
        return 2
    shown = [False]

    def progress(done: int, total: int) -> None:
        if total >= 5 * BATCH:
            shown[0] = True
            if sys.stderr.isatty():  # one line updated in place
                print(f"\rImport… {done}/{total} lignes", end="", file=sys.stderr, flush=True)
            else:  # a log file gets one line per step
                print(f"Import… {done}/{total} lignes", file=sys.stderr, flush=True)

    try:
        report = import_catalogue(engine, ns.file, progress)
    except ImportFileError as e:
        print(f"Erreur : {e}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    if shown[0]:
        print(file=sys.stderr)
    for err in report.refused:
        print(str(err))
    print(report.summary())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
