"""The sign-in service on a real SQLite file: badges, PINs, the wait that survives a restart,
manager approvals, and a chained journal entry for each (checked by `comptoir fiscal verify`)."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from commerce.errors import CommerceError
from commerce.operators import (OPEN_DRAWER, PIN_ITERATIONS, PRICE_OVERRIDE, REFUND_WITHOUT_TICKET,
                                Approval, ApprovalRefused, check_pin, demo_class, make_badge)
from kiosk import operators_store
from kiosk.signin_service import SignInService
from kiosk.store import KioskStore

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2025, 3, 14, 9, 0, 0)
LEA_13, LEA_12 = "0400000000015", "400000000015"  # EAN-13 and its UPC-A reading
HUGO = "0400000000022"
PROF = "0400000000992"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "caisse-1.db"
    store = KioskStore(path)
    for op in demo_class(iterations=1_000):  # the demo's badges and PINs, cheap hashes
        store.add_operator(op, now=T0)
    store.close()
    return path


@pytest.fixture
def store(db):
    s = KioskStore(db)
    yield s
    s.close()


def journal(path) -> list[tuple]:
    with sqlite3.connect(path) as c:
        return c.execute("SELECT number, created_at, operator, kind, details FROM journal "
                         "WHERE register = '1' ORDER BY number").fetchall()


def fiscal_verify(path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "comptoir.cli", "fiscal", "verify", "--database", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


# -- badges ---------------------------------------------------------------------------------------
def test_badge_sign_in_with_13_and_12_digit_scans(store, db):
    svc = SignInService(store, "1")
    assert svc.current is None
    r = svc.badge(LEA_13, now=at(0))
    assert r.ok and r.message == "Bonjour Léa Martin (élève)."
    assert svc.current.id == "eleve1" and svc.current.name == "Léa Martin"
    assert svc.sign_out(now=at(5)).kind == "sign_out" and svc.current is None
    r = svc.badge(LEA_12, now=at(10))  # the scanner dropped the leading 0 (UPC-A)
    assert r.ok and svc.current.id == "eleve1"
    # a different badge: the previous operator is signed out first
    assert svc.badge(HUGO, now=at(20)).ok and svc.current.name == "Hugo Bernard"
    assert journal(db) == [
        (1, "2025-03-14T09:00:00", "eleve1", "sign_in", '{"method":"badge","role":"cashier"}'),
        (2, "2025-03-14T09:00:05", "eleve1", "sign_out", "{}"),
        (3, "2025-03-14T09:00:10", "eleve1", "sign_in", '{"method":"badge","role":"cashier"}'),
        (4, "2025-03-14T09:00:20", "eleve1", "sign_out", "{}"),
        (5, "2025-03-14T09:00:20", "eleve2", "sign_in", '{"method":"badge","role":"cashier"}'),
    ]


def test_unknown_and_malformed_badges(store, db):
    svc = SignInService(store, "1")
    r = svc.badge(make_badge(777), now=at(0))
    assert not r.ok and r.message == "Badge 0400000007779 inconnu : demandez à votre professeur."
    with pytest.raises(CommerceError, match="clé de contrôle devrait être 5"):
        svc.badge("0400000000016", now=at(1))  # misread check digit: refused, not journaled
    with pytest.raises(CommerceError, match="ce n'est pas un badge"):
        svc.badge("3292590049201", now=at(2))  # a product
    assert svc.current is None
    assert journal(db) == [(1, "2025-03-14T09:00:00", "", "sign_in_failed",
                            '{"badge":"0400000007779","method":"badge","reason":"unknown_badge"}')]


def test_a_deactivated_badge_is_refused(store, db):
    operators_store.set_active(store.conn, "eleve3", False)
    svc = SignInService(store, "1")
    r = svc.badge("0400000000039", now=at(0))
    assert not r.ok and r.message == "Le badge de Inès Dubois est désactivé : demandez à votre professeur."
    assert journal(db)[-1][2:] == ("eleve3", "sign_in_failed", '{"method":"badge","reason":"inactive"}')


# -- PINs and the wait ----------------------------------------------------------------------------
def test_pin_sign_in_rehashes_an_older_hash(store, db):
    assert store.operator("eleve1").pin_hash.startswith("pbkdf2_sha256$1000$")
    svc = SignInService(store, "1")
    r = svc.pin("eleve1", "1111", now=at(0))
    assert r.ok and r.message == "Bonjour Léa Martin (élève)." and svc.current.id == "eleve1"
    stored = store.operator("eleve1").pin_hash
    assert stored.startswith(f"pbkdf2_sha256${PIN_ITERATIONS}$") and check_pin(stored, "1111")
    assert journal(db) == [(1, "2025-03-14T09:00:00", "eleve1", "sign_in", '{"method":"pin","role":"cashier"}')]


def test_wrong_pins_wait_survives_a_restart_and_a_success_resets(db):
    store = KioskStore(db)
    svc = SignInService(store, "1")
    messages = [svc.pin("eleve1", "0000", now=at(t)).message for t in (0, 1, 2)]
    assert messages == ["Code erroné pour Léa Martin : encore 2 essais avant une attente.",
                        "Code erroné pour Léa Martin : encore 1 essai avant une attente.",
                        "Code erroné pour Léa Martin : prochain essai dans 2 secondes."]
    # right after the 3rd failure: 2 s to wait from it; the attempt is not checked (even the right PIN)
    early = svc.pin("eleve1", "1111", now=at(2.5))
    assert not early.ok and early.wait_seconds == 2 and early.event is None
    assert early.message == "Trop de codes erronés pour Léa Martin : réessayez dans 2 secondes."
    assert svc.pin("eleve1", "1111", now=at(3)).wait_seconds == 1
    assert len(journal(db)) == 3  # waits are not journaled
    # the 4th attempt, once the 2 s are over, is checked (wrong again) …
    fourth = svc.pin("eleve1", "9999", now=at(4))
    assert not fourth.ok and fourth.wait_seconds == 0
    assert fourth.message == "Code erroné pour Léa Martin : prochain essai dans 4 secondes."
    # … and the 5th must wait: 4 s after the 4th failure (2, 4, 8 … doubling)
    assert svc.pin("eleve1", "1111", now=at(4)).wait_seconds == 4
    store.close()

    # the kiosk restarts: the wait is read back from the journal
    store = KioskStore(db)
    svc = SignInService(store, "1")
    again = svc.pin("eleve1", "1111", now=at(5))
    assert not again.ok and again.wait_seconds == 3
    assert again.message == "Trop de codes erronés pour Léa Martin : réessayez dans 3 secondes."
    # another operator is not held up by Léa's failures
    assert svc.pin("eleve2", "2222", now=at(5)).ok
    # once the wait is over, the right PIN signs in, and the count starts again
    assert svc.pin("eleve1", "1111", now=at(8)).ok and svc.current.id == "eleve1"
    assert svc.pin("eleve1", "0000", now=at(9)).message == \
        "Code erroné pour Léa Martin : encore 2 essais avant une attente."
    store.close()
    kinds = [(op, kind) for _, _, op, kind, _ in journal(db)]
    assert kinds == [("eleve1", "sign_in_failed")] * 4 + [
        ("eleve2", "sign_in"), ("eleve2", "sign_out"), ("eleve1", "sign_in"), ("eleve1", "sign_in_failed")]
    assert journal(db)[3][4] == '{"failures":"4","method":"pin","reason":"wrong_pin"}'


def test_guesses_at_the_register_wait_across_a_restart(db):
    store = KioskStore(db)
    svc = SignInService(store, "1")
    for i in range(10):  # ten unknown badges within 15 minutes are free
        assert svc.badge(make_badge(500 + i), now=at(i)).wait_seconds == 0
    store.close()
    store = KioskStore(db)
    svc = SignInService(store, "1")
    blocked = svc.badge(LEA_13, now=at(10))  # 2 s after the 10th guess (at 9 s): 1 s left
    assert not blocked.ok and blocked.wait_seconds == 1
    assert blocked.message == "Trop d'essais erronés sur la caisse 1 : réessayez dans 1 seconde."
    assert svc.badge(LEA_13, now=at(11)).ok
    # another register of the same store is not held up
    assert SignInService(store, "2").badge(HUGO, now=at(10)).ok
    store.close()


def test_unknown_operator_pin(store, db):
    r = SignInService(store, "1").pin("personne", "1234", now=at(0))
    assert not r.ok and r.message == "Opérateur « personne » inconnu."
    assert journal(db)[-1][2:] == ("", "sign_in_failed",
                                   '{"method":"pin","operator_id":"personne","reason":"unknown_operator"}')


def test_sign_out_with_nobody_signed_in_does_nothing(store, db):
    assert SignInService(store, "1").sign_out(now=at(0)) is None
    assert journal(db) == []


# -- manager approval -------------------------------------------------------------------------------
def test_a_cashier_badge_is_refused_and_the_teacher_badge_accepted(store, db):
    svc = SignInService(store, "1")
    svc.badge(LEA_13, now=at(0))
    with pytest.raises(ApprovalRefused) as refused:
        svc.approve(PRICE_OVERRIDE, LEA_13, now=at(10))
    assert str(refused.value) == ("Léa Martin est élève : il faut le badge d'un professeur pour "
                                  "modifier un prix.")
    assert isinstance(refused.value, CommerceError)
    granted = svc.approve(PRICE_OVERRIDE, PROF, now=at(20))
    assert granted == Approval(PRICE_OVERRIDE, "prof", "Mme Laurent", at(20), "badge", "1", "eleve1")
    assert svc.current.id == "eleve1"  # the teacher approved; Léa is still at the register
    assert journal(db)[1:] == [
        (2, "2025-03-14T09:00:10", "eleve1", "approval_refused",
         '{"action":"price_override","method":"badge","reason":"not_manager","requested_by":"eleve1"}'),
        (3, "2025-03-14T09:00:20", "prof", "approval",
         '{"action":"price_override","method":"badge","requested_by":"eleve1"}'),
    ]


def test_approval_by_pin(store, db):
    svc = SignInService(store, "1")
    svc.pin("eleve2", "2222", now=at(0))
    with pytest.raises(ApprovalRefused, match="^Code erroné : il faut le code d'un professeur pour "
                                              "rembourser sans ticket.$"):
        svc.approve(REFUND_WITHOUT_TICKET, "2222", now=at(1))  # a student's own PIN
    granted = svc.approve(OPEN_DRAWER, "246810", now=at(2))
    assert (granted.approver, granted.method, granted.action, granted.requested_by) == \
        ("prof", "pin", OPEN_DRAWER, "eleve2")
    with pytest.raises(CommerceError, match="action « tout » inconnue"):
        svc.approve("tout", PROF, now=at(3))
    assert [(op, kind) for _, _, op, kind, _ in journal(db)] == [
        ("eleve2", "sign_in"), ("", "approval_refused"), ("prof", "approval")]
    assert "2222" not in str(journal(db)) and "246810" not in str(journal(db))  # never a PIN


# -- the chain ------------------------------------------------------------------------------------
def test_every_event_is_chained_and_fiscal_verify_passes(db):
    store = KioskStore(db)
    svc = SignInService(store, "1")
    svc.badge(LEA_13, now=at(0))
    svc.badge(LEA_12, now=at(1))
    svc.pin("eleve2", "2222", now=at(2))
    for t in (3, 4, 5, 8):
        svc.pin("eleve3", "0000", now=at(t))
    assert svc.pin("eleve3", "3333", now=at(8)).wait_seconds == 4
    svc.pin("eleve3", "3333", now=at(12))
    with pytest.raises(ApprovalRefused):
        svc.approve(PRICE_OVERRIDE, HUGO, now=at(13))
    svc.approve(PRICE_OVERRIDE, PROF, now=at(14))
    svc.sign_out(now=at(15))
    store.close()

    rows = journal(db)
    assert [kind for _, _, _, kind, _ in rows] == [
        "sign_in", "sign_in", "sign_out", "sign_in", "sign_in_failed", "sign_in_failed", "sign_in_failed",
        "sign_in_failed", "sign_out", "sign_in", "approval_refused", "approval", "sign_out"]
    assert [n for n, *_ in rows] == list(range(1, 14))
    from kiosk.journal import KINDS
    assert {kind for _, _, _, kind, _ in rows} <= set(KINDS)
    with sqlite3.connect(db) as c:  # each row names the previous one's hash
        hashes = c.execute("SELECT prev_hash, hash FROM journal ORDER BY number").fetchall()
    assert all(hashes[i][0] == hashes[i - 1][1] for i in range(1, len(hashes)))
    done = fiscal_verify(db)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Caisse 1 — journal des événements techniques : 13 enregistrements vérifiés, chaîne intègre." \
        in done.stdout

    # a failed sign-in erased by hand (trigger dropped) breaks the chain
    with sqlite3.connect(db) as c:
        c.execute("DROP TRIGGER journal_no_delete")
        c.execute("DELETE FROM journal WHERE number = 5")
    broken = fiscal_verify(db)
    assert broken.returncode == 1 and "CHAÎNE ROMPUE" in broken.stdout
