"""Real TCP to a printer port on 127.0.0.1: what the server receives is exactly what we encoded."""
import socket
import threading

import pytest
from commerce.receipt import build_receipt
from conftest_drivers import sample_ticket
from drivers.printer import PrinterError, make_printer
from drivers.printer.escpos_encode import encode_job


class FakePrinterPort:
    """A TCP server that records the bytes of each connection (one job per connection)."""

    def __init__(self, port: int = 0):
        self.sock = socket.create_server(("127.0.0.1", port))
        self.port = self.sock.getsockname()[1]
        self.jobs: list[bytes] = []
        self.done = threading.Semaphore(0)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                chunks = []
                while chunk := conn.recv(65536):
                    chunks.append(chunk)
            self.jobs.append(b"".join(chunks))
            self.done.release()

    def wait_job(self) -> bytes:
        assert self.done.acquire(timeout=5), "the printer port received nothing"
        return self.jobs[-1]

    def close(self):
        self.sock.close()


@pytest.fixture
def port():
    server = FakePrinterPort()
    yield server
    server.close()


def test_print_job_over_tcp_sends_exactly_the_encoded_bytes(port):
    printer = make_printer({"backend": "escpos", "uri": f"tcp://127.0.0.1:{port.port}", "columns": 48,
                            "status_check": False})  # this port never answers DLE EOT
    blocks = build_receipt(sample_ticket(), 48)
    sent = printer.print_job(blocks)
    assert sent == encode_job(blocks, 48)
    assert port.wait_job() == sent
    assert b"Caf\x82 moulu 250 g" in sent and printer.pending is None


def test_open_drawer_over_tcp(port):
    printer = make_printer({"backend": "escpos", "uri": f"tcp://127.0.0.1:{port.port}",
                            "drawer_pin": 5, "pulse_on_ms": 60, "pulse_off_ms": 240})
    printer.open_drawer()
    assert port.wait_job() == bytes.fromhex("1b 70 01 1e 78")


def test_closed_port_gives_french_error_then_retry_sends_the_kept_job():
    probe = socket.create_server(("127.0.0.1", 0))
    free = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    printer = make_printer({"backend": "escpos", "uri": f"tcp://127.0.0.1:{free}", "timeout": 2,
                            "status_check": False})
    blocks = build_receipt(sample_ticket(), 42)
    with pytest.raises(PrinterError) as err:
        printer.print_job(blocks)
    assert str(err.value).startswith(f"Imprimante injoignable à 127.0.0.1:{free} : connexion refusée")
    assert err.value.kind == "offline"
    assert printer.pending == encode_job(blocks, 42)

    server = FakePrinterPort(free)  # the printer is switched on
    try:
        assert printer.retry() == encode_job(blocks, 42)
        assert server.wait_job() == encode_job(blocks, 42)
        assert printer.pending is None
        with pytest.raises(PrinterError, match="Aucune impression en attente"):
            printer.retry()
    finally:
        server.close()
