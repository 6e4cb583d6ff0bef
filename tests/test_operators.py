"""Operators, badges and PINs (commerce.operators): records, hashes, badge lookup, demo class."""
from __future__ import annotations

import base64
import hashlib
from dataclasses import asdict

import pytest

from commerce.cards import GIFT_CARD, LOYALTY, make_card

from commerce.errors import CommerceError
from commerce.gtin import parse_gtin
from commerce.operators import (CASHIER, DEMO_OPERATORS, MANAGER, PIN_ITERATIONS, Operator,
                                badge_key, check_pin, check_unique, create_operator, demo_class,
                                find_by_badge, hash_pin, is_badge, make_badge, needs_rehash,
                                new_badge, with_pin)

FAST = 1_000  # iterations for records made only to test other rules (hashing is slow on purpose)


def test_pin_hash_verifies_and_a_wrong_pin_does_not():
    stored = hash_pin("4827", iterations=FAST)
    assert check_pin(stored, "4827") is True
    for wrong in ("4828", "482", "48270", "", " 4827", "４８２７"):
        assert check_pin(stored, wrong) is False


def test_hash_format_holds_its_parameters_and_is_pbkdf2_sha256():
    salt = bytes(range(16))
    stored = hash_pin("4827", iterations=1234, salt=salt)
    scheme, iterations, salt64, digest64 = stored.split("$")
    assert (scheme, iterations) == ("pbkdf2_sha256", "1234")
    assert base64.b64decode(salt64) == salt
    # the stored digest is exactly PBKDF2-HMAC-SHA256(pin, salt, iterations), recomputed here
    assert base64.b64decode(digest64) == hashlib.pbkdf2_hmac("sha256", b"4827", salt, 1234)


def test_hash_never_contains_the_pin_and_salts_differ():
    for pin in ("1111", "4827", "246810", "00000000"):
        a, b = hash_pin(pin, iterations=FAST), hash_pin(pin, iterations=FAST)
        assert a != b  # a fresh random salt each time
        for stored in (a, b):
            parts = stored.split("$")
            assert pin not in parts[2] and pin not in parts[3]
            assert pin.encode() not in base64.b64decode(parts[2]) + base64.b64decode(parts[3])


def test_default_iterations_and_rehash_when_raised():
    stored = hash_pin("4827")
    assert stored.split("$")[1] == str(PIN_ITERATIONS) == "600000"
    assert needs_rehash(stored) is False
    assert needs_rehash(hash_pin("4827", iterations=100_000)) is True
    assert needs_rehash(stored, iterations=1_000_000) is True
    # an old hash made with fewer iterations still verifies (its count is read from the record)
    assert check_pin(hash_pin("4827", iterations=10), "4827")


def test_unreadable_hash_is_refused_in_french():
    with pytest.raises(CommerceError, match="empreinte de code illisible"):
        check_pin("4827", "4827")
    with pytest.raises(CommerceError, match="empreinte"):
        check_pin("md5$1$abc$def", "4827")


def test_create_operator_returns_the_record_to_store():
    op = create_operator("eleve7", " Zoé Roux ", CASHIER, "0400000000077", "9031", iterations=FAST)
    assert isinstance(op, Operator)
    row = asdict(op)
    assert set(row) == {"id", "name", "role", "badge", "pin_hash", "active"}
    assert (row["id"], row["name"], row["role"], row["badge"], row["active"]) == \
        ("eleve7", "Zoé Roux", "cashier", "0400000000077", True)
    assert "9031" not in repr(op) and "9031" not in str(row)
    assert check_pin(op.pin_hash, "9031") and not check_pin(op.pin_hash, "9032")
    assert op.role_label == "élève" and not op.is_manager


@pytest.mark.parametrize("args, message", [
    (("", "Zoé", CASHIER, "0400000000077", "9031"), "identifiant vide"),
    (("a b", "Zoé", CASHIER, "0400000000077", "9031"), "identifiant « a b » refusé"),
    (("e7", "  ", CASHIER, "0400000000077", "9031"), "nom vide"),
    (("e7", "Zoé", "boss", "0400000000077", "9031"), "rôle « boss » refusé"),
    (("e7", "Zoé", CASHIER, "0400000000077", "903"), "de 4 à 8 chiffres"),
    (("e7", "Zoé", CASHIER, "0400000000077", "90a1"), "de 4 à 8 chiffres"),
    (("e7", "Zoé", CASHIER, "0400000000077", "123456789"), "de 4 à 8 chiffres"),
    (("e7", "Zoé", MANAGER, "0400000000077", "9031"), "code d'un professeur refusé : il doit avoir de 6 à 8"),
    (("e7", "Zoé", CASHIER, "0400000000078", "9031"), "clé de contrôle devrait être 7 \\(lu 8\\)"),
    (("e7", "Zoé", CASHIER, "3292590049201", "9031"), "ce n'est pas un badge"),
])
def test_create_operator_refusals(args, message):
    with pytest.raises(CommerceError, match=message):
        create_operator(*args, iterations=FAST)


def test_badges_are_ean13_with_prefix_04_and_keep_leading_zeros():
    assert make_badge(1) == "0400000000015"
    assert make_badge(99) == "0400000000992"
    assert make_badge(6_999_999_999) == "0469999999991"
    with pytest.raises(CommerceError, match="de 0 à 6999999999"):
        make_badge(7_000_000_000)  # 047–049 are cards (commerce.cards), never badges
    assert not is_badge(make_card(LOYALTY, 1)) and not is_badge(make_card(GIFT_CARD, 5))
    for n in (0, 1, 42, 123456789):
        code = make_badge(n)
        assert len(code) == 13 and code.startswith("04")
        assert parse_gtin(code).kind == "EAN13"  # a valid EAN-13 for every scanner and printer
    with pytest.raises(CommerceError):
        make_badge(10**10)
    assert new_badge(lambda n: 1234567) == "0400012345678"
    assert is_badge(new_badge())


def test_badge_lookup_keeps_leading_zeros():
    ops = [create_operator("a", "Alice", CASHIER, make_badge(1), "1234", iterations=FAST),
           create_operator("b", "Bob", CASHIER, make_badge(10), "1234", iterations=FAST)]
    assert find_by_badge(ops, "0400000000015").id == "a"
    # the UPC-A reading of the same label (a scanner dropping the leading 0) is the same badge
    assert badge_key("400000000015") == "0400000000015"
    assert find_by_badge(ops, "400000000015").id == "a"
    assert find_by_badge(ops, " 0400000000107\r\n").id == "b"
    assert find_by_badge(ops, make_badge(2)) is None
    assert ops[0].badge == "0400000000015" and isinstance(ops[0].badge, str)
    # never an int: 400000000015 as a number would have lost its zero
    with pytest.raises(CommerceError, match="clé de contrôle devrait être 5"):
        find_by_badge(ops, "0400000000016")


@pytest.mark.parametrize("code, ok", [
    ("0400000000015", True), ("400000000015", True),
    ("3292590049201", False),  # a product (Croc citron)
    ("0212345002490", False),  # an in-store price label (prefix 02)
    ("2100042003507", False),  # an in-store weight label (prefix 21)
    ("0400000000016", False),  # bad check digit
    ("04000000000a5", False), ("1111", False), ("", False),
])
def test_is_badge_tells_badges_from_products(code, ok):
    assert is_badge(code) is ok


def test_check_unique_refuses_duplicate_ids_and_badges():
    a = create_operator("a", "Alice", CASHIER, make_badge(1), "1234", iterations=FAST)
    b = create_operator("b", "Bob", CASHIER, make_badge(1), "1234", iterations=FAST)
    with pytest.raises(CommerceError, match="badge 0400000000015 en double \\(Alice et Bob\\)"):
        check_unique([a, b])
    c = create_operator("a", "Carla", CASHIER, make_badge(3), "1234", iterations=FAST)
    with pytest.raises(CommerceError, match="identifiant « a » en double"):
        check_unique([a, c])
    check_unique(demo_class(iterations=FAST))


def test_with_pin_changes_the_pin_and_rehashes():
    op = create_operator("a", "Alice", CASHIER, make_badge(1), "1234", iterations=10)
    new = with_pin(op, "1234", iterations=FAST)
    assert needs_rehash(op.pin_hash, FAST) and not needs_rehash(new.pin_hash, FAST)
    assert check_pin(new.pin_hash, "1234")
    changed = with_pin(op, "5678", iterations=FAST)
    assert check_pin(changed.pin_hash, "5678") and not check_pin(changed.pin_hash, "1234")
    assert (changed.id, changed.badge) == (op.id, op.badge)


def test_demo_class_badges_and_pins():
    ops = demo_class()
    assert demo_class() is ops  # made once: hashing is slow on purpose
    table = [(o.id, o.name, o.role, o.badge) for o in ops]
    assert table == [
        ("eleve1", "Léa Martin", "cashier", "0400000000015"),
        ("eleve2", "Hugo Bernard", "cashier", "0400000000022"),
        ("eleve3", "Inès Dubois", "cashier", "0400000000039"),
        ("eleve4", "Nathan Petit", "cashier", "0400000000046"),
        ("eleve5", "Chloé Moreau", "cashier", "0400000000053"),
        ("prof", "Mme Laurent", "manager", "0400000000992"),
    ]
    pins = {i: pin for i, _, _, _, pin in DEMO_OPERATORS}
    assert pins == {"eleve1": "1111", "eleve2": "2222", "eleve3": "3333", "eleve4": "4444",
                    "eleve5": "5555", "prof": "246810"}
    for op in ops:
        assert check_pin(op.pin_hash, pins[op.id])
        assert pins[op.id] not in op.pin_hash.split("$", 2)[2]
        assert op.pin_hash.split("$")[1] == str(PIN_ITERATIONS)
    assert not check_pin(ops[0].pin_hash, "2222")
