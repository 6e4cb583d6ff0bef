"""Keyboard-layout mismatch between a wedge scanner and its host.

A scanner set up for a QWERTY keyboard sends the key *positions* of the digits. On an AZERTY host
(the French default) the unshifted top row gives `&é"'(-è_çà` instead of `1234567890`. The reverse
case, an AZERTY scanner on a QWERTY host, presses Shift with the top row to get digits, which the
QWERTY host reads as `!@#$%^&*()`.

We only ever repair numeric symbologies (EAN-13, EAN-8, UPC-A, GTIN-14, I2/5): the text is remapped
only when *every* character is on the digit row of the layout, and either the result has the length
of a GTIN, or the text holds a character no Code128 can carry (é, è, ç, à are not ASCII), so it
cannot be a genuine Code128. Anything else (a Code128 such as `R&D-42` or `&"'(-_`, a typed word) is
returned unchanged. A code that cannot be mapped is never guessed at; the catalogue then refuses it
with its own message.
"""
from __future__ import annotations

NONE = "none"
QWERTY_ON_AZERTY = "qwerty-on-azerty"
AZERTY_ON_QWERTY = "azerty-on-qwerty"

_DIGITS = "1234567890"
_ROWS = {
    QWERTY_ON_AZERTY: "&é\"'(-è_çà",  # AZERTY unshifted top row
    AZERTY_ON_QWERTY: "!@#$%^&*()",  # QWERTY shifted top row
}
MODES = (NONE, QWERTY_ON_AZERTY, AZERTY_ON_QWERTY)
NUMERIC_LENGTHS = (8, 12, 13, 14)  # EAN-8, UPC-A, EAN-13, GTIN-14 (ITF-14)

_TABLES = {mode: str.maketrans(row, _DIGITS) for mode, row in _ROWS.items()}


def check_mode(mode: str) -> str:
    """Validate a configured layout mode; French message for the teacher if unknown."""
    mode = (mode or NONE).strip().lower()
    if mode not in MODES:
        raise ValueError(f"disposition clavier « {mode} » inconnue : possibles " + ", ".join(MODES))
    return mode


def fix_layout(text: str, mode: str) -> str:
    """The digits a numeric barcode really holds, or `text` unchanged when it is not one.

    fix_layout('&é"\\'(-è_çà&é"', 'qwerty-on-azerty') == '1234567890123'
    fix_layout('R&D-42', 'qwerty-on-azerty') == 'R&D-42'      (not all on the digit row)
    fix_layout('&é"\'(-è_çà', 'qwerty-on-azerty') == '1234567890'  (é, è: not a Code128)
    fix_layout('&é"', 'qwerty-on-azerty') == '&é"'             (3 characters: no numeric code)
    """
    mode = check_mode(mode)
    if mode == NONE or not text:
        return text
    row = _ROWS[mode]
    if any(ch not in row for ch in text):
        return text
    if len(text) not in NUMERIC_LENGTHS and (text.isascii() or len(text) < 4):
        return text  # might be a real Code128 made of punctuation: left alone
    return text.translate(_TABLES[mode])
