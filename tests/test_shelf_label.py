"""Shelf labels: net quantity parsed, unit price per kg / litre with the written rounding, PNG rendered."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from commerce.errors import CommerceError
from commerce.receipt import Barcode, Cut, Text
from commerce.shelf_label import Quantity, make_shelf_label, parse_quantity, unit_price
from drivers.labels import render_shelf_label

CATALOGUE = Path(__file__).resolve().parent.parent / "comptoir" / "data" / "demo-catalogue.csv"


@pytest.mark.parametrize("text, amount, dimension, shown", [
    ("350 g", 350, "mass", "350 g"),
    ("1,5 L", 1500, "volume", "1,5 L"),
    ("75 cl", 750, "volume", "75 cl"),
    ("Crème Glacée Vanille 2.5L", 2500, "volume", "2,5 L"),
    ("Choux De Bruxelles Surgelés, 1Kg", 1000, "mass", "1 kg"),
    ("Laredy, Anchaud de porc, boite de conserve de 750 gr", 750, "mass", "750 g"),
    ("Diego Mangue Letchis 2 Litres", 2000, "volume", "2 L"),
    ("Chateau D'estoublon Balsamic Vinegar 200 ML.", 200, "volume", "20 cl"),
    ("Sorbet plein fruit cassis (50%), 250ml", 250, "volume", "25 cl"),
    ("Perle De Lait Fraise 6x100g", 600, "mass", "600 g"),
    ("Comte De La Seynie Cassoulets Confit Canard 2X750G", 1500, "mass", "1,5 kg"),
    ("Royal Bourbon Green Chilli Paste 200 g x 12", 2400, "mass", "2,4 kg"),
    ("Yaourts Panier De Yoplait Fruits Rouges 12 Pots De 125g", 1500, "mass", "1,5 kg"),
    ("Saint Amand Pack 6X50CL", 3000, "volume", "3 L"),
    ("4 Paris-brest 320 g", 320, "mass", "320 g"),         # 4 pieces, 320 g in all
    ("Dani Pom Pommes Myrtilles 700G +20%", 700, "mass", "700 g"),
    ("Terrine De Sanglier Au Genièvre, 180 Grammes", 180, "mass", "180 g"),
    ("Bûche glacée sorbet frambroise/litchi L'ANGELYS 750 ML", 750, "volume", "75 cl"),
    ("Sirop 33 cl", 330, "volume", "33 cl"),
    ("Eau 1,25 l", 1250, "volume", "1,25 L"),
])
def test_quantities(text, amount, dimension, shown):
    q = parse_quantity(text)
    assert q == Quantity(amount, dimension)
    assert str(q) == shown


@pytest.mark.parametrize("text", ["Croc citron", "Fusée cola citron", "Jus 100% pur fruit", "Pack 6",
                                  "Cornets vanille bonbons.", "Bûche L'Angelys", "Lot de 3"])
def test_no_quantity(text):
    assert parse_quantity(text) is None


def test_most_demo_catalogue_quantities_are_found():
    with CATALOGUE.open(encoding="utf-8") as f:
        names = [row["name"] for row in csv.DictReader(f)]
    found = {n: parse_quantity(n) for n in names}
    found = {n: q for n, q in found.items() if q}
    assert len(found) >= 95
    assert found["Le Grand - Pain Bio - 350 G - Valpibio"] == Quantity(350, "mass")
    assert found["Vin Rouge Bio - Fiumicicoli - Sartène - 75cL"] == Quantity(750, "volume")


@pytest.mark.parametrize("price, text, per, unit", [
    (249, "350 g", 711, "kg"),       # 7,1143 -> 7,11 €/kg
    (349, "1,5 kg", 233, "kg"),      # 2,3267 -> 2,33
    (199, "1,5 L", 133, "L"),        # 1,3267 -> 1,33 €/L
    (595, "75 cl", 793, "L"),        # 7,9333 -> 7,93
    (125, "250 g", 500, "kg"),       # exact
    (1, "200 g", 5, "kg"),           # 0,05 exactly
    (3, "200 g", 15, "kg"),          # 0,15
    (1, "400 g", 3, "kg"),           # 0,025 -> 0,03: half up, never to even
    (100, "3 kg", 33, "kg"),
    (200, "3 kg", 67, "kg"),
])
def test_unit_price_values(price, text, per, unit):
    q = parse_quantity(text)
    assert unit_price(price, q) == per and q.unit == unit


def test_label_content():
    label = make_shelf_label("Le Grand - Pain Bio - 350 G - Valpibio", 249, "3292590049201")
    assert (label.price_text, label.quantity_text, label.unit_price, label.unit) == ("2,49 €", "350 g", 711, "kg")
    assert label.unit_price_text == "Prix au kg : 7,11 €"
    assert (label.barcode_symbology, label.barcode_data, label.warning) == ("EAN13", "3292590049201", "")
    wine = make_shelf_label("Vin rouge", 595, "0697929110035", quantity_text="75 cl")
    assert (wine.unit_price_text, wine.barcode_data) == ("Prix au litre : 7,93 €", "0697929110035")
    ean8 = make_shelf_label("Chewing-gum 14 g", 120, "0000096385074")
    assert (ean8.barcode_symbology, ean8.barcode_data, ean8.unit_price_text) == ("EAN8", "96385074", "Prix au kg : 85,71 €")


def test_weighed_item_and_missing_quantity():
    comte = make_shelf_label("Comté 18 mois", 1890, "2100042000001", sold_by_kg=True)
    assert (comte.price_text, comte.unit_price_text, comte.quantity_text) == ("18,90 €/kg", "Prix au kg : 18,90 €", "")
    croc = make_shelf_label("Croc citron", 359, "3292590049201")
    assert croc.unit_price is None and croc.unit_price_text == ""
    assert croc.warning == ("quantité nette introuvable dans « Croc citron » : indiquez-la (par exemple 350 g) "
                            "pour afficher le prix au kilo ou au litre")
    with pytest.raises(CommerceError) as exc:
        make_shelf_label("Croc citron", 359, "3292590049201", quantity_text="un sachet")
    assert str(exc.value) == "quantité « un sachet » illisible : écrivez par exemple 350 g, 1,5 L ou 75 cl"


def test_label_as_receipt_printer_blocks():
    label = make_shelf_label("Le Grand - Pain Bio - 350 G - Valpibio", 249, "3292590049201")
    assert label.blocks(32) == [
        Text("Le Grand - Pain Bio - 350 G -", "center", True), Text("Valpibio", "center", True),
        Text("2,49 €", "center", True, True), Text("350 g", "center"), Text("Prix au kg : 7,11 €", "center"),
        Barcode("EAN13", "3292590049201"), Cut()]


@pytest.mark.parametrize("name, price, key, symbology, digits", [
    ("Le Grand - Pain Bio - 350 G - Valpibio", 249, "3292590049201", "EAN13", "3292590049201"),
    ("Yaourts Panier De Yoplait Fruits Rouges 12 Pots De 125g, un nom bien plus long que l'étiquette", 349,
     "0000096385074", "EAN8", "96385074"),
    ("Thé vert 100 g", 320, "0697929110035", "EAN13", "0697929110035"),
])
def test_shelf_label_png(name, price, key, symbology, digits):
    label = make_shelf_label(name, price, key)
    png = render_shelf_label(label)
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.size == (827, 472)      # 70 × 40 mm at 300 dpi
    assert [(r.type, r.data.decode()) for r in decode(img)] == [(symbology, digits)]
    # ink in the bottom right, where the price and the unit price are drawn
    gray = img.convert("L")
    right = gray.crop((480, 280, 820, 465))
    assert right.getextrema()[0] == 0


def test_shelf_label_png_refuses_a_wrong_code():
    from dataclasses import replace
    from drivers.labels import LabelError
    label = replace(make_shelf_label("Thé vert 100 g", 320, "0697929110035"), barcode_data="0697929110036")
    with pytest.raises(LabelError, match="devrait être 5"):
        render_shelf_label(label)
