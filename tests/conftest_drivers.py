"""Shared helpers for the printer tests (imported by name; not a pytest conftest)."""
from datetime import datetime

from commerce.catalogue import Product
from commerce.ticket import Ticket

LONG_NAME = ("Coffret dégustation thés et infusions biologiques du monde entier "
             "édition limitée pour les fêtes de fin d'année")


def sample_ticket(long_name: bool = False, number: int = 42):
    t = Ticket()
    t.add(Product("3017620422003", "Café moulu 250 g", 1250, 550))
    t.add(Product("3560070048847", "Cahier 96 pages", 320, 2000), 3)
    if long_name:
        t.add(Product("3229820129488", LONG_NAME, 2490, 2000))
    t.pay_cash(10000)
    return t.validate(ticket_id="t-1", register="R01", number=number, cashier="Léa Martin",
                      created_at=datetime(2025, 3, 14, 10, 5, 0))
