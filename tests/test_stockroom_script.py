"""Which window a headless script plays on: the first action only the stockroom knows picks it."""
from __future__ import annotations

import pytest

from comptoir.stockroom_driver import is_stockroom_script


@pytest.mark.parametrize("text, stockroom", [
    ("receive PO-1001\n", True),
    ("# a comment\nlogin 0400000000015\n! validate\n", True),  # refused on purpose: still the stockroom's
    ("home\n", True),
    ("scan 3292590049201\npay card\n", False),  # a scan first (both windows scan): the register
    ("login 0400000000015\nscan 3292590049201\nvalidate\n", False),
    ("scan 3292590049201\n", False),
])
def test_first_action_only_the_stockroom_knows(tmp_path, text, stockroom):
    f = tmp_path / "s.txt"
    f.write_text(text, encoding="utf-8")
    assert is_stockroom_script(f) is stockroom
