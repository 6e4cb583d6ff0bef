"""The drawer count on screen (comptage par coupure), shared by the opening and the Z closing.

Screen state only: which row is selected and what was typed on each. The rules (denominations,
limits, totals) are commerce.cash's; the service validates the count when the student confirms.
Rows: coins 1 c … 2 €, notes 5 € … 500 €, and at the closing one more row for the card terminal's
total (an amount, not a number of pieces).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from commerce import cash
from commerce.money import format_amount, format_eur, parse_amount
from commerce.errors import CommerceError

CARD = "card"


@dataclass
class DrawerCount:
    with_card: bool = False
    row: int = 0
    counts: dict = field(default_factory=dict)  # denomination (cents) -> pieces
    card: Optional[int] = None  # cents typed for the card terminal, None: not typed yet

    @property
    def keys(self) -> list:
        return list(cash.DENOMINATIONS) + ([CARD] if self.with_card else [])

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
        if key == CARD:
            if not text:
                self.move(1)
                return None
            try:
                self.card = parse_amount(text, "total carte")
            except CommerceError as e:
                return f"Total carte refusé : {e}"
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
            if key == CARD:
                out.append({"label": "Carte (TPE)", "count": "—" if self.card is None else "",
                            "amount": "" if self.card is None else format_eur(self.card),
                            "selected": i == self.row, "index": i})
            else:
                n = self.counts.get(key, 0)
                out.append({"label": cash.denomination_label(key), "count": f"× {n}",
                            "amount": format_amount(key * n), "selected": i == self.row, "index": i})
        return out

    def as_state(self) -> dict:
        return {"keys": [str(k) for k in self.keys], "row": self.row,
                "counts": {str(d): n for d, n in sorted(self.counts.items()) if n},
                "total": self.total, "card": self.card}
