"""Plays stockroom actions through the real window (kiosk/stockroom): real X key events in, the
window's state file out. Used by `comptoir demo --headless --kiosk stockroom --script FILE` and the
UI tests. The window plumbing (waiting on the state file, scans, typed keys) is RegisterDriver's.

Script actions (one per line, `#` starts a comment, "quoted words" stay together):

    login BADGE                      sign in with a badge
    receive PO                       F2, the expected delivery PO (its number typed, Entrée)
    note BL-123                      the delivery note's number (asked after `receive`)
    scan CODE [QTY]                  an item scanned (QTY: a case, typed then * before the scan)
    announced CODE QTY               the quantity written on the delivery note (QTY Ctrl+N, then CODE)
    damaged CODE QTY "REASON"        QTY damaged units (QTY Ctrl+D, CODE, the reason, Entrée)
    dlc CODE DATE | ddm CODE DATE    the use-by / best-before date printed on the item (DATE Ctrl+E|M, CODE)
    validate                         F10: validate the reception (or end a count round, print the réassort)
    count LOCATION ["CATEGORY"]      F3, the location counted (RAYON, RESERVE, a bin's code), or one category in it
    finish-count                     F10: end of the counting round
    approve BADGE                    the teacher's badge approves the count
    scrap CODE QTY REASON [LOCATION] F4: QTY units to scrap from the shelf (or LOCATION, RESERVE…);
                                     REASON damaged|expired|theft (or 1, 2, 3)
    putaway TO CODE [QTY [FROM]]     F5: QTY units (1) of CODE put away in TO, from the reserve (or FROM)
    parcel receive CODE "NAME" LOC [N]   F8, Ctrl+R: a customer's parcel (N packages) received, stored in LOC
    parcel hand-over CODE            F8: the customer shows the order's code, the parcel is handed over
    parcel return CODE ITEM QTY COND F8, Ctrl+U: an item brought back: resaleable, scrap or supplier
    replenish                        F6: what to order, and the low-stock warnings
    label CODE                       F7: a shelf label for CODE
    barcode-label CODE [N]           Ctrl+B: N product barcode labels (EAN-13) on the receipt printer
    home                             Échap: back to the home screen
"""
from __future__ import annotations

import re
import shlex
import time
from pathlib import Path

from .register_driver import DriverError, RegisterDriver

USAGE = {"login": "login BADGE", "receive": "receive PO", "note": "note BL-123", "scan": "scan CODE [QTÉ]",
         "announced": "announced CODE QTÉ", "damaged": 'damaged CODE QTÉ "MOTIF"', "dlc": "dlc CODE AAAA-MM-JJ",
         "ddm": "ddm CODE AAAA-MM-JJ", "validate": "validate", "count": 'count EMPLACEMENT ["CATÉGORIE"]',
         "finish-count": "finish-count", "approve": "approve BADGE_PROF", "scrap": "scrap CODE QTÉ MOTIF [EMPLACEMENT]",
         "putaway": "putaway EMPLACEMENT CODE [QTÉ [DÉPART]]", "parcel": 'parcel receive CODE "NOM" EMPLACEMENT [COLIS] | parcel hand-over CODE | '
                   "parcel return CODE ARTICLE QTÉ revendable|rebut|fournisseur", "replenish": "replenish", "label": "label CODE", "barcode-label": "barcode-label CODE [NOMBRE]", "home": "home"}
# The first action of a script that only the stockroom knows: `comptoir demo` then opens the stockroom.
STOCKROOM_ONLY = set(USAGE) - {"login", "scan"}  # the actions the register does not have


class StockroomDriver(RegisterDriver):
    def wait_ready(self, timeout: float = 60.0) -> dict:
        """Ready once the back office's catalogue and purchase orders have been read (or found away)."""
        self.wait(lambda s: s.get("ready") and s.get("orders_state") not in (None, "loading"), timeout, "la fenêtre")
        return super().wait_ready(timeout)

    def case(self, qty: str) -> dict:
        """QTY then *: the next scan counts QTY units."""
        return self.typed_key_text(f"{qty}*")

    def typed_key_text(self, text: str) -> dict:
        """Text whose last character is itself a command (the * of a case)."""
        return self._act(lambda: self.kb.type(text))

    def answer_text(self, text: str) -> dict:
        """A prompt answered with typed words (a delivery note, a reason), then Entrée."""
        self.past_double_read(text)  # typed at machine speed, words read as a scan too
        if text:
            self.type_checked(text)
        st = self._act(lambda: self.kb.key("Return"))
        self._last_scan = (text, time.monotonic())
        return st

    def type_checked(self, text: str) -> None:
        """Type words, checking each piece shows in the window's entry before the next. An accented
        letter is its own X key (xsession.Keyboard.type); the first one after the key map changes can be
        dropped by the X server's remapping, so a piece that does not show is sent again."""
        start = self.state().get("entry", "")
        shown = ""
        for piece in re.findall(r"[\x00-\x7f]+|[^\x00-\x7f]", text):
            for attempt in range(4):
                self.kb.type(piece)
                try:
                    self.wait(lambda st: st.get("entry", "").endswith(start + shown + piece), 0.5 + attempt,
                              f"la saisie « {text} »")
                    break
                except DriverError:
                    entry, typed = self.state().get("entry", ""), start + shown
                    if attempt == 3 or not entry.startswith(typed):
                        raise DriverError(f"la saisie « {text} » n'arrive pas à la fenêtre (elle montre "
                                          f"« {entry} »)") from None
                    if len(entry) > len(typed):  # the key came out as another character: erase it
                        self.kb.key(*["BackSpace"] * (len(entry) - len(typed)))
                        self.wait(lambda st: st.get("entry", "") == typed, 2.0, f"la correction de « {text} »")
            shown += piece

    def home(self) -> dict:
        st = self.state()
        for _ in range(3):
            if st.get("screen") == "accueil" and not st.get("prompt"):
                break
            st = self.key("Escape")
        return st


def parse_line(line: str) -> tuple[str, list[str]] | None:
    """'damaged 3292590049201 2 "carton écrasé"' -> ('damaged', [...]); blanks and # comments -> None."""
    text = line.split("#", 1)[0].strip()
    if not text:
        return None
    try:
        words = shlex.split(text)
    except ValueError:
        raise ValueError("guillemets mal fermés : un texte entre guillemets doit se terminer par un guillemet") from None
    return words[0].lower(), words[1:]


def _qty(text: str) -> str:
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"quantité « {text} » : nombre entier positif attendu")
    return text


def play(driver: StockroomDriver, verb: str, args: list[str]) -> dict:
    """One stockroom action through the window. Raises ValueError with the reason for a bad line."""
    n = len(args)
    if verb == "login" and n == 1:
        driver.home()
        return driver.scan(args[0])
    if verb == "receive" and n == 1:
        driver.home()
        st = driver.key("F2")
        if st.get("screen") != "commandes":  # a reception kept open: F2 resumes it
            current = st.get("order")
            if current and current.upper() != args[0].strip().upper():
                return {**st, "level": "error",
                        "message": f"réception de la commande {current} en cours : validez-la (validate) "
                                   f"avant de recevoir {args[0]}"}
            return st
        return driver.answer_text(args[0])
    if verb == "note" and n == 1:
        if driver.state().get("prompt") != "Bon de livraison":
            raise DriverError("aucun bon de livraison demandé : commencez par « receive PO »")
        return driver.answer_text(args[0])
    if verb == "scan" and n in (1, 2):
        if n == 2:
            st = driver.case(_qty(args[1]))
            if st.get("level") == "error":
                return st
        return driver.present(args[0])
    if verb in ("announced", "damaged") and n == (2 if verb == "announced" else 3):
        st = driver.typed_key(_qty(args[1]), "ctrl+n" if verb == "announced" else "ctrl+d")
        if not st.get("prompt"):
            return st
        st = driver.present(args[0])
        return driver.answer_text(args[2]) if verb == "damaged" and st.get("prompt") else st
    if verb in ("dlc", "ddm") and n == 2:
        st = driver.typed_key(args[1], "ctrl+e" if verb == "dlc" else "ctrl+m")
        return driver.present(args[0]) if st.get("prompt") else st
    if verb in ("validate", "finish-count") and n == 0:
        return driver.key("F10")
    if verb == "count" and n in (1, 2):  # count LOCATION ["CATEGORY"]
        driver.home()
        st = driver.key("F3")
        return driver.answer_text(" ".join(args)) if st.get("prompt") else st
    if verb == "approve" and n == 1:
        if not driver.state().get("prompt"):
            raise DriverError("aucune validation demandée : terminez d'abord le comptage (finish-count)")
        return driver.present(args[0])
    if verb == "scrap" and n in (3, 4):
        driver.home()
        driver.key("F4")
        if n == 4:  # from another location than the shelf: its label scanned first
            st = driver.answer_text(args[3])
            if st.get("level") == "error":
                return st
        st = driver.case(_qty(args[1]))
        if st.get("level") == "error":
            return st
        st = driver.present(args[0])
        return driver.answer_text(args[2]) if st.get("prompt") else st
    if verb == "putaway" and n in (2, 3, 4):  # putaway TO CODE [QTY [FROM]]
        driver.home()
        driver.key("F5")
        if n == 4:
            st = driver.key("ctrl+s")
            st = driver.answer_text(args[3]) if st.get("prompt") else st
            if st.get("level") == "error":
                return st
        st = driver.answer_text(args[0])
        if st.get("level") == "error":
            return st
        if n >= 3:
            st = driver.case(_qty(args[2]))
            if st.get("level") == "error":
                return st
        return driver.present(args[1])
    if verb == "parcel" and args[:1] == ["receive"] and n in (4, 5):  # parcel receive CODE "NAME" LOCATION [N]
        driver.home()
        driver.key("F8")
        if n == 5:
            st = driver.case(_qty(args[4]))
            if st.get("level") == "error":
                return st
        st = driver.key("ctrl+r")
        for answer in (args[1], args[2], args[3]):
            if not st.get("prompt"):
                return st
            st = driver.answer_text(answer)
        return st
    if verb == "parcel" and args[:1] == ["hand-over"] and n == 2:
        driver.home()
        driver.key("F8")
        return driver.answer_text(args[1])
    if verb == "parcel" and args[:1] == ["return"] and n == 5:  # parcel return CODE PRODUCT QTY CONDITION
        driver.home()
        driver.key("F8")
        st = driver.case(_qty(args[3]))
        if st.get("level") == "error":
            return st
        st = driver.key("ctrl+u")
        for answer, scanned in ((args[1], False), (args[2], True), (args[4], False)):
            if not st.get("prompt"):
                return st
            st = driver.present(answer) if scanned else driver.answer_text(answer)
        return st
    if verb == "replenish" and n == 0:
        driver.home()
        return driver.key("F6")
    if verb == "label" and n == 1:
        driver.home()
        driver.key("F7")
        return driver.present(args[0])
    if verb == "barcode-label" and n in (1, 2):  # N product barcode labels
        driver.home()
        st = driver.typed_key(_qty(args[1]) if n == 2 else "1", "ctrl+b")
        return driver.present(args[0]) if st.get("prompt") else st
    if verb == "home" and n == 0:
        return driver.home()
    if verb in USAGE:
        raise ValueError(f"arguments incorrects pour « {verb} » : attendu « {USAGE[verb]} »")
    raise ValueError(f"action « {verb} » inconnue pour la réserve (actions : {', '.join(USAGE)})")


def is_stockroom_script(script: Path) -> bool:
    """A script whose first action only the stockroom knows (receive, count, scrap…)."""
    try:
        lines = script.read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    for line in lines:
        try:
            parsed = parse_line(line.lstrip().lstrip("!"))
        except ValueError:
            return False
        if parsed is not None and parsed[0] != "login":
            return parsed[0] in STOCKROOM_ONLY
    return False
