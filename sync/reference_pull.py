"""Back office -> kiosk: the reference data (operators, customers, pricelists, promotions), read from
the server cursor of GET /api/v1/reference and applied batch by batch (kiosk.reference)."""
from __future__ import annotations

from typing import Callable

from .catalogue_pull import get_json


def pull_reference(base_url: str, token: str, after: str, apply: Callable[[list[dict], str], object],
                   limit: int = 500, timeout: float = 10.0) -> int:
    """Fetch every record published since `after`; `apply(records, cursor)` stores each batch."""
    total = 0
    while True:
        body = get_json(base_url, "/api/v1/reference", {"after": after, "limit": limit}, token, timeout,
                        "référentiel non mis à jour")
        records = body["records"]
        if not records:
            return total
        after = str(body["next"])
        apply(records, after)
        total += len(records)
