"""Alembic environment: the connection comes from backoffice.migrate (or, from the alembic
command line, from sqlalchemy.url / $COMPTOIR_DATABASE_URL)."""
from __future__ import annotations

from alembic import context

from backoffice.db import database_url, make_engine, metadata

config = context.config


def run(connection) -> None:
    # render_as_batch: SQLite changes a column by copying its table (autogenerate writes it so).
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=database_url(config.get_main_option("sqlalchemy.url")), target_metadata=metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
elif config.attributes.get("connection") is not None:
    run(config.attributes["connection"])
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or None)
    with engine.connect() as conn:
        with conn.begin():
            run(conn)
    engine.dispose()
