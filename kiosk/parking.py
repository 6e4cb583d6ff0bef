"""A ticket in progress as JSON, to park it (mise en attente) and resume it later, even on another
register of the shop or after a restart. Only tickets with no payment yet can be parked."""
from __future__ import annotations

import json
from dataclasses import asdict

from commerce.errors import CommerceError
from commerce.money import format_eur
from commerce.pricing import Customer, Discount, Pricelist
from commerce.ticket import Line, Ticket


def _discount(d):
    return Discount(**d) if d else None


def dump(ticket: Ticket) -> str:
    if ticket.payments:
        raise CommerceError("paiement commencé : ce ticket ne peut plus être mis en attente")
    if not ticket.lines:
        raise CommerceError("ticket vide : rien à mettre en attente")
    lines = [{"gtin13": l.gtin13, "label": l.label, "qty": l.qty, "unit_price": l.unit_price, "vat_bp": l.vat_bp,
              "kind": l.kind, "discount": asdict(l.discount) if l.discount else None,
              "origin": list(l.origin) if l.origin else None, "give_back": l.give_back, "list_price": l.list_price}
             for l in ticket.lines]
    return json.dumps({
        "lines": lines, "discount": asdict(ticket.discount) if ticket.discount else None,
        "customer": asdict(ticket.customer) if ticket.customer else None,
        "pricelist": asdict(ticket.pricelist) if ticket.pricelist else None,
        "points": ticket.points, "corrects": list(ticket.corrects) if ticket.corrects else None,
    }, ensure_ascii=False, sort_keys=True)


def load(payload: str, promotions=()) -> Ticket:
    d = json.loads(payload)
    lines = [Line(l["gtin13"], l["label"], l["qty"], l["unit_price"], l["vat_bp"], l["kind"],
                  _discount(l["discount"]), tuple(l["origin"]) if l["origin"] else None, l["give_back"],
                  l["list_price"]) for l in d["lines"]]
    return Ticket(lines=lines, promotions=tuple(promotions), discount=_discount(d["discount"]),
                  customer=Customer(**d["customer"]) if d["customer"] else None,
                  pricelist=Pricelist(**d["pricelist"]) if d["pricelist"] else None, points=d["points"],
                  corrects=tuple(d["corrects"]) if d["corrects"] else None)


def summary(ticket: Ticket) -> str:
    """'3 articles — 12,40 €' (shown in the list of parked tickets)."""
    units = sum(abs(l.qty) for l in ticket.lines)
    return f"{units} article{'s' if units > 1 else ''} — {format_eur(ticket.total)}"
