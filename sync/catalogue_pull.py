"""Back office -> kiosk: the catalogue, read from a server cursor and applied batch by batch."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Callable

from commerce.catalogue import Product

from .pusher import PushError


def get_json(base_url: str, path: str, params: dict, token: str, timeout: float, what: str) -> dict:
    """GET a page of a server cursor with the kiosk's token; PushError (French, with `what`) if it fails."""
    url = f"{base_url.rstrip('/')}{path}?" + urllib.parse.urlencode(params)
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as e:
        raise PushError(f"{what} : le back-office refuse ({e.code})", e.code) from None
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise PushError(f"{what} : back-office injoignable ({getattr(e, 'reason', e)})") from None


def pull_catalogue(base_url: str, token: str, after: str, apply: Callable[[list[Product], str], int],
                   limit: int = 5000, timeout: float = 10.0) -> int:
    """Fetch every product changed since `after`; `apply(products, cursor)` stores each batch."""
    total = 0
    while True:
        body = get_json(base_url, "/api/v1/catalogue", {"after": after, "limit": limit}, token, timeout,
                        "catalogue non mis à jour")
        products = [Product(p["gtin"], p["name"], p["price"], p["vat_rate"], p.get("category") or "")
                    for p in body["products"]]
        if not products:
            return total
        after = str(body["next"])
        total += apply(products, after)
