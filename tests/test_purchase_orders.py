"""Purchase orders: made in the back office (the /commandes form in a real Chromium, or the CSV
import), read by a stockroom kiosk from the server cursor over HTTP and applied atomically with that
cursor; a reception synced back shows beside its order. On SQLite and PostgreSQL for the data parts."""
from __future__ import annotations

import os
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from backoffice import purchasing
from backoffice.app import create_app
from backoffice.devices import register_device
from backoffice_fixtures import engine, sqlite_engine  # noqa: F401
from commerce.errors import CommerceError
from commerce.stock import OrderLine, PurchaseOrder
from kiosk.stock_store import StockStore
from stock_support import CROC, JUS, LENTILLES, open_store
from sync.orders_pull import pull_orders
from sync.pusher import PushError, Pusher
from sync_support import ThreadedBackOffice

CHROMIUM = "/usr/bin/chromium"
PO = PurchaseOrder("PO-2001", "Épicerie Centrale", date(2026, 12, 10),
                   (OrderLine(CROC, 24, 180, 6), OrderLine(LENTILLES, 12, 150, 1)))


def test_orders_are_added_once_and_never_changed(engine):  # noqa: F811
    assert purchasing.add_orders(engine, [PO]) == (["PO-2001"], [])
    assert purchasing.add_orders(engine, [PO]) == ([], ["PO-2001"])  # the same again changes nothing
    other = PurchaseOrder("PO-2001", "Épicerie Centrale", date(2026, 12, 10), (OrderLine(CROC, 25, 180, 6),))
    with pytest.raises(CommerceError, match="PO-2001 déjà enregistrée avec un autre contenu"):
        purchasing.add_orders(engine, [PurchaseOrder("PO-2002", "X", date(2026, 12, 1), (OrderLine(JUS, 1),)), other])
    with engine.connect() as conn:  # all or nothing: PO-2002 was not stored either
        assert purchasing.order(conn, "PO-2002") is None and purchasing.order(conn, "PO-2001") == PO
        page = purchasing.orders_after(conn, 0, 10)
    assert page["orders"] == [{"number": "PO-2001", "supplier": "Épicerie Centrale", "expected_date": "2026-12-10",
                               "lines": [{"gtin": CROC, "qty": 24, "unit_cost": 180, "pack": 6},
                                         {"gtin": LENTILLES, "qty": 12, "unit_cost": 150, "pack": 1}]}]
    with engine.connect() as conn:
        assert purchasing.orders_after(conn, page["next"], 10) == {"orders": [], "next": page["next"]}


def test_the_form_names_each_bad_line():
    o, errors = purchasing.order_from_form("PO-9", "Épicerie", "2026-12-10",
                                           f"{CROC} 24 1,80 6\n1234567891012 2\n{JUS} deux\n")
    assert o is None
    assert errors[0].startswith("ligne 2 : ") and "la clé de contrôle devrait être 9" in errors[0]
    assert errors[1].startswith("ligne 3 : ") and "quantité" in errors[1]
    o, errors = purchasing.order_from_form("PO-9", "Épicerie", "2026-12-10", f"{CROC} 24 1,80 6\n\n{JUS} 3\n")
    assert errors == [] and o.lines == (OrderLine(CROC, 24, 180, 6), OrderLine(JUS, 3, 0, 1))
    o, errors = purchasing.order_from_form("PO-9", "Épicerie", "", "\n")  # both said at once
    assert o is None and len(errors) == 2 and errors[1].startswith("aucune ligne"), errors


def test_ordered_products_the_catalogue_lacks_are_named(engine, tmp_path):  # noqa: F811
    from backoffice.catalog_import import import_catalogue
    f = tmp_path / "cat.csv"
    f.write_text(f"barcode,name,price,vat_rate\n{CROC},Croc citron,3.59,5.5\n", encoding="utf-8")
    assert import_catalogue(engine, f).kept == 1
    o, _ = purchasing.order_from_form("PO-9", "Épicerie", "2026-12-10", f"{CROC} 24\n{JUS} 3\n")
    with engine.connect() as conn:
        assert purchasing.not_in_catalogue(conn, o) == [JUS]


def test_a_stockroom_pulls_the_orders_and_its_reception_comes_back(engine, tmp_path):  # noqa: F811
    token = register_device(engine, "reserve-1", "R1")
    purchasing.add_orders(engine, [PO])
    store = open_store(tmp_path / "reserve.db")
    st = StockStore(store.conn)
    try:
        with ThreadedBackOffice(create_app(engine)) as office:
            with pytest.raises(PushError, match="refuse \\(401\\)"):  # a kiosk's token is needed
                pull_orders(office.url, "faux-jeton", "0", lambda o, c: None)
            apply = lambda orders, cursor: st.import_orders(orders, source="backoffice", cursor=cursor)  # noqa: E731
            assert pull_orders(office.url, token, st.orders_cursor(), apply) == 1
            assert st.order("PO-2001") == PO and st.orders_cursor() != "0"
            assert pull_orders(office.url, token, st.orders_cursor(), apply) == 0  # the cursor moved on
            purchasing.add_orders(engine, [PurchaseOrder("PO-2002", "Boissons du Sud", date(2026, 12, 11),
                                                         (OrderLine(JUS, 6, 210, 6),))])
            assert pull_orders(office.url, token, st.orders_cursor(), apply) == 1
            assert [s.order.number for s in st.open_orders()] == ["PO-2001", "PO-2002"]

            from stock_support import Clock, Printer
            from kiosk.stockroom_service import StockroomService
            svc = StockroomService(store, Printer(), kiosk="reserve-1", operator="eleve1", clock=Clock())
            svc.pick_delivery("PO-2001")
            svc.delivery_note("BL-55")
            svc.receive_scan(CROC, 24)
            assert svc.validate_reception().level == "warning"  # the lentils are missing
            pusher = Pusher(store.path, office.url, "reserve-1", token)
            while pusher.push_once():
                pass
            with urllib.request.urlopen(f"{office.url}/commandes", timeout=10) as resp:
                html = resp.read().decode("utf-8")
        row = html.split('id="orders"')[1].split("PO-2001", 1)[1].split("</tr>")[0]
        assert "BL BL-55" in row and "1 anomalie" in row and "manquant 12" in row and "reliquat PO-2001-R1" in row
    finally:
        store.close()


@pytest.mark.web
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} absent : installer le paquet Debian chromium")
def test_the_teacher_makes_an_order_in_the_browser(tmp_path):
    from playwright.sync_api import sync_playwright

    engine = sqlite_engine(tmp_path)
    shots = Path(os.environ.get("COMPTOIR_SCREENSHOTS") or tmp_path)
    with ThreadedBackOffice(create_app(engine)) as office, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1200, "height": 800}, locale="fr-FR")
        page.goto(office.url + "/commandes")
        assert "Aucune commande" in page.locator("main").inner_text()
        page.fill("input[name=number]", "PO-3001")
        page.fill("input[name=supplier]", "Épicerie Centrale")
        page.fill("input[name=expected]", "2026-12-10")
        page.fill("textarea[name=lines]", f"{CROC} 24 1,80 6\n1234567891012 2")
        page.click("button[type=submit]")
        alert = page.locator("[role=alert]").inner_text()
        assert "Commande refusée" in alert and "ligne 2" in alert and "la clé de contrôle devrait être 9" in alert
        assert page.input_value("input[name=supplier]") == "Épicerie Centrale"  # what was typed is kept
        page.fill("textarea[name=lines]", f"{CROC} 24 1,80 6\n{LENTILLES} 12 1,50")
        page.click("button[type=submit]")
        assert page.locator("[role=status]").inner_text() == "Commande PO-3001 enregistrée"
        assert page.locator(".notice.warn").inner_text() == (  # this back office has no catalogue yet
            "Attention : 3292590049201, 3297131001021 absent(s) du catalogue (reçu(s) sous leur code)")
        cells = page.locator("#orders tbody tr").first.locator("td").all_inner_texts()
        assert cells[:5] == ["PO-3001", "Épicerie Centrale", "10/12/2026", "2", "36"] and cells[5].strip() == "attendue"
        page.screenshot(path=str(shots / "commandes.png"), full_page=True)
        browser.close()
    with engine.connect() as conn:
        assert purchasing.order(conn, "PO-3001").lines == (OrderLine(CROC, 24, 180, 6), OrderLine(LENTILLES, 12, 150, 1))
    engine.dispose()
