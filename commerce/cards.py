"""Cards the register scans that are not products: loyalty cards, gift cards and credit notes (avoirs).

Each is an EAN-13 in the company's restricted circulation prefix 04 (GS1: "for use within a
company"), like the operators' badges, which keep 040–046 (commerce.operators): 047 credit notes,
048 gift cards, 049 loyalty cards; then 9 digits of number and the EAN check digit. A credit note
is printed with its barcode on the refund ticket; gift and loyalty cards are handed out pre-printed.
"""
from __future__ import annotations

from typing import Optional

from .errors import CommerceError
from .gtin import check_digit

LOYALTY, GIFT_CARD, CREDIT_NOTE = "loyalty", "gift_card", "credit_note"
PREFIXES = {"049": LOYALTY, "048": GIFT_CARD, "047": CREDIT_NOTE}
LABELS = {LOYALTY: "carte de fidélité", GIFT_CARD: "carte cadeau", CREDIT_NOTE: "avoir"}
_PREFIX = {kind: prefix for prefix, kind in PREFIXES.items()}


def make_card(kind: str, number: int) -> str:
    if not 0 < number < 10**9:
        raise CommerceError(f"numéro de {LABELS[kind]} « {number} » refusé : de 1 à 999999999")
    body = f"{_PREFIX[kind]}{number:09d}"
    return body + check_digit(body)


def card_kind(code: str) -> Optional[str]:
    """LOYALTY, GIFT_CARD or CREDIT_NOTE for a card's barcode (EAN-13, or its 12-digit UPC-A
    reading); None for anything else. A wrong check digit is refused with the expected digit."""
    text = str(code).strip()
    if len(text) == 12 and text.isdigit():
        text = "0" + text
    if len(text) != 13 or not text.isdigit() or text[:3] not in PREFIXES:
        return None
    if check_digit(text[:12]) != text[12]:
        raise CommerceError(f"{LABELS[PREFIXES[text[:3]]]} {text} refusé(e) : la clé de contrôle devrait "
                            f"être {check_digit(text[:12])}")
    return PREFIXES[text[:3]]


def card_key(code: str) -> str:
    """The 13-digit form of a card's barcode."""
    text = str(code).strip()
    return "0" + text if len(text) == 12 else text
