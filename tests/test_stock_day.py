"""A day in the shop on a real SQLite file: receive, put away, sell at the register (the sale's own
transaction writes its stock moves), take back a return, scrap; stock equals received minus sold
minus scrapped. Also: scrap value per reason, put-away, returns, click-and-collect parcels."""
from __future__ import annotations

import inspect
import sqlite3
from datetime import date
from types import SimpleNamespace

import pytest

from commerce import stock
from commerce.catalogue import Product
from commerce.stock import Move, OrderLine, PurchaseOrder, ScrapTotal
from commerce.ticket import Ticket
from kiosk import stock_store
from kiosk.stock_store import StockStore
from kiosk.stockroom_service import StockroomService
from kiosk.store import KioskStore
from sync import outbox
from stock_support import CROC, JUS, LENTILLES, RIZ, T0, Clock, Printer, open_store

ORDER = PurchaseOrder("PO-7", "Épicerie Centrale", date(2025, 3, 14),
                      (OrderLine(CROC, 24, 180, 6), OrderLine(LENTILLES, 12, 150), OrderLine(JUS, 6, 210)))


@pytest.fixture
def hooked(monkeypatch):
    """KioskStore._insert_sale with stock_store.record_sale_moves in its transaction (as it will be
    wired in kiosk/store.py; left alone once it is)."""
    if "record_sale_moves" not in inspect.getsource(KioskStore._insert_sale):
        original = KioskStore._insert_sale

        def insert_sale(self, v, corrects, prev_hash):
            digest = original(self, v, corrects, prev_hash)
            stock_store.record_sale_moves(self.conn, v.id, v.lines, operator=v.cashier, at=v.created_at)
            return digest
        monkeypatch.setattr(KioskStore, "_insert_sale", insert_sale)


@pytest.fixture
def service(tmp_path, hooked):
    store = open_store(tmp_path / "boutique.db")
    StockStore(store.conn).import_orders([ORDER], at=T0)
    svc = StockroomService(store, Printer(), kiosk="reserve-1", operator="eleve1", clock=Clock())
    yield svc
    store.close()


def receive_all(svc):
    svc.pick_delivery("PO-7")
    svc.delivery_note("BL-77")
    for line in ORDER.lines:
        svc.receive_scan(line.gtin13, line.qty)
    assert svc.validate_reception().level == "info"


def sell(store: KioskStore, *items) -> str:
    t = Ticket()
    for gtin, qty in items:
        t.add(store.product(gtin), qty)
    t.pay_card()
    return store.record_sale(t, "1", "Léa Martin").id


def test_stock_after_a_day_equals_received_minus_sold_minus_scrapped(service):
    svc, store = service, service.store
    receive_all(svc)
    assert svc.putaway_scan(CROC).message == "Scannez d'abord l'étiquette de l'emplacement où ranger"
    assert svc.putaway_scan("rayon").message == "Arrivée : Rayon (RAYON). Scannez les articles à y ranger"
    assert svc.putaway_scan(CROC, 12).message == "Croc citron : 12 rangé(s) en RAYON (reste 12 en RESERVE)"
    svc.putaway_scan(LENTILLES, 6)
    assert svc.putaway_scan(JUS, 7).message == ("Pur Jus Ananas Victoria 75 cl - Albius : 7 demandé(s) mais 6 en "
                                               "stock dans « Réserve » ; vérifiez la quantité, ou faites un "
                                               "inventaire de l'emplacement")
    sold = {CROC: 0, LENTILLES: 0, JUS: 0}
    for items in (((CROC, 2), (LENTILLES, 1)), ((CROC, 3),), ((LENTILLES, 2), (CROC, 1), (JUS, 1)), ((CROC, 1),)):
        ticket = sell(store, *items)
        for g, q in items:
            sold[g] += q
    # a sale never waits for the stock: the juice was never put away, its shelf goes negative
    assert svc.stock.levels(JUS) == {"RAYON": -1, "RESERVE": 6}
    assert svc.low_stock().message == "Aucune alerte de stock"
    assert svc.scrap(CROC, 1, "damaged").message == ("Croc citron : 1 mis au rebut (casse ou produit abîmé), "
                                                      "3,59 € de démarque (prix de vente)")
    # a return at the register comes back into RETOURS-CLIENTS (not sellable) until the stockroom decides
    with store.conn:
        store.conn.execute("BEGIN IMMEDIATE")
        stock_store.record_sale_moves(store.conn, "avoir-1", [SimpleNamespace(gtin13=CROC, qty=-1, unit_price=359,
                                                                              kind="return")], operator="Léa Martin")
    assert svc.stock.on_hand(CROC, stock.CUSTOMER_RETURNS) == 1
    assert svc.dispose_return(CROC, 1, "resaleable").message == "Croc citron : 1 retour(s) → RESERVE"

    st = svc.stock
    received = {l.gtin13: l.qty for l in ORDER.lines}
    assert sold == {CROC: 7, LENTILLES: 3, JUS: 1}
    assert st.on_hand(CROC) == received[CROC] - sold[CROC] - 1 + 1 == 17
    assert st.on_hand(LENTILLES) == received[LENTILLES] - sold[LENTILLES] == 9
    assert st.on_hand(JUS) == received[JUS] - sold[JUS] == 5
    assert st.levels(CROC) == {"RAYON": 12 - 7 - 1, "REBUT": 1, "RESERVE": 12 + 1}
    assert st.verify() == []
    moves = st.moves(ref=ticket)
    assert [(m.move.kind, m.move.gtin13, m.move.qty, m.move.source, m.move.dest, m.move.unit_price, m.operator)
            for m in moves] == [("sale", CROC, 1, "RAYON", "@CLIENT", 359, "Léa Martin")]
    kinds = [r["kind"] for r in outbox.pending(store.conn, 100)]
    # a ticket's record carries its sale moves (its lines); the stockroom's operations have their own
    assert kinds == ["reception", "stock_moves", "stock_moves"] + ["ticket"] * 4 + [
        "scrap", "stock_moves", "stock_moves"]
    with pytest.raises(sqlite3.DatabaseError, match="modification interdite"):
        store.conn.execute("UPDATE stock_move SET qty = 99 WHERE gtin13 = ?", (CROC,))
    with pytest.raises(sqlite3.DatabaseError, match="modification interdite"):
        store.conn.execute("DELETE FROM stock_move")
    # a stock level changed by hand is found by verify (the ledger is the truth)
    store.conn.execute("UPDATE stock_level SET qty = 50 WHERE gtin13 = ? AND location = 'RAYON'", (CROC,))
    assert st.verify() == [(CROC, "RAYON", 50, 4)]


def test_scrap_value_per_reason(service):
    svc = service
    receive_all(svc)  # costs from the order: Croc citron 1,80 €, Lentilles 1,50 € (HT)
    svc.putaway_scan("RAYON")
    svc.putaway_scan(CROC, 10)
    svc.putaway_scan(LENTILLES, 10)
    svc.store.upsert_products([Product(RIZ, "Riz basmati grain long 5 Kg", 779, 550, "Épicerie")])
    with svc.store.conn:  # rice that came with no order: no known cost
        svc.store.conn.execute("BEGIN IMMEDIATE")
        stock_store.record_moves(svc.store.conn, "transfer", [Move("transfer", RIZ, 2, "@INVENTAIRE", "RAYON")],
                                 ref="t", operator="t")
    for code, qty, reason in ((CROC, 2, "damaged"), (CROC, 1, "expired"), (LENTILLES, 3, "périmé"),
                              (LENTILLES, 1, "theft"), (RIZ, 2, "vol")):
        assert svc.scrap(code, qty, reason).level == "info"
    assert svc.scrap(CROC, 8, "damaged").level == "error"  # 7 left on the shelf
    assert svc.scrap(CROC, 1, "lost").message == ("Mise au rebut refusée : motif de rebut « lost » inconnu : damaged "
                                                  "(casse), expired (date dépassée) ou theft (vol, démarque inconnue)")
    assert svc.scrap_report() == [
        ScrapTotal("damaged", 2, 2 * 180, 2 * 359, 0),
        ScrapTotal("expired", 4, 180 + 3 * 150, 359 + 3 * 299, 0),
        ScrapTotal("theft", 3, 150, 299 + 2 * 779, 2),
    ]
    assert svc.print_scrap_report().message == "Démarque imprimée : 38,31 € (prix de vente)"
    text = svc.printer.last_text
    assert "Vol ou démarque inconnue\n  Quantité                               3\n  Valeur au coût (HT)               1,50 €\n" \
           "  Valeur de vente (TTC)            18,57 €\n  dont 2 unité(s) sans coût connu" in text
    totals = [line for line in text.splitlines() if line.startswith("TOTAL")]
    assert totals == ["TOTAL au coût (HT)".ljust(42 - 7) + "11,40 €", "TOTAL vente (TTC)".ljust(42 - 7) + "38,31 €"]
    assert svc.stock.on_hand(CROC, "REBUT") == 3


def test_putaway_into_bins_customer_returns_and_supplier_returns(service):
    svc = service
    receive_all(svc)
    svc.stock.add_location(stock.make_location("r-a01", "Réserve allée A case 1", "reserve"))
    assert svc.putaway_scan("R-B99").message == ("Emplacement « R-B99 » inconnu : scannez l'étiquette d'un "
                                                 "emplacement déclaré")
    svc.putaway_scan("R-A01")
    svc.putaway_scan(CROC, 20)
    assert svc.putaway_source("R-A01").level == "info"
    svc.putaway_scan("RAYON")
    assert svc.putaway_scan(CROC, 5).message == "Croc citron : 5 rangé(s) en RAYON (reste 15 en R-A01)"
    assert svc.stock.levels(CROC) == {"R-A01": 15, "RAYON": 5, "RESERVE": 4}
    assert svc.stock.on_hand(CROC) == 24  # bins of the reserve are sellable stock too
    assert svc.return_to_supplier(CROC, 1).message == ("Retour fournisseur refusé : Croc citron : 1 demandé(s) mais "
                                                        "0 en stock dans « Retours fournisseur » ; vérifiez la quantité, "
                                                        "ou faites un inventaire de l'emplacement")
    with svc.store.conn:
        svc.store.conn.execute("BEGIN IMMEDIATE")
        stock_store.record_sale_moves(svc.store.conn, "avoir-2", [SimpleNamespace(gtin13=LENTILLES, qty=-2,
                                                                                  unit_price=299)])
    assert svc.dispose_return(LENTILLES, 1, "supplier").message == "Lentilles grises 2 Kg : 1 retour(s) → RETOURS-FOURNISSEUR"
    assert svc.dispose_return(LENTILLES, 1, "scrap").message == "Lentilles grises 2 Kg : 1 retour(s) → REBUT"
    assert svc.return_to_supplier(LENTILLES, 1, "repris par le livreur").level == "info"
    assert svc.stock.levels(LENTILLES) == {"REBUT": 1, "RESERVE": 12}
    assert [(m.move.kind, m.move.reason) for m in svc.stock.moves(gtin13=LENTILLES)][-3:] == [
        ("transfer", "retour client : à rendre au fournisseur"), ("scrap", "damaged"), ("supplier_return", "repris par le livreur")]
    assert svc.print_location_label("R-A01").level == "info"
    assert svc.printer.last_text == "Réserve allée A case\n1\n[CODE128 R-A01]\nR-A01"  # 21 columns in double width


def test_click_and_collect_parcel(service):
    svc = service
    assert svc.parcel_receive("cc-1042", "Mme Durand", 2).message == ("Colis CC-1042 pour Mme Durand reçu (2 colis) : "
                                                                      "scannez l'emplacement où le ranger")
    assert svc.parcel_receive("CC-1042", "Mme Durand").message == "Colis refusé : colis CC-1042 déjà reçu"
    assert svc.parcel_store("CC-1042", "COLIS").message == "Colis CC-1042 rangé en Colis clients (COLIS)"
    assert svc.parcel_return("CC-1042", CROC, 1, "resaleable").message == ("Retour refusé : colis CC-1042 rangé : "
                                                                           "impossible de le marquer « retour client »")
    assert svc.parcel_hand_over("CC-9999").message == "Remise refusée : colis CC-9999 inconnu : il n'a pas été reçu"
    assert svc.parcel_hand_over("CC-1042").message == "Colis CC-1042 remis au client (pris en COLIS)"
    assert svc.parcel_hand_over("CC-1042").message == "Remise refusée : colis CC-1042 déjà remis au client"
    assert svc.parcel_return("CC-1042", CROC, 1, "scrap").message == ("Retour du colis CC-1042 : Croc citron x1, "
                                                                      "à mettre au rebut → REBUT")
    assert svc.parcels() == [{"order_code": "CC-1042", "customer": "Mme Durand", "packages": 2, "state": "returned",
                              "location": "COLIS"}]
    assert [(m.move.kind, m.move.source, m.move.dest) for m in svc.stock.moves(ref="CC-1042")] == [
        ("return", "@CLIENT", "RETOURS-CLIENTS"), ("scrap", "RETOURS-CLIENTS", "REBUT")]
    assert svc.stock.levels(CROC) == {"REBUT": 1}
    assert [r["payload"]["action"] for r in outbox.pending(svc.store.conn) if r["kind"] == "parcel"] == [
        "received", "stored", "handed_over", "returned"]


def test_sale_hook_skips_lines_that_move_no_stock_and_can_leave_the_outbox_alone(tmp_path):
    store = open_store(tmp_path / "caisse.db")
    StockStore(store.conn)
    lines = [SimpleNamespace(gtin13=CROC, qty=2, unit_price=359, kind="item"),
             SimpleNamespace(gtin13="", qty=1, unit_price=-100, kind="discount"),
             SimpleNamespace(gtin13="9990000000019", qty=1, unit_price=2000, kind="gift_card"),
             SimpleNamespace(gtin=LENTILLES, qty=1, unit_price=299)]  # a wire-shaped line, no kind: an item
    with store.conn:
        store.conn.execute("BEGIN IMMEDIATE")
        moves = stock_store.record_sale_moves(store.conn, "t-1", lines, sync=False)
    assert [(m.kind, m.gtin13, m.qty, m.source, m.dest) for m in moves] == [
        ("sale", CROC, 2, "RAYON", "@CLIENT"), ("sale", LENTILLES, 1, "RAYON", "@CLIENT")]
    assert outbox.counts(store.conn) == (0, 0)
    assert StockStore(store.conn).levels(CROC) == {"RAYON": -2}
    store.close()


def test_on_hand_counts_a_location_declared_by_another_process(tmp_path):
    first = open_store(tmp_path / "k.db")
    st = StockStore(first.conn)
    with first.conn:
        first.conn.execute("BEGIN IMMEDIATE")
        stock_store.record_moves(first.conn, "reception", [Move("reception", CROC, 5, "@FOURNISSEUR", "RESERVE"),
                                                           Move("reception", CROC, 2, "@FOURNISSEUR", "REBUT")],
                                 ref="r", operator="t")
    assert st.on_hand(CROC) == 5  # the scrap is not sellable
    other = KioskStore(tmp_path / "k.db")  # the stockroom kiosk, another process on the same file
    StockStore(other.conn).add_location(stock.make_location("S-B02", "Rayon B2", "shelf"))
    with other.conn:
        other.conn.execute("BEGIN IMMEDIATE")
        stock_store.record_moves(other.conn, "transfer", [Move("transfer", CROC, 3, "RESERVE", "S-B02")],
                                 ref="t", operator="t")
    assert (st.on_hand(CROC), st.on_hand(CROC, "S-B02")) == (5, 3)
    other.close()
    first.close()


def test_register_sale_and_exchange_write_their_moves_in_the_sale_transaction(tmp_path, hooked):
    from drivers.printer import make_printer
    from kiosk.register_service import RegisterService
    store = open_store(tmp_path / "caisse.db")
    st = StockStore(store.conn)
    reg = RegisterService(store, make_printer({"backend": "sim", "out_dir": str(tmp_path / "t")}), register="1",
                          cashier="Léa Martin")
    reg.scan(CROC)
    reg.scan(CROC)
    assert reg.pay_card().message == "Ticket n° 1 enregistré : 7,18 €"
    reg.open_return("1")
    reg.return_line(1, 1)  # one Croc citron comes back…
    reg.scan(LENTILLES)    # …exchanged for lentils
    assert reg.pay_card().message == "Ticket n° 2 enregistré : -0,60 €"
    assert [(m.move.kind, m.move.gtin13, m.move.qty, m.move.source, m.move.dest, m.ref) for m in st.moves()] == [
        ("sale", CROC, 2, "RAYON", "@CLIENT", reg.store.find_ticket("1", 1).id),
        ("return", CROC, 1, "@CLIENT", "RETOURS-CLIENTS", reg.last_sale.id),
        ("sale", LENTILLES, 1, "RAYON", "@CLIENT", reg.last_sale.id)]
    assert st.levels(CROC) == {"RAYON": -2, "RETOURS-CLIENTS": 1} and st.on_hand(CROC) == -2
    store.close()
