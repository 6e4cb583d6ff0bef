#!/usr/bin/env bash
# Sets up everything Comptoir needs on Debian/Ubuntu: the Debian packages (installed when run as
# root, otherwise the exact apt-get line to run is printed), then a virtual environment with the
# Python packages. Re-running it is cheap: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# libzbar0: barcode decoding (pyzbar) · xvfb, xauth: virtual screen · xdotool: real X key events
# libgl1-mesa-dri, libgl1, libegl1: OpenGL for Kivy · chromium: back-office page tests
# libmtdev1: touch input for Kivy · python3-venv: the virtual environment · imagemagick: screenshots
# libusb-1.0-0: USB receipt printers (pyusb)
DEBS="libzbar0 xvfb xauth xdotool libgl1-mesa-dri libgl1 libegl1 libmtdev1 chromium x11-utils imagemagick libusb-1.0-0"
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c "import ensurepip" 2>/dev/null; then
    DEBS="$DEBS python3-venv"
fi

missing=""
for p in $DEBS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "== Installation des paquets Debian :$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends $missing
    else
        echo "Il manque des paquets Debian. Lancez :"
        echo "    sudo apt-get install -y$missing"
        echo "puis relancez la commande."
        exit 1
    fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "== Création de l'environnement virtuel .venv"
    "$PY" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "== Installation des paquets Python"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[test]'
    touch "$stamp"
fi

# Bytecode of our own packages, as a regular install would have it: with PYTHONDONTWRITEBYTECODE set
# (as on these machines) every start would otherwise compile them again. Up-to-date files are skipped.
.venv/bin/python -m compileall -q -j 0 commerce drivers kiosk sync backoffice comptoir bench
