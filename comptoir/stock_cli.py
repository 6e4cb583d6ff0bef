"""comptoir stock … and comptoir purchase … : the stockroom's data from the command line.

    comptoir stock on-hand [--location L] [--barcode B] [--json]    stock on hand (from stock_level)
    comptoir stock moves [--barcode B] [--kind K] [--json]          the ledger
    comptoir stock verify                                           stock_level recomputed from the ledger
    comptoir stock locations [--json]                               locations (emplacements)
    comptoir stock location-add CODE NAME --kind reserve|shelf|…    declare a bin (its code is its barcode)
    comptoir stock minmax-import FILE.csv                           barcode,location,min,max
    comptoir stock replenish [--json | --csv]                       what to order, by supplier (--csv: a
                                                                    purchase-order file for `purchase import`)
    comptoir stock scrap-report [--since YYYY-MM-DD] [--json]       value lost (démarque) per reason
    comptoir stock labels CODE… --pdf FILE.pdf                      an A4 sheet of shelf labels
    comptoir purchase import FILE.csv                               po,supplier,expected_date,barcode,qty,unit_cost[,pack]
    comptoir purchase list [--json]                                 orders still expected

Every command takes --database FILE (the kiosk's SQLite file) or --config kiosk.toml.
Exit status: 0 done; 1 `verify` found differences, or `purchase import` refused some rows (the
other orders are imported); 2 usage, unreadable file or database.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import sqlite3
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

from commerce import stock
from commerce.errors import CommerceError
from commerce.gtin import parse_gtin
from commerce.money import format_amount

PROG = "comptoir stock"


class CliError(Exception):
    pass


DEFAULT_CONFIG = "var/kiosk-1.toml"  # the demo's register (make demo)
HEADLESS_CONFIG = "var/demo/kiosk-1.toml"  # the same, from the headless demo (make demo-headless)


def _where() -> argparse.ArgumentParser:
    where = argparse.ArgumentParser(add_help=False)
    group = where.add_mutually_exclusive_group()
    group.add_argument("--database", help="base SQLite du kiosque (par exemple var/kiosk-1.db)")
    group.add_argument("--config", help=f"fichier TOML du kiosque : sa base est utilisée ({DEFAULT_CONFIG} par défaut)")
    return where


def _open(args):
    """(KioskStore, StockStore) on an existing kiosk database."""
    from kiosk.stock_store import StockStore
    from kiosk.store import KioskStore
    if not args.config and not args.database:
        found = next((c for c in (DEFAULT_CONFIG, HEADLESS_CONFIG) if Path(c).is_file()), None)
        if found is None:
            raise CliError(f"ni --database ni --config, et pas de {DEFAULT_CONFIG} ni de {HEADLESS_CONFIG} "
                           "(lancez « make demo » ou donnez la base)")
        args.config = found
    if args.config:
        from kiosk.config import ConfigError, load
        try:
            path = Path(load(args.config).database)
        except ConfigError as e:
            raise CliError(str(e)) from None
    else:
        path = Path(args.database)
    if not path.is_file():
        raise CliError(f"base {path} introuvable")
    try:
        store = KioskStore(path)
        return store, StockStore(store.conn)
    except sqlite3.DatabaseError as e:
        raise CliError(f"base {path} illisible ({e})") from None


def _read_csv(path: str) -> csv.DictReader:
    p = Path(path)
    try:
        content = p.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise CliError(f"fichier {p} introuvable") from None
    except UnicodeDecodeError as e:
        raise CliError(f"fichier {p} illisible : il n'est pas encodé en UTF-8 (octet {e.start + 1}) ; "
                       "enregistrez-le en « CSV UTF-8 »") from None
    except OSError as e:
        raise CliError(f"fichier {p} illisible : {e.strerror or e}") from None
    first = content.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","  # French spreadsheets use ";"
    reader = csv.DictReader(io.StringIO(content, newline=""), delimiter=delimiter)
    reader.fieldnames = [f.strip() for f in (reader.fieldnames or [])]
    return reader


def _run(fn, args, name: str) -> int:
    try:
        return fn(args)
    except CliError as e:
        print(f"{name} : {e}", file=sys.stderr)
        return 2
    except csv.Error as e:
        print(f"{name} : fichier CSV illisible ({e})", file=sys.stderr)
        return 2


# --- comptoir stock ---------------------------------------------------------------------------

def main(argv=None) -> int:
    argv = list(sys.argv[2:] if argv is None else argv)
    where = _where()
    ap = argparse.ArgumentParser(prog=PROG, description="Stock de la réserve et du rayon")
    sub = ap.add_subparsers(dest="action", required=True)
    o = sub.add_parser("on-hand", parents=[where], help="stock par article (et par emplacement)")
    o.add_argument("--location", help="un seul emplacement, par exemple RESERVE ou RAYON")
    o.add_argument("--barcode", help="un seul article")
    o.add_argument("--json", action="store_true")
    m = sub.add_parser("moves", parents=[where], help="les mouvements de stock (le registre)")
    m.add_argument("--barcode")
    m.add_argument("--kind", choices=sorted(stock.MOVE_KINDS))
    m.add_argument("--json", action="store_true")
    sub.add_parser("verify", parents=[where], help="recalculer le stock depuis les mouvements")
    lo = sub.add_parser("locations", parents=[where], help="les emplacements")
    lo.add_argument("--json", action="store_true")
    la = sub.add_parser("location-add", parents=[where], help="déclarer un emplacement")
    la.add_argument("code", help="code (et code-barres) de l'emplacement, par exemple R-A01")
    la.add_argument("name", help="nom affiché, par exemple « Réserve allée A, case 1 »")
    la.add_argument("--kind", required=True, choices=sorted(stock.LOCATION_KINDS))
    mm = sub.add_parser("minmax-import", parents=[where], help="seuils mini/maxi : barcode,location,min,max")
    mm.add_argument("file", metavar="FICHIER.csv")
    r = sub.add_parser("replenish", parents=[where], help="à commander (par fournisseur) et à réassortir")
    fmt = r.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true", help="un fichier de commandes pour « comptoir purchase import »")
    r.add_argument("--prefix", default="REA", help="début des numéros de commande (--csv), REA par défaut")
    r.add_argument("--days", type=int, default=3, help="livraison prévue dans N jours (--csv), 3 par défaut")
    s = sub.add_parser("scrap-report", parents=[where], help="démarque (rebut) par motif")
    s.add_argument("--since", help="depuis le AAAA-MM-JJ")
    s.add_argument("--json", action="store_true")
    lb = sub.add_parser("labels", parents=[where], help="planche A4 (PDF) d'étiquettes de rayon, prix au kilo ou au litre")
    lb.add_argument("codes", nargs="+", metavar="CODE", help="codes-barres des articles")
    lb.add_argument("--pdf", required=True, metavar="FICHIER.pdf")
    args = ap.parse_args(argv)
    actions = {"on-hand": on_hand, "labels": labels, "moves": moves, "verify": verify, "locations": locations,
               "location-add": location_add, "minmax-import": minmax_import, "replenish": replenish,
               "scrap-report": scrap_report}
    return _run(actions[args.action], args, f"{PROG} {args.action}")


def _print_json(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def on_hand(args) -> int:
    store, st = _open(args)
    try:
        location = stock.parse_location_code(args.location) if args.location else None
        if location and st.location(location) is None:
            raise CliError(f"emplacement {location} inconnu")
        gtin = parse_gtin(args.barcode).gtin13 if args.barcode else None
        levels = st.all_levels(location)
        locations = st.locations()
        products: dict[str, dict] = {}
        for (g, loc), q in sorted(levels.items()):
            if gtin and g != gtin:
                continue
            products.setdefault(g, {"barcode": g, "qty": 0, "locations": {}})["locations"][loc] = q
        for g, row in products.items():
            row["qty"] = sum(q for loc, q in row["locations"].items()
                             if location or (loc in locations and locations[loc].sellable))
        names = st.names(products)
        rows = [{"barcode": g, "name": names.get(g, ""), "qty": r["qty"], "locations": r["locations"]}
                for g, r in sorted(products.items())]
    except CommerceError as e:
        raise CliError(str(e)) from None
    finally:
        store.close()
    if args.json:
        _print_json({"location": location, "products": rows, "units": sum(r["qty"] for r in rows)})
        return 0
    where = f"emplacement {location}" if location else "stock vendable (réserve et rayon)"
    print(f"{len(rows)} article(s), {sum(r['qty'] for r in rows)} unité(s) — {where}")
    for r in rows:
        detail = ", ".join(f"{loc} {q}" for loc, q in r["locations"].items())
        print(f"{r['barcode']}  {r['qty']:>6}  {r['name']}  ({detail})")
    return 0


def moves(args) -> int:
    store, st = _open(args)
    try:
        gtin = parse_gtin(args.barcode).gtin13 if args.barcode else None
        rows = st.moves(gtin13=gtin, kind=args.kind)
    except CommerceError as e:
        raise CliError(str(e)) from None
    finally:
        store.close()
    data = [{"id": s.id, "at": s.at.isoformat(), "kind": s.move.kind, "barcode": s.move.gtin13, "qty": s.move.qty,
             "from": s.move.source, "to": s.move.dest, "reason": s.move.reason, "ref": s.ref, "operator": s.operator}
            for s in rows]
    if args.json:
        _print_json(data)
        return 0
    for d in data:
        print(f"{d['at']}  {stock.MOVE_KINDS[d['kind']]:<24} {d['barcode']}  {d['qty']:>5}  "
              f"{d['from']} -> {d['to']}  {d['reason']}")
    print(f"{len(data)} mouvement(s)")
    return 0


def verify(args) -> int:
    store, st = _open(args)
    try:
        diffs = st.verify()
        count = store.conn.execute("SELECT count(*) FROM stock_move").fetchone()[0]
    finally:
        store.close()
    for g, loc, stored, ledger in diffs:
        print(f"ÉCART {g} en {loc} : stock enregistré {stored}, registre des mouvements {ledger}")
    if diffs:
        print(f"{len(diffs)} écart(s) entre le stock et ses {count} mouvement(s)")
        return 1
    print(f"Stock conforme à ses {count} mouvement(s)")
    return 0


def locations(args) -> int:
    store, st = _open(args)
    try:
        locs = list(st.locations().values())
    finally:
        store.close()
    if args.json:
        _print_json([{"code": l.code, "name": l.name, "kind": l.kind, "sellable": l.sellable} for l in locs])
        return 0
    for l in locs:
        print(f"{l.code:<24} {stock.LOCATION_KINDS[l.kind]:<20} {l.name}")
    return 0


def location_add(args) -> int:
    store, st = _open(args)
    try:
        loc = st.add_location(stock.make_location(args.code, args.name, args.kind))
    except CommerceError as e:
        raise CliError(str(e)) from None
    finally:
        store.close()
    print(f"Emplacement {loc.code} ({loc.name}, {stock.LOCATION_KINDS[loc.kind]}) déclaré")
    return 0


def minmax_import(args) -> int:
    reader = _read_csv(args.file)
    missing = [c for c in ("barcode", "location", "min", "max") if c not in reader.fieldnames]
    if missing:
        raise CliError(f"fichier {args.file} : colonnes manquantes {', '.join(missing)} "
                       "(attendu : barcode,location,min,max)")
    store, st = _open(args)
    done, refused = 0, 0
    try:
        for row in reader:
            try:
                rule = stock.MinMax(parse_gtin(row["barcode"].strip()).gtin13,
                                    stock.parse_location_code(row["location"]),
                                    stock.parse_qty(row["min"], "mini", zero=True), stock.parse_qty(row["max"], "maxi"))
                st.set_rule(rule)
                done += 1
            except CommerceError as e:
                refused += 1
                print(f"ligne {reader.line_num} : {e}")
    finally:
        store.close()
    print(f"{done} seuil(s) enregistré(s), {refused} ligne(s) refusée(s)")
    return 1 if refused else 0


def replenish(args) -> int:
    store, st = _open(args)
    try:
        kinds = {c: l.kind for c, l in st.locations().items()}
        groups = stock.replenishment(st.rules(), kinds, st.rule_levels(), st.on_order(), st.suppliers())
        names = st.names(l.gtin13 for lines in groups.values() for l in lines)
        costs = {g: st.unit_cost(g) or 0 for lines in groups.values() for g in (l.gtin13 for l in lines)}
    finally:
        store.close()
    if args.csv:  # orders only (shelf refills come from the reserve), one order per supplier
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(stock.PO_COLUMNS)
        expected = (date.today() + timedelta(days=args.days)).isoformat()
        stamp = datetime.now().strftime("%Y%m%d")
        suppliers = [s for s in groups if s not in (stock.REFILL, stock.UNKNOWN_SUPPLIER)]
        for i, supplier in enumerate(suppliers, 1):
            for l in groups[supplier]:
                out.writerow([f"{args.prefix}-{stamp}-{i}", supplier, expected, l.gtin13, l.qty,
                              format_amount(costs[l.gtin13])])
        if stock.UNKNOWN_SUPPLIER in groups:
            print(f"{len(groups[stock.UNKNOWN_SUPPLIER])} article(s) sans fournisseur connu : non commandé(s)",
                  file=sys.stderr)
        return 0
    data = {group: [{"barcode": l.gtin13, "name": names.get(l.gtin13, ""), "location": l.location,
                     "on_hand": l.on_hand, "on_order": l.on_order, "min": l.min, "max": l.max, "qty": l.qty}
                    for l in lines] for group, lines in groups.items()}
    if args.json:
        _print_json(data)
        return 0
    if not data:
        print("Rien à commander ni à réassortir")
    for group, lines in data.items():
        print(group if group == stock.REFILL else f"À commander chez {group}")
        for l in lines:
            print(f"  {l['barcode']}  {l['qty']:>5}  {l['name']}  ({l['location']} : {l['on_hand']}, "
                  f"min {l['min']}, max {l['max']})")
    return 0


def scrap_report(args) -> int:
    try:
        since = datetime.combine(stock.parse_date(args.since, "--since"), datetime.min.time()) if args.since else None
    except CommerceError as e:
        raise CliError(str(e)) from None
    store, st = _open(args)
    try:
        totals = stock.scrap_totals(m.move for m in st.moves(kind=stock.SCRAP_MOVE, since=since))
    finally:
        store.close()
    if args.json:
        _print_json({"since": args.since, "reasons": [
            {"reason": t.reason, "label": t.label, "qty": t.qty, "cost_value": t.cost_value,
             "retail_value": t.retail_value, "uncosted": t.uncosted} for t in totals]})
        return 0
    for t in totals:
        print(f"{t.label:<28} {t.qty:>5}  coût HT {format_amount(t.cost_value):>10}  "
              f"vente TTC {format_amount(t.retail_value):>10}")
    return 0


# --- comptoir purchase --------------------------------------------------------------------------

def _purchase_where() -> argparse.ArgumentParser:
    """Orders go to the back office (default), from which the stockroom kiosks read them; or straight
    into one kiosk's database (a kiosk without a back office)."""
    where = argparse.ArgumentParser(add_help=False)
    group = where.add_mutually_exclusive_group()
    group.add_argument("--database-url", help="base du back-office (sinon $COMPTOIR_DATABASE_URL, "
                                              "sinon var/backoffice.db) : le défaut")
    group.add_argument("--database", help="directement dans la base SQLite d'un kiosque")
    group.add_argument("--config", help="directement dans la base du kiosque de ce fichier TOML")
    return where


def _backoffice(args):
    from sqlalchemy.exc import SQLAlchemyError

    from backoffice.db import create_all, make_engine, unreachable
    try:
        engine = make_engine(args.database_url)
        create_all(engine)
        return engine
    except (SQLAlchemyError, ValueError) as e:
        raise CliError(unreachable(e)) from None


def purchase_main(argv=None) -> int:
    argv = list(sys.argv[2:] if argv is None else argv)
    where = _purchase_where()
    ap = argparse.ArgumentParser(prog="comptoir purchase", description="Bons de commande fournisseurs")
    sub = ap.add_subparsers(dest="action", required=True)
    i = sub.add_parser("import", parents=[where],
                       help="importer un CSV : " + ",".join(stock.PO_COLUMNS) + "[,pack]")
    i.add_argument("file", metavar="FICHIER.csv")
    li = sub.add_parser("list", parents=[where], help="les commandes attendues")
    li.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    fn = purchase_import if args.action == "import" else purchase_list
    return _run(fn, args, f"comptoir purchase {args.action}")


def purchase_import(args) -> int:
    reader = _read_csv(args.file)
    try:
        stock.check_po_header(reader.fieldnames)
    except CommerceError as e:
        raise CliError(f"fichier {args.file} : {e}") from None
    orders, errors = stock.purchase_orders_from_rows(reader)
    gtins = {l.gtin13 for o in orders for l in o.lines}
    if args.database or args.config:
        store, st = _open(args)
        try:
            known = set(st.names(gtins))
            added, skipped = st.import_orders(orders)
        except CommerceError as e:
            raise CliError(str(e)) from None
        finally:
            store.close()
        where = "du kiosque"
    else:
        from sqlalchemy import select

        from backoffice.db import product
        from backoffice.purchasing import add_orders
        engine = _backoffice(args)
        try:
            with engine.connect() as conn:
                known = {r[0] for r in conn.execute(select(product.c.gtin13).where(product.c.gtin13.in_(gtins)))}
            added, skipped = add_orders(engine, orders)
        except CommerceError as e:
            raise CliError(str(e)) from None
        finally:
            engine.dispose()
        where = "du back-office"
    for e in errors:
        print(str(e))
    unknown = sorted({l.gtin13 for o in orders if o.number in added for l in o.lines} - known)
    for g in unknown:
        print(f"attention : {g} absent du catalogue {where} (il sera reçu sous son code)")
    print(f"{len(added)} commande(s) importée(s)" + (f" ({', '.join(added)})" if added else "")
          + (f", {len(skipped)} déjà présente(s)" if skipped else "")
          + (f", {len(errors)} ligne(s) refusée(s) : leur commande n'est pas importée" if errors else ""))
    return 1 if errors else 0


def purchase_list(args) -> int:
    if not (args.database or args.config):
        return _backoffice_orders(args)
    store, st = _open(args)
    try:
        summaries = st.open_orders()
    finally:
        store.close()
    data = [{"po": s.order.number, "supplier": s.order.supplier, "expected_date": s.order.expected.isoformat(),
             "backorder_of": s.order.backorder_of, "started": s.draft is not None,
             "lines": [{"barcode": l.gtin13, "qty": l.qty, "unit_cost": l.unit_cost, "pack": l.pack}
                       for l in s.order.lines]} for s in summaries]
    if args.json:
        _print_json(data)
        return 0
    for d in data:
        print(f"{d['po']:<20} {d['expected_date']}  {d['supplier']}  {len(d['lines'])} ligne(s)"
              + (f"  (reliquat de {d['backorder_of']})" if d["backorder_of"] else "")
              + ("  [réception commencée]" if d["started"] else ""))
    print(f"{len(data)} commande(s) attendue(s)")
    return 0


def labels(args) -> int:
    """Shelf labels as an A4 PDF sheet, through the stockroom's own service (kiosk.stockroom_service)."""
    from kiosk.stockroom_service import StockroomService
    store, _ = _open(args)
    try:
        fb = StockroomService(store, printer=None).label_sheet(args.codes, args.pdf)
    finally:
        store.close()
    if fb.level == "error":
        raise CliError(fb.message)
    print(fb.message)
    return 0


def _backoffice_orders(args) -> int:
    """The back office's orders, with the receptions the stockrooms sent back."""
    from backoffice.purchasing import orders_page
    engine = _backoffice(args)
    try:
        with engine.connect() as conn:
            orders = orders_page(conn)
    finally:
        engine.dispose()
    data = [{"po": o["number"], "supplier": o["supplier"],
             "expected_date": o["expected"].isoformat() if o["expected"] else None, "lines": o["lines"],
             "units": o["units"], "receptions": [{"number": r.get("number"), "note": r.get("note"),
                                                   "anomalies": r.get("anomalies", []),
                                                   "backorder": (r.get("backorder") or {}).get("number")}
                                                  for r in o["receptions"]]} for o in orders]
    if args.json:
        _print_json(data)
        return 0
    for d in data:
        got = "; ".join(f"reçue (n° {r['number']}, BL {r['note']}, {len(r['anomalies'])} anomalie(s))"
                        for r in d["receptions"]) or "attendue"
        print(f"{d['po']:<20} {d['expected_date'] or '—':<10}  {d['supplier']}  {got}")
    print(f"{len(data)} commande(s) au back-office")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
