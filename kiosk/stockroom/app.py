"""Stockroom kiosk window (la réserve). Input from touch, keyboard shortcuts and a scanner.

As on the register, every key is read at window level (Window.on_textinput / on_key_down), so a
keyboard-wedge burst is caught whole; a serial or camera scanner from the TOML feeds the same path.
Each action calls one StockroomService method and shows its Feedback; no rule lives here.

Glossary: réception = goods reception, bon de commande = purchase order, bon de livraison (BL) =
delivery note, avarié = damaged, DLC/DDM = use-by/best-before date, inventaire = stock count,
rebut = scrap, réassort = replenishment, étiquette = label, emplacement = location.
"""
from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from kivy.config import Config

Config.set("kivy", "exit_on_escape", "0")
Config.set("graphics", "width", "1024")  # the kiosk is designed for 1024×768 touch screens
Config.set("graphics", "height", "768")
Config.set("input", "mouse", "mouse,disable_multitouch")

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.lang import Builder  # noqa: E402
from kivy.properties import BooleanProperty, NumericProperty, StringProperty  # noqa: E402
from kivy.uix.boxlayout import BoxLayout  # noqa: E402
from kivy.uix.label import Label  # noqa: E402
from kivy.uix.recycleview.views import RecycleDataViewBehavior  # noqa: E402
from kivy.uix.screenmanager import Screen  # noqa: E402

from commerce import stock  # noqa: E402
from commerce.errors import CommerceError  # noqa: E402
from commerce.money import format_eur  # noqa: E402
from commerce.operators import is_badge  # noqa: E402
from commerce.receipt import ShopInfo  # noqa: E402
from drivers.printer import make_printer  # noqa: E402
from drivers.scanner.dedupe import Deduper  # noqa: E402
from drivers.scanner.wedge import WedgeDecoder  # noqa: E402
from drivers.uri import DeviceError  # noqa: E402
from sync.orders_pull import pull_orders  # noqa: E402
from sync.pusher import PushError, Pusher  # noqa: E402

from .. import operators_store  # noqa: E402
from ..config import KioskConfig  # noqa: E402
from ..launch import open_scanner, refresh_catalogue  # noqa: E402
from ..register_service import Feedback  # noqa: E402
from ..signin_service import SignInService  # noqa: E402
from ..stock_store import StockStore  # noqa: E402
from ..stockroom_service import StockroomService  # noqa: E402
from ..store import KioskStore  # noqa: E402
from ..window import KioskWindow  # noqa: E402

# Kivy key codes -> action (listed in the README and on the buttons). Ctrl + a letter sends no text.
KEYS = {13: "enter", 271: "enter", 8: "backspace", 27: "escape", 273: "up", 274: "down",
        282: "about", 283: "reception", 284: "count", 285: "scrap", 286: "putaway", 287: "replenish",
        288: "label", 289: "parcels", 290: "retry_print", 291: "validate", 293: "sign_out"}
CTRL_KEYS = {ord("d"): "damaged", ord("e"): "dlc", ord("m"): "ddm", ord("n"): "announced", ord("s"): "source",
             ord("r"): "parcel_receive", ord("u"): "parcel_return", ord("b"): "barcode_label"}
SCREENS = {"accueil": "Accueil", "commandes": "Livraisons attendues", "reception": "Réception",
           "inventaire": "Inventaire", "rebut": "Rebut", "reassort": "Réassort", "rangement": "Rangement", "colis": "Colis"}
CONDITION_CHOICES = list(stock.CONDITIONS)  # typed 1, 2, 3 on the return prompt
SCRAP_CHOICES = list(stock.SCRAP_REASONS)  # typed 1, 2, 3 on the scrap prompt

ABOUT = """[b]Comptoir[/b] — réserve pédagogique (CAP EPC, domaine 1).

Connexion : scannez votre badge. F12 déconnexion.
F2 réception : choisir la livraison attendue (flèches, Entrée), taper le n° du bon de livraison, Entrée,
scanner les articles ; « 6 » puis * : la prochaine lecture compte 6 (un carton) ;
quantité puis Ctrl+N puis l'article : quantité annoncée sur le BL ; quantité puis Ctrl+D puis l'article
puis le motif : avarié ; date puis Ctrl+E (DLC) ou Ctrl+M (DDM) puis l'article ; F10 valider.
F3 inventaire : scanner l'emplacement (ou taper RAYON, RESERVE…), Entrée, scanner chaque article
(à l'aveugle) ; F10 fin du comptage (les écarts sont à recompter), puis badge du professeur.
F4 rebut : quantité puis *, scanner l'article, puis le motif (1 casse, 2 date dépassée, 3 vol ou perte).
F5 rangement : scanner l'emplacement d'arrivée, puis les articles (quantité puis * pour un carton) ;
ils partent de la réserve (Ctrl+S puis un emplacement pour partir d'ailleurs).
F6 réassort : ce qu'il faut commander par fournisseur et les stocks bas ; F10 l'imprimer.
F7 étiquette de rayon : scanner l'article (prix au kilo ou au litre) ; nombre puis Ctrl+B puis l'article :
étiquettes code-barres du produit. F9 relancer l'impression.
F8 colis (click and collect) : Ctrl+R recevoir un colis (code de commande, nom du client, emplacement ;
« 2 » puis * avant : 2 colis) ; scanner le code de commande que montre le client : colis remis ;
Ctrl+U retour d'un article du colis (code, article, état : 1 revendable, 2 rebut, 3 fournisseur).
Échap : annuler la demande, revenir à l'accueil. F1 : cette aide.
Données produits : Open Food Facts contributors, ODbL ; prix inventés."""


@dataclass
class Prompt:
    """A second input asked for (a delivery note number, the product an action is about, a reason,
    the teacher's badge): answered by the next Enter, scanned or typed."""
    title: str
    hint: str
    answer: Callable[[str], Optional[Feedback]]
    scan: bool = False  # the answer is a code to scan (a pause in it is then a scan cut short)
    again: bool = False  # asked again after a refused answer (a teacher's approval: a wrong badge)


class HomeScreen(Screen):
    pass


class WorkScreen(Screen):
    """Deliveries, reception, count, scrap and replenishment share one layout: a title, a table."""
    heading = StringProperty("")
    columns = StringProperty("")
    wide = NumericProperty(0)


class StockroomApp(KioskWindow, App):
    title = "Comptoir — réserve"
    message = StringProperty("Scannez votre badge pour commencer.")
    level = StringProperty("info")
    entry = StringProperty("")
    operator_text = StringProperty("non connecté")
    prompt_text = StringProperty("")
    multiplier_text = StringProperty("")
    sync_text = StringProperty("")

    def __init__(self, config: KioskConfig, state_path: str | None = None, **kw):
        super().__init__(**kw)
        self.cfg = config
        self.state_path = state_path
        self.store = KioskStore(config.database)
        self.printer = make_printer(config.printer)
        self.pusher = Pusher(config.database, config.backoffice_url, config.device, config.token)
        if not operators_store.operators(self.store.conn):  # a new kiosk: the demo class, documented
            operators_store.ensure_demo_operators(self.store)
        self.signin = SignInService(self.store, config.register)  # journal entries name the register
        shop = ShopInfo(**config.shop) if config.shop else ShopInfo()
        self.service = StockroomService(self.store, self.printer, kiosk=config.device, shop=shop, signin=self.signin,
                                        register=config.register)
        sc = config.scanner
        dedupe = float(sc.get("dedupe_s", 0.3))
        self.wedge = WedgeDecoder(suffix=sc.get("suffix", "enter"), layout=sc.get("layout", "none"),
                                  dedupe=Deduper(dedupe) if dedupe > 0 else None)
        self.prompt: Optional[Prompt] = None
        self.multiplier = 1  # units the next scan counts (a case: "6" then *)
        self.scrap_from = stock.SHELF  # the location the scrap screen takes units from
        self.moved: list[str] = []  # what the put-away screen moved, newest first
        self.choice = 0  # highlighted order on the deliveries screen
        self.orders = []
        self.rows: list[dict] = []  # the table on screen, also in the state file
        self.commands = 0  # command keys fully handled: scripts and tests wait on this
        self.external_scanner = None
        self.catalogue_state = "loading"
        self.orders_state = "loading"

    # -- lifecycle -----------------------------------------------------------------------------
    def build(self):
        root = Builder.load_file(str(Path(__file__).with_name("layout.kv")))
        Window.bind(on_key_down=self._on_key_down, on_textinput=self._on_textinput)
        from ..register.app import _keep_text_input_on  # the same SDL quirk as the register's
        _keep_text_input_on()
        Clock.schedule_interval(self._tick, 0.1)
        Clock.schedule_interval(lambda dt: self._refresh_sync(), 2.0)
        # new purchase orders are looked for every 30 s (and at start)
        Clock.schedule_interval(lambda dt: threading.Thread(target=self._pull_orders, daemon=True).start(), 30.0)
        return root

    @property
    def sm(self):
        return self.root.ids.sm

    def on_start(self):
        self.stop_on_signals()
        self._open_scanner()
        self.go_home()
        self._show(Feedback("Scannez votre badge pour commencer."))
        self.ready_on_next_frame()

    def on_stop(self):
        self.stop_background()

    def _open_scanner(self):
        """The TOML's serial or camera scanner (the camera read blind: the register shows its picture)."""
        try:
            self.external_scanner = open_scanner(
                self.cfg.scanner.get("uri"), lambda code: Clock.schedule_once(lambda dt: self._external_scan(code)),
                lambda e: Clock.schedule_once(lambda dt: self._show(Feedback(str(e), "error"))))
        except DeviceError as e:
            self._show(Feedback(f"Douchette : {e}", "error"))

    def _external_scan(self, code):
        self._submit("scan", code)
        self.commands += 1
        self._write_state()

    def _pull_catalogue(self):
        """The catalogue, then the purchase orders, from the back office's cursors (on a thread)."""
        self.catalogue_state, _ = refresh_catalogue(self.cfg)
        self._pull_orders()

    def _pull_orders(self):
        store = KioskStore(self.cfg.database)
        try:
            st = StockStore(store.conn)
            n = pull_orders(self.cfg.backoffice_url, self.cfg.token, st.orders_cursor(),
                            lambda orders, cursor: st.import_orders(orders, source="backoffice", cursor=cursor))
            self.orders_state = "ok"
            if n:
                Clock.schedule_once(lambda dt: self._orders_arrived(n))
        except (PushError, CommerceError) as e:  # offline: the orders already here still work
            self.orders_state = f"hors ligne : {e}"
        finally:
            store.close()
        Clock.schedule_once(lambda dt: self._write_state())

    def _orders_arrived(self, n: int):
        if self.sm.current == "commandes":
            self.orders = list(self.service.expected_deliveries())
            self._refresh()
        self._show(Feedback(f"{n} nouvelle(s) commande(s) du back-office : F2 pour les réceptionner"))

    def _refresh_sync(self):
        try:
            s = self.pusher.status()
        except Exception:  # the status is a hint on screen, never a reason to stop
            return
        waiting = s.get("waiting", 0)
        self.sync_text = ("tout est envoyé" if not waiting else f"{waiting} à envoyer") + \
            (f" · dernier envoi {s['last_success'][11:16]}" if s.get("last_success") else "")

    def on_entry(self, *args):
        self._write_state()  # what is typed shows in the state file too (the driver's probe waits on it)

    # -- keyboard and scanner --------------------------------------------------------------------
    def _on_textinput(self, window, text):
        self.wedge.feed(text, time.perf_counter())
        if text == "*":
            self.wedge.backspace()
            self._set_multiplier()
            self.commands += 1  # a command key, as on the register
            self._write_state()
        else:
            self.entry = self.wedge.buffer
        return True

    def _on_key_down(self, window, key, scancode, codepoint, modifiers):
        mods = set(modifiers or ())
        action = CTRL_KEYS.get(key) if "ctrl" in mods else KEYS.get(key)
        if action is None:
            return False
        if action == "enter":
            duplicates, raw = self.wedge.duplicates, self.wedge.buffer
            entry = self.wedge.terminate(time.perf_counter())
            self.entry = ""
            if self.wedge.duplicates == duplicates:  # a double read of the same code: nothing to do
                text = entry.text if entry else ""
                if entry is not None and entry.kind == "scan" and raw.isdigit():
                    text = raw  # digits before a burst are its start, slowed down (quantities take *)
                elif self.prompt is not None and not self.prompt.scan:
                    text = raw  # words asked for (a name, a reason): all that was typed, however fast
                self._submit(entry.kind if entry else "typed", text)
        elif action == "backspace":
            self.wedge.backspace()
            self.entry = self.wedge.buffer
        elif self.operator_text == "non connecté" and action not in ("about", "escape"):
            self._show(Feedback("Connectez-vous d'abord : scannez votre badge", "error"))
        else:
            getattr(self, f"do_{action}")()
        self.commands += 1
        self._write_state()
        return True

    def _tick(self, dt):
        if self.prompt is not None and not self.prompt.scan:
            return  # words typed for a prompt (a delivery note, a reason) are not a scan cut short
        cut = self.wedge.expire(time.perf_counter())
        if cut is not None:
            self._show(Feedback(f"Lecture incomplète « {cut.text} » : code ignoré, scannez à nouveau", "error"))
            self.entry = ""
            self._write_state()

    def keypad(self, key: str):
        """The on-screen keypad (touch): digits and letters into the entry, Entrée submits."""
        if key == "Entrée":
            self._on_key_down(None, 13, 0, "", [])
            return
        if key == "Corr.":
            self.wedge.backspace()
        elif key == "×":
            self._set_multiplier()
        else:
            self.wedge.feed(key, time.perf_counter(), manual=True)
        self.entry = self.wedge.buffer
        self._write_state()

    def button(self, action: str):
        """A touch button: the same action as its shortcut."""
        codes = {v: k for k, v in KEYS.items()} | {v: k for k, v in CTRL_KEYS.items()}
        mods = ["ctrl"] if action in CTRL_KEYS.values() else []
        self._on_key_down(None, codes[action], 0, "", mods)

    def _typed(self) -> str:
        text = self.wedge.take_typed().strip()
        self.entry = ""
        return text

    def _set_multiplier(self):
        text = self._typed()
        try:
            self.multiplier = stock.parse_qty(text or "1", "quantité du carton")
        except CommerceError as e:
            self._show(Feedback(str(e), "error"))
            return
        self.multiplier_text = f"× {self.multiplier}" if self.multiplier > 1 else ""
        self._show(Feedback(f"La prochaine lecture compte {self.multiplier} unité(s)"))

    def _take_multiplier(self) -> int:
        n, self.multiplier, self.multiplier_text = self.multiplier, 1, ""
        return n

    # -- what Enter does ---------------------------------------------------------------------------
    def _submit(self, kind: str, text: str):
        text = text.strip()
        if self.prompt is not None:
            prompt, self.prompt, self.prompt_text = self.prompt, None, ""
            fb = prompt.answer(text)
            if fb is not None:
                self._show(fb)
                if fb.level == "error" and prompt.again and self.prompt is None:
                    self.prompt, self.prompt_text = prompt, f"{prompt.title} : {prompt.hint}"
            self._refresh()
            return
        if self.operator_text == "non connecté" or (is_badge(text) and self.sm.current == "accueil"):
            self._sign_in(text)
            return
        screen = self.sm.current
        if is_badge(text):  # a badge is never an article: sign-ins happen on the home screen
            self._show(Feedback("Badge lu : ce n'est pas un article (pour changer d'élève : F12, puis le badge)",
                                "error"))
            return
        if not text:
            if screen == "commandes" and self.orders:
                self._pick(self.orders[self.choice].order.number)
            return
        if screen == "commandes":
            self._pick(text)
        elif screen == "reception":
            self._show(self.service.receive_scan(text, self._take_multiplier()))
        elif screen == "inventaire":
            self._show(self.service.count_scan(text, self._take_multiplier()))
        elif screen == "rebut" and stock.is_location_code(text):
            try:
                self.scrap_from = self.service._location(text).code  # where the scrapped units are taken from
            except CommerceError as e:
                self._show(Feedback(str(e), "error"))
            else:
                self._show(Feedback(f"Rebut depuis « {self.scrap_from} » : quantité puis *, scannez l'article"))
        elif screen == "rebut":
            self._ask_scrap_reason(text, self._take_multiplier())
        elif screen == "colis":
            self._show(self.service.parcel_hand_over(text))
        elif screen == "rangement":
            fb = self.service.putaway_scan(text, self._take_multiplier())
            if fb.level != "error" and not stock.is_location_code(text):
                self.moved.insert(0, fb.message)
            self._show(fb)
        else:
            self._show(self.service.on_hand(text))
        self._refresh()

    def _ask(self, title: str, hint: str, answer: Callable[[str], Optional[Feedback]], lead: str = "",
             scan: bool = False, again: bool = False):
        self.prompt = Prompt(title, hint, answer, scan, again)
        self.prompt_text = f"{title} : {hint}"
        self._show(Feedback(f"{lead} — {self.prompt_text}" if lead else self.prompt_text))

    def _sign_in(self, code: str):
        if not code:
            self._show(Feedback("Scannez votre badge (ou tapez-le puis Entrée)", "error"))
            return
        result = self.signin.badge(code)
        if result.ok:
            self.operator_text = result.operator.name
            self.go_home()
        self._show(Feedback(result.message, "info" if result.ok else "error"))

    # -- actions (keys and buttons) -------------------------------------------------------------
    def do_about(self):
        from kivy.uix.popup import Popup
        Popup(title="Aide", content=Label(text=ABOUT, markup=True, color=(1, 1, 1, 1), halign="left",
                                          text_size=(900, None)), size_hint=(0.95, 0.9)).open()

    def do_escape(self):
        if self.prompt is not None:
            self.prompt, self.prompt_text = None, ""
            self._show(Feedback("Demande annulée"))
        elif self.entry:
            self.wedge.clear()
            self.entry = ""
        elif self.sm.current != "accueil":
            kept = self.sm.current == "reception" and self.service.draft is not None
            self.go_home()
            self._show(Feedback("Réception gardée : F2 pour la reprendre" if kept else "Accueil"))

    def do_up(self):
        self._move_choice(-1)

    def do_down(self):
        self._move_choice(1)

    def _move_choice(self, step: int):
        if self.sm.current == "commandes" and self.orders:
            self.choice = max(0, min(len(self.orders) - 1, self.choice + step))
            self._refresh()

    def do_sign_out(self):
        self.signin.sign_out()
        self.operator_text = "non connecté"
        self.service.order = self.service.draft = self.service.draft_id = None
        self.go_home()
        self._show(Feedback("Au revoir. Scannez votre badge pour commencer."))

    def go_home(self):
        self.sm.current = "accueil"
        self.prompt, self.prompt_text = None, ""
        self._refresh()

    # reception (F2)
    def do_reception(self):
        if self.service.draft is not None:
            self._enter_reception()
            self._show(Feedback(f"Réception de la commande {self.service.order.number} : scannez les articles"))
            return
        self.orders = list(self.service.expected_deliveries())
        self.choice = 0
        self.sm.current = "commandes"
        self._show(Feedback("Choisissez la livraison attendue (flèches puis Entrée), ou scannez le bon de commande"
                            if self.orders else "Aucune livraison attendue : importez les commandes du back-office",
                            "info" if self.orders else "error"))
        self._refresh()

    def _pick(self, number: str):
        fb = self.service.pick_delivery(number)
        self._show(fb)
        if fb.level == "error":
            return
        self._enter_reception()
        if not self.service.draft.note:
            self._ask("Bon de livraison", "tapez son numéro puis Entrée",
                      lambda text: self.service.delivery_note(text))

    def _enter_reception(self):
        self.sm.current = "reception"
        self._refresh()

    def _about_product(self, title: str, act: Callable[[str], Feedback]):
        """An action on a product: scan it (or type its code) to answer."""
        self._ask(title, "scannez l'article", act, scan=True)

    def do_damaged(self):
        if not self._in("reception"):
            return
        qty = self._typed() or "1"
        self._about_product(f"Avarié ({qty})", lambda code: self._ask(
            "Motif de l'avarie", "tapez-le puis Entrée (carton écrasé…)",
            lambda reason: self.service.damaged(code, qty, reason or "avarié")))

    def do_dlc(self):
        self._date("DLC")

    def do_ddm(self):
        self._date("DDM")

    def _date(self, kind: str):
        if not self._in("reception"):
            return
        when = self._typed()
        if not when:
            self._show(Feedback(f"Tapez d'abord la date ({kind}, JJ/MM/AAAA), puis Ctrl+{'E' if kind == 'DLC' else 'M'}",
                                "error"))
            return
        self._about_product(f"{kind} {when}", lambda code: self.service.best_before(code, when, kind))

    def do_announced(self):
        if not self._in("reception"):
            return
        qty = self._typed()
        if not qty:
            self._show(Feedback("Tapez d'abord la quantité du bon de livraison, puis Ctrl+N", "error"))
            return
        self._about_product(f"Bon de livraison : {qty}", lambda code: self.service.announced(code, qty))

    def _in(self, screen: str) -> bool:
        if self.sm.current != screen:
            self._show(Feedback(f"Cette touche sert à l'écran {SCREENS[screen]}", "error"))
            return False
        return True

    def do_validate(self):
        screen = self.sm.current
        if screen == "reception":
            fb = self.service.validate_reception()
            self._show(fb)
            if fb.level != "error":
                self.go_home()
                self._show(fb)
        elif screen == "inventaire":
            fb = self.service.count_finish()
            self._show(fb)
            if self.service.sheet is not None and self.service.sheet.state == stock.TO_APPROVE:
                self._ask("Validation du professeur", "badge du professeur (ou son code puis Entrée)",
                          self._approve_count, lead=fb.message, again=True)
        elif screen == "reassort":
            self._show(self.service.print_replenishment())
        else:
            self._show(Feedback("F10 valide une réception, un inventaire ou imprime le réassort", "error"))
        self._refresh()

    def _approve_count(self, code: str) -> Feedback:
        fb = self.service.count_approve(code)
        if fb.level != "error":
            self.go_home()
        return fb

    # count (F3)
    def do_count(self):
        if self.service.sheet is not None:
            self.sm.current = "inventaire"
            self._show(Feedback("Inventaire en cours : scannez les articles ; F10 fin du comptage"))
            self._refresh()
            return
        typed = self._typed()

        def start(answer: str) -> Feedback:
            # "RAYON" counts a location; "RAYON Boissons" only that category in it
            location, _, category = answer.strip().partition(" ")
            fb = self.service.count_start(location or stock.SHELF, category.strip())
            if fb.level != "error":
                self.sm.current = "inventaire"
            return fb
        if typed:
            self._show(start(typed))
            self._refresh()
            return
        self._ask("Inventaire", "scannez l'étiquette de l'emplacement (ou tapez RAYON, RESERVE… et, si besoin, "
                  "une catégorie : RAYON Boissons) puis Entrée", start)

    # scrap (F4)
    def do_scrap(self):
        self.sm.current = "rebut"
        self.scrap_from = stock.SHELF
        self._show(Feedback("Rebut (depuis le rayon ; scannez un emplacement pour en changer) : quantité puis *, "
                            "scannez l'article, puis choisissez le motif"))
        self._refresh()

    def _ask_scrap_reason(self, code: str, qty: int):
        hint = " · ".join(f"{i} {stock.SCRAP_REASONS[r]}" for i, r in enumerate(SCRAP_CHOICES, start=1))

        def answer(text: str) -> Feedback:
            reason = SCRAP_CHOICES[int(text) - 1] if text.isdigit() and 1 <= int(text) <= len(SCRAP_CHOICES) else text
            return self.service.scrap(code, qty, reason, self.scrap_from)
        self._ask(f"Motif du rebut ({qty})", hint + " puis Entrée", answer)

    # put-away and transfers (F5)
    def do_putaway(self):
        self.sm.current = "rangement"
        self.service.source, self.service.destination, self.moved = stock.RESERVE, None, []
        self._show(Feedback("Rangement depuis la réserve : scannez l'emplacement d'arrivée, puis les articles"))
        self._refresh()

    def do_source(self):
        if not self._in("rangement"):
            return
        self._ask("Départ", "scannez l'emplacement d'où partent les articles", self.service.putaway_source,
                  scan=True)

    # customers' parcels, click and collect (F8)
    def do_parcels(self):
        self.sm.current = "colis"
        self._show(Feedback("Colis : scannez le code de commande que montre le client pour le lui remettre ; "
                            "Ctrl+R recevoir un colis, Ctrl+U retour d'un article"))
        self._refresh()

    def do_parcel_receive(self):
        if not self._in("colis"):
            return
        packages = self._take_multiplier()

        def name(code: str):
            self._ask("Client", "son nom puis Entrée", lambda customer: received(code, customer))

        def received(code: str, customer: str) -> Feedback:
            fb = self.service.parcel_receive(code, customer, packages)
            if fb.level != "error":
                self._ask("Rangement du colis", "scannez l'emplacement (ou tapez COLIS) puis Entrée",
                          lambda where: self.service.parcel_store(code, where or stock.PARCELS), lead=fb.message,
                          scan=True)
            return fb if fb.level == "error" else None
        self._ask("Colis reçu", "code de commande puis Entrée", name, scan=True)

    def do_parcel_return(self):
        if not self._in("colis"):
            return
        qty = self._take_multiplier()
        hint = " · ".join(f"{i} {stock.CONDITIONS[c][0]}" for i, c in enumerate(CONDITION_CHOICES, start=1))

        def product(code: str):
            self._ask("Article rendu", "scannez-le", lambda gtin: condition(code, gtin), scan=True)

        def condition(code: str, gtin: str):
            def answer(text: str) -> Feedback:
                cond = (CONDITION_CHOICES[int(text) - 1] if text.isdigit() and 1 <= int(text) <= len(CONDITION_CHOICES)
                        else text)
                return self.service.parcel_return(code, gtin, qty, cond)
            self._ask("État de l'article", hint + " puis Entrée", answer)
        self._ask("Retour client", "code de commande du colis puis Entrée", product, scan=True)

    # replenishment (F6), labels (F7), print again (F9)
    def do_replenish(self):
        self.sm.current = "reassort"
        self._show(self.service.low_stock())
        self._refresh()

    def do_label(self):
        typed = self._typed()
        if typed:
            self._show(self.service.print_shelf_label(typed))
            return
        self._about_product("Étiquette de rayon", self.service.print_shelf_label)

    def do_barcode_label(self):
        """Product barcode labels (python-barcode EAN-13) on the receipt printer: copies typed first."""
        copies = self._typed() or "1"
        self._about_product(f"Étiquettes code-barres ({copies})",
                            lambda code: self.service.print_product_label(code, copies))

    def do_retry_print(self):
        self._show(self.service.retry_print())

    # -- screen ----------------------------------------------------------------------------------
    def _show(self, fb: Feedback):
        self.message = fb.message
        self.level = fb.level

    def _refresh(self):
        """Rebuild the table of the current screen from the service (the service is the truth)."""
        screen = self.sm.current
        rows, heading, columns, wide = [], "", "", 0
        if screen == "commandes":
            heading, columns = "Livraisons attendues", "Commande|Fournisseur|Prévue le|Lignes|Articles|"
            wide = 1
            rows = [{"cells": [s.order.number, s.order.supplier, s.order.expected.strftime("%d/%m/%y"),
                               str(len(s.order.lines)), str(s.units), "en cours" if s.draft else ""],
                     "selected": i == self.choice} for i, s in enumerate(self.orders)]
        elif screen == "reception" and self.service.draft is not None:
            d = self.service.draft
            heading = f"Réception {d.order.number} · {d.order.supplier} · BL {d.note or '—'}"
            columns = "Article|Cdé|BL|Reçu|Avarié|Date|Anomalie"
            try:
                preview = self.service.reception_preview()
            except CommerceError:
                preview = None
            if preview is not None:
                names = self.service.stock.names([l.gtin13 for l in preview.lines])
                anomalies: dict[str, list[str]] = {}
                for a in preview.anomalies:
                    anomalies.setdefault(a.gtin13, []).append(a.label)
                rows = [{"gtin": l.gtin13, "cells": [
                    names.get(l.gtin13, l.gtin13), str(l.ordered), "" if l.announced is None else str(l.announced),
                    str(l.received), str(l.damaged or ""),
                    f"{l.date_kind} {l.best_before:%d/%m}" if l.best_before else "",
                    ", ".join(anomalies.get(l.gtin13, []))],
                    "ordered": l.ordered, "announced": l.announced, "received": l.received, "damaged": l.damaged,
                    "anomalies": anomalies.get(l.gtin13, [])} for l in preview.lines]
        elif screen == "inventaire" and self.service.sheet is not None:
            st = stock.COUNT_STATES[self.service.sheet.state]
            heading, columns = f"Inventaire ({st})", "Article|Compté|Attendu|Écart|"
            rows = [{"gtin": r["gtin"], "counted": r["counted"], "expected": r.get("expected"),
                     "cells": [r["name"], str(r["counted"]), str(r.get("expected", "")),
                               f"{r['difference']:+d}" if "difference" in r else "",
                               "à recompter" if r["to_recount"] else ""]} for r in self.service.count_sheet()]
        elif screen == "rebut":
            heading, columns = "Rebut : démarque par motif", "Motif|Unités|Au coût d'achat (HT)|Au prix de vente (TTC)"
            rows = [{"reason": t.reason, "qty": t.qty, "retail_value": t.retail_value,
                     "cells": [t.label, str(t.qty), format_eur(t.cost_value), format_eur(t.retail_value)]}
                    for t in self.service.scrap_report()]
        elif screen == "colis":
            heading, columns, wide = "Colis des clients (click and collect)", "Commande|Client|Colis|État|Emplacement", 1
            rows = [{"order_code": p["order_code"], "state": p["state"], "location": p["location"],
                     "cells": [p["order_code"], p["customer"], str(p["packages"]),
                               stock.PARCEL_STATES.get(p["state"], p["state"]), p["location"] or ""]}
                    for p in self.service.parcels()]
        elif screen == "rangement":
            dest = self.service.destination or "—"
            heading, columns = f"Rangement : de {self.service.source} vers {dest}", "Rangé"
            rows = [{"cells": [m]} for m in self.moved]
        elif screen == "reassort":
            heading, columns = "Réassort : à commander et à remonter en rayon", "Article|Emplacement|Stock|Mini / maxi|À commander|Source"
            plan = self.service.replenishment()
            gtins = [l.gtin13 for lines in plan.values() for l in lines]
            names = self.service.stock.names(gtins)
            rows = [{"gtin": l.gtin13, "qty": l.qty, "source": source,
                     "cells": [names.get(l.gtin13, l.gtin13), l.location, str(l.on_hand), f"{l.min} / {l.max}",
                               str(l.qty), source]} for source, lines in plan.items() for l in lines]
        self.rows = rows
        if screen in ("commandes", "reception", "inventaire", "rebut", "reassort", "rangement", "colis"):
            view = self.sm.get_screen(screen)
            view.heading, view.columns, view.wide = heading, columns, wide
            view.ids.table.data = [{"cells": "|".join(r["cells"]), "selected": bool(r.get("selected")), "wide": wide}
                                   for r in rows]

    def _write_state(self, ready=False):
        """The window's state as JSON, for the headless demo and tests to wait on (atomic write)."""
        if ready:
            self._ready = True
        if not self.state_path or not getattr(self, "_ready", False):
            return
        sheet = self.service.sheet
        state = {
            "ready": True, "pid": os.getpid(), "commands": self.commands, "screen": self.sm.current,
            "message": self.message, "level": self.level, "entry": self.entry,
            "operator": self.signin.current.id if self.signin.current else None,
            "prompt": self.prompt.title if self.prompt else None, "multiplier": self.multiplier,
            "order": self.service.order.number if self.service.order else None,
            "note": self.service.draft.note if self.service.draft else None,
            "last_reception": self.service.last_reception,
            "count_state": sheet.state if sheet is not None else None,
            "rows": [{k: v for k, v in r.items() if k != "selected"} for r in self.rows],
            "catalogue": self.catalogue_state, "orders_state": self.orders_state,
            "orders": [s.order.number for s in self.orders] if self.sm.current == "commandes" else None,
            "pending_print": getattr(self.printer, "pending", None) is not None,
        }
        tmp = f"{self.state_path}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(state, f, ensure_ascii=False)
        os.replace(tmp, self.state_path)


class ActionRow(BoxLayout):
    """The touch buttons of a screen, from `spec`: 'action:Label|action:Label'."""
    spec = StringProperty("")

    def on_spec(self, *args):
        from kivy.factory import Factory
        self.clear_widgets()
        for item in filter(None, self.spec.split("|")):
            action, label = item.split(":", 1)
            self.add_widget(Factory.SBtn(text=label, action=action))


class TableRow(RecycleDataViewBehavior, BoxLayout):
    """One row of a table: `cells` joined by '|'; the first column is the widest."""
    cells = StringProperty("")
    selected = BooleanProperty(False)
    header = BooleanProperty(False)
    wide = NumericProperty(0)  # the column that takes the room left (a product's or a supplier's name)

    def on_cells(self, *args):
        self.clear_widgets()
        for i, text in enumerate(self.cells.split("|")):
            cell = Label(text=text, size_hint_x=3 if i == self.wide else 1, halign="left" if i <= self.wide else "right",
                         valign="middle", shorten=True, shorten_from="right", bold=self.header,
                         color=(0.12, 0.12, 0.14, 1))
            cell.bind(size=lambda c, size: setattr(c, "text_size", size))
            self.add_widget(cell)

    on_wide = on_cells
