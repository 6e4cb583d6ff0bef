"""Goods reception through the stockroom service on a real SQLite file: the anomalies, the moves,
the backorder and the printed report of one delivery; scans survive a restart; bad input changes
nothing."""
from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from commerce import stock
from commerce.stock import (DAMAGED, MISSING, NOT_ORDERED, SHORT_DATE, SURPLUS, Anomaly,
                            OrderLine, PurchaseOrder, ReceptionDraft)
from kiosk.stock_store import StockStore, payload
from kiosk.stockroom_service import StockroomService
from stock_support import COMPOTE, CROC, FUSEE, LENTILLES, RIZ, T0, Clock, Printer, open_store

ORDER = PurchaseOrder("PO-2025-014", "Épicerie Centrale", date(2025, 3, 14), (
    OrderLine(CROC, 12, 180), OrderLine(FUSEE, 6, 60), OrderLine(LENTILLES, 10, 150), OrderLine(COMPOTE, 8, 40)))


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "reserve.db"
    store = open_store(path)
    StockStore(store.conn).import_orders([ORDER], at=T0)
    store.close()
    return path


@pytest.fixture
def service(db):
    store = open_store(db)
    svc = StockroomService(store, Printer(), kiosk="reserve-1", operator="eleve1", clock=Clock())
    yield svc
    store.close()


def deliver(svc: StockroomService) -> None:
    """The delivery of the issue: one line missing, one surplus, one item not ordered, two damaged,
    one short date."""
    assert svc.pick_delivery("PO-2025-014").level == "info"
    assert svc.delivery_note("BL-123").level == "info"
    assert svc.receive_scan(CROC, 6).message == "Croc citron : reçu 6 / commandé 12"
    for _ in range(6):
        svc.receive_scan(CROC)
    assert svc.damaged(CROC, 2, "carton écrasé").level == "warning"
    f = svc.receive_scan(LENTILLES, 12)
    assert (f.level, f.message) == ("warning", "Lentilles grises 2 Kg : reçu 12 / commandé 10")
    svc.receive_scan(COMPOTE, 8)
    f = svc.best_before(COMPOTE, "15/03/2025", "DLC")  # tomorrow: 1 day left, 3 needed
    assert f.level == "warning" and "trop courte (1 jour(s), 3 au moins)" in f.message
    f = svc.receive_scan(RIZ, 3)
    assert (f.level, f.message) == ("warning", "Riz basmati grain long 5 Kg : NON COMMANDÉ (3 reçu(s)) — anomalie notée")


def test_delivery_gives_exactly_its_anomalies_moves_and_backorder(service, db):
    deliver(service)
    preview = service.reception_preview()
    f = service.validate_reception()
    assert (f.level, f.message) == ("warning", "Réception n° 1 validée : 5 anomalie(s), reliquat PO-2025-014-R1 "
                                               "(16 article(s)). Rapport imprimé")
    assert list(preview.anomalies) == [
        Anomaly(DAMAGED, CROC, 2, "carton écrasé"),
        Anomaly(MISSING, FUSEE, 6, "commandé 6, reçu 0"),
        Anomaly(SURPLUS, LENTILLES, 2, "commandé 10, reçu 12"),
        Anomaly(SHORT_DATE, COMPOTE, 8, "DLC 15/03/2025, 3 jours au moins"),
        Anomaly(NOT_ORDERED, RIZ, 3, "article absent de la commande"),
    ]
    with sqlite3.connect(db) as c:
        moves = c.execute("SELECT kind, gtin13, qty, source, dest, reason, unit_cost, best_before FROM stock_move "
                          "ORDER BY seq").fetchall()
        anomalies = c.execute("SELECT kind, gtin13, qty FROM reception_anomaly ORDER BY line_no").fetchall()
        back = c.execute("SELECT gtin13, qty, unit_cost FROM purchase_order_line WHERE po = 'PO-2025-014-R1' "
                         "ORDER BY line_no").fetchall()
        back_head = c.execute("SELECT supplier, backorder_of, source FROM purchase_order "
                              "WHERE number = 'PO-2025-014-R1'").fetchone()
    assert moves == [
        ("reception", CROC, 10, "@FOURNISSEUR", "RESERVE", "", 180, None),
        ("reception", CROC, 2, "@FOURNISSEUR", "RETOURS-FOURNISSEUR", "avarié : carton écrasé", 180, None),
        ("reception", LENTILLES, 10, "@FOURNISSEUR", "RESERVE", "", 150, None),
        ("reception", LENTILLES, 2, "@FOURNISSEUR", "RETOURS-FOURNISSEUR", "excédent", 150, None),
        ("reception", COMPOTE, 8, "@FOURNISSEUR", "RETOURS-FOURNISSEUR", "DLC trop courte : 2025-03-15", 40,
         "2025-03-15"),
        ("reception", RIZ, 3, "@FOURNISSEUR", "RETOURS-FOURNISSEUR", "non commandé", None, None),
    ]
    assert anomalies == [("damaged", CROC, 2), ("missing", FUSEE, 6), ("surplus", LENTILLES, 2),
                         ("short_date", COMPOTE, 8), ("not_ordered", RIZ, 3)]
    assert back == [(CROC, 2, 180), (FUSEE, 6, 60), (COMPOTE, 8, 40)]
    assert back_head == ("Épicerie Centrale", "PO-2025-014", "backorder")
    st = service.stock
    assert (st.on_hand(CROC), st.on_hand(LENTILLES), st.on_hand(COMPOTE), st.on_hand(RIZ)) == (10, 10, 0, 0)
    assert st.levels(CROC) == {"RESERVE": 10, "RETOURS-FOURNISSEUR": 2}
    assert st.verify() == []
    # the order is received, its backorder is now expected, and a second validation is refused
    assert [s.order.number for s in service.expected_deliveries()] == ["PO-2025-014-R1"]
    assert service.pick_delivery("PO-2025-014").message == "Livraison refusée : commande PO-2025-014 déjà réceptionnée"
    # the reception reaches the teacher through the outbox, with its anomalies and moves
    wire = payload(service.store.conn, service.stock.conn.execute("SELECT id FROM reception").fetchone()[0])
    assert (wire["po"], wire["note"], wire["backorder"]["number"]) == ("PO-2025-014", "BL-123", "PO-2025-014-R1")
    assert [a["kind"] for a in wire["anomalies"]] == ["damaged", "missing", "surplus", "short_date", "not_ordered"]
    assert [(m["gtin"], m["qty"], m["to"]) for m in wire["moves"]][:2] == [(CROC, 10, "RESERVE"),
                                                                          (CROC, 2, "RETOURS-FOURNISSEUR")]


REPORT = """\
MODE FORMATION
RAPPORT DE RÉCEPTION
Comptoir — boutique pédagogique
------------------------------------------
Réception n° 000001       14/03/2025 09:30
Commande : PO-2025-014
Fournisseur : Épicerie Centrale
Livraison prévue le 14/03/2025
Bon de livraison : BL-123
Reçu par : Léa Martin
------------------------------------------
Article                 Cde   BL Reçu Acc.
Croc citron
  3292590049201          12    -   12   10
Fusée cola citron
  3292590050511           6    -    0    0
Lentilles grises 2 Kg
  3297131001021          10    -   12   10
Compote pomme clementine
  3297760019947           8    -    8    0
  DLC 15/03/2025
Riz basmati grain long 5 Kg
  3297135107071           0    -    3    0
------------------------------------------
ANOMALIES : 5
! Avarié                                 2
  Croc citron (3292590049201)
  carton écrasé
! Manquant                               6
  Fusée cola citron (3292590050511)
  commandé 6, reçu 0
! Excédent                               2
  Lentilles grises 2 Kg (3297131001021)
  commandé 10, reçu 12
! Date trop courte                       8
  Compote pomme clementine (3297760019947)
  DLC 15/03/2025, 3 jours au moins
! Non commandé                           3
  Riz basmati grain long 5 Kg
  (3297135107071)
  article absent de la commande
------------------------------------------
MOUVEMENTS DE STOCK
Entrée Réserve                          20
Entrée Retours fournisseur              15
------------------------------------------
RELIQUAT : commande PO-2025-014-R1
  Croc citron                            2
  Fusée cola citron                      6
  Compote pomme clementine               8
------------------------------------------
Visa élève :

Visa professeur :

------------------------------------------
MODE FORMATION
[CODE128 REC000001]"""


def test_reception_report_printed_text(service):
    deliver(service)
    service.validate_reception()
    assert service.printer.last_text == REPORT
    assert all(len(line) <= 42 for line in REPORT.splitlines())
    # a reprint is the same report, rebuilt from what was stored
    assert service.reprint_reception(1).message == "Rapport de la réception n° 1 réimprimé"
    assert service.printer.last_text == REPORT


def test_scans_survive_a_restart_and_bad_input_changes_nothing(db):
    store = open_store(db)
    svc = StockroomService(store, Printer(), operator="eleve1", clock=Clock())
    svc.pick_delivery("PO-2025-014")
    svc.delivery_note("BL-9")
    svc.receive_scan(CROC, 5)
    refused = [
        svc.receive_scan("3292590049202"),  # wrong check digit
        svc.receive_scan(CROC, "trois"),
        svc.damaged(CROC, 6, "carton écrasé"),  # more than received
        svc.damaged(FUSEE, 1, "humide"),  # not received at all
        svc.damaged(CROC, 1, "  "),
        svc.best_before(CROC, "31/02/2026"),
        svc.best_before(CROC, "2026-12-10", "DLX"),
        svc.set_received(CROC, -1),
    ]
    assert [f.level for f in refused] == ["error"] * len(refused)
    assert refused[0].message == "Code-barres 3292590049202 refusé : la clé de contrôle devrait être 1 (lu 2)"
    assert refused[2].message == ("6 avarié(s) refusé(s) : seulement 5 reçu(s), dont 0 déjà avarié(s) ; "
                                  "scannez l'article d'abord")
    assert refused[5].message == "DLC « 31/02/2026 » illisible : écrivez 2026-12-10 ou 10/12/2026"
    svc.damaged(CROC, 1, "étui déchiré")
    store.close()

    store = open_store(db)  # the kiosk restarts: the reception is resumed as it was
    svc = StockroomService(store, Printer(), operator="eleve2", clock=Clock())
    assert [s.draft is not None for s in svc.expected_deliveries()] == [True]
    assert svc.pick_delivery("PO-2025-014").message == ("Réception de la commande PO-2025-014 reprise : "
                                                        "5 article(s) déjà scanné(s)")
    assert (svc.draft.note, svc.draft.received, svc.draft.damaged) == ("BL-9", {CROC: 5}, {CROC: [(1, "étui déchiré")]})
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT count(*) FROM stock_move").fetchone()[0] == 0  # nothing in stock before validation
        events = c.execute("SELECT action, gtin13, qty, text FROM reception_event ORDER BY seq").fetchall()
    assert events == [("note", "", 0, "BL-9"), ("scan", CROC, 5, ""), ("damaged", CROC, 1, "étui déchiré")]
    store.close()


def test_validation_needs_the_delivery_note_and_a_scan(service):
    assert service.validate_reception().message == "Validation refusée : aucune livraison choisie"
    service.pick_delivery("po-2025-014")  # typed in lower case: the same order
    assert service.order.number == "PO-2025-014"
    assert service.validate_reception().message == ("Validation refusée : numéro du bon de livraison manquant : "
                                                    "tapez-le avant de valider")
    service.delivery_note("BL-1")
    assert service.validate_reception().message == ("Validation refusée : aucun article reçu : scannez la "
                                                    "livraison avant de valider")
    assert service.pick_delivery("PO-404").message == ("Livraison refusée : commande PO-404 inconnue : "
                                                       "importez-la (comptoir purchase import)")


def test_a_complete_delivery_with_the_note_quantities_and_a_printer_fault(service, db):
    service.pick_delivery("PO-2025-014")
    service.delivery_note("BL-200")
    for gtin, qty in ((CROC, 12), (FUSEE, 6), (LENTILLES, 10), (COMPOTE, 8)):
        service.receive_scan(gtin, qty)
        service.announced(gtin, qty)
    service.announced(FUSEE, 7)  # the note says 7, 6 arrived
    service.best_before(COMPOTE, "2025-06-30", "DDM")
    service.printer.fail = "Imprimante hors ligne"
    f = service.validate_reception()
    assert f.level == "error"
    assert f.message == ("Réception n° 1 validée : 1 anomalie(s), commande soldée. "
                         "Impression impossible (Imprimante hors ligne) : relancez l'impression")
    with sqlite3.connect(db) as c:  # stored before printing
        assert c.execute("SELECT kind, gtin13, qty, detail FROM reception_anomaly").fetchall() == [
            ("note_mismatch", FUSEE, 1, "bon de livraison 7, reçu 6")]
        assert c.execute("SELECT dest, sum(qty) FROM stock_move GROUP BY dest").fetchall() == [("RESERVE", 36)]
        assert c.execute("SELECT best_before FROM stock_move WHERE gtin13 = ?", (COMPOTE,)).fetchone() == ("2025-06-30",)
    assert service.expected_deliveries() == []  # no backorder
    service.printer.fail = ""
    assert service.reprint_reception().level == "info"
    assert "AUCUNE ANOMALIE" not in service.printer.last_text
    assert "PAS DE RELIQUAT : commande soldée" in service.printer.last_text


def test_abandoned_reception_moves_nothing_and_can_start_again(service):
    service.pick_delivery("PO-2025-014")
    service.receive_scan(CROC, 3)
    assert service.abandon_reception().message == ("Réception de la commande PO-2025-014 abandonnée : "
                                                   "rien n'est entré en stock")
    assert service.pick_delivery("PO-2025-014").message.startswith("Commande PO-2025-014 de Épicerie Centrale : 4 ligne(s), 36")
    assert service.draft.received == {}
    assert service.stock.on_hand(CROC, "RESERVE") == 0


def test_reception_rule_damaged_within_a_surplus_and_a_short_date_not_ordered():
    order = PurchaseOrder("PO-1", "S", date(2025, 1, 1), (OrderLine(CROC, 10, 100),))
    d = ReceptionDraft(order, note="BL")
    d.scan(CROC, 12)
    d.damage(CROC, 2, "écrasé")
    d.scan(RIZ, 4)
    d.best_before(RIZ, "DLC", date(2025, 1, 2))
    r = stock.check_reception(d, date(2025, 1, 1))
    assert [(a.kind, a.gtin13, a.qty) for a in r.anomalies] == [
        (SURPLUS, CROC, 2), (DAMAGED, CROC, 2), (NOT_ORDERED, RIZ, 4), (SHORT_DATE, RIZ, 4)]
    assert [(m.gtin13, m.qty, m.dest, m.reason) for m in r.moves] == [
        (CROC, 10, "RESERVE", ""), (CROC, 2, "RETOURS-FOURNISSEUR", "avarié : écrasé"),
        (RIZ, 4, "RETOURS-FOURNISSEUR", "DLC trop courte : 2025-01-02")]
    assert r.backorder is None  # the 10 ordered are accepted: the damaged ones were extra
    assert stock.backorder_number("PO-1") == "PO-1-R1" and stock.backorder_number("PO-1-R1") == "PO-1-R2"
    assert stock.is_short_date("DDM", date(2025, 1, 30), date(2025, 1, 1)) is True   # 29 days < 30
    assert stock.is_short_date("DDM", date(2025, 1, 31), date(2025, 1, 1)) is False  # 30 days
