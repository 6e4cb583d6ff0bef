"""Read side of sync, for the devices page and the CLI: per device, when it was last seen, how far
behind it is, and the fiscal chain breaks found on ingest (no HTTP here)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from .db import chain_break, device


@dataclass(frozen=True)
class DeviceStatus:
    code: str
    register: str
    name: str
    created_at: Optional[datetime]
    enrolment_pending: bool  # added, its one-time code not used yet
    revoked_at: Optional[datetime]
    last_seen_at: Optional[datetime]  # last batch received (local time)
    last_seq: int  # every record up to this seq has been received
    head_seq: int  # the kiosk's highest seq, as it last said
    breaks: int  # fiscal chain breaks flagged for its tickets

    @property
    def behind(self) -> int:
        """Records the kiosk holds that the back office has not received yet (as of its last visit)."""
        return max(0, self.head_seq - self.last_seq)

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "révoqué"
        if self.enrolment_pending:
            return "en attente d'enrôlement"
        if self.last_seen_at is None:
            return "jamais vu"
        return "à jour" if self.behind == 0 else f"en retard de {self.behind}"


def devices(conn: Connection, code: Optional[str] = None) -> list[DeviceStatus]:
    counts = dict(conn.execute(select(chain_break.c.device_id, func.count()).group_by(chain_break.c.device_id)).all())
    stmt = select(device).order_by(device.c.register, device.c.code)
    if code is not None:
        stmt = stmt.where(device.c.code == code)
    return [DeviceStatus(d.code, d.register, d.name, d.created_at, d.enrol_sha256 is not None, d.revoked_at,
                         d.last_seen_at, int(d.last_seq), int(d.head_seq), int(counts.get(d.id, 0)))
            for d in conn.execute(stmt)]


def device_status(conn: Connection, code: str) -> Optional[DeviceStatus]:
    found = devices(conn, code)
    return found[0] if found else None


def chain_breaks(conn: Connection, register: Optional[str] = None, device_code: Optional[str] = None,
                 limit: int = 200) -> list[dict]:
    """Breaks, newest first: {register, number, ticket_id, device, reason, detected_at}."""
    stmt = (select(chain_break.c.register, chain_break.c.number, chain_break.c.ticket_id,
                   device.c.code.label("device"), chain_break.c.reason, chain_break.c.detected_at)
            .join(device, device.c.id == chain_break.c.device_id)
            .order_by(chain_break.c.id.desc()).limit(limit))
    if register is not None:
        stmt = stmt.where(chain_break.c.register == register)
    if device_code is not None:
        stmt = stmt.where(device.c.code == device_code)
    return [dict(r._mapping) for r in conn.execute(stmt)]
