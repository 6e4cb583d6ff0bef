"""What a 2x20 customer display shows: the screens of a sale, each exactly two lines of 20 characters.

Character choice for pole displays (documented decision): we send **7-bit ASCII only**. Pole displays
ship with different code pages (PC437, PC850, PC858, Katakana…) chosen by DIP switches or `ESC t`,
and a byte above 0x7F shown under the wrong page is a wrong glyph in front of the customer. ASCII is
the same on all of them, so accents are dropped (é→e, ç→c, œ→oe) and € is written EUR. The on-screen
display (a Kivy window) has every glyph and keeps the real text (`ascii_only=False`).
"""
from __future__ import annotations

import unicodedata

COLS = 20

_SPECIAL = {
    "€": "EUR", "œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O",
    "\u2019": "'", "\u2018": "'", "«": '"', "»": '"', "\u201c": '"', "\u201d": '"',
    "\u2013": "-", "\u2014": "-", "\u2026": "...", "\u00a0": " ", "\u202f": " ", "°": "o", "×": "x",
}


def to_ascii(text: str) -> str:
    """The closest ASCII a pole display shows everywhere: 'Crème brûlée 5 €' -> 'Creme brulee 5 EUR'."""
    out = []
    for ch in str(text):
        if " " <= ch <= "~":
            out.append(ch)
        elif ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(base if base and all(" " <= c <= "~" for c in base) else "?")
    return "".join(out)


class Screens:
    """Builds the two lines of each moment of a sale. `ascii_only` for pole displays (see above)."""

    def __init__(self, ascii_only: bool = True, cols: int = COLS):
        self.ascii_only = ascii_only
        self.cols = cols

    def text(self, s: str) -> str:
        s = " ".join(str(s).split())  # no tabs or newlines on a one-line field
        return to_ascii(s) if self.ascii_only else s

    def amount(self, cents: int) -> str:
        sign = "-" if cents < 0 else ""
        units, rest = divmod(abs(int(cents)), 100)
        return f"{sign}{units},{rest:02d} " + ("EUR" if self.ascii_only else "€")

    def line(self, left: str = "", right: str = "") -> str:
        """`left` then `right` ending at the last column; the left part is cut, never the amount."""
        left, right = self.text(left), self.text(right)[: self.cols]
        room = self.cols - len(right) - (1 if right and left else 0)
        left = left[: max(room, 0)]
        return left + right.rjust(self.cols - len(left))

    def fit(self, s: str) -> str:
        """Exactly one display line: mapped, control characters as spaces, cut or padded to 20."""
        s = "".join(" " if ch < " " or ch == "\x7f" else ch for ch in str(s))
        s = to_ascii(s) if self.ascii_only else s
        return s[: self.cols].ljust(self.cols)

    def centred(self, s: str) -> str:
        return self.text(s)[: self.cols].center(self.cols)

    # -- the moments of a sale ------------------------------------------------------------------
    def item(self, name: str, unit_cents: int, quantity: int = 1) -> tuple[str, str]:
        if quantity == 1:
            return self.line(name), self.line("", self.amount(unit_cents))
        unit = self.amount(unit_cents).rsplit(" ", 1)[0]
        return self.line(name), self.line(f"{quantity} x {unit}", self.amount(unit_cents * quantity))

    def total(self, total_cents: int) -> tuple[str, str]:
        return self.line("Total", self.amount(total_cents)), self.line()

    def change(self, total_cents: int, change_cents: int) -> tuple[str, str]:
        return self.line("Total", self.amount(total_cents)), self.line("Rendu", self.amount(change_cents))

    def thanks(self, footer: str = "") -> tuple[str, str]:
        return self.line("Merci et à bientôt !"), self.centred(footer)

    def welcome(self, shop: str = "") -> tuple[str, str]:
        return self.centred("Bonjour !"), self.centred(shop)
