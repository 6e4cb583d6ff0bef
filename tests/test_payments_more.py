"""Payments through the register service on a real SQLite store: gift cards (sold outside VAT,
checked, redeemed), cheques, any mix of methods with change only in cash, loyalty points."""
from __future__ import annotations

import json

import pytest

from register_env import CAMILLE, LIVRE, NUT, YAOURT, make_service, make_store, rows, sell, stored_vat, vat_rows

from commerce import cards
from commerce.receipt import receipt_text
from kiosk import accounts

GIFT = cards.make_card(cards.GIFT_CARD, 7)  # 0480000000079


@pytest.fixture
def env(tmp_path):
    store = make_store(tmp_path / "caisse.db")
    yield make_service(store), store
    store.close()


# -- gift cards -------------------------------------------------------------------------------------------
def test_gift_card_sold_outside_vat(env):
    svc, store = env
    fb = svc.scan(GIFT)
    assert (fb.level, fb.message) == ("info", f"Carte cadeau {GIFT} non émis(e) : tapez le montant puis "
                                              "Carte cadeau pour la vendre")
    assert svc.sell_gift_card(GIFT, "50").message == f"Carte cadeau {GIFT} : 50,00 €"
    fb = svc.sell_gift_card(GIFT, "20")
    assert (fb.level, fb.message) == ("error", f"Carte cadeau {GIFT} déjà sur ce ticket")
    svc.scan(LIVRE.gtin13)
    assert svc.pay_card().level == "info"
    sale = svc.last_sale
    assert sale.total == 5000 + 9582
    assert vat_rows(sale) == [(210, 9385, 197, 9582)]  # no row for the gift card
    assert stored_vat(store, sale) == [(210, 9385, 197, 9582)]
    canonical = json.loads(rows(store, "SELECT canonical FROM ticket WHERE id = ?", sale.id)[0][0])
    assert canonical["lines"][0] == {"gtin": GIFT, "ht": 5000, "label": f"Carte cadeau {GIFT}", "qty": 1,
                                     "total": 5000, "unit_price": 5000, "vat_rate": 0}
    assert canonical["vat"] == [{"ht": 9385, "rate": 210, "ttc": 9582, "tva": 197}]
    assert "Carte cadeau : hors champ de la TVA" in receipt_text(svc.printer.jobs[-1])
    assert rows(store, "SELECT kind, code, amount, number FROM value_move") == [("gift_card", GIFT, 5000, 1)]
    assert svc.check_card(GIFT).message == f"Carte cadeau {GIFT} : solde 50,00 €"


def test_gift_card_cannot_be_sold_twice_nor_with_a_wrong_code(env):
    svc, store = env
    svc.sell_gift_card(GIFT, "50")
    svc.pay_cash("50")
    fb = svc.sell_gift_card(GIFT, "20")
    assert (fb.level, fb.message) == ("error", f"Carte cadeau {GIFT} déjà vendue (solde 50,00 €)")
    assert svc.sell_gift_card(NUT.gtin13, "20").message == (f"Code {NUT.gtin13} : ce n'est pas une carte cadeau "
                                                            "(elles commencent par 048)")
    assert svc.sell_gift_card(cards.make_card(cards.GIFT_CARD, 8), "0").message == (
        "Montant de carte cadeau 0,00 € refusé : entre 0,01 € et 100000,00 €")
    bad = GIFT[:-1] + str((int(GIFT[-1]) + 1) % 10)
    assert svc.check_card(bad).message == f"Carte cadeau {bad} refusé(e) : la clé de contrôle devrait être 9"
    assert svc.check_card(NUT.gtin13).level == "error"
    assert svc.ticket.lines == []


def test_gift_card_redeemed_partially_across_two_tickets(env):
    svc, store = env
    svc.sell_gift_card(GIFT, "50")
    svc.pay_cheque("", "1234567")
    svc.scan(NUT.gtin13)
    assert svc.pay_gift_card(GIFT).message == "Ticket n° 2 enregistré : 7,37 €"
    assert svc.check_card(GIFT).message == f"Carte cadeau {GIFT} : solde 42,63 €"
    svc.scan(LIVRE.gtin13)
    fb = svc.pay_gift_card(GIFT, "50,00")  # more than it holds
    assert (fb.level, fb.message) == ("error", f"Carte cadeau {GIFT} : solde 42,63 €, insuffisant pour 50,00 €")
    assert svc.pay_gift_card(GIFT).message == "Reste à payer : 53,19 €"
    fb = svc.pay_gift_card(GIFT, "1,00")  # its balance is already taken on this ticket
    assert (fb.level, fb.message) == ("error", f"Carte cadeau {GIFT} : solde 42,63 €, insuffisant pour 43,63 €")
    assert svc.pay_card().message == "Ticket n° 3 enregistré : 95,82 €"
    assert [(p.method, p.amount, p.reference) for p in svc.last_sale.payments] == [
        ("gift_card", 4263, GIFT), ("card", 5319, "")]
    assert accounts.balance(store.conn, cards.GIFT_CARD, GIFT) == 0
    assert rows(store, "SELECT amount, number FROM value_move WHERE code = ? ORDER BY id", GIFT) == [
        (5000, 1), (-737, 2), (-4263, 3)]
    assert rows(store, "SELECT method, amount, reference FROM payment WHERE ticket_id = ?",
                svc.last_sale.id) == [("gift_card", 4263, GIFT), ("card", 5319, None)]


def test_unknown_gift_card_refused(env):
    svc, store = env
    svc.scan(NUT.gtin13)
    unknown = cards.make_card(cards.GIFT_CARD, 99)
    fb = svc.pay_gift_card(unknown)
    assert (fb.level, fb.message) == ("error", f"Carte cadeau {unknown} inconnu(e) : jamais émis(e) par le magasin")
    fb = svc.pay_gift_card(NUT.gtin13)
    assert (fb.level, fb.message) == ("error", f"Code « {NUT.gtin13} » : ce n'est pas un(e) carte cadeau")
    assert svc.ticket.payments == [] and svc.ticket.total == 737


# -- cheques and mixed payments -------------------------------------------------------------------------
def test_cheque_gives_no_change(env):
    svc, store = env
    svc.scan(NUT.gtin13)
    fb = svc.pay_cheque("10,00", "0001234")
    assert (fb.level, fb.message) == ("error", "Paiement chèque de 10,00 € refusé : il reste 7,37 € à payer")
    assert svc.pay_cheque("", "0001234").message == "Ticket n° 1 enregistré : 7,37 €"
    assert [(p.method, p.amount, p.given, p.reference) for p in svc.last_sale.payments] == [
        ("cheque", 737, 0, "0001234")]
    assert svc.last_sale.change == 0


def test_any_mix_of_methods_change_only_in_cash(env):
    svc, store = env
    svc.sell_gift_card(GIFT, "20")
    svc.pay_card()
    svc.scan(NUT.gtin13)
    svc.scan(LIVRE.gtin13)  # 103,19 €
    assert svc.pay_gift_card(GIFT).message == "Reste à payer : 83,19 €"
    assert svc.pay_cheque("30", "42").message == "Reste à payer : 53,19 €"
    assert svc.pay_card("40,00").message == "Reste à payer : 13,19 €"
    assert svc.pay_card("20,00").message == "Paiement carte de 20,00 € refusé : il reste 13,19 € à payer"
    assert svc.pay_cash("20").message == "Ticket n° 2 enregistré : 103,19 € — rendu 6,81 €"
    sale = svc.last_sale
    assert [(p.method, p.amount, p.given, p.change) for p in sale.payments] == [
        ("gift_card", 2000, 0, 0), ("cheque", 3000, 0, 0), ("card", 4000, 0, 0), ("cash", 1319, 2000, 681)]
    assert sale.paid == sale.total == 10319 and sale.change == 681
    text = receipt_text(svc.printer.jobs[-1])
    assert "Rendu" in text and "6,81 €" in text and f"n° {GIFT}" in text and "n° 42" in text
    # cash first, then the rest by card: change is still only what cash exceeds
    svc.scan(NUT.gtin13)
    assert svc.pay_cash("5").message == "Reste à payer : 2,37 €"
    assert svc.pay_card().message == "Ticket n° 3 enregistré : 7,37 €"
    assert svc.last_sale.change == 0


# -- loyalty -------------------------------------------------------------------------------------------------
def test_points_earned_stored_and_redeemed(env):
    svc, store = env
    assert svc.redeem_points("100").message == "Aucun client : scannez sa carte de fidélité d'abord"
    assert svc.scan(CAMILLE).message == "Client : Camille Durand (0 points)"
    sell(svc, NUT, LIVRE)  # 103,19 € -> 103 points
    assert svc.last_sale.points_earned == 103 and svc.last_sale.customer == CAMILLE
    assert rows(store, "SELECT kind, code, amount, number FROM value_move") == [("points", CAMILLE, 103, 1)]

    svc.scan(CAMILLE)
    svc.scan(LIVRE.gtin13)
    svc.discount_line("10%")  # 86,24 € paid -> 86 points (after the discount)
    svc.pay_card()
    assert accounts.customer(store.conn, CAMILLE).points == 189

    svc.scan(NUT.gtin13)
    svc.set_quantity("2")
    svc.scan(CAMILLE)
    for typed, message in (("150", "Points « 150 » refusés : par centaines (100, 200…)"),
                           ("200", "200 points demandés : le client n'en a que 189"),
                           ("cent", "Points « cent » refusés : tapez un nombre de points (100, 200…)"),
                           ("0", "Points « 0 » refusés : par centaines (100, 200…)")):
        fb = svc.redeem_points(typed)
        assert (fb.level, fb.message) == ("error", message)
    assert svc.redeem_points("100").message == "100 points de fidélité : −5,00 €"
    assert svc.ticket.total == 974
    assert svc.pay_card().message == "Ticket n° 3 enregistré : 9,74 €"
    sale = svc.last_sale
    assert (sale.points_earned, sale.points_redeemed) == (9, 100)
    assert [(l.kind, l.total) for l in sale.lines] == [("item", 1474), ("loyalty", -500)]
    assert "Fidélité : 9 points gagnés, 100 utilisés" in receipt_text(svc.printer.jobs[-1])
    assert rows(store, "SELECT amount, number FROM value_move WHERE kind = 'points' ORDER BY id") == [
        (103, 1), (86, 2), (-91, 3)]
    assert accounts.customer(store.conn, CAMILLE).points == 98


def test_points_worth_more_than_the_goods_left_are_refused_at_payment(env):
    svc, store = env
    with store.conn:  # 150 points to spend
        store.conn.execute("INSERT INTO value_move(kind, code, amount, ticket_id, register, number, at) "
                           "VALUES ('points', ?, 150, 'seed', '1', 0, '2026-01-01T00:00:00')", (CAMILLE,))
    svc.scan(CAMILLE)
    svc.scan(YAOURT.gtin13)
    fb = svc.redeem_points("100")
    assert (fb.level, fb.message) == ("error", "100 points valent 5,00 € : plus que les articles du ticket (1,20 €)")
    svc.scan(NUT.gtin13)
    assert svc.redeem_points("100").level == "info"
    svc.select(1)
    svc.remove_line()  # the Nutella goes: 1,20 € left for 5,00 € of points
    fb = svc.pay_cash("")
    assert (fb.level, fb.message) == ("error", "Ticket non enregistré : 100 points valent 5,00 € : plus que les "
                                               "articles du ticket (1,20 €)")
    assert rows(store, "SELECT count(*) FROM ticket") == [(0,)]
    assert accounts.customer(store.conn, CAMILLE).points == 150
