"""One TOML file per kiosk: register number, devices, back-office URL. Secrets come from the env."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

TOKEN_ENV = "COMPTOIR_KIOSK_TOKEN"


class ConfigError(Exception):
    pass


@dataclass
class KioskConfig:
    register: str = "1"
    device: str = "caisse-1"
    cashier: str = "Élève"
    database: str = "var/kiosk-1.db"
    backoffice_url: str = "http://127.0.0.1:8000"
    token: str = ""
    printer: dict = field(default_factory=lambda: {"backend": "sim", "out_dir": "var/receipts"})
    shop: dict = field(default_factory=dict)
    scanner: dict = field(default_factory=dict)  # suffix, layout, dedupe_s, uri (serial/camera)
    display: dict = field(default_factory=dict)  # uri of a pole display
    drawer: dict = field(default_factory=dict)  # a drawer with its own serial interface
    scale: dict = field(default_factory=dict)  # uri of a Mettler Toledo 8217 scale (drivers.scale)
    source: str = ""


def load(path: str | Path) -> KioskConfig:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"fichier de configuration {p} introuvable") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"fichier de configuration {p} illisible : {e}") from None
    k = data.get("kiosk", {})
    base = p.parent
    cfg = KioskConfig(
        register=str(k.get("register", "1")), device=str(k.get("device", "caisse-1")),
        cashier=str(k.get("cashier", "Élève")),
        database=str(base / k.get("database", "kiosk.db")),
        backoffice_url=str(data.get("backoffice", {}).get("url", "http://127.0.0.1:8000")),
        token=os.environ.get(TOKEN_ENV, ""), printer=dict(data.get("printer", {"backend": "sim"})),
        shop=dict(data.get("shop", {})), scanner=dict(data.get("scanner", {})),
        display=dict(data.get("display", {})), drawer=dict(data.get("drawer", {})),
        scale=dict(data.get("scale", {})), source=str(p))
    if "out_dir" in cfg.printer:  # relative paths are relative to the config file
        cfg.printer["out_dir"] = str(base / cfg.printer["out_dir"])
    return cfg
