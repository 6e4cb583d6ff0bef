"""What both kiosk windows do the same way: their command line, and reading the back office's
catalogue and reference data (operators, customers, offers) into the kiosk's store."""
from __future__ import annotations

import argparse
import sys

from .config import ConfigError, KioskConfig, load


def main(argv, prog: str, description: str, app_class) -> int:
    """`prog --config kiosk.toml [--state state.json]`: load the TOML, then run the window."""
    ap = argparse.ArgumentParser(prog=prog, description=description)
    ap.add_argument("--config", required=True, help="fichier TOML du kiosque")
    ap.add_argument("--state", help="fichier JSON où la fenêtre écrit son état (démo, tests)")
    args = ap.parse_args(argv)
    try:
        cfg = load(args.config)
    except ConfigError as e:
        print(f"comptoir : {e}", file=sys.stderr)
        return 2
    app_class()(cfg, args.state).run()
    return 0


def refresh_catalogue(cfg: KioskConfig) -> tuple[str, int]:
    """Read what changed in the back office's catalogue (on its own connection: this runs beside the
    window's thread). Returns ("ok" or "hors ligne : why", products in the store)."""
    from sync.catalogue_pull import pull_catalogue
    from sync.pusher import PushError

    from .store import KioskStore

    from commerce.errors import CommerceError

    from . import reference

    store = KioskStore(cfg.database)
    try:
        pull_catalogue(cfg.backoffice_url, cfg.token, store.catalogue_cursor(), store.upsert_products)
        reference.refresh(store, cfg.backoffice_url, cfg.token)  # operators, customers, offers
        state = "ok"
    except (PushError, CommerceError) as e:  # offline: what the kiosk already has still works
        state = f"hors ligne : {e}"
    finally:
        products = store.product_count()
        store.close()
    return state, products
