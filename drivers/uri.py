"""Device addresses. Every device is named by a URI, in the kiosk's TOML and on the command line:

    tcp://host:9100                          network (printer)
    serial:///dev/ttyUSB0?baudrate=9600&terminator=CR   serial port (scanner, display, scale, drawer)
    usb://04b8:0202                          USB vendor:product
    file:///dev/usb/lp0                      a device file (printer)
    camera://0  or  camera:///path/video.mp4 a camera index or a video / image file
    sim://NAME                               a simulator

A bad URI raises DeviceError with a French message that says which part is wrong.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

SCHEMES = ("tcp", "serial", "usb", "file", "camera", "sim")
BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)


class DeviceError(Exception):
    """A device problem in one plain French sentence. `kind` lets callers react (config, offline…)."""

    def __init__(self, message: str, kind: str = "offline"):
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class DeviceUri:
    scheme: str
    uri: str
    host: str = ""
    port: int = 0
    path: str = ""  # device file, video file, or simulator name
    index: int = -1  # camera index
    vendor: int = 0
    product: int = 0
    params: dict = field(default_factory=dict)

    def label(self) -> str:
        if self.scheme == "tcp":
            return f"{self.host}:{self.port}"
        if self.scheme == "usb":
            return f"USB {self.vendor:04x}:{self.product:04x}"
        if self.scheme == "camera" and self.index >= 0:
            return f"caméra {self.index}"
        return self.path


def _bad(uri: str, message: str) -> DeviceError:
    return DeviceError(f"adresse de périphérique « {uri} » : {message}", "config")


def parse_uri(uri: str, allowed: tuple[str, ...] = SCHEMES, params: tuple[str, ...] = (),
              default_port: int = 9100) -> DeviceUri:
    """Parse and check a device URI; `allowed` schemes and query `params` depend on the device."""
    if not isinstance(uri, str) or "://" not in uri:
        raise _bad(str(uri), "illisible, attendu par exemple tcp://192.168.1.50:9100 ou serial:///dev/ttyUSB0")
    scheme, rest = uri.split("://", 1)
    scheme = scheme.lower()  # TCP:// is tcp://
    uri = f"{scheme}://{rest}"
    if scheme not in allowed:
        raise _bad(uri, f"type « {scheme}:// » inconnu ou impossible ici ; possibles : "
                   + ", ".join(f"{s}://" for s in allowed))
    parts = urlsplit(uri)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(query) - set(params))
    if unknown:
        accepted = ", ".join(params) if params else "aucun"
        raise _bad(uri, f"paramètre « {unknown[0]} » inconnu (acceptés : {accepted})")
    if scheme == "tcp":
        m = re.fullmatch(r"([^:/?#]+)(?::([^/?#]*))?/?(\?.*)?", rest)
        if not m:
            if parts.path.strip("/"):
                raise _bad(uri, f"chemin « {parts.path} » inattendu : une imprimante réseau s'écrit "
                           "tcp://hôte:port, sans rien après")
            raise _bad(uri, "l'hôte manque, attendu hôte:port (tcp://192.168.1.50:9100)")
        port = m.group(2) if m.group(2) is not None else str(default_port)
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise _bad(uri, f"port « {port} » invalide : un nombre entre 1 et 65535")
        return DeviceUri("tcp", uri, host=m.group(1), port=int(port), params=query)
    if scheme == "usb":
        m = re.fullmatch(r"([0-9a-fA-F]{4}):([0-9a-fA-F]{4})(\?.*)?", rest)
        if not m:
            raise _bad(uri, f"identifiant USB « {rest.split('?')[0]} » invalide : attendu vendeur:produit "
                       "en hexadécimal, par exemple 04b8:0202")
        return DeviceUri("usb", uri, vendor=int(m.group(1), 16), product=int(m.group(2), 16), params=query)
    if scheme == "sim":
        name = parts.netloc + parts.path
        # A plain name: the simulator's files go under var/sim/NAME and must stay there.
        if not re.fullmatch(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]*", name or "") or ".." in name:
            raise _bad(uri, "nom de simulateur manquant ou invalide (lettres, chiffres, - et _ ; "
                       "pas de / ni de ..), par exemple sim://imprimante")
        return DeviceUri("sim", uri, path=name, params=query)
    if scheme == "camera" and parts.netloc:
        if not parts.netloc.isdigit() or parts.path not in ("", "/"):
            raise _bad(uri, f"caméra « {parts.netloc} » invalide : un numéro (camera://0) "
                       "ou un chemin de fichier (camera:///chemin/video.mp4)")
        return DeviceUri("camera", uri, index=int(parts.netloc), params=query)
    if parts.netloc or not parts.path.startswith("/"):
        raise _bad(uri, f"chemin « {rest.split('?')[0]} » invalide : attendu un chemin absolu après trois "
                   f"barres, par exemple {scheme}:///dev/ttyUSB0")
    if scheme == "serial" and "baudrate" in query:
        baud = query["baudrate"]
        if not baud.isdigit() or int(baud) not in BAUDRATES:
            raise _bad(uri, f"vitesse « {baud} » invalide : " + ", ".join(map(str, BAUDRATES)))
    return DeviceUri(scheme, uri, path=parts.path, params=query)
