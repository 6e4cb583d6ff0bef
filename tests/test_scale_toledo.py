"""Scale: Toledo 8217 frames parsed to integer grams; a simulated scale answering over a real pty."""
from __future__ import annotations

import pytest

from commerce.instore import price_for_weight
from drivers.scale import (BadFrame, NoAnswer, NotStable, Overload, Reading, UnderZero, open_scale)
from drivers.scale.toledo import parse_frame
from drivers.sim.serial_devices import SimScale
from drivers.uri import DeviceError


def test_frames_to_integer_grams():
    assert parse_frame(b"\x0201.234\r") == Reading(1234, True)
    assert parse_frame(b"\x0200.005\r") == Reading(5, True)
    assert parse_frame(b"\x0214.999N\r") == Reading(14999, True, net=True)
    assert isinstance(parse_frame(b"\x0200.350\r").grams, int)
    assert parse_frame(b"\x0200.350\r").kg_text == "0,350 kg"
    assert parse_frame(b"\x02?A\r") == Reading(None, False)  # 0x41: bit 6 + motion
    assert parse_frame(b"\x02?\xc1\r") == Reading(None, False)  # parity bit set: masked


def test_under_zero_and_overload_are_typed_errors():
    with pytest.raises(UnderZero, match="sous zéro"):
        parse_frame(b"\x02?D\r")
    with pytest.raises(Overload, match="surcharge"):
        parse_frame(b"\x02?B\r")
    with pytest.raises(DeviceError, match="livres"):
        parse_frame(b"\x0201.23\r")
    for bad in (b"01.234\r", b"\x0201,234\r", b"\x02?\r", b"\x02?\x01\r", b"\x02?@\r"):
        with pytest.raises(BadFrame):
            parse_frame(bad)


@pytest.fixture
def scale():
    sim = SimScale(weight_g=1234)
    drv = open_scale(f"serial://{sim.port}?baudrate=9600")  # 7E1, the 8217 default
    yield sim, drv
    drv.close()
    sim.close()


def test_weighing_over_a_pty(scale):
    sim, drv = scale
    assert drv.read_weight() == Reading(1234, True)
    assert bytes(sim.received) == b"W"
    sim.set(weight_g=350)
    reading = drv.read_weight()
    assert reading.grams == 350 and reading.stable
    # a weighed item priced per kg: 350 g of coffee beans at 24,90 €/kg = 8,715 -> 8,72 € (halves up)
    assert price_for_weight(2490, reading.grams) == 872
    sim.set(weight_g=0)
    assert drv.read_weight() == Reading(0, True)


def test_moving_then_stable(scale):
    sim, drv = scale
    sim.set(weight_g=2500, state="moving")
    assert drv.read_weight() == Reading(None, False)
    with pytest.raises(NotStable, match="ne se stabilise pas"):
        drv.wait_stable(timeout=0.5, interval=0.1)
    sim.set(state="stable")
    assert drv.wait_stable(timeout=1.0) == Reading(2500, True)


def test_faults_over_a_pty(scale):
    sim, drv = scale
    sim.set(state="under")
    with pytest.raises(UnderZero) as e:
        drv.read_weight()
    assert str(e.value).startswith("balance série /dev/pts/")
    sim.set(state="over")
    with pytest.raises(Overload):
        drv.read_weight()
    sim.set(state="stable")
    sim.reply = b"\x0201.2"  # cut short
    with pytest.raises(BadFrame, match="CR manquant"):
        drv.read_weight(timeout=0.3)
    assert drv.read_weight() == Reading(1234, True)  # next request clean
    sim.silent = True
    with pytest.raises(NoAnswer, match="pas de réponse en 0.3 s"):
        drv.read_weight(timeout=0.3)


def test_bad_scale_address():
    with pytest.raises(DeviceError, match="parité"):
        open_scale("serial:///dev/ttyUSB2?parity=X")
    with pytest.raises(DeviceError, match="impossible d'ouvrir"):
        open_scale("serial:///dev/ttyNOPE2")
