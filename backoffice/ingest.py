"""Back-office ingest of kiosk batches (POST /api/v1/sync/batch).

One transaction per batch, all or nothing, one batch of a device at a time (the device's row is
locked). Each device's records are applied in seq order, and every seq is written in the sync log
(``sync_record``) with the record it carried. So:

- a seq already in the log, sent again with the same record, gets the answer it got the first time
  (``accepted``, or ``duplicates`` if it was a duplicate then): a batch sent twice, or sent again after
  a lost response, changes nothing and gets the same acknowledgement;
- a new seq whose record id is already stored (same content) is a duplicate: listed in ``duplicates``,
  stored once;
- a seq beyond the next one expected is a gap: the records from it on are not stored, and the
  acknowledgement says ``missing`` {"from", "to"}, which the kiosk sends again first;
- the same id with different content, a seq already used by another record, a (register, number)
  already used by another id, or a ticket of another register refuses the whole batch with a French
  message (``IngestRefused``) and stores nothing. A malformed record is a ``WireError`` (422).

Each new ticket is chained after its register's previous ticket (backoffice.chain); a break is stored
in ``chain_break`` for the teacher, the ticket is kept.

Records already in the log with the same bytes are not checked again (they were when stored): sending
a batch again costs a lookup, not a validation.

``last_seq`` in the acknowledgement: every seq of the device up to it has been received.
"""
from __future__ import annotations

import json

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from commerce.ticket import ValidatedTicket
from sync.wire import Batch, WireError, WireRecord, WireTicket, canonical_json, parse_envelope, parse_record, \
    record_sha256, ticket_to_wire

from . import chain
from .db import chain_break, device, payment, sync_record, ticket, ticket_line, ticket_vat, writer

__all__ = ["ingest_batch", "IngestRefused", "UnknownDevice", "WireError", "content_sha256", "local_naive"]

ATTEMPTS = 5


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
    """Digest of a ticket's wire form without seal (what revision 0001 stored)."""
    return record_sha256(ticket_to_wire(t))


def local_naive(dt: datetime) -> datetime:
    """Stored datetimes are naive local time; an aware time from a kiosk is converted first."""
    return dt.astimezone().replace(tzinfo=None) if dt.tzinfo is not None else dt


@dataclass(frozen=True)
class Logged:
    record_id: str
    digest: str
    duplicate: bool


def ingest_batch(engine: Engine, device_code: str, body: dict) -> dict:
    """Store a batch sent by the device ``device_code``; return the acknowledgement.

    Raises sync.wire.WireError (malformed batch, names the field) or IngestRefused.
    """
    batch = parse_envelope(body)
    if batch.device is not None and batch.device != device_code:
        raise IngestRefused(
            f"batch.device : « {batch.device} » ne correspond pas à l'appareil authentifié « {device_code} »",
            403,
        )
    with engine.connect() as conn:  # no lock: records already logged with the same bytes skip the checks
        dev_id = conn.execute(select(device.c.id).where(device.c.code == device_code)).scalar_one_or_none()
        if dev_id is None:
            raise UnknownDevice(device_code)
        known = _logged(conn, dev_id, batch.records)
    parsed = {r.seq: parse_record(r) for r in batch.records
              if r.kind == "ticket" and not _same(known.get(r.seq), r, r.digest)}
    _check_inside_batch(batch.records, parsed)
    for attempt in range(ATTEMPTS):
        try:
            with writer(engine.connect()) as conn, conn.begin():
                return _ingest(conn, device_code, batch, parsed)
        except (IntegrityError, OperationalError):
            # A concurrent batch (same register from another device, or SQLite's writer lock) got there
            # first: run again against what it stored; the checks then answer duplicates or a clash.
            if attempt == ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _same(logged: Optional[Logged], r: WireRecord, digest: str) -> bool:
    return logged is not None and logged.record_id == r.id and logged.digest == digest


def _logged(conn: Connection, dev_id: int, records: list[WireRecord]) -> dict[int, Logged]:
    if not records:
        return {}
    rows = conn.execute(select(sync_record.c.seq, sync_record.c.record_id, sync_record.c.content_sha256,
                               sync_record.c.duplicate)
                        .where(sync_record.c.device_id == dev_id,
                               sync_record.c.seq.between(records[0].seq, records[-1].seq)))
    return {r.seq: Logged(r.record_id, r.content_sha256, r.duplicate) for r in rows}


def _check_inside_batch(records: list[WireRecord], parsed: dict[int, WireTicket]) -> None:
    seen_id: dict[str, str] = {}
    seen_number: dict[tuple[str, int], str] = {}
    for r in records:
        wt = parsed.get(r.seq)
        if wt is None:
            continue
        p = f"records[{r.index}]"
        if seen_id.setdefault(r.id, wt.digest) != wt.digest:
            raise WireError(f"{p}.id : ticket {r.id} présent deux fois dans le lot avec des contenus différents")
        key = (wt.ticket.register, wt.ticket.number)
        if seen_number.setdefault(key, r.id) != r.id:
            raise WireError(f"{p}.payload.number : ticket n° {wt.ticket.number} de la caisse {wt.ticket.register} "
                            "présent deux fois dans le lot sous deux identifiants")


def _ingest(conn: Connection, device_code: str, batch: Batch, parsed: dict[int, WireTicket]) -> dict:
    now = datetime.now().replace(microsecond=0)
    # The device's row is the lock: batches of one device are applied one after the other.
    dev = conn.execute(select(device).where(device.c.code == device_code).with_for_update()).first()
    if dev is None:
        raise UnknownDevice(device_code)
    for r in batch.records:
        wt = parsed.get(r.seq)
        register = wt.ticket.register if wt is not None else (
            r.payload.get("register") if r.kind != "ticket" else None)
        if register is not None and str(register) != dev.register:  # a kiosk writes only its own records
            raise IngestRefused(
                f"records[{r.index}].payload.register : l'appareil « {dev.code} » ne peut envoyer que des "
                f"enregistrements de la caisse {dev.register}, pas de la caisse « {register} »", 403)

    known = _logged(conn, dev.id, batch.records)
    fresh = [parsed[r.seq] for r in batch.records if r.kind == "ticket" and r.seq not in known]
    by_id = {r.id: r for r in conn.execute(
        select(ticket.c.id, ticket.c.content_sha256).where(ticket.c.id.in_([wt.ticket.id for wt in fresh])))}
    # Records of other kinds are the device's own: another kiosk using the same id changes nothing here.
    others = {(r.kind, r.record_id): r.content_sha256 for r in conn.execute(
        select(sync_record.c.kind, sync_record.c.record_id, sync_record.c.content_sha256)
        .where(sync_record.c.device_id == dev.id, sync_record.c.duplicate.is_(False), sync_record.c.kind != "ticket",
               sync_record.c.record_id.in_([r.id for r in batch.records if r.kind != "ticket" and r.seq not in known])))}
    by_number = {r.number: r for r in conn.execute(
        select(ticket.c.number, ticket.c.id, ticket.c.hash).where(
            ticket.c.register == dev.register,
            ticket.c.number.in_(sorted({n for wt in fresh for n in (wt.ticket.number, wt.ticket.number - 1)}))))}

    accepted, duplicates, missing = [], [], None
    sealed_seen: dict[tuple[str, str, int], dict] = {}  # journal entries and closings of this batch
    next_seq = dev.last_seq + 1
    new: list[tuple[int, WireTicket, chain.Link]] = []
    log_rows, breaks = [], []
    for r in batch.records:
        p = f"records[{r.index}]"
        logged = known.get(r.seq)
        if logged is not None:  # this seq was received before: the same answer, or a conflict
            if logged.record_id != r.id:
                raise IngestRefused(
                    f"{p}.seq : le numéro d'envoi {r.seq} de « {dev.code} » est déjà celui de l'enregistrement "
                    f"{logged.record_id} ; une caisse dont la base a été remise à zéro doit être enrôlée à nouveau")
            if not _same(logged, r, r.digest) and (r.kind != "ticket" or parsed[r.seq].digest != logged.digest):
                raise _changed(p, r.id)
            (duplicates if logged.duplicate else accepted).append(r.seq)
            continue
        if r.seq > next_seq:  # records were skipped: ask for them, keep what follows for later
            missing = {"from": next_seq, "to": r.seq - 1}
            break
        if r.kind != "ticket":  # kept as received, once per (device, kind, id)
            stored = others.get((r.kind, r.id))
            if stored is not None and stored != r.digest:
                raise _changed(p, r.id)
            others[(r.kind, r.id)] = r.digest
            (duplicates if stored else accepted).append(r.seq)
            log_rows.append((dev.id, r.seq, r.kind, r.id, r.digest, stored is not None, now,
                             None if stored else canonical_json(r.payload)))
            if stored is None and r.kind in chain.SEALED_NAMES:  # journal entries and closings are chained too
                previous, earlier = _sealed_previous(conn, dev.id, r, sealed_seen)
                breaks += [dict(device_id=dev.id, register=str(r.payload["register"]), ticket_id=r.id,
                                number=r.payload["number"], reason=reason, detected_at=now)
                           for reason in chain.sealed_breaks(r.kind, r.payload, previous, not earlier)]
                sealed_seen[(r.kind, str(r.payload["register"]), r.payload["number"])] = r.payload
            next_seq += r.seq == next_seq
            continue
        wt = parsed[r.seq]
        t = wt.ticket
        stored = by_id.get(r.id)
        if stored is not None:
            if stored.content_sha256 != wt.digest:
                raise _changed(p, r.id)
            duplicate = True
        else:
            clash = by_number.get(t.number)
            if clash is not None:
                raise IngestRefused(
                    f"{p}.payload.number : le ticket n° {t.number} de la caisse {t.register} existe déjà "
                    f"sous un autre identifiant ({clash.id}) ; rien n'a été enregistré")
            prev = by_number.get(t.number - 1)
            link = chain.link(wt, (prev.number, prev.hash) if prev is not None else None)
            new.append((r.seq, wt, link))
            by_id[r.id] = _Stored(r.id, wt.digest)
            by_number[t.number] = _Numbered(t.number, r.id, link.hash)
            breaks += [dict(device_id=dev.id, register=t.register, ticket_id=t.id, number=t.number, reason=reason,
                            detected_at=now) for reason in link.breaks]
            duplicate = False
        (duplicates if duplicate else accepted).append(r.seq)
        log_rows.append((dev.id, r.seq, r.kind, r.id, wt.digest, duplicate, now, None))
        if r.seq == next_seq:
            next_seq += 1

    if new:
        _insert_tickets(conn, dev.id, new, now)
    _bulk_insert(conn, sync_record, INSERT_COLUMNS["sync_record"], log_rows)
    if breaks:
        conn.execute(insert(chain_break), breaks)
    last_seq = max(dev.last_seq, next_seq - 1)
    head = max(dev.head_seq, batch.head_seq or 0, batch.records[-1].seq if batch.records else 0)
    conn.execute(update(device).where(device.c.id == dev.id).values(last_seen_at=now, last_seq=last_seq,
                                                                    head_seq=head))
    ack = {"accepted": accepted, "duplicates": duplicates, "last_seq": last_seq}
    if missing:
        ack["missing"] = missing
    return ack


def _sealed_previous(conn: Connection, device_id: int, r: WireRecord, seen: dict) -> tuple[Optional[dict], bool]:
    """(the previous journal entry or closing of r's register, as this batch or the log holds it;
    whether the back office holds any earlier one of that register at all)."""
    register, number = str(r.payload["register"]), r.payload["number"]
    previous = seen.get((r.kind, register, number - 1))
    if previous is None and number > 1:
        text = conn.execute(select(sync_record.c.payload).where(
            sync_record.c.device_id == device_id, sync_record.c.kind == r.kind,
            sync_record.c.record_id == f"{r.kind}:{register}:{number - 1}", sync_record.c.duplicate.is_(False))
        ).scalar()
        previous = json.loads(text) if text else None
    if previous is not None or number == 1:
        return previous, True
    earlier = conn.execute(select(sync_record.c.seq).where(
        sync_record.c.device_id == device_id, sync_record.c.kind == r.kind,
        sync_record.c.record_id.like(f"{r.kind}:{register}:%")).limit(1)).first() is not None
    return None, earlier or any(k[0] == r.kind and k[1] == register for k in seen)


@dataclass(frozen=True)
class _Stored:
    id: str
    content_sha256: str


@dataclass(frozen=True)
class _Numbered:
    number: int
    id: str
    hash: str


def _changed(path: str, rid: str) -> IngestRefused:
    return IngestRefused(f"{path} : l'enregistrement {rid} a déjà été reçu avec un contenu différent ; "
                         "un enregistrement validé ne se modifie pas (un ticket se corrige par un avoir)")


def _insert_tickets(conn: Connection, device_id: int, new, now: datetime) -> None:
    """Insert the new tickets with their lines, VAT and payments (the figures the chain hashed)."""
    tickets, lines, vats, pays = [], [], [], []
    for seq, wt, link in new:
        t, record = wt.ticket, link.record
        rid = t.id
        total_tva = sum(v.tva for v in record.vat)  # a gift card sold is outside VAT: all of it is HT
        tickets.append((
            rid, device_id, t.register, t.number, local_naive(t.created_at), t.cashier, t.training, t.total,
            t.total - total_tva, total_tva, seq, now, wt.digest, link.prev_hash, link.hash, link.sealed,
            wt.corrects[0] if wt.corrects else None, wt.corrects[1] if wt.corrects else None))
        for n, line in enumerate(record.lines, start=1):
            lines.append((rid, n, line.gtin, line.label, line.qty, line.unit_price, line.vat_rate, line.total, line.ht,
                          line.total - line.ht))
        for v in record.vat:
            vats.append((rid, v.rate, v.ht, v.tva, v.ttc))
        for n, pay in enumerate(t.payments, start=1):
            pays.append((rid, n, pay.method, pay.amount, pay.given, pay.reference or None))
    for table, rows in ((ticket, tickets), (ticket_line, lines), (ticket_vat, vats), (payment, pays)):
        _bulk_insert(conn, table, INSERT_COLUMNS[table.name], rows)


INSERT_COLUMNS = {
    "ticket": ("id", "device_id", "register", "number", "created_at", "cashier", "training", "total", "total_ht",
               "total_tva", "seq", "received_at", "content_sha256", "prev_hash", "hash", "sealed",
               "corrects_register", "corrects_number"),
    "ticket_line": ("ticket_id", "line_no", "gtin", "label", "qty", "unit_price", "vat_bp", "total", "ht", "tva"),
    "ticket_vat": ("ticket_id", "rate_bp", "ht", "tva", "ttc"),
    "payment": ("ticket_id", "line_no", "method", "amount", "given", "reference"),
    "sync_record": ("device_id", "seq", "kind", "record_id", "content_sha256", "duplicate", "received_at", "payload"),
}


def _bulk_insert(conn: Connection, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Rows into ``table`` inside the caller's transaction: COPY on PostgreSQL (several times faster
    than INSERT for hundreds of rows), executemany elsewhere."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        cur = conn.connection.driver_connection.cursor()
        with cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    conn.execute(insert(table), [dict(zip(columns, row)) for row in rows])
