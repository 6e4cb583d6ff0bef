"""Devices and trust: enrolment codes, tokens, revocation; the devices pages; the teacher's and the
kiosk's commands. On SQLite and PostgreSQL (the commands on a SQLite file, as subprocesses)."""
from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backoffice import devices as dev_mod
from backoffice.app import create_app
from backoffice.db import create_all, device, make_engine
from backoffice.devices import DeviceError, EnrolmentRefused, add_device, enrol, register_device, revoke
from backoffice_fixtures import CROC, engine, make_ticket  # noqa: F401
from comptoir.devices_cli import kiosk_enrol_main
from sync_support import ThreadedBackOffice, batch_of, row_counts, sealed

BATCH, ENROL, STATUS = "/api/v1/sync/batch", "/api/v1/sync/enrol", "/api/v1/sync/status"
CODE = re.compile(r"^[A-HJ-KMNP-Z2-9]{4}-[A-HJ-KMNP-Z2-9]{4}-[A-HJ-KMNP-Z2-9]{4}$")


@pytest.fixture
def client(engine):  # noqa: F811
    return TestClient(create_app(engine))


def tickets(n: int, start: int = 1):
    return [make_ticket(i, [(CROC, 1)]) for i in range(start, start + n)]


def push(client, token, body):
    return client.post(BATCH, json=body, headers={"Authorization": f"Bearer {token}"})


def test_enrolment_code_exchanged_once_for_a_token(engine, client):  # noqa: F811
    code = add_device(engine, "caisse-2", "2", "Caisse du fond")
    assert CODE.match(code), code
    with engine.connect() as conn:
        row = conn.execute(select(device)).one()
    assert (row.code, row.register, row.name, row.revoked_at) == ("caisse-2", "2", "Caisse du fond", None)
    assert row.enrol_sha256 == dev_mod.hash_token(code.replace("-", "")) and code not in str(tuple(row))

    # the kiosk types it in lower case with spaces: still the code
    r = client.post(ENROL, json={"code": code.lower().replace("-", " ")})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["device"], got["register"]) == ("caisse-2", "2") and len(got["token"]) >= 40
    with engine.connect() as conn:
        row = conn.execute(select(device)).one()
    assert row.token_sha256 == dev_mod.hash_token(got["token"]) and row.enrol_sha256 is None

    body = batch_of(sealed([make_ticket(i, [(CROC, 1)], register="2") for i in (1, 2)]), device=None)
    assert push(client, got["token"], body).json() == {"accepted": [1, 2], "duplicates": [], "last_seq": 2}

    # a code works once
    again = client.post(ENROL, json={"code": code})
    assert again.status_code == 401
    assert again.json()["detail"].startswith("code d'enrôlement inconnu, déjà utilisé ou expiré")
    assert client.get(STATUS, headers={"Authorization": f"Bearer {got['token']}"}).json() == {
        "device": "caisse-2", "register": "2", "last_seq": 2, "head_seq": 2,
        "last_seen_at": row_last_seen(engine, "caisse-2"), "chain_breaks": 0}


def row_last_seen(engine, code):  # noqa: F811
    with engine.connect() as conn:
        seen = conn.execute(select(device.c.last_seen_at).where(device.c.code == code)).scalar_one()
    return seen.isoformat() if seen else None


def test_expired_or_wrong_code_401_nothing_written(engine, client):  # noqa: F811
    code = add_device(engine, "caisse-2", "2", now=datetime.now() - timedelta(hours=25))
    for body in ({"code": code}, {"code": "ABCD-EFGH-JKMN"}):
        r = client.post(ENROL, json=body)
        assert r.status_code == 401, r.text
    with pytest.raises(EnrolmentRefused):
        enrol(engine, code)
    with engine.connect() as conn:
        assert conn.execute(select(device.c.enrol_sha256)).scalar_one() is not None  # not used up
    for bad in ({}, {"code": 12}, {"code": ""}, [], {"code": "x" * 65}):
        r = client.post(ENROL, json=bad)
        assert r.status_code == 422 and r.json()["detail"].startswith("code : code d'enrôlement attendu"), bad
    assert client.post(ENROL, content=b"{", headers={"Content-Type": "application/json"}).status_code == 422


def test_revoked_token_401_writes_nothing_then_enrol_again(engine, client):  # noqa: F811
    token = register_device(engine, "caisse-1", "1")
    first = sealed(tickets(3))
    assert push(client, token, batch_of(first[:2])).status_code == 200
    before = row_counts(engine)
    with engine.connect() as conn:
        seen_before = conn.execute(select(device.c.last_seen_at, device.c.last_seq)).one()

    revoke(engine, "caisse-1")
    r = push(client, token, batch_of(first[2:], first_seq=3))
    assert r.status_code == 401 and "jeton" in r.json()["detail"]
    assert client.get(STATUS, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert row_counts(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(device.c.last_seen_at, device.c.last_seq)).one() == seen_before
        assert conn.execute(select(device.c.revoked_at)).scalar_one() is not None

    # the teacher re-adds it: a new code, a new token; the kiosk goes on from its seq 3
    code = add_device(engine, "caisse-1", "1")
    new_token = enrol(engine, code)[1]
    assert push(client, token, batch_of(first[2:], first_seq=3)).status_code == 401  # the old one stays dead
    assert push(client, new_token, batch_of(first[2:], first_seq=3)).json() == {
        "accepted": [3], "duplicates": [], "last_seq": 3}


def test_revoked_pending_code_no_longer_enrols(engine, client):  # noqa: F811
    code = add_device(engine, "caisse-3", "3")
    revoke(engine, "caisse-3")
    assert client.post(ENROL, json={"code": code}).status_code == 401


@pytest.mark.parametrize("header", [None, "Bearer ", "Bearer nimporte", "Token abc", "bearer"])
def test_missing_or_wrong_token_401(engine, client, header):  # noqa: F811
    register_device(engine, "caisse-1", "1")
    headers = {"Authorization": header} if header else {}
    r = client.post(BATCH, json=batch_of(sealed(tickets(1))), headers=headers)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert client.get(STATUS, headers=headers).status_code == 401
    assert row_counts(engine)["ticket"] == 0


def test_device_rules(engine):  # noqa: F811
    register_device(engine, "caisse-1", "1")
    with pytest.raises(DeviceError, match="existe déjà et il est enrôlé"):
        add_device(engine, "caisse-1", "1")
    for bad in ("", "Caisse 1", "caisse/1", "x" * 65, "-caisse"):
        with pytest.raises(DeviceError, match="nom d'appareil"):
            add_device(engine, bad, "1")
    with pytest.raises(DeviceError, match="numéro de caisse obligatoire"):
        add_device(engine, "caisse-9", " ")
    with pytest.raises(DeviceError, match="inconnu"):
        revoke(engine, "caisse-9")
    # one device per register number: a second one's tickets would clash with the first's forever
    with pytest.raises(DeviceError, match="la caisse 1 est déjà celle de l'appareil « caisse-1 »"):
        add_device(engine, "caisse-4", "1")
    with pytest.raises(DeviceError, match="la caisse 1 est déjà celle de l'appareil « caisse-1 »"):
        register_device(engine, "caisse-5", "1")
    revoke(engine, "caisse-1")
    assert add_device(engine, "caisse-4", "1")  # the replacement, once the old one is revoked


def test_devices_pages_show_last_seen_behind_and_breaks(engine, client):  # noqa: F811
    token = register_device(engine, "caisse-1", "1", "Caisse 1")
    add_device(engine, "caisse-2", "2", "Caisse 2")
    payloads = sealed(tickets(4))
    payloads[2]["cashier"] = "Quelqu'un d'autre"  # altered after sealing
    assert push(client, token, batch_of(payloads, head_seq=10)).status_code == 200

    page = client.get("/appareils")
    assert page.status_code == 200
    row1 = re.search(r'<tr data-device="caisse-1" class="alert">(.*?)</tr>', page.text, re.S).group(1)
    assert re.search(r'class="state">en retard de 6<', row1) and re.search(r'class="n behind">6<', row1)
    assert re.search(r'class="n breaks">1<', row1)
    row2 = re.search(r'<tr data-device="caisse-2">(.*?)</tr>', page.text, re.S).group(1)
    assert "en attente d&#39;enrôlement" in row2 and "jamais" in row2

    detail = client.get("/appareils/caisse-1")
    assert detail.status_code == 200
    assert '<td id="behind">6</td>' in detail.text
    assert f'<a href="/tickets/{payloads[2]["id"]}">3</a>' in detail.text
    assert "ticket n° 3 : son contenu ne correspond pas à son empreinte" in detail.text
    ok = client.get("/appareils/caisse-2")
    assert 'id="chain-ok"' in ok.text
    assert client.get("/appareils/caisse-9").status_code == 404


def comptoir(*args):
    return subprocess.run([sys.executable, "-m", "comptoir.cli", *args], capture_output=True, text=True, timeout=60)


def test_teacher_and_kiosk_commands(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'bo.db'}"
    r = comptoir("devices", "add", "caisse-2", "--register", "2", "--database-url", url)
    assert r.returncode == 0, r.stderr
    code = r.stdout.splitlines()[1]
    assert CODE.match(code) and "comptoir kiosk enrol URL-DU-BACK-OFFICE " + code in r.stdout

    r = comptoir("devices", "add", "Caisse 2", "--register", "2", "--database-url", url)
    assert r.returncode == 1 and "nom d'appareil « Caisse 2 » refusé" in r.stderr

    engine = make_engine(url)
    create_all(engine)
    with ThreadedBackOffice(create_app(engine)) as office:
        token_file = tmp_path / "jeton"
        assert kiosk_enrol_main([office.url, code, "--token-file", str(token_file)]) == 0
        out = capsys.readouterr().out
        assert "Caisse enrôlée : appareil caisse-2, caisse 2." in out
        token = token_file.read_text().strip()
        assert oct(token_file.stat().st_mode & 0o777) == "0o600"
        assert token not in out
        assert dev_mod.device_for_token(engine, token).code == "caisse-2"
        # the same code again: refused, said plainly
        assert kiosk_enrol_main([office.url, code]) == 1
        assert "enrôlement refusé (401) : code d'enrôlement inconnu, déjà utilisé ou expiré" in capsys.readouterr().err
    assert kiosk_enrol_main(["http://127.0.0.1:9", code]) == 1
    assert "back-office injoignable à http://127.0.0.1:9" in capsys.readouterr().err

    r = comptoir("devices", "status", "--database-url", url)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^caisse-2\s+2\s+jamais vu\s+jamais\s+0\s+0\s+0$", r.stdout, re.M), r.stdout
    r = comptoir("devices", "revoke", "caisse-2", "--database-url", url)
    assert r.returncode == 0 and "révoqué" in r.stdout
    assert dev_mod.device_for_token(engine, token) is None
    r = comptoir("devices", "revoke", "caisse-7", "--database-url", url)
    assert r.returncode == 1 and "appareil « caisse-7 » inconnu" in r.stderr
    engine.dispose()
