"""Kiosks (devices) allowed to sync, and their bearer tokens (stored as SHA-256 only).

A teacher adds a kiosk (``add_device``) and reads out a one-time enrolment code; the kiosk exchanges
it (``enrol``, POST /api/v1/sync/enrol) for its own token, which only it ever sees. A code works once
and for ENROL_HOURS hours. ``revoke`` stops a kiosk: its token then gets 401, like a wrong one.
Adding a revoked or not yet enrolled kiosk again gives it a new code (the kiosk keeps its history).

``register_device`` (a token straight away, no code) is kept for the demo and the tests.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from .db import device

ENROL_HOURS = 24
# Enrolment codes are read aloud and typed: no 0/O, 1/I/L. 12 characters of 31 = 59 bits.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_DEVICE_CODE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


class DeviceError(ValueError):
    """A device operation refused; str() is French."""


class EnrolmentRefused(DeviceError):
    pass


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Device:
    id: int
    code: str
    register: str
    name: str
    last_seen_at: Optional[datetime]
    last_seq: int


def _check_register_free(conn, code: str, register: str) -> None:
    """One device per register number: a second one would number its tickets in the same sequence
    (its first ticket would clash with the register's ticket n° 1 forever)."""
    other = conn.execute(select(device.c.code).where(device.c.register == register, device.c.code != code,
                                                     device.c.revoked_at.is_(None))).first()
    if other is not None:
        raise DeviceError(f"la caisse {register} est déjà celle de l'appareil « {other.code} » : un numéro de "
                          f"caisse par appareil (choisissez un autre numéro, ou révoquez d'abord "
                          f"{other.code} : comptoir devices revoke {other.code})")


def register_device(engine: Engine, code: str, register: str, name: str = "") -> str:
    """Create the device ``code`` for register ``register``, or give it a new token.

    Returns the new token (shown once; only its SHA-256 is stored). An existing device's old
    token stops working.
    """
    code, register = code.strip(), str(register).strip()
    if not code or not register:
        raise ValueError("code et numéro de caisse obligatoires")
    token = secrets.token_urlsafe(32)
    digest = hash_token(token)
    with engine.begin() as conn:
        _check_register_free(conn, code, register)
        row = conn.execute(select(device.c.id).where(device.c.code == code)).first()
        if row is None:
            conn.execute(insert(device).values(code=code, register=register, name=name or code,
                                               token_sha256=digest, last_seq=0,
                                               created_at=datetime.now().replace(microsecond=0)))
        else:
            conn.execute(update(device).where(device.c.id == row.id)
                         .values(register=register, name=name or code, token_sha256=digest, revoked_at=None,
                                 enrol_sha256=None, enrol_expires_at=None))
    return token


def device_for_token(engine: Engine, token: str | None) -> Optional[Device]:
    """The device holding this token, or None (missing, empty, unknown or revoked token)."""
    if not token:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(device).where(device.c.token_sha256 == hash_token(token))).first()
    if row is None or row.revoked_at is not None or not secrets.compare_digest(row.token_sha256, hash_token(token)):
        return None
    return _device(row)


def _device(row) -> Device:
    return Device(row.id, row.code, row.register, row.name, row.last_seen_at, row.last_seq)


def _unknown_token() -> str:
    """The hash of a token given to nobody: the kiosk cannot sync until it enrols."""
    return hash_token(secrets.token_urlsafe(32))


def normalize_code(text: str) -> str:
    """'abcd efgh-jkmn' -> 'ABCDEFGHJKMN' (spaces and dashes are for reading it out)."""
    return re.sub(r"[\s-]", "", text or "").upper()


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def check_device_code(code: str) -> str:
    code = (code or "").strip()
    if not _DEVICE_CODE.fullmatch(code):
        raise DeviceError(f"nom d'appareil « {code[:70]} » refusé : minuscules, chiffres, « - », « _ » ou « . », "
                          "64 caractères au plus (par exemple caisse-2)")
    return code


def add_device(engine: Engine, code: str, register: str, name: str = "", now: Optional[datetime] = None) -> str:
    """Add the kiosk ``code`` for register ``register`` and return its one-time enrolment code.

    A kiosk already enrolled and not revoked is refused (revoke it first); a revoked or not yet
    enrolled one gets a new code and keeps its history.
    """
    code, register = check_device_code(code), str(register).strip()
    if not register or len(register) > 32:
        raise DeviceError("numéro de caisse obligatoire (32 caractères au plus), par exemple 2")
    now = (now or datetime.now()).replace(microsecond=0)
    enrolment = _new_code()
    values = dict(register=register, name=name or code, token_sha256=_unknown_token(),
                  enrol_sha256=hash_token(normalize_code(enrolment)),
                  enrol_expires_at=now + timedelta(hours=ENROL_HOURS), revoked_at=None)
    with engine.begin() as conn:
        _check_register_free(conn, code, register)
        row = conn.execute(select(device).where(device.c.code == code).with_for_update()).first()
        if row is None:
            conn.execute(insert(device).values(code=code, created_at=now, last_seq=0, **values))
        elif row.revoked_at is None and row.enrol_sha256 is None:
            raise DeviceError(f"l'appareil « {code} » existe déjà et il est enrôlé ; "
                              f"révoquez-le d'abord (comptoir devices revoke {code})")
        else:
            conn.execute(update(device).where(device.c.id == row.id).values(**values))
    return enrolment


def enrol(engine: Engine, enrolment_code: str, now: Optional[datetime] = None) -> tuple[Device, str]:
    """Exchange a one-time enrolment code for the kiosk's token: (device, token). The code is then used up."""
    now = now or datetime.now()
    token = secrets.token_urlsafe(32)
    digest = hash_token(normalize_code(enrolment_code))
    with engine.begin() as conn:
        done = conn.execute(
            update(device).where(device.c.enrol_sha256 == digest, device.c.enrol_expires_at > now,
                                 device.c.revoked_at.is_(None))
            .values(token_sha256=hash_token(token), enrol_sha256=None, enrol_expires_at=None))
        if done.rowcount != 1:
            raise EnrolmentRefused("code d'enrôlement inconnu, déjà utilisé ou expiré : demandez-en un nouveau "
                                   "au professeur (comptoir devices add NOM --register N)")
        row = conn.execute(select(device).where(device.c.token_sha256 == hash_token(token))).one()
    return _device(row), token


def revoke(engine: Engine, code: str, now: Optional[datetime] = None) -> None:
    """Stop the kiosk ``code``: its token and any pending enrolment code no longer work."""
    with engine.begin() as conn:
        done = conn.execute(update(device).where(device.c.code == code.strip()).values(
            revoked_at=(now or datetime.now()).replace(microsecond=0), token_sha256=_unknown_token(),
            enrol_sha256=None, enrol_expires_at=None))
        if done.rowcount != 1:
            raise DeviceError(f"appareil « {code[:70]} » inconnu du back-office")
