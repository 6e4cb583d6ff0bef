"""Serial scanner over real pseudo-terminals: pyserial opens the pty like /dev/ttyUSB0."""
from __future__ import annotations

import queue
import threading
import time

import pytest

from drivers.scanner.dedupe import Deduper
from drivers.scanner.serial import FrameSplitter, ScanEvent, SerialScanner
from drivers.sim.serial_devices import SimScanner
from drivers.uri import DeviceError

CODE = "3292590049201"


class Collector:
    def __init__(self):
        self.scans: queue.Queue = queue.Queue()
        self.errors: queue.Queue = queue.Queue()

    def scan(self, code):
        self.scans.put(code)

    def error(self, e):
        self.errors.put(str(e))

    def next_scan(self, timeout=1.0):
        return self.scans.get(timeout=timeout)

    def next_error(self, timeout=1.0):
        return self.errors.get(timeout=timeout)


@pytest.fixture
def rig(request):
    """(simulated scanner device, collector, running SerialScanner) for terminator `request.param`."""
    terminator = getattr(request, "param", "CR")
    sim = SimScanner(terminator)
    got = Collector()
    reader = SerialScanner(f"serial://{sim.port}?baudrate=9600&terminator={terminator}&dedupe=0",
                           got.scan, got.error).start()
    yield sim, got, reader
    reader.stop()
    sim.close()


@pytest.mark.parametrize("rig,wire", [("CR", b"\r"), ("LF", b"\n"), ("CRLF", b"\r\n")], indirect=["rig"])
def test_scan_delivered_as_soon_as_its_terminator_arrives(rig, wire):
    sim, got, reader = rig
    sim.write(CODE.encode() + wire)
    # nothing else is written before the callback fires: a reader waiting for more (readline on a
    # CR scanner) would time out here
    assert got.next_scan(timeout=1.0) == CODE
    sim.write(b"96385074" + wire)
    assert got.next_scan() == "96385074"
    time.sleep(0.2)
    assert got.scans.empty() and got.errors.empty()  # CRLF gave no empty second scan


@pytest.mark.parametrize("rig", ["CRLF"], indirect=True)
def test_crlf_split_between_reads_is_one_scan(rig):
    sim, got, reader = rig
    sim.write(CODE.encode() + b"\r")
    assert got.next_scan() == CODE  # delivered on CR, without waiting for the LF
    time.sleep(0.15)  # the LF comes in a later read
    sim.write(b"\n")
    sim.write(b"12345670\r")
    time.sleep(0.1)
    sim.write(b"\n")
    assert got.next_scan() == "12345670"
    time.sleep(0.2)
    assert got.scans.empty() and got.errors.empty()


@pytest.mark.parametrize("rig", ["CR"], indirect=True)
def test_partial_frame_is_buffered_until_its_terminator(rig):
    sim, got, reader = rig
    sim.write(b"32925")
    time.sleep(0.15)
    sim.write(b"9004")
    time.sleep(0.15)
    assert got.scans.empty()
    sim.write(b"9201\r4006")  # the end of one scan and the start of the next in one write
    assert got.next_scan() == CODE
    time.sleep(0.1)
    sim.write(b"381333931\r")
    assert got.next_scan() == "4006381333931"


@pytest.mark.parametrize("rig", ["TAB"], indirect=True)
def test_tab_terminator(rig):
    sim, got, reader = rig
    sim.scan(CODE)
    assert got.next_scan() == CODE


@pytest.mark.parametrize("rig", ["CR"], indirect=True)
def test_garbage_is_reported_and_the_next_scan_is_clean(rig):
    sim, got, reader = rig
    sim.write(b"3292\xff\x0049201\r")  # noise inside a frame: the frame is refused, bytes named
    err = got.next_error()
    assert "lecture corrompue « 3292??49201 »" in err and "0xFF 0x00" in err
    assert "scannez à nouveau" in err
    sim.write(b"\x00\x1b" + CODE.encode() + b"\r")  # noise before a frame: reported, scan intact
    err = got.next_error()
    assert "octets illisibles reçus du scanner : 0x00 0x1B" in err
    assert got.next_scan() == CODE
    time.sleep(0.2)
    assert got.scans.empty() and got.errors.empty()


@pytest.mark.parametrize("rig", ["CR"], indirect=True)
def test_lf_scanner_on_cr_setting_is_explained(rig):
    sim, got, reader = rig
    sim.write(CODE.encode() + b"\n" + CODE.encode() + b"\n")
    err = got.next_error(timeout=2.0)
    assert "LF" in err and "CR est configuré" in err


def test_duplicate_within_window_counts_once_then_rescan_counts():
    sim = SimScanner("CR")
    got = Collector()
    reader = SerialScanner(f"serial://{sim.port}?terminator=CR&dedupe=0.4", got.scan, got.error).start()
    try:
        sim.scan(CODE)
        sim.scan(CODE)  # the same label read twice in a row
        assert got.next_scan() == CODE
        time.sleep(0.2)
        assert got.scans.empty()
        time.sleep(0.3)  # past the window: the cashier scans a second identical item
        sim.scan(CODE)
        assert got.next_scan() == CODE
    finally:
        reader.stop()
        sim.close()


def test_clean_stop_and_bad_port():
    sim = SimScanner("CR")
    got = Collector()
    reader = SerialScanner(f"serial://{sim.port}", got.scan, got.error).start()
    assert reader.running
    t0 = time.monotonic()
    reader.stop()
    assert not reader.running and time.monotonic() - t0 < 1.0
    assert got.errors.empty()
    sim.close()
    with pytest.raises(DeviceError, match="impossible d'ouvrir le port"):
        SerialScanner("serial:///dev/ttyNOPE0", got.scan).start()
    with pytest.raises(DeviceError, match="terminateur « CRCR » inconnu"):
        SerialScanner("serial:///dev/ttyUSB0?terminator=CRCR", got.scan)
    with pytest.raises(DeviceError, match="paramètre « speed » inconnu"):
        SerialScanner("serial:///dev/ttyUSB0?speed=9600", got.scan)


# -- the splitter alone, byte by byte -----------------------------------------------------------
def scans(events):
    return [e.text for e in events if e.kind == "scan"]


def test_splitter_every_split_of_a_crlf_stream_gives_the_same_scans():
    stream = b"3292590049201\r\n96385074\r\n"
    for cut in range(len(stream) + 1):
        s = FrameSplitter("CRLF")
        events = s.feed(stream[:cut]) + s.feed(stream[cut:])
        assert events == [ScanEvent("scan", CODE), ScanEvent("scan", "96385074")], cut


def test_splitter_lf_mode_takes_crlf_and_cr_alone_is_garbage():
    s = FrameSplitter("LF")
    assert scans(s.feed(b"123456\r")) == []
    assert scans(s.feed(b"\n")) == ["123456"]
    events = s.feed(b"12\r34\n")
    assert events[0].kind == "error" and "0x0D" in events[0].text


def test_splitter_incomplete_frame_expires_and_does_not_glue_to_the_next():
    s = FrameSplitter("CR", frame_timeout_s=1.0)
    assert s.feed(b"32925900", now=10.0) == []
    assert s.idle(10.5) == []
    (err,) = s.idle(11.1)
    assert err.kind == "error" and "lecture incomplète « 32925900 »" in err.text
    assert scans(s.feed(CODE.encode() + b"\r", now=12.0)) == [CODE]


def test_splitter_overlong_frame_is_dropped_with_a_hint():
    s = FrameSplitter("CR", max_len=20)
    events = s.feed(b"A" * 30)
    assert len(events) == 1 and "plus de 20 caractères" in events[0].text
    assert s.feed(b"BBBB\r") == []  # rest of the overlong frame
    assert scans(s.feed(b"OK42\r")) == ["OK42"]


def test_empty_frames_are_not_scans():
    s = FrameSplitter("CR")
    assert s.feed(b"\r\r\n\r") == []
