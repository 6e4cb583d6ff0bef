"""commerce.fiscal: canonical bytes and the chain rule, with values computed by hand."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

import pytest

from commerce import fiscal
from commerce.catalogue import Product
from commerce.ticket import Ticket

CROC = Product("3292590049201", "Croc citron", 250, 550)
JUS = Product("3297560704173", "Jus d'Orange « Mangue » 1L", 345, 1000)
WHEN = datetime(2025, 3, 14, 10, 5, 7)


def sale(number=1):
    t = Ticket()
    t.add(CROC, 2)
    t.add(JUS, 1)
    t.pay_cash(1000)
    return t.validate(ticket_id="0b5f6c1e-0000-4000-8000-000000000001", register="1", number=number,
                      cashier="Léa Martin", created_at=WHEN)


def test_genesis_is_written_once_and_is_sha256_of_its_phrase():
    assert fiscal.GENESIS == hashlib.sha256(b"Comptoir: chaine fiscale, origine").hexdigest()


def test_fiscal_fields_of_a_ticket_include_line_ht_and_vat_per_rate():
    r = fiscal.fiscal_ticket(sale())
    assert r.timestamp == "2025-03-14T10:05:07" and r.operator == "Léa Martin" and r.total == 845
    # 5,00 TTC at 5,5 %: HT = 500 / 1,055 = 473,93 -> 474; 3,45 TTC at 10 %: 345 / 1,1 = 313,6 -> 314
    assert [(l.label, l.qty, l.unit_price, l.ht, l.vat_rate, l.total) for l in r.lines] == [
        ("Croc citron", 2, 250, 474, 550, 500), ("Jus d'Orange « Mangue » 1L", 1, 345, 314, 1000, 345)]
    assert r.vat == (fiscal.FiscalVat(1000, 314, 31, 345), fiscal.FiscalVat(550, 474, 26, 500))
    assert r.payments == (fiscal.FiscalPayment("cash", 845, 1000),)
    assert r.corrects is None and r.training is True


def test_canonical_bytes_exact():
    got = fiscal.canonical_ticket(fiscal.fiscal_ticket(sale(), corrects=("2", 17)))
    expected = (
        '{"corrects":{"number":17,"register":"2"},"id":"0b5f6c1e-0000-4000-8000-000000000001",'
        '"lines":[{"gtin":"3292590049201","ht":474,"label":"Croc citron","qty":2,"total":500,"unit_price":250,'
        '"vat_rate":550},{"gtin":"3297560704173","ht":314,"label":"Jus d\'Orange « Mangue » 1L","qty":1,'
        '"total":345,"unit_price":345,"vat_rate":1000}],"number":1,"operator":"Léa Martin",'
        '"payments":[{"amount":845,"given":1000,"method":"cash"}],"register":"1",'
        '"timestamp":"2025-03-14T10:05:07","total":845,"training":true,'
        '"vat":[{"ht":314,"rate":1000,"ttc":345,"tva":31},{"ht":474,"rate":550,"ttc":500,"tva":26}],"version":1}'
    ).encode("utf-8")
    assert got == expected


@pytest.mark.parametrize("label", ['a "quoted" \\ back', "tab\there\nnew\rline\x00\x1f\x7f", "é€ß—😀 \u2028",
                                   "", "\x08\x0c"])
def test_hand_written_bytes_equal_json_dumps_sorted_compact(label):
    """The fast builders write exactly json.dumps(sort_keys, no spaces, UTF-8) of the same object."""
    t = Ticket()
    t.add(Product("3292590049201", label or "x", 199, 2000), 3)
    t.pay_card()
    v = t.validate(ticket_id="id", register="R\"1", number=9, cashier=label, created_at=WHEN)
    r = fiscal.fiscal_ticket(v)
    obj = {"corrects": None, "id": "id", "number": 9, "operator": label, "register": 'R"1',
           "timestamp": "2025-03-14T10:05:07", "total": 597, "training": True, "version": 1,
           "lines": [{"gtin": "3292590049201", "label": label or "x", "qty": 3, "unit_price": 199, "total": 597,
                      "ht": r.lines[0].ht, "vat_rate": 2000}],
           "payments": [{"method": "card", "amount": 597, "given": 0}],
           "vat": [{"rate": 2000, "ht": 498, "tva": 99, "ttc": 597}]}
    assert fiscal.canonical_ticket(r) == json.dumps(obj, sort_keys=True, separators=(",", ":"),
                                                    ensure_ascii=False).encode("utf-8")
    assert json.loads(fiscal.canonical_ticket(r)) == obj


def test_chain_hash_by_hand():
    first = fiscal.canonical_ticket(fiscal.fiscal_ticket(sale(1)))
    second = fiscal.canonical_ticket(fiscal.fiscal_ticket(sale(2)))
    h1 = hashlib.sha256(bytes.fromhex(fiscal.GENESIS) + first).hexdigest()
    h2 = hashlib.sha256(bytes.fromhex(h1) + second).hexdigest()
    assert fiscal.chain_hash(fiscal.GENESIS, first) == h1
    assert fiscal.chain([first, second]) == [h1, h2]
    # one cent changes everything after it
    third = first.replace(b'"unit_price":250', b'"unit_price":251')
    assert fiscal.chain([third, second])[1] != h2


def test_known_hash_value():
    """A fixed record and its hash, computed once with hashlib and written here: the rule never drifts."""
    e = fiscal.JournalEntry("1", 1, "2025-03-14T10:05:07", "Léa", "printer_error", {"error": "plus de papier"})
    canonical = fiscal.canonical_event(e)
    assert canonical == ('{"details":{"error":"plus de papier"},"kind":"printer_error","number":1,'
                         '"operator":"Léa","register":"1","timestamp":"2025-03-14T10:05:07","version":1}'
                         ).encode("utf-8")
    assert fiscal.chain_hash(fiscal.GENESIS, canonical) == hashlib.sha256(
        bytes.fromhex("b1147a06fb1169de64742de76c08e2e38b7d806dd3d0f5bcdabeb599ebea6ebb") + canonical).hexdigest()


def test_event_details_sorted_and_floats_refused():
    e = fiscal.JournalEntry("1", 2, "2025-03-14T10:05:07", "Léa", "reprint", {"z": 1, "a": [True, None, "é"]})
    assert b'"details":{"a":[true,null,"\xc3\xa9"],"z":1}' in fiscal.canonical_event(e)
    with pytest.raises(ValueError, match="details.amount"):
        fiscal.details_json({"amount": 1.5})


def test_diff_fields_names_the_changed_leaf():
    a = json.loads(fiscal.canonical_ticket(fiscal.fiscal_ticket(sale())))
    b = json.loads(json.dumps(a))
    b["lines"][1]["unit_price"] = 999
    b["total"] = 1
    assert fiscal.diff_fields(a, b) == [("lines[1].unit_price", 345, 999), ("total", 845, 1)]
    assert fiscal.describe_path("lines[1].unit_price") == "prix unitaire de la ligne 2 (lines[1].unit_price)"
    assert fiscal.describe_path("total") == "total TTC (total)"
