"""Shared helpers for the back-office tests: real tickets built with commerce, engines on
SQLite (tmp file) and PostgreSQL (a fresh schema per test)."""
from __future__ import annotations

import os
import uuid
from datetime import datetime

import pytest
from sqlalchemy import create_engine, text

from backoffice.db import create_all, make_engine
from commerce.catalogue import Product
from commerce.ticket import Ticket, ValidatedTicket
from sync.wire import ticket_to_wire

PG_URL = os.environ.get("COMPTOIR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# Real GTINs from the Open Food Facts sample (/work/shared/data/catalogue); prices and rates invented.
CROC = Product("3292590049201", "Croc citron", 250, 550, "Confiserie")  # 2,50 € at 5,5 %
FUSEE = Product("3292590050511", "Fusée cola citron", 120, 550, "Confiserie")  # 1,20 € at 5,5 %
JUS = Product("3297560704173", "Jus d'Orange Mangue 1L", 345, 1000, "Boissons")  # 3,45 € at 10 %
TANGOR = Product("3297560900810", "Jus de tangor", 799, 2000, "Boissons")  # 7,99 € at 20 %


def make_ticket(number: int, items, *, register: str = "1", cashier: str = "Léa",
                pay: str = "cash", given: int | None = None, created_at: datetime | None = None,
                ticket_id: str | None = None) -> ValidatedTicket:
    t = Ticket()
    for product, qty in items:
        t.add(product, qty)
    if pay == "cash":
        t.pay_cash(given if given is not None else t.total)
    elif pay == "card":
        t.pay_card()
    else:  # "mixed": 5,00 € cash then card
        t.pay_cash(500)
        t.pay_card()
    return t.validate(ticket_id=ticket_id or str(uuid.uuid4()), register=register, number=number,
                      cashier=cashier, created_at=created_at or datetime.now().replace(microsecond=0))


def make_batch(device: str, tickets, first_seq: int = 1) -> dict:
    return {"version": 1, "device": device, "records": [
        {"seq": first_seq + i, "kind": "ticket", "id": t.id, "payload": ticket_to_wire(t)}
        for i, t in enumerate(tickets)]}


def sample_tickets() -> list[ValidatedTicket]:
    """Five tickets of register 1 today; 5,5 % TTC = 5 × 2,50 + 3 × 1,20 + 2,50 = 18,60 €."""
    return [
        make_ticket(1, [(CROC, 2), (JUS, 1)], pay="cash", given=1000),       # 5,00 + 3,45 = 8,45
        make_ticket(2, [(TANGOR, 1), (FUSEE, 3)], pay="card"),               # 7,99 + 3,60 = 11,59
        make_ticket(3, [(CROC, 3), (TANGOR, 2), (JUS, 2)], pay="mixed"),    # 7,50 + 15,98 + 6,90 = 30,38
        make_ticket(4, [(CROC, 1)], pay="cash", given=250),                  # 2,50
        make_ticket(5, [(JUS, 1)], pay="card"),                              # 3,45
    ]


def sqlite_engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'backoffice.db'}")
    create_all(engine)
    return engine


def pg_engine():
    """An engine on a brand-new PostgreSQL schema; yields it, then drops the schema.

    Unreachable server: skip with the reason, except under CI (env CI set) where it fails.
    """
    admin = create_engine(PG_URL, connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as e:
        admin.dispose()
        reason = f"PostgreSQL injoignable à {PG_URL} ({type(e).__name__}: {str(e).strip()[:160]})"
        if os.environ.get("CI"):
            pytest.fail(reason + " — obligatoire quand CI est défini")
        pytest.skip(reason + " — définir COMPTOIR_TEST_PG_URL ou démarrer le serveur")
    schema = f"test_bo_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def engine(request, tmp_path):
    if request.param == "sqlite":
        eng = sqlite_engine(tmp_path)
        yield eng
        eng.dispose()
    else:
        yield from pg_engine()
