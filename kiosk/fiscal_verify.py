"""Recompute every fiscal chain of a kiosk database (tickets, closings, journal and archives, per register).

Hashes are recomputed from the stored *columns* (ticket, ticket_line, ticket_vat, payment with its
reference, closing, journal, fiscal_archive), never from the sealed canonical copy; the copy only
serves to tell which field changed. ticket_line's kind, origin and net columns are not in the chain.

Tickets take two passes. The fast pass reads each table once in insertion order (rowid) and walks
them side by side; it either proves a register's chain sound or marks it suspicious. The exact pass
then reloads each suspicious register ticket by ticket (by primary key) and names every anomaly: a gap
in the numbering, a broken link, a field that no longer matches its sealed value.

The chain walkers (ticket_chain, closing_chain, journal_chain, sealed_chain) take rows from anywhere:
kiosk.archive runs them on the records of an archive file, "anchored" at the archive's first record.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Optional

from commerce import fiscal

MAX_PROBLEMS = 20  # per chain: the first ones tell the story


@dataclass
class Problem:
    number: Optional[int]  # record number in its chain (None: rows that belong to no ticket)
    field: Optional[str]  # canonical path of the field that changed, when it can be told
    message: str  # French


@dataclass
class ChainReport:
    kind: str  # "tickets" | "closings" | "journal" | "archives" (the archive chain) | "archive" (a file)
    register: str
    checked: int = 0
    legacy: int = 0  # tickets stored by a version without the chain (before its first chained ticket)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def name(self) -> str:
        return f"caisse {self.register}, {RECORD_NAMES[self.kind]}"


RECORD_NAMES = {"tickets": "ticket", "closings": "clôture", "journal": "événement", "archives": "archive",
                "archive": "archive"}


# -- tickets: fast pass ----------------------------------------------------------------------
TICKET_COLUMNS = ("id, register, number, created_at, cashier, total, training, corrects_register, "
                  "corrects_number, prev_hash, hash")


def _column_or_null(conn: sqlite3.Connection, table: str, column: str) -> str:
    """`column` to select, or NULL in a database no version with that column has opened yet."""
    have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    return column if column in have else "NULL"


def _payment_columns(conn: sqlite3.Connection) -> str:
    """The payment fields the chain hashes; `reference` (gift card, credit note, cheque) is NULL when
    there is none."""
    return "method, amount, given, " + _column_or_null(conn, "payment", "reference")


def _fast_tickets(conn: sqlite3.Connection) -> tuple[dict[str, ChainReport], set[str]]:
    """One pass over every table in rowid order. Returns reports and the registers to re-check."""
    reports: dict[str, ChainReport] = {}
    state: dict[str, tuple[int, Optional[str]]] = {}  # register -> (last number, last hash or None)
    suspicious: set[str] = set()
    lines = conn.execute("SELECT ticket_id, line_no, gtin13, ht, label, qty, total, unit_price, vat_bp "
                         "FROM ticket_line ORDER BY rowid")
    vats = conn.execute("SELECT ticket_id, rate_bp, ht, tva, ttc FROM ticket_vat ORDER BY rowid")
    pays = conn.execute(f"SELECT ticket_id, line_no, {_payment_columns(conn)} FROM payment ORDER BY rowid")
    line_json, vat_json, payment_json, ticket_text = (fiscal.line_json, fiscal.vat_json, fiscal.payment_json,
                                                      fiscal.ticket_text)
    fromhex = bytes.fromhex
    nl = next(lines, None)
    nv = next(vats, None)
    np_ = next(pays, None)
    for (tid, register, number, created_at, cashier, total, training, c_reg, c_num, prev_hash,
         digest) in conn.execute(f"SELECT {TICKET_COLUMNS} FROM ticket ORDER BY rowid"):
        # this ticket's rows come next in each table (they were inserted in its transaction)
        parts, i = [], 0
        while nl is not None and nl[0] == tid:
            if nl[1] != i:
                suspicious.add(register)
            parts.append(line_json(nl[2], nl[3], nl[4], nl[5], nl[6], nl[7], nl[8]))
            i += 1
            nl = next(lines, None)
        line_text = "[" + ",".join(parts) + "]"
        parts = []
        while nv is not None and nv[0] == tid:
            parts.append(vat_json(nv[1], nv[2], nv[3], nv[4]))
            nv = next(vats, None)
        vat_text = "[" + ",".join(parts) + "]"
        parts, i = [], 0
        while np_ is not None and np_[0] == tid:
            if np_[1] != i:
                suspicious.add(register)
            parts.append(payment_json(np_[2], np_[3], np_[4], np_[5]))
            i += 1
            np_ = next(pays, None)
        pay_text = "[" + ",".join(parts) + "]"

        report = reports.get(register)
        if report is None:
            report = reports[register] = ChainReport("tickets", register)
        last_number, last_hash = state.get(register, (0, None))
        if number != last_number + 1:
            suspicious.add(register)
        if digest is None:  # stored by a version without the chain: only before the chain starts
            if last_hash is not None:
                suspicious.add(register)
            report.legacy += 1
            state[register] = (number, None)
            continue
        expected_prev = last_hash or fiscal.GENESIS
        corrects = "null" if c_reg is None and c_num is None else fiscal.corrects_json(c_reg, c_num)
        text = ticket_text(tid, register, number, created_at, cashier, total, training, corrects,
                           line_text, pay_text, vat_text)
        try:
            sound = prev_hash == expected_prev and sha256(fromhex(expected_prev) + text.encode()).hexdigest() == digest
        except ValueError:  # a stored hash that is not hexadecimal
            sound = False
        if not sound:
            suspicious.add(register)
        report.checked += 1
        state[register] = (number, digest)
    if nl is not None or nv is not None or np_ is not None:  # rows out of place: re-check everything
        suspicious |= set(reports) | {r[0] for r in conn.execute(
            "SELECT DISTINCT t.register FROM ticket t")}
        suspicious.add("*orphans*")
    return reports, suspicious


# -- tickets: exact pass -------------------------------------------------------------------------
def ticket_from_columns(conn: sqlite3.Connection, ticket_id: str) -> fiscal.FiscalTicket:
    """A stored ticket's fiscal fields, read from the columns (never from the sealed copy)."""
    (tid, register, number, created_at, cashier, total, training, c_reg, c_num, _, _) = conn.execute(
        f"SELECT {TICKET_COLUMNS} FROM ticket WHERE id = ?", (ticket_id,)).fetchone()
    lines = conn.execute("SELECT gtin13, label, qty, unit_price, ht, vat_bp, total FROM ticket_line "
                         "WHERE ticket_id = ? ORDER BY line_no", (tid,)).fetchall()
    vat = conn.execute("SELECT rate_bp, ht, tva, ttc FROM ticket_vat WHERE ticket_id = ? ORDER BY rate_bp DESC",
                       (tid,)).fetchall()
    pays = conn.execute(f"SELECT {_payment_columns(conn)} FROM payment WHERE ticket_id = ? ORDER BY line_no",
                        (tid,)).fetchall()
    return fiscal.FiscalTicket(
        id=tid, register=register, number=number, timestamp=created_at, operator=cashier,
        lines=tuple(fiscal.FiscalLine(*l) for l in lines), vat=tuple(fiscal.FiscalVat(*v) for v in vat),
        total=total, payments=tuple(fiscal.FiscalPayment(m, a, g, r or "") for m, a, g, r in pays),
        corrects=None if c_reg is None and c_num is None else (c_reg, c_num), training=bool(training))


def _exact_tickets(conn: sqlite3.Connection, register: str) -> ChainReport:
    rows = conn.execute("SELECT id, number, canonical, prev_hash, hash FROM ticket WHERE register = ? "
                        "ORDER BY number", (register,)).fetchall()
    return ticket_chain(register, ((number, sealed, prev_hash, digest,
                                    lambda tid=tid: ticket_from_columns(conn, tid))
                                   for tid, number, sealed, prev_hash, digest in rows))


def ticket_chain(register: str, rows, anchored: bool = False) -> ChainReport:
    """Walk one register's tickets in number order and name every anomaly. `rows` yields
    (number, sealed canonical, prev_hash, hash, fields) where fields() gives the FiscalTicket read from
    the stored fields. A database chain starts at GENESIS with ticket 1; an `anchored` one (an archive's
    month) starts at its first ticket, whose recorded previous hash is taken as the anchor."""
    report = ChainReport("tickets", register)
    last_number, last_hash = None if anchored else 0, None

    def problem(number, path, message):
        if len(report.problems) < MAX_PROBLEMS:
            report.problems.append(Problem(number, path, message))

    for number, sealed, prev_hash, digest, fields in rows:
        if last_number is None:  # an anchored chain's first record
            last_number = number - 1
            last_hash = prev_hash if digest is not None and prev_hash != fiscal.GENESIS else None
        gap = number != last_number + 1
        if gap:
            missing = (f"n° {last_number + 1}" if number == last_number + 2
                       else f"n° {last_number + 1} à {number - 1}")
            problem(last_number + 1, None, f"ticket {missing} manquant : numérotation interrompue "
                                           f"(n° {last_number} suivi du n° {number}), ticket supprimé ?")
        if digest is None:
            if last_hash is not None:
                problem(number, "hash", f"ticket n° {number} : empreinte effacée")
            else:
                report.legacy += 1
            last_number = number
            continue
        report.checked += 1
        expected_prev = last_hash or fiscal.GENESIS
        if prev_hash != expected_prev and not gap:
            problem(number, "prev_hash", f"ticket n° {number} : chaînage rompu (l'empreinte précédente "
                                         "enregistrée n'est pas celle du ticket précédent)")
        try:
            recomputed = fiscal.canonical_ticket(fields())
        except (ValueError, TypeError, KeyError, AttributeError):
            problem(number, None, f"ticket n° {number} : champs illisibles")
        else:
            if _chain_hash(prev_hash or expected_prev, recomputed) != digest:
                _name_changed_fields(problem, "ticket", number, sealed, recomputed, prev_hash, digest)
        last_number, last_hash = number, digest
    return report


def _chain_hash(prev_hash, canonical: bytes) -> Optional[str]:
    """fiscal.chain_hash, or None when the stored previous hash is not 64 hexadecimal digits."""
    try:
        return fiscal.chain_hash(prev_hash, canonical)
    except (ValueError, TypeError):
        return None


def _name_changed_fields(problem, what: str, number: int, sealed: Optional[str], recomputed: bytes,
                         prev_hash: Optional[str], digest: str, describe=fiscal.describe_path) -> None:
    try:
        diffs = fiscal.diff_fields(json.loads(sealed), json.loads(recomputed)) if sealed else []
    except ValueError:
        diffs = []
        problem(number, "canonical", f"{what} n° {number} : copie scellée illisible")
    for path, before, after in diffs:
        problem(number, path, f"{what} n° {number} : {describe(path)} modifié : "
                              f"scellé {_show(before)}, trouvé {_show(after)}")
    if not diffs and sealed is not None:
        if _chain_hash(prev_hash or fiscal.GENESIS, sealed.encode("utf-8")) == digest:
            problem(number, None, f"{what} n° {number} : empreinte différente du contenu des colonnes")
        else:
            problem(number, "hash", f"{what} n° {number} : empreinte ou copie scellée modifiée")
    elif not diffs:
        problem(number, None, f"{what} n° {number} : empreinte différente du contenu des colonnes")


def _show(value) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else f"« {value} »"


def _outbox_orphans(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """Tickets the outbox recorded at sale time that the ticket table no longer holds."""
    try:
        # record_id is unique in the outbox: equal counts mean no ticket of the outbox is missing, unless
        # one was also added, and an added ticket breaks the chain (checked apart)
        queued, = conn.execute("SELECT count(*) FROM outbox WHERE kind = 'ticket'").fetchone()
        if queued <= conn.execute("SELECT count(*) FROM ticket").fetchone()[0]:
            return []
        rows = conn.execute("SELECT payload FROM outbox WHERE kind = 'ticket' AND record_id NOT IN "
                            "(SELECT id FROM ticket)").fetchall()
    except sqlite3.OperationalError:
        return []
    out = []
    for (payload,) in rows:
        try:
            d = json.loads(payload)
            out.append((str(d["register"]), int(d["number"])))
        except (ValueError, KeyError, TypeError):
            continue
    return out


# -- journal -----------------------------------------------------------------------------------
def _journal(conn: sqlite3.Connection) -> list[ChainReport]:
    sealed = _column_or_null(conn, "journal", "canonical")
    return journal_chain(conn.execute(
        f"SELECT register, number, created_at, operator, kind, details, prev_hash, hash, {sealed} FROM journal "
        "ORDER BY register, number"))


def journal_chain(rows, anchored: bool = False) -> list[ChainReport]:
    """Journal entries (register, number, created_at, operator, kind, details, prev_hash, hash[, sealed
    canonical]) in (register, number) order; `details` as stored (canonical JSON text) or already decoded.
    The sealed copy, where the row has one, names the field that changed."""
    reports: dict[str, ChainReport] = {}
    state: dict[str, tuple[int, str]] = {}
    for register, number, created_at, operator, kind, details, prev_hash, digest, *sealed in rows:
        report = reports.setdefault(register, ChainReport("journal", register))
        if register not in state:
            state[register] = (number - 1, prev_hash) if anchored else (0, fiscal.GENESIS)
        last_number, last_hash = state[register]

        def problem(n, path, message):
            if len(report.problems) < MAX_PROBLEMS:
                report.problems.append(Problem(n, path, message))

        if number != last_number + 1:
            problem(last_number + 1, None, f"événement n° {last_number + 1} manquant : numérotation "
                                           f"interrompue (n° {last_number} suivi du n° {number})")
        elif prev_hash != last_hash:
            problem(number, "prev_hash", f"événement n° {number} : chaînage rompu")
        report.checked += 1
        try:
            entry = fiscal.JournalEntry(register, number, created_at, operator, kind, _decoded(details))
            canonical = fiscal.canonical_event(entry)
        except (ValueError, TypeError):
            problem(number, "details", f"événement n° {number} : détails illisibles")
        else:
            if _chain_hash(prev_hash, canonical) != digest:
                if sealed and sealed[0]:
                    _name_changed_fields(problem, "événement", number, sealed[0], canonical, prev_hash, digest)
                else:
                    problem(number, None, f"événement n° {number} : contenu ou empreinte modifié "
                                          "(type, horodatage, caisse, opérateur, détails)")
        state[register] = (number, digest)
    return list(reports.values())


def _decoded(value):
    """A JSON column as stored (text) or as an archive holds it (already decoded)."""
    return json.loads(value) if isinstance(value, str) else value


# -- closings (Z, day, month, year: kiosk.sessions) -----------------------------------------------
CLOSING_LABELS = {
    "kind": "type de clôture", "period_start": "début de période", "period_end": "fin de période",
    "session": "session", "first_ticket": "premier ticket", "last_ticket": "dernier ticket",
    "figures": "chiffres", "checks": "écarts par moyen de paiement", "difference": "écart",
    "perpetual_total": "grand total perpétuel", "perpetual_absolute": "grand total perpétuel absolu",
    "expected": "attendu", "counted": "compté", "cash_out": "sorties", "cash_in": "apports",
    "opening_float": "fond de caisse", "tendered": "reçu en espèces", "change": "rendu monnaie",
    "refunds": "remboursements", "gross_sales": "ventes", "returns": "retours", "tickets": "nombre de tickets",
    # archives (kiosk.archive)
    "period": "période", "file": "fichier", "archive_hash": "empreinte de l'archive",
    "file_sha256": "empreinte du fichier", "key_fingerprint": "empreinte de la clé de signature",
}


def describe_closing_path(path: str) -> str:
    leaf = path.rpartition(".")[2].split("[")[0]
    if leaf in CLOSING_LABELS:
        return f"{CLOSING_LABELS[leaf]} ({path})"
    return fiscal.describe_path(path)


CLOSING_COLUMNS = ("register, number, kind, period_start, period_end, session, created_at, operator, first_ticket, "
                   "last_ticket, figures, checks, difference, perpetual_total, perpetual_absolute, training, "
                   "canonical, prev_hash, hash")


def _closings(conn: sqlite3.Connection) -> list[ChainReport]:
    try:
        rows = conn.execute(f"SELECT {CLOSING_COLUMNS} FROM closing ORDER BY register, number").fetchall()
    except sqlite3.OperationalError:  # a database from before closings
        return []
    return closing_chain(rows, session_check=lambda *a: _check_session_rows(conn, *a),
                         tickets_check=lambda *a: _check_closed_tickets(conn, *a))


def _check_closed_tickets(conn, problem, what, number, register, first, last, figures) -> None:
    """A closing seals how many tickets it counted and their total: tickets rewritten afterwards with
    their hashes recomputed (the chain then holds) still disagree with it."""
    if "tickets" not in figures or "total" not in figures:
        return
    count, total = conn.execute("SELECT count(*), coalesce(sum(total), 0) FROM ticket WHERE register = ? "
                                "AND number BETWEEN ? AND ?", (register, first, last)).fetchone()
    if (count, total) != (figures["tickets"], figures["total"]):
        problem(number, "figures.total",
                f"{what} n° {number} : les tickets n° {first} à {last} font {count} ticket(s) pour "
                f"{_eur(total)}, la clôture en a scellé {figures['tickets']} pour {_eur(figures['total'])} : "
                "tickets modifiés après la clôture")


def _eur(cents: int) -> str:
    from commerce.money import format_eur
    return format_eur(cents)


def closing_chain(rows, anchored: bool = False, session_check=None, tickets_check=None) -> list[ChainReport]:
    """Closings (CLOSING_COLUMNS, figures and checks as stored text or decoded) in (register, number)
    order. `session_check(problem, what, number, register, session, figures)` also checks a sound Z
    against its session's rows (the database has them; an archive does not); `tickets_check(problem,
    what, number, register, first, last, figures)` a sound closing against the tickets it counted."""
    from .sessions import KIND_LABELS, canonical_closing, closing_record

    def canonical(row):
        (register, number, kind, p_start, p_end, session, created_at, operator, first, last, figures, checks,
         difference, perpetual_total, perpetual_absolute, training) = row[:16]
        record = closing_record(register, number, kind, p_start, p_end, session, created_at, operator, first,
                                last, _decoded(figures), _decoded(checks), difference, perpetual_total,
                                perpetual_absolute, bool(training))
        return canonical_closing(record)

    def after_sound(problem, what, row):
        if session_check is not None and row[2] == "Z":  # the session's float and movements, as sealed
            session_check(problem, what, row[1], row[0], row[5], _decoded(row[10]))
        if tickets_check is not None and row[8] is not None:  # its tickets, still what it counted
            tickets_check(problem, what, row[1], row[0], row[8], row[9], _decoded(row[10]))

    return sealed_chain("closings", rows, lambda row: KIND_LABELS.get(row[2], "clôture"), canonical,
                        ("figures", "chiffres illisibles"), anchored, after_sound)


def sealed_chain(kind: str, rows, what_of, canonical_of, unreadable: tuple[str, str], anchored: bool = False,
                 after_sound=None) -> list[ChainReport]:
    """Chains of records that keep their sealed canonical copy (closings, archives), one per register.
    Each row starts with (register, number) and ends with (canonical, prev_hash, hash); canonical_of(row)
    recomputes the bytes from the other fields, what_of(row) names the record in French."""
    reports: dict[str, ChainReport] = {}
    state: dict[str, tuple[int, str]] = {}
    for row in rows:
        register, number = row[0], row[1]
        sealed, prev_hash, digest = row[-3:]
        report = reports.setdefault(register, ChainReport(kind, register))
        if register not in state:
            state[register] = (number - 1, prev_hash) if anchored else (0, fiscal.GENESIS)
        last_number, last_hash = state[register]
        what = what_of(row)

        def problem(n, path, message):
            if len(report.problems) < MAX_PROBLEMS:
                report.problems.append(Problem(n, path, message))

        gap = number != last_number + 1
        noun = RECORD_NAMES[kind]
        if gap:
            problem(last_number + 1, None, f"{noun} n° {last_number + 1} manquante : numérotation interrompue "
                                           f"(n° {last_number} suivi du n° {number}), {noun} supprimée ?")
        elif prev_hash != last_hash:
            problem(number, "prev_hash", f"{what} n° {number} : chaînage rompu (l'empreinte précédente "
                                         f"enregistrée n'est pas celle de la {noun} précédente)")
        report.checked += 1
        try:
            recomputed = canonical_of(row)
        except (ValueError, TypeError, KeyError):
            problem(number, unreadable[0], f"{what} n° {number} : {unreadable[1]}")
        else:
            if _chain_hash(prev_hash, recomputed) != digest:
                _name_changed_fields(problem, what, number, sealed, recomputed, prev_hash, digest,
                                     describe_closing_path)
            elif after_sound is not None:
                after_sound(problem, what, row)
        state[register] = (number, digest)
    return list(reports.values())


def _check_session_rows(conn, problem, what, number, register, session, figures) -> None:
    row = conn.execute("SELECT opening_count, opening_total FROM cash_session WHERE register = ? AND number = ?",
                       (register, session)).fetchone()
    if row is None:
        problem(number, "session", f"{what} n° {number} : session de caisse n° {session} absente, supprimée ?")
        return
    sealed_count = figures.get("opening_count", {})
    pieces = {str(p["denomination"]): p["count"] for p in sealed_count.get("pieces", [])}
    if json.loads(row[0]) != pieces or row[1] != sealed_count.get("total"):
        problem(number, "opening_count", f"{what} n° {number} : fond de caisse de la session n° {session} "
                                         "modifié après la clôture")
    moves = conn.execute("SELECT direction, amount, reason, note, operator, created_at FROM cash_movement "
                         "WHERE register = ? AND session = ? ORDER BY line_no", (register, session)).fetchall()
    sealed_moves = [(m["direction"], m["amount"], m["reason"], m["note"], m["operator"], m["at"])
                    for m in figures.get("movements", [])]
    if [tuple(m) for m in moves] != sealed_moves:
        problem(number, "movements", f"{what} n° {number} : mouvements de caisse de la session n° {session} "
                                     "modifiés ou supprimés après la clôture")


def _archives(conn: sqlite3.Connection) -> list[ChainReport]:
    from .archive import archive_chain
    return archive_chain(conn)


# -- everything --------------------------------------------------------------------------------
def verify(conn: sqlite3.Connection) -> list[ChainReport]:
    """Every chain of the database, tickets, closings, journal then archives, registers in order."""
    fast, suspicious = _fast_tickets(conn)
    registers = sorted(set(fast) | (suspicious - {"*orphans*"}))
    tickets = {r: (_exact_tickets(conn, r) if r in suspicious else fast[r]) for r in registers}
    for register, number in _outbox_orphans(conn):
        report = tickets.setdefault(register, ChainReport("tickets", register))
        if not any(p.number == number for p in report.problems) and len(report.problems) < MAX_PROBLEMS:
            report.problems.append(Problem(number, None, f"ticket n° {number} absent de la base alors "
                                                         "qu'il figure dans la file d'envoi : supprimé ?"))
    if "*orphans*" in suspicious:  # lines, VAT rows or payments whose ticket is gone
        for table in ("ticket_line", "ticket_vat", "payment"):
            n = conn.execute(f"SELECT count(*) FROM {table} WHERE ticket_id NOT IN (SELECT id FROM ticket)"
                             ).fetchone()[0]
            if n:
                report = next(iter(tickets.values()), None) or tickets.setdefault("?", ChainReport("tickets", "?"))
                report.problems.append(Problem(None, table, f"{n} ligne(s) de {table} sans ticket : "
                                                         "ticket supprimé ?"))
    for report in tickets.values():
        report.problems.sort(key=lambda p: (p.number is None, p.number or 0))
    closings = sorted(_closings(conn), key=lambda r: r.register)
    journal = sorted(_journal(conn), key=lambda r: r.register)
    archives = sorted(_archives(conn), key=lambda r: r.register)
    return [tickets[r] for r in sorted(tickets)] + closings + journal + archives


def open_readonly(path: str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)
