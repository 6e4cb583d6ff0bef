"""`comptoir devices` helpers: print_test, open_drawer and probe, over TCP, a device file and sim://."""
import re

import pytest
import zxingcpp
from drivers.escpos_decode import decode, decoded_text
from drivers.printer import PrinterError
from drivers.printer.tools import TEST_CODE128, TEST_EAN13, TEST_QR, open_drawer, print_test, probe
from drivers.sim.tcp_printer import TcpPrinterSim
from PIL import Image


@pytest.fixture
def sim(tmp_path):
    with TcpPrinterSim(out_dir=tmp_path / "tcp", columns=48) as s:
        yield s


def test_print_test_over_tcp_on_generic_80(sim):
    sent = print_test(sim.uri, profile="generic-80")
    assert sim.wait_job() == sent
    assert sent.startswith(bytes.fromhex("1b 40 1b 74 13 1b 61 01 1d 76 30 00 18 00 30 00"))  # logo
    assert sent.endswith(bytes.fromhex("1b 64 03 1d 56 42 00"))  # feed and cut
    items = decode(sent)
    text = decoded_text(items)
    for expected in ("Accents : éèêëàâçùûôîï", "Euro : 12,50 €   Tiret : -",
                     "         1         2         3         4        ",
                     "123456789012345678901234567890123456789012345678"):
        assert expected in text.splitlines()
    assert [(i.symbology, i.data) for i in items if i.kind in ("barcode", "qr")] == [
        ("EAN13", TEST_EAN13), ("CODE128", TEST_CODE128), ("QR", TEST_QR)]
    priced = [i for i in items if i.kind == "text" and re.search(r"\d,\d\d( €)?$", i.text)]
    assert [i.text[-7:] for i in priced] == ["  12,50", "   3,20", "15,70 €"]
    assert all(len(i.text) * i.width == 48 for i in priced)  # each price ends at the last column
    [png] = sim.previews
    assert Image.open(png).width == (48 + 2) * 12


def test_print_test_to_sim_uri_writes_bin_and_png(tmp_path):
    sent = print_test("sim://atelier", profile="generic-58", sim_root=tmp_path)
    out = tmp_path / "atelier"
    assert (out / "0001.bin").read_bytes() == sent
    assert b"\x1d(k" not in sent and b"\x1dk" not in sent and b"\x1dV" not in sent  # 58 mm: no QR/GS k/cutter
    png = Image.open(out / "0001.png")
    assert png.width == (32 + 2) * 12
    codes = {(r.format, r.text) for r in zxingcpp.read_barcodes(png.convert("L"))}
    assert (zxingcpp.BarcodeFormat.QRCode, TEST_QR) in codes
    assert (zxingcpp.BarcodeFormat.EAN13, TEST_EAN13) in codes


def test_print_test_under_pc437_prints_eur(tmp_path):
    sent = print_test(f"file://{tmp_path}/lp0", profile="basic-437")
    assert (tmp_path / "lp0").read_bytes() == sent
    assert b"Euro : 12,50 EUR" in sent and b"\xd5" not in sent.split(b"\x1dv0")[0]


def test_open_drawer_pin_5_over_tcp(sim):
    open_drawer(sim.uri, pin=5)
    assert sim.wait_job() == bytes.fromhex("1b 70 01 32 fa")


def test_probe_reports_status_flags(sim, tmp_path):
    result = probe(sim.uri)
    assert result == {"uri": sim.uri, "profile": "default", "answers": True, "online": True,
                      "cover_open": False, "paper_near_end": False, "paper_out": False,
                      "drawer_open": False, "message": "Imprimante prête."}
    sim.set_state("cover_open")
    result = probe(sim.uri)
    assert (result["answers"], result["online"], result["cover_open"]) == (True, False, True)
    assert result["message"].startswith("Capot de l'imprimante ouvert")
    sim.set_state("refuse")
    result = probe(sim.uri)
    assert result["answers"] is False and "connexion refusée" in result["message"]
    assert probe(f"file://{tmp_path}/lp0")["answers"] is None


@pytest.mark.parametrize("call", [
    lambda: print_test("lpt://1"),
    lambda: print_test("tcp://127.0.0.1:9100", profile="tm-88"),
    lambda: open_drawer("sim://x", pin=3),
    lambda: probe("usb://zz"),
])
def test_failures_are_printer_errors_in_french(call):
    with pytest.raises(PrinterError) as err:
        call()
    assert err.value.kind == "config" and re.search(r"inconnu|invalide", str(err.value))


def test_print_test_to_a_closed_port_says_so():
    with TcpPrinterSim() as s:
        uri = s.uri
    with pytest.raises(PrinterError, match="Imprimante injoignable à 127.0.0.1:.* : connexion refusée"):
        print_test(uri)
