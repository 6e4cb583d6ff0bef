"""Fiscal archives (NF525 "archiving" principle), the pure part: which period, when it may be archived,
the archive's totals, the bytes its hash and signature cover, and a small JSON Schema checker.

An archive is one register's calendar month in an open format (JSON, with its schema), written once
the month is closed. kiosk.archive reads the store, signs and writes the file; this module decides.

Glossary: archive = archive fiscale; période = period (a calendar month, "2025-03"); clôture de mois =
month closing; grand total perpétuel = perpetual grand total; empreinte = hash.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Mapping, Optional

from .errors import CommerceError

FORMAT = "comptoir-archive-fiscale"
FORMAT_VERSION = 1
_PERIOD = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class Period:
    """A calendar month."""

    year: int
    month: int

    @property
    def text(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return self.after - timedelta(days=1)

    @property
    def after(self) -> date:
        """The first day after the month."""
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)


def parse_period(text: str) -> Period:
    """'2025-03' -> Period(2025, 3); anything else is refused with the reason."""
    m = _PERIOD.fullmatch(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise CommerceError(f"période « {text} » invalide : un mois est attendu sous la forme AAAA-MM "
                            "(par exemple 2025-03)")
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12 or year < 1:
        raise CommerceError(f"période « {text} » invalide : le mois {m.group(2)} n'existe pas (01 à 12)")
    return Period(year, month)


def check_closed(period: Period, today: date, month_closed: bool, activity: int, register: str) -> None:
    """A period is archived once it is over and closed, as a certified register does: the archive is the
    sealed copy of figures that can no longer change. `activity`: tickets and day closings in the month.

    - the month is not over (today is in it or before it): refused;
    - the month is over but has no month closing while it has activity: refused (the month closing is
      written by the first Z closing after the month ends, or on demand);
    - a month with no activity at all is archived as an empty period."""
    if today <= period.last:
        raise CommerceError(
            f"période {period.text} pas encore terminée (elle finit le {period.last:%d/%m/%Y}) : une archive "
            "fiscale ne porte que sur une période close, dont les chiffres ne peuvent plus changer ; archivez "
            f"à partir du {period.after:%d/%m/%Y}, une fois le mois clôturé")
    if activity and not month_closed:
        raise CommerceError(
            f"période {period.text} non clôturée sur la caisse {register} : pas de clôture de mois alors que "
            "le mois a des ventes ou des clôtures de journée. Une archive ne reprend qu'un mois clôturé (son "
            "total et son grand total perpétuel scellés) : la clôture de mois est écrite par la première "
            "clôture Z faite après la fin du mois ; faites-la, puis archivez")


# -- totals ---------------------------------------------------------------------------------------
def totals(tickets: Iterable[Mapping]) -> dict:
    """The period's totals from its archived tickets: count, total TTC, VAT per rate (highest first),
    amount and count per payment method (by method name)."""
    count = total = 0
    vat: dict[int, list[int]] = {}
    methods: dict[str, list[int]] = {}
    for t in tickets:
        count += 1
        total += t["total"]
        for v in t["vat"]:
            row = vat.setdefault(v["rate_bp"], [0, 0, 0])
            row[0] += v["ht"]
            row[1] += v["tva"]
            row[2] += v["ttc"]
        for p in t["payments"]:
            row = methods.setdefault(p["method"], [0, 0])
            row[0] += p["amount"]
            row[1] += 1
    return {"tickets": count, "total": total,
            "vat": [{"rate": r, "ht": ht, "tva": tva, "ttc": ttc}
                    for r, (ht, tva, ttc) in sorted(vat.items(), reverse=True)],
            "payments": [{"method": m, "amount": a, "count": n} for m, (a, n) in sorted(methods.items())]}


def sequence(numbers: list[int]) -> dict:
    """First and last number of a sequence in the archive, and how many records it holds."""
    return {"first": min(numbers) if numbers else None, "last": max(numbers) if numbers else None,
            "count": len(numbers)}


# -- what the hash and the signature cover ------------------------------------------------------------
def content_bytes(archive: Mapping) -> bytes:
    """Everything but the seal, as canonical JSON (sorted keys, no spaces, UTF-8): the bytes the
    archive's SHA-256 and its Ed25519 signature are made over."""
    body = {k: v for k, v in archive.items() if k != "seal"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


# -- JSON Schema (the subset archive.schema.json uses) ------------------------------------------------
_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_TYPE_NAMES = {"object": "un objet", "array": "une liste", "string": "un texte", "integer": "un entier",
               "boolean": "vrai ou faux", "null": "null"}


def schema_errors(instance, schema: Mapping, limit: int = 10) -> list[tuple[str, str]]:
    """(path, reason in French) for each place where `instance` breaks `schema`, at most `limit`.
    Keywords: $ref (to #/$defs/…), anyOf, type, const, enum, pattern, minimum, minLength, required, properties,
    additionalProperties, items, minItems. Paths read like 'tickets[2].total'."""
    errors: list[tuple[str, str]] = []

    def walk(value, sch, path):
        if len(errors) >= limit:
            return
        if "$ref" in sch:
            name = sch["$ref"].removeprefix("#/$defs/")
            sch = schema["$defs"][name]
        where = path or "archive"
        if "anyOf" in sch:
            if all(schema_errors_in(value, alt) for alt in sch["anyOf"]):
                errors.append((where, "valeur d'une forme inattendue"))
                return
        types = sch.get("type")
        if types is not None:
            types = [types] if isinstance(types, str) else types
            if not any(_TYPES[t](value) for t in types):
                errors.append((where, f"{' ou '.join(_TYPE_NAMES[t] for t in types)} attendu, trouvé "
                                      f"{json.dumps(value, ensure_ascii=False)[:40]}"))
                return
        if "const" in sch and value != sch["const"]:
            errors.append((where, f"{json.dumps(sch['const'], ensure_ascii=False)} attendu"))
        if "enum" in sch and value not in sch["enum"]:
            errors.append((where, f"une valeur parmi {', '.join(map(str, sch['enum']))} attendue"))
        if isinstance(value, str):
            if "pattern" in sch and not re.search(sch["pattern"], value):
                errors.append((where, f"« {value[:40]} » ne suit pas la forme {sch['pattern']}"))
            if len(value) < sch.get("minLength", 0):
                errors.append((where, "texte vide"))
        if isinstance(value, int) and not isinstance(value, bool) and value < sch.get("minimum", value):
            errors.append((where, f"au moins {sch['minimum']} attendu"))
        if isinstance(value, dict):
            for key in sch.get("required", ()):
                if key not in value:
                    errors.append((f"{path}.{key}" if path else key, "champ obligatoire absent"))
            props = sch.get("properties", {})
            extra = sch.get("additionalProperties", True)
            for key, sub in value.items():
                sub_path = f"{path}.{key}" if path else key
                if key in props:
                    walk(sub, props[key], sub_path)
                elif extra is False:
                    errors.append((sub_path, "champ inconnu de ce format"))
                elif isinstance(extra, dict):
                    walk(sub, extra, sub_path)
        if isinstance(value, list):
            if len(value) < sch.get("minItems", 0):
                errors.append((where, f"au moins {sch['minItems']} élément(s) attendu(s)"))
            if "items" in sch:
                for i, item in enumerate(value):
                    walk(item, sch["items"], f"{path}[{i}]")

    def schema_errors_in(value, sub) -> bool:
        saved = len(errors)
        walk(value, sub, "")
        found = len(errors) > saved
        del errors[saved:]
        return found

    walk(instance, schema, "")
    return errors[:limit]


def month_of(timestamp: Optional[str]) -> Optional[str]:
    """'2025-03-14T10:05:07' -> '2025-03'."""
    return timestamp[:7] if isinstance(timestamp, str) else None
