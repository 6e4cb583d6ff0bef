"""Cash drawer: the full five-byte pulse on pin 2 and pin 5 through the printer (TCP) and through a
standalone serial drawer (pty); the drawer sensor read through the printer; the open-too-long watch."""
import os
import tty

import pytest
from drivers.drawer import DrawerError, DrawerWatch, SerialDrawer, make_drawer, open_too_long
from drivers.printer import PrinterError, make_printer
from drivers.printer.escpos_encode import drawer_pulse
from drivers.sim.tcp_printer import TcpPrinterSim


@pytest.fixture
def sim():
    with TcpPrinterSim() as s:
        yield s


@pytest.mark.parametrize("pin, on_ms, off_ms, expected", [
    (2, 100, 500, "1b 70 00 32 fa"),
    (5, 100, 500, "1b 70 01 32 fa"),
    (2, 2, 510, "1b 70 00 01 ff"),
    (5, 60, 240, "1b 70 01 1e 78"),
])
def test_pulse_through_the_network_printer(sim, pin, on_ms, off_ms, expected):
    printer = make_printer({"backend": "escpos", "uri": sim.uri, "drawer_pin": pin,
                            "pulse_on_ms": on_ms, "pulse_off_ms": off_ms})
    printer.open_drawer()
    assert sim.wait_job() == bytes.fromhex(expected)  # five bytes, nothing before, nothing after
    assert sim.pulses == [(pin, on_ms, off_ms)]


def test_drawer_sensor_read_through_the_printer(sim):
    printer = make_printer({"backend": "escpos", "uri": sim.uri})
    assert printer.drawer_open() is False  # pin 3 high: closed (usual wiring, open level "low")
    printer.open_drawer()
    sim.wait_job()
    assert printer.drawer_open() is True
    sim.close_drawer()
    assert printer.drawer_open() is False
    # a drawer wired the other way round
    sim.drawer_open_level = "high"
    inverted = make_printer({"backend": "escpos", "uri": sim.uri, "drawer_open_level": "high"})
    assert inverted.drawer_open() is False
    inverted.open_drawer()
    sim.wait_job(2)
    assert inverted.drawer_open() is True


def test_drawer_sensor_needs_a_transport_that_reads(tmp_path):
    printer = make_printer({"backend": "escpos", "uri": f"file://{tmp_path}/lp0"})
    with pytest.raises(PrinterError, match=r"branchée sans retour \(file://\) : son état ne peut pas être lu"):
        printer.drawer_open()


def test_standalone_serial_drawer_over_a_pty():
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    try:
        name = os.ttyname(slave)
        drawer = make_drawer({"uri": f"serial://{name}?baudrate=9600", "open_bytes": "1b 70 01 19 fa"})
        drawer.open_drawer()
        assert os.read(master, 64) == bytes.fromhex("1b 70 01 19 fa")
        default = SerialDrawer(f"serial://{name}")
        default.open_drawer()
        assert os.read(master, 64) == drawer_pulse(2, 100, 500) == bytes.fromhex("1b 70 00 32 fa")
        assert drawer.openings == default.openings == 1
    finally:
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize("cfg, named", [
    ({"uri": "serial:///dev/ttyS0", "open_bytes": "1b 7x"}, "open_bytes = « 1b 7x » illisible"),
    ({"open_bytes": "07"}, "uri manque"),
    ({"uri": "tcp://10.0.0.1:9100"}, "type « tcp:// » inconnu ou impossible ici"),
    ({"uri": "serial:///dev/ttyS0", "pin": 5}, "clé « pin » inconnue"),
])
def test_drawer_config_errors_in_french(cfg, named):
    with pytest.raises(DrawerError, match=named):
        make_drawer(cfg)


def test_absent_serial_drawer(tmp_path):
    with pytest.raises(DrawerError, match=f"Tiroir-caisse injoignable sur {tmp_path}/ttyUSB9"):
        SerialDrawer(f"serial://{tmp_path}/ttyUSB9").open_drawer()


@pytest.mark.parametrize("opened_at, now, expected", [
    (None, 100.0, None),
    (100.0, 160.0, None),  # exactly the limit: not yet
    (100.0, 160.5, "Le tiroir-caisse est ouvert depuis 1 min 00 s : refermez-le."),
    (100.0, 145.0, None),
    (0.0, 305.0, "Le tiroir-caisse est ouvert depuis 5 min 05 s : refermez-le."),
])
def test_open_too_long(opened_at, now, expected):
    assert open_too_long(opened_at, now, 60) == expected


def test_watch_warns_once_per_opening(sim):
    printer = make_printer({"backend": "escpos", "uri": sim.uri})
    clock = [1000.0]
    watch = DrawerWatch(printer.drawer_open, limit_s=30, clock=lambda: clock[0])
    assert watch.poll() is None  # closed
    printer.open_drawer()
    sim.wait_job()
    assert watch.poll() is None and watch.opened_at == 1000.0
    clock[0] = 1031.0
    assert watch.poll() == "Le tiroir-caisse est ouvert depuis 31 s : refermez-le."
    clock[0] = 1060.0
    assert watch.poll() is None  # said once
    sim.set_state("silent")  # unreadable sensor: nothing changes, nothing raised
    assert watch.poll() is None and watch.opened_at == 1000.0
    sim.set_state("ok")
    sim.close_drawer()
    assert watch.poll() is None and watch.opened_at is None
