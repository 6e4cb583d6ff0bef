"""Sync ingest through the real HTTP endpoint, on SQLite and PostgreSQL."""
from __future__ import annotations

import copy
from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backoffice.app import create_app
from backoffice.db import device, payment, ticket, ticket_line, ticket_vat
from backoffice.devices import register_device
from backoffice.ingest import IngestRefused, ingest_batch
from backoffice_fixtures import CROC, JUS, TANGOR, engine, make_batch, make_ticket, sample_tickets  # noqa: F401

URL = "/api/v1/sync/batch"


def counts(eng) -> dict:
    with eng.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (ticket, ticket_line, ticket_vat, payment)}


EMPTY = {"ticket": 0, "ticket_line": 0, "ticket_vat": 0, "payment": 0}


@pytest.fixture
def setup(engine):  # noqa: F811
    token = register_device(engine, "caisse-1", "1", "Caisse 1")
    client = TestClient(create_app(engine))
    return engine, client, {"Authorization": f"Bearer {token}"}


def test_batch_stored_once_and_same_ack(setup):
    eng, client, auth = setup
    tickets = sample_tickets()
    body = make_batch("caisse-1", tickets)
    r1 = client.post(URL, json=body, headers=auth)
    assert r1.status_code == 200, r1.text
    assert r1.json() == {"accepted": [1, 2, 3, 4, 5], "duplicates": [], "last_seq": 5}
    stored = counts(eng)
    assert stored == {"ticket": 5, "ticket_line": 9, "ticket_vat": 9, "payment": 6}

    r2 = client.post(URL, json=body, headers=auth)
    assert r2.status_code == 200
    assert r2.json() == r1.json()
    assert counts(eng) == stored

    # The same ticket re-queued by the kiosk under a new seq: a duplicate, not stored again.
    again = make_batch("caisse-1", tickets[:1], first_seq=6)
    r3 = client.post(URL, json=again, headers=auth)
    assert r3.json() == {"accepted": [], "duplicates": [6], "last_seq": 6}
    assert counts(eng) == stored

    with eng.connect() as conn:
        t3 = conn.execute(select(ticket).where(ticket.c.number == 3)).one()
        assert (t3.register, t3.cashier, t3.training, t3.total, t3.seq) == ("1", "Léa", True, 3038, 3)
        assert t3.total_ht + t3.total_tva == 3038
        lines = conn.execute(select(ticket_line.c.gtin, ticket_line.c.label, ticket_line.c.qty,
                                    ticket_line.c.unit_price, ticket_line.c.total)
                             .where(ticket_line.c.ticket_id == t3.id).order_by(ticket_line.c.line_no)).all()
        assert [tuple(l) for l in lines] == [
            ("3292590049201", "Croc citron", 3, 250, 750),
            ("3297560900810", "Jus de tangor", 2, 799, 1598),
            ("3297560704173", "Jus d'Orange Mangue 1L", 2, 345, 690),
        ]
        pays = conn.execute(select(payment.c.method, payment.c.amount, payment.c.given)
                            .where(payment.c.ticket_id == t3.id).order_by(payment.c.line_no)).all()
        assert [tuple(p) for p in pays] == [("cash", 500, 500), ("card", 2538, 0)]
        dev = conn.execute(select(device).where(device.c.code == "caisse-1")).one()
        assert dev.last_seq == 6 and dev.last_seen_at is not None
        assert len(dev.token_sha256) == 64 and auth["Authorization"][7:] not in dev.token_sha256


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic Y2Fpc3NlLTE6eA==", "Bearer "])
def test_bad_token_401_nothing_written(setup, header):
    eng, client, _ = setup
    headers = {"Authorization": header} if header else {}
    r = client.post(URL, json=make_batch("caisse-1", sample_tickets()), headers=headers)
    assert r.status_code == 401
    assert "jeton" in r.json()["detail"]
    assert counts(eng) == EMPTY


def test_old_token_stops_working_after_new_one(setup):
    eng, client, auth = setup
    new_token = register_device(eng, "caisse-1", "1", "Caisse 1")
    body = make_batch("caisse-1", sample_tickets()[:1])
    assert client.post(URL, json=body, headers=auth).status_code == 401
    assert client.post(URL, json=body, headers={"Authorization": f"Bearer {new_token}"}).status_code == 200


@pytest.mark.parametrize("mutate, field", [
    (lambda b: b["records"][1]["payload"]["lines"][0].__setitem__("qty", "2"), "records[1].payload.lines[0].qty"),
    (lambda b: b["records"][2]["payload"].__setitem__("total", 1), "records[2].payload.total"),
    (lambda b: b["records"][0]["payload"]["lines"][1].__setitem__("gtin", "3297560704174"),
     "records[0].payload.lines[1]"),
    (lambda b: b["records"][3].pop("seq"), "records[3].seq"),
    (lambda b: b.__setitem__("version", 2), "batch.version"),
    (lambda b: b["records"][4].__setitem__("seq", 1), "records[4].seq"),
])
def test_malformed_422_names_field_nothing_written(setup, mutate, field):
    eng, client, auth = setup
    body = make_batch("caisse-1", sample_tickets())
    mutate(body)
    r = client.post(URL, json=body, headers=auth)
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(field), r.json()
    assert counts(eng) == EMPTY


def test_invalid_json_422(setup):
    eng, client, auth = setup
    r = client.post(URL, content=b"{not json", headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"].startswith("corps : JSON illisible")
    assert counts(eng) == EMPTY


def test_same_id_different_content_refused_whole_batch(setup):
    eng, client, auth = setup
    tickets = sample_tickets()
    assert client.post(URL, json=make_batch("caisse-1", tickets[:2]), headers=auth).status_code == 200
    before = counts(eng)
    forged = copy.deepcopy(make_batch("caisse-1", tickets[:3]))
    forged["records"][1]["payload"]["cashier"] = "Autre"  # ticket 2 changed after validation
    r = client.post(URL, json=forged, headers=auth)
    assert r.status_code == 409
    assert tickets[1].id in r.json()["detail"] and "contenu différent" in r.json()["detail"]
    assert counts(eng) == before  # ticket 3 of the same batch was not stored either


def test_register_number_clash_refused(setup):
    eng, client, auth = setup
    first = make_ticket(7, [(CROC, 1)])
    assert client.post(URL, json=make_batch("caisse-1", [first]), headers=auth).status_code == 200
    clash = make_ticket(7, [(JUS, 1)])  # same register and number, another id
    ok = make_ticket(8, [(JUS, 1)])
    r = client.post(URL, json=make_batch("caisse-1", [ok, clash], first_seq=2), headers=auth)
    assert r.status_code == 409
    assert r.json()["detail"] == (
        f"records[1].payload.number : le ticket n° 7 de la caisse 1 existe déjà sous un autre "
        f"identifiant ({first.id}) ; rien n'a été enregistré")
    assert counts(eng)["ticket"] == 1


def test_seq_reused_for_another_ticket_refused(setup):
    eng, client, auth = setup
    assert client.post(URL, json=make_batch("caisse-1", [make_ticket(1, [(CROC, 1)])]), headers=auth).status_code == 200
    r = client.post(URL, json=make_batch("caisse-1", [make_ticket(2, [(CROC, 1)])]), headers=auth)
    assert r.status_code == 409 and r.json()["detail"].startswith("records[0].seq : le numéro d'envoi 1")
    assert counts(eng)["ticket"] == 1


def test_kiosk_writes_only_its_register(setup):
    eng, client, auth = setup
    other = make_ticket(1, [(CROC, 1)], register="2")
    r = client.post(URL, json=make_batch("caisse-1", [make_ticket(1, [(JUS, 1)]), other]), headers=auth)
    assert r.status_code == 403
    assert "caisse 1" in r.json()["detail"] and "« 2 »" in r.json()["detail"]
    # Nor can it claim to be another device.
    r = client.post(URL, json=make_batch("caisse-2", [other]), headers=auth)
    assert r.status_code == 403 and r.json()["detail"].startswith("batch.device")
    assert counts(eng) == EMPTY


def test_summary_vat_equals_sum_of_tickets(setup):
    eng, client, auth = setup
    tickets = sample_tickets()
    yesterday = make_ticket(6, [(TANGOR, 5)], created_at=datetime.now() - timedelta(days=1))
    assert client.post(URL, json=make_batch("caisse-1", tickets + [yesterday]), headers=auth).status_code == 200

    expected = defaultdict(lambda: {"ht": 0, "tva": 0, "ttc": 0})
    for t in tickets:
        for row in t.vat:
            for k in ("ht", "tva", "ttc"):
                expected[row.rate_bp][k] += getattr(row, k)
    s = client.get("/api/v1/summary").json()
    assert s["tickets"] == 5
    assert s["total"] == 5637 == sum(t.total for t in tickets)
    assert s["vat"] == [{"rate": rate, **expected[rate]} for rate in (2000, 1000, 550)]
    assert [(v["rate"], v["ttc"]) for v in s["vat"]] == [(2000, 2397), (1000, 1380), (550, 1860)]
    for v in s["vat"]:
        assert v["ht"] + v["tva"] == v["ttc"]
    assert s["registers"] == {"1": {"tickets": 5, "total": 5637}}

    y = client.get("/api/v1/summary", params={"date": (date.today() - timedelta(days=1)).isoformat()}).json()
    assert (y["tickets"], y["total"], y["vat"]) == (1, 3995, [{"rate": 2000, "ht": 3329, "tva": 666, "ttc": 3995}])
    bad = client.get("/api/v1/summary", params={"date": "14/03/2025"})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("date :")

    listing = client.get("/api/v1/tickets", params={"register": "1"}).json()
    assert listing["count"] == 6
    assert [t["number"] for t in listing["tickets"]] == [5, 4, 3, 2, 1, 6]
    assert listing["tickets"][2]["total"] == 3038 and listing["tickets"][2]["payments"] == ["cash", "card"]


def test_ingest_function_directly(engine):  # noqa: F811
    register_device(engine, "caisse-1", "1")
    body = make_batch("caisse-1", sample_tickets()[:2])
    assert ingest_batch(engine, "caisse-1", body) == {"accepted": [1, 2], "duplicates": [], "last_seq": 2}
    assert ingest_batch(engine, "caisse-1", body) == {"accepted": [1, 2], "duplicates": [], "last_seq": 2}
    with pytest.raises(IngestRefused, match="inconnu"):
        ingest_batch(engine, "caisse-9", make_batch("caisse-9", sample_tickets()[:1]))


def test_health(setup):
    _, client, _ = setup
    r = client.get("/api/v1/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_register_page_paginated_newest_first(setup):
    eng, client, auth = setup
    start = datetime(2025, 3, 14, 9, 0)
    tickets = [make_ticket(n, [(CROC, 1 + n % 3)], created_at=start + timedelta(minutes=n)) for n in range(1, 121)]
    assert client.post(URL, json=make_batch("caisse-1", tickets), headers=auth).status_code == 200
    first = client.get("/caisses/1")
    assert first.status_code == 200
    assert "Page 1 sur 3" in first.text and "120 tickets" in first.text
    assert f'href="/tickets/{tickets[119].id}">120<' in first.text
    assert f'/tickets/{tickets[70].id}"' in first.text and f'/tickets/{tickets[69].id}"' not in first.text
    last = client.get("/caisses/1", params={"page": 3}).text
    assert last.count('href="/tickets/') == 20 and f'href="/tickets/{tickets[0].id}">1<' in last
    assert "14/03/2025 09:01" in last
    assert client.get("/caisses/7").status_code == 404
    assert client.get("/tickets/absent").status_code == 404


def test_concurrent_same_batch_stored_once(setup):
    from concurrent.futures import ThreadPoolExecutor

    eng, _, _ = setup
    register_device(eng, "caisse-1", "1")
    body = make_batch("caisse-1", sample_tickets())
    with ThreadPoolExecutor(6) as pool:
        acks = list(pool.map(lambda _: ingest_batch(eng, "caisse-1", body), range(6)))
    assert acks == [{"accepted": [1, 2, 3, 4, 5], "duplicates": [], "last_seq": 5}] * 6
    assert counts(eng) == {"ticket": 5, "ticket_line": 9, "ticket_vat": 9, "payment": 6}
