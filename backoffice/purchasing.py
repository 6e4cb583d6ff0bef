"""Purchase orders in the back office (achats, for now minimal): the teacher makes them with the form
of /commandes or `comptoir purchase import FILE.csv`; the stockroom kiosks read them from a server
cursor (GET /api/v1/purchase-orders?after=ID) and receive them; their receptions come back through
sync and are shown beside each order. The rules (numbers, dates, quantities, costs) are
commerce.stock's, the same as on the kiosk.

Glossary: bon de commande = purchase order, fournisseur = supplier, réception = goods reception,
reliquat = backorder, bon de livraison (BL) = delivery note.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Iterable, Optional

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection, Engine

from commerce.errors import CommerceError
from commerce.stock import OrderLine, PurchaseOrder, orders_to_add, parse_po_head, purchase_orders_from_rows

from .db import product, purchase_order, purchase_order_line, sync_record


def _load(conn: Connection, rows) -> list[PurchaseOrder]:
    ids = [r.id for r in rows]
    lines: dict[int, list[OrderLine]] = {i: [] for i in ids}
    if ids:
        for l in conn.execute(select(purchase_order_line).where(purchase_order_line.c.po_id.in_(ids))
                              .order_by(purchase_order_line.c.po_id, purchase_order_line.c.line_no)):
            lines[l.po_id].append(OrderLine(l.gtin13, l.qty, l.unit_cost, l.pack))
    return [PurchaseOrder(r.number, r.supplier, r.expected_date, tuple(lines[r.id])) for r in rows]


def order(conn: Connection, number: str) -> Optional[PurchaseOrder]:
    rows = conn.execute(select(purchase_order).where(purchase_order.c.number == number)).all()
    return _load(conn, rows)[0] if rows else None


def add_orders(engine: Engine, orders: Iterable[PurchaseOrder]) -> tuple[list[str], list[str]]:
    """Store new orders in one transaction: one already stored with the same content is skipped, with
    another content refused (then nothing is stored). Returns (added, skipped) numbers."""
    with engine.begin() as conn:
        new, skipped = orders_to_add(orders, lambda number: order(conn, number))
        for o in new:
            po_id = conn.execute(insert(purchase_order).values(
                number=o.number, supplier=o.supplier, expected_date=o.expected,
                created_at=datetime.now().replace(microsecond=0))).inserted_primary_key[0]
            conn.execute(insert(purchase_order_line), [
                dict(po_id=po_id, line_no=i, gtin13=l.gtin13, qty=l.qty, unit_cost=l.unit_cost, pack=l.pack)
                for i, l in enumerate(o.lines, 1)])
    return [o.number for o in new], skipped


def order_from_form(number: str, supplier: str, expected: str, lines_text: str):
    """The form's fields -> (order or None, errors). One line per product: `BARCODE QTY [COST [PACK]]`
    (cost in euros excluding VAT, as 1,80). Errors name the line and the reason."""
    head_errors = []
    try:  # the order's own fields first, named as such (not as its first line)
        parse_po_head(supplier, expected)
    except CommerceError as e:
        head_errors = [str(e)]
    rows = []
    for text in lines_text.splitlines():
        words = text.replace(";", " ").split()
        if not words:
            continue
        rows.append({"po": number, "supplier": supplier, "expected_date": expected, "barcode": words[0],
                     "qty": words[1] if len(words) > 1 else "", "unit_cost": words[2] if len(words) > 2 else "",
                     "pack": words[3] if len(words) > 3 else ""} | ({None: words[4:]} if len(words) > 4 else {}))
    if not rows:
        return None, head_errors + ["aucune ligne : une ligne par article, « code-barres quantité [coût [colisage]] »"]
    if head_errors:  # each line would repeat them
        return None, head_errors
    orders, errors = purchase_orders_from_rows(rows)  # numbers its rows from 2, as under a CSV header
    return (orders[0] if orders and not errors else None), [f"ligne {e.line - 1} : {e.reason}" for e in errors]


def not_in_catalogue(conn: Connection, o: PurchaseOrder) -> list[str]:
    """The order's products the catalogue lacks: they are received under their code (worth a warning)."""
    gtins = {l.gtin13 for l in o.lines}
    known = {g for (g,) in conn.execute(select(product.c.gtin13).where(product.c.gtin13.in_(gtins)))}
    return sorted(gtins - known)


def orders_after(conn: Connection, after: int, limit: int) -> dict:
    """The kiosks' cursor: orders with an id above `after`, oldest first, and the next cursor."""
    rows = conn.execute(select(purchase_order).where(purchase_order.c.id > after)
                        .order_by(purchase_order.c.id).limit(limit)).all()
    orders = _load(conn, rows)
    return {"orders": [{"number": o.number, "supplier": o.supplier, "expected_date": o.expected.isoformat(),
                        "lines": [{"gtin": l.gtin13, "qty": l.qty, "unit_cost": l.unit_cost, "pack": l.pack}
                                  for l in o.lines]} for o in orders],
            "next": rows[-1].id if rows else after}


def orders_page(conn: Connection) -> list[dict]:
    """Every order, newest first, with the receptions the stockrooms sent back for it."""
    received: dict[str, list[dict]] = {}
    for r in conn.execute(select(sync_record.c.payload).where(sync_record.c.kind == "reception",
                                                              sync_record.c.duplicate.is_(False))):
        try:
            rec = json.loads(r.payload)
        except (TypeError, ValueError):
            continue
        received.setdefault(str(rec.get("po", "")), []).append(rec)
    rows = conn.execute(select(purchase_order).order_by(purchase_order.c.id.desc())).all()
    units = dict(conn.execute(select(purchase_order_line.c.po_id, func.sum(purchase_order_line.c.qty))
                              .group_by(purchase_order_line.c.po_id)).all())
    out = []
    for o, row in zip(_load(conn, rows), rows):
        out.append({"number": o.number, "supplier": o.supplier, "expected": o.expected, "lines": len(o.lines),
                    "units": int(units.get(row.id) or 0), "receptions": received.pop(o.number, [])})
    # receptions of orders made elsewhere (a backorder, an order imported on the kiosk)
    for number, recs in sorted(received.items()):
        out.append({"number": number, "supplier": recs[0].get("supplier", ""), "expected": None, "lines": None,
                    "units": None, "receptions": recs})
    return out
