"""Fiscal archives (`comptoir fiscal archive`, `comptoir fiscal verify ARCHIVE.json`), payment references in
the chain, and the period closings checked by `comptoir fiscal verify`, on real SQLite files and as real
subprocesses."""
from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import stat
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from commerce import archive as rules
from commerce.cash import parse_count
from commerce.catalogue import Product
from commerce.errors import CommerceError
from commerce.ticket import Payment, Ticket
from kiosk import archive
from kiosk.fiscal_verify import verify
from kiosk.store import KioskStore

CROC = Product("3292590049201", "Croc citron", 250, 550, "Confiserie")
JUS = Product("3297560704173", "Jus d'Orange Mangue 1L", 345, 1000, "Boissons")
ROOT = Path(__file__).resolve().parent.parent
at = datetime


def comptoir(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "comptoir.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def sale(store, products, pay, when) -> int:
    store.check_can_sell("1", now=when)
    t = Ticket()
    for p in products:
        t.add(p)
    pay(t)
    return store.record_sale(t, "1", "Léa", now=when).number


def cheque(reference):
    return lambda t: t.payments.append(Payment("cheque", t.total, 0, reference))


def march(db: Path) -> KioskStore:
    """Friday 14 March 2025: float 50 €, a cheque sale (CHQ-1234), a cheque + cash sale (CHQ-5678), a card sale,
    a reprint, the Z at 18:00 (which closes the day). March has no month closing yet."""
    store = KioskStore(db)
    store.open_session("1", "Léa", parse_count("1x50"), now=at(2025, 3, 14, 8))
    sale(store, [CROC, JUS], cheque("CHQ-1234"), at(2025, 3, 14, 9))  # 5,95 €

    def cheque_then_cash(t):
        t.payments.append(Payment("cheque", 200, 0, "CHQ-5678"))
        t.pay_cash(300)
    sale(store, [CROC, CROC], cheque_then_cash, at(2025, 3, 14, 10))  # 5,00 €: 2,00 by cheque + 3,00 cash
    sale(store, [JUS], lambda t: t.pay_card(), at(2025, 3, 14, 11))  # 3,45 €
    store.record_event("reprint", "1", "Léa", {"ticket": 2, "copy": 1}, now=at(2025, 3, 14, 11, 30))
    store.close_session("1", parse_count("1x50 1x2 1x1"), {"card": 345, "cheque": 795}, operator="Léa",
                        now=at(2025, 3, 14, 18))
    return store


def april_first(store: KioskStore) -> None:
    """Tuesday 1 April 2025: a session, a card sale, its Z: the April 1 day closing, then March's month closing."""
    store.open_session("1", "Hugo", parse_count("1x50"), now=at(2025, 4, 1, 8))
    sale(store, [CROC], lambda t: t.pay_card(), at(2025, 4, 1, 9))
    store.close_session("1", parse_count("1x50"), {"card": 250}, operator="Hugo", now=at(2025, 4, 1, 18))


@pytest.fixture
def closed_march(tmp_path):
    db = tmp_path / "caisse.db"
    store = march(db)
    april_first(store)
    store.close()
    return db


def archive_cli(db, period="2025-03", *extra):
    return comptoir("fiscal", "archive", "--period", period, "--database", str(db), "--operator", "M. Prof", *extra)


def archive_file(db: Path, number: int) -> Path:
    [path] = (db.parent / "archives").glob(f"caisse-1_archive-{number:04d}_*.json")
    return path


def rewrite(path: Path, old: str, new: str, after: str = "") -> None:
    """Replace the first `old` found after `after` in the archive file (made read-only when written)."""
    text = path.read_text(encoding="utf-8")
    start = text.index(after) if after else 0
    i = text.index(old, start)
    path.chmod(0o644)
    path.write_text(text[:i] + new + text[i + len(old):], encoding="utf-8")


# -- payment references in the chain (database) -------------------------------------------------------
def test_a_cheque_reference_is_chained_and_altering_it_names_the_ticket_and_field(tmp_path):
    store = KioskStore(tmp_path / "caisse.db")
    t = Ticket()
    t.add(CROC)
    t.add(JUS)
    t.payments.append(Payment("cheque", t.total, 0, "CHQ-1234"))
    store.record_sale(t, "1", "Léa", now=at(2025, 3, 14, 9))
    t = Ticket()
    t.add(JUS)
    t.pay_card()
    store.record_sale(t, "1", "Léa", now=at(2025, 3, 14, 10))
    c = sqlite3.connect(store.path)
    assert c.execute("SELECT method, amount, given, reference FROM payment ORDER BY ticket_id = "
                     "(SELECT id FROM ticket WHERE number = 2)").fetchall() == [("cheque", 595, 0, "CHQ-1234"),
                                                                                 ("card", 345, 0, None)]
    canonical = c.execute("SELECT canonical FROM ticket WHERE number = 1").fetchone()[0]
    assert '"payments":[{"amount":595,"given":0,"method":"cheque","reference":"CHQ-1234"}]' in canonical
    assert '"reference"' not in c.execute("SELECT canonical FROM ticket WHERE number = 2").fetchone()[0]
    ok = comptoir("fiscal", "verify", "--database", store.path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Caisse 1 — tickets : 2 enregistrements vérifiés, chaîne intègre." in ok.stdout

    c.execute("DROP TRIGGER payment_no_update")
    c.execute("UPDATE payment SET reference = 'CHQ-9999' WHERE method = 'cheque'")
    c.commit()
    bad = comptoir("fiscal", "verify", "--database", store.path)
    assert bad.returncode == 1, bad.stdout
    assert ("ticket n° 1 : référence du paiement 1 (payments[0].reference) modifié : scellé « CHQ-1234 », "
            "trouvé « CHQ-9999 »") in bad.stdout
    assert bad.stdout.strip().endswith(
        "premier enregistrement altéré : caisse 1, ticket n° 1, champ payments[0].reference.")
    c.execute("UPDATE payment SET reference = NULL WHERE method = 'cheque'")  # the reference erased
    c.commit()
    [report] = [r for r in verify(c) if r.kind == "tickets"]
    assert [(p.number, p.field) for p in report.problems] == [(1, "payments[0].reference")]
    c.close()
    store.close()


# -- conservation: day, month and fiscal-year closings are chained and checked ------------------------------
@pytest.fixture
def new_year(tmp_path):
    """30 December 2025 (sale, Z, day closing), 2 January 2026 (sale, Z): December's month closing and the
    2025 fiscal-year closing. Closings: Z 1, day 2, Z 3, day 4, month 5, year 6."""
    db = tmp_path / "caisse.db"
    store = KioskStore(db)
    store.open_session("1", "Léa", parse_count("1x50"), now=at(2025, 12, 30, 8))
    sale(store, [CROC], lambda t: t.pay_card(), at(2025, 12, 30, 9))
    store.close_session("1", parse_count("1x50"), {"card": 250}, operator="Léa", now=at(2025, 12, 30, 18))
    store.open_session("1", "Hugo", parse_count("1x50"), now=at(2026, 1, 2, 8))
    sale(store, [JUS], lambda t: t.pay_card(), at(2026, 1, 2, 9))
    store.close_session("1", parse_count("1x50"), {"card": 345}, operator="Hugo", now=at(2026, 1, 2, 18))
    assert [(c.number, c.kind, c.perpetual_total) for c in store.closings("1")] == [
        (1, "Z", 250), (2, "day", 250), (3, "Z", 595), (4, "day", 595), (5, "month", 250), (6, "year", 250)]
    store.close()
    return db


def test_verify_names_an_altered_month_closing(new_year):
    ok = comptoir("fiscal", "verify", "--database", str(new_year))
    assert ok.returncode == 0 and "Caisse 1 — clôtures : 6 enregistrements vérifiés, chaîne intègre." in ok.stdout
    c = sqlite3.connect(new_year)
    c.execute("DROP TRIGGER closing_no_update")
    c.execute("UPDATE closing SET perpetual_total = 0 WHERE kind = 'month'")
    c.commit()
    c.close()
    bad = comptoir("fiscal", "verify", "--database", str(new_year))
    assert bad.returncode == 1
    assert ("clôture de mois n° 5 : grand total perpétuel (perpetual_total) modifié : scellé 250, trouvé 0"
            in bad.stdout)
    assert "premier enregistrement altéré : caisse 1, clôture n° 5, champ perpetual_total." in bad.stdout


def test_verify_names_altered_figures_of_a_year_closing_and_a_day_closing(new_year):
    c = sqlite3.connect(new_year)
    c.execute("DROP TRIGGER closing_no_update")
    for kind in ("year", "day"):
        figures = json.loads(c.execute("SELECT figures FROM closing WHERE kind = ? ORDER BY number LIMIT 1",
                                       (kind,)).fetchone()[0])
        assert figures["total"] == 250
        figures["total"] = 1
        c.execute("UPDATE closing SET figures = ? WHERE number = (SELECT min(number) FROM closing WHERE kind = ?)",
                  (json.dumps(figures, sort_keys=True, separators=(",", ":")), kind))
    c.commit()
    [report] = [r for r in verify(c) if r.kind == "closings"]
    c.close()
    assert [(p.number, p.field) for p in report.problems] == [(2, "figures.total"), (6, "figures.total")]
    assert report.problems[1].message == ("clôture d'exercice n° 6 : total TTC (figures.total) modifié : "
                                          "scellé 250, trouvé 1")


def test_verify_names_a_deleted_day_closing(new_year):
    c = sqlite3.connect(new_year)
    c.execute("DROP TRIGGER closing_no_delete")
    c.execute("DELETE FROM closing WHERE number = 4")
    c.commit()
    c.close()
    bad = comptoir("fiscal", "verify", "--database", str(new_year))
    assert bad.returncode == 1
    assert "clôture n° 4 manquante : numérotation interrompue (n° 3 suivi du n° 5), clôture supprimée ?" in bad.stdout


# -- the rules --------------------------------------------------------------------------------------
def test_periods_and_when_they_may_be_archived():
    p = rules.parse_period("2025-02")
    assert (p.text, p.first, p.last, p.after) == ("2025-02", date(2025, 2, 1), date(2025, 2, 28), date(2025, 3, 1))
    assert rules.parse_period("2024-12").after == date(2025, 1, 1)
    for bad, reason in (("2025-13", "le mois 13 n'existe pas"), ("mars", "AAAA-MM"), ("2025-3", "AAAA-MM"),
                        ("2025-03-01", "AAAA-MM")):
        with pytest.raises(CommerceError, match=reason):
            rules.parse_period(bad)
    with pytest.raises(CommerceError, match="pas encore terminée .elle finit le 31/03/2025"):
        rules.check_closed(rules.parse_period("2025-03"), date(2025, 3, 31), True, 3, "1")
    with pytest.raises(CommerceError, match="non clôturée sur la caisse 1 : pas de clôture de mois"):
        rules.check_closed(rules.parse_period("2025-03"), date(2025, 4, 1), False, 3, "1")
    rules.check_closed(rules.parse_period("2025-03"), date(2025, 4, 1), True, 3, "1")
    rules.check_closed(rules.parse_period("2025-02"), date(2025, 4, 1), False, 0, "1")  # empty: allowed


def test_schema_checker_names_the_place_and_the_reason():
    schema = archive.load_schema()
    assert rules.schema_errors({"format": "x"}, schema)[:2] == [
        ("format_version", "champ obligatoire absent"), ("archive", "champ obligatoire absent")]
    ticket = {"id": "t", "register": "1", "number": 1, "created_at": "2025-03-14T09:00:00", "cashier": "Léa",
              "total": "250", "training": True, "corrects_register": None, "corrects_number": None,
              "canonical": None, "prev_hash": None, "hash": None, "lines": [], "vat": [], "payments": []}
    sub = {"$defs": schema["$defs"], **schema["$defs"]["ticket"]}
    assert rules.schema_errors(ticket, sub) == [("total", 'un entier attendu, trouvé "250"'),
                                                ("training", "un entier attendu, trouvé true")]


# -- archiving --------------------------------------------------------------------------------------
def test_archive_refuses_a_month_not_closed_then_archives_it_once_closed(tmp_path):
    db = tmp_path / "caisse.db"
    store = march(db)
    refused = archive_cli(db)
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "archivage refusé — période 2025-03 non clôturée sur la caisse 1 : pas de clôture de mois" in refused.stderr
    assert not (tmp_path / "archives").exists() or not list((tmp_path / "archives").iterdir())
    april_first(store)
    store.close()
    done = archive_cli(db)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Archive fiscale n° 1 de la caisse 1 — période 2025-03 (du 01/03/2025 au 31/03/2025)" in done.stdout
    assert "Contenu : 3 tickets (n° 1 à 3), 5 clôtures (n° 1 à 5), 3 événements (n° 1 à 3)." in done.stdout
    assert "Total TTC de la période : 14,40 € ; grand total perpétuel : 14,40 € (clôture de mois n° 5)." in done.stdout
    assert "nouvelle clé créée" in done.stdout


def test_archive_refuses_the_current_month_and_a_bad_period(closed_march):
    this_month = f"{date.today():%Y-%m}"
    now = archive_cli(closed_march, this_month)
    assert now.returncode == 3
    assert f"période {this_month} pas encore terminée" in now.stderr and "une fois le mois clôturé" in now.stderr
    for bad in ("2025-13", "03/2025"):
        p = archive_cli(closed_march, bad)
        assert p.returncode == 2 and f"période « {bad} » invalide" in p.stderr
    p = comptoir("fiscal", "archive", "--period", "2025-03", "--database", str(closed_march), "--register", "7")
    assert p.returncode == 2 and "caisse 7 inconnue dans la base" in p.stderr and "caisses connues : 1" in p.stderr
    assert not (closed_march.parent / "archives").exists()
    c = sqlite3.connect(closed_march)
    assert c.execute("SELECT count(*) FROM journal WHERE kind = 'archive'").fetchone() == (0,)
    c.close()


def test_archive_holds_the_month_and_is_signed_with_the_registers_key(closed_march):
    done = archive_cli(closed_march)
    assert done.returncode == 0, done.stderr
    path = archive_file(closed_march, 1)
    assert path.name.startswith("caisse-1_archive-0001_2025-03_")
    a = json.loads(path.read_text(encoding="utf-8"))
    assert (a["format"], a["format_version"]) == ("comptoir-archive-fiscale", 1)
    h = a["archive"]
    assert (h["register"], h["number"], h["period"], h["period_start"], h["period_end"], h["operator"], h["training"],
            h["empty"], h["previous"]) == ("1", 1, "2025-03", "2025-03-01", "2025-03-31", "M. Prof", True, False, None)
    # tickets with every stored field, their lines, VAT, payments (with references) and hashes
    assert [(t["number"], t["total"], t["cashier"]) for t in a["tickets"]] == [(1, 595, "Léa"), (2, 500, "Léa"),
                                                                              (3, 345, "Léa")]
    first = a["tickets"][0]
    assert [(l["line_no"], l["gtin13"], l["qty"], l["unit_price"], l["ht"], l["vat_bp"], l["total"])
            for l in first["lines"]] == [(0, CROC.gtin13, 1, 250, 237, 550, 250), (1, JUS.gtin13, 1, 345, 314, 1000, 345)]
    assert first["vat"] == [{"rate_bp": 1000, "ht": 314, "tva": 31, "ttc": 345},
                            {"rate_bp": 550, "ht": 237, "tva": 13, "ttc": 250}]
    assert [(p["method"], p["amount"], p["reference"]) for p in a["tickets"][1]["payments"]] == [
        ("cheque", 200, "CHQ-5678"), ("cash", 300, None)]
    c = sqlite3.connect(closed_march)
    stored = c.execute("SELECT id, canonical, prev_hash, hash FROM ticket ORDER BY number LIMIT 3").fetchall()
    assert [(t["id"], t["canonical"], t["prev_hash"], t["hash"]) for t in a["tickets"]] == stored
    # closings whose period ends in March (Z 1, day 2, month 5) and those numbered between (April 1st's Z and day)
    assert [(k["number"], k["kind"], k["period_end"][:10]) for k in a["closings"]] == [
        (1, "Z", "2025-03-14"), (2, "day", "2025-03-14"), (3, "Z", "2025-04-01"), (4, "day", "2025-04-01"),
        (5, "month", "2025-03-31")]
    assert [(e["number"], e["kind"]) for e in a["journal"]] == [(1, "reprint"), (2, "closing"), (3, "closing")]
    assert a["sequences"] == {"tickets": {"first": 1, "last": 3, "count": 3},
                              "closings": {"first": 1, "last": 5, "count": 5},
                              "journal": {"first": 1, "last": 3, "count": 3}}
    assert a["totals"] == {
        "tickets": 3, "total": 1440,
        "vat": [{"rate": 1000, "ht": 628, "tva": 62, "ttc": 690}, {"rate": 550, "ht": 711, "tva": 39, "ttc": 750}],
        "payments": [{"method": "card", "amount": 345, "count": 1}, {"method": "cash", "amount": 300, "count": 1},
                     {"method": "cheque", "amount": 795, "count": 2}],
        "grand_total": {"closing": 5, "perpetual_total": 1440, "perpetual_absolute": 1440}}
    # the seal: hash of the canonical JSON without the seal, Ed25519 signature by the register's key
    body = json.dumps({k: v for k, v in a.items() if k != "seal"}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")
    assert a["seal"]["hash"] == hashlib.sha256(body).hexdigest()
    key_file, pub_file = archive.key_paths(closed_march, "1")
    assert key_file.name == "caisse-signature-caisse-1.key" and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    from cryptography.hazmat.primitives import serialization
    public = serialization.load_pem_public_key(pub_file.read_bytes())
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert base64.b64decode(h["signer"]["public_key"]) == raw
    assert h["signer"]["fingerprint"] == hashlib.sha256(raw).hexdigest()
    public.verify(base64.b64decode(a["seal"]["signature"]), body)  # raises if the signature is wrong
    # recorded in the chain: the archive table and a journal entry naming the file's hash
    file_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert c.execute("SELECT number, period, operator, file, archive_hash, file_sha256, key_fingerprint, "
                     "first_ticket, last_ticket, tickets FROM fiscal_archive").fetchall() == [
        (1, "2025-03", "M. Prof", path.name, a["seal"]["hash"], file_sha, h["signer"]["fingerprint"], 1, 3, 3)]
    number, kind, details = c.execute("SELECT number, kind, details FROM journal ORDER BY number DESC LIMIT 1"
                                      ).fetchone()
    assert (kind, json.loads(details)) == ("archive", {
        "archive": 1, "period": "2025-03", "file": path.name, "archive_hash": a["seal"]["hash"],
        "file_sha256": file_sha, "key_fingerprint": h["signer"]["fingerprint"], "tickets": 3, "first_ticket": 1,
        "last_ticket": 3})
    assert f"Archivage noté au journal des événements techniques : événement n° {number}." in done.stdout
    with pytest.raises(sqlite3.IntegrityError, match="modification interdite"):
        c.execute("UPDATE fiscal_archive SET period = '2025-04'")
    c.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o444  # never rewritten


def test_archive_verifies_offline_and_with_the_pinned_key(closed_march, tmp_path):
    assert archive_cli(closed_march).returncode == 0
    path = archive_file(closed_march, 1)
    elsewhere = tmp_path / "cle-usb" / path.name  # no database beside it
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(path.read_bytes())
    ok = comptoir("fiscal", "verify", str(elsewhere))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Archive n° 1 de la caisse 1, période 2025-03, faite le" in ok.stdout
    for line in ("Schéma : conforme (archive.schema.json, format 1).",
                 "Caisse 1 — tickets : 3 enregistrements vérifiés, chaîne intègre.",
                 "Caisse 1 — clôtures : 5 enregistrements vérifiés, chaîne intègre.",
                 "Caisse 1 — journal des événements techniques : 3 enregistrements vérifiés, chaîne intègre.",
                 "Séquences et totaux : conformes aux enregistrements.", "Empreinte SHA-256 de l'archive : conforme.",
                 "Résultat : archive intègre."):
        assert line in ok.stdout.splitlines()
    assert "(clé non épinglée : --key CLÉ impose la clé attendue)" in ok.stdout
    _, pub = archive.key_paths(closed_march, "1")
    pinned = comptoir("fiscal", "verify", str(elsewhere), "--key", str(pub))
    assert pinned.returncode == 0 and "(la clé attendue)." in pinned.stdout
    other = comptoir("fiscal", "verify", str(elsewhere), "--key", "0" * 64)
    assert other.returncode == 1
    assert "clé de signature inattendue : empreinte" in other.stdout and f"attendue {'0' * 64}" in other.stdout
    assert comptoir("fiscal", "verify", str(tmp_path / "absente.json")).returncode == 2


def test_a_byte_changed_in_a_ticket_amount_names_that_ticket_and_field(closed_march):
    assert archive_cli(closed_march).returncode == 0
    path = archive_file(closed_march, 1)
    rewrite(path, '"total": 345', '"total": 346', after='"number": 3,')  # ticket 3: 3,45 € -> 3,46 €
    bad = comptoir("fiscal", "verify", str(path))
    assert bad.returncode == 1, bad.stdout
    assert "ticket n° 3 : total TTC (total) modifié : scellé 345, trouvé 346" in bad.stdout
    assert "Empreinte SHA-256 de l'archive : DIFFÉRENTE." in bad.stdout
    assert "Signature Ed25519 : INVALIDE" in bad.stdout
    assert "totaux : total annoncé 1440, recalculé des tickets 1441" in bad.stdout
    assert bad.stdout.strip().endswith(
        "Résultat : ARCHIVE ALTÉRÉE — premier enregistrement altéré : caisse 1, ticket n° 3, champ total.")


def test_an_altered_signature_fails(closed_march):
    assert archive_cli(closed_march).returncode == 0
    path = archive_file(closed_march, 1)
    a = json.loads(path.read_text(encoding="utf-8"))
    sig = a["seal"]["signature"]
    flipped = ("B" if sig[0] == "A" else "A") + sig[1:]
    rewrite(path, sig, flipped)
    bad = comptoir("fiscal", "verify", str(path))
    assert bad.returncode == 1
    assert "Empreinte SHA-256 de l'archive : conforme." in bad.stdout
    assert "Caisse 1 — tickets : 3 enregistrements vérifiés, chaîne intègre." in bad.stdout
    assert bad.stdout.strip().endswith("Résultat : ARCHIVE ALTÉRÉE — signature Ed25519 invalide : l'archive a été "
                                       "modifiée, ou n'a pas été signée par la clé qu'elle annonce.")


def test_a_wrong_type_or_broken_json_is_refused_by_the_schema(closed_march):
    assert archive_cli(closed_march).returncode == 0
    path = archive_file(closed_march, 1)
    rewrite(path, '"total": 595', '"total": "595"', after='"tickets": [')
    bad = comptoir("fiscal", "verify", str(path))
    assert bad.returncode == 1
    assert "schéma : tickets[0].total : un entier attendu, trouvé \"595\"" in bad.stdout
    rewrite(path, '"total": "595"', '"total": 5#5')
    broken = comptoir("fiscal", "verify", str(path))
    assert broken.returncode == 1 and "fichier illisible : JSON invalide ligne" in broken.stdout


def test_archive_numbers_have_no_gap_and_the_database_chain_stays_sound(closed_march):
    assert archive_cli(closed_march).returncode == 0
    empty = archive_cli(closed_march, "2025-02")
    assert empty.returncode == 0, empty.stderr
    assert "Archive fiscale n° 2 de la caisse 1 — période 2025-02" in empty.stdout
    assert "Période vide : aucun ticket ni clôture sur la caisse 1 en 2025-02 ; l'archive l'atteste." in empty.stdout
    again = archive_cli(closed_march)
    assert "Note : la période était déjà archivée (archive n° 1)" in again.stdout
    second = json.loads(archive_file(closed_march, 2).read_text(encoding="utf-8"))
    first = json.loads(archive_file(closed_march, 1).read_text(encoding="utf-8"))
    assert second["archive"]["previous"] == {"number": 1, "archive_hash": first["seal"]["hash"]}
    assert (second["tickets"], second["totals"]["total"], second["totals"]["grand_total"]) == ([], 0, None)
    assert comptoir("fiscal", "verify", str(archive_file(closed_march, 2))).returncode == 0
    c = sqlite3.connect(closed_march)
    rows = c.execute("SELECT number, period, prev_hash, hash FROM fiscal_archive ORDER BY number").fetchall()
    assert [(n, p) for n, p, _, _ in rows] == [(1, "2025-03"), (2, "2025-02"), (3, "2025-03")]
    assert rows[1][2] == rows[0][3] and rows[2][2] == rows[1][3]
    events = c.execute("SELECT number, prev_hash, hash, details FROM journal WHERE kind = 'archive' ORDER BY number"
                       ).fetchall()
    assert [json.loads(d)["archive"] for *_, d in events] == [1, 2, 3]
    assert events[1][1] == events[0][2]  # archive 2's entry follows archive 1's in the chain
    c.close()
    ok = comptoir("fiscal", "verify", "--database", str(closed_march))
    assert ok.returncode == 0, ok.stdout
    assert "Caisse 1 — archives : 3 enregistrements vérifiés, chaîne intègre." in ok.stdout
    # an archive row changed in the file (trigger dropped) is named
    c = sqlite3.connect(closed_march)
    c.execute("DROP TRIGGER fiscal_archive_no_update")
    c.execute("UPDATE fiscal_archive SET period = '2025-01' WHERE number = 2")
    c.commit()
    c.close()
    bad = comptoir("fiscal", "verify", "--database", str(closed_march))
    assert bad.returncode == 1
    assert "archive n° 2 : période (period) modifié : scellé « 2025-02 », trouvé « 2025-01 »" in bad.stdout
    assert "premier enregistrement altéré : caisse 1, archive n° 2, champ period." in bad.stdout


def test_a_signing_key_readable_by_others_is_refused(closed_march):
    key, _ = archive.key_paths(closed_march, "1")
    assert archive_cli(closed_march).returncode == 0
    key.chmod(0o644)
    p = archive_cli(closed_march, "2025-02")
    assert p.returncode == 2
    assert f"clé de signature {key} lisible par d'autres utilisateurs (mode 0644)" in p.stderr
    assert f"chmod 600 {key}" in p.stderr
    c = sqlite3.connect(closed_march)
    assert c.execute("SELECT count(*) FROM fiscal_archive").fetchone() == (1,)  # nothing recorded
    c.close()


def test_archive_through_the_kiosk_config_into_a_chosen_folder(closed_march, tmp_path):
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[kiosk]\nregister = "1"\ndatabase = "{closed_march.name}"\n', encoding="utf-8")
    out = tmp_path / "cle-usb" / "archives"
    p = comptoir("fiscal", "archive", "--period", "2025-03", "--config", str(cfg), "--out", str(out))
    assert p.returncode == 0, p.stderr
    [path] = out.glob("caisse-1_archive-0001_2025-03_*.json")
    assert f"Fichier : {path}" in p.stdout
    a = json.loads(path.read_text(encoding="utf-8"))
    assert (a["archive"]["operator"], a["totals"]["total"]) == ("console", 1440)
    assert comptoir("fiscal", "verify", str(path)).returncode == 0
    assert comptoir("fiscal", "verify", "--config", str(cfg)).returncode == 0
