"""The fiscal chain on the back office (the rule itself is commerce.fiscal).

On ingest, each new ticket is checked against the register's previous ticket as the back office holds
it: a ticket sealed by its kiosk (wire ``prev_hash``/``hash``) must hash to its seal and follow its
predecessor's hash; a ticket from an older kiosk, without a seal, is chained here. Whatever is wrong
is a *break*: the ticket is kept (nothing is lost) and the break is flagged for the teacher.

``verify_register`` recomputes a register's whole chain from the stored rows, as `comptoir fiscal
verify` does on a kiosk.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import select
from sqlalchemy.engine import Connection

from commerce import fiscal
from sync.wire import WireTicket

from .db import payment, ticket, ticket_line, ticket_vat


SEALED_NAMES = {"journal": "événement du journal", "closing": "clôture"}


def sealed_canonical(kind: str, payload: dict) -> bytes:
    """The bytes a kiosk hashed for a journal entry or a closing (commerce.fiscal, kiosk.sessions)."""
    if kind == "journal":
        return fiscal.canonical_event(fiscal.JournalEntry(
            register=payload["register"], number=payload["number"], timestamp=payload["timestamp"],
            operator=payload["operator"], kind=payload["kind"], details=payload["details"]))
    record = {k: v for k, v in payload.items() if k not in ("prev_hash", "hash")}
    return fiscal.details_json(record).encode("utf-8")


def sealed_breaks(kind: str, payload: dict, previous: Optional[dict], known_missing: bool) -> list[str]:
    """A journal entry or closing checked against its seal and against the previous one of its
    register as the back office holds it (None: not received). `known_missing`: the back office has
    none of that register's earlier ones either (a kiosk enrolled mid-way is not a break)."""
    name, number = SEALED_NAMES[kind], payload["number"]
    breaks = []
    try:
        if fiscal.chain_hash(payload["prev_hash"], sealed_canonical(kind, payload)) != payload["hash"]:
            breaks.append(f"{name} n° {number} de la caisse {payload['register']} : son contenu ne correspond "
                          "pas à son empreinte ; modifié après validation")
    except (KeyError, TypeError, ValueError) as e:
        breaks.append(f"{name} n° {number} : illisible pour la vérification ({type(e).__name__})")
    if number == 1:
        expected = fiscal.GENESIS
    elif previous is not None:
        expected = previous.get("hash")
    else:
        expected = None
        if not known_missing:
            breaks.append(f"{name} n° {number - 1} de la caisse {payload['register']} absent : "
                          f"la chaîne est interrompue avant le n° {number}")
    if expected is not None and payload.get("prev_hash") != expected:
        breaks.append(f"{name} n° {number} : empreinte précédente différente de celle du n° {number - 1} reçu")
    return breaks


@dataclass(frozen=True)
class Link:
    prev_hash: str
    hash: str
    sealed: bool
    breaks: tuple[str, ...]
    record: fiscal.FiscalTicket  # what was hashed: lines with their HT, VAT per rate (stored as such)


def link(wt: WireTicket, previous: Optional[tuple[int, Optional[str]]]) -> Link:
    """Chain a new ticket after ``previous`` = (number, hash) of the register's ticket number - 1 as
    stored (hash None: stored before the chain), or None when the back office does not have it."""
    t = wt.ticket
    record = fiscal.fiscal_ticket(t, wt.corrects)
    canonical = fiscal.canonical_ticket(record)
    breaks = []
    if t.number == 1:
        expected = fiscal.GENESIS
    elif previous is None:
        expected = None
        breaks.append(f"ticket n° {t.number - 1} de la caisse {t.register} absent : la chaîne est interrompue "
                      f"avant le n° {t.number}")
    else:
        expected = previous[1] or fiscal.GENESIS  # the kiosk's chain starts after tickets stored before it
    if wt.hash is None:  # an older kiosk: the back office chains it
        prev = expected or fiscal.GENESIS
        return Link(prev, fiscal.chain_hash(prev, canonical), False, tuple(breaks), record)
    if fiscal.chain_hash(wt.prev_hash, canonical) != wt.hash:
        breaks.append(f"ticket n° {t.number} : son contenu ne correspond pas à son empreinte "
                      f"({wt.hash[:12]}…) ; ticket modifié après validation")
    if expected is not None and wt.prev_hash != expected:
        breaks.append(f"ticket n° {t.number} : empreinte précédente {wt.prev_hash[:12]}… différente de celle "
                      f"du ticket n° {t.number - 1} reçu ({expected[:12]}…)")
    return Link(wt.prev_hash, wt.hash, True, tuple(breaks), record)


@dataclass
class ChainReport:
    register: str
    tickets: int = 0
    before_chain: int = 0  # stored before the back office kept hashes
    sealed: int = 0  # sealed by their kiosk (the others were chained here)
    last_hash: Optional[str] = None
    breaks: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


def verify_register(conn: Connection, register: str) -> ChainReport:
    """Recompute every stored ticket of ``register`` from its columns and follow the chain."""
    report = ChainReport(register)
    where = ticket.c.register == register
    lines: dict[str, list] = {}
    for r in conn.execute(select(ticket_line).join(ticket, ticket.c.id == ticket_line.c.ticket_id).where(where)
                          .order_by(ticket_line.c.ticket_id, ticket_line.c.line_no)):
        lines.setdefault(r.ticket_id, []).append(
            fiscal.FiscalLine(r.gtin, r.label, r.qty, r.unit_price, r.ht, r.vat_bp, r.total))
    vats: dict[str, list] = {}
    for r in conn.execute(select(ticket_vat).join(ticket, ticket.c.id == ticket_vat.c.ticket_id).where(where)
                          .order_by(ticket_vat.c.ticket_id, ticket_vat.c.rate_bp.desc())):
        vats.setdefault(r.ticket_id, []).append(fiscal.FiscalVat(r.rate_bp, r.ht, r.tva, r.ttc))
    pays: dict[str, list] = {}
    for r in conn.execute(select(payment).join(ticket, ticket.c.id == payment.c.ticket_id).where(where)
                          .order_by(payment.c.ticket_id, payment.c.line_no)):
        pays.setdefault(r.ticket_id, []).append(fiscal.FiscalPayment(r.method, r.amount, r.given, r.reference or ""))
    last_number, last_hash = 0, None
    for t in conn.execute(select(ticket).where(where).order_by(ticket.c.number)):
        report.tickets += 1
        if t.number != last_number + 1:
            report.breaks.append(f"n° {last_number + 1} à {t.number - 1} absents")
        if t.hash is None:
            report.before_chain += 1
            last_number, last_hash = t.number, None
            continue
        report.sealed += bool(t.sealed)
        corrects = (t.corrects_register, t.corrects_number) if t.corrects_register is not None else None
        record = fiscal.FiscalTicket(
            id=t.id, register=t.register, number=t.number, timestamp=t.created_at.isoformat(), operator=t.cashier,
            lines=tuple(lines.get(t.id, ())), vat=tuple(vats.get(t.id, ())), total=t.total,
            payments=tuple(pays.get(t.id, ())), corrects=corrects, training=t.training)
        expected_prev = last_hash or fiscal.GENESIS
        if t.prev_hash != expected_prev:
            report.breaks.append(f"n° {t.number} : empreinte précédente différente de celle du n° {last_number}")
        if fiscal.chain_hash(t.prev_hash, fiscal.canonical_ticket(record)) != t.hash:
            report.breaks.append(f"n° {t.number} : contenu stocké différent de son empreinte")
        last_number, last_hash = t.number, t.hash
    report.last_hash = last_hash
    return report
