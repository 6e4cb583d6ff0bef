"""Receipt printer: one small interface, a real ESC/POS backend and a simulator.

Glossary: ticket = receipt ticket, tiroir-caisse = cash drawer, imprimante = printer,
massicot = cutter, fin de papier = paper out, capot = cover.

    printer = make_printer({"backend": "sim", "out_dir": "var/tickets", "profile": "generic-58"})
    sent = printer.print_job(blocks)     # raises PrinterError; the job is kept for retry()
    printer.open_drawer()
    printer.drawer_open()                # True/False where the printer reports the drawer sensor
"""
from __future__ import annotations

from ..uri import DeviceError
from .escpos_encode import drawer_pulse, encode_job
from .profiles import Profile, get_profile
from .status import PrinterStatus


class PrinterError(DeviceError):
    """A device problem in one plain French sentence, ready to show to a student or teacher.

    `kind` lets the caller react: "offline", "paper_out", "cover_open", "error", "config", "job".
    """

    def __init__(self, message: str, kind: str = "offline"):
        super().__init__(message, kind)


class PrinterOffline(PrinterError):
    def __init__(self, message: str):
        super().__init__(message, "offline")


class PaperOut(PrinterError):
    def __init__(self, message: str):
        super().__init__(message, "paper_out")


class CoverOpen(PrinterError):
    def __init__(self, message: str):
        super().__init__(message, "cover_open")


class PrinterFault(PrinterError):
    """Autocutter jam, head too hot, or an error only switching the printer off and on clears."""

    def __init__(self, message: str):
        super().__init__(message, "error")


class PaperNearEnd(PrinterError):
    """Not a fault: the job prints. Kept in `printer.warning` so the screen can say it."""

    def __init__(self, message: str):
        super().__init__(message, "paper_near_end")


def status_fault(status: PrinterStatus, where: str) -> PrinterError | None:
    """The error a status means, most useful first (an open cover also reads as paper out)."""
    if status.cover_open:
        return CoverOpen(f"Capot de l'imprimante ouvert ({where}) : refermez-le puis relancez l'impression.")
    if status.paper_out:
        return PaperOut(f"Plus de papier ({where}) : remettez un rouleau puis relancez l'impression.")
    if status.error:
        return PrinterFault(f"Imprimante en erreur ({where}) : vérifiez le massicot et le papier, "
                            "éteignez et rallumez-la, puis relancez l'impression.")
    if not status.online:
        return PrinterOffline(f"Imprimante hors ligne ({where}) : vérifiez qu'elle est allumée et "
                              "prête, puis relancez l'impression.")
    return None


def near_end_warning(status: PrinterStatus, where: str) -> PaperNearEnd | None:
    if status.paper_near_end and not status.paper_out:
        return PaperNearEnd(f"Rouleau presque fini ({where}) : préparez un rouleau neuf.")
    return None


class ReceiptPrinter:
    """What the register may ask of a receipt printer. Backends implement `_send(data)`, and
    `_status()` when their transport can read."""

    columns: int = 42

    def __init__(self, columns: int | None = None, drawer_pin: int = 2, pulse_on_ms: int = 100,
                 pulse_off_ms: int = 500, profile: Profile | str | None = None, logo=None,
                 drawer_open_level: str = "low"):
        self.profile = profile if isinstance(profile, Profile) else get_profile(profile)
        self.columns = columns or self.profile.columns
        self.drawer_bytes = drawer_pulse(drawer_pin, pulse_on_ms, pulse_off_ms)
        self.logo = logo  # a path or PIL image printed at the top of each receipt
        self.drawer_open_level = drawer_open_level
        self.pending: bytes | None = None  # the last job that failed, kept for retry()
        self.warning: PrinterError | None = None  # e.g. paper near end, after the last job

    def encode(self, blocks) -> bytes:
        from .blocks import Image

        if self.logo is not None:
            blocks = [Image(self.logo), *blocks]
        return encode_job(blocks, self.columns, self.profile)

    def print_job(self, blocks) -> bytes:
        """Encode and send one receipt; return the exact bytes sent."""
        try:
            data = self.encode(blocks)
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

    def status(self) -> PrinterStatus:
        """Ask the printer (DLE EOT 1..4). PrinterError when it cannot tell or does not answer."""
        return self._status()

    def drawer_open(self) -> bool:
        """The drawer sensor, read through the printer (DLE EOT 1, bit 2)."""
        return self.status().drawer_open(self.drawer_open_level)

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

    def _status(self) -> PrinterStatus:
        raise PrinterError("Cette imprimante ne sait pas donner son état (liaison sans retour).", "config")


def make_printer(cfg: dict) -> ReceiptPrinter:
    """Build the printer of a kiosk TOML `[printer]` table (see drivers/printer/config.py)."""
    from .config import parse_printer_config

    opts = parse_printer_config(cfg)
    common = {k: opts[k] for k in ("columns", "drawer_pin", "pulse_on_ms", "pulse_off_ms", "profile",
                                   "logo", "drawer_open_level")}
    if opts["backend"] == "sim":
        from .simulator import SimulatedPrinter

        return SimulatedPrinter(opts["out_dir"], fail_with=opts["fail_with"], **common)
    from .escpos_backend import EscposPrinter

    return EscposPrinter(opts["target"], timeout=opts["timeout"], status_check=opts["status_check"],
                         **common)


__all__ = ["PrinterError", "PrinterOffline", "PaperOut", "CoverOpen", "PrinterFault", "PaperNearEnd",
           "ReceiptPrinter", "make_printer", "status_fault"]
