"""Amounts the register refuses are the ones the sync format refuses: no ticket is stuck in the outbox."""
from datetime import datetime, timedelta

import pytest

from commerce.catalogue import Product
from commerce.errors import CommerceError
from commerce.money import MAX_AMOUNT
from commerce.ticket import Ticket
from sync.wire import WireError, ticket_from_wire, ticket_to_wire

CROC = Product("3292590049201", "Croc citron", 359, 2000)


def test_absurd_cash_given_is_refused_before_anything_is_recorded():
    t = Ticket()
    t.add(CROC)
    with pytest.raises(CommerceError, match="dépasse de plus de 500,00 €"):
        t.pay_cash(100_000_000)
    assert t.payments == [] and t.due == 359
    p = t.pay_cash(50_000)  # a 500 € note for 3,59 € is still taken
    assert p.change == 50_000 - 359


def test_ticket_total_is_capped_and_the_ticket_is_unchanged():
    t = Ticket()
    big = Product("3292590050511", "Lot", MAX_AMOUNT // 2 + 1, 550)
    t.add(big)
    with pytest.raises(CommerceError, match="un ticket ne dépasse pas 100000,00 €"):
        t.add(big)
    with pytest.raises(CommerceError, match="vérifiez les quantités"):
        t.set_qty(0, 2)
    assert [(l.qty, l.total) for l in t.lines] == [(1, MAX_AMOUNT // 2 + 1)]


def test_every_ticket_the_register_can_make_passes_the_wire():
    t = Ticket()
    t.add(Product("3292590050511", "Lot", MAX_AMOUNT - 100, 550))
    t.pay_cash(MAX_AMOUNT - 100 + 49_999)
    v = t.validate(ticket_id="a", register="1", number=1, cashier="É", created_at=datetime.now())
    assert ticket_from_wire(ticket_to_wire(v)) == v


def _wire(**changes):
    t = Ticket()
    t.add(CROC)
    t.pay_card()
    w = ticket_to_wire(t.validate(ticket_id="a", register="1", number=1, cashier="É", created_at=datetime.now()))
    w.update(changes)
    return w


def test_the_wire_refuses_non_training_tickets_and_impossible_dates():
    with pytest.raises(WireError, match=r"payload\.training"):
        ticket_from_wire(_wire(training=False))
    with pytest.raises(WireError, match=r"payload\.created_at : date 1999-01-01T00:00:00 invraisemblable"):
        ticket_from_wire(_wire(created_at="1999-01-01T00:00:00"))
    future = (datetime.now() + timedelta(days=3)).isoformat()
    with pytest.raises(WireError, match="invraisemblable"):
        ticket_from_wire(_wire(created_at=future))


def test_a_cash_refund_gives_no_change():
    from commerce.ticket import Payment

    assert Payment("cash", -250).change == 0
    assert Payment("cash", 359, 500).change == 141
