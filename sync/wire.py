"""The versioned wire format. Every payload is checked field by field; an error names the field.

A batch (kiosk -> back office, POST /api/v1/sync/batch):
    {"version": 1, "device": "caisse-1",
     "records": [{"seq": 1, "kind": "ticket", "id": "<uuid>", "payload": {...ticket...}}]}
The acknowledgement: {"accepted": [seq...], "duplicates": [seq...], "last_seq": N}
"""
from __future__ import annotations

from datetime import datetime, timedelta

from commerce.errors import CommerceError
from commerce.money import MAX_AMOUNT, MAX_CASH_OVER_DUE
from commerce.ticket import PAYMENT_METHODS, Line, Payment, ValidatedTicket
from commerce.gtin import parse_gtin
from commerce.vat import check_rate

VERSION = 1
EARLIEST = datetime(2020, 1, 1)  # no Comptoir ticket is older
MAX_RECORDS = 500
MAX_LINES = 1000


class WireError(ValueError):
    """A payload refused; str() names the field (e.g. records[3].payload.lines[0].qty)."""


def ticket_to_wire(t: ValidatedTicket) -> dict:
    return {
        "id": t.id, "register": t.register, "number": t.number, "cashier": t.cashier,
        "created_at": t.created_at.isoformat(), "training": t.training,
        "lines": [{"gtin": l.gtin13, "label": l.label, "qty": l.qty, "unit_price": l.unit_price,
                   "vat_rate": l.vat_bp, "total": l.total} for l in t.lines],
        "payments": [{"method": p.method, "amount": p.amount, "given": p.given} for p in t.payments],
        "total": t.total,
        "vat": [{"rate": r.rate_bp, "ht": r.ht, "tva": r.tva, "ttc": r.ttc} for r in t.vat],
    }


def _get(obj, key, kind, path, *, lo=None, hi=None, maxlen=None):
    if not isinstance(obj, dict):
        raise WireError(f"{path} : objet attendu")
    if key not in obj:
        raise WireError(f"{path}.{key} : champ manquant")
    value = obj[key]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise WireError(f"{path}.{key} : entier attendu, reçu {value!r:.40}")
    if kind is not int and not isinstance(value, kind):
        raise WireError(f"{path}.{key} : {kind.__name__} attendu, reçu {value!r:.40}")
    if lo is not None and value < lo or hi is not None and value > hi:
        raise WireError(f"{path}.{key} : {value} hors des bornes [{lo}, {hi}]")
    if maxlen is not None and len(value) > maxlen:
        raise WireError(f"{path}.{key} : trop long ({len(value)} > {maxlen})")
    return value


def ticket_from_wire(d: dict, path: str = "payload") -> ValidatedTicket:
    """Rebuild a ticket and check that its stored totals are the ones the rules give."""
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
    lines = []
    for i, l in enumerate(lines_raw):
        p = f"{path}.lines[{i}]"
        gtin = _get(l, "gtin", str, p, maxlen=14)
        try:
            gtin = parse_gtin(gtin).gtin13
            vat = check_rate(_get(l, "vat_rate", int, p))
        except CommerceError as e:
            raise WireError(f"{p} : {e}") from None
        line = Line(gtin, _get(l, "label", str, p, maxlen=200), _get(l, "qty", int, p, lo=1, hi=999),
                    _get(l, "unit_price", int, p, lo=0, hi=MAX_AMOUNT), vat)
        if _get(l, "total", int, p) != line.total:
            raise WireError(f"{p}.total : {l['total']} ≠ quantité × prix unitaire = {line.total}")
        lines.append(line)
    payments = []
    for i, pay in enumerate(_get(d, "payments", list, path)):
        p = f"{path}.payments[{i}]"
        method = _get(pay, "method", str, p)
        if method not in PAYMENT_METHODS:
            raise WireError(f"{p}.method : moyen de paiement « {method:.20} » inconnu")
        payments.append(Payment(method, _get(pay, "amount", int, p, lo=1, hi=MAX_AMOUNT),
                                _get(pay, "given", int, p, lo=0, hi=MAX_AMOUNT + MAX_CASH_OVER_DUE)))
    t = ValidatedTicket(
        id=_get(d, "id", str, path, maxlen=64), register=_get(d, "register", str, path, maxlen=32),
        number=_get(d, "number", int, path, lo=1, hi=10**12), cashier=_get(d, "cashier", str, path, maxlen=80),
        created_at=created, lines=tuple(lines), payments=tuple(payments),
        training=_get(d, "training", bool, path),
    )
    if _get(d, "total", int, path) != t.total:
        raise WireError(f"{path}.total : {d['total']} ≠ somme des lignes = {t.total}")
    if t.paid != t.total:
        raise WireError(f"{path}.payments : payé {t.paid} ≠ total {t.total}")
    if "vat" in d and d["vat"] != ticket_to_wire(t)["vat"]:
        raise WireError(f"{path}.vat : ventilation de TVA différente de celle des lignes")
    return t


def parse_batch(body) -> tuple[str, list[tuple[int, str, ValidatedTicket]]]:
    """A batch -> (device, [(seq, id, ticket)]). All-or-nothing: one bad record refuses the batch."""
    if not isinstance(body, dict):
        raise WireError("corps : objet JSON attendu")
    version = _get(body, "version", int, "batch")
    if version != VERSION:
        raise WireError(f"batch.version : version {version} non prise en charge (attendu {VERSION})")
    device = _get(body, "device", str, "batch", maxlen=64)
    records = _get(body, "records", list, "batch")
    if len(records) > MAX_RECORDS:
        raise WireError(f"batch.records : {len(records)} enregistrements, {MAX_RECORDS} au plus")
    out = []
    for i, r in enumerate(records):
        p = f"records[{i}]"
        seq = _get(r, "seq", int, p, lo=1, hi=2**62)
        kind = _get(r, "kind", str, p)
        if kind != "ticket":
            raise WireError(f"{p}.kind : type « {kind:.20} » inconnu")
        rid = _get(r, "id", str, p, maxlen=64)
        ticket = ticket_from_wire(_get(r, "payload", dict, p), f"{p}.payload")
        if ticket.id != rid:
            raise WireError(f"{p}.id : différent de payload.id")
        out.append((seq, rid, ticket))
    return device, out
