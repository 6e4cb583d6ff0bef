"""The versioned wire format. Every payload is checked field by field; an error names the field.

A batch (kiosk -> back office, POST /api/v1/sync/batch):
    {"version": 1, "device": "caisse-1", "head_seq": 12,
     "records": [{"seq": 1, "kind": "ticket", "id": "<uuid>", "payload": {...ticket...}}]}

``device`` is optional (the back office takes the device from the token; when given it must be the
token's). ``head_seq`` (optional) is the kiosk's highest seq, sent or not: the back office shows how far
behind each kiosk is. Seqs are the kiosk's outbox numbers, 1, 2, 3… with no gaps, increasing within
a batch.

A ticket payload carries what the fiscal chain needs (commerce.fiscal): its fields, ``corrects``
({"register", "number"} of the ticket it corrects, when it does), each payment's ``reference`` (when
it has one) and the kiosk's seal ``prev_hash``/``hash`` (64 hex digits; optional for older kiosks).

The acknowledgement: {"accepted": [seq...], "duplicates": [seq...], "last_seq": N}, plus
"missing": {"from": A, "to": B} when the batch skipped seqs: records after the gap are not stored
and the kiosk sends A..B again first. ``last_seq``: every seq up to it has been received.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta
from typing import Optional

from commerce.errors import CommerceError
from commerce.money import MAX_AMOUNT, MAX_CASH_OVER_DUE
from commerce.ticket import DISCOUNT, GIFT_CARD, ITEM, LOYALTY, PAYMENT_METHODS, PROMO, RETURN, Line, Payment, \
    ValidatedTicket
from commerce.gtin import parse_gtin
from commerce.vat import check_rate

VERSION = 1
EARLIEST = datetime(2020, 1, 1)  # no Comptoir ticket is older
MAX_RECORDS = 500
MAX_LINES = 1000
MAX_PAYMENTS = 20
MAX_SEQ = 2**62
KINDS = ("ticket",)  # checked field by field; other kinds (stock moves…) are kept as received
OTHER_KIND = re.compile(r"[a-z][a-z_]{0,31}")
MAX_QTY_MOVED = 1_000_000  # units in one stock move (a count of a whole reserve stays far below)
MAX_OTHER_BYTES = 256 * 1024  # a reception of a few hundred lines is far below this
LINE_KINDS = (ITEM, RETURN, GIFT_CARD, DISCOUNT, PROMO, LOYALTY)
_HEX64 = re.compile(r"[0-9a-f]{64}")
# Control characters and lone surrogates: no ticket text has them, and PostgreSQL refuses NUL.
_BAD_TEXT = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


class WireError(ValueError):
    """A payload refused; str() names the field (e.g. records[3].payload.lines[0].qty)."""


def ticket_to_wire(t: ValidatedTicket, *, corrects: Optional[tuple[str, int]] = None,
                   prev_hash: Optional[str] = None, hash: Optional[str] = None) -> dict:
    """The wire form of a ticket. The kiosk passes what it sealed (commerce.fiscal) so that the back
    office can verify the register's chain; optional keys are left out when empty."""
    d = {
        "id": t.id, "register": t.register, "number": t.number, "cashier": t.cashier,
        "created_at": t.created_at.isoformat(), "training": t.training,
        "lines": [_line_to_wire(l) for l in t.lines],
        "payments": [_payment_to_wire(p) for p in t.payments],
        "total": t.total,
        "vat": [{"rate": r.rate_bp, "ht": r.ht, "tva": r.tva, "ttc": r.ttc} for r in t.vat],
    }
    corrects = corrects if corrects is not None else getattr(t, "corrects", None)
    if corrects is not None:
        d["corrects"] = {"register": corrects[0], "number": corrects[1]}
    for key in ("customer", "points_earned", "points_redeemed"):  # a loyalty card, when there is one
        if getattr(t, key, None):
            d[key] = getattr(t, key)
    if hash is not None:
        d["prev_hash"], d["hash"] = prev_hash, hash
    return d


def _line_to_wire(l: Line) -> dict:
    # Optional keys only when they say something, so that a plain sale keeps its bytes (and digest).
    d = {"gtin": l.gtin13, "label": l.label, "qty": l.qty, "unit_price": l.unit_price, "vat_rate": l.vat_bp,
         "total": l.total}
    if l.kind != ITEM:
        d["kind"] = l.kind
    if l.origin is not None:
        d["origin"] = {"ticket": l.origin[0], "line": l.origin[1]}
    return d


def _payment_to_wire(p: Payment) -> dict:
    d = {"method": p.method, "amount": p.amount, "given": p.given}
    if p.reference:
        d["reference"] = p.reference
    return d


def record_sha256(payload: dict) -> str:
    """SHA-256 of a payload's canonical JSON (sorted keys, no spaces): a record sent again must be identical."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def canonical_json(payload: dict) -> str:
    """The text a record of another kind is kept as: sorted keys, ASCII only (no NUL nor lone surrogate
    can reach the database unescaped)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


TYPE_NAMES = {str: "texte", list: "liste", dict: "objet", bool: "booléen", float: "nombre"}


def _get(obj, key, kind, path, *, lo=None, hi=None, maxlen=None):
    if not isinstance(obj, dict):
        raise WireError(f"{path} : objet attendu")
    if key not in obj:
        raise WireError(f"{path}.{key} : champ manquant")
    value = obj[key]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise WireError(f"{path}.{key} : entier attendu, reçu {value!r:.40}")
    if kind is not int and not isinstance(value, kind):
        raise WireError(f"{path}.{key} : {TYPE_NAMES.get(kind, kind.__name__)} attendu, reçu {value!r:.40}")
    if lo is not None and value < lo or hi is not None and value > hi:
        raise WireError(f"{path}.{key} : {value} hors des bornes [{lo}, {hi}]")
    if maxlen is not None and len(value) > maxlen:
        raise WireError(f"{path}.{key} : trop long ({len(value)} > {maxlen})")
    if kind is str and _BAD_TEXT.search(value):
        raise WireError(f"{path}.{key} : caractère de contrôle ou invalide refusé")
    return value


@dataclass(frozen=True)
class WireTicket:
    """A checked ticket payload: the ticket, what it corrects, the kiosk's seal, its digest."""

    ticket: ValidatedTicket
    corrects: Optional[tuple[str, int]]
    prev_hash: Optional[str]
    hash: Optional[str]
    digest: str  # record_sha256 of its normalised wire form (ticket_to_wire)


def ticket_from_wire(d: dict, path: str = "payload") -> ValidatedTicket:
    """Rebuild a ticket and check that its stored totals are the ones the rules give."""
    return parse_ticket(d, path).ticket


def _corrects(d: dict, path: str) -> Optional[tuple[str, int]]:
    if d.get("corrects") is None:
        return None
    c = _get(d, "corrects", dict, path)
    return (_get(c, "register", str, f"{path}.corrects", maxlen=32),
            _get(c, "number", int, f"{path}.corrects", lo=1, hi=10**12))


def _line(l: dict, p: str) -> Line:
    """A ticket line: an item, a return (negative quantity), a derived discount, promotion or loyalty
    line (negative price, no GTIN for ticket-wide ones), or a gift card sold (its code, outside VAT)."""
    if not isinstance(l, dict):
        raise WireError(f"{p} : objet attendu")
    kind = _get(l, "kind", str, p, maxlen=16) if "kind" in l else ITEM
    if kind not in LINE_KINDS:
        raise WireError(f"{p}.kind : type de ligne « {kind:.20} » inconnu")
    gtin = _get(l, "gtin", str, p, maxlen=14)
    try:
        if kind == GIFT_CARD:
            if not re.fullmatch(r"[0-9]{1,13}", gtin):
                raise WireError(f"{p}.gtin : code de carte cadeau attendu (13 chiffres au plus)")
            if _get(l, "vat_rate", int, p) != 0:
                raise WireError(f"{p}.vat_rate : une carte cadeau est hors TVA (0 attendu)")
            vat = 0
        else:
            if gtin or kind in (ITEM, RETURN):  # ticket-wide discounts have no GTIN
                gtin = _gtin13(gtin)
            vat = check_rate(_get(l, "vat_rate", int, p))
    except CommerceError as e:
        raise WireError(f"{p} : {e}") from None
    qty = _get(l, "qty", int, p, lo=-999, hi=-1) if kind == RETURN else _get(l, "qty", int, p, lo=1, hi=999)
    origin = None
    if l.get("origin") is not None:
        o = _get(l, "origin", dict, p)
        origin = (_get(o, "ticket", str, f"{p}.origin", maxlen=64), _get(o, "line", int, f"{p}.origin", lo=0, hi=MAX_LINES))
    line = Line(gtin, _get(l, "label", str, p, maxlen=200), qty,
                _get(l, "unit_price", int, p, lo=-MAX_AMOUNT, hi=MAX_AMOUNT), vat, kind, origin=origin)
    if _get(l, "total", int, p) != line.total:
        raise WireError(f"{p}.total : {l['total']} ≠ quantité × prix unitaire = {line.total}")
    return line


@lru_cache(maxsize=8192)
def _gtin13(code: str) -> str:
    """parse_gtin(code).gtin13, remembered: a shop sells the same products all day (errors are not kept)."""
    return parse_gtin(code).gtin13


def parse_ticket(d: dict, path: str = "payload", raw_digest: Optional[str] = None) -> WireTicket:
    """A ticket payload, every field checked (types, sizes, amounts, dates, totals, seal format).

    ``raw_digest``: record_sha256(d) if the caller has it (saves hashing again a payload that is
    already in its normalised form, as a kiosk's are)."""
    if not isinstance(d, dict):
        raise WireError(f"{path} : objet attendu")
    try:
        created = datetime.fromisoformat(_get(d, "created_at", str, path, maxlen=40))
    except ValueError:
        raise WireError(f"{path}.created_at : date ISO 8601 attendue") from None
    naive = created.replace(tzinfo=None)
    if not EARLIEST <= naive <= datetime.now() + timedelta(days=1):
        raise WireError(f"{path}.created_at : date {d['created_at']} invraisemblable "
                        "(horloge de la caisse à vérifier)")
    if d.get("training") is not True:
        raise WireError(f"{path}.training : tout ticket de Comptoir est un ticket de formation (true attendu)")
    lines_raw = _get(d, "lines", list, path)
    if not 1 <= len(lines_raw) <= MAX_LINES:
        raise WireError(f"{path}.lines : entre 1 et {MAX_LINES} lignes attendues")
    lines, running = [], 0
    for i, l in enumerate(lines_raw):
        p = f"{path}.lines[{i}]"
        line = _line(l, p)
        lines.append(line)
        running += line.total
        if abs(running) > MAX_AMOUNT:  # the register refuses such a ticket (commerce.ticket): a forged one
            raise WireError(f"{p}.total : le ticket dépasse {MAX_AMOUNT} centimes, plafond d'un ticket")
    payments = []
    payments_raw = _get(d, "payments", list, path)
    if len(payments_raw) > MAX_PAYMENTS:
        raise WireError(f"{path}.payments : {MAX_PAYMENTS} paiements au plus")
    for i, pay in enumerate(payments_raw):
        p = f"{path}.payments[{i}]"
        method = _get(pay, "method", str, p, maxlen=16)
        if method not in PAYMENT_METHODS:
            raise WireError(f"{p}.method : moyen de paiement « {method:.20} » inconnu")
        reference = _get(pay, "reference", str, p, maxlen=64) if "reference" in pay else ""
        amount = _get(pay, "amount", int, p, lo=-MAX_AMOUNT, hi=MAX_AMOUNT)  # negative: money given back
        if amount == 0:
            raise WireError(f"{p}.amount : paiement de 0 refusé")
        payments.append(Payment(method, amount,
                                _get(pay, "given", int, p, lo=0, hi=MAX_AMOUNT + MAX_CASH_OVER_DUE), reference))
    t = ValidatedTicket(
        id=_get(d, "id", str, path, maxlen=64), register=_get(d, "register", str, path, maxlen=32),
        number=_get(d, "number", int, path, lo=1, hi=10**12), cashier=_get(d, "cashier", str, path, maxlen=80),
        created_at=created, lines=tuple(lines), payments=tuple(payments),
        training=_get(d, "training", bool, path), corrects=_corrects(d, path),
        customer=_get(d, "customer", str, path, maxlen=32) if "customer" in d else "",
        points_earned=_get(d, "points_earned", int, path, lo=0, hi=10**9) if "points_earned" in d else 0,
        points_redeemed=_get(d, "points_redeemed", int, path, lo=0, hi=10**9) if "points_redeemed" in d else 0,
    )
    if _get(d, "total", int, path) != t.total:
        raise WireError(f"{path}.total : {d['total']} ≠ somme des lignes = {t.total}")
    if t.paid != t.total:
        raise WireError(f"{path}.payments : payé {t.paid} ≠ total {t.total}")
    corrects = t.corrects
    prev_hash = seal = None
    if "hash" in d or "prev_hash" in d:
        prev_hash, seal = (_get(d, key, str, path, maxlen=64) for key in ("prev_hash", "hash"))
        for key, value in (("prev_hash", prev_hash), ("hash", seal)):
            if not _HEX64.fullmatch(value):
                raise WireError(f"{path}.{key} : empreinte SHA-256 attendue (64 chiffres hexadécimaux minuscules)")
    wire = ticket_to_wire(t, corrects=corrects, prev_hash=prev_hash, hash=seal)
    if "vat" in d and d["vat"] != wire["vat"]:
        raise WireError(f"{path}.vat : ventilation de TVA différente de celle des lignes")
    return WireTicket(t, corrects, prev_hash, seal, raw_digest if raw_digest and d == wire else record_sha256(wire))


@dataclass(frozen=True)
class WireRecord:
    """One record of a batch, its envelope checked; the payload is checked by parse_record."""

    index: int  # position in the batch, for messages (records[index])
    seq: int
    kind: str
    id: str
    payload: dict
    digest: str  # record_sha256 of the payload as received


@dataclass(frozen=True)
class Batch:
    device: Optional[str]
    head_seq: Optional[int]
    records: list[WireRecord]


def parse_envelope(body) -> Batch:
    """The batch's own fields and each record's envelope (seq, kind, id, payload is an object)."""
    if not isinstance(body, dict):
        raise WireError("corps : objet JSON attendu")
    version = _get(body, "version", int, "batch")
    if version != VERSION:
        raise WireError(f"batch.version : version {version} non prise en charge (attendu {VERSION})")
    device = _get(body, "device", str, "batch", maxlen=64) if body.get("device") is not None else None
    head_seq = _get(body, "head_seq", int, "batch", lo=0, hi=MAX_SEQ) if body.get("head_seq") is not None else None
    records = _get(body, "records", list, "batch")
    if len(records) > MAX_RECORDS:
        raise WireError(f"batch.records : {len(records)} enregistrements, {MAX_RECORDS} au plus")
    out: list[WireRecord] = []
    for i, r in enumerate(records):
        p = f"records[{i}]"
        seq = _get(r, "seq", int, p, lo=1, hi=MAX_SEQ)
        if out and seq <= out[-1].seq:
            raise WireError(f"{p}.seq : {seq} après {out[-1].seq} ; les numéros d'envoi d'un lot vont croissant, "
                            "sans doublon")
        kind = _get(r, "kind", str, p, maxlen=32)
        if kind not in KINDS and not OTHER_KIND.fullmatch(kind):
            raise WireError(f"{p}.kind : type « {kind:.20} » invalide (minuscules et « _ »)")
        rid = _get(r, "id", str, p, maxlen=64)
        payload = _get(r, "payload", dict, p)
        if kind not in KINDS and len(canonical_json(payload)) > MAX_OTHER_BYTES:
            raise WireError(f"{p}.payload : plus de {MAX_OTHER_BYTES} octets")
        check_other(kind, payload, f"{p}.payload")
        out.append(WireRecord(i, seq, kind, rid, payload, record_sha256(payload)))
    return Batch(device, head_seq, out)


_HASH_RE = re.compile(r"[0-9a-f]{64}")
_GTIN_RE = re.compile(r"\d{13}")
CLOSING_KINDS = ("Z", "day", "month", "year")


def _hash(obj: dict, key: str, path: str) -> None:
    if not _HASH_RE.fullmatch(_get(obj, key, str, path, maxlen=64)):
        raise WireError(f"{path}.{key} : empreinte SHA-256 attendue (64 caractères hexadécimaux)")


def check_other(kind: str, payload: dict, path: str) -> None:
    """The fields the back office reads of the records kept as received (journal entries, closings,
    stock moves and what carries them): types, bounds and hashes; anything else stays as sent."""
    if kind == "journal":
        _get(payload, "register", str, path, maxlen=32)
        _get(payload, "number", int, path, lo=1, hi=MAX_SEQ)
        _get(payload, "timestamp", str, path, maxlen=32)
        _get(payload, "operator", str, path, maxlen=64)
        _get(payload, "kind", str, path, maxlen=32)
        _get(payload, "details", dict, path)
        _hash(payload, "prev_hash", path)
        _hash(payload, "hash", path)
    elif kind == "closing":
        _get(payload, "register", str, path, maxlen=32)
        _get(payload, "number", int, path, lo=1, hi=MAX_SEQ)
        if _get(payload, "kind", str, path, maxlen=8) not in CLOSING_KINDS:
            raise WireError(f"{path}.kind : type de clôture « {payload['kind']:.10} » inconnu (Z, day, month, year)")
        figures = _get(payload, "figures", dict, path)
        for key in ("tickets", "total"):
            if key in figures:
                _get(figures, key, int, f"{path}.figures", lo=-MAX_SEQ * MAX_AMOUNT, hi=MAX_SEQ * MAX_AMOUNT)
        if payload.get("difference") is not None:
            _get(payload, "difference", int, path, lo=-MAX_AMOUNT, hi=MAX_AMOUNT)
        for key in ("perpetual_total", "perpetual_absolute"):
            _get(payload, key, int, path, lo=-MAX_SEQ * MAX_AMOUNT, hi=MAX_SEQ * MAX_AMOUNT)
        _get(payload, "checks", list, path)
        _hash(payload, "prev_hash", path)
        _hash(payload, "hash", path)
    if "moves" in payload:  # stock moves, and the receptions, counts, scraps and parcels that write them
        for i, m in enumerate(_get(payload, "moves", list, path)):
            mp = f"{path}.moves[{i}]"
            if not _GTIN_RE.fullmatch(_get(m, "gtin", str, mp, maxlen=13)):
                raise WireError(f"{mp}.gtin : code de 13 chiffres attendu")
            _get(m, "qty", int, mp, lo=1, hi=MAX_QTY_MOVED)
            _get(m, "from", str, mp, maxlen=40)
            _get(m, "to", str, mp, maxlen=40)
            for key in ("unit_cost", "unit_price"):
                if m.get(key) is not None:
                    _get(m, key, int, mp, lo=0, hi=MAX_AMOUNT)


def parse_record(r: WireRecord) -> WireTicket:
    """Check a ticket record's payload (every field); the error names records[i].payload.…"""
    p = f"records[{r.index}]"
    wt = parse_ticket(r.payload, f"{p}.payload", r.digest)
    if wt.ticket.id != r.id:
        raise WireError(f"{p}.id : différent de payload.id")
    return wt


def parse_batch(body) -> tuple[str, list[tuple[int, str, ValidatedTicket]]]:
    """A batch -> (device, [(seq, id, ticket)]). All-or-nothing: one bad record refuses the batch."""
    batch = parse_envelope(body)
    return batch.device, [(r.seq, r.id, parse_record(r).ticket) for r in batch.records if r.kind == "ticket"]


# -- the same rules as a JSON Schema, for the OpenAPI document (the code above is what decides) -----
_TEXT = {"type": "string", "pattern": "^[^\\x00-\\x1f\\x7f]*$"}
_HASH = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_LINE = {"type": "object", "required": ["gtin", "label", "qty", "unit_price", "vat_rate", "total"], "properties": {
    "gtin": {"type": "string", "pattern": "^[0-9]{0,13}$",
             "description": "EAN-13, UPC-A ou EAN-8, clé de contrôle juste ; vide pour une remise sur le ticket ; "
                            "code de la carte pour une carte cadeau"},
    "label": {**_TEXT, "maxLength": 200},
    "qty": {"type": "integer", "minimum": -999, "maximum": 999, "description": "négative sur un retour"},
    "unit_price": {"type": "integer", "minimum": -MAX_AMOUNT, "maximum": MAX_AMOUNT,
                   "description": "centimes TTC, négatif sur une remise"},
    "vat_rate": {"type": "integer", "enum": [2000, 1000, 550, 210, 0], "description": "points de base (0 : carte cadeau)"},
    "total": {"type": "integer", "minimum": -MAX_AMOUNT, "maximum": MAX_AMOUNT, "description": "qty × unit_price"},
    "kind": {"type": "string", "enum": list(LINE_KINDS), "description": "item si absent"},
    "origin": {"type": ["object", "null"], "required": ["ticket", "line"], "properties": {
        "ticket": {**_TEXT, "maxLength": 64}, "line": {"type": "integer", "minimum": 0, "maximum": MAX_LINES}}}}}
_PAYMENT = {"type": "object", "required": ["method", "amount", "given"], "properties": {
    "method": {"type": "string", "enum": sorted(PAYMENT_METHODS)},
    "amount": {"type": "integer", "minimum": -MAX_AMOUNT, "maximum": MAX_AMOUNT, "not": {"const": 0},
               "description": "négatif : rendu au client (remboursement)"},
    "given": {"type": "integer", "minimum": 0, "maximum": MAX_AMOUNT + MAX_CASH_OVER_DUE},
    "reference": {**_TEXT, "maxLength": 64}}}
TICKET_SCHEMA = {
    "type": "object",
    "required": ["id", "register", "number", "cashier", "created_at", "training", "lines", "payments", "total"],
    "properties": {
        "id": {**_TEXT, "maxLength": 64}, "register": {**_TEXT, "maxLength": 32},
        "number": {"type": "integer", "minimum": 1, "maximum": 10**12}, "cashier": {**_TEXT, "maxLength": 80},
        "created_at": {"type": "string", "format": "date-time", "description": "ISO 8601, depuis 2020, pas dans le futur"},
        "training": {"type": "boolean", "enum": [True]},
        "lines": {"type": "array", "minItems": 1, "maxItems": MAX_LINES, "items": _LINE},
        "payments": {"type": "array", "maxItems": MAX_PAYMENTS, "items": _PAYMENT},
        "total": {"type": "integer", "minimum": -MAX_AMOUNT, "maximum": MAX_AMOUNT,
                  "description": "somme des lignes = somme payée"},
        "customer": {**_TEXT, "maxLength": 32}, "points_earned": {"type": "integer", "minimum": 0, "maximum": 10**9},
        "points_redeemed": {"type": "integer", "minimum": 0, "maximum": 10**9},
        "vat": {"type": "array", "items": {"type": "object", "properties": {
            r: {"type": "integer"} for r in ("rate", "ht", "tva", "ttc")}}},
        "corrects": {"type": ["object", "null"], "required": ["register", "number"], "properties": {
            "register": {**_TEXT, "maxLength": 32}, "number": {"type": "integer", "minimum": 1, "maximum": 10**12}}},
        "prev_hash": _HASH, "hash": _HASH,
    },
}
BATCH_SCHEMA = {
    "type": "object", "required": ["version", "records"],
    "properties": {
        "version": {"type": "integer", "enum": [VERSION]},
        "device": {"type": ["string", "null"], "pattern": _TEXT["pattern"], "maxLength": 64,
                   "description": "facultatif ; s'il est donné, celui du jeton"},
        "head_seq": {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_SEQ},
        "records": {"type": "array", "maxItems": MAX_RECORDS, "items": {
            "type": "object", "required": ["seq", "kind", "id", "payload"], "properties": {
                "seq": {"type": "integer", "minimum": 1, "maximum": MAX_SEQ},
                "kind": {"type": "string", "pattern": "^[a-z][a-z_]{0,31}$",
                         "description": "ticket : vérifié champ par champ ; autre type : gardé tel quel"},
                "id": {**_TEXT, "maxLength": 64},
                "payload": {"type": "object", "description": "un ticket (TICKET_SCHEMA) ou un autre enregistrement"}}}},
    },
}
ACK_SCHEMA = {
    "type": "object", "required": ["accepted", "duplicates", "last_seq"],
    "properties": {
        "accepted": {"type": "array", "items": {"type": "integer"}},
        "duplicates": {"type": "array", "items": {"type": "integer"}},
        "last_seq": {"type": "integer"},
        "missing": {"type": "object", "required": ["from", "to"],
                    "properties": {"from": {"type": "integer"}, "to": {"type": "integer"}}},
    },
}
