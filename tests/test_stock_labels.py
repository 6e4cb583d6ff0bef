"""Stockroom printing on the simulated receipt printer (real ESC/POS bytes, decoded back) and the
A4 PDF sheet of shelf labels."""
from __future__ import annotations

import re
from datetime import date

import pytest

from commerce.stock import OrderLine, PurchaseOrder
from drivers.escpos_decode import decode, decoded_text
from drivers.printer import make_printer
from kiosk.stock_store import StockStore
from kiosk.stockroom_service import StockroomService
from stock_support import CROC, JUS, LENTILLES, T0, Clock, Printer, open_store


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "reserve.db")
    yield s
    s.close()


def test_reception_report_and_labels_through_the_simulated_printer(store, tmp_path):
    StockStore(store.conn).import_orders([PurchaseOrder("PO-9", "Épicerie Centrale", date(2025, 3, 14),
                                                        (OrderLine(JUS, 6, 210),))], at=T0)
    printer = make_printer({"backend": "sim", "out_dir": str(tmp_path / "tickets")})
    svc = StockroomService(store, printer, operator="eleve1", clock=Clock())
    svc.pick_delivery("PO-9")
    svc.delivery_note("BL-9")
    svc.receive_scan(JUS, 5)
    assert svc.validate_reception().level == "warning"  # one missing
    assert svc.print_shelf_label(JUS).message == "Étiquette de rayon imprimée : Pur Jus Ananas Victoria 75 cl - Albius"
    f = svc.print_shelf_label(CROC)  # no net quantity in its name: printed, with what to fill in
    assert f.level == "warning" and "quantité nette introuvable" in f.message
    assert svc.print_product_label(LENTILLES, 2).message == "2 étiquette(s) imprimée(s) : Lentilles grises 2 Kg"
    assert svc.print_product_label("3292590049202").level == "error"
    jobs = sorted((tmp_path / "tickets").glob("*.bin"))
    assert len(jobs) == 4
    report = decoded_text(decode(jobs[0].read_bytes()))
    assert "RAPPORT DE RÉCEPTION" in report and "! Manquant" in report
    assert "Prix au litre : 5,32 €" in decoded_text(decode(jobs[1].read_bytes()))  # 3,99 € for 75 cl
    assert decoded_text(decode(jobs[3].read_bytes())).count("Lentilles grises 2 Kg") == 2


def test_a4_sheet_of_shelf_labels(store, tmp_path):
    svc = StockroomService(store, Printer(), operator="eleve1", clock=Clock())
    codes = [JUS, LENTILLES, CROC] * 8  # 24 labels: two pages of 21
    f = svc.label_sheet(codes, tmp_path / "planche.pdf")
    assert f.message == f"Planche A4 de 24 étiquette(s) écrite : {tmp_path / 'planche.pdf'} (2 page(s))"
    pdf = (tmp_path / "planche.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf)) == 2
    assert re.findall(rb"/MediaBox \[ 0 0 ([\d.]+) ([\d.]+) \]", pdf) == [(b"595.2", b"841.92")] * 2  # A4 in points
    assert svc.label_sheet([JUS, "123"], tmp_path / "x.pdf").level == "error"
    assert not (tmp_path / "x.pdf").exists()


def test_a_printer_fault_loses_nothing_and_the_job_prints_again(store, tmp_path):
    StockStore(store.conn).import_orders([PurchaseOrder("PO-9", "Épicerie Centrale", date(2025, 3, 14),
                                                        (OrderLine(JUS, 6, 210),))], at=T0)
    printer = make_printer({"backend": "sim", "out_dir": str(tmp_path / "tickets"), "fail_with": "paper_out"})
    svc = StockroomService(store, printer, operator="eleve1", clock=Clock())
    assert svc.retry_print().message == "Aucune impression en attente"
    svc.pick_delivery("PO-9")
    svc.delivery_note("BL-9")
    svc.receive_scan(JUS, 6)
    f = svc.validate_reception()
    assert f.level == "error" and f.message.startswith("Réception n° 1 validée : 0 anomalie(s), commande soldée. "
                                                       "Impression impossible (Plus de papier")
    assert svc.stock.on_hand(JUS) == 6 and not list((tmp_path / "tickets").glob("*.bin"))
    assert svc.retry_print().level == "error"  # still no paper
    printer.fail_with = None
    assert svc.retry_print().message == "Impression relancée : c'est imprimé"
    assert "AUCUNE ANOMALIE" in decoded_text(decode(printer.last_job.read_bytes()))
