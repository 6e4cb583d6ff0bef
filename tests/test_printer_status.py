"""Printer status over real transports: DLE EOT answered by the TCP printer simulator on 127.0.0.1
(and by a pseudo-terminal for serial); each fault a typed French error; the job kept and retried."""
import os
import socket
import threading
import tty

import pytest
from commerce.catalogue import Product
from commerce.receipt import Text, build_receipt
from conftest_drivers import sample_ticket
from drivers.escpos_decode import decode, decoded_text
from drivers.printer import (CoverOpen, PaperNearEnd, PaperOut, PrinterError, PrinterFault,
                             PrinterOffline, make_printer)
from drivers.printer.status import QUERIES, parse_status
from drivers.sim.tcp_printer import TcpPrinterSim
from PIL import Image

STATUS = b"".join(QUERIES)  # 10 04 01 10 04 02 10 04 03 10 04 04


@pytest.fixture
def sim(tmp_path):
    with TcpPrinterSim(out_dir=tmp_path / "sim", columns=42) as s:
        yield s


def printer_for(sim, **cfg):
    return make_printer({"backend": "escpos", "uri": sim.uri, "timeout": 2, **cfg})


def ask(sim, n: int) -> int:
    with socket.create_connection(("127.0.0.1", sim.port), timeout=2) as c:
        c.sendall(bytes([0x10, 0x04, n]))
        return c.recv(1)[0]


@pytest.mark.parametrize("state, answers", [
    # DLE EOT 1, 2, 3, 4 as an Epson printer answers them (drawer closed: pin 3 high)
    ("ok", (0x16, 0x12, 0x12, 0x12)),
    ("paper_near_end", (0x16, 0x12, 0x12, 0x1E)),
    ("paper_out", (0x1E, 0x32, 0x12, 0x7E)),
    ("cover_open", (0x1E, 0x16, 0x12, 0x12)),
    ("offline", (0x1E, 0x12, 0x12, 0x12)),
    ("error", (0x1E, 0x52, 0x1A, 0x12)),
])
def test_simulator_answers_dle_eot_with_epson_bit_patterns(sim, state, answers):
    sim.set_state(state)
    assert tuple(ask(sim, n) for n in (1, 2, 3, 4)) == answers


def test_status_flags_read_over_tcp(sim):
    printer = printer_for(sim)
    st = printer.status()
    assert (st.online, st.cover_open, st.paper_near_end, st.paper_out, st.error) == (True, False, False, False, False)
    assert st.raw == bytes.fromhex("16 12 12 12")
    sim.set_state("paper_out")
    st = printer.status()
    assert (st.online, st.paper_near_end, st.paper_out) == (False, True, True)
    sim.wait_connections(2)
    assert sim.connections == [STATUS, STATUS]  # only the queries: no job was sent


@pytest.mark.parametrize("state, error, message", [
    ("paper_out", PaperOut, "Plus de papier ({where}) : remettez un rouleau puis relancez l'impression."),
    ("cover_open", CoverOpen, "Capot de l'imprimante ouvert ({where}) : refermez-le puis relancez l'impression."),
    ("offline", PrinterOffline, "Imprimante hors ligne ({where}) : vérifiez qu'elle est allumée et prête, "
                                "puis relancez l'impression."),
    ("error", PrinterFault, "Imprimante en erreur ({where}) : vérifiez le massicot et le papier, éteignez "
                            "et rallumez-la, puis relancez l'impression."),
])
def test_fault_is_a_typed_error_and_the_job_is_kept_for_retry(sim, state, error, message):
    printer = printer_for(sim)
    blocks = build_receipt(sample_ticket(), 42)
    sim.set_state(state)
    with pytest.raises(error) as err:
        printer.print_job(blocks)
    assert isinstance(err.value, PrinterError)
    assert str(err.value) == message.format(where=f"127.0.0.1:{sim.port}")
    assert err.value.kind == {"paper_out": "paper_out", "cover_open": "cover_open",
                              "offline": "offline", "error": "error"}[state]
    sim.wait_connections(1)
    assert sim.connections == [STATUS] and sim.jobs == []  # checked before sending: nothing printed
    assert printer.pending == printer.encode(blocks)

    sim.set_state("ok")  # paper loaded, cover shut, printer back
    sent = printer.retry()
    assert sim.wait_job() == sent == printer.encode(blocks)
    assert sim.connections[-1] == STATUS + sent and printer.pending is None
    assert "Café moulu 250 g" in decoded_text(decode(sim.jobs[-1]))


def test_silent_printer_is_offline_after_a_short_timeout(sim):
    sim.set_state("silent")
    printer = printer_for(sim)
    with pytest.raises(PrinterOffline) as err:
        printer.print_job([Text("Café")])
    assert str(err.value) == (f"L'imprimante à 127.0.0.1:{sim.port} ne répond pas (éteinte, hors ligne ou "
                              "occupée ?) : vérifiez-la puis relancez l'impression.")
    assert printer.pending is not None and sim.jobs == []
    sim.set_state("ok")
    assert sim.wait_job() if printer.retry() else False


def test_refused_connection_then_retry(sim):
    printer = printer_for(sim)
    sim.set_state("refuse")
    with pytest.raises(PrinterOffline, match=f"Imprimante injoignable à 127.0.0.1:{sim.port} : connexion refusée"):
        printer.print_job([Text("Thé 3 €")])
    sim.set_state("ok")  # listening again on the same port
    assert printer.retry() == bytes.fromhex("1b 40 1b 74 13") + b"Th\x82 3 \xd5\n"
    assert sim.wait_job() == printer.encode([Text("Thé 3 €")])


def test_paper_near_end_prints_and_warns(sim):
    sim.set_state("paper_near_end")
    printer = printer_for(sim)
    printer.print_job([Text("Café")])
    assert sim.wait_job() == bytes.fromhex("1b 40 1b 74 13") + b"Caf\x82\n"
    assert isinstance(printer.warning, PaperNearEnd)
    assert str(printer.warning) == f"Rouleau presque fini (127.0.0.1:{sim.port}) : préparez un rouleau neuf."
    sim.set_state("ok")
    printer.print_job([Text("Café")])
    assert printer.warning is None


def test_simulator_renders_a_png_of_each_printed_job(sim):
    printer = printer_for(sim)
    printer.print_job(build_receipt(sample_ticket(), 42))
    sim.wait_job()
    [png] = sim.previews
    assert png.name == "0001.png" and Image.open(png).width == 528
    assert (png.parent / "0001.bin").read_bytes() == sim.jobs[0]


def test_sale_is_never_lost_when_the_network_printer_has_no_paper(sim, tmp_path):
    from kiosk.register_service import RegisterService
    from kiosk.store import KioskStore

    store = KioskStore(tmp_path / "caisse.db")
    try:
        store.upsert_products([Product("3292590049201", "Croc citron", 250, 550, "Confiserie")])
        printer = printer_for(sim)
        svc = RegisterService(store, printer, register="1", cashier="Léa")
        sim.set_state("paper_out")
        svc.scan("3292590049201")
        feedback = svc.pay_cash("5")
        assert feedback.level == "error"
        assert feedback.message.startswith("Ticket n° 1 enregistré : 2,50 € — rendu 2,50 €. "
                                           f"Ticket non imprimé (Plus de papier (127.0.0.1:{sim.port})")
        assert store.ticket_count("1") == 1  # the sale is stored
        assert svc.print_pending and svc.last_sale.total == 250
        sim.wait_connections(2)
        assert sim.pulses == [(2, 100, 500)]  # the drawer opened anyway: the change is due
        sim.set_state("ok")
        assert svc.retry_print().message == "Ticket imprimé"
        assert "Croc citron" in decoded_text(decode(sim.wait_job(2)))
        assert sim.jobs[0] == bytes.fromhex("1b 70 00 32 fa") and len(sim.pulses) == 1
    finally:
        store.close()


def test_status_over_a_serial_pseudo_terminal():
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    received = bytearray()
    answers = {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x7E}  # drawer pin 3 low, paper out

    def printer_side():
        while len(received) < len(STATUS):
            chunk = os.read(master, 64)
            received.extend(chunk)
            for k in range(0, len(chunk) - 2):
                if chunk[k:k + 2] == b"\x10\x04":
                    os.write(master, bytes([answers[chunk[k + 2]]]))

    t = threading.Thread(target=printer_side, daemon=True)
    t.start()
    try:
        printer = make_printer({"backend": "escpos", "uri": f"serial://{os.ttyname(slave)}?baudrate=9600"})
        with pytest.raises(PaperOut):
            printer.print_job([Text("Café")])
        t.join(2)
        assert bytes(received) == STATUS
    finally:
        os.close(master)
        os.close(slave)


def test_parse_status_refuses_bytes_that_are_not_status():
    with pytest.raises(ValueError, match="réponse d'état illisible : 41 12 12 12"):
        parse_status(b"A\x12\x12\x12")
