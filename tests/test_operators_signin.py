"""Sign-in, wrong-PIN throttling, journal events and manager approval (commerce.operators)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from commerce.errors import CommerceError
from commerce.operators import (APPROVAL, APPROVAL_ACTIONS, APPROVAL_REFUSED, CANCEL_TICKET,
                                MAX_DELAY, OPEN_DRAWER, PRICE_OVERRIDE, REFUND_WITHOUT_TICKET,
                                SIGN_IN, SIGN_IN_FAILED, SIGN_OUT, Approval, ApprovalRefused,
                                CASHIER, Event, approval_event, approve, create_operator,
                                delay_after, demo_class, format_wait, make_badge, sign_in_badge,
                                sign_in_pin, sign_out, throttle)

T0 = datetime(2025, 3, 14, 9, 0, 0, tzinfo=timezone.utc)
LEA_BADGE, PROF_BADGE = "0400000000015", "0400000000992"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(scope="module")
def ops():
    return demo_class(iterations=1_000)  # same badges and PINs, cheaper hashes


def lea(ops):
    return ops[0]


# --- the delay schedule ------------------------------------------------------------------------

def test_delay_schedule_exact_seconds():
    assert [delay_after(n) for n in range(0, 14)] == \
        [0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    assert delay_after(10_000) == MAX_DELAY == 300
    # the register's schedule starts after 10 free guesses
    assert [delay_after(n, 10) for n in (9, 10, 11, 12)] == [0, 2, 4, 8]


@pytest.mark.parametrize("seconds, text", [
    (1, "1 seconde"), (2, "2 secondes"), (59, "59 secondes"), (60, "1 minute"),
    (64, "1 min 4 s"), (256, "4 min 16 s"), (300, "5 minutes"),
])
def test_format_wait_in_french(seconds, text):
    assert format_wait(seconds) == text


def fail_pin(ops, history, seconds, pin="0000", operator_id="eleve1", register="1"):
    result = sign_in_pin(ops, operator_id, pin, register, history, at(seconds))
    assert not result.ok and result.event is not None, result.message
    history.append(result.event)
    return result


def test_an_empty_pin_is_no_attempt(ops):
    for pin in ("", "  ", None):
        r = sign_in_pin(ops, "eleve1", pin, "1", [], at(0))
        assert (r.ok, r.event, r.message) == (False, None, "Léa Martin : tapez votre code, puis Entrée")


def test_wrong_pins_are_slowed_down_then_a_success_resets(ops):
    history: list[Event] = []
    r = fail_pin(ops, history, 0)
    assert r.message == "Code erroné pour Léa Martin : encore 2 essais avant une attente."
    assert (r.event.kind, r.event.operator, r.event.register, r.event.at) == (SIGN_IN_FAILED, "eleve1", "1", at(0))
    assert r.event.details == {"method": "pin", "reason": "wrong_pin", "failures": "1"}
    assert "0000" not in str(r.event)
    assert fail_pin(ops, history, 1).message.endswith("encore 1 essai avant une attente.")
    assert throttle(history, "1", at(2), lea(ops)).allowed
    assert fail_pin(ops, history, 2).message == "Code erroné pour Léa Martin : prochain essai dans 2 secondes."

    # after 3 failures: wait 2 s after the last one
    t = throttle(history, "1", at(2), lea(ops))
    assert (t.allowed, t.wait_seconds) == (False, 2)
    assert t.message == "Trop de codes erronés pour Léa Martin : réessayez dans 2 secondes."
    assert throttle(history, "1", at(3.2), lea(ops)).wait_seconds == 1  # rounded up
    assert throttle(history, "1", at(4), lea(ops)).allowed
    # an attempt during the wait is not checked, not counted, not journaled
    blocked = sign_in_pin(ops, "eleve1", "1111", "1", history, at(3))
    assert (blocked.ok, blocked.event, blocked.wait_seconds) == (False, None, 1)
    assert blocked.message == "Trop de codes erronés pour Léa Martin : réessayez dans 1 seconde."

    # 4th, 5th, 6th … failure: 4, 8, 16 … seconds, each counted from the last failure
    now, expected = 4, [4, 8, 16, 32, 64, 128, 256, 300, 300]
    for wait in expected:
        fail_pin(ops, history, now)
        assert throttle(history, "1", at(now), lea(ops)).wait_seconds == wait
        assert throttle(history, "1", at(now + wait - 1), lea(ops)).wait_seconds == 1
        assert throttle(history, "1", at(now + wait), lea(ops)).allowed
        now += wait
    assert throttle(history, "1", at(now - 300), lea(ops)).message.endswith("réessayez dans 5 minutes.")

    # the right PIN signs in and resets the count: the next mistake is free again
    ok = sign_in_pin(ops, "eleve1", "1111", "1", history, at(now))
    assert ok.ok and ok.operator.id == "eleve1" and ok.message == "Bonjour Léa Martin (élève)."
    assert (ok.event.kind, ok.event.operator, ok.event.at, ok.event.details) == \
        (SIGN_IN, "eleve1", at(now), {"method": "pin", "role": "cashier"})
    history.append(ok.event)
    assert fail_pin(ops, history, now + 1).message.endswith("encore 2 essais avant une attente.")
    assert throttle(history, "1", at(now + 1), lea(ops)).allowed


def test_failures_are_counted_per_operator_across_registers(ops):
    history: list[Event] = []
    fail_pin(ops, history, 0, register="1")
    fail_pin(ops, history, 1, register="2")
    fail_pin(ops, history, 2, register="3")
    # Léa waits 2 s wherever she is; Hugo, at the same register, does not
    assert throttle(history, "4", at(2), lea(ops)).wait_seconds == 2
    assert throttle(history, "3", at(2), ops[1]).allowed
    # a badge scan is a success too and resets Léa's count
    scan = sign_in_badge(ops, LEA_BADGE, "4", history, at(10))
    history.append(scan.event)
    assert scan.ok and scan.event.details == {"method": "badge", "role": "cashier"}
    fail_pin(ops, history, 11)
    assert throttle(history, "1", at(11), lea(ops)).allowed


def test_guessing_other_accounts_is_slowed_down_at_the_register(ops):
    """Two wrong PINs on each account stay under the per-operator limit, not under the register's."""
    history: list[Event] = []
    accounts = ["eleve2", "eleve3", "eleve4", "eleve5", "prof"]
    for i in range(10):
        fail_pin(ops, history, i, operator_id=accounts[i // 2], register="2")
    t = throttle(history, "2", at(9))
    assert (t.wait_seconds, t.message) == (2, "Trop d'essais erronés sur la caisse 2 : réessayez dans 2 secondes.")
    r = sign_in_pin(ops, "eleve2", "2222", "2", history, at(10))  # even the right PIN must wait
    assert (r.ok, r.event, r.wait_seconds) == (False, None, 1)
    # another register is not slowed down
    assert sign_in_pin(ops, "eleve2", "2222", "3", history, at(10)).ok
    # the guesser signs in as themselves in between: it does not reset the register's count
    me = sign_in_badge(ops, LEA_BADGE, "2", history, at(11))
    assert me.ok
    history.append(me.event)
    # so the 11th and 12th guesses wait 4 s and 8 s
    fail_pin(ops, history, 12, operator_id="eleve3", register="2")
    assert throttle(history, "2", at(12)).wait_seconds == 4
    fail_pin(ops, history, 16, operator_id="eleve4", register="2")
    assert throttle(history, "2", at(16)).wait_seconds == 8
    assert throttle(history, "2", at(16)).message == \
        "Trop d'essais erronés sur la caisse 2 : réessayez dans 8 secondes."
    # guesses older than 15 minutes are forgotten by the register
    assert throttle(history, "2", at(16 + 15 * 60)).allowed
    # unknown badges are guesses too
    for i in range(10):
        r = sign_in_badge(ops, make_badge(500 + i), "5", history, at(i))
        assert r.message == f"Badge {make_badge(500 + i)} inconnu : demandez à votre professeur."
        assert r.event.details == {"method": "badge", "reason": "unknown_badge", "badge": make_badge(500 + i)}
        history.append(r.event)
    assert throttle(history, "5", at(9)).wait_seconds == 2
    assert sign_in_badge(ops, LEA_BADGE, "5", history, at(10)).wait_seconds == 1


def test_the_larger_wait_wins(ops):
    history: list[Event] = []
    for t in (0, 1, 2, 4, 8):  # Léa: 5 failures -> 8 s; register: 5 guesses < 10 -> free
        fail_pin(ops, history, t)
    for i in range(5):  # 5 more guesses on other accounts: the register's 10th -> 2 s
        fail_pin(ops, history, 9 + i * 0.1, operator_id=f"eleve{2 + i % 4}")
    both = throttle(history, "1", at(10), lea(ops))
    assert (both.wait_seconds, both.message) == (6, "Trop de codes erronés pour Léa Martin : réessayez dans 6 secondes.")
    register_only = throttle(history, "1", at(10))
    assert (register_only.wait_seconds, register_only.message) == \
        (2, "Trop d'essais erronés sur la caisse 1 : réessayez dans 2 secondes.")


def test_a_clock_set_back_never_lengthens_the_wait(ops):
    history: list[Event] = []
    for i in range(3):
        fail_pin(ops, history, 100 + i)
    assert throttle(history, "1", at(0), lea(ops)).wait_seconds == 2


def test_badge_sign_in_and_sign_out_events(ops):
    r = sign_in_badge(ops, "400000000015", "1", [], T0)  # UPC-A reading, leading zero dropped
    assert r.ok and r.operator.name == "Léa Martin"
    assert r.event == Event(SIGN_IN, "eleve1", "1", T0, {"method": "badge", "role": "cashier"})
    out = sign_out(r.operator, "1", at(60))
    assert out == Event(SIGN_OUT, "eleve1", "1", at(60), {})
    # a product scanned at the sign-in screen is no badge: refused, nothing to journal
    with pytest.raises(CommerceError, match="3292590049201 : ce n'est pas un badge"):
        sign_in_badge(ops, "3292590049201", "1", [], T0)


def test_unknown_or_disabled_operator(ops):
    r = sign_in_pin(ops, "nobody", "1234", "1", [], T0)
    assert r.message == "Opérateur « nobody » inconnu."
    assert (r.event.operator, r.event.details["reason"]) == (None, "unknown_operator")
    gone = create_operator("old", "Ancien Élève", CASHIER, make_badge(77), "7777", iterations=1000)
    gone = type(gone)(**{**gone.__dict__, "active": False})
    r = sign_in_badge([gone], make_badge(77), "1", [], T0)
    assert not r.ok and r.message == "Le badge de Ancien Élève est désactivé : demandez à votre professeur."
    r = sign_in_pin([gone], "old", "7777", "1", [], T0)
    assert not r.ok and r.event.details["reason"] == "inactive"


# --- manager approval --------------------------------------------------------------------------

def test_approval_actions_have_french_labels():
    assert APPROVAL_ACTIONS == {
        PRICE_OVERRIDE: "modifier un prix",
        REFUND_WITHOUT_TICKET: "rembourser sans ticket",
        OPEN_DRAWER: "ouvrir le tiroir sans vente",
        CANCEL_TICKET: "annuler un ticket qui contient des articles",
    }


@pytest.mark.parametrize("action", sorted(APPROVAL_ACTIONS))
def test_a_cashier_badge_cannot_approve(ops, action):
    with pytest.raises(ApprovalRefused) as caught:
        approve(action, LEA_BADGE, ops, T0, register="1", requested_by="eleve1")
    label = APPROVAL_ACTIONS[action]
    assert str(caught.value) == f"Léa Martin est élève : il faut le badge d'un professeur pour {label}."
    assert isinstance(caught.value, CommerceError)
    assert caught.value.event == Event(APPROVAL_REFUSED, "eleve1", "1", T0, {
        "action": action, "method": "badge", "reason": "not_manager", "requested_by": "eleve1"})


def test_a_manager_badge_approves(ops):
    a = approve(PRICE_OVERRIDE, PROF_BADGE, ops, T0, register="1", requested_by="eleve2")
    assert a == Approval(PRICE_OVERRIDE, "prof", "Mme Laurent", T0, "badge", "1", "eleve2")
    assert approval_event(a) == Event(APPROVAL, "prof", "1", T0, {
        "action": PRICE_OVERRIDE, "method": "badge", "requested_by": "eleve2"})
    # the UPC-A reading of the teacher's badge works too
    assert approve(OPEN_DRAWER, "400000000992", ops, T0).approver == "prof"


def test_a_manager_pin_approves_and_a_cashier_pin_does_not(ops):
    a = approve(REFUND_WITHOUT_TICKET, "246810", ops, at(5), register="3")
    assert (a.action, a.approver, a.at, a.method, a.register) == \
        (REFUND_WITHOUT_TICKET, "prof", at(5), "pin", "3")
    with pytest.raises(ApprovalRefused) as caught:
        approve(CANCEL_TICKET, "1111", ops, T0, register="3")  # Léa's own PIN
    assert str(caught.value) == ("Code erroné : il faut le code d'un professeur pour "
                                 "annuler un ticket qui contient des articles.")
    assert caught.value.event.details["reason"] == "wrong_pin"
    assert "1111" not in str(caught.value.event)


def test_approval_refusals_for_unknown_badge_and_action(ops):
    with pytest.raises(ApprovalRefused, match="Badge inconnu : il faut le badge d'un professeur pour ouvrir le tiroir"):
        approve(OPEN_DRAWER, make_badge(12345), ops, T0)
    with pytest.raises(CommerceError, match="action « discount » inconnue"):
        approve("discount", PROF_BADGE, ops, T0)


def test_approval_pin_guesses_are_slowed_down(ops):
    history: list[Event] = []
    for i in range(10):
        with pytest.raises(ApprovalRefused) as caught:
            approve(OPEN_DRAWER, f"{100000 + i}", ops, at(i), register="1", history=history)
        history.append(caught.value.event)
    with pytest.raises(ApprovalRefused) as caught:
        approve(OPEN_DRAWER, "246810", ops, at(9), register="1", history=history)
    assert caught.value.event is None
    assert str(caught.value) == ("Accord pour ouvrir le tiroir sans vente impossible pour l'instant : "
                                 "Trop d'essais erronés sur la caisse 1 : réessayez dans 2 secondes.")
    assert approve(OPEN_DRAWER, "246810", ops, at(11), register="1", history=history).approver == "prof"
    # a cashier showing their own badge is refused but is no guess: it does not slow anyone down
    refusals = []
    for i in range(12):
        with pytest.raises(ApprovalRefused) as caught:
            approve(PRICE_OVERRIDE, LEA_BADGE, ops, at(i), register="9", history=refusals)
        refusals.append(caught.value.event)
    assert throttle(refusals, "9", at(12), ops[0]).allowed
