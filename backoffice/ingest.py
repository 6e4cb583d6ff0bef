"""Back-office ingest of kiosk batches (POST /api/v1/sync/batch).

One transaction per batch, all or nothing. Idempotent:

- a record already stored under the same id, with the same content, is not stored again;
  if it was stored from the same (device, seq) it is a plain retransmission and is
  acknowledged in ``accepted`` again (so a batch sent twice gets the same acknowledgement);
  if it arrives under another seq it is listed in ``duplicates``;
- the same id with different content, a seq already used by another ticket of the device,
  a (register, number) already used by another id, or a ticket of another register refuses the
  whole batch with a French message (``IngestRefused``) and stores nothing.

``last_seq`` in the acknowledgement is the highest seq the back office holds for the device.
"""
from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from commerce.ticket import ValidatedTicket
from commerce.vat import split_ttc
from sync.wire import WireError, parse_batch, ticket_to_wire

from .db import device, payment, ticket, ticket_line, ticket_vat

__all__ = ["ingest_batch", "IngestRefused", "UnknownDevice", "WireError", "content_sha256", "local_naive"]


class IngestRefused(ValueError):
    """The batch is well formed but conflicts with what is stored; str() is French.

    ``status`` is the HTTP status the endpoint answers with (409 conflict, 403 forbidden).
    """

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


class UnknownDevice(IngestRefused):
    def __init__(self, code: str):
        super().__init__(f"appareil « {code} » inconnu du back-office", 403)


def content_sha256(t: ValidatedTicket) -> str:
    canonical = json.dumps(ticket_to_wire(t), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def local_naive(dt: datetime) -> datetime:
    """Stored datetimes are naive local time; an aware time from a kiosk is converted first."""
    return dt.astimezone().replace(tzinfo=None) if dt.tzinfo is not None else dt


def ingest_batch(engine: Engine, device_code: str, body: dict) -> dict:
    """Store a batch sent by the device ``device_code``; return the acknowledgement.

    Raises sync.wire.WireError (malformed batch, names the field) or IngestRefused.
    """
    batch_device, records = parse_batch(body)
    if batch_device != device_code:
        raise IngestRefused(
            f"batch.device : « {batch_device} » ne correspond pas à l'appareil authentifié « {device_code} »",
            403,
        )
    _check_inside_batch(records)
    for attempt in range(5):
        try:
            with engine.begin() as conn:
                return _ingest(conn, device_code, records)
        except (IntegrityError, OperationalError):
            # A concurrent batch of the same device (or SQLite's writer lock) got there first:
            # run again against what it stored; the checks then answer duplicates or a clash.
            if attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _check_inside_batch(records):
    seen_seq: dict[int, str] = {}
    seen_id: dict[str, tuple[int, str]] = {}
    seen_number: dict[tuple[str, int], str] = {}
    for i, (seq, rid, t) in enumerate(records):
        p = f"records[{i}]"
        if seq in seen_seq and seen_seq[seq] != rid:
            raise WireError(f"{p}.seq : seq {seq} utilisé deux fois dans le lot pour deux tickets différents")
        seen_seq[seq] = rid
        digest = content_sha256(t)
        if rid in seen_id and seen_id[rid][1] != digest:
            raise WireError(f"{p}.id : ticket {rid} présent deux fois dans le lot avec des contenus différents")
        seen_id.setdefault(rid, (seq, digest))
        key = (t.register, t.number)
        if key in seen_number and seen_number[key] != rid:
            raise WireError(f"{p}.payload.number : ticket n° {t.number} de la caisse {t.register} "
                            "présent deux fois dans le lot sous deux identifiants")
        seen_number[key] = rid


def _ingest(conn: Connection, device_code: str, records) -> dict:
    now = datetime.now().replace(microsecond=0)
    # Writing first takes the write lock (SQLite) or the device's row lock (PostgreSQL):
    # batches of one device are stored one after the other.
    conn.execute(update(device).where(device.c.code == device_code).values(last_seen_at=now))
    dev = conn.execute(select(device).where(device.c.code == device_code)).first()
    if dev is None:
        raise UnknownDevice(device_code)

    for i, (seq, rid, t) in enumerate(records):
        if t.register != dev.register:
            raise IngestRefused(
                f"records[{i}].payload.register : l'appareil « {dev.code} » ne peut envoyer que des "
                f"tickets de la caisse {dev.register}, pas de la caisse « {t.register} »", 403)

    ids = list({rid for _, rid, _ in records})
    seqs = list({seq for seq, _, _ in records})
    numbers = list({t.number for _, _, t in records})
    by_id = {r.id: r for r in conn.execute(
        select(ticket.c.id, ticket.c.device_id, ticket.c.seq, ticket.c.content_sha256)
        .where(ticket.c.id.in_(ids)))}
    by_seq = {r.seq: r.id for r in conn.execute(
        select(ticket.c.seq, ticket.c.id).where(ticket.c.device_id == dev.id, ticket.c.seq.in_(seqs)))}
    by_number = {r.number: r.id for r in conn.execute(
        select(ticket.c.number, ticket.c.id)
        .where(ticket.c.register == dev.register, ticket.c.number.in_(numbers)))}

    accepted, duplicates, new = [], [], []
    new_ids: set[str] = set()
    for i, (seq, rid, t) in enumerate(records):
        p = f"records[{i}]"
        digest = content_sha256(t)
        stored = by_id.get(rid)
        if stored is not None:
            if stored.content_sha256 != digest:
                raise IngestRefused(
                    f"{p} : le ticket {rid} a déjà été reçu avec un contenu différent ; "
                    "un ticket validé ne se modifie pas (faire un avoir)")
            if stored.device_id == dev.id and stored.seq == seq:
                accepted.append(seq)  # retransmission of what is stored
            else:
                duplicates.append(seq)
            continue
        if rid in new_ids:  # same record twice in this batch
            duplicates.append(seq)
            continue
        if seq in by_seq:
            raise IngestRefused(
                f"{p}.seq : le numéro d'envoi {seq} de « {dev.code} » est déjà celui du ticket {by_seq[seq]}")
        if t.number in by_number:
            raise IngestRefused(
                f"{p}.payload.number : le ticket n° {t.number} de la caisse {t.register} existe déjà "
                f"sous un autre identifiant ({by_number[t.number]}) ; rien n'a été enregistré")
        new.append((seq, rid, t, digest))
        new_ids.add(rid)
        accepted.append(seq)

    if new:
        _insert_tickets(conn, dev.id, new, now)
    last_seq = max([dev.last_seq, *accepted, *duplicates])
    if last_seq != dev.last_seq:
        conn.execute(update(device).where(device.c.id == dev.id).values(last_seq=last_seq))
    return {"accepted": accepted, "duplicates": duplicates, "last_seq": last_seq}


def _insert_tickets(conn: Connection, device_id: int, new, now: datetime) -> None:
    tickets, lines, vats, pays = [], [], [], []
    for seq, rid, t, digest in new:
        vat_rows = t.vat
        tickets.append(dict(
            id=rid, device_id=device_id, register=t.register, number=t.number,
            created_at=local_naive(t.created_at), cashier=t.cashier, training=t.training,
            total=t.total, total_ht=sum(r.ht for r in vat_rows), total_tva=sum(r.tva for r in vat_rows),
            seq=seq, received_at=now, content_sha256=digest))
        for n, line in enumerate(t.lines, start=1):
            ht, tva = split_ttc(line.total, line.vat_bp)
            lines.append(dict(ticket_id=rid, line_no=n, gtin=line.gtin13, label=line.label, qty=line.qty,
                              unit_price=line.unit_price, vat_bp=line.vat_bp, total=line.total, ht=ht, tva=tva))
        for r in vat_rows:
            vats.append(dict(ticket_id=rid, rate_bp=r.rate_bp, ht=r.ht, tva=r.tva, ttc=r.ttc))
        for n, pay in enumerate(t.payments, start=1):
            pays.append(dict(ticket_id=rid, line_no=n, method=pay.method, amount=pay.amount, given=pay.given))
    conn.execute(insert(ticket), tickets)
    conn.execute(insert(ticket_line), lines)
    conn.execute(insert(ticket_vat), vats)
    if pays:
        conn.execute(insert(payment), pays)
