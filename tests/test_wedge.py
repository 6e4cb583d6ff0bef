"""Keyboard-wedge decoding with synthetic arrival times: scanner bursts vs typing vs keypad."""
from __future__ import annotations

from drivers.scanner.wedge import Entry, WedgeDecoder

CODE = "3292590049201"


def feed_burst(d: WedgeDecoder, text: str, t0: float, per_key: float = 0.001) -> float:
    """Feed text one key every per_key seconds from t0; return the time of the last key."""
    t = t0
    for i, ch in enumerate(text):
        t = t0 + i * per_key
        d.feed(ch, t)
    return t


def test_fast_burst_then_enter_is_a_scan():
    d = WedgeDecoder()
    last = feed_burst(d, CODE, 10.0)
    assert d.terminate(last + 0.001) == Entry("scan", CODE)
    assert d.buffer == ""  # consumed


def test_burst_batched_in_three_frames_is_one_scan():
    """The UI hands keys over a frame at a time: 5 + 4 + 4 keys, 60 ms apart, Enter in the last frame."""
    d = WedgeDecoder()
    groups = [CODE[:5], CODE[5:9], CODE[9:]]
    for k, group in enumerate(groups):
        for ch in group:
            d.feed(ch, 5.0 + 0.060 * k)
    assert d.terminate(5.0 + 0.120) == Entry("scan", CODE)
    # and again, with Enter arriving one frame later still
    for k, group in enumerate(groups):
        for ch in group:
            d.feed(ch, 9.0 + 0.060 * k)
    assert d.terminate(9.0 + 0.180) == Entry("scan", CODE)


def test_human_typing_is_typed_not_scan():
    d = WedgeDecoder()
    last = feed_burst(d, CODE, 1.0, per_key=0.150)
    assert d.terminate(last + 0.150) == Entry("typed", CODE)


def test_short_fast_entry_is_typed():
    d = WedgeDecoder()
    last = feed_burst(d, "12", 1.0)  # fewer keys than any barcode
    assert d.terminate(last + 0.001) == Entry("typed", "12")


def test_enter_with_nothing_buffered():
    assert WedgeDecoder().terminate(3.0) is None


def test_burst_without_enter_expires_as_cut():
    d = WedgeDecoder()
    last = feed_burst(d, CODE[:9], 2.0)
    assert d.expire(last + 0.1) is None       # still arriving, maybe
    assert d.expire(last + 0.49) is None
    assert d.expire(last + 0.6) == Entry("cut", CODE[:9])
    assert d.buffer == ""
    assert d.expire(last + 2.0) is None        # reported once
    assert d.terminate(last + 2.1) is None


def test_slow_typing_never_expires():
    d = WedgeDecoder()
    last = feed_burst(d, "125", 1.0, per_key=0.150)
    assert d.expire(last + 5.0) is None
    assert d.take_typed() == "125"


def test_typed_digits_then_a_burst_scans_only_the_burst():
    d = WedgeDecoder()
    last = feed_burst(d, "12", 1.0, per_key=0.150)  # a student keys "12"…
    last = feed_burst(d, CODE, last + 0.8)           # …then scans
    assert d.buffer == "12" + CODE
    assert d.terminate(last + 0.002) == Entry("scan", CODE)
    assert d.buffer == ""


def test_manual_keypad_feeds_never_scan():
    d = WedgeDecoder()
    for i, ch in enumerate(CODE):
        d.feed(ch, 1.0 + i * 0.001, manual=True)   # as fast as a scanner, but from the keypad
    assert d.expire(1.0 + 2.0) is None
    assert d.terminate(1.0 + 0.014) == Entry("typed", CODE)


def test_keypad_taps_then_a_burst_scans_only_the_burst():
    d = WedgeDecoder()
    d.feed("1", 1.000, manual=True)
    d.feed("2", 1.001, manual=True)
    last = feed_burst(d, CODE, 1.002)  # right after the taps: the taps are still not part of it
    assert d.terminate(last + 0.001) == Entry("scan", CODE)


def test_typed_digit_a_little_before_a_burst_is_not_scanned():
    d = WedgeDecoder()
    d.feed("5", 1.0)
    last = feed_burst(d, CODE, 1.0 + 0.3)  # silence longer than any frame
    assert d.terminate(last + 0.001) == Entry("scan", CODE)


def test_backspace_and_take_typed():
    d = WedgeDecoder()
    feed_burst(d, "250", 1.0, per_key=0.2)
    d.backspace()
    assert d.buffer == "25"
    assert d.take_typed() == "25"
    assert d.buffer == "" and d.terminate(3.0) is None


def test_two_scans_in_a_row():
    d = WedgeDecoder()
    last = feed_burst(d, CODE, 1.0)
    assert d.terminate(last + 0.001) == Entry("scan", CODE)
    last = feed_burst(d, "96385074", last + 0.05)
    assert d.terminate(last + 0.001) == Entry("scan", "96385074")


def test_a_burst_split_by_a_stalled_frame_is_still_one_scan():
    """A busy machine stalls a frame for 0.4 s in the middle of a scanner burst."""
    d = WedgeDecoder()
    for ch in CODE[:8]:
        d.feed(ch, 1.0)  # one frame's pile
    for ch in CODE[8:]:
        d.feed(ch, 1.4)  # the next frame, 0.4 s later
    assert d.terminate(1.45) == Entry("scan", CODE)


def test_a_person_typing_fast_on_a_slow_machine_is_not_a_scan():
    """Frames of 0.3 s pile up a typist's keys by threes: the average speed tells them apart."""
    d = WedgeDecoder()
    t = 1.0
    for k in range(0, 9, 3):
        for ch in "123456789"[k:k + 3]:
            d.feed(ch, t)
        t += 0.3
    assert d.terminate(t) == Entry("typed", "123456789")


def test_the_first_key_alone_in_the_frame_before_stays_in_the_scan():
    d = WedgeDecoder()
    d.feed(CODE[0], 1.0)  # the scanner's first key just made it into one frame
    for ch in CODE[1:]:
        d.feed(ch, 1.09)  # the rest piled up in the next, 90 ms later
    assert d.terminate(1.1) == Entry("scan", CODE)
