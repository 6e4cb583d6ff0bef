"""The stockroom's use cases (la réserve): one method per user action. Screens call these only.

Each action reads what it needs (kiosk.stock_store), asks commerce.stock to decide, stores, then
prints. What is stored is stored before printing: a printer fault loses nothing (reprint).

Actions return a Feedback (kiosk.register_service): message in French, level "info", "warning"
(recorded, but look: an item not ordered, a short date, stock at or below its minimum) or "error"
(refused, nothing changed). Queries for the screens (lists, sheets) return data.

Scanned codes are strings from any scanner (keyboard wedge, serial, camera): a product's EAN/UPC,
or a location's code (it has a letter in it, commerce.stock.is_location_code).

    svc = StockroomService(store, printer, kiosk="reserve-1", operator="eleve1")
    svc.pick_delivery("PO-2025-014"); svc.delivery_note("BL-123")
    svc.receive_scan("3292590049201"); svc.damaged("3292590049201", 2, "carton écrasé")
    svc.best_before("3292590050511", "2026-12-10"); svc.validate_reception()
"""
from __future__ import annotations

import copy
import uuid
from contextlib import contextmanager
from datetime import datetime
from typing import Callable, Optional, Sequence

from commerce import stock
from commerce.errors import CommerceError
from commerce.gtin import lookup_keys
from commerce.money import format_eur
from commerce.receipt import ShopInfo
from commerce.shelf_label import make_shelf_label
from commerce.stock import Move, ShelfLifeRule
from commerce.stock_report import (CountReport, ReceptionReport, count_report_blocks, location_label_blocks,
                                   product_label_blocks, reception_report_blocks, replenishment_blocks,
                                   scrap_report_blocks)

from . import operators_store
from .register_service import Feedback
from .stock_store import StockStore

WARNING = "warning"


@contextmanager
def _count_approval_known():
    """commerce.operators.approve refuses an action its APPROVAL_ACTIONS does not list. Until
    commerce/operators.py lists COUNT_APPROVAL, it is listed for the time of one approval only (the
    badge check stays the one of commerce.operators; nothing else sees the table changed)."""
    from commerce.operators import APPROVAL_ACTIONS
    added = stock.COUNT_APPROVAL not in APPROVAL_ACTIONS
    if added:
        APPROVAL_ACTIONS[stock.COUNT_APPROVAL] = stock.COUNT_APPROVAL_LABEL
    try:
        yield
    finally:
        if added:
            APPROVAL_ACTIONS.pop(stock.COUNT_APPROVAL, None)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _refused(e: Exception, what: str = "") -> Feedback:
    return Feedback(f"{what} : {e}" if what else _cap(str(e)), "error")


class StockroomService:
    def __init__(self, store, printer, kiosk: str = "reserve-1", operator: str = "", *,
                 shop: ShopInfo = ShopInfo(), signin=None, shelf_life: ShelfLifeRule = ShelfLifeRule(),
                 clock: Callable[[], datetime] = datetime.now, register: str = ""):
        self.store = store  # kiosk.store.KioskStore (catalogue, journal, operators)
        self.register = register or kiosk  # what its journal entries name (the kiosk's [kiosk] register)
        self.stock = StockStore(store.conn)
        self.printer = printer
        self.kiosk = kiosk
        self._operator = operator
        self.signin = signin  # kiosk.signin_service.SignInService; created on the first approval if None
        self.shop = shop
        self.shelf_life = shelf_life
        self.clock = clock
        # reception being scanned
        self.order: Optional[stock.PurchaseOrder] = None
        self.draft_id: Optional[str] = None
        self.draft: Optional[stock.ReceptionDraft] = None
        self.last_reception: Optional[int] = None
        # put-away and transfers
        self.source = stock.RESERVE
        self.destination: Optional[str] = None
        # count session
        self.count_id: Optional[str] = None
        self.sheet: Optional[stock.CountSheet] = None

    # -- who and when ------------------------------------------------------------------------------
    @property
    def operator(self) -> str:
        current = getattr(self.signin, "current", None)
        return current.id if current is not None else self._operator

    def operator_name(self, operator_id: Optional[str] = None) -> str:
        op = operators_store.get(self.store.conn, operator_id or self.operator)
        return op.name if op else (operator_id or self.operator or "?")

    def _now(self) -> datetime:
        return self.clock().replace(microsecond=0)

    # -- helpers -----------------------------------------------------------------------------------
    def _gtin(self, code: str) -> str:
        """The catalogue key of a scanned or typed product code (CommerceError if unreadable)."""
        keys = lookup_keys(str(code).strip())
        return next((k for k in keys if self.stock.product(k) is not None), keys[0])

    def _name(self, gtin13: str) -> str:
        product = self.stock.product(gtin13)
        return product.name if product else f"Article {gtin13} (inconnu au catalogue)"

    def _location(self, code: str) -> stock.Location:
        loc = self.stock.location(stock.parse_location_code(code))
        if loc is None:
            raise CommerceError(f"emplacement « {code} » inconnu : scannez l'étiquette d'un emplacement déclaré")
        return loc

    def _print(self, job) -> Optional[str]:
        try:
            job()
        except Exception as e:  # any device fault: what it prints is already stored
            return f"Impression impossible ({e}) : relancez l'impression"
        return None

    def _stored_then_print(self, stored: str, blocks: list, level: str = "info",
                           printed: str = "Rapport imprimé") -> Feedback:
        """What was stored, then whether its report printed (a fault loses nothing: reprint)."""
        fault = self._print(lambda: self.printer.print_job(blocks))
        return Feedback(f"{stored}. {fault}", "error") if fault else Feedback(f"{stored}. {printed}", level)

    def _print_only(self, message: str, blocks: list, level: str = "info") -> Feedback:
        """A print that records nothing: its message, or the printer's fault."""
        fault = self._print(lambda: self.printer.print_job(blocks))
        return Feedback(fault, "error") if fault else Feedback(message, level)

    def retry_print(self) -> Feedback:
        """Print again the job the printer kept after a fault (as the register's F9)."""
        if getattr(self.printer, "pending", None) is None:
            return Feedback("Aucune impression en attente")
        fault = self._print(self.printer.retry)
        return Feedback(fault, "error") if fault else Feedback("Impression relancée : c'est imprimé")

    def _prices_costs(self, gtin13: str) -> tuple[Optional[int], Optional[int]]:
        product = self.stock.product(gtin13)
        return self.stock.unit_cost(gtin13), product.price if product else None

    # == goods reception (réception) ================================================================
    def expected_deliveries(self):
        """Orders waiting for their delivery, soonest first (kiosk.stock_store.OrderSummary)."""
        return self.stock.open_orders()

    def pick_delivery(self, po_number: str) -> Feedback:
        """Choose the expected delivery; a reception already started for it is resumed."""
        try:
            number = stock.parse_po_number(po_number)
            order = self.stock.order(number)
            if order is None:  # typed in lower case (po-1001): the expected order spelt as it was imported
                number = next((s.order.number for s in self.stock.open_orders()
                               if s.order.number.upper() == number.upper()), number)
                order = self.stock.order(number)
            if order is None:
                raise CommerceError(f"commande {number} inconnue : importez-la (comptoir purchase import)")
            if all(s.order.number != number for s in self.stock.open_orders()):
                raise CommerceError(f"commande {number} déjà réceptionnée")
        except CommerceError as e:
            return _refused(e, "Livraison refusée")
        self.order = order
        self.draft_id = self.stock.open_draft(number)
        if self.draft_id:
            self.draft = self.stock.load_draft(self.draft_id, order)
            scanned = sum(self.draft.received.values())
            return Feedback(f"Réception de la commande {number} reprise : {scanned} article(s) déjà scanné(s)")
        self.draft_id, self.draft = str(uuid.uuid4()), stock.ReceptionDraft(order)
        return Feedback(f"Commande {number} de {order.supplier} : {len(order.lines)} ligne(s), "
                        f"{sum(l.qty for l in order.lines)} article(s). Tapez le numéro du bon de livraison")

    def _draft_action(self, action: str, apply, gtin13: str = "", qty: int = 0, text: str = "") -> None:
        """Apply to the draft and store the event, or neither."""
        if self.draft is None:
            raise CommerceError("aucune livraison choisie : choisissez d'abord la commande attendue")
        apply()
        self.stock.add_reception_event(self.draft_id, self.order.number, action, gtin13=gtin13, qty=qty, text=text,
                                       operator=self.operator, at=self._now())

    def _undo_safe(self, action: str, apply, **kw) -> None:
        """Keep a copy first so a refusal (or a store error) leaves the draft as it was."""
        before = copy.deepcopy(self.draft)
        try:
            self._draft_action(action, apply, **kw)
        except Exception:
            self.draft = before
            raise

    def delivery_note(self, number: str) -> Feedback:
        try:
            text = " ".join(str(number).split())
            self._undo_safe("note", lambda: self.draft.set_note(text), text=text)
        except CommerceError as e:
            return _refused(e)
        return Feedback(f"Bon de livraison {self.draft.note} : scannez les articles reçus")

    def receive_scan(self, code: str, qty=1) -> Feedback:
        """An item of the delivery scanned (qty: a case typed before the scan)."""
        try:
            gtin = self._gtin(code)
            n = stock.parse_qty(qty)
            self._undo_safe("scan", lambda: self.draft.scan(gtin, n), gtin13=gtin, qty=n)
        except CommerceError as e:
            return _refused(e)
        return self._line_feedback(gtin)

    def set_received(self, code: str, qty) -> Feedback:
        """The quantity received of a product, typed (a correction: it replaces the scans)."""
        try:
            gtin = self._gtin(code)
            n = stock.parse_qty(qty, "quantité reçue", zero=True)
            self._undo_safe("received", lambda: self.draft.set_received(gtin, n), gtin13=gtin, qty=n)
        except CommerceError as e:
            return _refused(e)
        return self._line_feedback(gtin)

    def announced(self, code: str, qty) -> Feedback:
        """The quantity written on the delivery note for a product."""
        try:
            gtin = self._gtin(code)
            n = stock.parse_qty(qty, "quantité du bon de livraison", zero=True)
            self._undo_safe("announced", lambda: self.draft.announce(gtin, n), gtin13=gtin, qty=n)
        except CommerceError as e:
            return _refused(e)
        return self._line_feedback(gtin)

    def damaged(self, code: str, qty, reason: str) -> Feedback:
        try:
            gtin = self._gtin(code)
            n = stock.parse_qty(qty, "quantité avariée")
            reason = " ".join(str(reason).split())
            self._undo_safe("damaged", lambda: self.draft.damage(gtin, n, reason), gtin13=gtin, qty=n, text=reason)
        except CommerceError as e:
            return _refused(e)
        return Feedback(f"{self._name(gtin)} : {self.draft.damaged_qty(gtin)} avarié(s) ({reason}), mis de côté "
                        "pour le fournisseur", WARNING)

    def best_before(self, code: str, when: str, kind: str = stock.DLC) -> Feedback:
        """The DLC (use-by) or DDM (best-before) date printed on a received product."""
        try:
            gtin = self._gtin(code)
            kind = stock.parse_date_kind(kind)
            day = stock.parse_date(when, kind)
            self._undo_safe("date", lambda: self.draft.best_before(gtin, kind, day), gtin13=gtin,
                            text=f"{kind} {day.isoformat()}")
        except CommerceError as e:
            return _refused(e)
        today = self._now().date()
        if stock.is_short_date(kind, day, today, self.shelf_life):
            return Feedback(f"{self._name(gtin)} : {kind} {day.strftime('%d/%m/%Y')} trop courte "
                            f"({(day - today).days} jour(s), {self.shelf_life.min_days(kind)} au moins) : "
                            "refusé, mis de côté pour le fournisseur", WARNING)
        return Feedback(f"{self._name(gtin)} : {kind} {day.strftime('%d/%m/%Y')} notée")

    def _line_feedback(self, gtin: str) -> Feedback:
        line = self.draft.order.line(gtin)
        received = self.draft.received.get(gtin, 0)
        if line is None:
            return Feedback(f"{self._name(gtin)} : NON COMMANDÉ ({received} reçu(s)) — anomalie notée", WARNING)
        level = WARNING if received > line.qty else "info"
        return Feedback(f"{self._name(gtin)} : reçu {received} / commandé {line.qty}", level)

    def reception_preview(self) -> stock.ReceptionResult:
        """Lines (ordered, announced, received, accepted) and anomalies so far, for the screen."""
        if self.draft is None:
            raise CommerceError("aucune livraison choisie")
        return stock.preview_reception(self.draft, self._now().date(), self.shelf_life)

    def validate_reception(self) -> Feedback:
        """Write the moves and the backorder, then print the reception report."""
        now = self._now()
        try:
            if self.draft is None:
                raise CommerceError("aucune livraison choisie")
            result = stock.check_reception(self.draft, now.date(), self.shelf_life)
            number = self.stock.validate_reception(self.draft_id, self.draft, result, operator=self.operator, at=now)
        except CommerceError as e:
            return _refused(e, "Validation refusée")
        order, note = self.order, self.draft.note
        self.order = self.draft = self.draft_id = None
        self.last_reception = number
        blocks = self._reception_blocks(number, order, note, now, result)
        back = result.backorder
        tail = (f"reliquat {back.number} ({sum(l.qty for l in back.lines)} article(s))" if back
                else "commande soldée")
        return self._stored_then_print(f"Réception n° {number} validée : {len(result.anomalies)} anomalie(s), {tail}",
                                       blocks, WARNING if result.anomalies else "info")

    def _reception_blocks(self, number, order, note, at, result) -> list:
        names = self.stock.names([l.gtin13 for l in result.lines])
        report = ReceptionReport(number, order, note, at, self.operator_name(), result, names)
        return reception_report_blocks(report, self.printer.columns, self.shop)

    def reprint_reception(self, number: Optional[int] = None) -> Feedback:
        """Print a validated reception's report again (rebuilt from its stored events)."""
        number = number or self.last_reception
        found = self.stock.reception(number) if number else None
        if found is None:
            return Feedback("Aucune réception à réimprimer", "error")
        draft_id, po, note, at, operator = found
        order = self.stock.order(po)
        result = stock.preview_reception(self.stock.load_draft(draft_id, order), at.date(), self.shelf_life)
        names = self.stock.names([l.gtin13 for l in result.lines])
        blocks = reception_report_blocks(ReceptionReport(number, order, note, at, self.operator_name(operator),
                                                         result, names), self.printer.columns, self.shop)
        return self._print_only(f"Rapport de la réception n° {number} réimprimé", blocks)

    def abandon_reception(self) -> Feedback:
        """Leave the reception: its scans stay recorded, marked abandoned; nothing enters the stock."""
        if self.draft is None:
            return Feedback("Aucune réception en cours", "error")
        try:
            self.stock.add_reception_event(self.draft_id, self.order.number, "abandon", operator=self.operator,
                                           at=self._now())
        except CommerceError as e:
            return _refused(e)
        number = self.order.number
        self.order = self.draft = self.draft_id = None
        return Feedback(f"Réception de la commande {number} abandonnée : rien n'est entré en stock")

    # == put-away and transfers (rangement) ==========================================================
    def putaway_source(self, code: str) -> Feedback:
        """Where the goods are taken from (the reserve unless another location is scanned here)."""
        try:
            loc = self._location(code)
        except CommerceError as e:
            return _refused(e)
        self.source = loc.code
        return Feedback(f"Départ : {loc.name} ({loc.code}). Scannez l'emplacement d'arrivée")

    def putaway_scan(self, code: str, qty=1) -> Feedback:
        """A location scanned sets where goods go; a product scanned then moves there from the source."""
        try:
            if stock.is_location_code(code):
                loc = self._location(code)
                self.destination = loc.code
                return Feedback(f"Arrivée : {loc.name} ({loc.code}). Scannez les articles à y ranger")
            if self.destination is None:
                raise CommerceError("scannez d'abord l'étiquette de l'emplacement où ranger")
            gtin = self._gtin(code)
            move = Move(stock.TRANSFER, gtin, stock.parse_qty(qty), self.source, self.destination, "rangement",
                        *self._prices_costs(gtin))
            self.stock.record(stock.TRANSFER, [move], operator=self.operator, at=self._now())
        except CommerceError as e:
            return _refused(e)
        return Feedback(f"{self._name(gtin)} : {move.qty} rangé(s) en {self.destination} "
                        f"(reste {self.stock.on_hand(gtin, self.source)} en {self.source})")

    # == customer returns and returns to the supplier ==============================================
    def dispose_return(self, code: str, qty, condition: str) -> Feedback:
        """An item returned at the register (in RETOURS-CLIENTS): resaleable, scrap or supplier."""
        try:
            gtin = self._gtin(code)
            move = stock.disposal_move(gtin, qty, condition, stock.CUSTOMER_RETURNS, *self._prices_costs(gtin))
            if move.kind == stock.SCRAP_MOVE:
                self.stock.scrap(move, operator=self.operator, at=self._now())
            else:
                self.stock.record(stock.TRANSFER, [move], operator=self.operator, at=self._now())
        except CommerceError as e:
            return _refused(e, "Retour refusé")
        return Feedback(f"{self._name(gtin)} : {move.qty} retour(s) → {move.dest}")

    def return_to_supplier(self, code: str, qty, note: str = "") -> Feedback:
        """Goods set aside for the supplier leave the shop (taken back, or sent)."""
        try:
            gtin = self._gtin(code)
            move = Move(stock.SUPPLIER_RETURN, gtin, stock.parse_qty(qty), stock.SUPPLIER_RETURNS, stock.SUPPLIER,
                        " ".join(str(note).split()) or "repris par le fournisseur", *self._prices_costs(gtin))
            self.stock.record(stock.SUPPLIER_RETURN, [move], operator=self.operator, at=self._now())
        except CommerceError as e:
            return _refused(e, "Retour fournisseur refusé")
        return Feedback(f"{self._name(gtin)} : {move.qty} rendu(s) au fournisseur")

    # == click and collect parcels (colis) ===========================================================
    def parcels(self) -> list[dict]:
        return self.stock.parcels()

    def parcel_receive(self, order_code: str, customer: str, packages=1) -> Feedback:
        try:
            code = stock.parse_order_code(order_code)
            customer = " ".join(str(customer).split())
            if not customer or len(customer) > 80:
                raise CommerceError("nom du client manquant (80 caractères au plus)")
            n = stock.parse_qty(packages, "nombre de colis")
            self.stock.parcel_event(code, stock.PARCEL_RECEIVED, customer=customer, packages=n,
                                    operator=self.operator, at=self._now())
        except CommerceError as e:
            return _refused(e, "Colis refusé")
        return Feedback(f"Colis {code} pour {customer} reçu ({n} colis) : scannez l'emplacement où le ranger")

    def parcel_store(self, order_code: str, location_code: str) -> Feedback:
        try:
            code = stock.parse_order_code(order_code)
            loc = self._location(location_code)
            self.stock.parcel_event(code, stock.PARCEL_STORED, location=loc.code, operator=self.operator,
                                    at=self._now())
        except CommerceError as e:
            return _refused(e, "Rangement refusé")
        return Feedback(f"Colis {code} rangé en {loc.name} ({loc.code})")

    def parcel_hand_over(self, order_code: str) -> Feedback:
        """The customer shows the order's code: the parcel is handed over (and where it is is said)."""
        try:
            code = stock.parse_order_code(order_code)
            state = self.stock.parcel_state(code)
            self.stock.parcel_event(code, stock.PARCEL_HANDED_OVER, operator=self.operator, at=self._now())
        except CommerceError as e:
            return _refused(e, "Remise refusée")
        where = f" (pris en {state[1]})" if state and state[1] else ""
        return Feedback(f"Colis {code} remis au client{where}")

    def parcel_return(self, order_code: str, product_code: str, qty, condition: str) -> Feedback:
        """A customer brings back an item of a parcel, with its condition (commerce.stock.CONDITIONS)."""
        try:
            code = stock.parse_order_code(order_code)
            gtin = self._gtin(product_code)
            cond = stock.parse_condition(condition)
            moves = stock.return_moves(gtin, qty, cond, *self._prices_costs(gtin))
            self.stock.parcel_event(code, stock.PARCEL_RETURNED, detail=f"{gtin} x{moves[0].qty} {cond}",
                                    moves=moves, operator=self.operator, at=self._now())
        except CommerceError as e:
            return _refused(e, "Retour refusé")
        return Feedback(f"Retour du colis {code} : {self._name(gtin)} x{moves[0].qty}, "
                        f"{stock.CONDITIONS[cond][0]} → {moves[-1].dest}")

    # == stock counts (inventaire) ====================================================================
    def count_start(self, location: str = stock.SHELF, category: str = "", blind: bool = True) -> Feedback:
        try:
            loc = self._location(location)
            category = " ".join(str(category).split())
            self.count_id, number = self.stock.start_count(loc.code, category, blind, operator=self.operator,
                                                           at=self._now())
        except CommerceError as e:
            return _refused(e, "Inventaire refusé")
        self.sheet = self.stock.load_count(self.count_id)
        what = f"{loc.name}" + (f", catégorie {category}" if category else "")
        return Feedback(f"Inventaire n° {number} ({what}) commencé{' à l’aveugle' if blind else ''} : "
                        "scannez chaque article, ou tapez la quantité d'un carton puis scannez")

    def count_resume(self, session: str) -> Feedback:
        info = self.stock.count_session(session)
        if info is None:
            return Feedback(f"Inventaire {session} inconnu", "error")
        self.count_id, self.sheet = session, self.stock.load_count(session)
        return Feedback(f"Inventaire n° {info['number']} repris ({stock.COUNT_STATES[self.sheet.state]})")

    def _count_entry(self, code: str, qty, mode: str) -> Feedback:
        try:
            if self.sheet is None:
                raise CommerceError("aucun inventaire en cours : commencez-en un")
            gtin = self._gtin(code)
            self._check_count_category(gtin)
            n = stock.parse_qty(qty, "quantité comptée", zero=(mode == "set"))
            round_no = 1 if self.sheet.state == stock.COUNTING else 2
            total = (self.sheet.add if mode == "add" else self.sheet.set)(gtin, n)
            try:
                self.stock.add_count_entry(self.count_id, round_no, gtin, mode, n, operator=self.operator,
                                           at=self._now())
            except Exception:
                self.sheet = self.stock.load_count(self.count_id)  # back to what is stored
                raise
        except CommerceError as e:
            return _refused(e)
        return Feedback(f"{self._name(gtin)} : {total} compté(s)")

    def _check_count_category(self, gtin: str) -> None:
        """A count of one category counts only that category's products."""
        wanted = self.stock.count_session(self.count_id)["category"]
        product = self.stock.product(gtin)
        have = (product.category or "") if product else ""
        if wanted and have.casefold() != wanted.casefold():
            raise CommerceError(f"{self._name(gtin)} : catégorie « {have or 'aucune'} », pas « {wanted} » : "
                                f"cet inventaire ne compte que la catégorie {wanted}")

    def count_scan(self, code: str, qty=1) -> Feedback:
        """A product counted (qty: the units of a case, typed before the scan)."""
        return self._count_entry(code, qty, "add")

    def count_set(self, code: str, qty) -> Feedback:
        """The counted quantity of a product, typed (replaces what was counted in this round)."""
        return self._count_entry(code, qty, "set")

    def count_sheet(self) -> list[dict]:
        """What the counting screen shows. Blind count: never the expected quantity before approval."""
        if self.sheet is None:
            return []
        info = self.stock.count_session(self.count_id)
        show = not info["blind"] or self.sheet.state in (stock.TO_APPROVE, stock.APPROVED)
        names = self.stock.names(l.gtin13 for l in self.sheet.lines())
        out = []
        for l in self.sheet.lines():
            if info["blind"] and self.sheet.state == stock.COUNTING and l.gtin13 not in self.sheet.first:
                continue  # a blind count does not even list what is expected
            row = {"gtin": l.gtin13, "name": names.get(l.gtin13, l.gtin13), "counted": l.counted,
                   "to_recount": self.sheet.state == stock.RECOUNT and l.gtin13 in self.sheet.recount}
            if show:
                row |= {"expected": l.expected, "difference": l.difference}
            out.append(row)
        return out

    def count_finish(self) -> Feedback:
        """End the round: the lines that differ are to be recounted; then the teacher approves."""
        try:
            if self.sheet is None:
                raise CommerceError("aucun inventaire en cours")
            state = self.sheet.state
            recount = self.sheet.close_round()
            try:
                self.stock.add_count_step(self.count_id, "close_round", operator=self.operator, at=self._now())
            except Exception:
                self.sheet = self.stock.load_count(self.count_id)
                raise
        except CommerceError as e:
            return _refused(e)
        if recount:
            names = self.stock.names(recount)
            return Feedback(f"{len(recount)} ligne(s) à recompter : " + ", ".join(names.get(g, g) for g in recount),
                            WARNING)
        if state == stock.RECOUNT:
            return Feedback("Recomptage terminé : l'inventaire attend la validation du professeur (badge)")
        return Feedback("Aucun écart : l'inventaire attend la validation du professeur (badge)")

    def count_approve(self, badge_or_pin: str) -> Feedback:
        """The teacher's badge (or code) approves: the differences are written as moves, the report prints."""
        from commerce.operators import ApprovalRefused
        try:
            if self.sheet is None:
                raise CommerceError("aucun inventaire en cours")
            if self.sheet.state != stock.TO_APPROVE:
                raise CommerceError(f"inventaire {stock.COUNT_STATES[self.sheet.state]} : terminez le comptage d'abord")
            with _count_approval_known():
                approval = self._signin().approve(stock.COUNT_APPROVAL, badge_or_pin)
        except ApprovalRefused as e:
            return Feedback(str(e), "error")
        except CommerceError as e:
            return _refused(e, "Validation refusée")
        info = self.stock.count_session(self.count_id)
        lines = self.sheet.lines()
        gtins = [l.gtin13 for l in lines]
        prices = self.stock.prices(gtins)
        costs = {g: c for g in gtins if (c := self.stock.unit_cost(g))}
        moves = stock.count_adjustments(lines, info["location"], info["number"], costs, prices)
        now = self._now()
        try:
            self.stock.approve_count(self.count_id, lines, moves, operator=self.operator, approver=approval.approver,
                                     at=now)
        except CommerceError as e:
            return _refused(e, "Validation refusée")
        self.sheet.approve()
        report = CountReport(info["number"], self.stock.location(info["location"]), info["category"],
                             info["started_at"], now, self.operator_name(info["operator"]), approval.approver_name,
                             lines, self.stock.names(gtins), prices, info["blind"])
        self.count_id, self.sheet = None, None
        return self._stored_then_print(f"Inventaire n° {info['number']} validé par {approval.approver_name} : "
                                       f"{len(moves)} ajustement(s) écrit(s)",
                                       count_report_blocks(report, self.printer.columns, self.shop))

    def count_cancel(self) -> Feedback:
        try:
            if self.sheet is None:
                raise CommerceError("aucun inventaire en cours")
            self.sheet.cancel()
            self.stock.add_count_step(self.count_id, "cancel", operator=self.operator, at=self._now())
        except CommerceError as e:
            return _refused(e)
        self.count_id, self.sheet = None, None
        return Feedback("Inventaire annulé : aucun ajustement écrit")

    def _signin(self):
        if self.signin is None:
            from .signin_service import SignInService
            self.signin = SignInService(self.store, self.register)
        return self.signin

    # == scrap (rebut, démarque) ======================================================================
    def scrap(self, code: str, qty, reason: str, location: str = stock.SHELF) -> Feedback:
        """Take units off sale: damaged, past their date, or lost (theft, unknown)."""
        try:
            gtin = self._gtin(code)
            loc = self._location(location)
            move = stock.scrap_move(gtin, qty, reason, loc.code, *self._prices_costs(gtin))
            self.stock.scrap(move, operator=self.operator, at=self._now())
        except CommerceError as e:
            return _refused(e, "Mise au rebut refusée")
        lost = format_eur(move.qty * (move.unit_price or 0))
        return Feedback(f"{self._name(gtin)} : {move.qty} mis au rebut ({stock.SCRAP_REASONS[move.reason]}), "
                        f"{lost} de démarque (prix de vente)")

    def scrap_report(self, since: Optional[datetime] = None) -> list[stock.ScrapTotal]:
        return stock.scrap_totals(m.move for m in self.stock.moves(kind=stock.SCRAP_MOVE, since=since))

    def print_scrap_report(self, since: Optional[datetime] = None) -> Feedback:
        totals = self.scrap_report(since)
        blocks = scrap_report_blocks(totals, since.date() if since else None, self._now().date(),
                                     self.printer.columns, self.shop)
        lost = format_eur(sum(t.retail_value for t in totals))
        return self._print_only(f"Démarque imprimée : {lost} (prix de vente)", blocks)

    # == replenishment (réassort) =====================================================================
    def set_min_max(self, code: str, location: str, minimum, maximum) -> Feedback:
        try:
            gtin = self._gtin(code)
            loc = self._location(location)
            rule = stock.MinMax(gtin, loc.code, stock.parse_qty(minimum, "mini", zero=True),
                                stock.parse_qty(maximum, "maxi"))
            self.stock.set_rule(rule)
        except CommerceError as e:
            return _refused(e, "Seuils refusés")
        return Feedback(f"{self._name(gtin)} en {loc.code} : mini {rule.min}, maxi {rule.max}")

    def replenishment(self) -> dict[str, list[stock.ReplenishLine]]:
        """What to order, grouped by supplier, and what to bring from the reserve to the shelf."""
        kinds = {c: l.kind for c, l in self.stock.locations().items()}
        return stock.replenishment(self.stock.rules(), kinds, self.stock.rule_levels(), self.stock.on_order(),
                                   self.stock.suppliers())

    def print_replenishment(self) -> Feedback:
        groups = self.replenishment()
        names = self.stock.names(l.gtin13 for lines in groups.values() for l in lines)
        blocks = replenishment_blocks(groups, names, self._now(), self.printer.columns, self.shop)
        return self._print_only(f"Liste de réassort imprimée : {sum(len(v) for v in groups.values())} ligne(s)", blocks)

    def low_stock(self) -> Feedback:
        """The kiosk's low-stock warning (alerte de stock)."""
        low = stock.low_stock(self.stock.rules(), self.stock.rule_levels())
        if not low:
            return Feedback("Aucune alerte de stock")
        names = self.stock.names(r.gtin13 for r, _ in low)
        shown = ", ".join(f"{names.get(r.gtin13, r.gtin13)} ({q} en {r.location}, mini {r.min})" for r, q in low[:5])
        more = f" et {len(low) - 5} autre(s)" if len(low) > 5 else ""
        return Feedback(f"Stock bas : {shown}{more}", WARNING)

    # == stock and labels ============================================================================
    def on_hand(self, code: str) -> Feedback:
        try:
            gtin = self._gtin(code)
        except CommerceError as e:
            return _refused(e)
        levels = self.stock.levels(gtin)
        where = ", ".join(f"{loc} {q}" for loc, q in levels.items()) or "aucun emplacement"
        return Feedback(f"{self._name(gtin)} : {self.stock.on_hand(gtin)} en stock vendable ({where})")

    def print_shelf_label(self, code: str) -> Feedback:
        """Shelf label with the price per kg or per litre (commerce.shelf_label)."""
        try:
            product = self.stock.product(self._gtin(code))
            if product is None:
                raise CommerceError(f"code-barres {code} inconnu au catalogue")
            label = make_shelf_label(product.name, product.price, product.gtin13)
        except CommerceError as e:
            return _refused(e, "Étiquette refusée")
        level = WARNING if label.warning else "info"
        note = f" ({label.warning})" if label.warning else ""
        return self._print_only(f"Étiquette de rayon imprimée : {product.name}{note}",
                                label.blocks(self.printer.columns), level)

    def print_product_label(self, code: str, copies=1) -> Feedback:
        try:
            product = self.stock.product(self._gtin(code))
            if product is None:
                raise CommerceError(f"code-barres {code} inconnu au catalogue")
            n = stock.parse_qty(copies, "nombre d'étiquettes")
            if n > 100:
                raise CommerceError(f"nombre d'étiquettes {n} refusé : 100 au plus")
        except CommerceError as e:
            return _refused(e, "Étiquette refusée")
        blocks = product_label_blocks(product.name, product.gtin13, product.price, self.printer.columns) * n
        return self._print_only(f"{n} étiquette(s) imprimée(s) : {product.name}", blocks)

    def print_location_label(self, code: str) -> Feedback:
        try:
            loc = self._location(code)
        except CommerceError as e:
            return _refused(e, "Étiquette refusée")
        return self._print_only(f"Étiquette de l'emplacement {loc.code} imprimée",
                                location_label_blocks(loc, self.printer.columns))

    def label_sheet(self, codes: Sequence[str], path) -> Feedback:
        """Shelf labels as an A4 PDF sheet (drivers.labels.sheet), one per code."""
        from drivers.labels import LabelError
        from drivers.labels.sheet import write_label_sheet
        try:
            labels = []
            for code in codes:
                product = self.stock.product(self._gtin(code))
                if product is None:
                    raise CommerceError(f"code-barres {code} inconnu au catalogue")
                labels.append(make_shelf_label(product.name, product.price, product.gtin13))
            if not labels:
                raise CommerceError("aucun article : scannez les produits dont il faut l'étiquette")
            pages = write_label_sheet(labels, path)
        except (CommerceError, LabelError) as e:
            return _refused(e, "Planche refusée")
        except OSError as e:
            return Feedback(f"Planche non écrite ({path}) : {e.strerror or e}", "error")
        return Feedback(f"Planche A4 de {len(labels)} étiquette(s) écrite : {path} ({pages} page(s))")
