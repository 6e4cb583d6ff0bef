"""Stock rules (la réserve): locations, moves, receptions, counts, scrap, replenishment, parcels.

Pure rules, no I/O: kiosk.stock_store stores what these functions decide, kiosk.stockroom_service
calls them one user action at a time.

Glossary: réserve = reserve (back room), rayon = shelf (sales floor), emplacement = location (a bin
with its own barcode), mouvement de stock = stock move, bon de commande = purchase order,
bon de livraison (BL) = delivery note, réception = goods reception, reliquat = backorder,
anomalie = anomaly, avarié = damaged, DLC = use-by date, DDM = best-before date, inventaire = stock
count, écart = difference, rebut = scrap, démarque = value lost, réassort = replenishment,
colis = click-and-collect parcel, retour client = customer return.

Stock is a ledger. Every move carries a positive quantity of one product from a location to
another; stock on hand at a location is what came in minus what went out. Moves are never changed:
a correction is a new move. Virtual locations (@FOURNISSEUR, @CLIENT, @INVENTAIRE) stand for the
outside world and hold no stock: a reception comes from @FOURNISSEUR, a sale goes to @CLIENT, a
count adjustment comes from or goes to @INVENTAIRE.

Reception policy (written once, in check_reception): good units in date go to the reserve, up to
the quantity ordered. Everything else is set aside in RETOURS-FOURNISSEUR with its reason: damaged
units, units whose DLC/DDM is too short, surplus units and items not on the order; the teacher then
decides (a transfer to the reserve, or a return to the supplier). The backorder (reliquat) is what
was ordered and not accepted: missing, damaged and short-dated units.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable, Iterable, Mapping, Optional

from .catalogue import RowError
from .errors import CommerceError
from .gtin import parse_gtin
from .money import MAX_AMOUNT, format_eur, parse_amount

# --- locations (emplacements) ------------------------------------------------------------------

RESERVE = "RESERVE"
SHELF = "RAYON"
SCRAP = "REBUT"
CUSTOMER_RETURNS = "RETOURS-CLIENTS"
SUPPLIER_RETURNS = "RETOURS-FOURNISSEUR"
PARCELS = "COLIS"
SUPPLIER, CUSTOMER, INVENTORY = "@FOURNISSEUR", "@CLIENT", "@INVENTAIRE"  # virtual: no stock there
VIRTUAL_NAMES = {SUPPLIER: "fournisseur", CUSTOMER: "client", INVENTORY: "écart d'inventaire"}

LOCATION_KINDS = {
    "reserve": "réserve", "shelf": "rayon", "scrap": "rebut", "customer_returns": "retours clients",
    "supplier_returns": "retours fournisseur", "parcels": "colis clients",
}
SELLABLE_KINDS = ("reserve", "shelf")  # stock on hand of a product = its stock in these locations
_LOCATION_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,23}$")


@dataclass(frozen=True)
class Location:
    code: str  # also its barcode (Code 128): letters, digits, . _ -, at least one letter
    name: str
    kind: str  # key of LOCATION_KINDS

    @property
    def sellable(self) -> bool:
        return self.kind in SELLABLE_KINDS


DEFAULT_LOCATIONS = (
    Location(RESERVE, "Réserve", "reserve"), Location(SHELF, "Rayon", "shelf"), Location(SCRAP, "Rebut", "scrap"),
    Location(CUSTOMER_RETURNS, "Retours clients", "customer_returns"),
    Location(SUPPLIER_RETURNS, "Retours fournisseur", "supplier_returns"),
    Location(PARCELS, "Colis clients", "parcels"),
)


def is_location_code(text: str) -> bool:
    """A location barcode has a letter in it, so it is never mistaken for a product's EAN."""
    code = str(text).strip().upper()
    return bool(_LOCATION_CODE.match(code)) and any(c.isalpha() for c in code)


def parse_location_code(text: str) -> str:
    code = str(text).strip().upper()
    if not is_location_code(code):
        raise CommerceError(f"emplacement « {text} » refusé : 1 à 24 lettres, chiffres, points ou tirets, "
                            "dont au moins une lettre (par exemple R-A01 ou RAYON)")
    return code


def make_location(code: str, name: str, kind: str) -> Location:
    if kind not in LOCATION_KINDS:
        raise CommerceError(f"type d'emplacement « {kind} » inconnu : {', '.join(LOCATION_KINDS)}")
    name = " ".join(str(name).split())
    if not name or len(name) > 60:
        raise CommerceError(f"nom d'emplacement « {name} » refusé : 1 à 60 caractères")
    return Location(parse_location_code(code), name, kind)


def is_virtual(code: str) -> bool:
    return code.startswith("@")


# --- quantities and moves ----------------------------------------------------------------------

MAX_QTY = 99_999  # units in one move or one typed quantity: more is a typing slip

RECEPTION, SALE, RETURN, TRANSFER, ADJUSTMENT, SCRAP_MOVE, SUPPLIER_RETURN = (
    "reception", "sale", "return", "transfer", "count", "scrap", "supplier_return")
MOVE_KINDS = {
    RECEPTION: "réception", SALE: "vente", RETURN: "retour client", TRANSFER: "transfert",
    ADJUSTMENT: "ajustement d'inventaire", SCRAP_MOVE: "mise au rebut", SUPPLIER_RETURN: "retour fournisseur",
}


def parse_qty(value, what: str = "quantité", *, zero: bool = False) -> int:
    """A typed or given quantity: a whole number of units, 1 (or 0 when zero=True) to MAX_QTY."""
    feminine = what.split()[0] == "quantité"  # not colisage, nombre de colis, maxi…
    if value is None or not str(value).strip():  # an empty cell, or a CSV row cut short
        raise CommerceError(f"{what} {'manquante' if feminine else 'manquant'} : tapez un nombre entier d'unités")
    text = str(value).strip()
    refused = "refusée" if feminine else "refusé"
    if isinstance(value, bool) or not (isinstance(value, int) or (text.isascii() and text.isdigit())):
        raise CommerceError(f"{what} « {value} » {refused} : tapez un nombre entier d'unités")
    qty = int(text)
    low = 0 if zero else 1
    if not low <= qty <= MAX_QTY:
        raise CommerceError(f"{what} « {value} » {refused} : entre {low} et {MAX_QTY}")
    return qty


@dataclass(frozen=True)
class Move:
    """One product moving from `source` to `dest`. Never changed once stored."""

    kind: str  # key of MOVE_KINDS
    gtin13: str
    qty: int  # > 0: the direction is source -> dest
    source: str
    dest: str
    reason: str = ""
    unit_cost: Optional[int] = None  # cents excluding VAT, the purchase cost known at the time
    unit_price: Optional[int] = None  # cents including VAT, the selling price at the time
    best_before: Optional[date] = None

    def __post_init__(self):
        if self.kind not in MOVE_KINDS:
            raise CommerceError(f"mouvement « {self.kind} » inconnu")
        if not (len(self.gtin13) == 13 and self.gtin13.isdigit()):
            raise CommerceError(f"clé produit « {self.gtin13} » invalide : 13 chiffres attendus")
        parse_qty(self.qty)
        if self.source == self.dest:
            raise CommerceError(f"mouvement refusé : départ et arrivée identiques ({self.source})")

    def deltas(self) -> list[tuple[str, str, int]]:
        """(gtin13, location, change) for the real locations this move touches: the one stock rule."""
        out = []
        if not is_virtual(self.source):
            out.append((self.gtin13, self.source, -self.qty))
        if not is_virtual(self.dest):
            out.append((self.gtin13, self.dest, self.qty))
        return out


def apply_moves(moves: Iterable[Move], levels: Optional[dict] = None) -> dict:
    """{(gtin13, location): qty} after the moves (rows at 0 kept: they were touched)."""
    out = dict(levels or {})
    for m in moves:
        for gtin, loc, delta in m.deltas():
            out[(gtin, loc)] = out.get((gtin, loc), 0) + delta
    return out


def check_available(on_hand: int, qty: int, product: str, location: str) -> None:
    """A transfer or a scrap takes only what the ledger says is there (a sale never asks)."""
    if qty > on_hand:
        raise CommerceError(f"{product} : {qty} demandé(s) mais {max(on_hand, 0)} en stock dans « {location} » ; "
                            "vérifiez la quantité, ou faites un inventaire de l'emplacement")


# --- dates (DLC / DDM) -------------------------------------------------------------------------

DLC, DDM = "DLC", "DDM"
DATE_KINDS = {DLC: "DLC (à consommer jusqu'au)", DDM: "DDM (à consommer de préférence avant)"}


@dataclass(frozen=True)
class ShelfLifeRule:
    """Days a product must still have at reception to be sold (DLC: use-by, DDM: best-before)."""

    min_days_dlc: int = 3
    min_days_ddm: int = 30

    def min_days(self, kind: str) -> int:
        return self.min_days_dlc if kind == DLC else self.min_days_ddm


def parse_date_kind(text: str) -> str:
    word = str(text).strip().upper()
    if word == "DLUO":  # the former name of the DDM
        return DDM
    if word not in DATE_KINDS:
        raise CommerceError(f"type de date « {text} » inconnu : DLC ou DDM")
    return word


def parse_date(text, what: str = "date") -> date:
    """'2026-12-10' or '10/12/2026' -> date."""
    if isinstance(text, date):
        return text
    raw = str(text).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise CommerceError(f"{what} « {text} » illisible : écrivez 2026-12-10 ou 10/12/2026")


def is_short_date(kind: str, best_before: date, today: date, rule: ShelfLifeRule = ShelfLifeRule()) -> bool:
    """Too short to sell: fewer days left than the rule asks (a date already past is short too)."""
    return (best_before - today).days < rule.min_days(kind)


# --- purchase orders (bons de commande) --------------------------------------------------------

PO_COLUMNS = ("po", "supplier", "expected_date", "barcode", "qty", "unit_cost")  # optional 7th: pack
_PO_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$")


@dataclass(frozen=True)
class OrderLine:
    gtin13: str
    qty: int
    unit_cost: int = 0  # cents excluding VAT (0: unknown)
    pack: int = 1  # units per case (colisage), for rounding orders up


@dataclass(frozen=True)
class PurchaseOrder:
    number: str
    supplier: str
    expected: date
    lines: tuple[OrderLine, ...]
    backorder_of: str = ""  # the order this backorder (reliquat) comes from

    def line(self, gtin13: str) -> Optional[OrderLine]:
        return next((l for l in self.lines if l.gtin13 == gtin13), None)


def parse_po_number(text: str) -> str:
    number = str(text).strip()
    if not _PO_NUMBER.match(number):
        raise CommerceError(f"numéro de commande « {text} » refusé : 1 à 32 lettres, chiffres, . _ / -")
    return number


def check_po_header(fieldnames) -> None:
    names = [f.strip() for f in (fieldnames or [])]
    missing = [c for c in PO_COLUMNS if c not in names]
    if missing:
        raise CommerceError("en-tête du fichier incorrect : colonnes manquantes " + ", ".join(missing)
                            + " (attendu : " + ",".join(PO_COLUMNS) + "[,pack])")


def parse_po_head(supplier, expected) -> tuple[str, date]:
    """An order's supplier (spaces folded, 80 characters at most) and expected delivery date."""
    supplier = " ".join(str(supplier or "").split())
    if not supplier or len(supplier) > 80:
        raise CommerceError("fournisseur vide ou trop long (80 caractères au plus)")
    return supplier, parse_date(expected or "", "date de livraison prévue")


def orders_to_add(orders: Iterable[PurchaseOrder], stored: Callable[[str], Optional[PurchaseOrder]]
                  ) -> tuple[list[PurchaseOrder], list[str]]:
    """(the orders to store, the numbers already stored with the same content): an order is never
    changed, so one stored under the same number with another content is refused, naming it."""
    new, same = [], []
    for o in orders:
        have = stored(o.number)
        if have is None:
            new.append(o)
        elif have == o:
            same.append(o.number)
        else:
            raise CommerceError(f"commande {o.number} déjà enregistrée avec un autre contenu : "
                                "donnez un autre numéro à la nouvelle commande")
    return new, same


def purchase_orders_from_rows(rows: Iterable[dict]) -> tuple[list[PurchaseOrder], list[RowError]]:
    """CSV rows (one per order line) -> orders, grouped by `po` in file order, and the refused rows.

    A refused row refuses its whole order (an order is never stored with a line missing); the rows
    of one order must agree on supplier and expected date; a product appears once per order.
    """
    heads: dict[str, tuple[str, date, int]] = {}
    lines: dict[str, list[OrderLine]] = {}
    errors: list[RowError] = []
    bad: set[str] = set()
    for count, row in enumerate(rows, start=2):
        line_no = getattr(rows, "line_num", count)
        number_raw = str(row.get("po") or "").strip()
        try:
            if None in row:
                raise CommerceError("trop de colonnes")
            number = parse_po_number(number_raw)
            supplier, expected = parse_po_head(row.get("supplier"), row.get("expected_date"))
            gtin = parse_gtin(str(row.get("barcode") or "").strip()).gtin13
            qty = parse_qty(row.get("qty") or "", "quantité commandée")
            cost_text = str(row.get("unit_cost") or "").strip()
            cost = parse_amount(cost_text, "coût unitaire") if cost_text else 0
            if not 0 <= cost <= MAX_AMOUNT:
                raise CommerceError(f"coût unitaire « {cost_text} » refusé : entre 0 et {format_eur(MAX_AMOUNT)}")
            pack_text = str(row.get("pack") or "").strip()
            pack = parse_qty(pack_text, "colisage") if pack_text else 1
            if number in heads:
                first_supplier, first_date, first_line = heads[number]
                if (supplier, expected) != (first_supplier, first_date):
                    raise CommerceError(f"commande {number} : fournisseur ou date différents de la ligne {first_line}")
                if any(l.gtin13 == gtin for l in lines[number]):
                    raise CommerceError(f"commande {number} : code-barres {gtin} déjà commandé plus haut")
            else:
                heads[number] = (supplier, expected, line_no)
                lines[number] = []
            lines[number].append(OrderLine(gtin, qty, cost, pack))
        except CommerceError as e:
            errors.append(RowError(line_no, str(row.get("barcode") or ""), str(e)))
            if number_raw:
                bad.add(number_raw)
    orders = [PurchaseOrder(n, s, d, tuple(lines[n])) for n, (s, d, _) in heads.items() if n not in bad]
    return orders, errors


def backorder_number(number: str) -> str:
    """PO-7 -> PO-7-R1 -> PO-7-R2: a backorder of a backorder keeps the original number."""
    m = re.match(r"^(.*)-R(\d+)$", number)
    return f"{m.group(1)}-R{int(m.group(2)) + 1}" if m else f"{number}-R1"


# --- goods reception ---------------------------------------------------------------------------

MISSING, SURPLUS, NOT_ORDERED, DAMAGED, SHORT_DATE, NOTE_MISMATCH = (
    "missing", "surplus", "not_ordered", "damaged", "short_date", "note_mismatch")
ANOMALY_LABELS = {
    MISSING: "Manquant", SURPLUS: "Excédent", NOT_ORDERED: "Non commandé", DAMAGED: "Avarié",
    SHORT_DATE: "Date trop courte", NOTE_MISMATCH: "Écart avec le bon de livraison",
}


@dataclass
class ReceptionDraft:
    """A reception being scanned. Rebuilt from its stored events (kiosk.stock_store), so nothing
    scanned is lost when the kiosk stops; it writes nothing until it is validated."""

    order: PurchaseOrder
    note: str = ""  # delivery note number (numéro du bon de livraison)
    received: dict = field(default_factory=dict)  # gtin13 -> units received (scan order kept)
    announced: dict = field(default_factory=dict)  # gtin13 -> units on the delivery note
    damaged: dict = field(default_factory=dict)  # gtin13 -> [(units, reason)]
    dates: dict = field(default_factory=dict)  # gtin13 -> (DLC|DDM, date)

    def set_note(self, text: str) -> str:
        note = " ".join(str(text).split())
        if not note or len(note) > 40:
            raise CommerceError(f"numéro de bon de livraison « {text} » refusé : 1 à 40 caractères")
        self.note = note
        return note

    def scan(self, gtin13: str, qty: int = 1) -> int:
        total = self.received.get(gtin13, 0) + parse_qty(qty)
        if total > MAX_QTY:
            raise CommerceError(f"quantité reçue de {gtin13} refusée : plus de {MAX_QTY}")
        self.received[gtin13] = total
        return total

    def set_received(self, gtin13: str, qty: int) -> int:
        qty = parse_qty(qty, "quantité reçue", zero=True)
        if qty < self.damaged_qty(gtin13):
            raise CommerceError(f"quantité reçue {qty} refusée : {self.damaged_qty(gtin13)} unité(s) déjà "
                                "déclarée(s) avariée(s)")
        self.received[gtin13] = qty
        return qty

    def announce(self, gtin13: str, qty: int) -> int:
        self.announced[gtin13] = parse_qty(qty, "quantité du bon de livraison", zero=True)
        return self.announced[gtin13]

    def damaged_qty(self, gtin13: str) -> int:
        return sum(q for q, _ in self.damaged.get(gtin13, ()))

    def damage(self, gtin13: str, qty: int, reason: str) -> int:
        qty = parse_qty(qty, "quantité avariée")
        reason = " ".join(str(reason).split())
        if not reason:
            raise CommerceError("motif de l'avarie manquant : par exemple « carton écrasé »")
        if self.damaged_qty(gtin13) + qty > self.received.get(gtin13, 0):
            raise CommerceError(f"{qty} avarié(s) refusé(s) : seulement {self.received.get(gtin13, 0)} reçu(s), "
                                f"dont {self.damaged_qty(gtin13)} déjà avarié(s) ; scannez l'article d'abord")
        self.damaged.setdefault(gtin13, []).append((qty, reason[:80]))
        return self.damaged_qty(gtin13)

    def best_before(self, gtin13: str, kind: str, when: date) -> None:
        if gtin13 not in self.received:
            raise CommerceError("date refusée : scannez l'article d'abord")
        self.dates[gtin13] = (parse_date_kind(kind), parse_date(when))

    def apply(self, action: str, gtin13: str, qty: int, text: str) -> None:
        """Replay one stored event (the service stores exactly what it applied)."""
        if action == "note":
            self.set_note(text)
        elif action == "scan":
            self.scan(gtin13, qty)
        elif action == "received":
            self.set_received(gtin13, qty)
        elif action == "announced":
            self.announce(gtin13, qty)
        elif action == "damaged":
            self.damage(gtin13, qty, text)
        elif action == "date":
            kind, _, when = text.partition(" ")
            self.best_before(gtin13, kind, parse_date(when))
        else:
            raise CommerceError(f"événement de réception « {action} » inconnu")

    def products(self) -> list[str]:
        """Ordered lines first (order of the purchase order), then items not ordered (scan order)."""
        ordered = [l.gtin13 for l in self.order.lines]
        return _unique(ordered + [g for g in (*self.received, *self.announced) if g not in ordered])


@dataclass(frozen=True)
class ReceptionLine:
    gtin13: str
    ordered: int
    announced: Optional[int]  # None: not typed from the delivery note
    received: int
    damaged: int
    damage_reason: str
    date_kind: str  # "" | DLC | DDM
    best_before: Optional[date]
    short_date: bool
    accepted: int  # into the reserve
    set_aside: int  # into RETOURS-FOURNISSEUR (damaged, short date, surplus, not ordered)
    unit_cost: int

    @property
    def backorder(self) -> int:
        return max(self.ordered - self.accepted, 0)


@dataclass(frozen=True)
class Anomaly:
    kind: str  # key of ANOMALY_LABELS
    gtin13: str
    qty: int
    detail: str = ""

    @property
    def label(self) -> str:
        return ANOMALY_LABELS[self.kind]


@dataclass(frozen=True)
class ReceptionResult:
    lines: tuple[ReceptionLine, ...]
    anomalies: tuple[Anomaly, ...]
    moves: tuple[Move, ...]
    backorder: Optional[PurchaseOrder]


def _unique(seq: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(seq))


def reception_lines(draft: ReceptionDraft, today: date, rule: ShelfLifeRule = ShelfLifeRule()) -> list[ReceptionLine]:
    out = []
    for g in draft.products():
        ordered_line = draft.order.line(g)
        ordered = ordered_line.qty if ordered_line else 0
        received, damaged = draft.received.get(g, 0), draft.damaged_qty(g)
        kind, when = draft.dates.get(g, ("", None))
        short = when is not None and is_short_date(kind, when, today, rule)
        good = 0 if short else received - damaged
        accepted = min(good, ordered)
        out.append(ReceptionLine(
            g, ordered, draft.announced.get(g), received, damaged,
            "; ".join(_unique(r for _, r in draft.damaged.get(g, ()))), kind, when, short, accepted,
            received - accepted, ordered_line.unit_cost if ordered_line else 0))
    return out


def check_reception(draft: ReceptionDraft, today: date, rule: ShelfLifeRule = ShelfLifeRule()) -> ReceptionResult:
    """What validating the reception means: its lines, anomalies, moves and backorder."""
    if not draft.note:
        raise CommerceError("numéro du bon de livraison manquant : tapez-le avant de valider")
    if not any(draft.received.values()):
        raise CommerceError("aucun article reçu : scannez la livraison avant de valider")
    return preview_reception(draft, today, rule)


def preview_reception(draft: ReceptionDraft, today: date, rule: ShelfLifeRule = ShelfLifeRule()) -> ReceptionResult:
    """The same decision while scanning (the screen flags anomalies as they appear)."""
    lines = reception_lines(draft, today, rule)
    anomalies: list[Anomaly] = []
    moves: list[Move] = []
    for l in lines:
        when = l.best_before.isoformat() if l.best_before else ""
        if l.ordered and l.received < l.ordered:
            anomalies.append(Anomaly(MISSING, l.gtin13, l.ordered - l.received,
                                     f"commandé {l.ordered}, reçu {l.received}"))
        if l.ordered and l.received > l.ordered:
            anomalies.append(Anomaly(SURPLUS, l.gtin13, l.received - l.ordered,
                                     f"commandé {l.ordered}, reçu {l.received}"))
        if not l.ordered and l.received:
            anomalies.append(Anomaly(NOT_ORDERED, l.gtin13, l.received, "article absent de la commande"))
        if l.damaged:
            anomalies.append(Anomaly(DAMAGED, l.gtin13, l.damaged, l.damage_reason))
        if l.short_date and l.received - l.damaged:
            anomalies.append(Anomaly(SHORT_DATE, l.gtin13, l.received - l.damaged,
                                     f"{l.date_kind} {_fr_date(l.best_before)}, "
                                     f"{rule.min_days(l.date_kind)} jours au moins"))
        if l.announced is not None and l.announced != l.received:
            anomalies.append(Anomaly(NOTE_MISMATCH, l.gtin13, abs(l.announced - l.received),
                                     f"bon de livraison {l.announced}, reçu {l.received}"))
        cost = l.unit_cost or None
        best = l.best_before
        if l.accepted:
            moves.append(Move(RECEPTION, l.gtin13, l.accepted, SUPPLIER, RESERVE, "", cost, None, best))
        aside = [(l.damaged, f"avarié : {l.damage_reason}")]
        good = l.received - l.damaged
        if l.short_date:
            aside.append((good, f"{l.date_kind} trop courte : {when}"))
        elif l.ordered:
            aside.append((good - l.accepted, "excédent"))
        else:
            aside.append((good, "non commandé"))
        moves += [Move(RECEPTION, l.gtin13, q, SUPPLIER, SUPPLIER_RETURNS, why, cost, None, best)
                  for q, why in aside if q > 0]
    back = tuple(OrderLine(l.gtin13, l.backorder, l.unit_cost, draft.order.line(l.gtin13).pack)
                 for l in lines if l.backorder > 0)
    backorder = PurchaseOrder(backorder_number(draft.order.number), draft.order.supplier, draft.order.expected,
                              back, draft.order.number) if back else None
    return ReceptionResult(tuple(lines), tuple(anomalies), tuple(moves), backorder)


def _fr_date(d: Optional[date]) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


# --- stock counts (inventaires) ----------------------------------------------------------------

# The teacher's badge approves a count's adjustments (commerce.operators.approve, which knows only
# the actions of its APPROVAL_ACTIONS: see kiosk.stockroom_service.count_approve).
COUNT_APPROVAL = "stock_count_adjustment"
COUNT_APPROVAL_LABEL = "valider les écarts d'un inventaire"

COUNTING, RECOUNT, TO_APPROVE, APPROVED, CANCELLED = "counting", "recount", "to_approve", "approved", "cancelled"
COUNT_STATES = {COUNTING: "comptage", RECOUNT: "recomptage des écarts", TO_APPROVE: "à valider par le professeur",
                APPROVED: "validé", CANCELLED: "annulé"}


@dataclass(frozen=True)
class CountLine:
    gtin13: str
    expected: int  # stock the ledger held when the count started
    counted: int
    recounted: bool

    @property
    def difference(self) -> int:
        return self.counted - self.expected


@dataclass
class CountSheet:
    """A count session, rebuilt from its stored entries and steps.

    Round 1 counts everything (blind: the screen never shows `expected`). Closing round 1 lists the
    lines that differ; they are counted again from zero in round 2 and that count is kept. Then the
    teacher approves. A product expected and never counted is counted 0.
    """

    expected: dict  # gtin13 -> units expected
    state: str = COUNTING
    first: dict = field(default_factory=dict)
    second: dict = field(default_factory=dict)
    recount: tuple = ()

    def _round(self) -> dict:
        if self.state == COUNTING:
            return self.first
        if self.state == RECOUNT:
            return self.second
        raise CommerceError(f"inventaire {COUNT_STATES[self.state]} : plus de comptage possible")

    def add(self, gtin13: str, qty: int = 1) -> int:
        counts = self._round()
        if self.state == RECOUNT and gtin13 not in self.recount:
            raise CommerceError("cet article n'est pas à recompter : seuls les écarts le sont")
        total = counts.get(gtin13, 0) + parse_qty(qty)
        if total > MAX_QTY:
            raise CommerceError(f"quantité comptée refusée : plus de {MAX_QTY}")
        counts[gtin13] = total
        return total

    def set(self, gtin13: str, qty: int) -> int:
        counts = self._round()
        if self.state == RECOUNT and gtin13 not in self.recount:
            raise CommerceError("cet article n'est pas à recompter : seuls les écarts le sont")
        counts[gtin13] = parse_qty(qty, "quantité comptée", zero=True)
        return counts[gtin13]

    def close_round(self) -> tuple[str, ...]:
        """End the current round; returns the products to recount (none: ready for approval)."""
        if self.state == COUNTING:
            self.recount = tuple(l.gtin13 for l in self.lines() if l.difference)
            self.state = RECOUNT if self.recount else TO_APPROVE
            return self.recount
        if self.state == RECOUNT:
            self.state = TO_APPROVE
            return ()
        raise CommerceError(f"inventaire {COUNT_STATES[self.state]} : rien à clôturer")

    def approve(self) -> None:
        if self.state != TO_APPROVE:
            raise CommerceError(f"inventaire pas encore à valider ({COUNT_STATES[self.state]}) : "
                                "terminez le comptage d'abord")
        self.state = APPROVED

    def cancel(self) -> None:
        if self.state in (APPROVED, CANCELLED):
            raise CommerceError(f"inventaire déjà {COUNT_STATES[self.state]}")
        self.state = CANCELLED

    def counted(self, gtin13: str) -> int:
        if gtin13 in self.recount and self.state != COUNTING:
            return self.second.get(gtin13, 0)
        return self.first.get(gtin13, 0)

    def lines(self) -> list[CountLine]:
        products = _unique(list(self.expected) + list(self.first))
        return [CountLine(g, self.expected.get(g, 0), self.counted(g), g in self.recount) for g in products]


def count_adjustments(lines: Iterable[CountLine], location: str, number: int,
                      costs: Mapping[str, int] = {}, prices: Mapping[str, int] = {}) -> list[Move]:
    """The moves an approved count writes: one per line that differs, with its reason."""
    out = []
    for l in lines:
        if l.difference:
            reason = f"inventaire n° {number} : écart {l.difference:+d}"
            src, dst = (INVENTORY, location) if l.difference > 0 else (location, INVENTORY)
            out.append(Move(ADJUSTMENT, l.gtin13, abs(l.difference), src, dst, reason,
                            costs.get(l.gtin13), prices.get(l.gtin13)))
    return out


# --- scrap and markdown (rebut, démarque) -------------------------------------------------------

SCRAP_REASONS = {"damaged": "casse ou produit abîmé", "expired": "date dépassée", "theft": "vol ou démarque inconnue"}
_SCRAP_ALIASES = {"casse": "damaged", "abime": "damaged", "abîmé": "damaged", "perime": "expired",
                  "périmé": "expired", "dlc": "expired", "vol": "theft", "unknown": "theft", "inconnue": "theft"}


def _choice(text, keys, aliases: Mapping[str, str], refusal: str) -> str:
    """A key of `keys` as typed, in English or by its French alias; else `refusal` (French)."""
    word = str(text).strip().lower()
    key = word if word in keys else aliases.get(word)
    if key is None:
        raise CommerceError(refusal)
    return key


def parse_scrap_reason(text: str) -> str:
    return _choice(text, SCRAP_REASONS, _SCRAP_ALIASES, f"motif de rebut « {text} » inconnu : damaged (casse), "
                   "expired (date dépassée) ou theft (vol, démarque inconnue)")


def scrap_move(gtin13: str, qty: int, reason: str, source: str, unit_cost: Optional[int] = None,
               unit_price: Optional[int] = None) -> Move:
    return Move(SCRAP_MOVE, gtin13, parse_qty(qty, "quantité mise au rebut"), source, SCRAP,
                parse_scrap_reason(reason), unit_cost, unit_price)


@dataclass(frozen=True)
class ScrapTotal:
    reason: str
    qty: int
    cost_value: int  # cents excluding VAT, at purchase cost (units of unknown cost count 0)
    retail_value: int  # cents including VAT, at the selling price of the day
    uncosted: int  # units whose purchase cost was unknown

    @property
    def label(self) -> str:
        return SCRAP_REASONS[self.reason]


def scrap_totals(moves: Iterable[Move]) -> list[ScrapTotal]:
    """Value lost per reason, every reason listed (zero included), in SCRAP_REASONS order."""
    acc = {r: [0, 0, 0, 0] for r in SCRAP_REASONS}
    for m in moves:
        if m.kind != SCRAP_MOVE:
            continue
        a = acc[m.reason]
        a[0] += m.qty
        a[1] += m.qty * (m.unit_cost or 0)
        a[2] += m.qty * (m.unit_price or 0)
        a[3] += 0 if m.unit_cost else m.qty
    return [ScrapTotal(r, *v) for r, v in acc.items()]


# --- customer returns and parcels --------------------------------------------------------------

CONDITIONS = {"resaleable": ("revendable", RESERVE), "scrap": ("à mettre au rebut", SCRAP),
              "supplier": ("à rendre au fournisseur", SUPPLIER_RETURNS)}
_CONDITION_ALIASES = {"revendable": "resaleable", "rebut": "scrap", "fournisseur": "supplier"}


def parse_condition(text: str) -> str:
    return _choice(text, CONDITIONS, _CONDITION_ALIASES, f"état « {text} » inconnu : resaleable (revendable), "
                   "scrap (rebut) ou supplier (retour fournisseur)")


def disposal_move(gtin13: str, qty: int, condition: str, source: str, unit_cost: Optional[int] = None,
                  unit_price: Optional[int] = None) -> Move:
    """Where a returned item goes from `source` by its condition; a scrapped one is démarque (damaged)."""
    condition = parse_condition(condition)
    if condition == "scrap":
        return scrap_move(gtin13, qty, "damaged", source, unit_cost, unit_price)
    return Move(TRANSFER, gtin13, parse_qty(qty), source, CONDITIONS[condition][1],
                f"retour client : {CONDITIONS[condition][0]}", unit_cost, unit_price)


def return_moves(gtin13: str, qty: int, condition: str, unit_cost: Optional[int] = None,
                 unit_price: Optional[int] = None) -> list[Move]:
    """An item a customer brings back: into RETOURS-CLIENTS, then where its condition sends it."""
    back = Move(RETURN, gtin13, parse_qty(qty, "quantité rendue"), CUSTOMER, CUSTOMER_RETURNS, "retour client",
                unit_cost, unit_price)
    return [back, disposal_move(gtin13, qty, condition, CUSTOMER_RETURNS, unit_cost, unit_price)]


PARCEL_RECEIVED, PARCEL_STORED, PARCEL_HANDED_OVER, PARCEL_RETURNED = "received", "stored", "handed_over", "returned"
PARCEL_STATES = {PARCEL_RECEIVED: "reçu", PARCEL_STORED: "rangé", PARCEL_HANDED_OVER: "remis au client",
                 PARCEL_RETURNED: "retour client"}
_PARCEL_NEXT = {  # action -> states it may follow
    PARCEL_STORED: (PARCEL_RECEIVED, PARCEL_STORED),
    PARCEL_HANDED_OVER: (PARCEL_RECEIVED, PARCEL_STORED),
    PARCEL_RETURNED: (PARCEL_HANDED_OVER, PARCEL_RETURNED),
}
_ORDER_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,31}$")


def parse_order_code(text: str) -> str:
    code = str(text).strip().upper()
    if not _ORDER_CODE.match(code):
        raise CommerceError(f"code de commande « {text} » refusé : 3 à 32 lettres, chiffres ou tirets")
    return code


def parcel_step(state: str, action: str, order_code: str) -> str:
    """The parcel's state after `action`, or a French refusal saying why not."""
    allowed = _PARCEL_NEXT.get(action, ())
    if state not in allowed:
        if action == PARCEL_HANDED_OVER and state == PARCEL_HANDED_OVER:
            raise CommerceError(f"colis {order_code} déjà remis au client")
        raise CommerceError(f"colis {order_code} {PARCEL_STATES[state]} : impossible de le marquer "
                            f"« {PARCEL_STATES[action]} »")
    return action


# --- replenishment (réassort) ------------------------------------------------------------------

@dataclass(frozen=True)
class MinMax:
    gtin13: str
    location: str
    min: int
    max: int

    def __post_init__(self):
        if not (isinstance(self.min, int) and isinstance(self.max, int) and 0 <= self.min < self.max <= MAX_QTY):
            raise CommerceError(f"seuils mini {self.min} / maxi {self.max} refusés : 0 ≤ mini < maxi ≤ {MAX_QTY}")


def order_quantity(on_hand: int, on_order: int, rule: MinMax, pack: int = 1) -> int:
    """Min/max: when stock plus what is on order is at or below the minimum, order up to the
    maximum, rounded up to whole cases (colisage)."""
    position = on_hand + on_order
    if position > rule.min:
        return 0
    need = rule.max - position
    return -(-need // pack) * pack


@dataclass(frozen=True)
class ReplenishLine:
    gtin13: str
    location: str
    on_hand: int
    on_order: int
    min: int
    max: int
    qty: int  # to order (reserve) or to bring from the reserve (shelf)
    source: str  # a supplier's name, or RESERVE for a shelf refill


REFILL = "Réassort du rayon depuis la réserve"
UNKNOWN_SUPPLIER = "Fournisseur inconnu"


def replenishment(rules: Iterable[MinMax], kinds: Mapping[str, str], on_hand: Mapping[tuple[str, str], int],
                  on_order: Mapping[str, int],
                  suppliers: Mapping[str, tuple[str, int]]) -> dict[str, list[ReplenishLine]]:
    """Lines to order, grouped by supplier, plus the shelf refills (group REFILL).

    A rule on a reserve location orders from the supplier; what is already on order counts for the
    RESERVE (deliveries arrive there). A rule on a shelf location is refilled from the reserve, no
    more than the reserve holds. suppliers: gtin13 -> (supplier, pack).
    """
    groups: dict[str, list[ReplenishLine]] = {}
    for r in rules:
        have = on_hand.get((r.gtin13, r.location), 0)
        if kinds.get(r.location) == "shelf":
            qty = min(order_quantity(have, 0, r), max(on_hand.get((r.gtin13, RESERVE), 0), 0))
            line = ReplenishLine(r.gtin13, r.location, have, 0, r.min, r.max, qty, RESERVE)
            group = REFILL
        else:
            coming = on_order.get(r.gtin13, 0) if r.location == RESERVE else 0
            supplier, pack = suppliers.get(r.gtin13, (UNKNOWN_SUPPLIER, 1))
            line = ReplenishLine(r.gtin13, r.location, have, coming, r.min, r.max,
                                 order_quantity(have, coming, r, pack), supplier)
            group = supplier
        if line.qty > 0:
            groups.setdefault(group, []).append(line)
    return dict(sorted(groups.items(), key=lambda kv: (kv[0] == REFILL, kv[0] == UNKNOWN_SUPPLIER, _fold(kv[0]))))


def _fold(text: str) -> str:
    """Sort key ignoring case and accents: « Épicerie » between « Conserverie » and « Fromagerie »."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def low_stock(rules: Iterable[MinMax], on_hand: Mapping[tuple[str, str], int]) -> list[tuple[MinMax, int]]:
    """Rules whose location holds the minimum or less (alerte de stock), the emptiest first."""
    out = [(r, on_hand.get((r.gtin13, r.location), 0)) for r in rules]
    return sorted(((r, q) for r, q in out if q <= r.min), key=lambda rq: (rq[1] - rq[0].min, rq[0].gtin13))
