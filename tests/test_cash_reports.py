"""X and Z reports laid out for 32/42/48 columns, and the period closings (day, month, fiscal year)."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from commerce.cash import (
    DAY, MONTH, YEAR, close_day, close_month, close_year, fiscal_year_bounds, parse_count, report_blocks,
)
from commerce.errors import CommerceError
from commerce.receipt import COLUMN_CHOICES, TRAINING_BANNER, Cut, Text, receipt_text
from commerce.vat import VatRow
from test_cash import BOOK, BREAD, HEADSET, Day, at, full_day

SHORT = "1x50 2x20 1x5 1x2 1x0,20 1x0,05 2x0,02"  # 97,29 €


def z_report():
    s, mid = full_day()
    return mid, s.close(parse_count(SHORT), {"card": 10744}, operator="M. Bernard", now=at(18))


def lines_of(blocks):
    return [b.text for b in blocks if isinstance(b, Text)]


# -- layout ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("columns", COLUMN_CHOICES)
def test_reports_fit_the_paper_and_say_training(columns):
    mid, z = z_report()
    for report in (mid, z):
        blocks = report_blocks(report, columns)
        for b in blocks:
            if isinstance(b, Text):
                assert len(b.text) <= (columns // 2 if b.double else columns), b.text
        assert [b.text for b in blocks if isinstance(b, Text) and b.text == TRAINING_BANNER] == [TRAINING_BANNER] * 2
        assert isinstance(blocks[-1], Cut)


def test_z_report_at_32_columns():
    _, z = z_report()
    text = lines_of(report_blocks(z, 32))
    assert "CLÔTURE Z" in text
    assert "Session n° 000012       Caisse 2" in text
    assert "TOTAL                     135,03" in text  # aligned with the other amounts
    assert text[text.index("TVA           HT     TVA     TTC"):][:4] == [
        "TVA           HT     TVA     TTC",
        "20 %       99,99   19,99  119,98",
        "10 %        4,45    0,45    4,90",
        "5,5 %       9,62    0,53   10,15"]
    assert "Total TTC                 135,03" in text
    cash = text.index("ESPÈCES")
    assert text[cash:cash + 8] == [
        "ESPÈCES",
        "Fond de caisse            150,00",
        "+ Reçu                     65,00",
        "- Rendu monnaie            34,91",
        "- Remboursements            2,50",
        "+ Apports                  20,00",
        "- Sorties                 100,00",
        "= Attendu en caisse        97,59"]
    assert "1 x 50 €                   50,00" in text
    assert "2 x 2 c                     0,04" in text
    assert "Total compté               97,29" in text
    gaps = text.index("ÉCARTS (compté - attendu)")
    assert text[gaps + 1:gaps + 10] == [
        "Espèces",
        "  attendu                  97,59",
        "  compté                   97,29",
        "  écart                    -0,30",
        "Carte bancaire",
        "  attendu                 107,44",
        "  compté                  107,44",
        "  écart                     0,00",
        "Écart total                -0,30"]


def test_x_report_at_48_columns():
    mid, _ = z_report()
    text = receipt_text(report_blocks(mid, 48))
    assert "RAPPORT X\n(ne remet rien à zéro)\n" in text
    assert "\n3 tickets\n" in text
    assert "\nEspèces (2)" + " " * 32 + "10,10\n" in text
    assert "\n11:00 Apport de monnaie" + " " * 19 + "+20,00\n" in text
    assert "ATTENDU PAR MOYEN\n  Espèces" + " " * 33 + "180,10\n  Carte bancaire" + " " * 27 + "99,99\n" in text
    assert "COMPTAGE" not in text


def test_printed_amounts_add_up():
    _, z = z_report()
    d = z.as_dict()
    assert sum(v["ttc"] for v in d["vat"]) == d["total"] == sum(m["net"] for m in d["methods"]) == 13503
    assert sum(p["amount"] for p in d["counted_cash"]["pieces"]) == d["counted_cash"]["total"] == 9729
    assert d["counted_cash"]["text"] == "1x50,00 2x20,00 1x5,00 1x2,00 1x0,20 1x0,05 2x0,02"


# -- period closings -----------------------------------------------------------------------------------
def march_and_april():
    s, _ = full_day()  # 14/03/2025: 6 tickets, 135,03 €
    d14 = close_day("2", date(2025, 3, 14), s.tickets)
    day = Day()
    day.n = 100
    on15 = datetime(2025, 3, 15, 9, 0)
    t15 = [day.sell([(HEADSET, 1)], [("card", None)], on15), day.refund(HEADSET, 1, "card", on15)]
    d15 = close_day("2", date(2025, 3, 15), t15, previous=d14)
    on2 = datetime(2025, 4, 2, 9, 0)
    d02 = close_day("2", date(2025, 4, 2), [day.sell([(BOOK, 2)], [("cash", 1490)], on2),
                                             day.refund(BREAD, 1, "cash", on2)], previous=d15)
    return d14, d15, d02


def test_day_closings_chain_a_perpetual_grand_total():
    d14, d15, d02 = march_and_april()
    assert (d14.kind, d14.start, d14.end, d14.totals.tickets, d14.totals.total) == (
        DAY, date(2025, 3, 14), date(2025, 3, 14), 6, 13503)
    assert (d14.perpetual_total, d14.perpetual_absolute) == (13503, 13753 + 250)
    assert (d15.totals.total, d15.perpetual_total, d15.perpetual_absolute) == (0, 13503, 14003 + 9999 * 2)
    assert (d02.totals.total, d02.totals.gross_sales, d02.totals.returns) == (1490 - 135, 1490, -135)
    assert d02.perpetual_total == 13503 + 1355
    assert d02.perpetual_absolute == 34001 + 1490 + 135
    assert d02.perpetual_total_before == d15.perpetual_total
    # the absolute grand total only ever grows, even on a day of refunds only
    day = Day()
    refund_only = close_day("2", date(2025, 4, 3), [day.refund(HEADSET, 1, "card", datetime(2025, 4, 3, 9))],
                            previous=d02)
    assert refund_only.perpetual_total == d02.perpetual_total - 9999
    assert refund_only.perpetual_absolute == d02.perpetual_absolute + 9999


def test_month_and_year_roll_up():
    d14, d15, d02 = march_and_april()
    march = close_month("2", 2025, 3, [d14, d15])
    assert (march.kind, march.start, march.end) == (MONTH, date(2025, 3, 1), date(2025, 3, 31))
    assert (march.totals.tickets, march.totals.total, march.perpetual_total) == (8, 13503, 13503)
    assert march.totals.vat == (VatRow(2000, 9999, 1999, 11998), VatRow(1000, 445, 45, 490),
                                VatRow(550, 962, 53, 1015))
    assert march.totals.method("card").received == 10744 + 9999
    assert march.perpetual_absolute == d15.perpetual_absolute
    april = close_month("2", 2025, 4, [d02], previous=march)
    assert (april.end, april.totals.total, april.perpetual_total) == (date(2025, 4, 30), 1355, 14858)
    may = close_month("2", 2025, 5, [], previous=april)  # a month without sales still closes
    assert (may.totals.tickets, may.totals.total, may.perpetual_total) == (0, 0, 14858)
    year = close_year("2", date(2025, 1, 1), [march, april, may])
    assert (year.kind, year.start, year.end) == (YEAR, date(2025, 1, 1), date(2025, 12, 31))
    assert (year.totals.tickets, year.totals.total, year.perpetual_total) == (10, 14858, 14858)
    assert year.totals.vat == (VatRow(2000, 9999, 1999, 11998), VatRow(1000, 445, 45, 490),
                               VatRow(550, 962 + 1284, 53 + 71, 1015 + 1355))
    assert sum(r.ttc for r in year.totals.vat) == year.totals.total
    assert year.as_dict()["perpetual_total"] == 14858


def test_fiscal_year_from_september():
    assert fiscal_year_bounds(date(2025, 3, 14), 9) == (date(2024, 9, 1), date(2025, 8, 31))
    assert fiscal_year_bounds(date(2025, 9, 1), 9) == (date(2025, 9, 1), date(2026, 8, 31))
    assert fiscal_year_bounds(date(2025, 3, 14)) == (date(2025, 1, 1), date(2025, 12, 31))
    d14, d15, _ = march_and_april()
    year = close_year("2", date(2024, 9, 1), [close_month("2", 2025, 3, [d14, d15])])
    assert (year.end, year.totals.total) == (date(2025, 8, 31), 13503)


def test_closings_refused():
    d14, d15, d02 = march_and_april()
    with pytest.raises(CommerceError, match="^ticket n° 1 du 14/03/2025 hors de la journée du 15/03/2025$"):
        close_day("2", date(2025, 3, 15), [full_day()[0].tickets[0]])
    with pytest.raises(CommerceError, match="^ticket n° 1 de la caisse 2 dans la clôture de la caisse 3$"):
        close_day("3", date(2025, 3, 14), [full_day()[0].tickets[0]])
    with pytest.raises(CommerceError, match="^clôture du 15/03/2025 n'est pas antérieure"):
        close_day("2", date(2025, 3, 15), [], previous=d15)
    with pytest.raises(CommerceError, match="^clôture du 02/04/2025 hors de la période du 01/03/2025 au 31/03/2025$"):
        close_month("2", 2025, 3, [d14, d15, d02])
    with pytest.raises(CommerceError, match="^clôture du 14/03/2025 en double ou dans le désordre$"):
        close_month("2", 2025, 3, [d15, d14])
    with pytest.raises(CommerceError, match=r"^clôture du 15/03/2025 : grand total perpétuel de départ "
                                            r"135,03 €, attendu 0,00 € \(une clôture manque"):
        close_month("2", 2025, 3, [d15])  # 14/03 left out
    march = close_month("2", 2025, 3, [d14, d15])
    with pytest.raises(CommerceError, match="^clôture du 02/04/2025 : grand total perpétuel de départ"):
        close_month("2", 2025, 4, [d02])  # previous month not given: the chain does not start at 0
    with pytest.raises(CommerceError, match="ne peut pas entrer dans une clôture d.exercice de la caisse 2"):
        close_year("2", date(2025, 1, 1), [d14])
    with pytest.raises(CommerceError, match="^un exercice commence le 1er d'un mois"):
        close_year("2", date(2025, 1, 2), [march])
