"""Duplicate filter with an injected clock."""
from drivers.scanner.dedupe import DEFAULT_WINDOW_S, Deduper


def test_identical_code_within_window_counts_once():
    now = [0.0]
    d = Deduper(1.5, clock=lambda: now[0])
    assert d.accept("A")
    now[0] = 1.49
    assert not d.accept("A")
    now[0] = 1.6  # window measured from the accepted scan, not from the duplicate
    assert d.accept("A")
    assert d.dropped == 1


def test_other_code_always_counts_and_breaks_the_run():
    now = [0.0]
    d = Deduper(1.0, clock=lambda: now[0])
    assert d.accept("A") and d.accept("B") and d.accept("A")
    now[0] = 0.1
    assert not d.accept("A")


def test_zero_window_and_reset():
    d = Deduper(0.0, clock=lambda: 5.0)
    assert d.accept("A") and d.accept("A")
    d2 = Deduper(clock=lambda: 5.0)
    assert d2.window_s == DEFAULT_WINDOW_S
    assert d2.accept("A") and not d2.accept("A")
    d2.reset()
    assert d2.accept("A")
