"""The shop's rules: pure Python, no I/O (no Kivy, SQL, HTTP or device bytes).

Glossary (French user-facing word = English identifier):
    caisse = register            ticket = receipt ticket (Ticket)
    fond de caisse = opening float   clôture = closing
    remise = discount            avoir = credit note
    bon de livraison = delivery note rebut = scrap
    inventaire = stock count     réassort = replenishment
    HT = excluding VAT (net)     TTC = including VAT (gross)   TVA = VAT
    espèces = cash               carte = card    rendu (monnaie) = change
    MODE FORMATION = training mode (every ticket here is a training ticket)
"""
