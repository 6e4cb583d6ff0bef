"""The teachers' pages in a real Chromium against a real uvicorn server (tmp SQLite database)."""
from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from backoffice.app import create_app
from backoffice.catalog_import import import_catalogue
from backoffice.devices import register_device
from backoffice.ingest import ingest_batch
from backoffice_fixtures import make_batch, sample_tickets, sqlite_engine

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.web,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} absent : installer le paquet Debian chromium"),
]

CATALOGUE = """barcode,name,price,vat_rate,category
3292590049201,Croc citron,"2,50","5,5",Confiserie
3292590050511,Fusée cola citron,"1,20","5,5",Confiserie
3297560704173,Jus d'Orange Mangue 1L,"3,45",10,Boissons
3297560900810,Jus de tangor,"7,99",20,Boissons
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    tmp = tmp_path_factory.mktemp("backoffice-web")
    engine = sqlite_engine(tmp)
    register_device(engine, "caisse-1", "1", "Caisse 1 (comptoir)")
    register_device(engine, "caisse-2", "2", "Caisse 2")
    tickets = sample_tickets()
    assert ingest_batch(engine, "caisse-1", make_batch("caisse-1", tickets))["accepted"] == [1, 2, 3, 4, 5]
    (tmp / "cat.csv").write_text(CATALOGUE, encoding="utf-8")
    assert import_catalogue(engine, tmp / "cat.csv").inserted == 4

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(engine), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("le serveur uvicorn du back-office n'a pas démarré")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", tickets
    srv.should_exit = True
    thread.join(10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("COMPTOIR_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_dashboard_register_ticket_walkthrough(server, browser, shots):
    base, tickets = server
    page = browser.new_page(viewport={"width": 1200, "height": 900}, locale="fr-FR")
    page.goto(base + "/")
    assert page.title() == "Tableau de bord · Comptoir"
    assert "MODE FORMATION" in page.locator(".training").inner_text()
    assert page.locator("#tickets-count").inner_text() == "5"
    assert page.locator("#total-ttc").inner_text() == "56,37 €"

    rows = page.locator("#vat-table tbody tr")
    read = [[c.strip() for c in rows.nth(i).locator("td").all_inner_texts()] for i in range(rows.count())]
    expected = {}
    for t in tickets:
        for r in t.vat:
            e = expected.setdefault(r.rate_bp, [0, 0, 0])
            e[0], e[1], e[2] = e[0] + r.ht, e[1] + r.tva, e[2] + r.ttc

    def eur(c):
        return f"{c // 100},{c % 100:02d} €"

    assert read == [[label, eur(ht), eur(tva), eur(ttc)] for label, (ht, tva, ttc) in
                    (("20 %", expected[2000]), ("10 %", expected[1000]), ("5,5 %", expected[550]))]
    assert [r[3] for r in read] == ["23,97 €", "13,80 €", "18,60 €"]
    assert page.locator("#vat-table tfoot td").all_inner_texts()[-1].strip() == "56,37 €"
    reg_rows = page.locator("#registers tbody tr")
    assert reg_rows.count() == 2
    assert reg_rows.nth(0).locator("td").all_inner_texts()[:5] == ["Caisse 1", "caisse-1", "5", "56,37 €", "5"]
    assert reg_rows.nth(1).locator("td").all_inner_texts()[:3] == ["Caisse 2", "caisse-2", "0"]
    page.screenshot(path=str(shots / "1-tableau-de-bord.png"), full_page=True)

    page.get_by_role("link", name="Caisse 1").click()
    page.wait_for_url(base + "/caisses/1")
    trs = page.locator("#tickets tbody tr")
    assert trs.count() == 5
    assert [trs.nth(i).locator("td").first.inner_text() for i in range(5)] == ["5", "4", "3", "2", "1"]
    third = [c.strip() for c in trs.nth(2).locator("td").all_inner_texts()]
    assert third[0] == "3" and third[2:] == ["Léa", "3", "30,38 €", "Espèces, Carte bancaire"]
    page.screenshot(path=str(shots / "2-caisse-1.png"), full_page=True)

    page.get_by_role("link", name="3", exact=True).click()
    page.wait_for_url(base + f"/tickets/{tickets[2].id}")
    assert page.locator("h1").inner_text().startswith("Ticket n° 3")
    labels = page.locator("#lines tbody tr td:first-child").all_inner_texts()
    assert labels == ["Croc citron", "Jus de tangor", "Jus d'Orange Mangue 1L"]
    assert page.locator("#lines tfoot td").inner_text() == "30,38 €"
    assert page.locator("#payments tbody tr td:first-child").all_inner_texts() == ["Espèces", "Carte bancaire"]
    page.screenshot(path=str(shots / "3-ticket-3.png"), full_page=True)
    page.close()


def test_catalogue_search(server, browser, shots):
    base, _ = server
    page = browser.new_page(viewport={"width": 1200, "height": 700}, locale="fr-FR")
    page.goto(base + "/catalogue")
    assert page.locator("#products tbody tr").count() == 4
    page.fill("#q", "jus")
    page.press("#q", "Enter")
    page.wait_for_url("**/catalogue?q=jus")
    names = page.locator("#products tbody tr td:nth-child(2)").all_inner_texts()
    assert names == ["Jus d'Orange Mangue 1L", "Jus de tangor"]
    assert page.locator("#products tbody tr").nth(1).locator("td").all_inner_texts()[3:] == ["7,99 €", "20 %"]
    page.screenshot(path=str(shots / "4-catalogue.png"), full_page=True)
    page.goto(base + "/catalogue?q=3292590049201")
    assert page.locator("#products tbody tr td:nth-child(2)").all_inner_texts() == ["Croc citron"]
    page.goto(base + "/tickets/inexistant")
    assert "Le ticket inexistant n'existe pas." in page.locator("main").inner_text()
    page.close()
