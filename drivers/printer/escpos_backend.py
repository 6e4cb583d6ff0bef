"""Real printers: our ESC/POS bytes sent through a python-escpos transport (network, serial,
USB, device file). python-escpos is used for transport only; the protocol is escpos_encode."""
from __future__ import annotations

import errno
import socket
import time
from contextlib import contextmanager

from ..uri import DeviceUri
from . import PrinterError, PrinterOffline, ReceiptPrinter, near_end_warning, status_fault
from .status import QUERIES, PrinterStatus, is_status_byte, parse_status

# errno -> what a student can check
_REASONS = {
    errno.ECONNREFUSED: "connexion refusée (imprimante éteinte ou mauvais port ?)",
    errno.EHOSTUNREACH: "machine injoignable (câble réseau, adresse IP ?)",
    errno.ENETUNREACH: "réseau injoignable (câble réseau, adresse IP ?)",
    errno.ETIMEDOUT: "pas de réponse (imprimante éteinte ou adresse IP fausse ?)",
    errno.ECONNRESET: "connexion coupée pendant l'impression",
    errno.EPIPE: "connexion coupée pendant l'impression",
    errno.ENOENT: "périphérique absent (câble débranché ?)",
    errno.ENODEV: "périphérique absent (câble débranché ?)",
    errno.EACCES: "accès refusé (droits du compte sur le périphérique : groupes lp ou dialout)",
    errno.EBUSY: "périphérique occupé par un autre programme",
    errno.EIO: "erreur d'entrée-sortie (câble, alimentation ?)",
}


def _reason(exc: BaseException | None) -> str:
    """The root OSError behind python-escpos' DeviceNotFoundError, in French."""
    while exc is not None and not isinstance(exc, OSError):
        exc = exc.__context__
    if exc is None:
        return "périphérique introuvable (câble, alimentation ?)"
    if isinstance(exc, socket.gaierror):
        return "adresse inconnue (nom de machine ou adresse IP fausse ?)"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return _REASONS[errno.ETIMEDOUT]
    code = exc.errno if exc.errno is not None else getattr(exc.__context__, "errno", None)
    return _REASONS.get(code, f"erreur système « {exc.strerror or exc} »")


class EscposPrinter(ReceiptPrinter):
    """Our bytes through python-escpos' transport for the URI. Where the transport can read
    (tcp, serial, usb), each job starts with DLE EOT 1..4: a fault raises its typed error before
    any byte of the job is sent, and the job stays in `pending` for retry()."""

    READABLE = ("tcp", "serial", "usb")

    def __init__(self, target: DeviceUri, timeout: int = 5, status_check: bool = True,
                 status_timeout: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.target = target
        self.timeout = timeout
        self.status_check = status_check
        self.status_timeout = min(status_timeout, timeout)

    @property
    def can_read(self) -> bool:
        return self.target.scheme in self.READABLE

    def _device(self):
        from escpos import printer as p  # imported late: loads its capability profiles

        t = self.target
        if t.scheme == "tcp":
            return p.Network(t.host, t.port, timeout=self.timeout)
        if t.scheme == "serial":
            return p.Serial(t.path, baudrate=int(t.params.get("baudrate", 9600)), timeout=self.timeout)
        if t.scheme == "file":
            return p.File(t.path)
        if not p.Usb.is_usable():  # python-escpos without pyusb
            raise PrinterError("Imprimante USB inutilisable : le module pyusb n'est pas installé sur "
                               "ce poste ; branchez-la en réseau ou installez pyusb.", "config")
        return p.Usb(t.vendor, t.product, timeout=self.timeout * 1000)

    @contextmanager
    def _session(self):
        where = self.target.label()
        device = self._device()
        try:
            try:
                device.open()
            except Exception as e:  # DeviceNotFoundError, with the OS error as its context
                raise PrinterOffline(f"Imprimante injoignable à {where} : {_reason(e)}") from e
            try:
                yield device
                if hasattr(device, "flush"):
                    device.flush()
            except OSError as e:
                raise PrinterOffline(f"Impression interrompue sur {where} : {_reason(e)}") from e
        finally:
            try:
                device.close()
            except Exception:  # closing a half-open device must not hide the real error
                pass

    def _read_byte(self, device, deadline: float) -> int | None:
        """One status byte, or None when the printer stays silent until `deadline`."""
        while (left := deadline - time.monotonic()) > 0:
            link = device.device
            if self.target.scheme == "tcp":
                link.settimeout(left)
                try:
                    data = link.recv(1)
                except (socket.timeout, TimeoutError):
                    return None
                if not data:  # the printer closed the connection
                    return None
            elif self.target.scheme == "serial":
                link.timeout = left
                data = link.read(1)
            else:
                data = device._read()[:1]
            if data and is_status_byte(data[0]):
                return data[0]
            # anything else (an automatic status from an earlier session): read on
        return None

    def _query(self, device) -> PrinterStatus:
        raw = bytearray()
        for query in QUERIES:
            device._raw(query)
            b = self._read_byte(device, time.monotonic() + self.status_timeout)
            if b is None:
                raise PrinterOffline(
                    f"L'imprimante à {self.target.label()} ne répond pas (éteinte, hors ligne ou "
                    "occupée ?) : vérifiez-la puis relancez l'impression.")
            raw.append(b)
        if self.target.scheme == "tcp":
            device.device.settimeout(self.timeout)
        return parse_status(bytes(raw))

    def _send(self, data: bytes) -> None:
        where = self.target.label()
        with self._session() as device:
            if self.status_check and self.can_read:
                status = self._query(device)
                fault = status_fault(status, where)
                if fault is not None:
                    raise fault
                self.warning = near_end_warning(status, where)
            device._raw(data)

    def _pulse(self, data: bytes) -> None:
        with self._session() as device:  # no status first: the change is due now, paper or not
            device._raw(data)

    def _status(self) -> PrinterStatus:
        if not self.can_read:
            raise PrinterError(f"L'imprimante à {self.target.label()} est branchée sans retour "
                               f"({self.target.scheme}://) : son état ne peut pas être lu.", "config")
        with self._session() as device:
            return self._query(device)
