"""What `comptoir devices …` does with a receipt printer, for the teacher setting up a kiosk.

    print_test("tcp://192.168.1.50:9100", profile="generic-80") -> bytes sent
    open_drawer("serial:///dev/ttyUSB0?baudrate=9600", pin=5)
    probe("tcp://192.168.1.50:9100") -> {"answers": True, "online": True, "paper_out": False, …}

URIs: tcp://, serial://, usb://, file:// (drivers/uri.py), and sim://NAME, a simulated printer
that writes each job (NNNN.bin and a NNNN.png preview) into var/sim/NAME/.
Every failure raises PrinterError with a French message.
"""
from __future__ import annotations

from pathlib import Path

from ..uri import DeviceError, parse_uri
from . import PrinterError, PrinterOffline, ReceiptPrinter, status_fault
from .blocks import Barcode, Cut, Image, QRCode, Text
from .config import SHOP_LOGO
from .profiles import Profile, get_profile

SIM_ROOT = Path("var/sim")
TEST_EAN13 = "3017620422003"
TEST_CODE128 = "COMPTOIR-TEST"
TEST_QR = "Comptoir : Café 12,50 €"


def _printer(uri: str, profile: str | None = None, sim_root: Path | None = None, **kwargs) -> ReceiptPrinter:
    try:
        target = parse_uri(uri, allowed=("tcp", "serial", "usb", "file", "sim"),
                           params=("baudrate",) if uri.startswith("serial:") else ())
        prof = get_profile(profile)
    except DeviceError as e:
        raise PrinterError(str(e)[:1].upper() + str(e)[1:], "config") from e
    except ValueError as e:
        raise PrinterError(f"Imprimante : {e}", "config") from e
    if target.scheme == "sim":
        from .simulator import SimulatedPrinter

        return SimulatedPrinter((sim_root or SIM_ROOT) / target.path, profile=prof, **kwargs)
    from .escpos_backend import EscposPrinter

    return EscposPrinter(target, timeout=3, profile=prof, **kwargs)


def _left_right(left: str, right: str, width: int) -> str:
    return left[:max(0, width - len(right) - 1)].ljust(width - len(right)) + right


def build_test_receipt(profile: Profile, columns: int | None = None) -> list:
    """Accents, €, a columns ruler, right-aligned prices, double width, EAN-13 and Code128, QR, logo."""
    w = columns or profile.columns
    tens = "".join(str(i // 10 % 10) if i % 10 == 0 else " " for i in range(1, w + 1))
    ones = "".join(str(i % 10) for i in range(1, w + 1))
    return [
        Image(SHOP_LOGO),
        Text("TEST D'IMPRESSION", "center", bold=True, double=True),
        Text(f"Profil : {profile.name}", "center"),
        Text(f"{w} colonnes, page {profile.codepage.upper()}", "center"),
        Text("-" * w),
        Text(tens), Text(ones),
        Text("-" * w),
        Text("Accents : éèêëàâçùûôîï"),
        Text("Majuscules : É È À Ç Ô"),
        Text("Euro : 12,50 €   Tiret : ─"),
        Text(_left_right("Café moulu 250 g", "12,50", w)),
        Text(_left_right("Crème brûlée à la pistache", "3,20", w)),
        Text(_left_right("TOTAL", "15,70 €", w // 2), bold=True, double=True),
        Text("-" * w),
        Text("EAN-13", "center"),
        Barcode("EAN13", TEST_EAN13),
        Text("Code 128", "center"),
        Barcode("CODE128", TEST_CODE128),
        Text("QR code" + (" (natif)" if profile.native_qr else " (image)"), "center"),
        QRCode(TEST_QR, module=6 if profile.dots >= 512 else 4),
        Text("Fin du test" + ("" if profile.cutter else " : déchirez le papier"), "center"),
        Cut(),
    ]


def print_test(uri: str, profile: str | None = None, sim_root: Path | None = None) -> bytes:
    """Print the test receipt; return the exact bytes sent."""
    printer = _printer(uri, profile, sim_root)
    return printer.print_job(build_test_receipt(printer.profile, printer.columns))


def open_drawer(uri: str, pin: int = 2, sim_root: Path | None = None) -> None:
    if pin not in (2, 5):
        raise PrinterError(f"Broche du tiroir « {pin} » invalide : 2 ou 5.", "config")
    printer = _printer(uri, sim_root=sim_root, drawer_pin=pin)
    if getattr(printer, "target", None) is not None and printer.target.scheme in ("tcp", "serial", "usb"):
        # Ask first: a printer that is offline may keep the pulse and open the drawer later, by surprise.
        status = printer.status()  # PrinterError when it does not answer
        if not status.online and not status.paper_out:  # no paper still opens the drawer
            raise PrinterOffline(f"Imprimante hors ligne ({printer.target.label()}) : tiroir non ouvert.")
    printer.open_drawer()


def probe(uri: str, sim_root: Path | None = None) -> dict:
    """What `devices list` shows for a printer: does it answer, and its status flags.
    A printer that does not answer is a result (answers False, with why), not an exception;
    a bad URI raises PrinterError."""
    printer = _printer(uri, sim_root=sim_root)
    result = {"uri": uri, "profile": printer.profile.name, "answers": None, "online": None,
              "cover_open": None, "paper_near_end": None, "paper_out": None, "drawer_open": None,
              "message": ""}
    scheme = uri.split("://", 1)[0]
    if scheme == "file":
        result["message"] = "Liaison sans retour : l'état de l'imprimante ne peut pas être lu."
        return result
    try:
        status = printer.status()
    except PrinterError as e:
        result.update(answers=False, message=str(e))
        return result
    result.update(answers=True, online=status.online, cover_open=status.cover_open,
                  paper_near_end=status.paper_near_end, paper_out=status.paper_out,
                  drawer_open=status.drawer_open(printer.drawer_open_level))
    fault = status_fault(status, uri)
    result["message"] = str(fault) if fault else (
        "Rouleau presque fini." if status.paper_near_end else "Imprimante prête.")
    return result
