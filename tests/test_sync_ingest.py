"""Ingest: idempotency by record id and by (device, seq), gaps, the fiscal chain, payload checks and
device ownership, through the real endpoint, on SQLite and PostgreSQL."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backoffice import chain, sync_status
from backoffice.app import create_app
from backoffice.db import device, sync_record, ticket
from backoffice.devices import register_device
from backoffice_fixtures import CROC, FUSEE, JUS, TANGOR, engine, make_ticket  # noqa: F401
from commerce import fiscal
from commerce.catalogue import Product
from sync.wire import ticket_to_wire
from sync_support import batch_of, row_counts, sealed

URL = "/api/v1/sync/batch"
EMPTY = {"ticket": 0, "ticket_line": 0, "ticket_vat": 0, "payment": 0, "sync_record": 0, "chain_break": 0}


def day(n: int, start=datetime(2025, 3, 14, 9, 0)):
    """Tickets 1..n of register 1, one a minute, 2 lines each."""
    items = ((CROC, 2), (JUS, 1), (TANGOR, 1), (FUSEE, 3))
    return [make_ticket(i, [items[i % 4], items[(i + 1) % 4]], pay="card", created_at=start + timedelta(minutes=i))
            for i in range(1, n + 1)]


@pytest.fixture
def bo(engine):  # noqa: F811
    token = register_device(engine, "caisse-1", "1", "Caisse 1")
    client = TestClient(create_app(engine))
    client.headers["Authorization"] = f"Bearer {token}"
    return engine, client


def post(client, body, status=200):
    r = client.post(URL, json=body)
    assert r.status_code == status, r.text
    return r.json()


def stored_numbers(eng) -> list[tuple[int, int]]:
    with eng.connect() as conn:
        return [tuple(r) for r in conn.execute(select(ticket.c.seq, ticket.c.number).order_by(ticket.c.seq))]


# -- idempotency -------------------------------------------------------------------------------
def test_replay_after_later_batches_changes_nothing(bo):
    eng, client = bo
    tickets = sealed(day(6))
    first = post(client, batch_of(tickets[:3]))
    assert first == {"accepted": [1, 2, 3], "duplicates": [], "last_seq": 3}
    assert post(client, batch_of(tickets[3:], first_seq=4)) == {"accepted": [4, 5, 6], "duplicates": [], "last_seq": 6}
    before = row_counts(eng)
    assert before == {**EMPTY, "ticket": 6, "ticket_line": 12, "ticket_vat": 11, "payment": 6, "sync_record": 6}
    # the first batch, delayed in the network, arrives again: same records, nothing stored
    assert post(client, batch_of(tickets[:3])) == {"accepted": [1, 2, 3], "duplicates": [], "last_seq": 6}
    # and a batch straddling what is stored and what is not stores only the new one
    seventh = sealed(day(7))[6:]
    assert post(client, batch_of(tickets[4:] + seventh, first_seq=5)) == {
        "accepted": [5, 6, 7], "duplicates": [], "last_seq": 7}
    assert row_counts(eng)["ticket"] == 7 and row_counts(eng)["sync_record"] == 7


def test_duplicate_under_new_seq_keeps_its_answer(bo):
    eng, client = bo
    tickets = sealed(day(2))
    post(client, batch_of(tickets))
    again = batch_of(tickets[:1], first_seq=3)  # the kiosk queued ticket 1 a second time, as seq 3
    assert post(client, again) == {"accepted": [], "duplicates": [3], "last_seq": 3}
    assert post(client, again) == {"accepted": [], "duplicates": [3], "last_seq": 3}
    assert row_counts(eng)["ticket"] == 2
    with eng.connect() as conn:
        assert conn.execute(select(sync_record.c.seq, sync_record.c.duplicate).order_by(sync_record.c.seq)).all() == [
            (1, False), (2, False), (3, True)]


def test_resent_seq_with_changed_record_refused(bo):
    eng, client = bo
    tickets = sealed(day(2))
    post(client, batch_of(tickets))
    other = sealed(day(3))[2:]  # ticket 3 sent as seq 2: a kiosk whose database was reset
    r = client.post(URL, json=batch_of(other, first_seq=2))
    assert r.status_code == 409
    assert r.json()["detail"].startswith("records[0].seq : le numéro d'envoi 2 de « caisse-1 » est déjà celui de "
                                         f"l'enregistrement {tickets[1]['id']}")
    assert row_counts(eng)["ticket"] == 2


# -- order and gaps ---------------------------------------------------------------------------
def test_gap_asks_for_missing_and_keeps_order(bo):
    eng, client = bo
    tickets = sealed(day(8))
    assert post(client, batch_of(tickets[:3])) == {"accepted": [1, 2, 3], "duplicates": [], "last_seq": 3}
    # seqs 4 and 5 lost: 6..8 are not stored, the kiosk is asked for 4..5
    gap = post(client, batch_of(tickets[5:], first_seq=6))
    assert gap == {"accepted": [], "duplicates": [], "last_seq": 3, "missing": {"from": 4, "to": 5}}
    assert post(client, batch_of(tickets[5:], first_seq=6)) == gap  # the same answer again
    assert stored_numbers(eng) == [(1, 1), (2, 2), (3, 3)]
    # the kiosk sends from 4 on
    assert post(client, batch_of(tickets[3:], first_seq=4)) == {
        "accepted": [4, 5, 6, 7, 8], "duplicates": [], "last_seq": 8}
    assert stored_numbers(eng) == [(s, s) for s in range(1, 9)]
    with eng.connect() as conn:
        assert chain.verify_register(conn, "1").ok
        assert sync_status.chain_breaks(conn) == []


def test_gap_inside_a_batch(bo):
    eng, client = bo
    tickets = sealed(day(6))
    body = batch_of(tickets)
    for i, r in enumerate(body["records"]):
        r["seq"] = [1, 2, 5, 6, 7, 8][i]
    assert post(client, body) == {"accepted": [1, 2], "duplicates": [], "last_seq": 2, "missing": {"from": 3, "to": 4}}
    assert stored_numbers(eng) == [(1, 1), (2, 2)]


def test_batch_seqs_must_increase(bo):
    eng, client = bo
    body = batch_of(sealed(day(3)))
    body["records"][2]["seq"] = 2
    r = client.post(URL, json=body)
    assert r.status_code == 422 and r.json()["detail"].startswith("records[2].seq : 2 après 2")
    assert row_counts(eng) == EMPTY


# -- the fiscal chain -------------------------------------------------------------------------
def test_sealed_chain_verified_and_stored(bo):
    eng, client = bo
    tickets = day(5)
    payloads = sealed(tickets)
    post(client, batch_of(payloads[:2]))
    post(client, batch_of(payloads[2:], first_seq=3))
    with eng.connect() as conn:
        rows = conn.execute(select(ticket.c.number, ticket.c.prev_hash, ticket.c.hash, ticket.c.sealed)
                            .order_by(ticket.c.number)).all()
        report = chain.verify_register(conn, "1")
        assert sync_status.chain_breaks(conn) == []
    assert [(r.prev_hash, r.hash, r.sealed) for r in rows] == [(p["prev_hash"], p["hash"], True) for p in payloads]
    assert rows[0].prev_hash == fiscal.GENESIS
    assert (report.ok, report.tickets, report.sealed, report.last_hash) == (True, 5, 5, payloads[-1]["hash"])


def test_unsealed_tickets_chained_by_the_back_office(bo):
    """An older kiosk sends no seal: the back office chains the tickets as the kiosk would have."""
    eng, client = bo
    tickets = day(4)
    post(client, batch_of([ticket_to_wire(t) for t in tickets]))
    with eng.connect() as conn:
        hashes = conn.execute(select(ticket.c.hash, ticket.c.sealed).order_by(ticket.c.number)).all()
        assert chain.verify_register(conn, "1").ok
    assert [h for h, _ in hashes] == [p["hash"] for p in sealed(tickets)]
    assert {s for _, s in hashes} == {False}


def test_altered_ticket_is_kept_and_flagged(bo):
    eng, client = bo
    payloads = sealed(day(3))
    payloads[1]["lines"][0]["label"] = "Libellé changé après validation"  # totals still right
    assert post(client, batch_of(payloads)) == {"accepted": [1, 2, 3], "duplicates": [], "last_seq": 3}
    with eng.connect() as conn:
        breaks = sync_status.chain_breaks(conn, register="1")
        status = sync_status.device_status(conn, "caisse-1")
    assert [(b["number"], b["device"], b["ticket_id"]) for b in breaks] == [(2, "caisse-1", payloads[1]["id"])]
    assert breaks[0]["reason"] == (f"ticket n° 2 : son contenu ne correspond pas à son empreinte "
                                   f"({payloads[1]['hash'][:12]}…) ; ticket modifié après validation")
    assert status.breaks == 1
    assert row_counts(eng)["ticket"] == 3  # nothing lost


def test_deleted_ticket_and_broken_link_flagged(bo):
    eng, client = bo
    payloads = sealed(day(5))
    del payloads[2]  # ticket 3 removed from the kiosk before sending: seqs stay contiguous
    post(client, batch_of(payloads))
    sixth = day(6)[5]
    forged = sealed([sixth])
    forged[0]["prev_hash"] = "0" * 64  # claims another predecessor
    forged[0]["hash"] = fiscal.chain_hash("0" * 64, fiscal.canonical_ticket(fiscal.fiscal_ticket(sixth)))
    post(client, batch_of(forged, first_seq=5))
    with eng.connect() as conn:
        breaks = sorted((b["number"], b["reason"]) for b in sync_status.chain_breaks(conn))
        report = chain.verify_register(conn, "1")
    assert breaks == [
        (4, "ticket n° 3 de la caisse 1 absent : la chaîne est interrompue avant le n° 4"),
        (6, f"ticket n° 6 : empreinte précédente {'0' * 12}… différente de celle du ticket n° 5 reçu "
            f"({payloads[3]['hash'][:12]}…)"),
    ]
    assert not report.ok and report.breaks[0] == "n° 3 à 3 absents"


def test_corrects_and_payment_reference_are_sealed(bo):
    eng, client = bo
    t1, t2 = day(2)
    p1 = sealed([t1])[0]
    record = fiscal.fiscal_ticket(t2, ("1", 1))
    h2 = fiscal.chain_hash(p1["hash"], fiscal.canonical_ticket(record))
    p2 = ticket_to_wire(t2, corrects=("1", 1), prev_hash=p1["hash"], hash=h2)
    post(client, batch_of([p1, p2]))
    with eng.connect() as conn:
        assert conn.execute(select(ticket.c.corrects_register, ticket.c.corrects_number)
                            .where(ticket.c.number == 2)).one() == ("1", 1)
        assert chain.verify_register(conn, "1").ok and sync_status.chain_breaks(conn) == []


# -- payload checks ---------------------------------------------------------------------------
@pytest.mark.parametrize("mutate, field", [
    (lambda b: b["records"][0]["payload"]["lines"][0].__setitem__("label", "Croc\x00citron"),
     "records[0].payload.lines[0].label : caractère de contrôle"),
    (lambda b: b["records"][1]["payload"].__setitem__("cashier", "L\ud800a"), "records[1].payload.cashier : caractère"),
    (lambda b: b["records"][1]["payload"]["lines"][0].__setitem__("qty", 1000), "records[1].payload.lines[0].qty : 1000"),
    (lambda b: b["records"][1]["payload"]["lines"][0].__setitem__("unit_price", 2.5),
     "records[1].payload.lines[0].unit_price : entier attendu"),
    (lambda b: b["records"][2]["payload"].__setitem__("created_at", "2025-02-30T10:00:00"),
     "records[2].payload.created_at : date ISO 8601 attendue"),
    (lambda b: b["records"][2]["payload"].__setitem__("created_at", "2019-12-31T23:59:59"),
     "records[2].payload.created_at : date 2019-12-31T23:59:59 invraisemblable"),
    (lambda b: b["records"][0]["payload"].__setitem__("hash", "ABC"), "records[0].payload.hash : empreinte SHA-256"),
    (lambda b: b["records"][0]["payload"].pop("prev_hash"), "records[0].payload.prev_hash : champ manquant"),
    (lambda b: b["records"][0]["payload"]["payments"][0].__setitem__("reference", "x" * 65),
     "records[0].payload.payments[0].reference : trop long"),
    (lambda b: b["records"][0]["payload"]["payments"][0].__setitem__("amount", 0),
     "records[0].payload.payments[0].amount : paiement de 0 refusé"),
    (lambda b: b["records"][0]["payload"].__setitem__("lines", []), "records[0].payload.lines : entre 1 et 1000"),
    (lambda b: b["records"][0]["payload"].__setitem__("corrects", {"register": "1"}),
     "records[0].payload.corrects.number : champ manquant"),
    (lambda b: b["records"][0].__setitem__("kind", "Clôture"), "records[0].kind : type « Clôture » invalide"),
    (lambda b: b["records"][0]["payload"]["lines"][0].__setitem__("kind", "cadeau"),
     "records[0].payload.lines[0].kind : type de ligne « cadeau » inconnu"),
    (lambda b: b.__setitem__("head_seq", -1), "batch.head_seq : -1 hors des bornes"),
    (lambda b: b.__setitem__("records", b["records"] * 200), "batch.records : 600 enregistrements, 500 au plus"),
])
def test_malformed_refused_naming_the_field_nothing_stored(bo, mutate, field):
    eng, client = bo
    body = batch_of(sealed(day(3)))
    mutate(body)
    # json.dumps escapes non-ASCII: a lone surrogate arrives as the JSON escape \ud800, as a hostile client sends it
    r = client.post(URL, content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(field), r.json()["detail"]
    assert row_counts(eng) == EMPTY
    with eng.connect() as conn:
        assert conn.execute(select(device.c.last_seen_at, device.c.last_seq)).one() == (None, 0)


def test_amount_beyond_a_ticket_refused(bo):
    eng, client = bo
    big = make_ticket(1, [(CROC, 1)])
    payload = ticket_to_wire(big)
    payload["lines"] = [dict(payload["lines"][0], qty=999, unit_price=10_000_000, total=9_990_000_000)]
    r = client.post(URL, json=batch_of([payload]))
    assert r.status_code == 422
    assert r.json()["detail"] == ("records[0].payload.lines[0].total : le ticket dépasse 10000000 centimes, "
                                  "plafond d'un ticket")
    assert row_counts(eng) == EMPTY


def test_body_too_large_413(bo):
    eng, client = bo
    r = client.post(URL, content=b'{"version": 1, "records": [' + b" " * (9 * 1024 * 1024) + b"]}",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["detail"].startswith("corps trop gros")
    assert row_counts(eng) == EMPTY


# -- ownership --------------------------------------------------------------------------------
def test_device_comes_from_the_token(bo):
    eng, client = bo
    token2 = register_device(eng, "caisse-2", "2", "Caisse 2")
    mine = sealed(day(2))
    # no device in the body: the token says who sends
    assert post(client, batch_of(mine, device=None)) == {"accepted": [1, 2], "duplicates": [], "last_seq": 2}
    # caisse-2's token cannot push register 1's tickets, whatever the body says
    theirs = sealed(day(3))[2:]
    r = client.post(URL, json=batch_of(theirs, first_seq=1, device=None), headers={"Authorization": f"Bearer {token2}"})
    assert r.status_code == 403 and "« caisse-2 » ne peut envoyer que des enregistrements de la caisse 2" in r.json()["detail"]
    r = client.post(URL, json=batch_of(theirs, first_seq=3, device="caisse-1"),
                    headers={"Authorization": f"Bearer {token2}"})
    assert r.status_code == 403 and r.json()["detail"].startswith("batch.device : « caisse-1 » ne correspond pas")
    with eng.connect() as conn:
        owners = conn.execute(select(device.c.code).join(ticket, ticket.c.device_id == device.c.id)).scalars().all()
        assert owners == ["caisse-1", "caisse-1"]
        caisse2 = sync_status.device_status(conn, "caisse-2")
    assert (caisse2.last_seen_at, caisse2.last_seq) == (None, 0)


def test_other_kinds_belong_to_their_kiosk(bo):
    """A journal entry or closing names its register: another kiosk cannot send one for it, and an id
    another kiosk used (journal ids are predictable) never blocks the rightful kiosk's record."""
    eng, client = bo
    token2 = register_device(eng, "caisse-2", "2", "Caisse 2")
    entry = {"register": "1", "number": 1, "timestamp": "2026-12-04T08:00:00", "kind": "sign_in",
             "operator": "eleve1", "details": {}, "prev_hash": "0" * 64, "hash": "a" * 64}
    forged = {"version": 1, "records": [{"seq": 1, "kind": "journal", "id": "journal:1:1", "payload": entry}]}
    r = client.post(URL, json=forged, headers={"Authorization": f"Bearer {token2}"})
    assert r.status_code == 403 and "ne peut envoyer que des enregistrements de la caisse 2" in r.json()["detail"]
    squatter = {"version": 1, "records": [{"seq": 1, "kind": "journal", "id": "journal:1:1",
                                           "payload": dict(entry, register="2")}]}
    r = client.post(URL, json=squatter, headers={"Authorization": f"Bearer {token2}"})
    assert r.status_code == 200 and r.json()["accepted"] == [1]
    assert post(client, {"version": 1, "records": [{"seq": 1, "kind": "journal", "id": "journal:1:1",
                                                     "payload": entry}]}) == {
        "accepted": [1], "duplicates": [], "last_seq": 1}
    with eng.connect() as conn:
        rows = conn.execute(select(device.c.code, sync_record.c.record_id, sync_record.c.duplicate)
                            .join(device, device.c.id == sync_record.c.device_id).order_by(device.c.code)).all()
    assert [tuple(r) for r in rows] == [("caisse-1", "journal:1:1", False), ("caisse-2", "journal:1:1", False)]


@pytest.mark.parametrize("kind, payload, field", [
    ("journal", {"register": "1", "number": "x"}, "records[0].payload.number : entier attendu"),
    ("journal", {"register": "1", "number": 1, "timestamp": "t", "operator": "", "kind": "k", "details": {},
                 "prev_hash": "zz", "hash": "a" * 64}, "records[0].payload.prev_hash : empreinte SHA-256 attendue"),
    ("closing", {"register": "1", "number": 1, "kind": "Z", "figures": {"total": "beaucoup"}},
     "records[0].payload.figures.total : entier attendu"),
    ("stock_moves", {"moves": [{"gtin": "3292590049201", "qty": -10 ** 12, "from": "RAYON", "to": "@CLIENT"}]},
     "records[0].payload.moves[0].qty : -1000000000000 hors des bornes"),
    ("reception", {"moves": "tout"}, "records[0].payload.moves : liste attendu"),
])
def test_other_kinds_are_checked_and_nothing_of_a_bad_batch_is_stored(bo, kind, payload, field):
    eng, client = bo
    r = client.post(URL, json={"version": 1, "records": [{"seq": 1, "kind": kind, "id": "x-1", "payload": payload}]})
    assert r.status_code == 422 and r.json()["detail"].startswith(field), r.json()
    assert row_counts(eng) == EMPTY


def test_head_seq_says_how_far_behind(bo):
    eng, client = bo
    post(client, batch_of(sealed(day(3)), head_seq=40))
    with eng.connect() as conn:
        s = sync_status.device_status(conn, "caisse-1")
    assert (s.last_seq, s.head_seq, s.behind, s.state) == (3, 40, 37, "en retard de 37")
    assert s.last_seen_at is not None and s.last_seen_at >= datetime.now().replace(microsecond=0) - timedelta(minutes=1)


def test_same_content_other_batch_shapes_skip_checks_but_not_conflicts(bo):
    """A record sent again in another form (a UPC-A code in 12 digits) is checked again and found the
    same; one whose content differs is refused."""
    eng, client = bo
    tea = Product("0697929110035", "Thé vert", 320, 550)
    payloads = sealed([make_ticket(n, [(tea, n)]) for n in (1, 2)])
    post(client, batch_of(payloads))
    other_form = copy.deepcopy(payloads)
    for p in other_form:
        p["lines"][0]["gtin"] = "697929110035"
    assert post(client, batch_of(other_form)) == {"accepted": [1, 2], "duplicates": [], "last_seq": 2}
    changed = copy.deepcopy(payloads)
    changed[1]["cashier"] = "Hugo"
    r = client.post(URL, json=batch_of(changed))
    assert r.status_code == 409 and "contenu différent" in r.json()["detail"]
    assert row_counts(eng)["ticket"] == 2


def test_discounts_gift_card_cheque_and_a_refund(bo):
    """The tickets of today's register: a line and a ticket discount, a gift card sold (outside VAT),
    a cheque with its number; then a return refunded in cash, correcting the first ticket."""
    from commerce.ticket import Line, Payment, ValidatedTicket
    eng, client = bo
    when = datetime.now().replace(microsecond=0)
    sale = ValidatedTicket(
        id="vente-1", register="1", number=1, cashier="Léa", created_at=when,
        lines=(Line(CROC.gtin13, CROC.name, 2, 250, 550), Line(CROC.gtin13, "Remise 10 %", 1, -50, 550, "discount"),
               Line("", "Remise ticket", 1, -20, 550, "discount"),
               Line("0470000000019", "Carte cadeau 0470000000019", 1, 2000, 0, "gift_card")),
        payments=(Payment("cheque", 2430, 0, "CHQ-0001234"),), customer="0490000000013", points_earned=4)
    refund = ValidatedTicket(
        id="retour-1", register="1", number=2, cashier="Léa", created_at=when,
        lines=(Line(CROC.gtin13, CROC.name, -1, 250, 550, "return", origin=("vente-1", 0)),),
        payments=(Payment("cash", -250, 0),), corrects=("1", 1))
    payloads = sealed([sale, refund])
    assert payloads[0]["lines"][3] == {"gtin": "0470000000019", "label": "Carte cadeau 0470000000019", "qty": 1,
                                       "unit_price": 2000, "vat_rate": 0, "total": 2000, "kind": "gift_card"}
    assert payloads[1]["corrects"] == {"register": "1", "number": 1}
    assert post(client, batch_of(payloads)) == {"accepted": [1, 2], "duplicates": [], "last_seq": 2}
    with eng.connect() as conn:
        rows = conn.execute(select(ticket.c.number, ticket.c.total, ticket.c.total_ht, ticket.c.total_tva,
                                   ticket.c.corrects_number).order_by(ticket.c.number)).all()
        assert chain.verify_register(conn, "1").ok and sync_status.chain_breaks(conn) == []
    # VAT on 4,30 € of sweets at 5,5 % (the gift card is outside VAT); the refund takes 2,50 € back
    assert [tuple(r) for r in rows] == [(1, 2430, 2408, 22, None), (2, -250, -237, -13, 1)]
    assert client.get("/api/v1/summary").json()["total"] == 2180


def test_other_kinds_kept_as_received_once(bo):
    """Stock moves, receptions, counts… (checked by their own modules later) are kept as received, in
    order with the tickets, once per (kind, id); the kiosk is never stuck on them."""
    from backoffice.db import sync_record
    eng, client = bo
    tickets = sealed(day(2))
    move = {"id": "op-1", "kind": "sale", "lines": [{"gtin": CROC.gtin13, "qty": -2}], "note": "é\u0000"}
    body = {"version": 1, "records": [
        {"seq": 1, "kind": "ticket", "id": tickets[0]["id"], "payload": tickets[0]},
        {"seq": 2, "kind": "stock_moves", "id": "op-1", "payload": move},
        {"seq": 3, "kind": "ticket", "id": tickets[1]["id"], "payload": tickets[1]}]}
    ack = {"accepted": [1, 2, 3], "duplicates": [], "last_seq": 3}
    assert post(client, body) == ack and post(client, body) == ack
    again = {"version": 1, "records": [{"seq": 4, "kind": "stock_moves", "id": "op-1", "payload": move}]}
    assert post(client, again) == {"accepted": [], "duplicates": [4], "last_seq": 4}
    changed = {"version": 1, "records": [{"seq": 5, "kind": "stock_moves", "id": "op-1",
                                          "payload": dict(move, note="autre")}]}
    r = client.post(URL, json=changed)
    assert r.status_code == 409 and "op-1" in r.json()["detail"]
    with eng.connect() as conn:
        rows = conn.execute(select(sync_record.c.seq, sync_record.c.kind, sync_record.c.duplicate, sync_record.c.payload)
                            .order_by(sync_record.c.seq)).all()
    assert [(s, k, d) for s, k, d, _ in rows] == [(1, "ticket", False), (2, "stock_moves", False),
                                                  (3, "ticket", False), (4, "stock_moves", True)]
    assert json.loads(rows[1].payload) == move and rows[0].payload is None and rows[3].payload is None
    big = {"version": 1, "records": [{"seq": 5, "kind": "reception", "id": "r-1", "payload": {"x": "a" * 300_000}}]}
    r = client.post(URL, json=big)
    assert r.status_code == 422 and r.json()["detail"] == "records[0].payload : plus de 262144 octets"
