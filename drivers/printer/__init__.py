"""Receipt printer: one small interface, a real ESC/POS backend and a simulator.

Glossary: ticket = receipt ticket, tiroir-caisse = cash drawer, imprimante = printer.

    printer = make_printer({"backend": "sim", "out_dir": "var/tickets", "columns": 42})
    sent = printer.print_job(blocks)     # raises PrinterError; the job is kept for retry()
    printer.open_drawer()
"""
from __future__ import annotations

from .escpos_encode import drawer_pulse, encode_job


class PrinterError(Exception):
    """A device problem in one plain French sentence, ready to show to a student or teacher.

    `kind` lets the caller react: "offline", "paper_out", "config", "job".
    """

    def __init__(self, message: str, kind: str = "offline"):
        super().__init__(message)
        self.kind = kind


class ReceiptPrinter:
    """What the register may ask of a receipt printer. Backends implement `_send(data)`."""

    columns: int = 42

    def __init__(self, columns: int = 42, drawer_pin: int = 2, pulse_on_ms: int = 100,
                 pulse_off_ms: int = 500):
        self.columns = columns
        self.drawer_bytes = drawer_pulse(drawer_pin, pulse_on_ms, pulse_off_ms)
        self.pending: bytes | None = None  # the last job that failed, kept for retry()

    def print_job(self, blocks) -> bytes:
        """Encode and send one receipt; return the exact bytes sent."""
        try:
            data = encode_job(blocks, self.columns)
        except ValueError as e:  # bad block content: retrying the same job cannot help
            raise PrinterError(f"Ticket impossible à imprimer : {e}", "job") from e
        return self._send_or_keep(data)

    def retry(self) -> bytes:
        """Resend the last failed job (after paper was loaded or the printer came back)."""
        if self.pending is None:
            raise PrinterError("Aucune impression en attente.", "job")
        return self._send_or_keep(self.pending)

    def open_drawer(self) -> None:
        """Pulse the cash drawer (ESC p). Never queued: a drawer opening later by surprise is worse."""
        self._pulse(self.drawer_bytes)

    def _send_or_keep(self, data: bytes) -> bytes:
        try:
            self._send(data)
        except PrinterError:
            self.pending = data
            raise
        self.pending = None
        return data

    def _pulse(self, data: bytes) -> None:
        self._send(data)

    def _send(self, data: bytes) -> None:
        raise NotImplementedError


def make_printer(cfg: dict) -> ReceiptPrinter:
    """Build the printer of a kiosk TOML `[printer]` table (see drivers/printer/config.py)."""
    from .config import parse_printer_config

    opts = parse_printer_config(cfg)
    common = {k: opts[k] for k in ("columns", "drawer_pin", "pulse_on_ms", "pulse_off_ms")}
    if opts["backend"] == "sim":
        from .simulator import SimulatedPrinter

        return SimulatedPrinter(opts["out_dir"], fail_with=opts["fail_with"], **common)
    from .escpos_backend import EscposPrinter

    return EscposPrinter(opts["target"], timeout=opts["timeout"], **common)


__all__ = ["PrinterError", "ReceiptPrinter", "make_printer"]
