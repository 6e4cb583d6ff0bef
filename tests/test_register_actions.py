"""Register actions through the service on a real SQLite store: discounts and promotions as printed,
pricelists, the teacher's approval (cancel, price override, drawer with no sale), park and resume
(also after a restart), weighed items (a simulated Toledo 8217 scale on a pseudo-terminal)."""
from __future__ import annotations

import sqlite3

import pytest

from register_env import (BISCUIT, CAFE, HUGO, JUS, LIVRE, NUT, POMMES, SODA, STAFF, STUDENT, TEACHER, YAOURT,
                          journal, make_service, make_store, priced, rows)

from commerce.receipt import receipt_text
from drivers.scale import open_scale
from drivers.sim.serial_devices import SimScale
from kiosk.store import KioskStore


@pytest.fixture
def env(tmp_path):
    store = make_store(tmp_path / "caisse.db")
    yield make_service(store), store
    store.close()


def receipt(svc) -> str:
    return receipt_text(svc._receipt(svc.last_sale))


# -- discounts ------------------------------------------------------------------------------------------
def test_line_discount_percent_and_amount(env):
    svc, store = env
    svc.scan(NUT.gtin13)
    fb = svc.discount_line("10%")
    assert (fb.level, fb.message) == ("info", "Remise 10 % sur Nutella 400 g : total 6,63 €")
    assert svc.discount_line("2,00").message == "Remise 2,00 € sur Nutella 400 g : total 5,37 €"
    assert svc.discount_line("").message == "Remise retirée : Nutella 400 g"
    assert svc.ticket.total == 737
    svc.discount_line("2,00")
    svc.pay_card()
    assert [(l.kind, l.label, l.total, l.net) for l in svc.last_sale.lines] == [
        ("item", "Nutella 400 g", 737, 537), ("discount", "Remise 2,00 €", -200, None)]
    assert "Remise 2,00 €" in receipt(svc) and "Vous économisez" in receipt(svc)


@pytest.mark.parametrize("typed, message", [
    ("150%", "Remise « 150% » refusée : un pourcentage va de 0,01 % à 100 %"),
    ("8,00", "Remise de 8,00 € refusée : elle dépasse le montant remisé (7,37 €)"),
    ("dix", "Remise « dix » illisible : attendu un nombre comme 12,50"),
    ("10 %%", "Remise « 10 %% » illisible : attendu un pourcentage comme 10 % ou 5,5 %"),
])
def test_discount_refusals_leave_the_ticket_as_it_was(env, typed, message):
    svc, store = env
    svc.scan(NUT.gtin13)
    assert (svc.discount_line(typed).level, svc.discount_line(typed).message) == ("error", message)
    assert svc.discount_ticket(typed).level == "error"
    assert svc.ticket.total == 737 and svc.ticket.discount is None and svc.ticket.lines[0].discount is None


def test_discount_needs_a_line(env):
    svc, store = env
    assert svc.discount_line("10%").message == "Aucune ligne sélectionnée pour la remise"
    assert svc.discount_ticket("10%").message == "Remise impossible : rien à remiser (montant nul ou négatif)"


def test_ticket_discount_per_rate(env):
    svc, store = env
    svc.scan(NUT.gtin13)
    svc.scan(LIVRE.gtin13)
    assert svc.discount_ticket("10 %").message == "Remise 10 % sur le ticket : total 92,87 €"
    svc.pay_card()
    sale = svc.last_sale
    assert [(v.rate_bp, v.ht, v.tva, v.ttc) for v in sale.vat] == [(2000, 553, 110, 663), (210, 8447, 177, 8624)]
    text = receipt(svc)
    assert text.count("Remise ticket 10 %") == 2 and "Vous économisez" in text and "10,32 €" in text


# -- promotions, printed ---------------------------------------------------------------------------------------
def test_three_for_two_on_mixed_rates_is_printed(env):
    svc, store = env
    for p in (SODA, YAOURT, SODA, YAOURT, SODA, YAOURT):
        svc.scan(p.gtin13)
    assert svc.ticket.total == 540
    svc.pay_cash("")
    sale = svc.last_sale
    assert [(l.kind, l.vat_bp, l.total) for l in sale.lines if l.kind == "promo"] == [
        ("promo", 2000, -150), ("promo", 550, -120)]
    assert [(v.rate_bp, v.ht, v.tva, v.ttc) for v in sale.vat] == [(2000, 250, 50, 300), (550, 227, 13, 240)]
    text = receipt(svc)
    assert text.count("Promo 3 pour 2") == 2 and "-1,50" in text and "-1,20" in text
    assert "Vous économisez" in text and "2,70 €" in text
    assert rows(store, "SELECT kind, label, total, vat_bp FROM ticket_line WHERE kind = 'promo' ORDER BY line_no") == [
        ("promo", "Promo 3 pour 2", -150, 2000), ("promo", "Promo 3 pour 2", -120, 550)]


def test_second_at_half_price_and_bundle_printed(env):
    svc, store = env
    svc.scan(CAFE.gtin13)
    svc.scan(CAFE.gtin13)
    svc.scan(BISCUIT.gtin13)
    svc.scan(JUS.gtin13)
    assert priced(svc) == [
        ("item", "Café 250 g", 550, 998), ("item", "Biscuits", 550, 290), ("item", "Jus 1 L", 1000, 345),
        ("promo", "Promo Lot de 2 à 5,00 €", 1000, -73), ("promo", "Promo Lot de 2 à 5,00 €", 550, -62),
        ("promo", "Promo 2e à -50 %", 550, -250)]  # offers in the order of their codes
    svc.pay_card()
    assert svc.last_sale.total == 1248
    text = receipt(svc)
    assert "Promo 2e à -50 %" in text and text.count("Promo Lot de 2 à 5,00 €") == 2
    assert [(v.rate_bp, v.ttc) for v in svc.last_sale.vat] == [(1000, 272), (550, 976)]


def test_no_promotion_on_a_line_with_a_manual_discount(env):
    svc, store = env
    svc.scan(YAOURT.gtin13)
    svc.set_quantity("3")
    assert svc.ticket.total == 240
    svc.discount_line("10%")
    assert priced(svc) == [("item", "Yaourt", 550, 360), ("discount", "Remise 10 %", 550, -36)]
    svc.discount_line("")
    assert svc.ticket.total == 240  # the offer is back once the discount is removed


# -- pricelists ---------------------------------------------------------------------------------------------------
def test_staff_pricelist_before_and_after_the_card_not_on_an_override(env):
    svc, store = env
    svc.scan(NUT.gtin13)
    svc.scan(CAFE.gtin13)
    fb = svc.override_price("4,00", TEACHER)
    assert fb.message == "Prix de Café 250 g : 4,99 € → 4,00 € (accord Mme Laurent)"
    fb = svc.scan(STAFF)
    assert fb.message == "Client : Mme Lefèvre (0 points, Tarif personnel −10 %)"
    svc.scan(LIVRE.gtin13)
    assert [(l.label, l.unit_price, l.list_price) for l in svc.ticket.lines] == [
        ("Nutella 400 g", 663, 737), ("Café 250 g", 400, 499), ("Livre", 8624, 9582)]
    assert svc.ticket.total == 663 + 400 + 8624
    svc.pay_card()
    assert svc.last_sale.customer == STAFF and svc.last_sale.points_earned == 96


# -- the teacher's approval ----------------------------------------------------------------------------------------------
def test_cancel_with_lines_needs_the_teacher_and_is_journaled_never_erased(env):
    svc, store = env
    assert svc.cancel_ticket().message == "Ticket vide : rien à annuler"
    svc.scan(NUT.gtin13)
    svc.scan(LIVRE.gtin13)
    svc.discount_ticket("10%")
    fb = svc.cancel_ticket()
    assert (fb.level, fb.message) == ("error", "Accord du professeur requis pour annuler un ticket qui contient des "
                                               "articles : scannez son badge ou tapez son code")
    fb = svc.cancel_ticket(HUGO)
    assert (fb.level, fb.message) == ("error", "Hugo Bernard est élève : il faut le badge d'un professeur pour "
                                               "annuler un ticket qui contient des articles.")
    assert svc.ticket.total == 9287  # still there
    fb = svc.cancel_ticket(TEACHER)
    assert (fb.level, fb.message) == ("info", "Ticket annulé (92,87 €), enregistré au journal (accord Mme Laurent)")
    assert svc.ticket.lines == []
    assert rows(store, "SELECT count(*) FROM ticket") == [(0,)]
    assert journal(store)[1:] == [
        ("approval_refused", "eleve2", {"action": "cancel_ticket_with_lines", "method": "badge",
                                        "reason": "not_manager", "requested_by": "eleve1"}),
        ("approval", "prof", {"action": "cancel_ticket_with_lines", "method": "badge", "requested_by": "eleve1"}),
        ("ticket_cancelled", "eleve1", {"approved_by": "prof", "total": 9287, "lines": [
            {"gtin": NUT.gtin13, "label": "Nutella 400 g", "qty": 1, "total": 737},
            {"gtin": LIVRE.gtin13, "label": "Livre", "qty": 1, "total": 9582},
            {"gtin": "", "label": "Remise ticket 10 %", "qty": 1, "total": -74},
            {"gtin": "", "label": "Remise ticket 10 %", "qty": 1, "total": -958}]})]
    with pytest.raises(sqlite3.DatabaseError, match="modification interdite"):
        store.conn.execute("DELETE FROM journal WHERE kind = 'ticket_cancelled'")
    with pytest.raises(sqlite3.DatabaseError, match="modification interdite"):
        store.conn.execute("UPDATE journal SET details = '{}' WHERE kind = 'ticket_cancelled'")


def test_cancel_refused_once_payment_started(env):
    svc, store = env
    svc.scan(LIVRE.gtin13)
    svc.pay_card("10,00")
    fb = svc.cancel_ticket(TEACHER)
    assert (fb.level, fb.message) == ("error", "Paiement commencé : le ticket ne peut plus être annulé, "
                                               "terminez l'encaissement")


def test_price_override_needs_the_teacher(env):
    svc, store = env
    assert svc.override_price("1,00", TEACHER).message == "Aucune ligne sélectionnée pour changer le prix"
    svc.scan(NUT.gtin13)
    assert svc.override_price("5,00", "").message == ("Accord du professeur requis pour modifier un prix : "
                                                      "scannez son badge ou tapez son code")
    assert svc.override_price("5,00", STUDENT).message == ("Léa Martin est élève : il faut le badge d'un "
                                                           "professeur pour modifier un prix.")
    assert svc.override_price("5,00", "1234").message == ("Code erroné : il faut le code d'un professeur pour "
                                                          "modifier un prix.")
    before = len(journal(store))
    assert svc.override_price("0", TEACHER).message == "Prix 0,00 € refusé : entre 0,01 € et 100000,00 €"
    assert svc.override_price("cinq", TEACHER).message == "Prix « cinq » illisible : attendu un nombre comme 12,50"
    assert len(journal(store)) == before  # refused before the teacher is asked: nothing approved for nothing
    assert svc.ticket.total == 737
    assert svc.override_price("5,00", "246810").message == "Prix de Nutella 400 g : 7,37 € → 5,00 € (accord Mme Laurent)"
    assert svc.ticket.total == 500
    assert journal(store)[-2:] == [
        ("approval", "prof", {"action": "price_override", "method": "pin", "requested_by": "eleve1"}),
        ("price_override", "eleve1", {"gtin": NUT.gtin13, "label": "Nutella 400 g", "from": 737, "to": 500,
                                      "approved_by": "prof"})]
    svc.pay_card()
    assert svc.last_sale.cashier == "eleve1"
    assert rows(store, "SELECT cashier, total FROM ticket") == [("eleve1", 500)]


def test_drawer_without_sale_needs_the_teacher(env):
    svc, store = env
    assert svc.open_drawer_no_sale("").level == "error"
    assert svc.open_drawer_no_sale(HUGO).message == ("Hugo Bernard est élève : il faut le badge d'un professeur "
                                                     "pour ouvrir le tiroir sans vente.")
    assert svc.drawer.drawer == 0
    fb = svc.open_drawer_no_sale(TEACHER)
    assert (fb.level, fb.message) == ("info", "Tiroir ouvert sans vente (accord Mme Laurent), noté au journal")
    assert svc.drawer.drawer == 1
    assert journal(store, kind="drawer_no_sale") == [("drawer_no_sale", "eleve1", {"approved_by": "prof"})]


# -- park and resume ------------------------------------------------------------------------------------------------
def test_park_and_resume_after_a_restart(env, tmp_path):
    svc, store = env
    svc.scan(NUT.gtin13)
    svc.scan(CAFE.gtin13)
    svc.scan(CAFE.gtin13)
    svc.discount_line("1,00")
    svc.scan(STAFF)
    svc.discount_ticket("5%")
    before = (priced(svc), svc.ticket.total)
    assert before[1] == 1388  # 6,63 + 2 × 4,49 − 1,00 (staff prices) = 14,61, less 5 % (0,73)
    fb = svc.park()
    assert (fb.level, fb.message) == ("info", "Ticket mis en attente n° 1 (3 articles — 13,88 €)")
    assert svc.ticket.lines == []
    assert svc.resume(7).message == "Ticket en attente n° 7 introuvable (en attente : 1)"
    store.close()

    store2 = KioskStore(tmp_path / "caisse.db")  # the kiosk restarted
    svc2 = make_service(store2, HUGO)
    assert [(i, op, s) for i, _, op, s in svc2.parked()] == [(1, "eleve1", "3 articles — 13,88 €")]
    svc2.scan(LIVRE.gtin13)
    assert svc2.resume().message.startswith("Ticket en cours")
    svc2.cancel_ticket(TEACHER)
    assert svc2.resume().message == "Ticket n° 1 repris : 3 articles — 13,88 €"
    assert (priced(svc2), svc2.ticket.total) == before
    assert svc2.ticket.customer.card == STAFF
    assert svc2.parked() == []
    assert svc2.pay_card().message == "Ticket n° 1 enregistré : 13,88 €"
    assert svc2.resume().message == "Aucun ticket en attente"
    assert journal(store2, kind="ticket_parked") == [("ticket_parked", "eleve1", {"parked": 1, "total": 1388,
                                                                                 "lines": 2})]
    assert journal(store2, kind="ticket_resumed") == [("ticket_resumed", "eleve2", {"parked": 1, "total": 1388})]
    store2.close()


def test_a_parked_return_resumes_with_its_original_ticket(env):
    svc, store = env
    svc.scan(NUT.gtin13)
    svc.pay_cash("")
    svc.open_return("1")
    svc.return_line(1, 1)
    svc.park()
    svc2 = make_service(store, HUGO)
    svc2.resume()
    assert svc2.refund_methods() == ("cash", "credit_note")  # the original was paid in cash
    assert svc2.refund("cash").message == "Ticket n° 2 enregistré : -7,37 €"
    assert svc2.last_sale.corrects == ("1", 1)


def test_park_refused_when_empty_or_paying(env):
    svc, store = env
    assert svc.park().message == "Ticket vide : rien à mettre en attente"
    svc.scan(LIVRE.gtin13)
    svc.pay_card("1,00")
    assert svc.park().message == "Paiement commencé : ce ticket ne peut plus être mis en attente"


# -- weighed items ---------------------------------------------------------------------------------------------------
def test_add_weighed_price_per_kg_rounded_half_up(env):
    svc, store = env
    fb = svc.add_weighed(POMMES, 512)  # 2,99 €/kg × 0,512 kg = 1,53088 €
    assert (fb.level, fb.message) == ("info", "Pommes 0,512 kg à 2,99 €/kg — 1,53 €")
    svc.add_weighed(POMMES, 250)      # 0,7475 € -> 0,75 € (half up)
    assert [(l.label, l.qty, l.unit_price) for l in svc.ticket.lines] == [
        ("Pommes 0,512 kg à 2,99 €/kg", 1, 153), ("Pommes 0,250 kg à 2,99 €/kg", 1, 75)]
    assert svc.add_weighed(POMMES, 0).message == "Poids 0 g refusé : posez l'article sur le plateau"
    assert svc.weigh(POMMES.gtin13).message == "Aucune balance à cette caisse"


@pytest.fixture
def scale():
    sim = SimScale(weight_g=512)
    drv = open_scale(f"serial://{sim.port}?baudrate=9600")
    yield sim, drv
    drv.close()
    sim.close()


def test_weigh_on_a_simulated_toledo_scale(env, scale):
    svc, store = env
    sim, drv = scale
    svc.scale = drv
    fb = svc.weigh(POMMES.gtin13)
    assert (fb.level, fb.message) == ("info", "Pommes 0,512 kg à 2,99 €/kg — 1,53 €")
    assert sim.requests >= 1
    sim.set(weight_g=1234)
    svc.weigh(POMMES.gtin13)  # 3,68966 € -> 3,69 €
    assert [l.unit_price for l in svc.ticket.lines] == [153, 369]
    sim.set(state="under")
    fb = svc.weigh(POMMES.gtin13)
    assert fb.level == "error" and fb.message.startswith("Pesée impossible : balance série") and "sous zéro" in fb.message
    assert svc.weigh("1234567890128").message == "Code-barres 1234567890128 inconnu : ce produit n'est pas au catalogue"
    assert len(svc.ticket.lines) == 2
    svc.pay_card()
    assert rows(store, "SELECT label, unit_price, total FROM ticket_line ORDER BY line_no") == [
        ("Pommes 0,512 kg à 2,99 €/kg", 153, 153), ("Pommes 1,234 kg à 2,99 €/kg", 369, 369)]
