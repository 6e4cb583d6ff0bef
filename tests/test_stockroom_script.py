"""Which window a headless script plays on (the first action only the stockroom knows picks it), and the
demo's port when the one asked for is taken."""
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


def test_a_port_taken_is_said_and_another_one_used(capsys):
    import socket

    from comptoir.demo import free_port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        got = free_port(port)
    err = capsys.readouterr().err
    assert got != port and f"port {port} indisponible" in err and f"le back-office prend le port {got}" in err
