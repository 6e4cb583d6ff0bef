"""Read side of the back office: the figures the pages and the JSON API show (no HTTP here)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Optional

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from .db import device, payment, product, sync_record, ticket, ticket_line, ticket_vat


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min)
    return start, start + timedelta(days=1)


def summary(conn: Connection, day: date) -> dict:
    """The day's figures (local time): tickets, total, VAT per rate from ticket_vat, per register."""
    start, end = day_bounds(day)
    in_day = and_(ticket.c.created_at >= start, ticket.c.created_at < end)
    count, total = conn.execute(
        select(func.count(), func.coalesce(func.sum(ticket.c.total), 0)).where(in_day)).one()
    vat = [
        {"rate": r.rate_bp, "ht": int(r.ht), "tva": int(r.tva), "ttc": int(r.ttc)}
        for r in conn.execute(
            select(ticket_vat.c.rate_bp, func.sum(ticket_vat.c.ht).label("ht"),
                   func.sum(ticket_vat.c.tva).label("tva"), func.sum(ticket_vat.c.ttc).label("ttc"))
            .join(ticket, ticket.c.id == ticket_vat.c.ticket_id).where(in_day)
            .group_by(ticket_vat.c.rate_bp).order_by(ticket_vat.c.rate_bp.desc()))
    ]
    registers = {
        r.register: {"tickets": int(r.n), "total": int(r.total)}
        for r in conn.execute(
            select(ticket.c.register, func.count().label("n"), func.sum(ticket.c.total).label("total"))
            .where(in_day).group_by(ticket.c.register).order_by(ticket.c.register))
    }
    return {"date": day.isoformat(), "tickets": int(count), "total": int(total), "vat": vat,
            "registers": registers}


@dataclass
class RegisterInfo:
    register: str
    devices: list[str]
    tickets_today: int
    total_today: int
    tickets_all: int
    last_seen_at: Optional[datetime]


def registers(conn: Connection, day: date) -> list[RegisterInfo]:
    start, end = day_bounds(day)
    out: dict[str, RegisterInfo] = {}

    def get(reg: str) -> RegisterInfo:
        return out.setdefault(reg, RegisterInfo(reg, [], 0, 0, 0, None))

    for d in conn.execute(select(device.c.register, device.c.code, device.c.last_seen_at).order_by(device.c.code)):
        info = get(d.register)
        info.devices.append(d.code)
        if d.last_seen_at and (info.last_seen_at is None or d.last_seen_at > info.last_seen_at):
            info.last_seen_at = d.last_seen_at
    for r in conn.execute(select(ticket.c.register, func.count().label("n")).group_by(ticket.c.register)):
        get(r.register).tickets_all = int(r.n)
    for r in conn.execute(
            select(ticket.c.register, func.count().label("n"), func.sum(ticket.c.total).label("total"))
            .where(ticket.c.created_at >= start, ticket.c.created_at < end).group_by(ticket.c.register)):
        info = get(r.register)
        info.tickets_today, info.total_today = int(r.n), int(r.total)
    return sorted(out.values(), key=lambda i: (len(i.register), i.register))


def register_tickets(conn: Connection, register: str, limit: int, offset: int) -> tuple[int, list[dict]]:
    """(count, newest-first page of tickets) with their line count and payment methods."""
    count = conn.execute(select(func.count()).where(ticket.c.register == register)).scalar_one()
    rows = conn.execute(
        select(ticket).where(ticket.c.register == register)
        .order_by(ticket.c.created_at.desc(), ticket.c.number.desc()).limit(limit).offset(offset)).all()
    ids = [r.id for r in rows]
    n_lines: dict[str, int] = {}
    n_items: dict[str, int] = {}
    methods: dict[str, list[str]] = {}
    if ids:
        for r in conn.execute(select(ticket_line.c.ticket_id, func.count().label("n"),
                                     func.sum(ticket_line.c.qty).label("items"))
                              .where(ticket_line.c.ticket_id.in_(ids)).group_by(ticket_line.c.ticket_id)):
            n_lines[r.ticket_id], n_items[r.ticket_id] = int(r.n), int(r.items)
        for r in conn.execute(select(payment.c.ticket_id, payment.c.method)
                              .where(payment.c.ticket_id.in_(ids)).order_by(payment.c.ticket_id, payment.c.line_no)):
            lst = methods.setdefault(r.ticket_id, [])
            if r.method not in lst:
                lst.append(r.method)
    return int(count), [
        dict(r._mapping, lines=n_lines.get(r.id, 0), items=n_items.get(r.id, 0), methods=methods.get(r.id, []))
        for r in rows
    ]


def ticket_detail(conn: Connection, ticket_id: str) -> Optional[dict]:
    t = conn.execute(select(ticket).where(ticket.c.id == ticket_id)).first()
    if t is None:
        return None
    dev = conn.execute(select(device.c.code).where(device.c.id == t.device_id)).scalar_one_or_none()
    return dict(
        t._mapping, device=dev,
        lines=[dict(r._mapping) for r in conn.execute(
            select(ticket_line).where(ticket_line.c.ticket_id == ticket_id).order_by(ticket_line.c.line_no))],
        vat=[dict(r._mapping) for r in conn.execute(
            select(ticket_vat).where(ticket_vat.c.ticket_id == ticket_id).order_by(ticket_vat.c.rate_bp.desc()))],
        payments=[dict(r._mapping) for r in conn.execute(
            select(payment).where(payment.c.ticket_id == ticket_id).order_by(payment.c.line_no))],
    )


def search_products(conn: Connection, q: str, limit: int = 50) -> list[dict]:
    stmt = select(product)
    q = " ".join((q or "").split())
    if q:
        conds = [func.lower(product.c.name).contains(q.lower(), autoescape=True),
                 func.lower(product.c.category).contains(q.lower(), autoescape=True)]
        if q.isdigit():
            conds.append(product.c.gtin13.contains(q, autoescape=True))
        stmt = stmt.where(or_(*conds))
    return [dict(r._mapping) for r in conn.execute(stmt.order_by(product.c.name, product.c.gtin13).limit(limit))]


def count_products(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(product)).scalar_one())


def catalogue_after(conn: Connection, after: int, limit: int) -> dict:
    rows = conn.execute(select(product).where(product.c.version > after)
                        .order_by(product.c.version).limit(limit)).all()
    return {
        "products": [{"gtin": r.gtin13, "name": r.name, "price": r.price, "vat_rate": r.vat_bp,
                      "category": r.category, "version": int(r.version)} for r in rows],
        "next": int(rows[-1].version) if rows else after,
    }


CLOSING_KINDS = {"Z": "Z (session)", "day": "Journée", "month": "Mois", "year": "Exercice"}


def _records(conn: Connection, register: str, kind: str, limit: int) -> list[dict]:
    """A register's records of a kind kept as received (closings, journal entries), newest first.
    Only its own devices' records: a kiosk may write only its register's."""
    rows = conn.execute(
        select(sync_record.c.payload).join(device, device.c.id == sync_record.c.device_id)
        .where(device.c.register == register, sync_record.c.kind == kind, sync_record.c.duplicate.is_(False),
               sync_record.c.payload.is_not(None))
        .order_by(sync_record.c.device_id, sync_record.c.seq.desc()).limit(limit)).all()
    out = [json.loads(r.payload) for r in rows]
    return sorted((r for r in out if str(r.get("register")) == register), key=lambda r: -int(r.get("number", 0)))


def register_closings(conn: Connection, register: str, limit: int = 100) -> list[dict]:
    """The register's closings (Z, day, month, year), with each Z's expected, counted and difference
    per payment method, as the kiosk sealed them."""
    out = []
    for c in _records(conn, register, "closing", limit):
        f = c.get("figures") or {}
        out.append({"number": c.get("number"), "kind": c.get("kind"), "kind_label": CLOSING_KINDS.get(c.get("kind"), c.get("kind")),
                    "at": _parse_dt(c.get("timestamp")), "operator": c.get("operator", ""),
                    "tickets": f.get("tickets", 0), "total": f.get("total", 0), "difference": c.get("difference"),
                    "checks": c.get("checks") or f.get("checks") or [], "perpetual_total": c.get("perpetual_total"),
                    "period": f"{c.get('period_start', '')} → {c.get('period_end', '')}", "hash": c.get("hash", "")})
    return out


def register_journal(conn: Connection, register: str, limit: int = 50) -> list[dict]:
    """The register's technical events journal (sign-ins, reprints, printer errors, drawer…), newest first."""
    return [{"number": e.get("number"), "at": _parse_dt(e.get("timestamp")), "operator": e.get("operator", ""),
             "kind": e.get("kind", ""), "details": e.get("details") or {}}
            for e in _records(conn, register, "journal", limit)]


def _parse_dt(text) -> Optional[datetime]:
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
