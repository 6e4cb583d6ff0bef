"""A TCP proxy for HTTP/1.1 that breaks things on purpose, between kiosks and the back office.

One request per connection (the pusher's urllib closes after each). For each request, a seeded
random draw picks at most one fault:

    drop_request    the client's request is never forwarded; its connection is closed
    cut_request     only part of the request reaches the back office, then both sides are closed
    delay           the request waits (up to ``max_delay`` s, beyond the client's timeout sometimes)
    duplicate       the back office gets the request twice; the client gets the second answer
    drop_response   the back office answers, the client never hears it (the "lost response")
    cut_response    the client gets part of the answer, then the connection closes
    replay_later    forwarded as usual, and the same bytes again later, after newer requests
                    (a stale copy arriving out of order)

``counts`` tells how many of each happened (and "forwarded", "upstream_down"). ``upstream_port`` may
be changed while running (a restarted back office).
"""
from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter
from typing import Optional

FAULTS = ("drop_request", "cut_request", "delay", "duplicate", "drop_response", "cut_response", "replay_later")


class FaultProxy:
    def __init__(self, upstream_port: int, seed: int = 0, rates: Optional[dict] = None, max_delay: float = 1.5):
        self.upstream_port = upstream_port
        self.rates = {name: 0.0 for name in FAULTS} | (rates or {})
        unknown = set(self.rates) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults: {sorted(unknown)}")
        self.max_delay = max_delay
        self.counts: Counter = Counter()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._active = 0  # connections and replays in flight
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        t = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._listener.close()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no request (nor a delayed replay) is in flight."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._active == 0:
                    return True
            time.sleep(0.05)
        return False

    # -- internals ---------------------------------------------------------------------------
    def _draw(self) -> tuple[Optional[str], float, float]:
        with self._lock:
            roll, fraction, delay = self._rng.random(), self._rng.random(), self._rng.random() * self.max_delay
        for name in FAULTS:
            if roll < self.rates[name]:
                return name, fraction, delay
            roll -= self.rates[name]
        return None, fraction, delay

    def _count(self, name: str) -> None:
        with self._lock:
            self.counts[name] += 1

    def _busy(self, step: int) -> None:
        with self._lock:
            self._active += step

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._busy(1)
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        try:
            client.settimeout(30)
            request = _read_request(client)
            if request is None:
                return
            fault, fraction, delay = self._draw()
            if fault:
                self._count(fault)
            if fault == "drop_request":
                return
            if fault == "cut_request":
                self._forward(request[: max(1, int(len(request) * fraction))], cut=True)
                return
            if fault == "delay":
                time.sleep(delay)
            if fault == "duplicate":
                self._forward(request)
            if fault == "replay_later":
                self._busy(1)
                threading.Thread(target=self._replay, args=(request, delay), daemon=True).start()
            response = self._forward(request)
            if response is None or fault == "drop_response":
                return
            if fault == "cut_response":
                response = response[: int(len(response) * fraction)]
            client.sendall(response)
        except OSError:
            pass
        finally:
            client.close()
            self._busy(-1)

    def _replay(self, request: bytes, delay: float) -> None:
        try:
            time.sleep(delay)
            self._forward(request)
        except OSError:
            pass
        finally:
            self._busy(-1)

    def _forward(self, request: bytes, cut: bool = False) -> Optional[bytes]:
        """Send to the back office; its whole answer (None if it is down or the request was cut)."""
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
        except OSError:
            self._count("upstream_down")
            return None
        with upstream:
            upstream.sendall(request)
            if cut:
                return None
            self._count("forwarded")
            chunks = []
            while True:
                data = upstream.recv(65536)
                if not data:
                    return b"".join(chunks)
                chunks.append(data)


def _read_request(sock: socket.socket) -> Optional[bytes]:
    """One HTTP request (head and Content-Length body), or None if the client went away."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head + b"\r\n\r\n" + body
