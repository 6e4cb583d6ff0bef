"""Returns and exchanges through the register service, on a real SQLite store: the VAT reversed with
the price, never more than was sold nor twice, what was paid given back (discounts deducted),
refunds by the original method(s) or a credit note, exchanges."""
from __future__ import annotations

import pytest

from register_env import (CAFE, LIVRE, NUT, YAOURT, journal, make_service, make_store, rows, sell, stored_vat,
                          vat_rows)

from commerce import cards
from commerce.receipt import receipt_text
from kiosk import accounts


@pytest.fixture
def env(tmp_path):
    store = make_store(tmp_path / "caisse.db")
    yield make_service(store), store
    store.close()


def returned_total(svc, *steps):
    """Return (line, qty) steps on the open ticket; the refund total (cents, positive)."""
    for line_no, qty in steps:
        fb = svc.return_line(line_no, qty)
        assert fb.level == "info", fb.message
    return -svc.ticket.total


# -- the VAT is reversed with the price ---------------------------------------------------------------
def test_full_refund_reverses_price_and_vat_exactly(env):
    svc, store = env
    sale = sell(svc, NUT, LIVRE)  # 7,37 € at 20 % and 95,82 € at 2,1 %
    assert sale.total == 10319
    assert vat_rows(sale) == [(2000, 614, 123, 737), (210, 9385, 197, 9582)]
    assert sum(v.ht for v in sale.vat) == 9999 and sum(v.tva for v in sale.vat) == 320

    assert svc.open_return("1").level == "info"
    assert returned_total(svc, (1, 1), (2, 1)) == 10319
    fb = svc.refund("card")
    assert (fb.level, fb.message) == ("info", "Ticket n° 2 enregistré : -103,19 €")
    refund = svc.last_sale
    assert refund.total == -10319 and refund.corrects == ("1", 1)
    assert vat_rows(refund) == [(2000, -614, -123, -737), (210, -9385, -197, -9582)]
    assert sum(v.ht for v in refund.vat) == -9999 and sum(v.tva for v in refund.vat) == -320
    assert [(p.method, p.amount) for p in refund.payments] == [("card", -10319)]
    # stored: sale plus refund nets to 0 on every rate (HT, TVA, TTC) and in total
    assert rows(store, "SELECT rate_bp, sum(ht), sum(tva), sum(ttc) FROM ticket_vat GROUP BY rate_bp "
                       "ORDER BY rate_bp DESC") == [(2000, 0, 0, 0), (210, 0, 0, 0)]
    assert rows(store, "SELECT sum(total) FROM ticket") == [(0,)]
    assert stored_vat(store, refund) == [(2000, -614, -123, -737), (210, -9385, -197, -9582)]


def test_the_return_ticket_names_the_ticket_it_corrects_and_each_line_its_origin(env):
    svc, store = env
    sale = sell(svc, NUT, LIVRE)
    svc.open_return("1")
    svc.return_line(2, 1)
    svc.refund("card")
    refund = svc.last_sale
    assert rows(store, "SELECT corrects_register, corrects_number FROM ticket WHERE id = ?", refund.id) == [("1", 1)]
    assert rows(store, "SELECT line_no, kind, qty, unit_price, total, ht, vat_bp, origin_ticket_id, origin_line_no, net "
                       "FROM ticket_line WHERE ticket_id = ?", refund.id) == [
        (0, "return", -1, 9582, -9582, -9385, 210, sale.id, 1, -9582)]
    assert rows(store, "SELECT corrects_register, corrects_number FROM ticket WHERE id = ?", sale.id) == [(None, None)]
    # the receipt says which ticket it corrects; reloaded from the store, the ticket is the same
    text = receipt_text(svc._receipt(store.find_ticket("1", 2)))
    assert "Retour sur le ticket n° 000001 (caisse 1)" in text and "Carte bancaire (remboursement)" in text
    assert store.find_ticket("1", 2).corrects == ("1", 1)


# -- never more than was sold, never twice ----------------------------------------------------------
def test_never_more_than_sold_across_several_return_tickets(env):
    svc, store = env
    svc.scan(NUT.gtin13)
    svc.set_quantity("3")
    svc.scan(LIVRE.gtin13)
    svc.pay_card()
    svc.open_return("1")
    assert svc.return_line(1, 2).level == "info"
    fb = svc.return_line(1, 2)  # only one left, counting the two already on this ticket
    assert (fb.level, fb.message) == ("error", "Retour de 2 × Nutella 400 g refusé : 1 au plus "
                                               "(3 vendu(s), 2 déjà repris)")
    svc.refund("card")
    assert store.returned(store.find_ticket("1", 1).id) == {0: 2}

    fb = svc.open_return("1")
    assert fb.message.endswith("(1 Nutella 400 g ×1, 2 Livre ×1)")
    assert svc.return_line(1, 2).message == ("Retour de 2 × Nutella 400 g refusé : 1 au plus "
                                             "(3 vendu(s), 2 déjà repris)")
    assert svc.return_line(1, 1).level == "info"
    assert svc.return_line(2, 1).level == "info"
    assert svc.return_line(2, 1).message == "Retour de 1 × Livre refusé : 0 au plus (1 vendu(s), 1 déjà repris)"
    assert svc.return_line(3, 1).message == "Ligne 3 : pas un article du ticket n° 1 (lignes 1, 2)"
    svc.refund("card")
    fb = svc.open_return("1")
    assert (fb.level, fb.message) == ("error", "Ticket n° 1 : tous ses articles ont déjà été repris")
    assert svc.open_return("1/99").message == "Ticket n° 99 de la caisse 1 introuvable"
    assert svc.open_return("abc").level == "error"
    # the sale and its two returns: nothing left, at every rate
    assert rows(store, "SELECT rate_bp, sum(ttc) FROM ticket_vat GROUP BY rate_bp ORDER BY rate_bp DESC") == [
        (2000, 0), (210, 0)]


def test_a_parked_return_cannot_be_refunded_twice(env):
    svc, store = env
    sell(svc, NUT)
    svc.open_return("1")
    svc.return_line(1, 1)
    assert svc.park().level == "info"
    svc.open_return("1")
    svc.return_line(1, 1)
    svc.refund("card")
    svc.resume()  # the parked return: the line came back meanwhile
    fb = svc.refund("card")
    assert (fb.level, fb.message) == ("error", "Retour de 1 × Nutella 400 g refusé : 0 au plus (1 vendu(s), "
                                               "1 déjà repris) ; supprimez la ligne de retour")
    assert rows(store, "SELECT count(*) FROM ticket") == [(2,)]


# -- what was paid comes back, discounts deducted -----------------------------------------------------
def test_line_discount_refunded_as_paid_remainder_on_the_last_units(env):
    svc, store = env
    svc.scan(NUT.gtin13)
    svc.set_quantity("3")
    svc.discount_line("10%")  # 22,11 € -> 2,21 € off (2,211) -> 19,90 €
    svc.pay_card()
    assert svc.last_sale.total == 1990 and svc.last_sale.lines[0].net == 1990
    svc.open_return("1")
    assert returned_total(svc, (1, 1)) == 663   # 7,37 − 0,74 (2,21 / 3 = 0,737 -> 0,74)
    svc.refund("card")
    svc.open_return("1")
    assert returned_total(svc, (1, 2)) == 1327  # 14,74 − 1,47: the remainder, to the cent
    svc.refund("card")
    assert rows(store, "SELECT sum(total) FROM ticket") == [(0,)]
    # TTC nets to 0; HT is rounded per ticket (16,58 sold; 5,53 + 11,06 back): 1 c moves from HT to TVA
    assert rows(store, "SELECT ht, tva, ttc FROM ticket_vat ORDER BY rowid") == [
        (1658, 332, 1990), (-553, -110, -663), (-1106, -221, -1327)]
    assert [l.label for l in svc.last_sale.lines] == ["Retour Nutella 400 g", "Remise d'origine déduite"]


def test_line_discount_returned_unit_by_unit(env):
    svc, store = env
    svc.scan(NUT.gtin13)
    svc.set_quantity("3")
    svc.discount_line("10%")
    svc.pay_card()
    refunds = []
    for _ in range(3):
        svc.open_return("1")
        refunds.append(returned_total(svc, (1, 1)))
        svc.refund("card")
    assert refunds == [663, 664, 663] and sum(refunds) == 1990


def test_three_for_two_refunds_what_was_paid(env):
    svc, store = env
    svc.scan(YAOURT.gtin13)
    svc.set_quantity("3")  # 3,60 € − 1,20 € (3 pour 2)
    svc.pay_card()
    assert svc.last_sale.total == 240
    got = []
    for _ in range(3):
        svc.open_return("1")
        got.append(returned_total(svc, (1, 1)))
        svc.refund("card")
    assert got == [80, 80, 80]
    # 2,40 € sold = 2,27 HT; each 0,80 € back = 0,76 HT (0,7583): per-ticket rounding, 1 c of HT
    assert rows(store, "SELECT rate_bp, sum(ht), sum(tva), sum(ttc) FROM ticket_vat GROUP BY rate_bp") == [
        (550, -1, 1, 0)]


def test_second_at_half_price_returned_in_two_goes(env):
    svc, store = env
    svc.scan(CAFE.gtin13)
    svc.set_quantity("2")  # 9,98 € − 2,50 € = 7,48 €
    svc.pay_card()
    svc.open_return("1")
    assert returned_total(svc, (1, 1)) == 374   # 4,99 − 1,25
    svc.refund("card")
    svc.open_return("1")
    assert returned_total(svc, (1, 1)) == 374
    svc.refund("card")
    assert rows(store, "SELECT sum(total) FROM ticket") == [(0,)]


def test_ticket_discount_refunded_as_paid_per_rate(env):
    svc, store = env
    svc.scan(NUT.gtin13)
    svc.set_quantity("3")
    svc.scan(LIVRE.gtin13)
    svc.discount_ticket("10%")  # 117,93 € -> 11,79 € off: 2,21 on the Nutella, 9,58 on the book
    svc.pay_card()
    sale = svc.last_sale
    assert sale.total == 10614
    assert [l.net for l in sale.lines if l.kind == "item"] == [1990, 8624]
    svc.open_return("1")
    assert returned_total(svc, (2, 1), (1, 1)) == 8624 + 663
    svc.refund("card")
    svc.open_return("1")
    assert returned_total(svc, (1, 2)) == 1327
    svc.refund("card")
    # TTC nets to 0 on each rate; at 20 % the Nutella came back in two tickets: 1 c of HT rounding
    assert rows(store, "SELECT rate_bp, sum(ht), sum(tva), sum(ttc) FROM ticket_vat GROUP BY rate_bp "
                       "ORDER BY rate_bp DESC") == [(2000, -1, 1, 0), (210, 0, 0, 0)]


# -- refund by the original method(s) or a credit note ---------------------------------------------------
def test_refund_only_by_the_original_methods_each_up_to_what_it_paid(env):
    svc, store = env
    svc.scan(NUT.gtin13)
    svc.scan(LIVRE.gtin13)
    svc.pay_card("50,00")
    svc.pay_cash("60,00")  # 53,19 € due: 6,81 € change
    assert svc.last_sale.change == 681
    svc.open_return("1")
    svc.return_line(1, 1)
    svc.return_line(2, 1)
    assert svc.refund_methods() == ("card", "cash", "credit_note")
    fb = svc.refund("cheque")
    assert (fb.level, fb.message) == ("error", "Remboursement par chèque refusé : par le moyen de paiement d'origine "
                                               "ou un avoir (carte, espèces, avoir)")
    fb = svc.refund("gift_card")
    assert fb.level == "error" and fb.message.startswith("Remboursement par carte cadeau refusé")
    fb = svc.refund("card")  # all the card paid, not more
    assert (fb.level, fb.message) == ("info", "Reste à rendre : 53,19 €")
    assert svc.refund_methods() == ("cash", "credit_note")
    fb = svc.refund("cash", "60,00")
    assert (fb.level, fb.message) == ("error", "Remboursement espèces de 60,00 € refusé : le ticket n° 1 peut encore "
                                               "rendre 53,19 € par espèces ; le reste en avoir")
    assert svc.pay_card().message.startswith("Remboursement par carte refusé")  # pay keys go through refund
    assert svc.refund("cash", "20,00").message == "Reste à rendre : 33,19 €"
    fb = svc.refund("credit_note")
    assert fb.level == "info"
    refund = svc.last_sale
    assert [(p.method, p.amount, p.given) for p in refund.payments] == [
        ("card", -5000, 0), ("cash", -2000, 0), ("credit_note", -3319, 0)]
    assert refund.change == 0


def test_later_returns_see_what_earlier_refunds_gave_back(env):
    svc, store = env
    svc.scan(NUT.gtin13)
    svc.scan(LIVRE.gtin13)
    svc.pay_cash("10,00")
    svc.pay_card()  # 93,19 € by card
    svc.open_return("1")
    svc.return_line(2, 1)
    assert svc.refund("cash").message == "Reste à rendre : 85,82 €"  # the 10,00 € of cash first
    assert svc.refund("card").level == "info"
    svc.open_return("1")
    svc.return_line(1, 1)
    assert svc.refund_methods() == ("card", "credit_note")  # no cash left to give back
    assert svc.pay_cash("").message.startswith("Remboursement par espèces refusé")
    assert svc.refund("card").level == "info"
    assert rows(store, "SELECT method, sum(amount) FROM payment GROUP BY method ORDER BY method") == [
        ("card", 0), ("cash", 0)]


def test_credit_note_issued_then_redeemed_partially_then_the_rest(env):
    svc, store = env
    sell(svc, LIVRE)
    svc.open_return("1")
    svc.return_line(1, 1)
    svc.refund("credit_note")
    refund = svc.last_sale
    note = refund.payments[0].reference
    assert note == cards.make_card(cards.CREDIT_NOTE, 1) == "0470000000018"
    assert accounts.balance(store.conn, cards.CREDIT_NOTE, note) == 9582
    text = receipt_text(svc.printer.jobs[-1])
    assert "AVOIR 95,82 €" in text and f"[EAN13 {note}]" in text
    assert svc.scan(note).message == f"Avoir {note} : solde 95,82 €"

    svc.scan(NUT.gtin13)
    assert svc.pay_credit_note(note).message == "Ticket n° 3 enregistré : 7,37 €"
    assert svc.check_card(note).message == f"Avoir {note} : solde 88,45 €"
    svc.scan(LIVRE.gtin13)
    assert svc.pay_credit_note(note).message == "Reste à payer : 7,37 €"  # all it holds
    assert svc.pay_cash("10").message == "Ticket n° 4 enregistré : 95,82 € — rendu 2,63 €"
    assert accounts.balance(store.conn, cards.CREDIT_NOTE, note) == 0
    svc.scan(NUT.gtin13)
    fb = svc.pay_credit_note(note)
    assert (fb.level, fb.message) == ("error", f"Avoir {note} : solde 0,00 €, rien à payer avec")
    fb = svc.pay_credit_note(note, "1,00")
    assert (fb.level, fb.message) == ("error", f"Avoir {note} : solde 0,00 €, insuffisant pour 1,00 €")
    assert rows(store, "SELECT amount, number FROM value_move WHERE kind = 'credit_note' ORDER BY id") == [
        (9582, 2), (-737, 3), (-8845, 4)]


def test_two_credit_notes_on_one_refund_get_two_numbers(env):
    svc, store = env
    sell(svc, LIVRE)
    svc.open_return("1")
    svc.return_line(1, 1)
    assert svc.refund("credit_note", "50,00").message == "Reste à rendre : 45,82 €"
    svc.refund("credit_note")
    a, b = (p.reference for p in svc.last_sale.payments)
    assert a != b
    assert (accounts.balance(store.conn, "credit_note", a), accounts.balance(store.conn, "credit_note", b)) == (5000, 4582)


def test_paid_by_gift_card_comes_back_as_a_credit_note(env):
    svc, store = env
    card = cards.make_card(cards.GIFT_CARD, 5)
    svc.sell_gift_card(card, "100")
    svc.pay_card()
    svc.scan(LIVRE.gtin13)
    svc.pay_gift_card(card)
    svc.open_return("2")
    svc.return_line(1, 1)
    assert svc.refund_methods() == ("credit_note",)
    assert svc.pay_gift_card(card).message.startswith("Remboursement par carte cadeau refusé")
    assert svc.refund("credit_note").level == "info"
    assert accounts.balance(store.conn, cards.GIFT_CARD, card) == 418  # the card is not refilled


# -- exchanges: a return and a sale on one ticket ------------------------------------------------------
def test_exchange_with_a_balance_to_pay(env):
    svc, store = env
    sell(svc, NUT, NUT)
    svc.open_return("1")
    svc.return_line(1, 1)
    svc.scan(LIVRE.gtin13)
    assert svc.ticket.total == 8845
    assert svc.pay_card().message == "Ticket n° 2 enregistré : 88,45 €"
    ex = svc.last_sale
    assert ex.corrects == ("1", 1)
    assert vat_rows(ex) == [(2000, -614, -123, -737), (210, 9385, 197, 9582)]
    assert [(l.kind, l.qty, l.total) for l in ex.lines] == [("return", -1, -737), ("item", 1, 9582)]


def test_exchange_with_money_back(env):
    svc, store = env
    sell(svc, LIVRE, pay="cash")
    svc.open_return("1")
    svc.scan(NUT.gtin13)           # the new item first, then what comes back
    svc.return_line(1, 1)
    assert svc.ticket.total == -8845
    assert svc.refund_methods() == ("cash", "credit_note")
    assert svc.pay_cash("").message == "Ticket n° 2 enregistré : -88,45 €"
    ex = svc.last_sale
    assert [(p.method, p.amount, p.given) for p in ex.payments] == [("cash", -8845, 0)]
    assert ex.corrects == ("1", 1)
    assert rows(store, "SELECT sum(amount) FROM payment WHERE method = 'cash'") == [(737,)]


def test_even_exchange_is_recorded_with_no_payment(env):
    svc, store = env
    sell(svc, NUT)
    svc.open_return("1")
    svc.return_line(1, 1)
    svc.scan(NUT.gtin13)  # the same jar, another one
    assert svc.ticket.total == 0
    assert svc.refund("card").message == "Ticket n° 2 enregistré : 0,00 €"
    ex = svc.last_sale
    assert ex.total == 0 and ex.payments == () and ex.corrects == ("1", 1)
    assert stored_vat(store, ex) == [(2000, 0, 0, 0)]
    assert rows(store, "SELECT kind, qty FROM ticket_line WHERE ticket_id = ? ORDER BY line_no", ex.id) == [
        ("return", -1), ("item", 1)]
    assert journal(store, kind="ticket_corrected")[-1][2]["ticket"] == 1


def test_one_original_ticket_per_return_ticket(env):
    svc, store = env
    sell(svc, NUT)
    sell(svc, LIVRE)
    svc.open_return("1")
    svc.return_line(1, 1)
    fb = svc.open_return("2")
    assert (fb.level, fb.message) == ("error", "Ce ticket reprend déjà des articles du ticket n° 1 : "
                                               "un retour par ticket d'origine")


def test_return_without_ticket_needs_the_teacher(env):
    svc, store = env
    fb = svc.return_without_ticket(NUT.gtin13, 1, "")
    assert (fb.level, fb.message) == ("error", "Accord du professeur requis pour rembourser sans ticket : "
                                               "scannez son badge ou tapez son code")
    fb = svc.return_without_ticket(NUT.gtin13, 1, "0400000000022")
    assert fb.message == "Hugo Bernard est élève : il faut le badge d'un professeur pour rembourser sans ticket."
    assert svc.ticket.lines == []
    fb = svc.return_without_ticket(NUT.gtin13, 2, "0400000000992")
    assert fb.message == "Retour sans ticket 2 × Nutella 400 g (accord Mme Laurent)"
    assert svc.refund_methods() == ("cash", "credit_note")
    assert svc.refund("card").level == "error"
    assert svc.refund("cash").message == "Ticket n° 1 enregistré : -14,74 €"
    assert svc.last_sale.corrects is None
    assert journal(store, kind="refund_without_ticket") == [
        ("refund_without_ticket", "eleve1", {"gtin": NUT.gtin13, "qty": 2, "unit_price": 737, "approved_by": "prof"})]
