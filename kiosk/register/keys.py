"""Keyboard shortcuts of the register (Kivy key codes -> app action). Listed in the README.

Plain keys (F1…F12, Entrée, Suppr, arrows, Échap, Tab) are the everyday ones. The counter's other
actions use Ctrl + a letter (Ctrl+Maj for their companion action): with Ctrl held, SDL sends no text
for the key, so a shortcut never ends up in the typed entry, and the letters are free everywhere.
"""

ACTIONS = {
    13: "enter", 271: "enter",      # Entrée (and keypad Enter): end of a scan or of an entry
    8: "backspace",                 # ← erase the last typed character
    9: "tab",                       # Tab: end of a scan when the scanner's suffix is Tab
    282: "open_about",              # F1
    283: "open_search",             # F2
    284: "do_quantity",             # F3 (also '*'): typed number = quantity of the selected line
    285: "open_cash",               # F4: Caisse (cash in / out, X report, Z closing)
    286: "go_payment",              # F5 (also: validate the opening or closing count)
    287: "do_cash",                 # F6: typed amount given in cash (none = exact amount); refund in cash
    288: "do_card",                 # F7: card; refund to the card
    289: "reprint_last",            # F8: duplicata of the last ticket
    290: "retry_print",             # F9
    291: "gift_receipt",            # F10: gift receipt (no prices) of the last ticket
    292: "x_report",                # F11: rapport X (Maj+F11: clôture Z)
    293: "sign_out",                # F12: sign out (déconnexion)
    127: "do_remove",               # Suppr / Delete
    27: "go_sale",                  # Échap
    273: "select_up",               # ↑
    274: "select_down",             # ↓
}
SHIFT_ACTIONS = {
    292: "start_closing",           # Maj+F11: clôture Z
}
CTRL_ACTIONS = {
    ord("l"): "discount_line",      # Ctrl+L: remise sur la ligne (« 10% » ou « 2,50 » tapé avant)
    ord("t"): "discount_ticket",    # Ctrl+T: remise sur le ticket
    ord("p"): "override_price",     # Ctrl+P: nouveau prix de la ligne (accord du professeur)
    ord("b"): "weigh",              # Ctrl+B: peser (balance) l'article tapé ou scanné
    ord("g"): "gift_card",          # Ctrl+G: vente : vendre la carte cadeau ; paiement : payer avec une
    ord("f"): "redeem_points",      # Ctrl+F: points de fidélité utilisés
    ord("r"): "open_return",        # Ctrl+R: retour d'articles (ticket d'origine)
    ord("a"): "park",               # Ctrl+A: mettre le ticket en attente
    127: "cancel_ticket",           # Ctrl+Suppr: annuler le ticket (accord du professeur)
    ord("o"): "drawer_no_sale",     # Ctrl+O: ouvrir le tiroir sans vente (accord du professeur)
    ord("h"): "pay_cheque",         # Ctrl+H: chèque (montant tapé avant, puis son numéro)
    ord("v"): "pay_credit_note",    # Ctrl+V: avoir (scanner l'avoir) ; remboursement en avoir
}
CTRL_SHIFT_ACTIONS = {
    ord("r"): "return_without_ticket",  # Ctrl+Maj+R: retour sans ticket (accord du professeur)
    ord("a"): "open_parked",            # Ctrl+Maj+A: tickets en attente, pour en reprendre un
}


def action_for(key: int, modifiers) -> str | None:
    """The action of a key pressed with these modifiers ('ctrl', 'shift', …), or None."""
    mods = set(modifiers or ())
    if "ctrl" in mods:
        table = CTRL_SHIFT_ACTIONS if "shift" in mods else CTRL_ACTIONS
        return table.get(key)
    if "shift" in mods and key in SHIFT_ACTIONS:
        return SHIFT_ACTIONS[key]
    return ACTIONS.get(key)
