"""`comptoir demo --headless --kiosk stockroom --script FILE`: the stockroom kiosk (la réserve) with
the demo's purchase orders, its real window on a virtual screen, the script played with real X keys,
its records synced to the back office, then a JSON summary (receptions, anomalies, stock on hand).

The demo's purchase orders are made in the back office (as the /commandes form or `comptoir purchase
import` make them); the stockroom reads them from the back office's cursor when it starts.
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from . import demo
from .stockroom_driver import StockroomDriver, parse_line, play
from .xsession import Keyboard, VirtualScreen, XError
from .register_driver import DriverError

DEVICE, REGISTER = "reserve-1", "R1"
# Two expected deliveries of real catalogue products (prices invented), for the exercises.
DEMO_ORDERS = (
    ("PO-1001", "Épicerie Centrale", 1, (("3292590049201", 24, 180, 6), ("3297131001021", 12, 150, 1),
                                         ("3297380100018", 6, 210, 1), ("3297135107071", 10, 520, 1))),
    ("PO-1002", "Boissons du Sud", 2, (("3292590050511", 12, 60, 6), ("3297760019947", 24, 40, 1))),
)


def demo_orders(today: date):
    from commerce.stock import OrderLine, PurchaseOrder
    return [PurchaseOrder(number, supplier, today + timedelta(days=days),
                          tuple(OrderLine(g, q, cost, pack) for g, q, cost, pack in lines))
            for number, supplier, days, lines in DEMO_ORDERS]


def setup_stockroom(var: Path, backoffice_url: str, db_url: str) -> tuple[Path, str]:
    """The stockroom kiosk: its device in the back office, its TOML, its store with the catalogue,
    the demo class and the expected deliveries."""
    from backoffice.db import make_engine
    from backoffice.devices import register_device
    from backoffice.purchasing import add_orders
    from kiosk import operators_store
    from kiosk.store import KioskStore

    engine = make_engine(db_url)
    token = register_device(engine, DEVICE, REGISTER, "Réserve")
    added, _ = add_orders(engine, demo_orders(date.today()))
    engine.dispose()
    if added:
        demo.log(f"commandes fournisseurs au back-office : {', '.join(added)}")
    toml = var / "reserve-1.toml"
    toml.write_text(
        "# Kiosque de la réserve de démonstration (imprimante simulée)\n"
        f'[kiosk]\nregister = "{REGISTER}"\ndevice = "{DEVICE}"\ndatabase = "reserve-1.db"\n\n'
        f'[backoffice]\nurl = "{backoffice_url}"\n\n'
        '[printer]\nbackend = "sim"\nout_dir = "prints"\ncolumns = 42\n', encoding="utf-8")
    store = KioskStore(var / "reserve-1.db")
    try:
        if store.product_count() == 0:
            store.upsert_products(demo.demo_products())
        operators_store.ensure_demo_operators(store)
    finally:
        store.close()
    return toml, token


def start_stockroom(toml: Path, token: str, state: Path, env: dict, log_path: Path) -> subprocess.Popen:
    env = {**env, "COMPTOIR_KIOSK_TOKEN": token, "KIVY_NO_ARGS": "1", "KIVY_LOG_MODE": "PYTHON"}
    out = open(log_path, "ab")
    return subprocess.Popen([sys.executable, "-m", "kiosk.stockroom", "--config", str(toml), "--state", str(state)],
                            env=env, stdout=out, stderr=subprocess.STDOUT)


def stock_summary(db_path: Path) -> dict:
    """What the stockroom's store holds after the script: receptions and anomalies, stock on hand."""
    from kiosk.stock_store import StockStore
    from kiosk.store import KioskStore

    store = KioskStore(db_path)
    try:
        st = StockStore(store.conn)
        rows = store.conn.execute("SELECT number, po, note, backorder FROM reception ORDER BY number").fetchall()
        receptions = []
        for number, po, note, backorder in rows:
            anomalies = store.conn.execute(
                "SELECT kind, gtin13, qty FROM reception_anomaly a JOIN reception r ON r.id = a.reception "
                "WHERE r.number = ? ORDER BY a.line_no", (number,)).fetchall()
            receptions.append({"number": number, "po": po, "note": note, "backorder": backorder or None,
                               "anomalies": [{"kind": k, "gtin": g, "qty": q} for k, g, q in anomalies]})
        levels = store.conn.execute("SELECT gtin13, location, qty FROM stock_level WHERE qty != 0 "
                                    "ORDER BY gtin13, location").fetchall()
        return {"kiosk": "stockroom", "receptions": receptions,
                "stock": [{"gtin": g, "location": l, "qty": q} for g, l, q in levels],
                "moves": store.conn.execute("SELECT count(*) FROM stock_move").fetchone()[0],
                "ledger_ok": st.verify() == []}
    finally:
        store.close()


def run_headless(out: Path, script: Path, port: int) -> int:
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("prints", "reserve-1.db", "reserve-1.db-wal", "reserve-1.db-shm", "backoffice.db",
                "backoffice.db-wal", "backoffice.db-shm", "stockroom-state.json"):
        p = out / sub
        if p.is_dir():
            import shutil
            shutil.rmtree(p)
        else:
            p.unlink(missing_ok=True)
    port = demo.free_port(port)
    url = f"http://127.0.0.1:{port}"
    db_url, _, _ = demo.setup_shop(out, url)
    toml, token = setup_stockroom(out, url, db_url)
    screen = backoffice = window = driver = None
    try:
        backoffice = demo.start_backoffice(db_url, port, out / "backoffice.log")
        demo.log(f"back-office : {url}")
        screen = VirtualScreen()
        demo.log(f"écran virtuel {screen.display}")
        window = start_stockroom(toml, token, out / "stockroom-state.json", screen.env, out / "stockroom.log")
        driver = StockroomDriver(out / "stockroom-state.json", Keyboard(screen.env), window)
        driver.wait_ready()
        first = next((p for p in map(_safe_parse, script.read_text(encoding="utf-8").splitlines()) if p), None)
        if first is None or first[0] != "login":
            st = driver.scan(demo.DEMO_BADGE)  # a demo student signs in (a script may do it itself)
            demo.log(f"connexion : {st.get('message')}")
        demo.play_script(driver, script, parse_line, play)
        try:
            demo.wait_synced(driver, out / "reserve-1.db")
        except DriverError as e:
            demo.log(str(e))
        summary = stock_summary(out / "reserve-1.db") | {
            "waiting_to_sync": demo.outbox_waiting(out / "reserve-1.db"),
            "prints": sorted(str(p) for p in (out / "prints").glob("*.bin")),
            "backoffice": backoffice_records(url, token), "backoffice_url": url,
            "note": "Démonstration : prix inventés ; données produits Open Food Facts (ODbL) ; MODE FORMATION"}
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 0 if summary["ledger_ok"] and summary["waiting_to_sync"] == 0 else 1
    except (DriverError, XError, RuntimeError, OSError) as e:
        print(f"comptoir demo : {e}", file=sys.stderr)
        demo.send_after_a_stop(driver, out / "reserve-1.db")
        return 1
    finally:
        demo.stop(window, backoffice)
        if screen is not None:
            screen.stop()


def _safe_parse(line: str):
    try:
        return parse_line(line)
    except ValueError:
        return None


def backoffice_records(url: str, token: str) -> dict:
    """What the back office says it holds of this kiosk (GET /api/v1/sync/status)."""
    import urllib.request
    req = urllib.request.Request(f"{url}/api/v1/sync/status", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())
    except OSError as e:
        return {"error": str(e)}
