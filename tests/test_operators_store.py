"""Operators kept in a real kiosk SQLite file, the sign-in history read from the journal, and
`comptoir operators list|add|import-demo` as real subprocesses."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from commerce.errors import CommerceError
from commerce.operators import (MANAGER, Event, check_pin, create_operator, demo_class, make_badge,
                                with_pin)
from kiosk import operators_store
from kiosk.operators_store import ensure_demo_operators
from kiosk.store import KioskStore

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2025, 3, 14, 9, 0, 0)
DEMO_BADGES = {"eleve1": "0400000000015", "eleve2": "0400000000022", "eleve3": "0400000000039",
               "eleve4": "0400000000046", "eleve5": "0400000000053", "prof": "0400000000992"}


def comptoir(*args, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "comptoir.cli", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def store(tmp_path):
    s = KioskStore(tmp_path / "caisse.db")
    yield s
    s.close()


def cheap(id, name, badge_no, pin="1234", role="cashier"):
    return create_operator(id, name, role, make_badge(badge_no), pin, iterations=1_000)


# -- table ----------------------------------------------------------------------------------------
def test_add_list_and_reopen(store, tmp_path):
    zoe = cheap("eleve6", "Zoé Roux", 6)
    prof = cheap("prof2", "M. Garnier", 98, "135791", MANAGER)
    store.add_operator(zoe, now=T0)
    store.add_operator(prof, now=T0 + timedelta(seconds=1.5))
    assert store.operators() == [prof, zoe]  # teachers first, then students by name
    assert store.operator("eleve6") == zoe and store.operator("nobody") is None
    store.close()
    again = KioskStore(tmp_path / "caisse.db")
    try:
        assert again.operators() == [prof, zoe]
        assert check_pin(again.operator("eleve6").pin_hash, "1234")
    finally:
        again.close()
    with sqlite3.connect(tmp_path / "caisse.db") as c:
        assert c.execute("SELECT id, role, badge, active, created_at FROM operator ORDER BY id").fetchall() == [
            ("eleve6", "cashier", "0400000000060", 1, "2025-03-14T09:00:00"),
            ("prof2", "manager", "0400000000985", 1, "2025-03-14T09:00:01")]
        assert "1234" not in str(c.execute("SELECT * FROM operator").fetchall())


def test_duplicates_are_refused_in_french(store):
    store.add_operator(cheap("eleve6", "Zoé Roux", 6))
    with pytest.raises(CommerceError, match="^identifiant « eleve6 » en double \\(Zoé Roux et Autre\\)$"):
        store.add_operator(cheap("eleve6", "Autre", 7))
    with pytest.raises(CommerceError, match="^badge 0400000000060 en double \\(Zoé Roux et Autre\\)$"):
        store.add_operator(cheap("eleve7", "Autre", 6))
    assert [op.id for op in store.operators()] == ["eleve6"]


def test_deactivate_and_new_pin(store):
    store.add_operator(cheap("eleve6", "Zoé Roux", 6))
    off = operators_store.set_active(store.conn, "eleve6", False)
    assert off.active is False and store.operators(active_only=True) == []
    assert operators_store.set_active(store.conn, "eleve6", True).active is True
    new = with_pin(store.operator("eleve6"), "8642", iterations=1_000)
    changed = operators_store.set_pin_hash(store.conn, "eleve6", new.pin_hash)
    assert check_pin(changed.pin_hash, "8642") and not check_pin(changed.pin_hash, "1234")
    with pytest.raises(CommerceError, match="opérateur « nobody » inconnu"):
        operators_store.set_active(store.conn, "nobody", False)


def test_demo_class_is_loaded_once(store):
    added = ensure_demo_operators(store, now=T0)
    assert [op.id for op in added] == ["eleve1", "eleve2", "eleve3", "eleve4", "eleve5", "prof"]
    hashes = {op.id: op.pin_hash for op in store.operators()}
    assert ensure_demo_operators(store) == []  # idempotent: nothing re-hashed, nothing reset
    assert {op.id: op.pin_hash for op in store.operators()} == hashes
    assert {op.id: op.badge for op in store.operators()} == DEMO_BADGES
    assert [(op.name, op.role) for op in store.operators()][:2] == [("Mme Laurent", "manager"),
                                                                   ("Chloé Moreau", "cashier")]
    assert check_pin(store.operator("eleve1").pin_hash, "1111")
    assert check_pin(store.operator("prof").pin_hash, "246810")


def test_demo_class_completes_a_partial_one_and_refuses_a_taken_badge(store, tmp_path):
    store.add_operator(demo_class()[0])
    assert [op.id for op in ensure_demo_operators(store)] == ["eleve2", "eleve3", "eleve4", "eleve5", "prof"]
    other = KioskStore(tmp_path / "autre.db")
    try:
        other.add_operator(cheap("zoe", "Zoé Roux", 99))  # the teacher's demo badge
        with pytest.raises(CommerceError, match="badge de démonstration 0400000000992 \\(Mme Laurent\\) "
                                                "déjà donné à « zoe »"):
            ensure_demo_operators(other)
        assert [op.id for op in other.operators()] == ["zoe"]  # all or nothing
    finally:
        other.close()


# -- history from the journal ------------------------------------------------------------------------
def test_sign_in_history_reads_the_journal(store):
    rec = store.record_event
    rec("sign_in_failed", "1", "eleve1", {"method": "pin", "reason": "wrong_pin"}, T0)
    rec("sign_in", "1", "eleve1", {"method": "pin", "role": "cashier"}, T0 + timedelta(minutes=1))
    rec("sign_in_failed", "2", "eleve1", {"method": "pin", "reason": "wrong_pin"}, T0 + timedelta(minutes=2))
    rec("reprint", "1", "eleve1", {"ticket": 3, "copy": 1}, T0 + timedelta(minutes=3))  # not sign-in
    rec("sign_in_failed", "1", "", {"method": "badge", "reason": "unknown_badge"}, T0 + timedelta(minutes=4))
    now = T0 + timedelta(minutes=18)  # the register window (15 min, from 9:03) keeps only the last guess
    assert operators_store.sign_in_history(store.conn, now) == [
        Event("sign_in_failed", None, "1", T0 + timedelta(minutes=4),
              {"method": "badge", "reason": "unknown_badge"})]
    # Léa's: since her last successful sign-in, on any register
    assert [(e.kind, e.register, e.at.minute) for e in operators_store.sign_in_history(store.conn, now, "eleve1")] \
        == [("sign_in", "1", 1), ("sign_in_failed", "2", 2), ("sign_in_failed", "1", 4)]


# -- the command line -------------------------------------------------------------------------------
def test_cli_import_demo_then_list(tmp_path):
    db = tmp_path / "caisse.db"
    first = comptoir("operators", "import-demo", "--database", str(db))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"Classe de démonstration : 6 opérateurs ajoutés dans {db}")
    second = comptoir("operators", "import-demo", "--database", str(db))
    assert second.returncode == 0
    assert second.stdout == f"Classe de démonstration déjà présente dans {db} (6 opérateurs) : rien à ajouter.\n"
    listed = comptoir("operators", "list", "--database", str(db))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["identifiant", "nom", "rôle", "badge", "état"]
    assert [line.split()[0] for line in lines[1:7]] == ["prof", "eleve5", "eleve2", "eleve3", "eleve1", "eleve4"]
    assert lines[1] == f"{'prof':<12} {'Mme Laurent':<24} {'professeur':<11} 0400000000992  actif"
    assert lines[5] == f"{'eleve1':<12} {'Léa Martin':<24} {'élève':<11} 0400000000015  actif"
    assert lines[7] == "6 opérateurs."
    for badge in DEMO_BADGES.values():
        assert badge in listed.stdout
    assert "pbkdf2" not in listed.stdout and "$" not in listed.stdout and "246810" not in listed.stdout
    # and the journal is untouched: fiscal verify finds nothing to check
    verify = comptoir("fiscal", "verify", "--database", str(db))
    assert verify.returncode == 0 and "rien à vérifier" in verify.stdout


def test_cli_add_reads_the_pin_from_stdin_and_uses_the_config(tmp_path):
    (tmp_path / "kiosk.toml").write_text('[kiosk]\nregister = "2"\ndatabase = "var/caisse-2.db"\n', encoding="utf-8")
    cfg = str(tmp_path / "kiosk.toml")
    added = comptoir("operators", "add", "eleve6", "Zoé Roux", "--badge", "400000000060", "--config", cfg,
                     stdin="8642\n")
    assert added.returncode == 0, added.stderr
    assert added.stdout == "Opérateur ajouté : Zoé Roux (eleve6), élève, badge 0400000000060.\n"
    prof = comptoir("operators", "add", "prof2", "M. Garnier", "--role", "professeur", "--config", cfg,
                    stdin="135791\n")
    assert prof.returncode == 0, prof.stderr
    badge = prof.stdout.strip().rsplit(" ", 1)[1].rstrip(".")
    assert len(badge) == 13 and badge.startswith("04")  # a fresh random badge
    store = KioskStore(tmp_path / "var" / "caisse-2.db")
    try:
        zoe = store.operator("eleve6")
        assert (zoe.name, zoe.role, zoe.badge) == ("Zoé Roux", "cashier", "0400000000060")
        assert check_pin(zoe.pin_hash, "8642")
        assert store.operator("prof2").badge == badge and check_pin(store.operator("prof2").pin_hash, "135791")
    finally:
        store.close()

    short = comptoir("operators", "add", "prof3", "M. Petit", "--role", "prof", "--config", cfg, stdin="1234\n")
    assert short.returncode == 2
    assert short.stderr == ("comptoir operators : code d'un professeur refusé : il doit avoir de 6 à 8 "
                            "chiffres\n")
    twice = comptoir("operators", "add", "eleve7", "Autre", "--badge", "0400000000060", "--config", cfg,
                     stdin="1234\n")
    assert twice.returncode == 2
    assert twice.stderr == "comptoir operators : badge 0400000000060 en double (Zoé Roux et Autre)\n"
    bad_role = comptoir("operators", "add", "x", "X", "--role", "directeur", "--config", cfg, stdin="1234\n")
    assert bad_role.returncode == 2 and "rôle « directeur » refusé : élève ou professeur" in bad_role.stderr


def test_cli_refuses_a_missing_database(tmp_path):
    missing = comptoir("operators", "list", "--database", str(tmp_path / "nope.db"))
    assert missing.returncode == 2
    assert missing.stderr == f"comptoir operators : base {tmp_path / 'nope.db'} introuvable\n"
    assert not (tmp_path / "nope.db").exists()
    usage = comptoir("operators", "list")
    assert usage.returncode == 2 and "--database" in usage.stderr
