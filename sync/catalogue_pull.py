"""Back office -> kiosk: the catalogue, read from a server cursor and applied batch by batch."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Callable

from commerce.catalogue import Product

from .pusher import PushError


def pull_catalogue(base_url: str, token: str, after: str, apply: Callable[[list[Product], str], int],
                   limit: int = 5000, timeout: float = 10.0) -> int:
    """Fetch every product changed since `after`; `apply(products, cursor)` stores each batch."""
    total = 0
    while True:
        url = f"{base_url.rstrip('/')}/api/v1/catalogue?" + urllib.parse.urlencode({"after": after, "limit": limit})
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                body = json.loads(resp.read())
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise PushError(f"catalogue non mis à jour : back-office injoignable ({getattr(e, 'reason', e)})") from None
        products = [Product(p["gtin"], p["name"], p["price"], p["vat_rate"], p.get("category") or "")
                    for p in body["products"]]
        if not products:
            return total
        after = str(body["next"])
        total += apply(products, after)
