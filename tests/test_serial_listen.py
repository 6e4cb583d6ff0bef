"""listen(uri, on_scan, stop): serial:// and sim:// scanners, scans printed as they arrive."""
from __future__ import annotations

import os
import queue
import re
import threading

import pytest

from drivers.scanner.listen import listen
from drivers.sim.serial_devices import SimScanner
from drivers.uri import DeviceError


def run_listen(uri):
    scans, ready, errors = queue.Queue(), queue.Queue(), queue.Queue()
    stop = threading.Event()
    t = threading.Thread(target=listen, args=(uri, scans.put, stop),
                         kwargs={"on_ready": ready.put, "on_error": lambda e: errors.put(str(e))}, daemon=True)
    t.start()
    return scans, ready.get(timeout=2.0), errors, stop, t


def test_listen_serial():
    sim = SimScanner("CR")
    scans, message, errors, stop, t = run_listen(f"serial://{sim.port}?terminator=CR")
    try:
        assert sim.port in message
        sim.scan("3292590049201")
        assert scans.get(timeout=1.0) == "3292590049201"
    finally:
        stop.set()
        t.join(2.0)
        sim.close()
    assert not t.is_alive()


def test_listen_sim_reads_lines_written_into_its_pty():
    scans, message, errors, stop, t = run_listen("sim://caisse1")
    try:
        port = re.search(r"(/dev/pts/\d+)", message).group(1)
        assert "caisse1" in message
        fd = os.open(port, os.O_WRONLY | os.O_NOCTTY)
        try:
            os.write(fd, b"3292590049201\n96385074\n")
            assert scans.get(timeout=1.0) == "3292590049201"
            assert scans.get(timeout=1.0) == "96385074"
            os.write(fd, b"12\x07345\n")
            assert "0x07" in errors.get(timeout=1.0)
        finally:
            os.close(fd)
    finally:
        stop.set()
        t.join(2.0)
    assert not t.is_alive()


def test_listen_refuses_other_kinds():
    with pytest.raises(DeviceError, match="possibles : serial://, sim://, camera://"):
        listen("tcp://127.0.0.1:9100", print, threading.Event())
