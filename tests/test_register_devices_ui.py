"""The register window with real serial devices on pseudo-terminals: a serial scanner, a pole
display and a standalone drawer, configured in its TOML like a school would."""
from __future__ import annotations

import time

import pytest

from drivers.sim.serial_devices import Pty, SimPoleDisplay, SimScanner

from ui_support import Register, demo_products, screen  # noqa: F401 (fixture)

pytestmark = pytest.mark.ui
PRODUCTS = {p.gtin13: p for p in demo_products()}
CROC, YOP = "3292590049201", "3292590050603"


@pytest.fixture(scope="module")
def rig(screen, tmp_path_factory):  # noqa: F811
    scanner, pole, drawer = SimScanner("CR"), SimPoleDisplay(), Pty()
    extra = (f'[scanner]\nuri = "serial://{scanner.port}?terminator=CR"\n'
             f'[display]\nuri = "serial://{pole.port}"\n'
             f'[drawer]\nuri = "serial://{drawer.port}"\nopen_bytes = "1b 70 01 19 fa"\n')
    reg = Register(tmp_path_factory.mktemp("register-devices"), screen, printer_extra=extra)
    yield reg, scanner, pole, drawer
    reg.close()
    for dev in (scanner, pole, drawer):
        dev.close()


def test_serial_scans_display_and_drawer(rig):
    reg, scanner, pole, drawer = rig
    d = reg.driver
    st = d.state()
    assert st["level"] == "info", st["message"]  # every device opened
    got = b""
    deadline = time.monotonic() + 5
    while b"\x1bp\x01\x19\xfa" not in got and time.monotonic() < deadline:
        got += drawer.read(0.1)
    assert got == b"\x1bp\x01\x19\xfa"  # the opening of the session: the float goes into the drawer
    before = st["commands"]
    scanner.scan(CROC)
    st = d.wait(lambda s: s["commands"] > before and s["lines"], 10, "le scan série")
    assert [(l["gtin"], l["qty"]) for l in st["lines"]] == [(CROC, 1)]
    assert pole.wait_until(lambda: pole.lines == ("Croc citron         ", "            3,59 EUR"))
    time.sleep(0.4)
    before = d.state()["commands"]
    scanner.scan(YOP)
    d.wait(lambda s: s["commands"] > before, 10, "le second scan")
    total = d.state()["total"]
    st = d.pay_cash("50.00")
    assert st["last_ticket"]["total"] == total
    change = 5000 - total
    assert pole.wait_until(lambda: "Rendu" in pole.lines[1] and f"{change // 100},{change % 100:02d}" in pole.lines[1])
    got = b""
    deadline = time.monotonic() + 5
    while b"\x1bp\x01\x19\xfa" not in got and time.monotonic() < deadline:
        got += drawer.read(0.1)
    assert got == b"\x1bp\x01\x19\xfa"  # the configured pulse, once, on the drawer's own port


def test_camera_scanner_from_a_video_file(screen, tmp_path):  # noqa: F811
    """camera:///video.mp4: a code shown, taken away and shown again rings up two items."""
    import cv2

    from drivers.camera.synth import ean13_frame

    on, off = ean13_frame(CROC, size=(640, 480), seed=3), ean13_frame(None, size=(640, 480), seed=3)
    video = tmp_path / "douchette.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 30, (640, 480), False)
    for frame in [off] * 90 + [on] * 30 + [off] * 30 + [on] * 30 + [off] * 5:  # 3 s to sign in first
        writer.write(frame)
    writer.release()
    reg = Register(tmp_path, screen, printer_extra=f'[scanner]\nuri = "camera://{video}"\n')
    try:
        st = reg.driver.wait(lambda s: s["lines"] and s["lines"][0]["qty"] == 2, 30, "les deux lectures caméra")
        assert [(l["gtin"], l["qty"]) for l in st["lines"]] == [(CROC, 2)]
        assert st["total"] == 2 * PRODUCTS[CROC].price
    finally:
        reg.close()
