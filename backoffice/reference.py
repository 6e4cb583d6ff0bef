"""Reference data the back office publishes to every kiosk (référentiel): operators (the class and its
teachers, PINs only as their salted hashes), loyalty customers, customer-group pricelists and
promotions. Kept as an append-only log whose `id` is the kiosks' cursor (GET /api/v1/reference):
publishing a record again with other content appends its new version, the same content changes
nothing; a kiosk applies each batch and its cursor in one transaction (kiosk.reference).

A price changed while a ticket is open does not change that ticket: a ticket's lines keep the price
they were rung up at (commerce.ticket); only what is scanned afterwards takes the new one.

CSV formats (UTF-8, ',' or ';'), one record a line:
    operators   id,name,role,badge,pin[,active]      role: élève|professeur; pin hashed here
    customers   card,name[,group]                    card: a loyalty card 049…
    pricelists  group,label[,percent]                percent off the shelf price, e.g. 10
    promotions  code,label,barcodes,n[,percent][,bundle_price]   barcodes separated by spaces
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Optional

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection, Engine

from commerce import cards
from commerce.catalogue import RowError
from commerce.errors import CommerceError
from commerce.gtin import parse_gtin
from commerce.money import parse_amount
from commerce.operators import (CASHIER, DEMO_OPERATORS, MANAGER, PIN_ITERATIONS, check_pin, create_operator,
                                hash_pin, make_badge)
from commerce.pricing import FULL_BP, Customer, Pricelist, Promotion

from .db import reference

KINDS = ("operator", "customer", "pricelist", "promotion")
ROLE_WORDS = {"élève": CASHIER, "eleve": CASHIER, "cashier": CASHIER, "professeur": MANAGER, "prof": MANAGER,
              "manager": MANAGER}


def _canonical(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


PIN_FIELD = "_pin"  # an operator's PIN between read_file and publish: never stored nor sent


def _latest(conn: Connection, kind: str, key: str) -> Optional[str]:
    return conn.execute(select(reference.c.payload).where(reference.c.kind == kind, reference.c.key == key)
                        .order_by(reference.c.id.desc()).limit(1)).scalar()


def _with_pin_hash(payload: dict, latest: Optional[str], iterations: int) -> dict:
    """An operator's payload with its PIN hashed; the published hash is kept when the PIN is the
    same (a new salt would make every import a new version)."""
    payload = dict(payload)
    pin = payload.pop(PIN_FIELD)
    old = json.loads(latest).get("pin_hash", "") if latest else ""
    payload["pin_hash"] = old if old and check_pin(old, pin) else hash_pin(pin, iterations=iterations)
    return payload


def publish(engine: Engine, records: list[tuple[str, str, dict]], pin_iterations: int = PIN_ITERATIONS) -> tuple[int, int]:
    """Append (kind, key, payload) records in one transaction; a record whose latest version has the
    same content is skipped. Two operators with one badge are refused. Returns (published, unchanged)."""
    published = unchanged = 0
    now = datetime.now().replace(microsecond=0)
    with engine.begin() as conn:
        badges = {}
        for kind, key, payload in records:
            if kind not in KINDS:
                raise CommerceError(f"type « {kind} » inconnu (types : {', '.join(KINDS)})")
            latest = _latest(conn, kind, key)
            if kind == "operator":
                payload = _with_pin_hash(payload, latest, pin_iterations)
                badges[payload["badge"]] = key
            text = _canonical(payload)
            if latest == text:
                unchanged += 1
                continue
            conn.execute(insert(reference).values(kind=kind, key=key, payload=text, created_at=now))
            published += 1
        if badges:  # a badge already published for another operator (its latest version) is refused
            latest_badges: dict[str, str] = {}
            for key, text in conn.execute(select(reference.c.key, reference.c.payload)
                                          .where(reference.c.kind == "operator").order_by(reference.c.id)):
                latest_badges[key] = json.loads(text)["badge"]
            owners: dict[str, str] = {}
            for key, badge in latest_badges.items():
                if badge in owners:
                    raise CommerceError(f"badge {badge} déjà celui de « {owners[badge]} » : un badge par personne "
                                        f"(« {key} » refusé, rien n'est publié)")
                owners[badge] = key
    return published, unchanged


def records_after(conn: Connection, after: int, limit: int) -> dict:
    rows = conn.execute(select(reference).where(reference.c.id > after).order_by(reference.c.id).limit(limit)).all()
    return {"records": [{"kind": r.kind, "key": r.key, "payload": json.loads(r.payload)} for r in rows],
            "next": rows[-1].id if rows else after}


def counts(conn: Connection) -> dict[str, int]:
    """How many distinct records of each kind are published."""
    rows = conn.execute(select(reference.c.kind, func.count(func.distinct(reference.c.key)))
                        .group_by(reference.c.kind)).all()
    return {k: 0 for k in KINDS} | {k: int(n) for k, n in rows}


# -- CSV files ---------------------------------------------------------------------------------------
def _rows(path: Path):
    text = path.read_text(encoding="utf-8-sig")
    first = text.split("\n", 1)[0]
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=";" if first.count(";") > first.count(",") else ",")
    reader.fieldnames = [f.strip().lower() for f in (reader.fieldnames or [])]
    return reader


def _percent(text: str) -> int:
    """'10' or '10,5' (%) -> basis points of FULL_BP."""
    value = str(text or "0").strip().replace("%", "").replace(",", ".")
    try:
        bp = round(float(value) * FULL_BP / 100)
    except ValueError:
        raise CommerceError(f"pourcentage « {text} » illisible") from None
    if not 0 <= bp <= FULL_BP:
        raise CommerceError(f"pourcentage « {text} » refusé : entre 0 et 100")
    return bp


def _record(kind: str, row: dict) -> tuple[str, str, dict]:
    get = lambda name: str(row.get(name) or "").strip()  # noqa: E731
    if kind == "operator":
        role = ROLE_WORDS.get(get("role").lower())
        if role is None:
            raise CommerceError(f"rôle « {get('role')} » refusé : élève ou professeur")
        op = create_operator(get("id"), get("name"), role, get("badge"), get("pin"), iterations=1)  # checks only
        active = get("active").lower() not in ("0", "non", "false", "inactif")
        # the PIN is hashed by publish(), which keeps the published hash when the PIN has not changed
        return "operator", op.id, asdict(op) | {"active": active, "pin_hash": "", PIN_FIELD: get("pin")}
    if kind == "customer":
        card = get("card")
        if cards.card_kind(card) != cards.LOYALTY:
            raise CommerceError(f"carte « {card} » refusée : une carte de fidélité (049…) avec sa clé")
        if not get("name"):
            raise CommerceError("nom vide")
        return "customer", card, asdict(Customer(card, get("name"), get("group")))
    if kind == "pricelist":
        if not get("group") or not get("label"):
            raise CommerceError("groupe et libellé obligatoires")
        p = Pricelist(get("group"), get("label"), _percent(get("percent")))
        return "pricelist", p.group, {"group": p.group, "label": p.label, "percent_bp": p.percent_bp, "prices": {}}
    if kind == "promotion":
        gtins = sorted({parse_gtin(code).gtin13 for code in get("barcodes").replace(",", " ").split()})
        if not gtins or not get("code") or not get("label"):
            raise CommerceError("code, libellé et codes-barres obligatoires")
        try:
            n = int(get("n"))
        except ValueError:
            raise CommerceError(f"n « {get('n')} » : nombre d'articles du lot attendu") from None
        bundle = parse_amount(get("bundle_price"), "prix du lot") if get("bundle_price") else 0
        percent = _percent(get("percent")) if get("percent") else 0
        if n < 2 or not (percent or bundle):
            raise CommerceError("une promotion porte sur 2 articles au moins, avec un pourcentage ou un prix de lot")
        p = Promotion(get("code"), get("label"), frozenset(gtins), n, percent, bundle)
        return "promotion", p.code, {"code": p.code, "label": p.label, "gtins": gtins, "n": p.n,
                                     "percent_bp": p.percent_bp, "bundle_price": p.bundle_price}
    raise CommerceError(f"type « {kind} » inconnu")


# Every new kiosk has the demo class (kiosk.operators_store): its badges belong to those ids everywhere.
DEMO_BADGES = {make_badge(n): i for i, _, _, n, _ in DEMO_OPERATORS}


def _check_badge(op_id: str, badge: str, badges: dict[str, tuple[str, int]]) -> None:
    """One badge per person, in the file and on the kiosks (whose demo class has its own)."""
    if badge in badges:
        owner, line = badges[badge]
        raise CommerceError(f"badge {badge} déjà celui de « {owner} » (ligne {line}) : un badge par personne")
    if DEMO_BADGES.get(badge, op_id) != op_id:
        raise CommerceError(f"badge {badge} réservé à « {DEMO_BADGES[badge]} » de la classe de démonstration, "
                            "que chaque caisse neuve possède : donnez-lui un autre badge")


def read_file(kind: str, path: Path) -> tuple[list, list[RowError]]:
    """A CSV of `kind` -> (records, refused rows with their line and reason). Nothing is stored here."""
    records, errors, seen, badges = [], [], {}, {}
    reader = _rows(path)
    for row in reader:
        try:
            record = _record(kind, row)
            if record[1] in seen:
                raise CommerceError(f"« {record[1]} » déjà plus haut (ligne {seen[record[1]]})")
            if kind == "operator":
                _check_badge(record[1], record[2]["badge"], badges)
                badges[record[2]["badge"]] = (record[1], reader.line_num)
            seen[record[1]] = reader.line_num
            records.append(record)
        except CommerceError as e:
            errors.append(RowError(reader.line_num, str(row.get("badge") or row.get("card") or row.get("code") or ""),
                                   str(e)))
    return records, errors
