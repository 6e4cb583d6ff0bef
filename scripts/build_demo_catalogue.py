"""Builds comptoir/data/demo-catalogue.csv from the Open Food Facts sample (run once, output committed).

Prices and VAT rates are invented (deterministically, by commerce.catalogue). Rows whose barcode has a
wrong check digit are kept as they are: the import refuses them with their line number, on purpose.
Usage: python scripts/build_demo_catalogue.py ../shared/data/catalogue/lifyzer-off-fr-sample.csv
"""
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from commerce.catalogue import demo_vat, invented_price  # noqa: E402
from commerce.money import format_amount  # noqa: E402
from commerce.vat import rate_label  # noqa: E402

src = Path(sys.argv[1])
out = Path(__file__).resolve().parent.parent / "comptoir" / "data" / "demo-catalogue.csv"
with src.open(encoding="utf-8", newline="") as f, out.open("w", encoding="utf-8", newline="") as g:
    w = csv.writer(g)
    w.writerow(["barcode", "name", "price", "vat_rate", "category"])
    for row in csv.DictReader(f):
        code, name = row["barcode"].strip(), " ".join(row["product_name"].split())
        if not name:
            continue
        vat = demo_vat(name)
        w.writerow([code, name, format_amount(invented_price(code.rjust(13, "0"), name)),
                    rate_label(vat).replace(" %", ""), "Épicerie"])
print(out)
