"""Who is at the register: operators, badges, PINs, sign-in throttling and manager approval.

Pure rules, no I/O: every function here takes what it needs (the operators, the sign-in history,
`now`) and returns records and events; the register's service stores them and journals the events.

Glossary: opérateur = operator, élève = student (role "cashier", caissier), professeur = teacher
(role "manager", responsable), badge = badge, code (PIN) = PIN, connexion = sign-in,
déconnexion = sign-out, accord du responsable = manager approval.

Badges
    A badge is an EAN-13 barcode kept as a 13-digit string: "04" + 10 digits + the EAN check digit.
    GS1 prefix 04 is a Restricted Circulation Number "for use within a company" (GS1 General
    Specifications, GS1 Prefix table): no traded product carries it, and our in-store price/weight
    codes use 02 and 20-29 (`commerce.instore`), so a badge can never be mistaken for an item.
    EAN-13 rather than Code128 because every scanner and printer here already reads and prints it,
    it is digits only (so the AZERTY repair of the keyboard-wedge scanner applies), and its check
    digit catches a misread. A scanner may send an EAN-13 that starts with 0 as a 12-digit UPC-A
    ("40000000001x"); `badge_key` puts the leading zero back, so both readings find the same badge.
    Real badges come from `new_badge()` (10 random digits); the demo badges are sequential.

PINs
    4 to 8 digits; a manager's PIN has at least 6 (a manager's PIN unlocks manager approvals).
    Stored only as "pbkdf2_sha256$<iterations>$<salt, base64>$<hash, base64>": PBKDF2-HMAC-SHA256
    from the standard library, a random 16-byte salt per PIN, the iteration count stored with the
    hash so it can be raised later (`needs_rehash` says when a stored hash is below the current
    count; re-hash at the next successful sign-in). Compared in constant time (hmac.compare_digest).
    A PIN of 4 digits cannot resist an offline search of the hashes whatever the hash; what protects
    it is that the hashes stay in the kiosk's store and that guesses at the register are slowed down.

Sign-in (connexion)
    A badge scan signs its holder in. A PIN signs in the operator chosen on the screen (a PIN alone
    does not say whose account is being tried, and wrong PINs are counted per operator).
    Wrong attempts are slowed down by `throttle`, a pure function of the history and `now`:
      * per operator: the failures since that operator's last successful sign-in (any register);
        FREE_FAILURES (3) are free, then the next attempt must wait 2 s after the 3rd failure,
        4 s after the 4th, 8 s after the 5th ... doubling, capped at MAX_DELAY (300 s, 5 min),
        counted from the last failure. A success (badge or PIN) resets the count.
      * per register: guesses (wrong PIN, unknown badge) at that register within the last REGISTER_WINDOW
        (15 min), so that trying a few PINs on each of many accounts is slowed down too;
        REGISTER_FREE_FAILURES (10) are free, then the same doubling schedule. This count is not
        reset by a success: otherwise a student could reset it by signing in as themselves between
        guesses. Manager approvals by PIN count here too.
    An attempt made while a wait is running is not checked and not counted (no event).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import math
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Callable, Iterable, Mapping, Optional, Sequence

from .errors import CommerceError
from .gtin import check_digit

# --- roles -------------------------------------------------------------------------------------

CASHIER = "cashier"  # élève
MANAGER = "manager"  # professeur
ROLES = {CASHIER: "élève", MANAGER: "professeur"}

# --- PIN hashing -------------------------------------------------------------------------------

PIN_SCHEME = "pbkdf2_sha256"
PIN_ITERATIONS = 600_000  # OWASP 2023 figure for PBKDF2-HMAC-SHA256; ~0.2 s on a kiosk
SALT_BYTES = 16
PIN_MIN, PIN_MAX = 4, 8
MANAGER_PIN_MIN = 6
_PIN = re.compile(r"^[0-9]+$")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def check_pin_format(pin: str, role: str = CASHIER) -> str:
    """The PIN as typed, or a French refusal. Digits only, 4 to 8 (6 to 8 for a manager)."""
    text = pin if isinstance(pin, str) else ""
    low = MANAGER_PIN_MIN if role == MANAGER else PIN_MIN
    if not (_PIN.match(text) and text.isascii() and low <= len(text) <= PIN_MAX):
        who = "d'un professeur " if role == MANAGER else ""
        raise CommerceError(f"code {who}refusé : il doit avoir de {low} à {PIN_MAX} chiffres")
    return text


def hash_pin(pin: str, *, iterations: int = PIN_ITERATIONS, salt: Optional[bytes] = None) -> str:
    """The string to store for a PIN: scheme, iterations, salt and hash. Never contains the PIN."""
    if not isinstance(pin, str) or not pin:
        raise CommerceError("code vide")
    if iterations < 1:
        raise CommerceError(f"nombre d'itérations « {iterations} » refusé")
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode("utf-8"), salt, iterations)
    return f"{PIN_SCHEME}${iterations}${_b64(salt)}${_b64(digest)}"


def _parse_hash(stored: str) -> tuple[int, bytes, bytes]:
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != PIN_SCHEME:
            raise ValueError(scheme)
        return int(iterations), base64.b64decode(salt, validate=True), base64.b64decode(digest, validate=True)
    except (ValueError, AttributeError) as exc:
        raise CommerceError("empreinte de code illisible : elle doit être « pbkdf2_sha256$itérations$sel$empreinte »") from exc


def check_pin(stored: str, pin: str) -> bool:
    """True if `pin` is the PIN `stored` was made from. Constant-time comparison of the hashes."""
    iterations, salt, digest = _parse_hash(stored)
    if not isinstance(pin, str):
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", pin.encode("utf-8"), salt, iterations, len(digest))
    return hmac.compare_digest(candidate, digest)


def needs_rehash(stored: str, iterations: int = PIN_ITERATIONS) -> bool:
    """True if the stored hash uses fewer iterations than today's setting (re-hash on next sign-in)."""
    return _parse_hash(stored)[0] < iterations


# --- badges ------------------------------------------------------------------------------------

BADGE_PREFIX = "04"
# Badges keep 040–046: 047–049 are cards (commerce.cards: credit notes, gift cards, loyalty).
MAX_BADGE_NUMBER = 7 * 10**9
_DIGITS = re.compile(r"^[0-9]+$")


def make_badge(number: int) -> str:
    """The badge with this 10-digit number: "04" + number (zero-padded) + EAN-13 check digit."""
    if not isinstance(number, int) or not 0 <= number < MAX_BADGE_NUMBER:
        raise CommerceError(f"numéro de badge « {number} » refusé : de 0 à {MAX_BADGE_NUMBER - 1}")
    body = f"{BADGE_PREFIX}{number:010d}"
    return body + check_digit(body)


def new_badge(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """A fresh badge with a random number (so a neighbour's badge cannot be guessed from one's own)."""
    return make_badge(randbelow(MAX_BADGE_NUMBER))


def badge_key(code: str) -> str:
    """The 13-digit badge a scan stands for, or a French refusal. Leading zeros are kept.

    Accepts the EAN-13 ("04…", 13 digits) and its UPC-A reading (12 digits, the leading 0 dropped).
    """
    text = str(code).strip()
    if not text:
        raise CommerceError("badge vide")
    if not (_DIGITS.match(text) and text.isascii()):
        raise CommerceError(f"badge « {text} » refusé : il ne doit contenir que des chiffres")
    if len(text) == 12:
        text = "0" + text
    if len(text) != 13 or not text.startswith(BADGE_PREFIX) or int(text[2:12]) >= MAX_BADGE_NUMBER:
        raise CommerceError(f"code-barres {code} : ce n'est pas un badge (un badge a 13 chiffres et commence par 04)")
    if check_digit(text[:12]) != text[12]:
        raise CommerceError(
            f"badge {text} refusé : la clé de contrôle devrait être {check_digit(text[:12])} (lu {text[12]})"
        )
    return text


def is_badge(code: str) -> bool:
    """True if a scan is a badge (so the register signs in rather than looking up a product)."""
    try:
        badge_key(code)
    except CommerceError:
        return False
    return True


# --- operators ---------------------------------------------------------------------------------

_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class Operator:
    """What the store keeps for an operator (all fields plain str/bool: dataclasses.asdict stores it)."""

    id: str
    name: str  # display name, e.g. "Léa Martin"
    role: str  # CASHIER or MANAGER
    badge: str  # 13-digit badge key, leading zeros kept
    pin_hash: str = field(repr=False)  # see hash_pin; never the PIN
    active: bool = True

    @property
    def role_label(self) -> str:
        return ROLES[self.role]

    @property
    def is_manager(self) -> bool:
        return self.role == MANAGER


def create_operator(id: str, name: str, role: str, badge: str, pin: str, *,
                    iterations: int = PIN_ITERATIONS, salt: Optional[bytes] = None) -> Operator:
    """Check every field and return the record to store (the PIN only as its salted hash)."""
    if not isinstance(id, str) or not id.strip():
        raise CommerceError("identifiant vide")
    if not _ID.match(id):
        raise CommerceError(f"identifiant « {id} » refusé : de 1 à 32 lettres, chiffres, - ou _")
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        raise CommerceError("nom vide")
    if len(name) > 60:
        raise CommerceError(f"nom « {name} » refusé : de 1 à 60 caractères")
    if role not in ROLES:
        raise CommerceError(f"rôle « {role} » refusé : {CASHIER} (élève) ou {MANAGER} (professeur)")
    pin = check_pin_format(pin, role)
    return Operator(id=id, name=name, role=role, badge=badge_key(badge),
                    pin_hash=hash_pin(pin, iterations=iterations, salt=salt))


def with_pin(operator: Operator, pin: str, *, iterations: int = PIN_ITERATIONS) -> Operator:
    """The same operator with a new PIN (or the same PIN re-hashed with more iterations)."""
    pin = check_pin_format(pin, operator.role)
    return Operator(operator.id, operator.name, operator.role, operator.badge,
                    hash_pin(pin, iterations=iterations), operator.active)


def check_unique(operators: Iterable[Operator]) -> None:
    """Refuse two operators with the same id or the same badge."""
    ids: dict[str, Operator] = {}
    badges: dict[str, Operator] = {}
    for op in operators:
        if op.id in ids:
            raise CommerceError(f"identifiant « {op.id} » en double ({ids[op.id].name} et {op.name})")
        if op.badge in badges:
            raise CommerceError(f"badge {op.badge} en double ({badges[op.badge].name} et {op.name})")
        ids[op.id] = badges[op.badge] = op


def find_by_badge(operators: Iterable[Operator], code: str) -> Optional[Operator]:
    """The operator holding this badge (scan as EAN-13 or UPC-A), or None. Bad codes are refused."""
    key = badge_key(code)
    for op in operators:
        if op.badge == key:
            return op
    return None


def find_by_id(operators: Iterable[Operator], operator_id: str) -> Optional[Operator]:
    for op in operators:
        if op.id == operator_id:
            return op
    return None


# --- events ------------------------------------------------------------------------------------

SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_OUT = "sign_out"
APPROVAL = "approval"
APPROVAL_REFUSED = "approval_refused"
EVENT_KINDS = {
    SIGN_IN: "connexion",
    SIGN_IN_FAILED: "échec de connexion",
    SIGN_OUT: "déconnexion",
    APPROVAL: "accord du professeur",
    APPROVAL_REFUSED: "accord refusé",
}
FAILURE_KINDS = {SIGN_IN_FAILED, APPROVAL_REFUSED}
# Failures that may be guesses, and so are slowed down. A cashier showing their own badge for an
# approval, or a disabled account, is refused but is no guess.
GUESS_REASONS = {"wrong_pin", "unknown_badge", "unknown_operator"}


def _is_guess(event: Event) -> bool:
    return event.kind in FAILURE_KINDS and event.details.get("reason") in GUESS_REASONS


@dataclass(frozen=True)
class Event:
    """An entry for the register's journal. `operator` is an operator id, or None if unknown.

    details: method ("badge" or "pin"), reason of a failure (unknown_badge, unknown_operator,
    wrong_pin, inactive, not_manager), action of an approval. Never a PIN.
    """

    kind: str
    operator: Optional[str]
    register: str
    at: datetime
    details: Mapping[str, str] = field(default_factory=dict)


def sign_out(operator: Operator, register: str, now: datetime) -> Event:
    return Event(SIGN_OUT, operator.id, register, now, {})


# --- throttling --------------------------------------------------------------------------------

FREE_FAILURES = 3
REGISTER_FREE_FAILURES = 10
REGISTER_WINDOW = timedelta(minutes=15)
FIRST_DELAY = 2  # seconds
MAX_DELAY = 300  # seconds (5 min)


def delay_after(failures: int, free: int = FREE_FAILURES) -> int:
    """Seconds to wait after the last of `failures` failures: 0 while free, then 2, 4, 8 … ≤ 300."""
    if failures < free:
        return 0
    exponent = failures - free
    if exponent >= 9:  # 2 * 2**8 = 512 > 300 already; no huge integers
        return MAX_DELAY
    return min(FIRST_DELAY * 2**exponent, MAX_DELAY)


def format_wait(seconds: int) -> str:
    """French: "1 seconde", "8 secondes", "1 minute", "4 min 16 s", "5 minutes"."""
    if seconds < 60:
        return f"{seconds} seconde" + ("s" if seconds > 1 else "")
    minutes, rest = divmod(seconds, 60)
    if rest == 0:
        return f"{minutes} minute" + ("s" if minutes > 1 else "")
    return f"{minutes} min {rest} s"


@dataclass(frozen=True)
class Throttle:
    """Either allowed (wait_seconds == 0, message "") or "wait X seconds" with a French message."""

    wait_seconds: int = 0
    message: str = ""

    @property
    def allowed(self) -> bool:
        return self.wait_seconds == 0


ALLOWED = Throttle()


def _remaining(last: datetime, delay: int, now: datetime) -> int:
    # min(): a clock set back after a failure never makes the wait longer than the delay itself
    return max(0, min(delay, math.ceil(delay - (now - last).total_seconds()))) if delay else 0


def operator_failures(history: Iterable[Event], operator_id: str) -> list[Event]:
    """The operator's wrong PINs since their last successful sign-in (history in time order)."""
    failures: list[Event] = []
    for event in history:
        if event.operator != operator_id:
            continue
        if event.kind == SIGN_IN:
            failures = []
        elif event.kind == SIGN_IN_FAILED and _is_guess(event):
            failures.append(event)
    return failures


def register_failures(history: Iterable[Event], register: str, now: datetime) -> list[Event]:
    """Guesses at the register (wrong PINs, unknown badges, sign-in or approval) within the last
    REGISTER_WINDOW, whatever succeeded in between."""
    since = now - REGISTER_WINDOW
    return [e for e in history if e.register == register and _is_guess(e) and since < e.at <= now]


def throttle(history: Sequence[Event], register: str, now: datetime,
             operator: Optional[Operator] = None) -> Throttle:
    """May an attempt be made now at `register` (for `operator`, if the screen named one)?

    history: the journal's sign-in events, oldest first. Pure: same history and `now`, same answer.
    """
    waits: list[Throttle] = []
    at_register = register_failures(history, register, now)
    wait = _remaining(at_register[-1].at, delay_after(len(at_register), REGISTER_FREE_FAILURES), now) \
        if at_register else 0
    if wait:
        waits.append(Throttle(wait, f"Trop d'essais erronés sur la caisse {register} : "
                                    f"réessayez dans {format_wait(wait)}."))
    if operator is not None:
        mine = operator_failures(history, operator.id)
        wait = _remaining(mine[-1].at, delay_after(len(mine)), now) if mine else 0
        if wait:
            waits.append(Throttle(wait, f"Trop de codes erronés pour {operator.name} : "
                                        f"réessayez dans {format_wait(wait)}."))
    return max(waits, key=lambda t: t.wait_seconds) if waits else ALLOWED


# --- sign-in -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    """Outcome of an attempt: the operator now signed in (or None), the event to journal (None when
    the attempt was not even checked because of a wait) and a French message for the screen."""

    operator: Optional[Operator]
    event: Optional[Event]
    message: str
    wait_seconds: int = 0

    @property
    def ok(self) -> bool:
        return self.operator is not None


def _failed(register: str, now: datetime, operator: Optional[Operator], method: str, reason: str,
            message: str, **extra: str) -> SignIn:
    event = Event(SIGN_IN_FAILED, operator.id if operator else None, register, now,
                  {"method": method, "reason": reason, **extra})
    return SignIn(None, event, message)


def _success(op: Operator, register: str, now: datetime, method: str) -> SignIn:
    event = Event(SIGN_IN, op.id, register, now, {"method": method, "role": op.role})
    return SignIn(op, event, f"Bonjour {op.name} ({op.role_label}).")


def sign_in_badge(operators: Sequence[Operator], code: str, register: str,
                  history: Sequence[Event], now: datetime) -> SignIn:
    """A badge scan. A code that is not a badge at all raises CommerceError (nothing to journal)."""
    key = badge_key(code)
    gate = throttle(history, register, now)
    if not gate.allowed:
        return SignIn(None, None, gate.message, gate.wait_seconds)
    op = find_by_badge(operators, key)
    if op is None:
        return _failed(register, now, None, "badge", "unknown_badge",
                       f"Badge {key} inconnu : demandez à votre professeur.", badge=key)
    if not op.active:
        return _failed(register, now, op, "badge", "inactive",
                       f"Le badge de {op.name} est désactivé : demandez à votre professeur.")
    return _success(op, register, now, "badge")


def sign_in_pin(operators: Sequence[Operator], operator_id: str, pin: str, register: str,
                history: Sequence[Event], now: datetime) -> SignIn:
    """A PIN typed for the operator chosen on the screen."""
    op = find_by_id(operators, operator_id)
    gate = throttle(history, register, now, op)
    if not gate.allowed:
        return SignIn(None, None, gate.message, gate.wait_seconds)
    if op is None:
        return _failed(register, now, None, "pin", "unknown_operator",
                       f"Opérateur « {operator_id} » inconnu.", operator_id=str(operator_id)[:32])
    if not op.active:
        return _failed(register, now, op, "pin", "inactive",
                       f"Le compte de {op.name} est désactivé : demandez à votre professeur.")
    if not str(pin or "").strip():  # Entrée alone (or a scan taken out of the field) is no attempt: not counted
        return SignIn(None, None, f"{op.name} : tapez votre code, puis Entrée")
    if not check_pin(op.pin_hash, pin):
        failures = len(operator_failures(history, op.id)) + 1
        left = FREE_FAILURES - failures
        hint = (f"encore {left} essai{'s' if left > 1 else ''} avant une attente." if left > 0
                else f"prochain essai dans {format_wait(delay_after(failures))}.")
        return _failed(register, now, op, "pin", "wrong_pin",
                       f"Code erroné pour {op.name} : {hint}", failures=str(failures))
    return _success(op, register, now, "pin")


# --- manager approval (accord du professeur) ---------------------------------------------------

PRICE_OVERRIDE = "price_override"
REFUND_WITHOUT_TICKET = "refund_without_ticket"
OPEN_DRAWER = "open_drawer_no_sale"
CANCEL_TICKET = "cancel_ticket_with_lines"
APPROVAL_ACTIONS = {
    PRICE_OVERRIDE: "modifier un prix",
    REFUND_WITHOUT_TICKET: "rembourser sans ticket",
    OPEN_DRAWER: "ouvrir le tiroir sans vente",
    CANCEL_TICKET: "annuler un ticket qui contient des articles",
}


@dataclass(frozen=True)
class Approval:
    """Stored with the action it allows: which action, who approved, when, how, where."""

    action: str
    approver: str  # operator id of the manager
    approver_name: str
    at: datetime
    method: str  # "badge" or "pin"
    register: str = ""
    requested_by: Optional[str] = None  # operator id of the cashier who asked


class ApprovalRefused(CommerceError):
    """A refused approval. str() is the French message; `.event` is to be journaled (None if the
    attempt was not checked because of a wait)."""

    def __init__(self, message: str, event: Optional[Event]):
        super().__init__(message)
        self.event = event


def approve(action: str, manager_badge_or_pin: str, operators: Sequence[Operator], now: datetime, *,
            register: str = "", requested_by: Optional[str] = None,
            history: Sequence[Event] = ()) -> Approval:
    """A manager's badge or PIN, on the spot, for `action` (a key of APPROVAL_ACTIONS).

    Returns the Approval to store with the action, or raises ApprovalRefused (a CommerceError)
    naming the action: a cashier's badge, an unknown badge, a PIN that is no manager's.
    A 12- or 13-digit code is read as a badge, anything else as a PIN. PIN attempts are throttled
    at the register (pass `history`), as sign-ins are: refused approvals count as failures.
    """
    if action not in APPROVAL_ACTIONS:
        raise CommerceError(f"action « {action} » inconnue : {', '.join(sorted(APPROVAL_ACTIONS))}")
    label = APPROVAL_ACTIONS[action]
    code = str(manager_badge_or_pin).strip()
    method = "badge" if len(code) in (12, 13) else "pin"

    def refused(message: str, reason: str, op: Optional[Operator] = None) -> ApprovalRefused:
        event = Event(APPROVAL_REFUSED, op.id if op else None, register, now,
                      {"action": action, "method": method, "reason": reason, **(
                          {"requested_by": requested_by} if requested_by else {})})
        return ApprovalRefused(message, event)

    gate = throttle(history, register, now)
    if not gate.allowed:
        raise ApprovalRefused(f"Accord pour {label} impossible pour l'instant : {gate.message}",
                              None)
    if method == "badge":
        op = find_by_badge(operators, code)  # a malformed badge raises CommerceError
        if op is None:
            raise refused(f"Badge inconnu : il faut le badge d'un professeur pour {label}.",
                          "unknown_badge")
        if not op.is_manager:
            raise refused(f"{op.name} est {op.role_label} : il faut le badge d'un professeur pour "
                          f"{label}.", "not_manager", op)
    else:
        op = next((m for m in operators if m.is_manager and check_pin(m.pin_hash, code)), None)
        if op is None:
            raise refused(f"Code erroné : il faut le code d'un professeur pour {label}.", "wrong_pin")
    if not op.active:
        raise refused(f"Le compte de {op.name} est désactivé : il ne peut pas autoriser {label}.",
                      "inactive", op)
    return Approval(action, op.id, op.name, now, method, register, requested_by)


def approval_event(approval: Approval) -> Event:
    """The journal entry for a granted approval."""
    details = {"action": approval.action, "method": approval.method}
    if approval.requested_by:
        details["requested_by"] = approval.requested_by
    return Event(APPROVAL, approval.approver, approval.register, approval.at, details)


# --- demo class --------------------------------------------------------------------------------

# (id, name, role, badge number, PIN). Listed in the README for the demo; never use them for real.
DEMO_OPERATORS = (
    ("eleve1", "Léa Martin", CASHIER, 1, "1111"),
    ("eleve2", "Hugo Bernard", CASHIER, 2, "2222"),
    ("eleve3", "Inès Dubois", CASHIER, 3, "3333"),
    ("eleve4", "Nathan Petit", CASHIER, 4, "4444"),
    ("eleve5", "Chloé Moreau", CASHIER, 5, "5555"),
    ("prof", "Mme Laurent", MANAGER, 99, "246810"),
)
# Badges: make_badge(n) -> 0400000000015, 0400000000022, 0400000000039, 0400000000046,
# 0400000000053 for the students, 0400000000992 for the teacher.


@lru_cache(maxsize=None)
def demo_class(iterations: int = PIN_ITERATIONS) -> tuple[Operator, ...]:
    """The demo class: 5 students and 1 teacher with the badges and PINs of DEMO_OPERATORS.

    Badges and PINs are fixed; the salts are random (made once per process, as hashing is slow).
    Tests of other rules may ask for fewer iterations to run faster.
    """
    return tuple(create_operator(i, name, role, make_badge(n), pin, iterations=iterations)
                 for i, name, role, n, pin in DEMO_OPERATORS)
