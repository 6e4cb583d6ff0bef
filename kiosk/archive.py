"""Fiscal archives of a kiosk store (NF525 "archiving" principle): `comptoir fiscal archive` writes one
register's closed calendar month as a signed JSON file; `comptoir fiscal verify ARCHIVE.json` checks
such a file offline, with no database.

The archive (format: kiosk/archive.schema.json, rules: commerce.archive) holds every ticket of the
month with all its stored columns and hashes, the closings whose period ends in the month (and any
closing numbered between them, so that their chain has no gap), the month's journal entries, the
first and last number of each sequence and the totals. It is sealed by the SHA-256 of its canonical
JSON (everything but "seal") and an Ed25519 signature of the same bytes, made with the register's
key: generated on first use beside the kiosk database (`<base>-signature-caisse-<N>.key`, mode 0600,
and its public half `….pub`, PEM); the public key and its fingerprint are in the signed part.

Archives have their own gap-free numbers per register. Each one is recorded, in the transaction that
numbers it, in the chained table fiscal_archive (append-only: triggers, as kiosk.store does for
tickets) and as a journal entry of kind "archive" (number, period, file, archive and file hashes, key
fingerprint), so `comptoir fiscal verify` checks it with the other chains.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import sqlite3
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Optional

from commerce import archive as rules
from commerce import fiscal

from . import journal
from .fiscal_verify import (CLOSING_COLUMNS, ChainReport, Problem, closing_chain, journal_chain, sealed_chain,
                            ticket_chain)

SCHEMA_FILE = Path(__file__).with_name("archive.schema.json")


class ArchiveError(Exception):
    """A usage or file problem (French message): missing database, unknown register, unusable key."""


# -- the chain of archives in the store --------------------------------------------------------------
# Executed statement by statement, inside the caller's transaction (as kiosk.sessions does).
TABLE = (
    """CREATE TABLE IF NOT EXISTS fiscal_archive (
        register TEXT NOT NULL,
        number INTEGER NOT NULL,          -- gap-free per register, from 1
        period TEXT NOT NULL,             -- the month archived, YYYY-MM
        created_at TEXT NOT NULL,
        operator TEXT NOT NULL,
        file TEXT NOT NULL,               -- the archive's file name
        archive_hash TEXT NOT NULL,       -- SHA-256 of the archive's canonical JSON without its seal
        file_sha256 TEXT NOT NULL,        -- SHA-256 of the file as written
        key_fingerprint TEXT NOT NULL,    -- SHA-256 of the Ed25519 public key that signed it
        first_ticket INTEGER,
        last_ticket INTEGER,
        tickets INTEGER NOT NULL,
        canonical TEXT NOT NULL,          -- canonical bytes as sealed (to tell which field changed)
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (register, number)
    )""",
) + tuple(
    f"""CREATE TRIGGER IF NOT EXISTS fiscal_archive_no_{op} BEFORE {op.upper()} ON fiscal_archive
        BEGIN SELECT RAISE(ABORT, 'enregistrement validé : modification interdite (fiscal_archive)'); END"""
    for op in ("update", "delete"))
ARCHIVE_COLUMNS = ("register, number, period, created_at, operator, file, archive_hash, file_sha256, key_fingerprint, "
                   "first_ticket, last_ticket, tickets, canonical, prev_hash, hash")


def create(conn: sqlite3.Connection) -> None:
    for statement in TABLE:
        conn.execute(statement)


def archive_record(register, number, period, timestamp, operator, file, archive_hash, file_sha256, key_fingerprint,
                   first_ticket, last_ticket, tickets) -> dict:
    """Every field an archive's row seals, as the chain hashes them (fiscal.details_json)."""
    return {"register": register, "number": number, "period": period, "timestamp": timestamp, "operator": operator,
            "file": file, "archive_hash": archive_hash, "file_sha256": file_sha256,
            "key_fingerprint": key_fingerprint, "first_ticket": first_ticket, "last_ticket": last_ticket,
            "tickets": tickets, "version": fiscal.VERSION}


def archive_chain(conn: sqlite3.Connection) -> list[ChainReport]:
    """The fiscal_archive chain of every register (for kiosk.fiscal_verify.verify)."""
    try:
        rows = conn.execute(f"SELECT {ARCHIVE_COLUMNS} FROM fiscal_archive ORDER BY register, number").fetchall()
    except sqlite3.OperationalError:  # no archive made yet
        return []
    return sealed_chain("archives", rows, lambda row: "archive",
                        lambda row: fiscal.details_json(archive_record(*row[:12])).encode("utf-8"),
                        ("archive", "champs illisibles"))


# -- the register's signing key ----------------------------------------------------------------------
@dataclass(frozen=True)
class SigningKey:
    private: object  # cryptography's Ed25519PrivateKey
    public_raw: bytes  # 32 bytes
    path: Path  # the private key file
    public_path: Path
    created: bool  # generated by this call

    @property
    def fingerprint(self) -> str:
        return key_fingerprint(self.public_raw)


def key_fingerprint(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()


def key_paths(database: str | Path, register: str) -> tuple[Path, Path]:
    db = Path(database)
    base = f"{db.stem}-signature-caisse-{_safe(register)}"
    return db.with_name(base + ".key"), db.with_name(base + ".pub")


def signing_key(database: str | Path, register: str) -> SigningKey:
    """The register's Ed25519 key, generated on first use beside the database (private file mode 0600)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path, public_path = key_paths(database, register)
    created = False
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:  # created with its final mode: never readable by others, not even for a moment
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as e:
            raise ArchiveError(f"clé de signature {path} impossible à créer ({e.strerror})") from None
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        created = True
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ArchiveError(f"clé de signature {path} lisible par d'autres utilisateurs (mode {mode:04o}) : "
                           f"elle doit rester secrète ; rendez-la privée (chmod 600 {path}) puis recommencez")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as e:
        raise ArchiveError(f"clé de signature {path} illisible ({e})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ArchiveError(f"clé de signature {path} : une clé Ed25519 est attendue")
    public = key.public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if created or not public_path.exists():
        public_path.write_bytes(public.public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo))
    return SigningKey(key, raw, path, public_path, created)


def expected_fingerprint(text: str) -> str:
    """What `--key` names: a public key file (PEM, or the raw key in base64), the raw key in base64, or
    the key's fingerprint (64 hexadecimal digits)."""
    text = text.strip()
    if re.fullmatch(r"[0-9a-fA-F]{64}", text):
        return text.lower()
    path = Path(text)
    if path.is_file():
        data = path.read_bytes()
        if b"BEGIN" in data:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
            try:
                public = serialization.load_pem_public_key(data)
            except ValueError as e:
                raise ArchiveError(f"clé publique {path} illisible ({e})") from None
            if not isinstance(public, Ed25519PublicKey):
                raise ArchiveError(f"clé publique {path} : une clé Ed25519 est attendue")
            return key_fingerprint(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
        text = data.decode("ascii", "replace").strip()
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ArchiveError(f"clé attendue « {text[:60]} » illisible : un fichier de clé publique, la clé Ed25519 en "
                           "base64 ou son empreinte (64 chiffres hexadécimaux) est attendu")
    return key_fingerprint(raw)


# -- reading the store ------------------------------------------------------------------------------
def _dicts(cursor: sqlite3.Cursor) -> list[dict]:
    """Rows as {column: value}: every stored column, including ones added by later versions."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def _tickets(conn: sqlite3.Connection, register: str, period: rules.Period) -> list[dict]:
    first, last = conn.execute(
        "SELECT min(number), max(number) FROM ticket WHERE register = ? AND created_at >= ? AND created_at < ?",
        (register, period.first.isoformat(), period.after.isoformat())).fetchone()
    if first is None:
        return []
    args = (register, first, last)
    tickets = _dicts(conn.execute("SELECT * FROM ticket WHERE register = ? AND number BETWEEN ? AND ? "
                                  "ORDER BY number", args))
    ids = "SELECT id FROM ticket WHERE register = ? AND number BETWEEN ? AND ?"
    children = {}
    for name, table, order in (("lines", "ticket_line", "line_no"), ("vat", "ticket_vat", "rate_bp DESC"),
                               ("payments", "payment", "line_no")):
        rows = children[name] = {}
        for row in _dicts(conn.execute(f"SELECT * FROM {table} WHERE ticket_id IN ({ids}) "
                                       f"ORDER BY ticket_id, {order}", args)):
            rows.setdefault(row.pop("ticket_id"), []).append(row)
    for t in tickets:
        for name, rows in children.items():
            t[name] = rows.get(t["id"], [])
    return tickets


def _closings(conn: sqlite3.Connection, register: str, period: rules.Period) -> list[dict]:
    """Closings whose period ends in the month (Z, day, month, and a fiscal year ending then), with any
    closing numbered between them so that their chain has no gap."""
    first, last = conn.execute("SELECT min(number), max(number) FROM closing WHERE register = ? AND "
                               "substr(period_end, 1, 7) = ?", (register, period.text)).fetchone()
    if first is None:
        return []
    rows = _dicts(conn.execute("SELECT * FROM closing WHERE register = ? AND number BETWEEN ? AND ? ORDER BY number",
                               (register, first, last)))
    for row in rows:  # stored as canonical JSON text: decoded, so the archive reads as data
        row["figures"], row["checks"] = json.loads(row["figures"]), json.loads(row["checks"])
    return rows


def _journal(conn: sqlite3.Connection, register: str, period: rules.Period) -> list[dict]:
    rows = _dicts(conn.execute("SELECT * FROM journal WHERE register = ? AND created_at >= ? AND created_at < ? "
                               "ORDER BY number", (register, period.first.isoformat(), period.after.isoformat())))
    for row in rows:
        row["details"] = json.loads(row["details"])
        row.pop("canonical", None)  # the archive is sealed as a whole (its own hash and signature)
    return rows


def known_registers(conn: sqlite3.Connection) -> list[str]:
    from .sessions import registers
    found = set(registers(conn))
    found |= {r for (r,) in conn.execute("SELECT DISTINCT register FROM journal")}
    return sorted(found)


def _check_store(conn: sqlite3.Connection, database) -> None:
    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    missing = {"ticket", "ticket_line", "ticket_vat", "payment", "journal", "closing"} - have
    if missing:
        raise ArchiveError(f"base {database} : ce n'est pas une base de caisse à jour "
                           f"(table(s) {', '.join(sorted(missing))} absente(s))")


def _register(conn: sqlite3.Connection, register: Optional[str], database) -> str:
    known = known_registers(conn)
    if register is None:
        if len(known) == 1:
            return known[0]
        raise ArchiveError(f"base {database} : précisez la caisse (--register N) ; caisses connues : "
                           f"{', '.join(known) if known else 'aucune'}")
    if register not in known:
        raise ArchiveError(f"caisse {register} inconnue dans la base {database} (caisses connues : "
                           f"{', '.join(known) if known else 'aucune'})")
    return register


# -- making an archive ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArchiveResult:
    number: int
    register: str
    period: rules.Period
    path: Path
    content: dict  # the archive as written
    archive_hash: str
    file_sha256: str
    key: SigningKey
    event: int  # its journal entry's number
    previous_same_period: Optional[int]  # an earlier archive of the same period, if any

    @property
    def empty(self) -> bool:
        return self.content["archive"]["empty"]


def make_archive(database: str | Path, period: rules.Period, *, register: Optional[str] = None,
                 out_dir: Optional[str | Path] = None, operator: str = "console",
                 now: Optional[datetime] = None) -> ArchiveResult:
    """Archive one register's closed month: read, sign, write the file, and record it in the chain.
    Raises CommerceError when the period is not closed, ArchiveError for the rest."""
    from .version import VERSION

    database = Path(database)
    if not database.is_file():
        raise ArchiveError(f"base {database} introuvable")
    now = (now or datetime.now()).replace(microsecond=0)
    conn = sqlite3.connect(str(database), timeout=10, isolation_level=None)
    tmp: Optional[Path] = None
    try:
        _check_store(conn, database)
        register = _register(conn, register, database)
        create(conn)
        conn.execute("BEGIN IMMEDIATE")  # numbers archives and freezes what they read
        try:
            month_closed = conn.execute(
                "SELECT 1 FROM closing WHERE register = ? AND kind = 'month' AND period_start = ?",
                (register, period.first.isoformat())).fetchone() is not None
            tickets = _tickets(conn, register, period)
            closings = _closings(conn, register, period)
            days = sum(1 for c in closings if c["kind"] == "day" and c["period_start"][:7] == period.text)
            rules.check_closed(period, now.date(), month_closed, len(tickets) + days, register)
            entries = _journal(conn, register, period)
            key = signing_key(database, register)
            last = conn.execute("SELECT number, archive_hash, hash FROM fiscal_archive WHERE register = ? "
                                "ORDER BY number DESC LIMIT 1", (register,)).fetchone()
            number = last[0] + 1 if last else 1
            same = conn.execute("SELECT max(number) FROM fiscal_archive WHERE register = ? AND period = ?",
                                (register, period.text)).fetchone()[0]
            content = _content(register, number, period, now, operator, f"Comptoir {VERSION}", tickets, closings,
                               entries, key, {"number": last[0], "archive_hash": last[1]} if last else None)
            data = (json.dumps(content, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
            out = Path(out_dir) if out_dir is not None else database.parent / "archives"
            path = out / (f"caisse-{_safe(register)}_archive-{number:04d}_{period.text}_"
                          f"{now:%Y-%m-%dT%H-%M-%S}.json")
            try:
                out.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(path.name + ".part")
                with open(tmp, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
            except OSError as e:
                raise ArchiveError(f"archive {path} impossible à écrire ({e.strerror})") from None
            file_sha256 = hashlib.sha256(data).hexdigest()
            archive_hash = content["seal"]["hash"]
            numbers = [t["number"] for t in tickets]
            first_ticket, last_ticket = (min(numbers), max(numbers)) if numbers else (None, None)
            record = archive_record(register, number, period.text, now.isoformat(), operator, path.name,
                                    archive_hash, file_sha256, key.fingerprint, first_ticket, last_ticket,
                                    len(tickets))
            canonical = fiscal.details_json(record)
            prev_hash = last[2] if last else fiscal.GENESIS
            conn.execute(f"INSERT INTO fiscal_archive({ARCHIVE_COLUMNS}) VALUES ({','.join('?' * 15)})",
                         (register, number, period.text, now.isoformat(), operator, path.name, archive_hash,
                          file_sha256, key.fingerprint, first_ticket, last_ticket, len(tickets), canonical,
                          prev_hash, fiscal.chain_hash(prev_hash, canonical.encode("utf-8"))))
            entry = journal.append(conn, "archive", register, operator, {
                "archive": number, "period": period.text, "file": path.name, "archive_hash": archive_hash,
                "file_sha256": file_sha256, "key_fingerprint": key.fingerprint, "tickets": len(tickets),
                "first_ticket": first_ticket, "last_ticket": last_ticket}, now)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        os.replace(tmp, path)
        tmp = None
        try:
            path.chmod(0o444)  # an archive is never rewritten (ignored where the medium has no modes)
        except OSError:
            pass
        return ArchiveResult(number, register, period, path, content, archive_hash, file_sha256, key, entry.number,
                             same)
    finally:
        conn.close()
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def _content(register, number, period, now, operator, software, tickets, closings, entries, key, previous) -> dict:
    month_closing = next((c for c in closings if c["kind"] == "month" and c["period_start"] == period.first.isoformat()),
                         None)
    totals = rules.totals(tickets)
    totals["grand_total"] = ({"closing": month_closing["number"], "perpetual_total": month_closing["perpetual_total"],
                              "perpetual_absolute": month_closing["perpetual_absolute"]} if month_closing else None)
    content = {
        "format": rules.FORMAT, "format_version": rules.FORMAT_VERSION,
        "archive": {
            "register": register, "number": number, "period": period.text, "period_start": period.first.isoformat(),
            "period_end": period.last.isoformat(), "created_at": now.isoformat(), "operator": operator,
            "software": software, "training": all(t["training"] for t in tickets),
            "empty": not tickets and not closings, "genesis": fiscal.GENESIS, "previous": previous,
            "signer": {"algorithm": "Ed25519", "public_key": base64.b64encode(key.public_raw).decode("ascii"),
                       "fingerprint": key.fingerprint}},
        "sequences": {"tickets": rules.sequence([t["number"] for t in tickets]),
                      "closings": rules.sequence([c["number"] for c in closings]),
                      "journal": rules.sequence([e["number"] for e in entries])},
        "totals": totals,
        "tickets": tickets, "closings": closings, "journal": entries,
    }
    body = rules.content_bytes(content)
    content["seal"] = {"hash_algorithm": "SHA-256", "hash": hashlib.sha256(body).hexdigest(),
                       "signature_algorithm": "Ed25519",
                       "signature": base64.b64encode(key.private.sign(body)).decode("ascii")}
    return content


def _safe(text: str) -> str:
    """A register name as it may appear in a file name."""
    return re.sub(r"[^A-Za-z0-9-]+", "_", str(text)) or "_"


# -- checking an archive offline -----------------------------------------------------------------------
@dataclass
class ArchiveCheck:
    path: Path
    header: Optional[dict] = None  # the archive's "archive" object, once readable
    reports: list[ChainReport] = field(default_factory=list)  # tickets, closings, journal inside it
    problems: list[Problem] = field(default_factory=list)  # the file as a whole: schema, totals, seal
    schema_ok: bool = False
    totals_ok: bool = False
    hash_ok: bool = False
    signature_ok: bool = False
    pinned: bool = False  # the signer's key was the one --key expected

    @property
    def ok(self) -> bool:
        return not self.problems and all(r.ok for r in self.reports)

    def first_problem(self) -> Optional[tuple[str, Problem]]:
        """(what, problem): the first altered record, else the first problem of the file."""
        for r in self.reports:
            if r.problems:
                return r.name, r.problems[0]
        return ("archive", self.problems[0]) if self.problems else None


def load_schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def verify_file(path: str | Path, expected_key: Optional[str] = None) -> ArchiveCheck:
    """Check an archive file on its own: schema, every record's hash chain, totals and sequences, the
    archive's hash, its signature with the embedded key (and that key against `expected_key`, a
    fingerprint, when given). Raises ArchiveError only when the file cannot be read at all."""
    path = Path(path)
    check = ArchiveCheck(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ArchiveError(f"archive {path} introuvable") from None
    except OSError as e:
        raise ArchiveError(f"archive {path} illisible ({e.strerror})") from None

    def problem(where, message):
        check.problems.append(Problem(None, where, message))

    try:
        archive = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        problem(None, f"fichier illisible : texte UTF-8 invalide à l'octet {e.start}")
        return check
    except ValueError as e:
        problem(None, f"fichier illisible : JSON invalide ligne {e.lineno}, colonne {e.colno} ({e.msg})")
        return check
    errors = rules.schema_errors(archive, load_schema())
    for where, reason in errors:
        problem(where, f"schéma : {where} : {reason}")
    if errors:
        if isinstance(archive, dict) and isinstance(archive.get("archive"), dict):
            check.header = archive["archive"]
        return check
    check.schema_ok = True
    header = check.header = archive["archive"]
    _check_records(check, archive, header["register"])
    _check_figures(check, archive, problem)
    _check_seal(check, archive, expected_key, problem)
    return check


def _check_records(check: ArchiveCheck, archive: dict, register: str) -> None:
    def fields(t):
        return lambda: fiscal.FiscalTicket(
            id=t["id"], register=t["register"], number=t["number"], timestamp=t["created_at"], operator=t["cashier"],
            lines=tuple(fiscal.FiscalLine(l["gtin13"], l["label"], l["qty"], l["unit_price"], l["ht"], l["vat_bp"],
                                          l["total"]) for l in sorted(t["lines"], key=lambda l: l["line_no"])),
            vat=tuple(fiscal.FiscalVat(v["rate_bp"], v["ht"], v["tva"], v["ttc"])
                      for v in sorted(t["vat"], key=lambda v: -v["rate_bp"])),
            total=t["total"],
            payments=tuple(fiscal.FiscalPayment(p["method"], p["amount"], p["given"], p.get("reference") or "")
                           for p in sorted(t["payments"], key=lambda p: p["line_no"])),
            corrects=(None if t["corrects_register"] is None and t["corrects_number"] is None
                      else (t["corrects_register"], t["corrects_number"])),
            training=bool(t["training"]))

    tickets, closings, entries = archive["tickets"], archive["closings"], archive["journal"]
    for kind, records in (("tickets", tickets), ("closings", closings), ("journal", entries)):
        for i, r in enumerate(records):
            if r["register"] != register:
                check.problems.append(Problem(r["number"], f"{kind}[{i}].register",
                                              f"{kind}[{i}] : caisse {r['register']} dans l'archive de la caisse "
                                              f"{register}"))
    if tickets:
        check.reports.append(ticket_chain(register, ((t["number"], t["canonical"], t["prev_hash"], t["hash"], fields(t))
                                                     for t in tickets), anchored=True))
    check.reports += closing_chain(([c[k] for k in CLOSING_COLUMNS.split(", ")] for c in closings), anchored=True)
    check.reports += journal_chain(((e["register"], e["number"], e["created_at"], e["operator"], e["kind"],
                                     e["details"], e["prev_hash"], e["hash"]) for e in entries), anchored=True)


def _check_figures(check: ArchiveCheck, archive: dict, problem) -> None:
    """Sequences, totals and the grand total against the records the archive holds."""
    header, before = archive["archive"], len(check.problems)
    for kind in ("tickets", "closings", "journal"):
        found = rules.sequence([r["number"] for r in archive[kind]])
        for key in ("first", "last", "count"):
            if archive["sequences"][kind][key] != found[key]:
                problem(f"sequences.{kind}.{key}", f"séquences : {kind}.{key} annoncé "
                                                   f"{archive['sequences'][kind][key]}, l'archive en donne {found[key]}")
    found = rules.totals(archive["tickets"])
    totals = archive["totals"]
    for key, value in found.items():
        if totals[key] != value:
            problem(f"totals.{key}", f"totaux : {key} annoncé {json.dumps(totals[key], ensure_ascii=False)}, "
                                     f"recalculé des tickets {json.dumps(value, ensure_ascii=False)}")
    month = next((c for c in archive["closings"]
                  if c["kind"] == "month" and c["period_start"] == header["period_start"]), None)
    grand = ({"closing": month["number"], "perpetual_total": month["perpetual_total"],
              "perpetual_absolute": month["perpetual_absolute"]} if month else None)
    if totals["grand_total"] != grand:
        problem("totals.grand_total", f"totaux : grand total perpétuel annoncé "
                                      f"{json.dumps(totals['grand_total'])}, clôture du mois {json.dumps(grand)}")
    for i, t in enumerate(archive["tickets"]):
        if rules.month_of(t["created_at"]) != header["period"] and t["number"] in (
                archive["sequences"]["tickets"]["first"], archive["sequences"]["tickets"]["last"]):
            problem(f"tickets[{i}].created_at", f"ticket n° {t['number']} du {t['created_at'][:10]} hors de la "
                                                f"période {header['period']}")
    check.totals_ok = len(check.problems) == before


def _check_seal(check: ArchiveCheck, archive: dict, expected_key: Optional[str], problem) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    body = rules.content_bytes(archive)
    seal, signer = archive["seal"], archive["archive"]["signer"]
    check.hash_ok = hashlib.sha256(body).hexdigest() == seal["hash"]
    if not check.hash_ok:
        problem("seal.hash", "empreinte SHA-256 de l'archive différente de celle du sceau : contenu modifié "
                             "après l'archivage")
    try:
        raw = base64.b64decode(signer["public_key"], validate=True)
    except ValueError:  # binascii.Error: bad padding
        raw = b""
    if len(raw) != 32:
        problem("archive.signer.public_key", "clé publique illisible : 32 octets attendus")
        return
    if key_fingerprint(raw) != signer["fingerprint"]:
        problem("archive.signer.fingerprint", "empreinte de la clé différente de la clé publique jointe")
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(base64.b64decode(seal["signature"]), body)
        check.signature_ok = True
    except (InvalidSignature, ValueError):
        problem("seal.signature", "signature Ed25519 invalide : l'archive a été modifiée, ou n'a pas été signée "
                                  "par la clé qu'elle annonce")
    if expected_key is not None:
        check.pinned = key_fingerprint(raw) == expected_key
        if not check.pinned:
            problem("archive.signer.public_key", f"clé de signature inattendue : empreinte {key_fingerprint(raw)}, "
                                                 f"attendue {expected_key}")
