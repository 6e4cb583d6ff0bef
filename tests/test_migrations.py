"""Alembic migrations of the back-office database, on SQLite and PostgreSQL.

Every earlier revision (and a database made before Alembic) is filled with rows of its own shape,
then upgraded: the rows are still there, the new columns and tables are filled as the revision says,
and the schema is exactly the one backoffice.db describes.
"""
from __future__ import annotations

import threading
from datetime import datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, table, column, text

from backoffice import migrate
from backoffice.db import create_all, device, make_engine, metadata, sync_record, ticket
from backoffice.devices import device_for_token
from backoffice.ingest import content_sha256, ingest_batch
from backoffice_fixtures import CROC, JUS, make_batch, make_ticket, pg_engine
from commerce import fiscal

TOKEN = "jeton-de-la-caisse-1"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def empty(request, tmp_path):
    """An engine on an empty database (PostgreSQL: a fresh schema, emptied by a downgrade to base)."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'bo.db'}")
        yield eng
        eng.dispose()
    else:
        gen = pg_engine()
        eng = next(gen)
        with eng.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "base")
            conn.execute(text("DROP TABLE alembic_version"))
        assert inspect(eng).get_table_names() == []
        yield eng
        gen.close()


def schema_diff(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)


def fill_revision_1(engine):
    """A device and one ticket written as revision 0001's code wrote them. Returns (ticket, digest)."""
    from backoffice.devices import hash_token
    t = make_ticket(1, [(CROC, 2), (JUS, 1)], pay="cash", given=1000)
    dev = table("device", column("id"), column("code"), column("register"), column("name"),
                column("token_sha256"), column("last_seen_at"), column("last_seq"))
    tk = table("ticket", *(column(c) for c in ("id", "device_id", "register", "number", "created_at", "cashier",
                                                 "training", "total", "total_ht", "total_tva", "seq",
                                                 "received_at", "content_sha256")))
    line = table("ticket_line", *(column(c) for c in ("ticket_id", "line_no", "gtin", "label", "qty", "unit_price",
                                                        "vat_bp", "total", "ht", "tva")))
    digest = content_sha256(t)
    with engine.begin() as conn:
        conn.execute(dev.insert().values(id=1, code="caisse-1", register="1", name="Caisse 1",
                                         token_sha256=hash_token(TOKEN), last_seen_at=None, last_seq=1))
        conn.execute(tk.insert().values(id=t.id, device_id=1, register="1", number=1, created_at=t.created_at,
                                        cashier="Léa", training=True, total=845, total_ht=766, total_tva=79,
                                        seq=1, received_at=datetime(2025, 3, 14, 10, 0), content_sha256=digest))
        conn.execute(line.insert(), [
            dict(ticket_id=t.id, line_no=1, gtin=CROC.gtin13, label=CROC.name, qty=2, unit_price=250, vat_bp=550,
                 total=500, ht=474, tva=26),
            dict(ticket_id=t.id, line_no=2, gtin=JUS.gtin13, label=JUS.name, qty=1, unit_price=345, vat_bp=1000,
                 total=345, ht=314, tva=31)])
    return t, digest


def check_upgraded_from_revision_1(engine, t, digest):
    assert migrate.current(engine) == migrate.head()
    assert schema_diff(engine) == []
    with engine.connect() as conn:
        d = conn.execute(select(device)).one()
        assert (d.code, d.register, d.last_seq, d.head_seq, d.revoked_at, d.enrol_sha256) == (
            "caisse-1", "1", 1, 0, None, None)
        assert conn.execute(select(sync_record)).all() == [
            (1, 1, "ticket", t.id, digest, False, datetime(2025, 3, 14, 10, 0), None)]
        old = conn.execute(select(ticket.c.total, ticket.c.hash, ticket.c.prev_hash)).one()
        assert tuple(old) == (845, None, None)  # stored before the chain
    assert device_for_token(engine, TOKEN).code == "caisse-1"  # the old token still works
    # The old ticket sent again under its seq: the same acknowledgement as when it was stored.
    assert ingest_batch(engine, "caisse-1", make_batch("caisse-1", [t])) == {
        "accepted": [1], "duplicates": [], "last_seq": 1}
    # The next ticket starts the register's chain at GENESIS (its predecessor has no hash).
    t2 = make_ticket(2, [(JUS, 1)])
    assert ingest_batch(engine, "caisse-1", make_batch("caisse-1", [t2], first_seq=2)) == {
        "accepted": [2], "duplicates": [], "last_seq": 2}
    with engine.connect() as conn:
        prev, digest2 = conn.execute(select(ticket.c.prev_hash, ticket.c.hash).where(ticket.c.number == 2)).one()
    assert prev == fiscal.GENESIS
    assert digest2 == fiscal.chain_hash(fiscal.GENESIS, fiscal.canonical_ticket(fiscal.fiscal_ticket(t2)))


def test_empty_database_upgrades_to_head(empty):
    create_all(empty)
    assert migrate.current(empty) == migrate.head() == migrate.revisions()[-1]
    assert schema_diff(empty) == []
    assert {"alembic_version", "device", "ticket", "sync_record", "chain_break"} <= set(inspect(empty).get_table_names())
    create_all(empty)  # on every start: nothing to do the second time
    assert migrate.current(empty) == migrate.head()


@pytest.mark.parametrize("start", migrate.revisions()[:-1])
def test_every_earlier_revision_upgrades_with_its_rows(empty, start):
    migrate.upgrade(empty, "0001")
    t, digest = fill_revision_1(empty)
    migrate.upgrade(empty, start)  # the database as that revision left it, with its rows
    assert migrate.current(empty) == start
    create_all(empty)
    check_upgraded_from_revision_1(empty, t, digest)


def test_database_made_before_alembic_is_stamped_then_upgraded(empty):
    migrate.upgrade(empty, "0001")
    t, digest = fill_revision_1(empty)
    with empty.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))  # as metadata.create_all left it
    assert migrate.current(empty) is None
    create_all(empty)
    check_upgraded_from_revision_1(empty, t, digest)


def test_foreign_database_is_refused_with_the_reason(empty):
    with empty.begin() as conn:
        conn.execute(text("CREATE TABLE ticket (id INTEGER PRIMARY KEY)"))
    with pytest.raises(migrate.MigrationError) as e:
        create_all(empty)
    assert str(e.value).startswith("base de données incomplète : tables device, payment, product, ticket_line, "
                                   "ticket_vat absentes")
    assert inspect(empty).get_table_names() == ["ticket"]  # nothing half done


def test_downgrade_to_base_and_up_again(empty):
    create_all(empty)
    with empty.begin() as conn:
        command.downgrade(migrate.alembic_config(conn), "base")
    assert set(inspect(empty).get_table_names()) <= {"alembic_version"}
    create_all(empty)
    assert schema_diff(empty) == []


def test_workers_starting_together_upgrade_once(empty):
    """Several back-office workers start at once on an empty database: one upgrades, all end at head."""
    errors = []
    engines = [empty] + [_another_engine(empty) for _ in range(3)]

    def start(eng):
        try:
            create_all(eng)
        except Exception as e:  # collected: a failure in a thread must fail the test
            errors.append(repr(e))

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    for e in engines[1:]:
        e.dispose()
    assert errors == []
    assert migrate.current(empty) == migrate.head()
    with empty.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    assert schema_diff(empty) == []


def _another_engine(engine):
    """A second engine (its own connections) on the same SQLite file or PostgreSQL schema."""
    if engine.dialect.name == "sqlite":
        return make_engine(engine.url.render_as_string(hide_password=False))
    from sqlalchemy import create_engine
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    return create_engine(engine.url, connect_args={"options": f"-csearch_path={schema}"})
