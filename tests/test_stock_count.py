"""A blind stock count through the service: nothing expected is shown while counting, the lines
that differ are recounted, a student's badge cannot approve, the teacher's does, and the
differences become moves with their reason."""
from __future__ import annotations

import sqlite3

import pytest

from commerce import stock
from commerce.stock import CountLine, CountSheet, Move
from kiosk.stock_store import StockStore, payload, record_moves
from kiosk.stockroom_service import StockroomService
from stock_support import COMPOTE, CROC, LEA_BADGE, LENTILLES, PROF_BADGE, RIZ, T0, Clock, Printer, open_store


def put(store, gtin, qty, where=stock.SHELF):
    with store.conn:
        store.conn.execute("BEGIN IMMEDIATE")
        record_moves(store.conn, stock.RECEPTION, [Move(stock.RECEPTION, gtin, qty, stock.SUPPLIER, where)],
                     ref="test", operator="test", at=T0)


@pytest.fixture
def service(tmp_path):
    store = open_store(tmp_path / "reserve.db")
    StockStore(store.conn)
    for gtin, qty in ((CROC, 10), (LENTILLES, 5), (COMPOTE, 4)):
        put(store, gtin, qty)
    put(store, CROC, 30, stock.RESERVE)  # another location: not in this count
    svc = StockroomService(store, Printer(), kiosk="reserve-1", operator="eleve3", clock=Clock())
    yield svc
    store.close()


def test_blind_count_with_differences_recount_and_approval(service):
    svc = service
    assert svc.count_start("RAYON").message == ("Inventaire n° 1 (Rayon) commencé à l’aveugle : scannez chaque "
                                                "article, ou tapez la quantité d'un carton puis scannez")
    assert svc.count_sheet() == []  # blind: not even the list of what is expected
    assert svc.count_scan(CROC, 6).message == "Croc citron : 6 compté(s)"
    svc.count_scan(CROC)
    svc.count_scan(CROC)
    for _ in range(5):
        svc.count_scan(LENTILLES)
    svc.count_scan(RIZ, 2)  # on the shelf, unknown to the ledger
    assert svc.count_scan("12345").level == "error"
    assert svc.count_sheet() == [
        {"gtin": CROC, "name": "Croc citron", "counted": 8, "to_recount": False},
        {"gtin": LENTILLES, "name": "Lentilles grises 2 Kg", "counted": 5, "to_recount": False},
        {"gtin": RIZ, "name": "Riz basmati grain long 5 Kg", "counted": 2, "to_recount": False}]
    assert all("expected" not in row for row in svc.count_sheet())

    f = svc.count_finish()
    assert (f.level, f.message) == ("warning", "3 ligne(s) à recompter : Croc citron, Compote pomme clementine, "
                                               "Riz basmati grain long 5 Kg")
    assert svc.count_scan(LENTILLES).message == "Cet article n'est pas à recompter : seuls les écarts le sont"
    assert svc.count_approve(PROF_BADGE).message == ("Validation refusée : inventaire recomptage des écarts : "
                                                     "terminez le comptage d'abord")
    svc.count_set(CROC, 9)       # recounted: one more was behind
    svc.count_scan(COMPOTE, 4)   # found at the back of the shelf
    svc.count_scan(RIZ, 2)
    assert [r["to_recount"] for r in svc.count_sheet()] == [True, False, True, True]
    assert svc.count_finish().message == ("Recomptage terminé : l'inventaire attend la validation du professeur "
                                          "(badge)")
    assert svc.count_sheet() == [  # the teacher sees the differences now
        {"gtin": CROC, "name": "Croc citron", "counted": 9, "to_recount": False, "expected": 10, "difference": -1},
        {"gtin": LENTILLES, "name": "Lentilles grises 2 Kg", "counted": 5, "to_recount": False, "expected": 5,
         "difference": 0},
        {"gtin": COMPOTE, "name": "Compote pomme clementine", "counted": 4, "to_recount": False, "expected": 4,
         "difference": 0},
        {"gtin": RIZ, "name": "Riz basmati grain long 5 Kg", "counted": 2, "to_recount": False, "expected": 0,
         "difference": 2}]

    f = svc.count_approve(LEA_BADGE)
    assert (f.level, f.message) == ("error", "Léa Martin est élève : il faut le badge d'un professeur pour valider "
                                             "les écarts d'un inventaire.")
    assert svc.stock.on_hand(CROC, "RAYON") == 10  # nothing written
    f = svc.count_approve(PROF_BADGE)
    assert (f.level, f.message) == ("info", "Inventaire n° 1 validé par Mme Laurent : 2 ajustement(s) écrit(s). "
                                            "Rapport imprimé")

    conn = svc.store.conn
    assert conn.execute("SELECT kind, gtin13, qty, source, dest, reason, unit_price FROM stock_move "
                        "WHERE kind = 'count' ORDER BY seq").fetchall() == [
        ("count", CROC, 1, "RAYON", "@INVENTAIRE", "inventaire n° 1 : écart -1", 359),
        ("count", RIZ, 2, "@INVENTAIRE", "RAYON", "inventaire n° 1 : écart +2", 779)]
    st = svc.stock
    assert [st.on_hand(g, "RAYON") for g in (CROC, LENTILLES, COMPOTE, RIZ)] == [9, 5, 4, 2]
    assert st.on_hand(CROC, "RESERVE") == 30 and st.verify() == []
    assert conn.execute("SELECT step, operator, approver FROM count_step ORDER BY seq").fetchall() == [
        ("close_round", "eleve3", ""), ("close_round", "eleve3", ""), ("approve", "eleve3", "prof")]
    # the approval and the refusal are in the kiosk's chained journal
    assert [(e.kind, e.operator) for e in svc.store.events("reserve-1")] == [("approval_refused", "eleve1"),
                                                                            ("approval", "prof")]
    session = conn.execute("SELECT id FROM count_session").fetchone()[0]
    wire = payload(conn, session)
    assert (wire["number"], wire["location"], wire["approver"], len(wire["moves"])) == (1, "RAYON", "prof", 2)
    assert wire["lines"][0] == {"gtin": CROC, "expected": 10, "counted": 9, "recounted": True}
    text = svc.printer.last_text
    assert text.splitlines()[1:23] == [
        "INVENTAIRE N° 1",
        "Comptoir — boutique pédagogique",
        "------------------------------------------",
        "Emplacement : Rayon (RAYON)",
        "Commencé le 14/03/2025 09:30",
        "Compté par : Inès Dubois",
        "Comptage à l'aveugle, écarts recomptés",
        "Validé par : Mme Laurent",
        "Le 14/03/2025 à 09:30",
        "------------------------------------------",
        "Article                   Att.  Cpt. Écart",
        "Croc citron (recompté)",
        "  3292590049201             10     9    -1",
        "Lentilles grises 2 Kg",
        "  3297131001021              5     5     0",
        "Compote pomme clementine (recompté)",
        "  3297760019947              4     4     0",
        "Riz basmati grain long 5 Kg (recompté)",
        "  3297135107071              0     2    +2",
        "------------------------------------------",
        "4 ligne(s), 2 écart(s)",
        "Écart en valeur (vente)           +11,99 €"]  # -3,59 + 2 × 7,79
    assert svc.count_scan(CROC).message == "Aucun inventaire en cours : commencez-en un"
    with pytest.raises(sqlite3.DatabaseError, match="modification interdite"):
        conn.execute("UPDATE count_entry SET qty = 100")


def test_count_without_difference_by_category_and_a_restart(service, tmp_path):
    svc = service
    svc.store.upsert_products([svc.stock.product(COMPOTE).__class__(COMPOTE, "Compote pomme clementine", 79, 550,
                                                                    "Frais")])
    fb = svc.count_start("RAYON", category="Surgelés", blind=False)
    assert fb.level == "error" and "catégorie « Surgelés » inconnue du catalogue (catégories : " in fb.message
    assert "Frais" in fb.message and svc.count_id is None
    svc.count_start("RAYON", category="frais", blind=False)  # as the student types it
    assert svc.stock.count_session(svc.count_id)["category"] == "Frais"
    assert svc.count_sheet() == [{"gtin": COMPOTE, "name": "Compote pomme clementine", "counted": 0,
                                  "to_recount": False, "expected": 4, "difference": -4}]
    fb = svc.count_scan(CROC)  # another category's item is not counted here
    assert fb.level == "error" and fb.message.endswith("pas « Frais » : cet inventaire ne compte que la catégorie Frais")
    svc.count_scan(COMPOTE, 4)
    session = svc.count_id
    other = StockroomService(svc.store, Printer(), operator="eleve4", clock=Clock())  # another kiosk session
    assert other.count_resume(session).message == "Inventaire n° 1 repris (comptage)"
    assert other.sheet.first == {COMPOTE: 4}
    assert other.count_finish().message == "Aucun écart : l'inventaire attend la validation du professeur (badge)"
    assert other.count_approve("246810").message == ("Inventaire n° 1 validé par Mme Laurent : 0 ajustement(s) "
                                                     "écrit(s). Rapport imprimé")


def test_count_sheet_rule():
    sheet = CountSheet({CROC: 3, RIZ: 1})
    sheet.add(CROC, 2)
    assert sheet.close_round() == (CROC, RIZ)
    sheet.set(RIZ, 1)
    sheet.close_round()
    assert sheet.lines() == [CountLine(CROC, 3, 0, True), CountLine(RIZ, 1, 1, True)]  # CROC not recounted: 0
    moves = stock.count_adjustments(sheet.lines(), "RAYON", 7)
    assert [(m.gtin13, m.qty, m.source, m.dest, m.reason) for m in moves] == [
        (CROC, 3, "RAYON", "@INVENTAIRE", "inventaire n° 7 : écart -3")]


def test_the_count_approval_leaves_the_register_actions_as_they_are(service):
    from commerce.operators import APPROVAL_ACTIONS
    before = dict(APPROVAL_ACTIONS)
    service.count_start("RAYON")
    service.count_finish()
    service.count_finish()
    assert service.count_approve(LEA_BADGE).level == "error"
    assert dict(APPROVAL_ACTIONS) == before
