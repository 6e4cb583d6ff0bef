"""The register rings up in-store price and weight labels through the real store and service."""
from __future__ import annotations

import pytest

from commerce.catalogue import Product
from drivers.printer.simulator import SimulatedPrinter
from kiosk.register_service import RegisterService
from kiosk.store import KioskStore

COMTE = Product("2100042000001", "Comté 18 mois", 1890, 550, "Crèmerie")     # 18,90 €/kg, weighed
TARTE = Product("0212345000007", "Tarte aux pommes", 0, 550, "Pâtisserie")   # price on its label
CROC = Product("3292590049201", "Croc citron", 250, 550, "Confiserie")


@pytest.fixture
def svc(tmp_path):
    store = KioskStore(tmp_path / "caisse.db")
    store.upsert_products([COMTE, TARTE, CROC])
    yield RegisterService(store, SimulatedPrinter(tmp_path / "tickets", columns=42), register="1", cashier="Léa")
    store.close()


def test_weight_label_priced_by_the_kilo(svc):
    fb = svc.scan("2100042003507")                      # 0,350 kg
    assert (fb.level, fb.message) == ("info", "Comté 18 mois 0,350 kg — 6,62 €")   # 18,90 × 0,350 = 6,615
    line = svc.ticket.lines[0]
    assert (line.gtin13, line.label, line.qty, line.unit_price) == ("2100042000001", "Comté 18 mois 0,350 kg", 1, 662)


def test_price_label_uses_the_embedded_price(svc):
    fb = svc.scan("0212345002490")
    assert (fb.level, fb.message) == ("info", "Tarte aux pommes — 2,49 €")
    svc.scan("3292590049201")
    assert svc.ticket.total == 249 + 250
    assert [(l.gtin13, l.unit_price) for l in svc.ticket.lines] == [("0212345000007", 249), ("3292590049201", 250)]


@pytest.mark.parametrize("code, message", [
    ("2100042003508", "Code-barres 2100042003508 refusé : la clé de contrôle devrait être 7 (lu 8)"),
    ("2112345000008", "Code-barres 2112345000008 refusé : il indique un poids nul ; pesez l'article à nouveau"),
    ("2100043003506", "Code-barres 2100043003506 : article magasin 00043 inconnu (clé 2100043000000 absente du catalogue)"),
])
def test_refused_in_store_codes_leave_the_ticket_unchanged(svc, code, message):
    svc.scan("3292590049201")
    fb = svc.scan(code)
    assert (fb.level, fb.message) == ("error", message)
    assert [(l.label, l.total) for l in svc.ticket.lines] == [("Croc citron", 250)]
