"""The sync endpoints as described in the OpenAPI document, fuzzed: schemathesis generates requests
from /openapi.json (valid and invalid by the schema), and a Hypothesis fuzz breaks real batches at
random places. Never a 500, answers as documented, and nothing stored that does not hold together:
every stored ticket's lines, VAT and payments add up, and its chain verifies or its break is flagged.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings, strategies as st
from schemathesis import checks
from sqlalchemy import func, select

from backoffice import chain
from backoffice.app import create_app
from backoffice.db import chain_break, device, make_engine, payment, ticket, ticket_line, ticket_vat
from backoffice.devices import add_device, register_device
from backoffice_fixtures import CROC, JUS, TANGOR, engine, make_ticket  # noqa: F401
from sync_support import batch_of, sealed

# schemathesis reads the schema when the module loads: an app on its own SQLite file
_DIR = Path(tempfile.mkdtemp(prefix="comptoir-openapi-"))
_ENGINE = make_engine(f"sqlite:///{_DIR / 'bo.db'}")
_APP = create_app(_ENGINE)
_TOKEN = register_device(_ENGINE, "caisse-1", "1")
add_device(_ENGINE, "caisse-2", "2")  # a pending enrolment code, for the enrol endpoint to find (or not)
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", _APP).include(path_regex="^/api/v1/sync/")


def assert_stored_records_hold(eng) -> None:
    """Every stored ticket adds up; every chain verifies, or each ticket that breaks it is flagged."""
    with eng.connect() as conn:
        lines = dict(conn.execute(select(ticket_line.c.ticket_id, func.sum(ticket_line.c.total))
                                  .group_by(ticket_line.c.ticket_id)).all())
        vat = dict(conn.execute(select(ticket_vat.c.ticket_id, func.sum(ticket_vat.c.ttc))
                                .group_by(ticket_vat.c.ticket_id)).all())
        paid = dict(conn.execute(select(payment.c.ticket_id, func.sum(payment.c.amount))
                                 .group_by(payment.c.ticket_id)).all())
        flagged = set(conn.execute(select(chain_break.c.register)).scalars())
        for t in conn.execute(select(ticket)):
            assert lines[t.id] == vat[t.id] == paid.get(t.id, 0) == t.total, t.id
            assert t.total_ht + t.total_tva == t.total and 0 < t.number
        for register in conn.execute(select(ticket.c.register).distinct()).scalars():
            assert chain.verify_register(conn, register).ok or register in flagged


def test_the_sync_endpoints_are_documented():
    doc = TestClient(_APP).get("/openapi.json").json()
    batch = doc["paths"]["/api/v1/sync/batch"]["post"]
    body = batch["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["version", "records"] and body["properties"]["records"]["maxItems"] == 500
    assert set(batch["responses"]) == {"200", "401", "403", "409", "413", "422"}
    assert "/api/v1/sync/enrol" in doc["paths"] and "/api/v1/sync/status" in doc["paths"]


@SCHEMA.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_fuzzed_from_the_openapi_document(case):
    response = case.call(headers={"Authorization": f"Bearer {_TOKEN}"})
    assert response.status_code < 500, response.text[:300]
    if response.status_code == 413:  # a generated body over the endpoint's size limit: refused as documented
        assert response.json()["detail"].startswith("corps trop gros")
        return
    # Semantics beyond the schema (totals, check digits, dates) refuse schema-valid data: that check is off.
    case.validate_response(response, excluded_checks=[checks.positive_data_acceptance])
    assert_stored_records_hold(_ENGINE)


# -- breaking real batches --------------------------------------------------------------------
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6)


def paths(obj, prefix=()):
    """Every place in a JSON document: [(path, ...)]."""
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from paths(v, prefix + (i,))


def apply(body, path, value, delete: bool):
    if not path:
        return value
    target = body
    for key in path[:-1]:
        target = target[key]
    if delete and isinstance(target, dict):
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


@pytest.fixture
def fuzzed(engine):  # noqa: F811
    """One back office for all the examples of a run: what earlier examples stored must hold too."""
    return engine, TestClient(create_app(engine)), register_device(engine, "fuzz-1", "9")


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_broken_batches_never_500_nor_stored_wrong(fuzzed, data):
    engine, client, token = fuzzed  # noqa: F811
    with engine.connect() as conn:
        last_seq = conn.execute(select(device.c.last_seq).where(device.c.code == "fuzz-1")).scalar_one()
        last_number = conn.execute(select(func.coalesce(func.max(ticket.c.number), 0))
                                   .where(ticket.c.register == "9")).scalar_one()
    tickets = [make_ticket(last_number + i, [(p, i)], register="9", pay="card")
               for i, p in enumerate((CROC, JUS, TANGOR), start=1)]
    body = batch_of(sealed(tickets), first_seq=last_seq + 1, device="fuzz-1")
    where = data.draw(st.sampled_from(list(paths(body))))
    body = apply(body, where, data.draw(JSON), data.draw(st.booleans()))
    r = client.post("/api/v1/sync/batch", content=json.dumps(body), headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert r.status_code in (200, 403, 409, 422), (where, r.status_code, r.text[:300])
    if r.status_code != 200:
        assert r.json()["detail"]
    assert_stored_records_hold(engine)


@pytest.fixture(scope="module", autouse=True)
def _dispose():
    yield
    _ENGINE.dispose()
