"""Back office -> kiosk: operators, customers, pricelists and promotions published from CSV files,
read by a kiosk from the server cursor over HTTP, each batch applied with its cursor atomically; a new
student signs in with her badge; a new promotion applies to the next ticket, and a price changed
while a ticket is open does not change that ticket (SQLite and PostgreSQL)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from backoffice import reference
from backoffice.app import create_app
from backoffice.catalog_import import import_catalogue
from backoffice.devices import register_device
from backoffice_fixtures import engine  # noqa: F401
from commerce.errors import CommerceError
from drivers.printer.simulator import SimulatedPrinter
from kiosk import accounts, operators_store
from kiosk import reference as kiosk_reference
from kiosk.config import KioskConfig
from kiosk.launch import refresh_catalogue
from kiosk.register_service import RegisterService
from kiosk.signin_service import SignInService
from kiosk.store import KioskStore
from sync.pusher import PushError
from sync_support import ThreadedBackOffice

CROC = "3292590049201"
JUS = "3297560704173"


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def publish(engine, tmp_path, kind: str, text: str):  # noqa: F811
    records, errors = reference.read_file(kind, write(tmp_path / f"{kind}.csv", text))
    assert errors == []
    return reference.publish(engine, records, pin_iterations=1000)


def test_files_are_checked_line_by_line(tmp_path):
    f = write(tmp_path / "ops.csv", "id,name,role,badge,pin\n"
                                    "eleve9,Lina Roux,élève,0400000000091,9876\n"
                                    "eleve10,Tom,chef,0400000000107,1234\n"
                                    "eleve11,Zoé,élève,0400000000115,12\n"
                                    "eleve9,Lina Roux,élève,0400000000091,9876\n"
                                    "eleve12,Tom Roux,élève,0400000000091,1234\n"
                                    "eleve16,Autre,élève,0400000000015,1234\n"
                                    "eleve1,Léa Martin,élève,0400000000015,1111\n")
    records, errors = reference.read_file("operator", f)
    assert [r[1] for r in records] == ["eleve9", "eleve1"]  # the demo class's own badge stays its own
    assert [(e.line, e.reason.split(" :")[0]) for e in errors] == [
        (3, "rôle « chef » refusé"), (4, errors[1].reason.split(" :")[0]), (5, "« eleve9 » déjà plus haut (ligne 2)"),
        (6, "badge 0400000000091 déjà celui de « eleve9 » (ligne 2)"),
        (7, "badge 0400000000015 réservé à « eleve1 » de la classe de démonstration, que chaque caisse neuve "
            "possède")]
    records, errors = reference.read_file("promotion", write(tmp_path / "p.csv", "code,label,barcodes,n,percent\n"
                                                              f"P1,3 pour 2,{CROC} 1234567891012,3,100\n"))
    assert records == [] and "la clé de contrôle devrait être 9" in errors[0].reason


def test_operators_publish_once_with_their_pin_hashed_and_one_badge_each(engine, tmp_path):  # noqa: F811
    import json

    from sqlalchemy import select

    from backoffice.db import reference as table
    text = "id,name,role,badge,pin\neleve9,Lina Roux,élève,0400000000091,9876\n"
    assert publish(engine, tmp_path, "operator", text) == (1, 0)
    assert publish(engine, tmp_path, "operator", text) == (0, 1)  # the same PIN keeps its published hash
    with engine.connect() as conn:
        (payload,) = conn.execute(select(table.c.payload)).scalars().all()
    assert "9876" not in payload and json.loads(payload)["pin_hash"].startswith("pbkdf2_sha256$1000$")
    assert publish(engine, tmp_path, "operator", text.replace("9876", "5555")) == (1, 0)  # a new PIN: a new version
    with pytest.raises(CommerceError, match="badge 0400000000091 déjà celui de « eleve9 »"):
        publish(engine, tmp_path, "operator", "id,name,role,badge,pin\neleve12,Tom,élève,0400000000091,1234\n")
    with engine.connect() as conn:  # nothing of the refused file was published
        assert [json.loads(p)["id"] for p in conn.execute(select(table.c.payload)).scalars()] == ["eleve9", "eleve9"]


def test_a_kiosk_receives_operators_customers_and_offers(engine, tmp_path):  # noqa: F811
    token = register_device(engine, "caisse-1", "1")
    write(tmp_path / "cat.csv", f'barcode,name,price,vat_rate\n{CROC},Croc citron,"2,50","5,5"\n'
                                f'{JUS},Jus d\'Orange Mangue 1L,"3,45",10\n')
    import_catalogue(engine, tmp_path / "cat.csv")
    assert publish(engine, tmp_path, "operator", "id,name,role,badge,pin\n"
                                                 "eleve9,Lina Roux,élève,0400000000091,9876\n") == (1, 0)
    assert publish(engine, tmp_path, "customer", "card,name,group\n0490000000016,Mme Garnier,personnel\n") == (1, 0)
    assert publish(engine, tmp_path, "pricelist", "group,label,percent\npersonnel,Personnel,10\n") == (1, 0)
    assert publish(engine, tmp_path, "promotion", f"code,label,barcodes,n,percent\nP1,3 pour 2,{CROC},3,100\n") == (1, 0)
    assert publish(engine, tmp_path, "promotion", f"code,label,barcodes,n,percent\nP1,3 pour 2,{CROC},3,100\n") == (0, 1)
    store = KioskStore(tmp_path / "caisse.db")
    try:
        with ThreadedBackOffice(create_app(engine)) as office:
            with pytest.raises(PushError, match="401"):
                kiosk_reference.refresh(store, office.url, "faux")
            cfg = KioskConfig(register="1", device="caisse-1", database=store.path, backoffice_url=office.url,
                              token=token)
            assert refresh_catalogue(cfg) == ("ok", 2)
            assert kiosk_reference.refresh(store, office.url, token) == 0  # the cursor moved past all of it
            lina = operators_store.get(store.conn, "eleve9")
            assert (lina.name, lina.badge, lina.active) == ("Lina Roux", "0400000000091", True)
            signin = SignInService(store, "1")
            assert signin.badge("0400000000091").ok and signin.current.name == "Lina Roux"
            assert accounts.customer(store.conn, "0490000000016").group == "personnel"
            assert accounts.pricelist(store.conn, "personnel").percent_bp == 1000
            assert [p.code for p in accounts.promotions(store.conn)] == ["P1"]

            svc = RegisterService(store, SimulatedPrinter(tmp_path / "t", columns=42), register="1",
                                  cashier="Lina Roux")
            for _ in range(3):
                svc.scan(CROC)
            assert svc.ticket.total == 500  # 3 for 2: 7,50 - 2,50
            # the teacher changes the price and deactivates Lina while the ticket is open
            write(tmp_path / "cat2.csv", f'barcode,name,price,vat_rate\n{CROC},Croc citron,"2,90","5,5"\n')
            import_catalogue(engine, tmp_path / "cat2.csv")
            assert publish(engine, tmp_path, "operator", "id,name,role,badge,pin,active\n"
                                                         "eleve9,Lina Roux,élève,0400000000091,9876,non\n") == (1, 0)
            assert refresh_catalogue(cfg)[0] == "ok"
            assert store.product(CROC).price == 290 and svc.ticket.total == 500  # the open ticket keeps its price
            assert svc.pay_card().level == "info" and svc.last_sale.total == 500
            svc.scan(CROC)
            assert svc.ticket.total == 290  # the next ticket takes the new price
            assert operators_store.get(store.conn, "eleve9").active is False
            assert not SignInService(store, "1").badge("0400000000091").ok
    finally:
        store.close()


def test_cli_publishes_and_refuses_bad_lines(tmp_path):
    url = f"sqlite:///{tmp_path / 'bo.db'}"
    f = write(tmp_path / "clients.csv", "card,name\n0490000000016,Mme Garnier\n0490000000024,Faux\n")

    def run(*args):
        return subprocess.run([sys.executable, "-m", "comptoir.cli", "reference", *args, "--database-url", url],
                              capture_output=True, text=True, timeout=60)
    r = run("import", "customers", str(f))
    assert r.returncode == 1 and "ligne 3" in r.stdout and "clé de contrôle devrait être 3" in r.stdout
    assert "1 publié(s), 0 inchangé(s), 1 ligne(s) refusée(s)" in r.stdout
    r = run("list")
    assert r.returncode == 0 and "customer   1" in r.stdout
    r = run("import", "customers", str(tmp_path / "absent.csv"))
    assert r.returncode == 2 and "introuvable" in r.stderr
    ops = write(tmp_path / "ops.csv", "id,name,role,badge,pin\neleve9,Lina Roux,élève,0400000000091,9876\n")
    assert run("import", "operators", str(ops)).returncode == 0
    write(ops, "id,name,role,badge,pin\neleve12,Tom Roux,élève,0400000000091,1234\n")  # Lina's badge, published
    r = run("import", "operators", str(ops))
    assert r.returncode == 2 and "inaccessible" not in r.stderr, r.stderr
    assert "badge 0400000000091 déjà celui de « eleve9 » : un badge par personne" in r.stderr
