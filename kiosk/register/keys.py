"""Keyboard shortcuts of the register (Kivy key codes -> app action). Listed in the README."""

ACTIONS = {
    13: "enter", 271: "enter",      # Entrée (and keypad Enter): end of a scan or of an entry
    8: "backspace",
    9: "tab",                       # Tab: end of a scan when the scanner's suffix is Tab                 # ← erase the last typed character
    282: "open_about",              # F1
    283: "open_search",             # F2
    284: "do_quantity",             # F3 (also '*'): typed number = quantity of the selected line
    285: "open_cash",               # F4: Caisse (cash in / out, X report, Z closing)
    286: "go_payment",              # F5 (also: validate the opening or closing count)
    287: "do_cash",                 # F6: typed amount given in cash (none = exact amount)
    288: "do_card",                 # F7
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
