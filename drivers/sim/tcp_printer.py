"""A network receipt printer on 127.0.0.1, for tests and the demo: a real TCP server (one thread,
any free port) that records every byte, answers DLE EOT status queries as an Epson printer does,
and draws a PNG preview of each job it prints.

    with TcpPrinterSim(out_dir="var/sim/caisse1") as sim:
        printer = make_printer({"backend": "escpos", "uri": sim.uri})
        sim.set_state("paper_out")      # ok | paper_near_end | paper_out | cover_open | offline
                                        # | error | silent (never answers) | refuse (port closed)

Status bytes (Epson ESC/POS, DLE EOT n): bits 1 and 4 are always set (0x12).
    n=1  0x04 drawer connector pin 3 HIGH, 0x08 offline
    n=2  0x04 cover open, 0x20 stopped at paper end, 0x40 error
    n=3  0x08 autocutter error
    n=4  0x0C roll near its end, 0x60 roll out
The drawer is opened by an ESC p pulse and closed by `close_drawer()`; with the usual wiring an
open drawer reads pin 3 LOW (`drawer_open_level="low"`).
"""
from __future__ import annotations

import re
import socket
import threading
from pathlib import Path

STATES = ("ok", "paper_near_end", "paper_out", "cover_open", "offline", "error", "silent", "refuse")
_QUERY = re.compile(rb"\x10\x04([\x01-\x04])")
_LEADING_QUERIES = re.compile(rb"\A(?:\x10\x04[\x01-\x04])+")
_PULSE = re.compile(rb"\x1bp([\x00\x01\x30\x31])(.)(.)", re.S)


class TcpPrinterSim:
    def __init__(self, out_dir=None, columns: int = 42, port: int = 0, drawer_open_level: str = "low"):
        self.out_dir = Path(out_dir) if out_dir else None
        self.columns = columns
        self.drawer_open_level = drawer_open_level
        self.state = "ok"
        self.drawer_is_open = False
        self.received = bytearray()  # every byte, every connection
        self.connections: list[bytes] = []  # the bytes of each closed connection
        self.jobs: list[bytes] = []  # what was done: a connection's bytes after its status queries
        # (a drawer pulse alone counts: the drawer opens without paper, not when offline)
        self.refused: list[bytes] = []  # job bytes that arrived while the printer could not print
        self.pulses: list[tuple[int, int, int]] = []  # (pin, on_ms, off_ms)
        self.previews: list[Path] = []
        self.queries = 0
        self._lock = threading.Condition()
        self._sock: socket.socket | None = None
        self.port = port
        self._listen()

    # --- control -------------------------------------------------------------------------
    @property
    def uri(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def set_state(self, state: str) -> None:
        if state not in STATES:
            raise ValueError(f"état « {state} » inconnu : " + ", ".join(STATES))
        with self._lock:
            self.state = state
        if state == "refuse" and self._sock is not None:
            self._stop_listening()  # connection refused from now on
        elif state != "refuse" and self._sock is None:
            self._listen()

    def close_drawer(self) -> None:
        with self._lock:
            self.drawer_is_open = False

    def wait_job(self, count: int = 1, timeout: float = 5.0) -> bytes:
        """Block until `count` jobs have been printed; return the last one."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.jobs) >= count, timeout):
                raise TimeoutError(f"le simulateur n'a reçu que {len(self.jobs)} ticket(s)")
            return self.jobs[-1]

    def wait_connections(self, count: int, timeout: float = 5.0) -> None:
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.connections) >= count, timeout):
                raise TimeoutError(f"le simulateur n'a vu que {len(self.connections)} connexion(s)")

    def close(self) -> None:
        if self._sock is not None:
            self._stop_listening()

    def _stop_listening(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        except OSError:
            pass
        self._sock.close()
        self._sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- the printer ---------------------------------------------------------------------
    def status_byte(self, n: int) -> int:
        s = self.state
        pin3_high = self.drawer_is_open == (self.drawer_open_level == "high")
        if n == 1:
            offline = s in ("paper_out", "cover_open", "offline", "error")
            return 0x12 | (0x04 if pin3_high else 0) | (0x08 if offline else 0)
        if n == 2:
            return 0x12 | (0x04 if s == "cover_open" else 0) | (0x20 if s == "paper_out" else 0) \
                | (0x40 if s == "error" else 0)
        if n == 3:
            return 0x12 | (0x08 if s == "error" else 0)
        return 0x12 | (0x0C if s in ("paper_near_end", "paper_out") else 0) | (0x60 if s == "paper_out" else 0)

    def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(8)
        self.port = sock.getsockname()[1]
        self._sock = sock
        threading.Thread(target=self._accept, args=(sock,), daemon=True).start()

    def _accept(self, sock: socket.socket) -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:  # closed by close() or set_state("refuse")
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        data, tail = bytearray(), b""
        with conn:
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                with self._lock:
                    self.received += chunk
                data += chunk
                # real-time commands are answered as they arrive, even split across reads
                window = tail + chunk
                for m in _QUERY.finditer(window):
                    if m.end() <= len(tail):
                        continue  # already answered with the previous chunk
                    self.queries += 1
                    if self.state != "silent":
                        try:
                            conn.sendall(bytes([self.status_byte(m.group(1)[0])]))
                        except OSError:
                            break
                tail = window[-2:]
        self._finish(bytes(data))

    def _finish(self, data: bytes) -> None:
        payload = _LEADING_QUERIES.sub(b"", data)
        with self._lock:
            self.connections.append(data)
            drawer_works = self.state not in ("silent", "offline")  # the drawer needs no paper
            if payload:
                pulses_only = not _PULSE.sub(b"", payload)
                if self.state in ("ok", "paper_near_end") or (pulses_only and drawer_works):
                    self.jobs.append(payload)
                    self._preview(payload)
                else:
                    self.refused.append(payload)
                for m in _PULSE.finditer(payload) if drawer_works else ():
                    self.pulses.append((2 if m.group(1) in b"\x000" else 5,
                                        m.group(2)[0] * 2, m.group(3)[0] * 2))
                    self.drawer_is_open = True
            self._lock.notify_all()

    def _preview(self, payload: bytes) -> None:
        if self.out_dir is None or not _PULSE.sub(b"", payload):  # nothing to see on paper
            return
        from drivers.printer.simulator import render_png

        self.out_dir.mkdir(parents=True, exist_ok=True)
        stem = f"{len(self.jobs):04d}"
        (self.out_dir / f"{stem}.bin").write_bytes(payload)
        path = self.out_dir / f"{stem}.png"
        try:
            render_png(payload, self.columns, path)
        except Exception:  # a preview must never make the printer fail
            return
        self.previews.append(path)
