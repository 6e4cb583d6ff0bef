"""Alembic driven from code: every entry point calls ``upgrade(engine)`` (through db.create_all).

The revisions are in backoffice/migrations/versions/. ``alembic.ini`` at the top of the repository
is only for writing a new revision (``alembic revision --autogenerate -m "…"``); running does not
need it.

Several back-office workers may start together: the upgrade runs in one transaction that first
takes a lock (PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE), so one worker upgrades and
the others then find the database at head. DDL is transactional on both: a failed revision leaves
the database at the revision it had.

A database made before Alembic (by metadata.create_all, i.e. revision 0001's schema) is stamped
0001 first, then upgraded like any other.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from .db import writer

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
FIRST = "0001"
FIRST_TABLES = {"device", "product", "ticket", "ticket_line", "ticket_vat", "payment"}
ADVISORY_LOCK = 0x436F6D70  # "Comp": one migrating process at a time on a PostgreSQL database


class MigrationError(RuntimeError):
    """The database cannot be brought to the newest schema; str() is French."""


def alembic_config(connection: Optional[Connection] = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def revisions() -> list[str]:
    """Every revision, oldest first."""
    return [s.revision for s in reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions()))]


def current(engine: Engine) -> Optional[str]:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the newest)."""
    with writer(engine.connect()) as conn:
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
            cfg = alembic_config(conn)
            _stamp_if_made_before_alembic(conn, cfg)
            command.upgrade(cfg, revision)


def _stamp_if_made_before_alembic(conn: Connection, cfg: Config) -> None:
    tables = set(inspect(conn).get_table_names())
    if "alembic_version" in tables or not tables & FIRST_TABLES:
        return
    missing = FIRST_TABLES - tables
    if missing:
        raise MigrationError(
            f"base de données incomplète : tables {', '.join(sorted(missing))} absentes et aucune version "
            "de schéma (alembic_version) ; ce n'est pas une base du back-office Comptoir")
    command.stamp(cfg, FIRST)
