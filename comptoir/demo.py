"""`comptoir demo`: an embedded shop, its back office and the register window, all on this machine.

With a screen: the back office on http://127.0.0.1:8000 and the register window; Ctrl-C stops all.
Headless (`--headless --out DIR`): a virtual screen, the real register window driven by real X key
events (scanner bursts of real catalogue barcodes, shortcuts to pay), then a JSON summary comparing
the kiosk's figures with the back office's.
"""
from __future__ import annotations

import csv
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from commerce.gtin import parse_gtin
from commerce.errors import CommerceError
from sync.wire import WireError

from .register_driver import DriverError, RegisterDriver, WindowError, parse_script_line, play_action, split_amount
from .xsession import Keyboard, VirtualScreen, XError

DATA = Path(__file__).resolve().parent / "data"
CATALOGUE = DATA / "demo-catalogue.csv"
DEVICE, REGISTER = "caisse-1", "1"


def log(msg: str) -> None:
    print(f"[démo] {msg}", file=sys.stderr, flush=True)


def free_port(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError as e:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            log(f"port {preferred} indisponible ({e.strerror}) : le back-office prend le port {port}")
            return port


DEMO_WEIGHT_G = 512  # what the simulated scale shows until a script's `scale` action changes it


def start_scale():
    """A simulated Mettler Toledo 8217 scale on a pseudo-terminal (drivers/sim/serial_devices.py)."""
    from drivers.sim.serial_devices import SimScale

    return SimScale(weight_g=DEMO_WEIGHT_G)


@functools.lru_cache(maxsize=1)
def demo_products() -> tuple:
    """The bundled catalogue's products (its refused rows left out, as the import leaves them)."""
    from commerce.catalogue import parse_rows
    with CATALOGUE.open(encoding="utf-8", newline="") as f:
        return tuple(p for p in parse_rows(csv.DictReader(f)) if not hasattr(p, "reason"))


def seed_counter(db_path: Path) -> None:
    """The kiosk's demo customers (loyalty cards 049…), staff pricelist and promotions, on the first
    products of the catalogue (kiosk.accounts.seed_demo)."""
    from kiosk import accounts
    from kiosk.store import KioskStore

    gtins = [p.gtin13 for p in demo_products()[:4]]
    store = KioskStore(db_path)
    try:
        accounts.seed_demo(store.conn, gtins)
    finally:
        store.close()


DEMO_SHELF_UNITS = 12  # every demo product starts with this on the shelf (an opening stock count)


def seed_stock(db_path: Path) -> None:
    """The demo shop's opening stock: DEMO_SHELF_UNITS of every product on the shelf, written once as
    the adjustment of an opening count (so sales take stock down from something)."""
    from commerce import stock
    from commerce.stock import Move
    from kiosk import stock_store
    from kiosk.store import KioskStore

    store = KioskStore(db_path)
    try:
        if store.conn.execute("SELECT count(*) FROM stock_move").fetchone()[0]:
            return
        moves = [Move(stock.ADJUSTMENT, p.gtin13, DEMO_SHELF_UNITS, stock.INVENTORY, stock.SHELF,
                      "stock initial de la démo", None, p.price) for p in demo_products()]
        with store.conn:
            store.conn.execute("BEGIN IMMEDIATE")
            stock_store.record_moves(store.conn, "count", moves, ref="stock-initial", operator="démo", sync=False)
    finally:
        store.close()


def kiosk_toml(backoffice_url: str, scale_port: str = "") -> str:
    """The demo register's TOML; with the simulated scale's pseudo-terminal while the demo runs (the
    file is written again without it when the demo stops: the terminal is gone, or someone else's)."""
    return ("# Caisse de démonstration (périphériques simulés)\n"
            f'[kiosk]\nregister = "{REGISTER}"\ndevice = "{DEVICE}"\ncashier = "Élève démo"\n'
            'database = "kiosk-1.db"\n\n'
            f'[backoffice]\nurl = "{backoffice_url}"\n\n'
            '[printer]\nbackend = "sim"\nout_dir = "receipts"\ncolumns = 42\ndrawer_pin = 2\n'
            + (f'\n[scale]                # simulated Toledo 8217 scale on a pseudo-terminal\n'
               f'uri = "serial://{scale_port}?baudrate=9600"\n' if scale_port else ""))


def setup_shop(var: Path, backoffice_url: str, scale_port: str = "") -> tuple[str, Path, str]:
    """Back-office database with the bundled catalogue, a registered kiosk and its TOML config
    (with the simulated scale's pseudo-terminal when one runs)."""
    from backoffice.catalog_import import import_catalogue
    from backoffice.db import create_all, make_engine
    from backoffice.devices import register_device

    var.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{(var / 'backoffice.db').resolve()}"
    engine = make_engine(db_url)
    create_all(engine)
    report = import_catalogue(engine, CATALOGUE)
    log(f"catalogue de démonstration : {report.kept} produits gardés, {len(report.refused)} lignes refusées "
        f"(prix inventés ; données produits : Open Food Facts, ODbL)")
    for err in report.refused:
        log(f"  refusée : {err}")
    token = register_device(engine, DEVICE, REGISTER, "Caisse 1")
    engine.dispose()
    toml = var / "kiosk-1.toml"
    toml.write_text(kiosk_toml(backoffice_url, scale_port), encoding="utf-8")
    seed_counter(var / "kiosk-1.db")
    seed_stock(var / "kiosk-1.db")
    return db_url, toml, token


def start_backoffice(db_url: str, port: int, log_path: Path) -> subprocess.Popen:
    out = open(log_path, "ab")
    proc = subprocess.Popen([sys.executable, "-m", "backoffice", "--host", "127.0.0.1", "--port", str(port),
                             "--database-url", db_url], stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"le back-office n'a pas démarré (voir {log_path})")


def start_register(toml: Path, token: str, state: Path, env: dict, log_path: Path) -> subprocess.Popen:
    env = {**env, "COMPTOIR_KIOSK_TOKEN": token, "KIVY_NO_ARGS": "1", "KIVY_LOG_MODE": "PYTHON"}
    out = open(log_path, "ab")
    return subprocess.Popen([sys.executable, "-m", "kiosk.register", "--config", str(toml), "--state", str(state)],
                            env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(*procs) -> None:
    for p in procs:
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        if p is not None:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def demo_codes(n: int) -> list[str]:
    """Real catalogue barcodes (valid check digit), picked the same way on every run.

    Every third one comes from the 20 % products, so the receipts show two VAT rates.
    """
    pools: dict[bool, list[str]] = {True: [], False: []}
    with CATALOGUE.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            try:
                pools[row["vat_rate"].strip() == "20"].append(parse_gtin(row["barcode"]).code)
            except CommerceError:
                continue
    codes = []
    for i in range(n):
        pool = pools[i % 3 == 0 and bool(pools[True])]
        codes.append(pool[(i * 97 + 7) % len(pool)])
    return codes


DEMO_BADGE = "0400000000015"  # Léa Martin, a demo student (commerce.operators.DEMO_OPERATORS)
DEMO_FLOAT = 15000  # the float the demo counts when a script does not open the register itself


def open_if_needed(driver: RegisterDriver) -> None:
    """On the opening screen: count a 150,00 € float (7 × 20 € + 1 × 10 €) and open (F5)."""
    if driver.state().get("screen") != "ouverture":
        return
    st = driver.open_session(split_amount(DEMO_FLOAT))
    if st.get("screen") != "vente":
        raise DriverError(f"ouverture de caisse : {st.get('message')}")
    log(f"ouverture : {st.get('message')}")


def close_day(driver: RegisterDriver, db_path: Path) -> dict:
    """Clôture Z at the end of the demo: the drawer counted as expected (a careful cashier), the card
    terminal's total typed; returns the stored Z's figures."""
    from commerce.money import format_amount
    from kiosk.store import KioskStore

    store = KioskStore(db_path)
    try:
        x = store.x_report(REGISTER, "démo")
        card = x.figures.expected.get("card", 0)
        st = driver.close_session(split_amount(x.figures.cash.expected), format_amount(card))
        if st.get("screen") != "ecarts":
            raise DriverError(f"clôture Z : {st.get('message')}")
        log(f"clôture : {st.get('message')}")
        z = store.closings(REGISTER, "Z")[-1]
    finally:
        store.close()
    f = z.figures
    return {"closing": z.number, "session": z.session, "tickets": f["tickets"], "grand_total": f["total"],
            "vat": f["vat"], "expected": f["expected"], "difference": z.difference,
            "perpetual_total": z.perpetual_total}


def _starts_with_login(script: Path) -> bool:
    try:
        lines = script.read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    first = next((p for p in map(parse_script_line, lines) if p is not None), None)
    return first is not None and first[0] == "login"


def play_sales(driver: RegisterDriver, n: int) -> None:
    codes = demo_codes(3 * n)
    for s in range(n):
        items = codes[3 * s: 3 * s + 1 + s % 3]
        for code in items:
            st = driver.scan(code)
            if st.get("level") == "error":
                raise DriverError(f"vente {s + 1} : {st.get('message')}")
        if s % 4 == 1:
            driver.qty("2")
        before = driver.state().get("tickets", 0)
        if s % 2 == 0:  # cash: the next round banknote amount, change given
            total = driver.state()["total"]
            given = (total // 500 + 1) * 500
            st = driver.pay_cash(f"{given // 100}.{given % 100:02d}")
        else:
            st = driver.pay_card()
        if st.get("tickets", 0) != before + 1:
            raise DriverError(f"vente {s + 1} non enregistrée : {st.get('message')}")
        log(f"vente {s + 1}/{n} : {st.get('message')}")


def play_script(driver: RegisterDriver, script: Path, parse_line=parse_script_line, act=None) -> None:
    """Play a script's lines through the window (the register's actions, or `act`'s: the stockroom's).
    A line that cannot be played stops it with its number and the reason."""
    try:
        lines = script.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise DriverError(f"scénario {script} illisible : {e.strerror}") from None

    def parse(no: int, line: str):
        # "! ACTION": the window must refuse it (an exercise on bad codes, over-payments…)
        refusal_expected = line.lstrip().startswith("!")
        try:
            return refusal_expected, parse_line(line.lstrip()[1:] if refusal_expected else line)
        except ValueError as e:
            raise DriverError(f"{script.name}, ligne {no} « {line.strip()} » : {e}") from None

    parsed_lines = [parse(no, line) for no, line in enumerate(lines, start=1)]
    if act is None:
        # A script that opens the register itself (anywhere) is played as written: a sale before its
        # open-session is then refused, as the exercise wants. Otherwise the demo opens with 150,00 €.
        opens_itself = any(p is not None and p[0] == "open-session" for _, p in parsed_lines)

        def act(drv, verb, args):
            if not opens_itself and verb not in ("login", "logout", "open-session"):
                open_if_needed(drv)
            return play_action(drv, verb, args)
    for no, (line, (refusal_expected, parsed)) in enumerate(zip(lines, parsed_lines), start=1):
        if parsed is None:
            continue
        where = f"{script.name}, ligne {no} « {line.strip()} »"
        try:
            st = act(driver, *parsed)
        except WindowError as e:
            raise DriverError(f"{where} : {e}") from None
        except (ValueError, DriverError) as e:  # the action cannot be done: a refusal, if one was expected
            if not refusal_expected:
                raise DriverError(f"{where} : {e}") from None
            st = {"level": "error", "message": str(e)}
        refused = st.get("level") == "error"
        if refused and not refusal_expected:
            raise DriverError(f"{where} : {st.get('message')}")
        if refusal_expected and not refused:
            raise DriverError(f"{where} : refus attendu, mais il a été accepté ({st.get('message')})")
        log(f"ligne {no} « {line.strip()} » : {st.get('message')}")


def kiosk_figures(db_path: Path) -> dict:
    """Tickets, grand total and VAT per rate as stored by the kiosk (from its outbox records)."""
    import sqlite3

    from sync.wire import ticket_from_wire

    conn = sqlite3.connect(db_path)
    tickets = [ticket_from_wire(json.loads(p)) for (p,) in
               conn.execute("SELECT payload FROM outbox WHERE kind = 'ticket' ORDER BY seq")]
    pending = conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
    conn.close()
    return figures(tickets) | {"waiting_to_sync": pending}


def figures(tickets) -> dict:
    per_rate: dict[int, list[int]] = {}
    for t in tickets:
        for row in t.vat:
            acc = per_rate.setdefault(row.rate_bp, [0, 0, 0])
            acc[0] += row.ht
            acc[1] += row.tva
            acc[2] += row.ttc
    return {"tickets": len(tickets), "grand_total": sum(t.total for t in tickets),
            "vat": [{"rate": r, "ht": a[0], "tva": a[1], "ttc": a[2]} for r, a in sorted(per_rate.items(), reverse=True)]}


def backoffice_figures(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/api/v1/summary", timeout=10) as resp:
        s = json.loads(resp.read())
    return {"tickets": s["tickets"], "grand_total": s["total"],
            "vat": [{k: v[k] for k in ("rate", "ht", "tva", "ttc")} for v in s["vat"]]}


def outbox_waiting(db_path: Path) -> int:
    """Records of the kiosk's outbox not yet acknowledged (tickets, closings, journal…), read beside it."""
    import sqlite3

    conn = sqlite3.connect(db_path, timeout=5)
    try:
        return conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
    finally:
        conn.close()


def wait_synced(driver: RegisterDriver, db_path: Path, timeout: float = 60.0) -> None:
    """Wait until every record of the kiosk (tickets, the Z, the journal) has been acknowledged."""
    driver.wait(lambda s: outbox_waiting(db_path) == 0, timeout, "l'envoi des enregistrements au back-office")


def send_after_a_stop(driver, db_path: Path, timeout: float = 30.0) -> None:
    """A script stopped on a line: what it recorded before still goes to the back office (the window
    keeps pushing until it is closed)."""
    if driver is None:
        return
    try:
        wait_synced(driver, db_path, timeout)
        log("ce qui a été enregistré avant l'arrêt est envoyé au back-office")
    except (DriverError, XError, RuntimeError, OSError) as e:
        log(f"envoi au back-office après l'arrêt : {e}")


def run_headless(out: Path, sales: int, script: Path | None, port: int) -> int:
    if (out / "backoffice.db").exists():
        log(f"{out} contient déjà une boutique de démonstration : elle est remplacée")
    if out.exists():
        for sub in ("receipts", "kiosk-1.db", "kiosk-1.db-wal", "kiosk-1.db-shm", "backoffice.db",
                    "backoffice.db-wal", "backoffice.db-shm", "state.json"):
            p = out / sub
            shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
    port = free_port(port)
    url = f"http://127.0.0.1:{port}"
    scale = start_scale()
    db_url, toml, token = setup_shop(out, url, scale.port)
    screen = backoffice = register = driver = None
    try:
        backoffice = start_backoffice(db_url, port, out / "backoffice.log")
        log(f"back-office : {url}")
        screen = VirtualScreen()
        log(f"écran virtuel {screen.display}")
        register = start_register(toml, token, out / "state.json", screen.env, out / "register.log")
        driver = RegisterDriver(out / "state.json", Keyboard(screen.env), register, scale=scale)
        driver.wait_ready()
        if script is None or not _starts_with_login(script):
            st = driver.login(DEMO_BADGE)  # a demo student signs in (a script may do it itself)
            log(f"connexion : {st.get('message')}")
        closing = None
        if script is not None:
            play_script(driver, script)
        else:
            open_if_needed(driver)
            play_sales(driver, sales)
            closing = close_day(driver, out / "kiosk-1.db")
        try:
            wait_synced(driver, out / "kiosk-1.db")
        except DriverError as e:
            log(str(e))
        local = kiosk_figures(out / "kiosk-1.db")
        remote = backoffice_figures(url)
        receipts = sorted(str(p) for p in (out / "receipts").glob("*.bin"))
        summary = {**local, "receipts": receipts, "backoffice": remote,
                   "match": {k: local[k] for k in remote} == remote, "backoffice_url": url}
        if closing is not None:  # the Z's figures, only when they are the tickets' own
            if all(closing[k] == local[k] for k in ("tickets", "grand_total")) and \
                    [{k: v[k] for k in ("rate", "ht", "tva", "ttc")} for v in closing["vat"]] == local["vat"]:
                summary["z"] = closing
            else:
                log(f"clôture Z : chiffres différents des tickets ({closing})")
                summary["match"] = False
        summary |= {
                   "note": "Démonstration : prix inventés ; données produits Open Food Facts (ODbL) ; MODE FORMATION"}
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 0 if summary["match"] else 1
    except (DriverError, XError, RuntimeError, WireError) as e:
        print(f"comptoir demo : {e}", file=sys.stderr)
        send_after_a_stop(driver, out / "kiosk-1.db")
        return 1
    finally:
        stop(register, backoffice)
        scale.close()
        toml.write_text(kiosk_toml(url), encoding="utf-8")
        if screen is not None:
            screen.stop()


def run_interactive(var: Path, port: int) -> int:
    url = f"http://127.0.0.1:{port}"
    scale = start_scale()
    db_url, toml, token = setup_shop(var, url, scale.port)
    from .stockroom_demo import setup_stockroom, start_stockroom
    stock_toml, stock_token = setup_stockroom(var, url, db_url)
    backoffice = register = stockroom = None
    try:
        backoffice = start_backoffice(db_url, port, var / "backoffice.log")
        log(f"back-office : {url}  (Ctrl-C pour tout arrêter)")
        register = start_register(toml, token, var / "state.json", dict(os.environ), var / "register.log")
        log("caisse ouverte : scannez un article (ou F2 pour chercher, F1 pour l'aide) ; balance simulée "
            f"sur {scale.port} ({DEMO_WEIGHT_G} g)")
        stockroom = start_stockroom(stock_toml, stock_token, var / "stockroom-state.json", dict(os.environ),
                                    var / "stockroom.log")
        log("réserve ouverte : scannez votre badge, puis F2 pour réceptionner PO-1001 ou PO-1002")
        register.wait()
        return 0
    except KeyboardInterrupt:
        log("arrêt demandé")
        return 0
    except RuntimeError as e:
        print(f"comptoir demo : {e}", file=sys.stderr)
        return 1
    finally:
        stop(register, stockroom, backoffice)
        scale.close()
        toml.write_text(kiosk_toml(url), encoding="utf-8")
        log("arrêté proprement")
