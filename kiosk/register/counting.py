"""The drawer count on screen (comptage par coupure), shared by the opening and the Z closing.

Screen state only: which row is selected and what was typed on each. The rules (denominations,
limits, totals) are commerce.cash's; the service validates the count when the student confirms.
Rows: coins 1 c … 2 €, notes 5 € … 500 €, and at the closing two more rows, typed as amounts (not
numbers of pieces): the cheques' total and the card terminal's total (last).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from commerce import cash
from commerce.money import format_amount, format_eur, parse_amount
from commerce.errors import CommerceError

CARD, CHEQUE = "card", "cheque"
TYPED = {CARD: "Carte (TPE)", CHEQUE: "Chèques"}  # rows typed as an amount, with their label
TYPED_WORDS = {CARD: "total carte", CHEQUE: "total chèques"}


@dataclass
class DrawerCount:
    with_card: bool = False
    with_cheque: bool = False  # the Z closing counts the cheques too (before the card's row)
    row: int = 0
    counts: dict = field(default_factory=dict)  # denomination (cents) -> pieces
    card: Optional[int] = None  # cents typed for the card terminal, None: not typed yet
    cheque: Optional[int] = None  # cents of the cheques in the drawer, None: not typed yet

    @property
    def keys(self) -> list:
        return list(cash.DENOMINATIONS) + ([CHEQUE] if self.with_cheque else []) + ([CARD] if self.with_card else [])

    def move(self, step: int) -> None:
        self.row = max(0, min(len(self.keys) - 1, self.row + step))

    def select(self, index: int) -> None:
        if 0 <= index < len(self.keys):
            self.row = index

    def enter(self, typed: str) -> Optional[str]:
        """Set the selected row from the typed text, then move to the next row. Returns an error
        message (French) and changes nothing when the text is not a count (or an amount for the card)."""
        key = self.keys[self.row]
        text = typed.strip()
        if key in TYPED:
            if not text:
                self.move(1)
                return None
            try:
                setattr(self, key, parse_amount(text, TYPED_WORDS[key]))
            except CommerceError as e:
                return f"{TYPED_WORDS[key].capitalize()} refusé : {e}"
            self.move(1)
            return None
        if not text:  # Entrée alone: next row
            self.move(1)
            return None
        label = cash.denomination_label(key)
        if not text.isdigit():
            return f"Nombre « {text} » refusé pour {label} : tapez un nombre de pièces ou de billets (entier)"
        n = int(text)
        if n > 99999:
            return f"Nombre {n} refusé pour {label} : vérifiez le comptage"
        self.counts[key] = n
        self.move(1)
        return None

    @property
    def total(self) -> int:
        return sum(d * n for d, n in self.counts.items())

    def rows(self) -> list[dict]:
        """What each row shows: label, pieces, subtotal."""
        out = []
        for i, key in enumerate(self.keys):
            if key in TYPED:
                typed = getattr(self, key)
                out.append({"label": TYPED[key], "count": "—" if typed is None else "",
                            "amount": "" if typed is None else format_eur(typed),
                            "selected": i == self.row, "index": i})
            else:
                n = self.counts.get(key, 0)
                out.append({"label": cash.denomination_label(key), "count": f"× {n}",
                            "amount": format_amount(key * n), "selected": i == self.row, "index": i})
        return out

    def as_state(self) -> dict:
        return {"keys": [str(k) for k in self.keys], "row": self.row,
                "counts": {str(d): n for d, n in sorted(self.counts.items()) if n},
                "total": self.total, "card": self.card, "cheque": self.cheque}
