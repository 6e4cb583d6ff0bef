"""Real printers: our ESC/POS bytes sent through a python-escpos transport (network, serial,
USB, device file). python-escpos is used for transport only; the protocol is escpos_encode."""
from __future__ import annotations

import errno
import socket

from . import PrinterError, ReceiptPrinter
from .config import Target

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
    def __init__(self, target: Target, timeout: int = 5, **kwargs):
        super().__init__(**kwargs)
        self.target = target
        self.timeout = timeout

    def _device(self):
        from escpos import printer as p  # imported late: loads its capability profiles

        t = self.target
        if t.kind == "tcp":
            return p.Network(t.host, t.port, timeout=self.timeout)
        if t.kind == "serial":
            return p.Serial(t.device, baudrate=t.baudrate, timeout=self.timeout)
        if t.kind == "file":
            return p.File(t.device)
        if not p.Usb.is_usable():  # python-escpos without pyusb
            raise PrinterError("Imprimante USB inutilisable : le module pyusb n'est pas installé sur "
                               "ce poste ; branchez-la en réseau ou installez pyusb.", "config")
        return p.Usb(t.vendor, t.product, timeout=self.timeout * 1000)

    def _send(self, data: bytes) -> None:
        where = self.target.label()
        device = self._device()
        try:
            try:
                device.open()
            except Exception as e:  # DeviceNotFoundError, with the OS error as its context
                raise PrinterError(f"Imprimante injoignable à {where} : {_reason(e)}", "offline") from e
            try:
                device._raw(data)
                if hasattr(device, "flush"):
                    device.flush()
            except OSError as e:
                raise PrinterError(f"Impression interrompue sur {where} : {_reason(e)}", "offline") from e
        finally:
            try:
                device.close()
            except Exception:  # closing a half-open device must not hide the real error
                pass
