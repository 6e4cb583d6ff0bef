"""Replenishment from min/max: quantities to order per supplier (what is on order counts, whole
cases), shelf refills from the reserve, low-stock warnings; the printed list."""
from __future__ import annotations

from datetime import date

import pytest

from commerce import stock
from commerce.stock import MinMax, OrderLine, PurchaseOrder, ReplenishLine, order_quantity
from kiosk.stock_store import StockStore
from kiosk.stockroom_service import StockroomService
from stock_support import COMPOTE, CROC, JUS, LENTILLES, T0, Clock, Printer, open_store

D = date(2025, 3, 14)
ORDERS = [PurchaseOrder("PO-A", "Épicerie Centrale", D, (OrderLine(CROC, 6, 180, 6), OrderLine(LENTILLES, 2, 150))),
          PurchaseOrder("PO-B", "Conserverie du Sud", D, (OrderLine(COMPOTE, 5, 40),)),
          PurchaseOrder("PO-C", "Épicerie Centrale", D, (OrderLine(LENTILLES, 10, 150),))]


@pytest.fixture
def service(tmp_path):
    store = open_store(tmp_path / "reserve.db")
    StockStore(store.conn).import_orders(ORDERS, at=T0)
    svc = StockroomService(store, Printer(), operator="eleve2", clock=Clock())
    for po in ("PO-A", "PO-B"):  # received in full; PO-C is still on order
        svc.pick_delivery(po)
        svc.delivery_note(f"BL-{po}")
        for line in svc.order.lines:
            svc.receive_scan(line.gtin13, line.qty)
        svc.validate_reception()
    svc.putaway_scan("RAYON")
    svc.putaway_scan(CROC, 3)
    yield svc
    store.close()


def test_order_quantity_rule():
    rule = MinMax(CROC, "RESERVE", 5, 24)
    assert order_quantity(6, 0, rule) == 0       # above the minimum
    assert order_quantity(5, 0, rule) == 19      # at the minimum: up to the maximum
    assert order_quantity(3, 0, rule, 6) == 24   # 21 rounded up to 4 cases of 6
    assert order_quantity(2, 10, rule) == 0      # what is on order counts
    assert order_quantity(-4, 0, rule) == 28     # a negative stock (sold before put-away) is ordered back
    with pytest.raises(stock.CommerceError, match="0 ≤ mini < maxi"):
        MinMax(CROC, "RESERVE", 8, 8)


def test_replenishment_grouped_by_supplier_and_low_stock(service):
    svc = service
    assert svc.set_min_max(CROC, "RESERVE", 5, 24).message == "Croc citron en RESERVE : mini 5, maxi 24"
    svc.set_min_max(LENTILLES, "RESERVE", 4, 20)
    svc.set_min_max(COMPOTE, "RESERVE", 5, 30)
    svc.set_min_max(CROC, "RAYON", 4, 8)
    svc.set_min_max(JUS, "RESERVE", 2, 12)
    assert svc.set_min_max(CROC, "RAYON", 9, 3).message == ("Seuils refusés : seuils mini 9 / maxi 3 refusés : "
                                                            "0 ≤ mini < maxi ≤ 99999")
    assert svc.set_min_max(CROC, "NULLE-PART", 1, 3).level == "error"
    assert svc.replenishment() == {
        "Conserverie du Sud": [ReplenishLine(COMPOTE, "RESERVE", 5, 0, 5, 30, 25, "Conserverie du Sud")],
        "Épicerie Centrale": [ReplenishLine(CROC, "RESERVE", 3, 0, 5, 24, 24, "Épicerie Centrale")],
        "Fournisseur inconnu": [ReplenishLine(JUS, "RESERVE", 0, 0, 2, 12, 12, "Fournisseur inconnu")],
        stock.REFILL: [ReplenishLine(CROC, "RAYON", 3, 0, 4, 8, 3, "RESERVE")],  # 5 wanted, 3 in the reserve
    }  # lentils: 2 in stock + 10 on order (PO-C) is above the minimum of 4
    f = svc.low_stock()
    assert (f.level, f.message) == ("warning", "Stock bas : Croc citron (3 en RESERVE, mini 5), Lentilles grises 2 Kg "
                                               "(2 en RESERVE, mini 4), Pur Jus Ananas Victoria 75 cl - Albius "
                                               "(0 en RESERVE, mini 2), Croc citron (3 en RAYON, mini 4), "
                                               "Compote pomme clementine (5 en RESERVE, mini 5)")
    assert svc.print_replenishment().message == "Liste de réassort imprimée : 4 ligne(s)"
    lines = svc.printer.last_text.splitlines()
    assert lines[5:12] == [
        "------------------------------------------",
        "À commander : Conserverie du Sud",
        "Compote pomme clementine",
        "  RESERVE stock 5 (min 5, max 30)       25",
        "------------------------------------------",
        "À commander : Épicerie Centrale",
        "Croc citron"]
    assert "Réassort du rayon depuis la réserve" in lines
