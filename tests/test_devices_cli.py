"""`comptoir devices …` as a teacher runs it: real subprocesses, a TCP printer simulator, a pty scanner."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

from drivers.sim.tcp_printer import TcpPrinterSim


def comptoir(*args, **kw):
    return subprocess.run([sys.executable, "-m", "comptoir.cli", *args], capture_output=True, text=True,
                          timeout=60, **kw)


def test_print_test_and_open_drawer_over_tcp(tmp_path):
    with TcpPrinterSim(out_dir=tmp_path / "tcp", columns=48) as sim:
        r = comptoir("devices", "print-test", sim.uri, "--profile", "generic-80")
        assert r.returncode == 0, r.stderr
        job = sim.wait_job()
        assert b"\x1bt\x13" in job and "Café".encode("cp858") in job and b"\xd5" in job  # PC858, é, €
        assert b"\x1d(k" in job  # native QR on this profile
        r = comptoir("devices", "open-drawer", sim.uri, "--pin", "5")
        assert r.returncode == 0, r.stderr
        deadline = time.monotonic() + 5
        while not sim.pulses and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sim.pulses[-1][0] == 5
        assert b"\x1bp\x01" in bytes(sim.received)


def test_unreachable_printer_and_bad_uri_are_explained():
    r = comptoir("devices", "print-test", "tcp://127.0.0.1:9")
    assert r.returncode == 1 and "injoignable" in r.stderr and "127.0.0.1:9" in r.stderr
    r = comptoir("devices", "open-drawer", "serial://dev/ttyUSB0")
    assert r.returncode == 1 and "chemin" in r.stderr


def test_listen_prints_each_scan_of_a_simulated_scanner():
    proc = subprocess.Popen([sys.executable, "-u", "-m", "comptoir.cli", "devices", "listen", "sim://douchette"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        pty = re.search(r"(/dev/pts/\d+)", first).group(1)
        fd = os.open(pty, os.O_WRONLY | os.O_NOCTTY)
        os.write(fd, b"3292590049201\n0697929110035\n")
        assert proc.stdout.readline().strip() == "3292590049201"
        assert proc.stdout.readline().strip() == "0697929110035"  # leading zero kept
        os.close(fd)
    finally:
        proc.terminate()
        proc.wait(10)


def test_list_shows_what_is_configured(tmp_path):
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text('[printer]\nbackend = "escpos"\nuri = "tcp://127.0.0.1:9"\n'
                   '[display]\nuri = "serial:///dev/ttyNOPE0"\n', encoding="utf-8")
    r = comptoir("devices", "list", "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    assert re.search(r"imprimante +tcp://127.0.0.1:9 +ERREUR .*injoignable", r.stdout)
    assert "afficheur    serial:///dev/ttyNOPE0  ERREUR : /dev/ttyNOPE0 introuvable" in r.stdout
    r = comptoir("devices", "list", "--config", str(tmp_path / "absent.toml"))
    assert r.returncode == 1 and "introuvable" in r.stderr


def test_listen_reads_a_camera_video(tmp_path):
    import cv2

    from drivers.camera.synth import ean13_frame

    video = tmp_path / "camera.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 30, (640, 480), False)
    for frame in [ean13_frame("3017620422003", size=(640, 480))] * 20:
        writer.write(frame)
    writer.release()
    r = comptoir("devices", "listen", f"camera://{video}")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1:] == ["3017620422003"]  # in view for 20 frames: one scan


def test_list_accepts_the_readme_serial_addresses(tmp_path):
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text('[printer]\nbackend = "sim"\nout_dir = "t"\n'
                   '[scanner]\nuri = "serial:///dev/ttyNOPE1?baudrate=9600&terminator=CR"\n'
                   '[scale]\nuri = "tcp://balance:9100"\n', encoding="utf-8")
    r = comptoir("devices", "list", "--config", str(cfg))
    assert "serial:///dev/ttyNOPE1?baudrate=9600&terminator=CR  ERREUR : /dev/ttyNOPE1 introuvable" in r.stdout
    assert re.search(r"balance +tcp://balance:9100 +ERREUR .*tcp://", r.stdout)
