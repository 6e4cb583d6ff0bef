"""Printer profiles: python-escpos capabilities plus ours, and the [printer] profile key."""
import pytest
from drivers.printer import PrinterError, make_printer
from drivers.printer.profiles import get_profile, profiles


@pytest.mark.parametrize("name, values", [
    # name: columns A, columns B, dots, pinned page, ESC t n, raster, native QR, GS k, cutter
    ("generic-80", (48, 64, 576, "cp858", 19, True, True, True, True)),
    ("generic-58", (32, 42, 384, "cp858", 19, True, False, False, False)),
    ("basic-437", (42, 56, 504, "cp437", 0, True, False, False, False)),
    ("default", (42, 56, 512, "cp858", 19, True, True, True, True)),
])
def test_profile_capabilities(name, values):
    p = get_profile(name)
    assert (p.columns, p.columns_b, p.dots, p.codepage, p.codepage_number, p.raster, p.native_qr,
            p.native_barcodes, p.cutter) == values
    assert p.select_codepage() == b"\x1bt" + bytes([values[4]])
    assert p.codepage in p.codepages


def test_profiles_come_from_python_escpos_capabilities():
    assert {p.escpos_profile for p in profiles().values()} == {"TM-T20II", "POS-5890", "simple", "default"}
    assert get_profile("basic-437").codepages == ("cp437",)  # no page with € at all
    assert "cp858" in get_profile("generic-58").codepages


def test_columns_default_from_the_profile(tmp_path):
    assert make_printer({"backend": "sim", "out_dir": str(tmp_path), "profile": "generic-58"}).columns == 32
    assert make_printer({"backend": "sim", "out_dir": str(tmp_path), "profile": "generic-80"}).columns == 48
    p = make_printer({"backend": "sim", "out_dir": str(tmp_path), "profile": "generic-80", "columns": 42})
    assert p.columns == 42 and p.profile.name == "generic-80"
    assert make_printer({"backend": "sim", "out_dir": str(tmp_path)}).columns == 42  # as before


@pytest.mark.parametrize("cfg, named", [
    ({"profile": "tm-88"}, "profil « tm-88 » inconnu ; profils : default, generic-80, generic-58, basic-437"),
    ({"profile": "generic-58", "columns": 42}, "columns = 42 refusé : le profil « generic-58 » imprime au plus 32"),
    ({"logo": "/nulle/part.png"}, "logo = « /nulle/part.png » introuvable"),
    ({"status_check": "oui"}, "status_check = « oui » doit valoir true ou false"),
    ({"drawer_open_level": "bas"}, "drawer_open_level = « bas » inconnu"),
])
def test_bad_profile_settings(tmp_path, cfg, named):
    with pytest.raises(PrinterError) as err:
        make_printer({"backend": "sim", "out_dir": str(tmp_path), **cfg})
    assert named in str(err.value) and err.value.kind == "config"
