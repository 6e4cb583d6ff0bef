"""The default decoder chain on every shared image set: at least the codes found when the default
was chosen (docs/decoding.md), no wrong read, and no false positive."""
import pytest

from drivers.camera import DEFAULT_CHAIN, make
from drivers.camera.measure import load_sets, score

from camera_support import DATA

# found / expected measured with zxing-fast>zbar+inv+rot (python -m drivers.camera.measure)
MIN_FOUND = {
    "pyzbar": (5, 5), "zbar-examples": (12, 12), "code128-1": (6, 6), "ean13-1": (14, 16),
    "ean13-3": (8, 8), "ean8-1": (9, 9), "qrcode-1": (8, 8), "upca-1": (5, 5), "falsepositives-1": (0, 0),
}
SETS = load_sets(DATA)


@pytest.fixture(scope="module")
def decoder():
    return make(DEFAULT_CHAIN)


def test_every_set_is_there():
    assert sorted(SETS) == sorted(MIN_FOUND)
    assert len(SETS["falsepositives-1"]) == 21


@pytest.mark.parametrize("set_name", sorted(MIN_FOUND))
def test_default_chain_accuracy(decoder, set_name):
    s = score(decoder, SETS[set_name])
    found, expected = MIN_FOUND[set_name]
    assert s.expected == expected
    assert s.found >= found, f"{set_name}: manqués {s.misses}"
    assert s.wrong == 0
    assert s.false_positives == 0


def test_default_beats_zbar_alone():
    zbar, default = make("zbar"), make(DEFAULT_CHAIN)
    for name in ("ean13-1", "code128-1"):
        assert score(default, SETS[name]).found > score(zbar, SETS[name]).found
