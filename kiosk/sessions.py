"""Cash sessions, cash movements and closings kept in the kiosk's SQLite store.

Works on the kiosk's sqlite3 connection (isolation_level=None, as kiosk.store opens it), like
kiosk.journal: functions that write run inside the caller's transaction (KioskStore wraps them in
BEGIN IMMEDIATE, which also serialises the numbering between processes). The rules live in
commerce.cash; this module only stores, loads and chains.

Glossary: session de caisse = cash session; fond de caisse = opening float; apport / sortie = cash in /
out; rapport X = X report; clôture Z = Z closing; clôture de journée / mois / exercice = day / month /
fiscal-year closing; grand total perpétuel = perpetual grand total; écart = difference.

Tables (all append-only: triggers refuse UPDATE and DELETE):

- cash_session: one row per opening, numbered without gaps per register. A session is closed when a
  Z closing names it (closing.kind = 'Z', closing.session = number); nothing is ever updated, so
  "closed" is read from the closing table (view cash_session_state gives closed_at).
  first_ticket is the register's next ticket number at the opening: the session's tickets are the
  register's tickets from that number (up to the Z's last_ticket once closed).
- cash_movement: cash in and out of a session, numbered without gaps per session.
- closing: Z, day, month and year closings in one chain per register, numbered without gaps.
  hash = SHA-256(previous hash || canonical bytes), commerce.fiscal.chain_hash, GENESIS first. The
  canonical bytes are the record's fields as canonical JSON (commerce.fiscal.details_json: sorted
  keys, no spaces, UTF-8, integers only), see closing_record(). `canonical` keeps the sealed copy to
  tell which field changed; kiosk.fiscal_verify recomputes the hash from the other columns.

Each closing also appends a 'closing' event to the technical events journal, in the same transaction.

Periods. A Z closing with end_of_day=True (the default) also closes its calendar day: the day closing
covers the day's tickets (by their time), chained on the previous day closing's perpetual grand total.
Days before it that have tickets and no day closing are closed first (catch-up). After a day closing,
the day is over for that register: no session opens and no sale is allowed on that date. With
end_of_day=False (a morning class before an afternoon one) the day stays open, and is closed by a
later Z. A month closing is written once its month is over (its last day closed, or a closing made
on a later day) and it has day closings; a fiscal-year closing likewise from its month closings.
close_periods() does the same on demand.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Mapping, Optional, Sequence

from commerce import cash, fiscal
from commerce.errors import CommerceError
from commerce.ticket import ITEM, Line, Payment, ValidatedTicket
from commerce.vat import VatRow

from sync import outbox

from . import journal

FISCAL_YEAR_FIRST_MONTH = 1  # the fiscal year (exercice) starts on January 1st
Z, DAY, MONTH, YEAR = "Z", cash.DAY, cash.MONTH, cash.YEAR
KIND_LABELS = {Z: "clôture Z", DAY: "clôture de journée", MONTH: "clôture de mois", YEAR: "clôture d'exercice"}

# Executed statement by statement (never executescript, which would commit a caller's transaction).
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS cash_session (
        register TEXT NOT NULL,
        number INTEGER NOT NULL,          -- gap-free per register, from 1
        opened_at TEXT NOT NULL,          -- ISO 8601, whole seconds
        operator TEXT NOT NULL,
        opening_count TEXT NOT NULL,      -- JSON {"denomination in cents": pieces}, canonical
        opening_total INTEGER NOT NULL,   -- cents
        first_ticket INTEGER NOT NULL,    -- the register's next ticket number at the opening
        PRIMARY KEY (register, number)
    )""",
    """CREATE TABLE IF NOT EXISTS cash_movement (
        register TEXT NOT NULL,
        session INTEGER NOT NULL,
        line_no INTEGER NOT NULL,         -- gap-free per session, from 1
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        amount INTEGER NOT NULL CHECK (amount > 0),
        reason TEXT NOT NULL,
        note TEXT NOT NULL,
        operator TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (register, session, line_no),
        FOREIGN KEY (register, session) REFERENCES cash_session(register, number)
    )""",
    """CREATE TABLE IF NOT EXISTS closing (
        register TEXT NOT NULL,
        number INTEGER NOT NULL,          -- gap-free per register, all kinds together, from 1
        kind TEXT NOT NULL CHECK (kind IN ('Z', 'day', 'month', 'year')),
        period_start TEXT NOT NULL,       -- Z: the session's opening time; others: first day
        period_end TEXT NOT NULL,         -- Z: the closing time; others: last day (inclusive)
        session INTEGER,                  -- Z: the session it closes
        created_at TEXT NOT NULL,
        operator TEXT NOT NULL,
        first_ticket INTEGER,             -- ticket numbers covered (NULL when none)
        last_ticket INTEGER,
        figures TEXT NOT NULL,            -- the report's figures, canonical JSON (as_dict)
        checks TEXT NOT NULL,             -- Z: [{method, expected, counted, difference}], else []
        difference INTEGER,               -- Z: counted - expected, all methods; else NULL
        perpetual_total INTEGER NOT NULL, -- grand total perpétuel (net TTC since the first ticket)
        perpetual_absolute INTEGER NOT NULL,  -- sales + |returns| since the first ticket
        training INTEGER NOT NULL,
        canonical TEXT NOT NULL,          -- canonical bytes as sealed (to tell which field changed)
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (register, number)
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS closing_z_session ON closing(register, session) WHERE kind = 'Z'",
    "CREATE UNIQUE INDEX IF NOT EXISTS closing_period ON closing(register, kind, period_start) "
    "WHERE kind != 'Z'",
    """CREATE VIEW IF NOT EXISTS cash_session_state AS
        SELECT s.*, c.created_at AS closed_at, c.number AS closing_number
        FROM cash_session s LEFT JOIN closing c
          ON c.kind = 'Z' AND c.register = s.register AND c.session = s.number""",
)
FROZEN_TABLES = ("cash_session", "cash_movement", "closing")
TRIGGERS = tuple(
    f"""CREATE TRIGGER IF NOT EXISTS {t}_no_{op} BEFORE {op.upper()} ON {t}
        BEGIN SELECT RAISE(ABORT, 'enregistrement validé : modification interdite ({t})'); END"""
    for t in FROZEN_TABLES for op in ("update", "delete"))


def create(conn: sqlite3.Connection) -> None:
    for statement in SCHEMA + TRIGGERS:
        conn.execute(statement)


def _now(now: Optional[datetime]) -> datetime:
    return (now or datetime.now()).replace(microsecond=0)


def _when(dt: datetime) -> str:
    return dt.strftime("%d/%m/%Y à %H:%M")


# -- stored rows --------------------------------------------------------------------------------
@dataclass(frozen=True)
class StoredSession:
    register: str
    number: int
    opened_at: datetime
    operator: str
    opening_count: cash.CashCount
    first_ticket: int
    closing_number: Optional[int]  # the Z closing's number in the closing chain, None while open
    closed_at: Optional[datetime]
    last_ticket: Optional[int]  # once closed: the last ticket the Z covers (None: no ticket)

    @property
    def is_open(self) -> bool:
        return self.closing_number is None


@dataclass(frozen=True)
class StoredClosing:
    register: str
    number: int
    kind: str
    period_start: str
    period_end: str
    session: Optional[int]
    created_at: str
    operator: str
    first_ticket: Optional[int]
    last_ticket: Optional[int]
    figures: dict
    checks: list
    difference: Optional[int]
    perpetual_total: int
    perpetual_absolute: int
    training: bool
    prev_hash: str
    hash: str

    @property
    def name(self) -> str:
        return f"{KIND_LABELS[self.kind]} n° {self.number}"

    def as_dict(self) -> dict:
        """The stored closing as data (for `comptoir report z --json`)."""
        return {"closing": self.number, "kind": self.kind, "register": self.register,
                "period_start": self.period_start, "period_end": self.period_end, "session": self.session,
                "created_at": self.created_at, "operator": self.operator, "first_ticket": self.first_ticket,
                "last_ticket": self.last_ticket, "figures": self.figures, "checks": self.checks,
                "difference": self.difference, "perpetual_total": self.perpetual_total,
                "perpetual_absolute": self.perpetual_absolute, "training": self.training,
                "prev_hash": self.prev_hash, "hash": self.hash}


def count_json(count: cash.CashCount) -> str:
    return json.dumps({str(d): n for d, n in count.pieces}, sort_keys=True, separators=(",", ":"))


def count_from_json(text: str) -> cash.CashCount:
    return cash.CashCount.of({int(d): n for d, n in json.loads(text).items()})


SESSION_COLUMNS = "register, number, opened_at, operator, opening_count, first_ticket, closing_number, closed_at"


def _session(conn: sqlite3.Connection, row) -> StoredSession:
    register, number, opened_at, operator, opening, first_ticket, closing_number, closed_at = row
    last_ticket = None
    if closing_number is not None:
        last_ticket = conn.execute("SELECT last_ticket FROM closing WHERE register = ? AND number = ?",
                                   (register, closing_number)).fetchone()[0]
    return StoredSession(register, number, datetime.fromisoformat(opened_at), operator, count_from_json(opening),
                         first_ticket, closing_number,
                         datetime.fromisoformat(closed_at) if closed_at else None, last_ticket)


def session(conn: sqlite3.Connection, register: str, number: int) -> Optional[StoredSession]:
    row = conn.execute(f"SELECT {SESSION_COLUMNS} FROM cash_session_state WHERE register = ? AND number = ?",
                       (register, number)).fetchone()
    return _session(conn, row) if row else None


def last_session(conn: sqlite3.Connection, register: str) -> Optional[StoredSession]:
    row = conn.execute(f"SELECT {SESSION_COLUMNS} FROM cash_session_state WHERE register = ? "
                       "ORDER BY number DESC LIMIT 1", (register,)).fetchone()
    return _session(conn, row) if row else None


def current_session(conn: sqlite3.Connection, register: str) -> Optional[StoredSession]:
    """The register's open session (not closed by a Z), or None."""
    last = last_session(conn, register)
    return last if last is not None and last.is_open else None


def movements(conn: sqlite3.Connection, register: str, number: int) -> list[cash.CashMovement]:
    rows = conn.execute("SELECT direction, amount, reason, note, operator, created_at FROM cash_movement "
                        "WHERE register = ? AND session = ? ORDER BY line_no", (register, number)).fetchall()
    return [cash.CashMovement(d, a, r, n, op, datetime.fromisoformat(at)) for d, a, r, n, op, at in rows]


# -- tickets read back ----------------------------------------------------------------------------
def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def load_tickets(conn: sqlite3.Connection, register: str, *, first: int = 1, last: Optional[int] = None,
                 day: Optional[date] = None) -> list[ValidatedTicket]:
    """The register's stored tickets as commerce ValidatedTickets, by number: from `first` to `last`
    (inclusive, None: the last one), or those of one calendar `day` (by their time). Line kinds and
    origins, payment references and the corrected ticket are read when the database has them (a
    database opened read-only may be older than these columns)."""
    where, args = ["register = ?", "number >= ?"], [register, first]
    if last is not None:
        where.append("number <= ?")
        args.append(last)
    if day is not None:
        where.append("created_at >= ? AND created_at < ?")
        args += [day.isoformat(), (day + timedelta(days=1)).isoformat()]
    sql = " AND ".join(where)
    has_corrects = {"corrects_register", "corrects_number"} <= _columns(conn, "ticket")
    corrects_cols = "corrects_register, corrects_number" if has_corrects else "NULL, NULL"
    heads = conn.execute(f"SELECT id, number, created_at, cashier, training, {corrects_cols} FROM ticket "
                         f"WHERE {sql} ORDER BY number", args).fetchall()
    kind_cols = ("kind, origin_ticket_id, origin_line_no, net"
                 if {"kind", "origin_ticket_id", "origin_line_no", "net"} <= _columns(conn, "ticket_line")
                 else "NULL, NULL, NULL, NULL")
    lines: dict[str, list[Line]] = {}
    for tid, gtin, label, qty, unit_price, vat_bp, kind, origin_id, origin_no, net in conn.execute(
            f"SELECT ticket_id, gtin13, label, qty, unit_price, vat_bp, {kind_cols} FROM ticket_line "
            f"WHERE ticket_id IN (SELECT id FROM ticket WHERE {sql}) ORDER BY ticket_id, line_no", args):
        origin = (origin_id, origin_no) if origin_id is not None else None
        lines.setdefault(tid, []).append(Line(gtin, label, qty, unit_price, vat_bp, kind or ITEM, origin=origin,
                                              net=net))
    ref_col = "reference" if "reference" in _columns(conn, "payment") else "NULL"
    pays: dict[str, list[Payment]] = {}
    for tid, method, amount, given, reference in conn.execute(
            f"SELECT ticket_id, method, amount, given, {ref_col} FROM payment WHERE ticket_id IN "
            f"(SELECT id FROM ticket WHERE {sql}) ORDER BY ticket_id, line_no", args):
        pays.setdefault(tid, []).append(Payment(method, amount, given, reference or ""))
    return [ValidatedTicket(id=tid, register=register, number=number, cashier=cashier,
                            created_at=datetime.fromisoformat(created_at), lines=tuple(lines.get(tid, ())),
                            payments=tuple(pays.get(tid, ())), training=bool(training),
                            corrects=(c_reg, c_num) if c_reg is not None else None)
            for tid, number, created_at, cashier, training, c_reg, c_num in heads]


def _last_ticket_number(conn: sqlite3.Connection, register: str) -> int:
    return conn.execute("SELECT max(number) FROM ticket WHERE register = ?", (register,)).fetchone()[0] or 0


# -- the session as commerce sees it -----------------------------------------------------------------
def cash_session(conn: sqlite3.Connection, stored: StoredSession) -> cash.CashSession:
    """Rebuild commerce.cash.CashSession from the stored rows and the register's tickets since the
    opening (up to the Z's last ticket once closed). Stored tickets are facts: they are added as they
    are, not re-checked against the 24-hour rule."""
    s = cash.CashSession.open(register=stored.register, number=stored.number, operator=stored.operator,
                              opening_count=stored.opening_count, now=stored.opened_at)
    if stored.is_open:
        s.tickets.extend(load_tickets(conn, stored.register, first=stored.first_ticket))
    elif stored.last_ticket is not None:
        s.tickets.extend(load_tickets(conn, stored.register, first=stored.first_ticket, last=stored.last_ticket))
    s.movements.extend(movements(conn, stored.register, stored.number))
    return s


def _require_open(conn: sqlite3.Connection, register: str, action: str) -> StoredSession:
    stored = current_session(conn, register)
    if stored is None:
        raise CommerceError(f"aucune session de caisse ouverte sur la caisse {register} : ouvrez la caisse "
                            f"(comptage du fond de caisse) avant de {action}")
    return stored


def _day_closing(conn: sqlite3.Connection, register: str, day: date) -> Optional[int]:
    row = conn.execute("SELECT number FROM closing WHERE register = ? AND kind = 'day' AND period_start = ?",
                       (register, day.isoformat())).fetchone()
    return row[0] if row else None


def _check_day_open(conn: sqlite3.Connection, register: str, now: datetime, action: str) -> None:
    number = _day_closing(conn, register, now.date())
    if number is not None:
        raise CommerceError(f"journée du {now:%d/%m/%Y} déjà clôturée sur la caisse {register} (clôture "
                            f"n° {number}) : impossible {_de(action)} avant demain")


def _de(verb: str) -> str:
    """« de vendre », « d'ouvrir la caisse »: French elides de before a vowel."""
    return f"d'{verb}" if verb[:1] in "aeiouéèêh" else f"de {verb}"


def open_session(conn: sqlite3.Connection, register: str, operator: str, opening_count: cash.CashCount,
                 now: Optional[datetime] = None) -> StoredSession:
    """Ouverture: store a new session with its float counted by denomination (caller's transaction)."""
    now = _now(now)
    if not isinstance(opening_count, cash.CashCount):
        raise TypeError("opening_count must be a CashCount (use CashCount.of or parse_count)")
    open_one = current_session(conn, register)
    if open_one is not None:
        raise CommerceError(f"session de caisse n° {open_one.number} déjà ouverte sur la caisse {register} "
                            f"(depuis le {_when(open_one.opened_at)}) : faites sa clôture Z avant d'en "
                            "ouvrir une autre")
    _check_day_open(conn, register, now, "ouvrir la caisse")
    last = last_session(conn, register)
    if last is not None and last.closed_at is not None and now < last.closed_at:
        raise CommerceError(f"date du {_when(now)} antérieure à la dernière clôture ({_when(last.closed_at)}) : "
                            "vérifiez l'horloge de la caisse")
    number = (last.number if last else 0) + 1
    cash.CashSession.open(register=register, number=number, operator=operator, opening_count=opening_count,
                          now=now)  # the domain's checks
    first_ticket = _last_ticket_number(conn, register) + 1
    conn.execute("INSERT INTO cash_session(register, number, opened_at, operator, opening_count, opening_total, "
                 "first_ticket) VALUES (?,?,?,?,?,?,?)",
                 (register, number, now.isoformat(), operator, count_json(opening_count), opening_count.total,
                  first_ticket))
    return session(conn, register, number)


def check_can_sell(conn: sqlite3.Connection, register: str, now: Optional[datetime] = None) -> StoredSession:
    """Raise CommerceError unless a sale may be validated now: a session is open, it was opened less
    than 24 hours ago, and the day is not closed. The register service calls it before a sale."""
    now = _now(now)
    stored = _require_open(conn, register, "vendre")
    cash.CashSession.open(register=register, number=stored.number, operator=stored.operator,
                          opening_count=stored.opening_count, now=stored.opened_at).check_can_sell(now)
    _check_day_open(conn, register, now, "vendre")
    return stored


def add_movement(conn: sqlite3.Connection, register: str, direction: str, amount: int, reason: str, *,
                 note: str = "", operator: str, now: Optional[datetime] = None) -> cash.CashMovement:
    """Apport (in) or sortie (out) of cash in the open session, with its reason (caller's transaction).
    A cash out never takes more than the drawer holds."""
    now = _now(now)
    stored = _require_open(conn, register, "faire un mouvement de caisse")
    movement = cash_session(conn, stored).move(direction, amount, reason, note=note, operator=operator, now=now)
    line_no = conn.execute("SELECT count(*) FROM cash_movement WHERE register = ? AND session = ?",
                           (register, stored.number)).fetchone()[0] + 1
    conn.execute("INSERT INTO cash_movement(register, session, line_no, direction, amount, reason, note, operator, "
                 "created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                 (register, stored.number, line_no, movement.direction, movement.amount, movement.reason,
                  movement.note, operator, now.isoformat()))
    return movement


def x_report(conn: sqlite3.Connection, register: str, operator: str,
             now: Optional[datetime] = None) -> cash.XReport:
    """Rapport X of the open session. Writes nothing."""
    stored = _require_open(conn, register, "éditer un rapport X")
    return cash_session(conn, stored).x_report(operator=operator, now=_now(now))


# -- closings ------------------------------------------------------------------------------------
def closing_record(register: str, number: int, kind: str, period_start: str, period_end: str,
                   session: Optional[int], timestamp: str, operator: str, first_ticket: Optional[int],
                   last_ticket: Optional[int], figures: Mapping, checks: Sequence, difference: Optional[int],
                   perpetual_total: int, perpetual_absolute: int, training: bool) -> dict:
    """Every field a closing seals, as the chain hashes them."""
    return {"register": register, "number": number, "kind": kind, "period_start": period_start,
            "period_end": period_end, "session": session, "timestamp": timestamp, "operator": operator,
            "first_ticket": first_ticket, "last_ticket": last_ticket, "figures": dict(figures),
            "checks": list(checks), "difference": difference, "perpetual_total": perpetual_total,
            "perpetual_absolute": perpetual_absolute, "training": bool(training), "version": fiscal.VERSION}


def canonical_closing(record: Mapping) -> bytes:
    return fiscal.details_json(record).encode("utf-8")


def _last_closing_row(conn: sqlite3.Connection, register: str):
    return conn.execute("SELECT number, hash FROM closing WHERE register = ? ORDER BY number DESC LIMIT 1",
                        (register,)).fetchone()


def _next_closing_number(conn: sqlite3.Connection, register: str) -> int:
    last = _last_closing_row(conn, register)
    return last[0] + 1 if last else 1


def _insert_closing(conn: sqlite3.Connection, *, register: str, kind: str, period_start: str, period_end: str,
                    session: Optional[int], now: datetime, operator: str, first_ticket: Optional[int],
                    last_ticket: Optional[int], figures: Mapping, checks: Sequence = (),
                    difference: Optional[int] = None, perpetual_total: int, perpetual_absolute: int,
                    training: bool = True) -> StoredClosing:
    last = _last_closing_row(conn, register)
    number, prev_hash = (last[0] + 1, last[1]) if last else (1, fiscal.GENESIS)
    record = closing_record(register, number, kind, period_start, period_end, session, now.isoformat(), operator,
                            first_ticket, last_ticket, figures, checks, difference, perpetual_total,
                            perpetual_absolute, training)
    canonical = canonical_closing(record)
    digest = fiscal.chain_hash(prev_hash, canonical)
    conn.execute(
        "INSERT INTO closing(register, number, kind, period_start, period_end, session, created_at, operator, "
        "first_ticket, last_ticket, figures, checks, difference, perpetual_total, perpetual_absolute, training, "
        "canonical, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (register, number, kind, period_start, period_end, session, record["timestamp"], operator, first_ticket,
         last_ticket, fiscal.details_json(record["figures"]), json.dumps(record["checks"], sort_keys=True,
                                                                         separators=(",", ":"), ensure_ascii=False),
         difference, perpetual_total, perpetual_absolute, int(training), canonical.decode("utf-8"), prev_hash,
         digest))
    # The closing itself goes to the back office (the teacher sees each Z and its differences).
    outbox.enqueue(conn, "closing", f"closing:{register}:{number}", dict(record, prev_hash=prev_hash, hash=digest))
    journal.append(conn, "closing", register, operator,
                   {"closing": number, "kind": kind, "period_start": period_start, "period_end": period_end,
                    "session": session, "total": figures.get("total", 0), "difference": difference,
                    "perpetual_total": perpetual_total, "hash": digest}, now)
    return closing(conn, register, number)


CLOSING_COLUMNS = ("register, number, kind, period_start, period_end, session, created_at, operator, first_ticket, "
                   "last_ticket, figures, checks, difference, perpetual_total, perpetual_absolute, training, "
                   "prev_hash, hash")


def _closing(row) -> StoredClosing:
    row = list(row)
    row[10], row[11], row[15] = json.loads(row[10]), json.loads(row[11]), bool(row[15])
    return StoredClosing(*row)


def closing(conn: sqlite3.Connection, register: str, number: int) -> Optional[StoredClosing]:
    row = conn.execute(f"SELECT {CLOSING_COLUMNS} FROM closing WHERE register = ? AND number = ?",
                       (register, number)).fetchone()
    return _closing(row) if row else None


def closings(conn: sqlite3.Connection, register: str, kind: Optional[str] = None) -> list[StoredClosing]:
    sql = f"SELECT {CLOSING_COLUMNS} FROM closing WHERE register = ?"
    args: list = [register]
    if kind is not None:
        sql += " AND kind = ?"
        args.append(kind)
    return [_closing(r) for r in conn.execute(sql + " ORDER BY number", args)]


def last_closing(conn: sqlite3.Connection, register: str, kind: str = Z) -> Optional[StoredClosing]:
    row = conn.execute(f"SELECT {CLOSING_COLUMNS} FROM closing WHERE register = ? AND kind = ? "
                       "ORDER BY number DESC LIMIT 1", (register, kind)).fetchone()
    return _closing(row) if row else None


def _perpetual_through(conn: sqlite3.Connection, register: str, last_ticket: int) -> tuple[int, int]:
    """Net TTC and sales + |returns| of the register's tickets up to `last_ticket`."""
    total = conn.execute("SELECT coalesce(sum(total), 0) FROM ticket WHERE register = ? AND number <= ?",
                         (register, last_ticket)).fetchone()[0]
    absolute = conn.execute("SELECT coalesce(sum(abs(l.total)), 0) FROM ticket_line l JOIN ticket t "
                            "ON t.id = l.ticket_id WHERE t.register = ? AND t.number <= ?",
                            (register, last_ticket)).fetchone()[0]
    return total, absolute


@dataclass(frozen=True)
class ClosingResult:
    z: StoredClosing
    report: cash.ZReport
    periods: tuple[StoredClosing, ...]  # day, month and year closings written with it, in order


def close_session(conn: sqlite3.Connection, register: str, counted_cash: cash.CashCount,
                  counted_other: Optional[Mapping[str, int]] = None, *, operator: str,
                  now: Optional[datetime] = None, end_of_day: bool = True) -> ClosingResult:
    """Clôture Z of the open session (caller's transaction): the drawer counted by denomination and the
    typed amount of each other method used; stores the Z closing, then the period closings due
    (the day's own with end_of_day, see the module's docstring). Each is chained and journaled."""
    now = _now(now)
    stored = _require_open(conn, register, "clôturer")
    s = cash_session(conn, stored)
    tickets = [t.number for t in s.tickets]
    first, last = (tickets[0], tickets[-1]) if tickets else (None, None)
    perpetual = _perpetual_through(conn, register, last if last is not None else stored.first_ticket - 1)
    # the Z prints its number in the closing chain and the perpetual grand totals (same transaction)
    report = s.close(counted_cash, counted_other, operator=operator, now=now,
                     number=_next_closing_number(conn, register), perpetual_total=perpetual[0],
                     perpetual_absolute=perpetual[1])
    z = _insert_closing(conn, register=register, kind=Z, period_start=stored.opened_at.isoformat(),
                        period_end=now.isoformat(), session=stored.number, now=now, operator=operator,
                        first_ticket=first, last_ticket=last, figures=report.as_dict(),
                        checks=report.as_dict()["checks"], difference=report.difference,
                        perpetual_total=perpetual[0], perpetual_absolute=perpetual[1], training=report.training)
    through = now.date() if end_of_day else now.date() - timedelta(days=1)
    periods = close_periods(conn, register, through, operator=operator, now=now)
    return ClosingResult(z, report, tuple(periods))


# -- period closings (conservation) ---------------------------------------------------------------
def _totals_from_dict(d: Mapping) -> cash.Totals:
    """Totals back from their as_dict(). Figures sealed by an earlier version lack the newer keys: their
    tickets had no reductions nor gift cards, and every line was a sale or a return."""
    return cash.Totals(
        tickets=d["tickets"], refund_tickets=d["refund_tickets"], total=d["total"], gross_sales=d["gross_sales"],
        returns=d["returns"], vat=tuple(VatRow(v["rate"], v["ht"], v["tva"], v["ttc"]) for v in d["vat"]),
        methods=tuple(cash.MethodTotal(m["method"], m["received"], m["refunded"], m["payments"])
                      for m in d["methods"]),
        return_lines=d.get("return_lines", 0), discounts=d.get("discounts", 0), promotions=d.get("promotions", 0),
        loyalty=d.get("loyalty", 0), gift_cards_sold=d.get("gift_cards_sold", 0),
        gift_cards_count=d.get("gift_cards_count", 0), absolute=d.get("absolute", d["gross_sales"] - d["returns"]))


def period_from_stored(c: StoredClosing) -> cash.PeriodClosing:
    f = c.figures
    return cash.PeriodClosing(f["kind"], f["register"], date.fromisoformat(f["start"]), date.fromisoformat(f["end"]),
                              _totals_from_dict(f), f["perpetual_total"], f["perpetual_absolute"],
                              f.get("training", True))


def report_from_dict(d: Mapping):
    """An XReport or ZReport back from its as_dict() (a stored Z's figures), for printing."""
    movements_ = tuple(cash.CashMovement(m["direction"], m["amount"], m["reason"], m["note"], m["operator"],
                                         datetime.fromisoformat(m["at"])) for m in d["movements"])
    c = d["cash"]
    figures = cash.Figures(
        totals=_totals_from_dict(d),
        cash=cash.CashFigures(c["opening_float"], c["tendered"], c["change"], c["refunds"], c["cash_in"],
                              c["cash_out"]),
        movements=movements_)
    head = dict(register=d["register"], session_number=d["session"], opened_at=datetime.fromisoformat(d["opened_at"]),
                opened_by=d["opened_by"], opening_count=_count_from_dict(d["opening_count"]),
                at=datetime.fromisoformat(d["at"]), operator=d["operator"], figures=figures,
                training=d.get("training", True))
    if d["kind"] == "X":
        return cash.XReport(**head)
    return cash.ZReport(**head, counted_cash=_count_from_dict(d["counted_cash"]),
                        checks=tuple(cash.MethodCheck(k["method"], k["expected"], k["counted"]) for k in d["checks"]),
                        number=d.get("z_number"), perpetual_total=d.get("perpetual_total"),
                        perpetual_absolute=d.get("perpetual_absolute"))


def _count_from_dict(d: Mapping) -> cash.CashCount:
    return cash.CashCount.of({p["denomination"]: p["count"] for p in d["pieces"]})


def _month_bounds(day: date) -> tuple[date, date]:
    start = day.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, end


def _ticket_numbers(tickets: Sequence[ValidatedTicket]) -> tuple[Optional[int], Optional[int]]:
    return (tickets[0].number, tickets[-1].number) if tickets else (None, None)


def close_day(conn: sqlite3.Connection, register: str, day: date, *, operator: str,
              now: Optional[datetime] = None) -> StoredClosing:
    """Clôture de journée of `day` (caller's transaction), chained on the previous day closing."""
    now = _now(now)
    if day > now.date():
        raise CommerceError(f"journée du {day:%d/%m/%Y} pas encore commencée : impossible de la clôturer")
    open_one = current_session(conn, register)
    if open_one is not None and open_one.opened_at.date() <= day and day == now.date():
        raise CommerceError(f"session de caisse n° {open_one.number} ouverte : faites sa clôture Z avant de "
                            f"clôturer la journée du {day:%d/%m/%Y}")
    previous = last_closing(conn, register, DAY)
    tickets = load_tickets(conn, register, day=day)
    period = cash.close_day(register, day, tickets, period_from_stored(previous) if previous else None)
    first, last = _ticket_numbers(tickets)
    return _insert_closing(conn, register=register, kind=DAY, period_start=day.isoformat(),
                           period_end=day.isoformat(), session=None, now=now, operator=operator,
                           first_ticket=first, last_ticket=last, figures=period.as_dict(),
                           perpetual_total=period.perpetual_total, perpetual_absolute=period.perpetual_absolute)


def _rolled(conn, register: str, kind: str, child_kind: str, start: date, end: date,
            operator: str, now: datetime) -> Optional[StoredClosing]:
    children = [c for c in closings(conn, register, child_kind)
                if start.isoformat() <= c.period_start and c.period_end <= end.isoformat()]
    if not children:
        return None
    previous = last_closing(conn, register, kind)
    prev = period_from_stored(previous) if previous else None
    parts = [period_from_stored(c) for c in children]
    if kind == MONTH:
        period = cash.close_month(register, start.year, start.month, parts, prev)
    else:
        period = cash.close_year(register, start, parts, prev)
    firsts = [c.first_ticket for c in children if c.first_ticket is not None]
    lasts = [c.last_ticket for c in children if c.last_ticket is not None]
    return _insert_closing(conn, register=register, kind=kind, period_start=start.isoformat(),
                           period_end=end.isoformat(), session=None, now=now, operator=operator,
                           first_ticket=min(firsts) if firsts else None, last_ticket=max(lasts) if lasts else None,
                           figures=period.as_dict(), perpetual_total=period.perpetual_total,
                           perpetual_absolute=period.perpetual_absolute)


def close_periods(conn: sqlite3.Connection, register: str, through: date, *, operator: str,
                  now: Optional[datetime] = None) -> list[StoredClosing]:
    """Every period closing due up to `through` (inclusive), in order (caller's transaction): the days
    with tickets and no day closing (and `through` itself), then the months over by `through` that have
    day closings and no month closing, then the fiscal years likewise. Returns what it wrote."""
    now = _now(now)
    through = min(through, now.date())
    written: list[StoredClosing] = []
    last_day = last_closing(conn, register, DAY)
    after = date.fromisoformat(last_day.period_start) if last_day else None
    days = sorted({date.fromisoformat(r[0]) for r in conn.execute(
        "SELECT DISTINCT substr(created_at, 1, 10) FROM ticket WHERE register = ? AND created_at >= ? "
        "AND created_at < ?", (register, (after + timedelta(days=1)).isoformat() if after else "",
                               (through + timedelta(days=1)).isoformat()))})
    if through == now.date() and (after is None or after < through):
        days = sorted(set(days) | {through})
    for day in days:
        written.append(close_day(conn, register, day, operator=operator, now=now))
    # months over by `through` with day closings not yet rolled up
    last_month = last_closing(conn, register, MONTH)
    month_after = last_month.period_end if last_month else ""
    pending = sorted({_month_bounds(date.fromisoformat(c.period_start)) for c in closings(conn, register, DAY)
                      if c.period_start > month_after})
    for start, end in pending:
        if end <= through:
            written.append(_rolled(conn, register, MONTH, DAY, start, end, operator, now))
    last_year = last_closing(conn, register, YEAR)
    year_after = last_year.period_end if last_year else ""
    years = sorted({cash.fiscal_year_bounds(date.fromisoformat(c.period_start), FISCAL_YEAR_FIRST_MONTH)
                    for c in closings(conn, register, MONTH) if c.period_start > year_after})
    for start, end in years:
        if end <= through:
            written.append(_rolled(conn, register, YEAR, MONTH, start, end, operator, now))
    return [w for w in written if w is not None]


def registers(conn: sqlite3.Connection) -> list[str]:
    """Registers this database knows (tickets, sessions or closings)."""
    found: set[str] = set()
    for table in ("ticket", "cash_session", "closing"):
        try:
            found |= {r[0] for r in conn.execute(f"SELECT DISTINCT register FROM {table}")}
        except sqlite3.OperationalError:  # an older database without the table
            pass
    return sorted(found)

