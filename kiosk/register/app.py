"""Register kiosk window. Input from touch, keyboard shortcuts and a keyboard-wedge scanner.

Every keystroke is read at window level (Window.on_textinput / on_key_down), so a scanner burst
is caught whole whether or not a text field has focus. Actions go to RegisterService.
"""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from kivy.config import Config

Config.set("kivy", "exit_on_escape", "0")
Config.set("graphics", "width", "1024")  # the kiosk is designed for 1024×768 touch screens
Config.set("graphics", "height", "768")
Config.set("input", "mouse", "mouse,disable_multitouch")

from kivy.app import App  # noqa: E402
from kivy.clock import Clock, mainthread  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.lang import Builder  # noqa: E402
from kivy.properties import BooleanProperty, NumericProperty, StringProperty  # noqa: E402
from kivy.uix.behaviors import ButtonBehavior  # noqa: E402
from kivy.uix.boxlayout import BoxLayout  # noqa: E402
from kivy.uix.label import Label  # noqa: E402
from kivy.uix.popup import Popup  # noqa: E402
from kivy.uix.recycleview.views import RecycleDataViewBehavior  # noqa: E402
from kivy.uix.screenmanager import Screen  # noqa: E402

from commerce import cash  # noqa: E402
from commerce.money import format_amount, format_eur  # noqa: E402
from commerce.receipt import ShopInfo  # noqa: E402
from drivers.printer import make_printer  # noqa: E402
from drivers.scanner.dedupe import Deduper  # noqa: E402
from drivers.scanner.wedge import WedgeDecoder  # noqa: E402
from drivers.uri import DeviceError  # noqa: E402
from sync.pusher import Pusher  # noqa: E402

from ..config import KioskConfig  # noqa: E402
from ..launch import open_scanner, refresh_catalogue  # noqa: E402
from ..register_service import Feedback, RegisterService, plural_tickets, signed_eur  # noqa: E402
from ..store import KioskStore  # noqa: E402
from .. import operators_store  # noqa: E402
from ..signin_service import SignInService  # noqa: E402
from ..window import KioskWindow  # noqa: E402
from commerce.errors import CommerceError  # noqa: E402
from commerce import cards  # noqa: E402
from commerce.operators import ROLES, is_badge  # noqa: E402
from commerce.ticket import PAY_WORDS  # noqa: E402
from . import keys  # noqa: E402
from .counting import DrawerCount  # noqa: E402
from .counter import PAY_CARD_KINDS, CounterMixin, safe_card_kind  # noqa: E402 (its screens register for kv)
from .customer_display import CustomerDisplayView, attach  # noqa: E402,F401 (kv uses the view)

ABOUT = """[b]Comptoir[/b] — caisse pédagogique (CAP EPC, Bac Pro MCV). Version {version}.

Tous les tickets sont des tickets d'exercice : MODE FORMATION.

Catalogue de démonstration : {count} produits.
Données produits : Open Food Facts contributors, openfoodfacts.org, ODbL 1.0 (contenus DbCL).
Les prix et taux de TVA du catalogue de démonstration sont inventés.

Connexion : badge, ou nom puis code. F12 déconnexion.
Raccourcis : F2 rechercher · chiffres puis F3 (ou *) quantité · Suppr supprimer la ligne ·
flèches haut/bas : choisir la ligne · F5 encaisser · montant puis F6 espèces (Entrée aussi) · F7 carte ·
F8 duplicata · F9 relancer l'impression · F10 ticket cadeau · Échap retour · F1 à propos.
Vente : « 10% » ou « 2,50 » puis Ctrl+L remise sur la ligne, Ctrl+T remise sur le ticket · prix puis Ctrl+P
changer le prix (accord du professeur) · Ctrl+B peser · scanner la carte cadeau, montant, Ctrl+G la vendre ·
points puis Ctrl+F fidélité · Ctrl+R retour (ticket d'origine) · Ctrl+Maj+R retour sans ticket ·
Ctrl+A mettre en attente · Ctrl+Maj+A reprendre · Ctrl+Suppr annuler le ticket · Ctrl+O tiroir sans vente.
Paiement : Ctrl+H chèque (puis son numéro) · Ctrl+G carte cadeau · Ctrl+V avoir (ou scanner la carte, l'avoir) ;
un remboursement se fait avec les mêmes touches (F6 espèces, F7 carte, Ctrl+H chèque, Ctrl+V avoir).
Caisse : F4 entrée / sortie d'espèces · F11 rapport X · Maj+F11 clôture Z. Ouverture et clôture :
flèches haut/bas pour choisir la coupure, nombre puis Entrée, F5 pour valider ; F6 : clôturer ou non la journée."""

# Cash in / out choices on the Caisse screen: (direction, reason) from commerce.cash.MOVEMENT_REASONS.
# "other" needs a typed note, which this screen does not ask for yet.
MOVEMENT_CHOICES = [(d, r) for d in (cash.CASH_IN, cash.CASH_OUT) for r in cash.MOVEMENT_REASONS[d] if r != "other"]
COUNT_SCREENS = ("ouverture", "cloture")
# Command keys per screen outside the sale (action of keys.ACTIONS -> app method); other keys are refused.
SCREEN_ACTIONS = {
    "ouverture": {"select_up": "count_up", "select_down": "count_down", "go_payment": "validate_count",
                  "go_sale": "count_escape", "sign_out": "sign_out", "open_about": "open_about"},
    "cloture": {"select_up": "count_up", "select_down": "count_down", "go_payment": "validate_count",
                "go_sale": "count_escape", "sign_out": "sign_out", "open_about": "open_about",
                "do_cash": "toggle_end_of_day"},
    "caisse": {"select_up": "movement_up", "select_down": "movement_down", "go_sale": "go_sale",
               "x_report": "x_report", "start_closing": "start_closing", "open_about": "open_about",
               "open_cash": "open_cash"},
    "ecarts": {"go_sale": "finish_closing", "open_about": "open_about"},
    "retour": {"select_up": "return_up", "select_down": "return_down", "go_sale": "close_return",
               "open_about": "open_about", "return_without_ticket": "return_without_ticket"},
    "attente": {"select_up": "parked_up", "select_down": "parked_down", "go_sale": "close_parked",
                "open_about": "open_about"},
}
SCREEN_REFUSAL = {
    "ouverture": "Comptez d'abord le fond de caisse, puis Ouvrir la caisse (F5) ; F12 pour vous déconnecter",
    "cloture": "Comptez le tiroir, les chèques et le total carte, puis Clôturer la caisse (F5) ; Échap pour revenir",
    "caisse": "Choisissez le motif, tapez le montant puis Entrée ; Échap pour revenir au ticket",
    "ecarts": "Entrée pour terminer la clôture",
    "retour": "Retour : scannez le ticket, choisissez la ligne et la quantité, Entrée ; Échap pour revenir au ticket",
    "attente": "Choisissez un ticket en attente puis Entrée ; Échap pour revenir",
}


def _gray_texture(frame):
    """A camera frame (gray or BGR numpy array) as a Kivy texture."""
    from kivy.graphics.texture import Texture

    if frame.ndim == 3:
        frame = frame[:, :, ::-1].copy()  # BGR -> RGB
    h, w = frame.shape[:2]
    fmt = "luminance" if frame.ndim == 2 else "rgb"
    texture = Texture.create(size=(w, h), colorfmt=fmt)
    texture.blit_buffer(frame.tobytes(), colorfmt=fmt, bufferfmt="ubyte")
    texture.flip_vertical()  # images are stored top row first, OpenGL wants the bottom row
    return texture


def _keep_text_input_on():
    """Kivy's SDL window stops SDL text input when a field lets the keyboard go (a popup closes,
    a button takes the focus): after that no character reaches Window.on_textinput and the scanner
    goes deaf. The register reads every key at window level, so text input is switched back on."""
    release = Window.release_keyboard

    def release_keyboard(*args):
        result = release(*args)
        win = getattr(Window, "_win", None)
        if win is not None and hasattr(win, "show_keyboard"):
            win.show_keyboard(Window._system_keyboard, Window.softinput_mode, "text", False)
        return result

    Window.release_keyboard = release_keyboard


class RootLayout(BoxLayout):
    pass


class LoginScreen(Screen):
    pass


class SaleScreen(Screen):
    pass


class PaymentScreen(Screen):
    pass


class CountScreen(Screen):
    """The drawer counted by denomination: opening (fond de caisse) and Z closing."""
    title = StringProperty("")
    hint = StringProperty("")
    validate_text = StringProperty("")
    back_text = StringProperty("")


class CashScreen(Screen):
    pass


class ClosingResultScreen(Screen):
    pass


class CountRow(ButtonBehavior, BoxLayout):
    label = StringProperty("")
    count = StringProperty("")
    amount = StringProperty("")
    selected = BooleanProperty(False)
    index = NumericProperty(0)

    def on_release(self):
        App.get_running_app().count_select(self.index)


class LineRow(RecycleDataViewBehavior, BoxLayout):
    label = StringProperty("")
    detail = StringProperty("")
    amount = StringProperty("")
    kind = StringProperty("item")  # commerce.ticket line kind: goods, or derived (discount, promo, loyalty)
    goods = NumericProperty(-1)  # index of the goods line (service.selected), -1 on a derived line
    selected = BooleanProperty(False)
    index = NumericProperty(0)

    def refresh_view_attrs(self, rv, index, data):
        self.index = index
        return super().refresh_view_attrs(rv, index, data)

    def on_touch_down(self, touch):
        if self.collide_point(*touch.pos):
            if self.goods >= 0:
                App.get_running_app().select_line(self.goods)
            return True
        return super().on_touch_down(touch)


class SearchPopup(Popup):
    def run_search(self):
        App.get_running_app().run_search(self.ids.query.text)


class AboutPopup(Popup):
    body = StringProperty("")


class RegisterApp(CounterMixin, KioskWindow, App):
    title = "Comptoir — caisse"
    register = StringProperty("")
    cashier = StringProperty("")
    total_text = StringProperty(format_eur(0))
    paid_text = StringProperty(format_eur(0))
    due_text = StringProperty(format_eur(0))
    item_count = NumericProperty(0)
    entry = StringProperty("")
    message = StringProperty("Scannez un article pour commencer.")
    level = StringProperty("info")
    sync_text = StringProperty("")
    login_for = StringProperty("Choisissez votre nom")
    count_total_text = StringProperty(format_eur(0))
    session_text = StringProperty("")
    closing_title = StringProperty("")
    end_of_day = BooleanProperty(True)  # the Z being counted also closes today (toggled with F6)
    customer_text = StringProperty("")
    payments_text = StringProperty("")
    refund_mode = BooleanProperty(False)  # the ticket is negative: the payment screen gives money back
    refund_allowed = StringProperty("")  # the refund methods allowed, space-separated (cash card …)
    parked_count = NumericProperty(0)
    return_title = StringProperty("")
    return_open = BooleanProperty(False)  # an original ticket is open on the return screen

    def __init__(self, config: KioskConfig, state_path: str | None = None, **kw):
        super().__init__(**kw)
        self.cfg = config
        self.state_path = state_path
        self.store = KioskStore(config.database)
        self.printer = make_printer(config.printer)
        self.pusher = Pusher(config.database, config.backoffice_url, config.device, config.token)
        shop = ShopInfo(**config.shop) if config.shop else ShopInfo()
        if not operators_store.operators(self.store.conn):  # a new kiosk: the demo class, documented
            operators_store.ensure_demo_operators(self.store)
        self.signin = SignInService(self.store, config.register)  # approvals record who asked
        self.service = RegisterService(self.store, self.printer, config.register, config.cashier, shop,
                                       on_sale=lambda t: self.pusher.kick(), require_session=True,
                                       signin=self.signin)
        self.count = DrawerCount()  # the drawer count of the opening or closing screen
        self.movement_choice = 0  # index in MOVEMENT_CHOICES on the Caisse screen
        self.session_number = None
        sc = config.scanner
        # A wedge scanner sends once per trigger pull; the short window only absorbs double reads.
        dedupe = float(sc.get("dedupe_s", 0.3))
        self.login_choice = None  # the operator chosen on screen before typing a PIN
        self.wedge = WedgeDecoder(suffix=sc.get("suffix", "enter"), layout=sc.get("layout", "none"),
                                  dedupe=Deduper(dedupe) if dedupe > 0 else None)
        self.external_scanner = None
        self.register, self.cashier = config.register, ""
        self.events = 0  # state changes; the state file lets scripts and tests follow the window
        self.commands = 0  # command keys (Enter, F-keys…) fully handled
        self.search_popup = None
        self._search = ("", [], 0)  # (query, results, highlighted index) of the search window
        self.about_popup = None
        self.catalogue_state = "loading"
        self.products = None  # counted once per catalogue update (a count reads the whole table)

    # -- lifecycle -----------------------------------------------------------------------------
    # Screens made the first time they are shown (kiosk.screens): the window is ready to scan sooner.
    LAZY_SCREENS = {
        "paiement": ("PaymentScreen", {}),
        "ouverture": ("CountScreen", {
            "title": "Ouverture de caisse : comptez le fond de caisse",
            "hint": "Nombre de pièces et de billets pour chaque coupure. Le total se calcule tout seul.",
            "validate_text": "Ouvrir la caisse (F5)", "back_text": "Effacer la saisie (Échap)"}),
        "cloture": ("CountScreen", {
            "title": "Clôture de caisse (Z) : comptez le tiroir",
            "hint": "Comptez chaque coupure, puis tapez le total des chèques et celui du terminal carte.",
            "validate_text": "Clôturer la caisse (F5)", "back_text": "Retour (Échap)"}),
        "caisse": ("CashScreen", {}), "ecarts": ("ClosingResultScreen", {}), "retour": ("ReturnScreen", {}),
        "attente": ("ParkedScreen", {}),
    }

    def build(self):
        from kivy.factory import Factory

        from ..screens import LazyScreenManager
        Factory.register("LazyScreenManager", cls=LazyScreenManager)
        root = Builder.load_file(str(Path(__file__).with_name("layout.kv")))  # the window and sign-in
        for name, (cls, props) in self.LAZY_SCREENS.items():
            root.ids.sm.lazy[name] = lambda cls=cls, props=props, name=name: getattr(Factory, cls)(name=name, **props)
        root.ids.sm.prepare = self.load_later_rules
        root.ids.sm.lazy["vente"] = self._make_sale_screen  # after sign-in: the window opens on sign-in
        Window.bind(on_key_down=self._on_key_down, on_textinput=self._on_textinput)
        _keep_text_input_on()
        Clock.schedule_interval(self._tick, 0.1)
        Clock.schedule_interval(lambda dt: self._refresh_sync(), 2.0)
        return root

    def load_later_rules(self):
        """The rules of what comes after sign-in (sale screen, counter, popups, other screens), read
        once, the first time one is made."""
        if not getattr(self, "_later_rules", False):
            self._later_rules = True
            Builder.load_file(str(Path(__file__).with_name("later.kv")))

    def on_start(self):
        self.stop_on_signals()  # the sale in progress is not a sale
        self._show_operators()
        self.sm.current = "connexion"
        self._show(Feedback("Scannez votre badge pour commencer."))
        self._open_devices()
        self._watch_drawer()
        self.ready_on_next_frame()

    def on_stop(self):
        self.stop_background()
        if self.service.scale is not None:
            self.service.scale.close()

    def _open_devices(self):
        """Optional devices of the TOML: a pole display, a serial scanner. A fault is shown, not fatal."""
        try:
            if self.cfg.drawer.get("uri"):
                from drivers.drawer import make_drawer
                self.service.drawer = make_drawer(self.cfg.drawer)
            if self.cfg.scale.get("uri"):
                from drivers.scale import open_scale
                self.service.scale = open_scale(self.cfg.scale["uri"])
            if self.cfg.display.get("uri"):
                from drivers.display import open_display
                self.service.displays.append(open_display(self.cfg.display["uri"]))
            uri = self.cfg.scanner.get("uri")
            view, on_frame = self._camera_preview() if uri and uri.startswith("camera://") else (None, None)
            self.external_scanner = open_scanner(
                uri, lambda code: Clock.schedule_once(lambda dt: self._external_scan(code)),
                lambda e: Clock.schedule_once(lambda dt: self._show(Feedback(str(e), "error"))), on_frame)
            if view is not None:
                self.root.ids.sm.get_screen("vente").ids.camera_box.add_widget(view)
        except DeviceError as e:
            self._show(Feedback(f"Périphérique : {e}", "error"))

    def _camera_preview(self):
        """(the picture of the camera shown in the window so the student can aim, its frame callback)."""
        from kivy.uix.image import Image

        view = Image(fit_mode="contain")
        latest = {}

        def show(dt):
            frame = latest.pop("frame", None)
            if frame is not None:
                view.texture = _gray_texture(frame)

        def on_frame(frame):  # from the camera's thread
            latest["frame"] = frame
            Clock.schedule_once(show)
        return view, on_frame

    def _watch_drawer(self):
        """Where the printer reports the drawer sensor, warn when the drawer stays open."""
        if getattr(self.printer, "target", None) is None or self.printer.target.scheme not in ("tcp", "serial", "usb"):
            return  # simulators and write-only links have no sensor to read
        from drivers.drawer import DrawerWatch

        watch = DrawerWatch(self.printer.drawer_open, float(self.cfg.drawer.get("open_warning_s", 60)))

        def run():
            while True:
                warning = watch.poll()
                if warning:
                    Clock.schedule_once(lambda dt, w=warning: self._show(Feedback(w, "error")))
                time.sleep(2)

        threading.Thread(target=run, name="drawer-watch", daemon=True).start()

    def _external_scan(self, code):
        self._scan(code)
        self.commands += 1  # a scan from a serial scanner is a command, like Enter after a burst
        self._write_state()

    def _pull_catalogue(self):
        self.catalogue_state, products = refresh_catalogue(self.cfg)
        self._after_catalogue(products)

    @mainthread
    def _after_catalogue(self, products):
        self.products = products
        self._refresh_sync()
        self._write_state()

    # -- keyboard and scanner -------------------------------------------------------------------
    def _field_focused(self):
        return self.search_popup is not None and self.search_popup.ids.query.focus

    def _on_textinput(self, window, text):
        self.wedge.feed(text, time.perf_counter())
        if self._field_focused():
            return False  # the field shows what is typed; a scan is taken back out of it on Enter
        if text == "*" and self.sm.current in ("vente", "paiement") and self.prompt is None:
            self.wedge.backspace()
            self.do_quantity()
        else:
            self.entry = self.wedge.buffer
        return True

    def _on_key_down(self, window, key, scancode, codepoint, modifiers):
        action = keys.action_for(key, modifiers)
        if action is None:
            return False
        if "ctrl" in modifiers and self._field_focused():
            return False  # Ctrl+A, Ctrl+V… belong to the search field while it is being typed in
        if self.sm.current == "connexion" and action not in ("enter", "backspace", "open_about", "go_sale", "tab",
                                                             "select_up", "select_down"):
            self._show(Feedback("Connectez-vous d'abord : scannez votre badge", "error"))
            self.commands += 1
            self._write_state()
            return True
        screen = self.sm.current
        if self.prompt is not None and action not in ("enter", "tab", "backspace"):
            if action == "go_sale":
                self.cancel_prompt()  # Échap: the action asked for is dropped
            else:
                self._show(Feedback(f"{self.prompt.title} : {self.prompt.hint} (Échap pour annuler)", "error"))
        elif action == "go_sale" and (self.about_popup is not None or self.search_popup is not None):
            self.go_sale()  # Échap closes the window on top first
        elif screen in SCREEN_ACTIONS and action not in ("enter", "tab", "backspace"):
            method = SCREEN_ACTIONS[screen].get(action)
            if method is None:
                self._show(Feedback(SCREEN_REFUSAL[screen], "error"))
            else:
                getattr(self, method)()
        elif action == "enter" or (action == "tab" and self.wedge.ends_scan("tab")):
            self._on_enter()
        elif action == "tab":
            return False
        elif action == "backspace":
            if self._field_focused():
                self.wedge.backspace()
                return False
            self.keypad("Corr.")
        else:
            getattr(self, action)()
        self.commands += 1  # scripts wait for this: the command key has been fully handled
        self._write_state()
        return True

    def _on_enter(self):
        focused = self._field_focused()
        duplicates = self.wedge.duplicates
        entry = self.wedge.terminate(time.perf_counter())
        if self.wedge.duplicates > duplicates:  # a double read of the same code: nothing to do
            return
        if self.sm.current == "connexion":
            self.entry = ""  # a code or a badge never stays on screen (nor counts twice)
            if entry is None:
                self.login_pin("")
            elif entry.kind == "scan" and len(entry.text) >= 8:  # a badge (EAN-13)
                self.login_badge(entry.text)
            else:  # a PIN, typed (however fast)
                self.login_pin(entry.text)
            return
        if self.prompt is not None:  # a badge, a code, a card or a product asked for: scanned or typed
            self._answer(entry.text if entry else "")
            return
        if self.sm.current == "retour":
            self.return_enter(entry.kind if entry else "typed", entry.text if entry else "")
            return
        if self.sm.current == "attente":
            self.resume_chosen()
            return
        if self.sm.current in COUNT_SCREENS:
            if entry is not None and entry.kind == "scan" and len(entry.text) >= 8:  # a product scanned
                self._show(Feedback(f"Pas de vente pendant le comptage. {SCREEN_REFUSAL[self.sm.current]}", "error"))
                return
            self.count_enter(entry.text if entry else "")
            return
        if self.sm.current == "caisse":
            self.record_movement(entry.text if entry else "")
            return
        if self.sm.current == "ecarts":
            self.finish_closing()
            return
        if focused and entry is not None and not entry.text.isdigit():
            entry = None  # fast typing in the search field, not a product code (codes are digits)
        if entry is not None and entry.kind == "scan":
            if focused:  # the burst went into the field too: take it back out
                field = self.search_popup.ids.query
                if field.text.endswith(entry.text):
                    field.text = field.text[: -len(entry.text)]
            self._scan(entry.text)
        elif self.search_popup is not None:
            self._search_enter()
        elif self.sm.current == "paiement":
            self.entry = entry.text if entry else ""
            self.do_cash()
        elif entry is not None:
            self._scan(entry.text)  # a code keyed in by hand

    def _tick(self, dt):
        if self._field_focused():  # typing in a field is not a scan cut short
            return
        cut = self.wedge.expire(time.perf_counter())
        if cut is not None:
            self._show(Feedback(f"Lecture incomplète « {cut.text} » : code ignoré, scannez à nouveau", "error"))
            self.entry = ""

    def _scan(self, code):
        if self.sm.current == "connexion":  # a serial or camera scan before anyone signed in
            self.login_badge(code)
            return
        if self.prompt is not None:
            self._answer(code)
            return
        if self.sm.current == "retour":
            self.return_enter("scan", code)
            return
        if self.sm.current not in ("vente", "paiement"):
            self._show(Feedback(f"Code {code} ignoré : {SCREEN_REFUSAL[self.sm.current]}", "error"))
            return
        kind = safe_card_kind(code)
        if self.sm.current == "paiement" and kind in PAY_CARD_KINDS and not self.service.ticket.is_refund:
            self.scan_on_payment(code, kind)  # a gift card or credit note pays what is due
            return
        if self.sm.current != "vente" and not self.service.ticket.payments:  # a payment started: stay
            self.sm.current = "vente"
        if is_badge(code):
            self._show(Feedback("Code de badge : pour changer d'opérateur, déconnectez-vous (F12)", "error"))
            return
        self.gift_card_scanned = code if kind == cards.GIFT_CARD else None  # Ctrl+G then sells it
        self._show(self.service.scan(code))

    # -- who is at the register ------------------------------------------------------------------
    def _show_operators(self):
        ops = operators_store.operators(self.store.conn, active_only=True)
        self.root.ids.sm.get_screen("connexion").ids.operators.data = [
            {"text": f"{op.name}  ({ROLES.get(op.role, op.role)})", "op_id": op.id,
             "selected": op.id == self.login_choice} for op in ops]

    def choose_operator(self, op_id):
        op = operators_store.get(self.store.conn, op_id)
        if op is None:
            return
        self.login_choice = op.id
        self.login_for = f"{op.name} : tapez votre code"
        self.take_entry()
        self._show_operators()
        self._bump()

    def login_badge(self, code):
        try:
            result = self.signin.badge(code)
        except CommerceError as e:
            self._show(Feedback(f"Connexion : {e}", "error"))
            return
        self._after_login(result)

    def login_pin(self, pin=None):
        pin = self.take_entry() if pin is None else pin
        if self.login_choice is None:
            self._show(Feedback("Touchez d'abord votre nom, ou scannez votre badge", "error"))
            return
        try:
            result = self.signin.pin(self.login_choice, pin)
        except CommerceError as e:
            self._show(Feedback(f"Connexion : {e}", "error"))
            return
        self._after_login(result)

    def _after_login(self, result):
        if not result.ok:
            self._show(Feedback(result.message, "error"))
            return
        self.cashier = self.service.cashier = result.operator.name
        self.login_choice, self.login_for = None, "Choisissez votre nom"
        self._show(self._enter_register(result.message))

    def sign_out(self):
        if self.sm.current == "connexion":
            return
        if self.service.ticket.lines:
            self._show(Feedback("Terminez ou annulez le ticket avant de vous déconnecter", "error"))
            return
        self.signin.sign_out()
        self.cashier = self.service.cashier = ""
        self.sm.current = "connexion"
        self._show_operators()
        self._show(Feedback("Déconnecté. Scannez votre badge."))

    # -- the cash session: opening, cash in/out, X, Z -------------------------------------------
    def _enter_register(self, said: str = "") -> Feedback:
        """After sign-in or a Z: the sale screen with an open session, else the opening count; a
        session that must be closed first (over 24 hours, day closed) goes to the closing count."""
        status, why = self.service.session_status()
        self._refresh_session()
        if status == "open":
            self.sm.current = "vente"
            return Feedback(f"{said} Scannez un article.".strip())
        self._start_count("ouverture" if status == "none" else "cloture")
        return Feedback(f"{said} {why}".strip(), "info" if status == "none" else "error")

    def _refresh_session(self):
        s = self.store.current_session(self.cfg.register)
        self.session_number = s.number if s else None
        self.session_text = (f"Session n° {s.number} ouverte le {s.opened_at:%d/%m/%Y à %H:%M} par {s.operator}, "
                             f"fond de caisse {format_eur(s.opening_count.total)}" if s else "Caisse fermée")

    def _start_count(self, name):
        self.count = DrawerCount(with_card=name == "cloture", with_cheque=name == "cloture")
        if name == "cloture":
            self.end_of_day = self.service.closes_the_day()
        self.take_entry()
        self.sm.current = name
        self._refresh_count()

    def _refresh_count(self):
        if self.sm.current not in COUNT_SCREENS:
            return
        screen = self.sm.get_screen(self.sm.current)
        rows = self.count.rows()
        widgets = getattr(screen, "count_rows", None)
        if widgets is None or len(widgets) != len(rows):
            screen.ids.left.clear_widgets()
            screen.ids.right.clear_widgets()
            widgets = screen.count_rows = [CountRow() for _ in rows]
            for w, key in zip(widgets, self.count.keys):
                coin = key not in ("card", "cheque") and key in cash.COINS
                (screen.ids.left if coin else screen.ids.right).add_widget(w)
            left, right = screen.ids.left, screen.ids.right
            short = left if len(left.children) < len(right.children) else right
            for _ in range(abs(len(left.children) - len(right.children))):
                short.add_widget(Label())  # a shorter column: keep its rows at the top
        for w, row in zip(widgets, rows):
            w.label, w.count, w.amount, w.selected, w.index = row["label"], row["count"], row["amount"], \
                row["selected"], row["index"]
        self.count_total_text = format_eur(self.count.total)
        self._bump()

    def count_select(self, index):
        self.count.select(index)
        self._refresh_count()

    def count_up(self):
        self.count.move(-1)
        self._refresh_count()

    def count_down(self):
        self.count.move(1)
        self._refresh_count()

    def count_enter(self, typed):
        self.entry = ""
        key = self.count.keys[self.count.row]
        error = self.count.enter(typed)
        if error:
            self._show(Feedback(error, "error"))
        elif typed.strip():
            what = ("Total carte : " + format_eur(self.count.card) if key == "card"
                    else "Total chèques : " + format_eur(self.count.cheque) if key == "cheque"
                    else f"{cash.denomination_label(key)} × {self.count.counts[key]}")
            self._show(Feedback(f"{what} — total compté {format_eur(self.count.total)}"))
        self._refresh_count()

    def toggle_end_of_day(self):
        self.end_of_day = not self.end_of_day
        self._show(Feedback("La clôture Z clôturera aussi la journée (plus de vente aujourd'hui)" if self.end_of_day
                            else "La journée reste ouverte après la clôture Z (une autre classe peut ouvrir la caisse)"))

    def count_escape(self):
        if self.wedge.buffer:
            self.take_entry()
            self._show(Feedback("Saisie effacée"))
        elif self.sm.current == "cloture" and self.service.session_status()[0] == "open":
            self.sm.current = "vente"
            self._show(Feedback("Clôture abandonnée : rien n'a été enregistré"))
        else:
            self._show(Feedback(SCREEN_REFUSAL[self.sm.current], "error"))

    def validate_count(self):
        typed = self.take_entry()
        if typed:  # digits then F5: the selected row first
            self.count_enter(typed)
            if self.level == "error":
                return
        if self.sm.current == "ouverture":
            feedback = self.service.open_session(self.count.counts)
            if feedback.level != "error" or self.store.current_session(self.cfg.register) is not None:
                self._refresh_session()
                self.sm.current = "vente"
            self._show(feedback)
            return
        card = format_amount(self.count.card) if self.count.card is not None else ""
        cheque = format_amount(self.count.cheque) if self.count.cheque is not None else ""
        feedback = self.service.close_session(self.count.counts, card, self.end_of_day, cheque_typed=cheque)
        result = self.service.last_closing
        if result is not None and result.z.session == self.session_number:
            self._show_closing(result)
            self._refresh_session()
            self.sm.current = "ecarts"
        self._show(feedback)

    def _show_closing(self, result):
        grid = self.sm.get_screen("ecarts").ids.checks
        grid.clear_widgets()
        for text in ("Moyen de paiement", "Attendu", "Compté", "Écart"):
            grid.add_widget(Label(text=text, bold=True, font_size="20sp"))
        for c in result.report.checks:
            colour = (0.75, 0.10, 0.10, 1) if c.difference < 0 else ((0.12, 0.45, 0.20, 1) if c.difference > 0
                                                                     else (0.12, 0.12, 0.14, 1))
            grid.add_widget(Label(text=c.label, font_size="22sp"))
            grid.add_widget(Label(text=format_eur(c.expected), font_size="22sp"))
            grid.add_widget(Label(text=format_eur(c.counted), font_size="22sp"))
            grid.add_widget(Label(text=signed_eur(c.difference), font_size="24sp", bold=True, color=colour))
        grid.add_widget(Label(text="Écart total", bold=True, font_size="22sp"))
        grid.add_widget(Label())
        grid.add_widget(Label())
        grid.add_widget(Label(text=signed_eur(result.report.difference), font_size="24sp", bold=True))
        self.closing_title = (f"Clôture Z n° {result.z.number} — session n° {result.z.session} : "
                              f"{plural_tickets(result.report.figures.totals.tickets)}, "
                              f"{format_eur(result.report.figures.totals.total)}")

    def finish_closing(self):
        """After the differences were read: the day closed, sign out; otherwise count a new float."""
        result = self.service.last_closing
        if result is not None and any(p.kind == "day" for p in result.periods):
            self.signin.sign_out()
            self.cashier = self.service.cashier = ""
            self.sm.current = "connexion"
            self._show_operators()
            self._show(Feedback("Journée clôturée : la caisse rouvrira demain. Déconnecté."))
            return
        self._show(self._enter_register("Clôture terminée."))

    def open_cash(self):
        if self.sm.current == "caisse":
            return
        if self.sm.current not in ("vente",) or self.service.ticket.lines:
            self._show(Feedback("Terminez ou annulez le ticket avant d'ouvrir le menu Caisse", "error"))
            return
        self.take_entry()
        self.movement_choice = 0
        self._refresh_session()
        self.sm.current = "caisse"
        self._refresh_movements()
        self._show(Feedback("Entrée ou sortie d'espèces : motif, montant, Entrée"))

    def _refresh_movements(self):
        box = self.sm.get_screen("caisse").ids.reasons
        if not box.children:
            from kivy.factory import Factory
            for i, (direction, reason) in enumerate(MOVEMENT_CHOICES):
                word = "Entrée" if direction == cash.CASH_IN else "Sortie"
                row = Factory.ReasonRow(text=f"{word} : {cash.MOVEMENT_REASONS[direction][reason]}")
                row.choice = i
                box.add_widget(row)
        for w in box.children:
            w.selected = w.choice == self.movement_choice
        self._bump()

    def choose_movement(self, index):
        self.movement_choice = index
        self._refresh_movements()

    def movement_up(self):
        self.choose_movement(max(0, self.movement_choice - 1))

    def movement_down(self):
        self.choose_movement(min(len(MOVEMENT_CHOICES) - 1, self.movement_choice + 1))

    def record_movement(self, typed):
        self.entry = ""
        direction, reason = MOVEMENT_CHOICES[self.movement_choice]
        feedback = self.service.cash_movement(direction, typed, reason)
        if "enregistrée" in feedback.message:
            self.sm.current = "vente"
        self._show(feedback)

    def x_report(self):
        if self.sm.current not in ("vente", "caisse") or self.service.ticket.lines:
            self._show(Feedback("Rapport X : terminez d'abord le ticket en cours", "error"))
            return
        self._show(self.service.x_report())

    def start_closing(self):
        if self.sm.current not in ("vente", "caisse") or self.service.ticket.lines:
            self._show(Feedback("Clôture : terminez d'abord le ticket en cours", "error"))
            return
        if self.store.current_session(self.cfg.register) is None:
            self._show(Feedback("Aucune caisse ouverte : rien à clôturer", "error"))
            return
        self._start_count("cloture")
        self._show(Feedback("Clôture Z : comptez le tiroir coupure par coupure, puis les totaux chèques et carte"))

    # -- actions (touch and shortcuts) ----------------------------------------------------------
    @property
    def sm(self):
        return self.root.ids.sm

    def keypad(self, key):
        if key == "Corr.":
            self.wedge.backspace()
        else:
            self.wedge.feed(key, time.perf_counter(), manual=True)
        self.entry = self.wedge.buffer
        self._bump()  # a tap is an event scripts and tests can wait for

    def take_entry(self):
        self.entry = ""
        return self.wedge.take_typed()

    def do_quantity(self):
        self._show(self.service.set_quantity(self.take_entry()))

    def do_remove(self):
        self._show(self.service.remove_line())

    def _move_operator(self, step):
        ops = operators_store.operators(self.store.conn, active_only=True)
        ids = [op.id for op in ops]
        if not ids:
            return
        i = ids.index(self.login_choice) + step if self.login_choice in ids else 0
        self.choose_operator(ids[max(0, min(len(ids) - 1, i))])

    def select_up(self):
        if self.sm.current == "connexion":
            self._move_operator(-1)
        elif self.search_popup is not None:
            self._move_search(-1)
        elif self.service.selected:
            self.select_line(self.service.selected - 1)

    def select_down(self):
        if self.sm.current == "connexion":
            self._move_operator(1)
        elif self.search_popup is not None:
            self._move_search(1)
        elif self.service.selected is not None:
            self.select_line(self.service.selected + 1)

    def select_line(self, index):
        self.service.select(index)
        self._refresh()

    def go_payment(self):
        feedback = self.service.start_payment()
        if feedback.level != "error":
            self.take_entry()
            self.sm.current = "paiement"
            if self.service.ticket.is_refund:
                allowed = ", ".join(PAY_WORDS[m] for m in self.service.refund_methods())
                feedback = Feedback(f"À rendre : {format_eur(-self.service.ticket.due)} — remboursement par {allowed}")
        self._show(feedback)

    def go_sale(self):
        for popup in (self.search_popup, self.about_popup):
            if popup is not None:
                popup.dismiss()  # its on_dismiss forgets it
                self._bump()
                return
        self.take_entry()
        if self.sm.current == "paiement" and not self.service.ticket.payments or self.sm.current == "caisse":
            self.sm.current = "vente"
        self._show(Feedback("Saisie effacée"))

    def quick_cash(self, cents):
        self.wedge.clear()
        self.wedge.feed(format_amount(cents), time.perf_counter(), manual=True)
        self.do_cash()

    def do_cash(self):
        """Cash given (straight from the sale screen too: F6 after typing 20); on a refund, cash back."""
        self._pay(self.service.pay_cash, "cash")

    def do_card(self):
        self._pay(self.service.pay_card, "card")

    def retry_print(self):
        self._show(self.service.retry_print())

    def reprint_last(self):
        self._show(self.service.reprint_last())

    def gift_receipt(self):
        self._show(self.service.gift_receipt())

    def open_search(self):
        if self.search_popup is None:
            self._search = ("", [], 0)
            self.load_later_rules()
            self.search_popup = SearchPopup()
            self.search_popup.bind(on_dismiss=self._forget_popups)
            self.search_popup.ids.query.bind(text=lambda *a: self._bump())
            self.search_popup.open()
        self.search_popup.ids.query.focus = True
        self.wedge.clear()
        self._bump()

    def _forget_popups(self, popup):
        if popup is self.search_popup:
            self.search_popup = None
        if popup is self.about_popup:
            self.about_popup = None

    def run_search(self, text):
        popup = self.search_popup
        if popup is None:
            return
        self._search = (text, self.service.search(text), 0)
        popup.ids.info.text = (f"{len(self._search[1])} résultat(s) pour « {text} » : flèches haut/bas puis Entrée pour ajouter"
                               if text.strip() else "Tapez un nom")
        self._show_results()

    def _show_results(self):
        _, results, index = self._search
        self.search_popup.ids.results.data = [
            {"text": f"{p.name}   —   {format_eur(p.price)}   ({p.gtin13})", "gtin": p.gtin13, "selected": i == index}
            for i, p in enumerate(results)]
        self._bump()

    def _move_search(self, step):
        text, results, index = self._search
        if results:
            self._search = (text, results, max(0, min(len(results) - 1, index + step)))
            self._show_results()

    def _search_enter(self):
        """Entrée in the search window: search, or add the highlighted result of this search."""
        text, results, index = self._search
        query = self.search_popup.ids.query.text
        if results and query == text:
            self.pick_search_result(results[index].gtin13)
        else:
            self.run_search(query)

    def pick_search_result(self, gtin):
        product = self.store.product(gtin)
        if self.search_popup is not None:
            self.search_popup.dismiss()
        if product is not None:
            self._show(self.service.add_product(product))

    def open_about(self):
        if self.about_popup is None:
            from ..version import VERSION
            self.load_later_rules()
            self.about_popup = AboutPopup(body=ABOUT.format(version=VERSION, count=self.store.product_count()))
            self.about_popup.bind(on_dismiss=self._forget_popups)
            self.about_popup.open()
        self._bump()

    # -- display ---------------------------------------------------------------------------------
    def _show(self, feedback: Feedback):
        if self.service.display_fault and feedback.level != "error":
            feedback = Feedback(f"{feedback.message}. {self.service.display_fault}", "error")
        self.message, self.level = feedback.message, feedback.level
        self._refresh()

    def _make_sale_screen(self):
        from kivy.factory import Factory
        screen = Factory.SaleScreen(name="vente")
        self.service.displays.insert(0, attach(screen.ids.customer_display))  # the on-screen customer display
        self.service.displays[0].welcome(self.service.shop.name)
        return screen

    def _refresh(self):
        t = self.service.ticket
        rows = self.ticket_rows()
        if "vente" not in self.root.ids.sm.lazy:  # the sale screen exists (it is made at its first showing)
            rv = self.root.ids.sm.get_screen("vente").ids.lines
            rv.data = rows
            self._keep_selected_visible(rv, rows)
        # on a refund the screen says "déjà rendu" and "à rendre": amounts shown without their minus sign
        self.total_text, self.paid_text = format_eur(t.total), format_eur(abs(t.paid))
        self.due_text = format_eur(abs(t.due))
        self.item_count = sum(abs(l.qty) for l in t.lines)
        self.customer_text, self.payments_text = self.customer_line(), self.payments_line()
        self.refund_mode = t.is_refund
        self.refund_allowed = " ".join(self.service.refund_methods()) if t.is_refund else ""
        self.parked_count = len(self.service.parked())
        self._bump()

    @staticmethod
    def _keep_selected_visible(rv, rows):
        """Scroll the ticket so that the selected line (or the last one added) shows."""
        at = next((i for i, r in enumerate(rows) if r["selected"]), len(rows) - 1)
        row_h = rv.layout_manager.default_size[1] if rv.layout_manager else 56
        content, view = len(rows) * row_h, rv.height
        if content <= view or at < 0:
            rv.scroll_y = 1
            return
        top = at * row_h  # from the top of the content
        current_top = (1 - rv.scroll_y) * (content - view)
        if top < current_top:
            current_top = top
        elif top + row_h > current_top + view:
            current_top = top + row_h - view
        rv.scroll_y = max(0.0, min(1.0, 1 - current_top / (content - view)))

    def _bump(self):
        self.events += 1
        self._write_state()

    def _refresh_sync(self):
        try:
            st = self.pusher.status()
        except Exception:  # the store is busy: next refresh
            return
        last = st["last_success"][11:19] if st["last_success"] else "jamais"
        self.sync_text = f"À envoyer : {st['waiting']} · dernier envoi : {last}"
        self._sync = st
        self._write_state()

    def _closing_state(self):
        result = self.service.last_closing
        if result is None:
            return None
        return {"number": result.z.number, "session": result.z.session, "difference": result.report.difference,
                "checks": [{"method": c.method, "expected": c.expected, "counted": c.counted,
                            "difference": c.difference} for c in result.report.checks],
                "periods": [p.kind for p in result.periods]}

    def _write_state(self, ready=False):
        """The window's state as JSON, for the headless demo and tests to wait on (atomic write)."""
        if ready:
            self._ready = True
        if not self.state_path or not getattr(self, "_ready", False):
            return
        t = self.service.ticket
        last = self.service.last_sale
        state = {
            "ready": True, "pid": os.getpid(), "events": self.events, "commands": self.commands,
            "operator": self.signin.current.id if self.signin.current else None, "login_choice": self.login_choice, "screen": self.sm.current,
            "message": self.message, "level": self.level, "entry": self.entry,
            "lines": [{"gtin": l.gtin13, "label": l.label, "qty": l.qty, "total": l.total, "kind": l.kind,
                       "discount": l.discount.label if l.discount else None} for l in t.lines],
            "selected": self.service.selected, "total": t.total, "due": t.due,
            "last_ticket": {"number": last.number, "total": last.total, "id": last.id,
                            "corrects": list(last.corrects) if last.corrects else None,
                            "payments": [{"method": p.method, "amount": p.amount, "reference": p.reference}
                                         for p in last.payments]} if last else None,
            "tickets": self.store.ticket_count(self.cfg.register), "catalogue": self.catalogue_state,
            "products": self.products,
            "sync": getattr(self, "_sync", None), "search_open": self.search_popup is not None,
            "search_text": self.search_popup.ids.query.text if self.search_popup else None,
            "search_results": [p.gtin13 for p in self._search[1]] if self.search_popup else None,
            "pending_print": self.service.print_pending,
            "session": self.session_number,
            "count": ({**self.count.as_state(), "end_of_day": self.end_of_day if self.count.with_card else None}
                      if self.sm.current in COUNT_SCREENS else None),
            "movement": ({"choice": self.movement_choice, "choices": [f"{d}:{r}" for d, r in MOVEMENT_CHOICES]}
                         if self.sm.current == "caisse" else None),
            "closing": self._closing_state(),
            "customer_display": list(self.service.displays[0].lines) if self.service.displays else None, "fps": round(Clock.get_rfps(), 1),
            **self.counter_state(),
        }
        tmp = self.state_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(state, f, ensure_ascii=False)
        os.replace(tmp, self.state_path)
