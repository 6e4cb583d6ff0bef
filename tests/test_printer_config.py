"""The kiosk [printer] table: every bad value named in the French message."""
import os

import pytest
from commerce.receipt import Text
from drivers.printer import PrinterError, make_printer
from drivers.printer.config import parse_uri
from drivers.printer.escpos_encode import encode_job
from drivers.printer.simulator import SimulatedPrinter


@pytest.mark.parametrize("uri, fields", [
    ("tcp://192.168.1.50:9100", ("tcp", "192.168.1.50", 9100)),
    ("tcp://imprimante", ("tcp", "imprimante", 9100)),
    ("serial:///dev/ttyUSB0?baudrate=19200", ("serial", "/dev/ttyUSB0", 19200)),
    ("usb://04b8:0202", ("usb", 0x04B8, 0x0202)),
    ("file:///dev/usb/lp0", ("file", "/dev/usb/lp0")),
])
def test_good_uris(uri, fields):
    t = parse_uri(uri)
    got = {"tcp": (t.scheme, t.host, t.port), "serial": (t.scheme, t.path, int(t.params.get("baudrate", 0))),
           "usb": (t.scheme, t.vendor, t.product), "file": (t.scheme, t.path)}[t.scheme]
    assert got == fields


@pytest.mark.parametrize("uri, named", [
    ("tcp://192.168.1.50:91OO", "port « 91OO »"),
    ("lpt://1", "type « lpt:// » inconnu"),
    ("camera://0", "type « camera:// » inconnu ou impossible ici"),
    ("usb://04b8-0202", "identifiant USB « 04b8-0202 »"),
    ("serial:///dev/ttyUSB0?baudrate=9601", "vitesse « 9601 »"),
    ("serial:///dev/ttyUSB0?parity=E", "paramètre « parity »"),
    ("file://dev/usb/lp0", "chemin « dev/usb/lp0 »"),
    ("192.168.1.50", "« 192.168.1.50 » : illisible"),
])
def test_bad_uri_names_the_wrong_part(uri, named):
    with pytest.raises(PrinterError) as err:
        make_printer({"backend": "escpos", "uri": uri})
    assert named in str(err.value) and err.value.kind == "config"


@pytest.mark.parametrize("cfg, named", [
    ({"backend": "sim", "out_dir": "x", "columns": 40}, "columns = 40"),
    ({"backend": "sim", "out_dir": "x", "drawer_pin": 3}, "drawer_pin = 3"),
    ({"backend": "sim", "out_dir": "x", "pulse_on_ms": 600}, "pulse_on_ms = 600"),
    ({"backend": "sim", "out_dir": "x", "colums": 42}, "clé « colums »"),
    ({"backend": "sim"}, "out_dir"),
    ({"backend": "cups"}, "backend = « cups »"),
])
def test_bad_settings(cfg, named):
    with pytest.raises(PrinterError, match=named):
        make_printer(cfg)


def test_factory_defaults(tmp_path):
    p = make_printer({"backend": "sim", "out_dir": str(tmp_path)})
    assert isinstance(p, SimulatedPrinter) and p.columns == 42
    assert p.drawer_bytes == bytes.fromhex("1b 70 00 32 fa")


def test_file_uri_writes_the_bytes(tmp_path):
    dev = tmp_path / "lp0"
    printer = make_printer({"backend": "escpos", "uri": f"file://{dev}"})
    sent = printer.print_job([Text("Café 12,50 €")])
    assert dev.read_bytes() == sent == encode_job([Text("Café 12,50 €")], 42)


def test_serial_uri_through_a_pseudo_terminal():
    import tty
    master, slave = os.openpty()
    tty.setraw(master)
    try:
        printer = make_printer({"backend": "escpos",
                                "uri": f"serial://{os.ttyname(slave)}?baudrate=9600"})
        printer.open_drawer()
        assert os.read(master, 64) == bytes.fromhex("1b 70 00 32 fa")
    finally:
        os.close(master)
        os.close(slave)


def test_missing_device_file_is_explained_in_french(tmp_path):
    printer = make_printer({"backend": "escpos", "uri": f"file://{tmp_path}/absent/lp0"})
    with pytest.raises(PrinterError, match="Imprimante injoignable à .*absent/lp0 : périphérique absent"):
        printer.open_drawer()
