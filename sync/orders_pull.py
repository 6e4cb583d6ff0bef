"""Back office -> stockroom kiosk: the purchase orders, read from a server cursor and applied batch by
batch, each batch and its cursor in one transaction (kiosk.stock_store.StockStore.import_orders)."""
from __future__ import annotations

from datetime import date
from typing import Callable

from commerce.stock import OrderLine, PurchaseOrder

from .catalogue_pull import get_json


def pull_orders(base_url: str, token: str, after: str, apply: Callable[[list[PurchaseOrder], str], object],
                limit: int = 200, timeout: float = 10.0) -> int:
    """Fetch every order added since `after`; `apply(orders, cursor)` stores each batch. Returns how many."""
    total = 0
    while True:
        body = get_json(base_url, "/api/v1/purchase-orders", {"after": after, "limit": limit}, token, timeout,
                        "commandes non mises à jour")
        orders = [PurchaseOrder(o["number"], o["supplier"], date.fromisoformat(o["expected_date"]),
                                tuple(OrderLine(l["gtin"], l["qty"], l["unit_cost"], l["pack"]) for l in o["lines"]))
                  for o in body["orders"]]
        if not orders:
            return total
        after = str(body["next"])
        apply(orders, after)
        total += len(orders)
