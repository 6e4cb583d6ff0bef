"""The kiosk TOML `[printer]` table, checked once, with French messages naming the bad part.

    [printer]
    backend = "escpos"                 # "escpos" (real printer) or "sim" (simulator)
    uri = "tcp://192.168.1.50:9100"    # or serial:///dev/ttyUSB0?baudrate=9600,
                                       #    usb://04b8:0202, file:///dev/usb/lp0 (see drivers/uri.py)
    profile = "generic-80"             # generic-80 | generic-58 | basic-437 | default (profiles.py)
    columns = 48                       # 32, 42 or 48; default: the profile's Font A columns
    logo = "drivers/printer/logo.png"  # optional picture printed at the top of each receipt
    drawer_pin = 2                     # 2 or 5
    pulse_on_ms = 100                  # 2..510
    pulse_off_ms = 500                 # 2..510
    drawer_open_level = "low"          # pin 3 level of an open drawer: "low" or "high"
    status_check = true                # ask DLE EOT before each job (tcp/serial/usb)
    timeout = 5                        # seconds (tcp/serial)
    # backend = "sim": out_dir = "var/printer", fail_with = "paper_out" | "offline" (tests, demo)
"""
from __future__ import annotations

import os

from ..uri import DeviceError, DeviceUri, parse_uri as parse_device_uri
from . import PrinterError
from .profiles import get_profile
from .status import DRAWER_LEVELS

KEYS = {"backend", "uri", "out_dir", "fail_with", "columns", "drawer_pin", "pulse_on_ms",
        "pulse_off_ms", "timeout", "profile", "logo", "status_check", "drawer_open_level"}
FAILURES = ("paper_out", "offline")
PRINTER_SCHEMES = ("tcp", "serial", "usb", "file")
SHOP_LOGO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "logo.png")


def _bad(message: str) -> PrinterError:
    return PrinterError(f"Configuration de l'imprimante : {message}", "config")


def parse_uri(uri: str) -> DeviceUri:
    """A printer address (drivers/uri.py), or PrinterError(kind="config") naming the bad part."""
    params = ("baudrate",) if isinstance(uri, str) and uri.startswith("serial:") else ()
    try:
        return parse_device_uri(uri, allowed=PRINTER_SCHEMES, params=params)
    except DeviceError as e:
        raise _bad(str(e)) from e


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
    try:
        profile = get_profile(cfg.get("profile"))
    except ValueError as e:
        raise _bad(str(e)) from e
    columns = _int(cfg, "columns", profile.columns, allowed=(32, 42, 48))
    if "profile" in cfg and columns > profile.columns:
        raise _bad(f"columns = {columns} refusé : le profil « {profile.name} » imprime au plus "
                   f"{profile.columns} colonnes")
    status_check = cfg.get("status_check", True)
    if not isinstance(status_check, bool):
        raise _bad(f"status_check = « {status_check} » doit valoir true ou false")
    level = cfg.get("drawer_open_level", "low")
    if level not in DRAWER_LEVELS:
        raise _bad(f"drawer_open_level = « {level} » inconnu : \"low\" ou \"high\"")
    logo = cfg.get("logo")
    if logo is not None:
        if not isinstance(logo, str) or not os.path.isfile(logo):
            raise _bad(f"logo = « {logo} » introuvable : indiquez le chemin d'une image PNG")
        if not profile.raster:
            raise _bad(f"logo impossible : le profil « {profile.name} » n'imprime pas d'image")
    opts = {
        "backend": cfg.get("backend"),
        "profile": profile, "columns": columns, "logo": logo,
        "drawer_pin": _int(cfg, "drawer_pin", 2, allowed=(2, 5)),
        "pulse_on_ms": _int(cfg, "pulse_on_ms", 100, lo=2, hi=510),
        "pulse_off_ms": _int(cfg, "pulse_off_ms", 500, lo=2, hi=510),
        "drawer_open_level": level, "status_check": status_check,
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
