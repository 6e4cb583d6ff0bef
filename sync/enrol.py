"""Kiosk side of enrolment: exchange the teacher's one-time code for this kiosk's own token."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from .pusher import PushError


def enrol(base_url: str, code: str, timeout: float = 10.0) -> dict:
    """POST /api/v1/sync/enrol -> {"device", "register", "token"}; PushError (French) when refused."""
    req = urllib.request.Request(
        base_url.rstrip("/") + "/api/v1/sync/enrol", data=json.dumps({"code": code}).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as e:
        try:
            detail = json.loads(e.read()).get("detail", "")
        except ValueError:
            detail = ""
        raise PushError(f"enrôlement refusé ({e.code}) : {detail}") from None
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise PushError(f"back-office injoignable à {base_url} ({getattr(e, 'reason', e)})") from None
