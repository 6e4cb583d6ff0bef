"""Kiosks (devices) allowed to sync, and their bearer tokens (stored as SHA-256 only)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from .db import device


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
        row = conn.execute(select(device.c.id).where(device.c.code == code)).first()
        if row is None:
            conn.execute(insert(device).values(code=code, register=register, name=name or code,
                                               token_sha256=digest, last_seq=0))
        else:
            conn.execute(update(device).where(device.c.id == row.id)
                         .values(register=register, name=name or code, token_sha256=digest))
    return token


def device_for_token(engine: Engine, token: str | None) -> Optional[Device]:
    """The device holding this token, or None (missing, empty or unknown token)."""
    if not token:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(device).where(device.c.token_sha256 == hash_token(token))).first()
    if row is None or not secrets.compare_digest(row.token_sha256, hash_token(token)):
        return None
    return Device(row.id, row.code, row.register, row.name, row.last_seen_at, row.last_seq)
