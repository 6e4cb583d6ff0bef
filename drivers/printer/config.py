"""The kiosk TOML `[printer]` table, checked once, with French messages naming the bad part.

    [printer]
    backend = "escpos"                 # "escpos" (real printer) or "sim" (simulator)
    uri = "tcp://192.168.1.50:9100"    # or serial:///dev/ttyUSB0?baudrate=9600,
                                       #    usb://04b8:0202, file:///dev/usb/lp0
    columns = 42                       # 32, 42 or 48
    drawer_pin = 2                     # 2 or 5
    pulse_on_ms = 100                  # 2..510
    pulse_off_ms = 500                 # 2..510
    timeout = 5                        # seconds (tcp/serial)
    # backend = "sim": out_dir = "var/printer", fail_with = "paper_out" | "offline" (tests, demo)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from . import PrinterError

KEYS = {"backend", "uri", "out_dir", "fail_with", "columns", "drawer_pin", "pulse_on_ms",
        "pulse_off_ms", "timeout"}
BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
FAILURES = ("paper_out", "offline")


@dataclass(frozen=True)
class Target:
    """Where the bytes go: kind is tcp | serial | usb | file."""

    kind: str
    uri: str
    host: str = ""
    port: int = 9100
    device: str = ""
    baudrate: int = 9600
    vendor: int = 0
    product: int = 0

    def label(self) -> str:
        if self.kind == "tcp":
            return f"{self.host}:{self.port}"
        if self.kind == "usb":
            return f"USB {self.vendor:04x}:{self.product:04x}"
        return self.device


def _bad(message: str) -> PrinterError:
    return PrinterError(f"Configuration de l'imprimante : {message}", "config")


def parse_uri(uri: str) -> Target:
    if not isinstance(uri, str) or "://" not in uri:
        raise _bad(f"uri « {uri} » illisible : attendu par exemple tcp://192.168.1.50:9100")
    scheme, rest = uri.split("://", 1)
    if scheme == "tcp":
        m = re.fullmatch(r"([^:/?#]+)(?::([^/?#]*))?/?", rest)
        if not m:
            raise _bad(f"adresse « {rest} » invalide dans l'uri « {uri} » : attendu hôte:port")
        port = m.group(2) or "9100"
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise _bad(f"port « {port} » invalide dans l'uri « {uri} » : un nombre entre 1 et 65535")
        return Target("tcp", uri, host=m.group(1), port=int(port))
    if scheme == "usb":
        m = re.fullmatch(r"([0-9a-fA-F]{4}):([0-9a-fA-F]{4})", rest)
        if not m:
            raise _bad(f"identifiant USB « {rest} » invalide dans l'uri « {uri} » : "
                       "attendu vendeur:produit en hexadécimal, par exemple 04b8:0202")
        return Target("usb", uri, vendor=int(m.group(1), 16), product=int(m.group(2), 16))
    if scheme in ("serial", "file"):
        parts = urlsplit(uri)
        if parts.netloc or not parts.path.startswith("/"):
            raise _bad(f"chemin « {rest} » invalide dans l'uri « {uri} » : attendu un chemin absolu "
                       f"après trois barres, par exemple {scheme}:///dev/"
                       + ("ttyUSB0" if scheme == "serial" else "usb/lp0"))
        if scheme == "file":
            if parts.query:
                raise _bad(f"paramètre « {parts.query} » inattendu dans l'uri « {uri} »")
            return Target("file", uri, device=parts.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        unknown = set(query) - {"baudrate"}
        if unknown:
            raise _bad(f"paramètre « {sorted(unknown)[0]} » inconnu dans l'uri « {uri} » (seul baudrate est accepté)")
        baud = query.get("baudrate", ["9600"])[-1]
        if not baud.isdigit() or int(baud) not in BAUDRATES:
            raise _bad(f"vitesse « {baud} » invalide dans l'uri « {uri} » : "
                       + ", ".join(map(str, BAUDRATES)))
        return Target("serial", uri, device=parts.path, baudrate=int(baud))
    raise _bad(f"type de connexion « {scheme} » inconnu dans l'uri « {uri} » : "
               "utilisez tcp://, serial://, usb:// ou file://")


def _int(cfg: dict, key: str, default: int, allowed=None, lo=None, hi=None) -> int:
    value = cfg.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"{key} = « {value} » doit être un nombre entier")
    if allowed and value not in allowed:
        raise _bad(f"{key} = {value} refusé : valeurs possibles " + ", ".join(map(str, allowed)))
    if lo is not None and not lo <= value <= hi:
        raise _bad(f"{key} = {value} refusé : entre {lo} et {hi}")
    return value


def parse_printer_config(cfg: dict) -> dict:
    unknown = sorted(set(cfg) - KEYS)
    if unknown:
        raise _bad(f"clé « {unknown[0]} » inconnue dans [printer] (clés : {', '.join(sorted(KEYS))})")
    opts = {
        "backend": cfg.get("backend"),
        "columns": _int(cfg, "columns", 42, allowed=(32, 42, 48)),
        "drawer_pin": _int(cfg, "drawer_pin", 2, allowed=(2, 5)),
        "pulse_on_ms": _int(cfg, "pulse_on_ms", 100, lo=2, hi=510),
        "pulse_off_ms": _int(cfg, "pulse_off_ms", 500, lo=2, hi=510),
        "timeout": _int(cfg, "timeout", 5, lo=1, hi=120),
        "out_dir": cfg.get("out_dir"), "fail_with": cfg.get("fail_with"), "target": None,
    }
    if opts["backend"] == "sim":
        if not isinstance(opts["out_dir"], str) or not opts["out_dir"]:
            raise _bad("backend = \"sim\" demande out_dir, le dossier où ranger les tickets simulés")
        if opts["fail_with"] not in (None, *FAILURES):
            raise _bad(f"fail_with = « {opts['fail_with']} » inconnu : paper_out ou offline")
    elif opts["backend"] == "escpos":
        if "uri" not in cfg:
            raise _bad("backend = \"escpos\" demande uri, par exemple tcp://192.168.1.50:9100")
        opts["target"] = parse_uri(cfg["uri"])
    else:
        raise _bad(f"backend = « {opts['backend']} » inconnu : \"escpos\" ou \"sim\"")
    return opts
