"""The differential test: 100,000 random quotes through the binding equal the Rust library's
(`examples/quote_oracle.rs` answers them through the facade, not the bindings' code).

Every plan, product and dimension value of each bundled book, in every unit of the product's
measure, on days across Hedra's versions, with fractional, negative and very large quantities:
the charge, its unit and the money must be equal, a rejection must have the same kind, reason and
line, and a question the library refuses must raise."""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal

import pytest

import pricebook

# (book, how many questions): 100,000 in all.
BOOKS = [
    ("pricebooks/hedra", 40_000),
    ("pricebooks/heygen/api-payg.pricebook", 15_000),
    ("pricebooks/heygen/api-plans-legacy.pricebook", 15_000),
    ("pricebooks/heygen/enterprise.pricebook", 15_000),
    ("pricebooks/heygen/web-plans.pricebook", 15_000),
]


def test_a_hundred_thousand_questions_in_all():
    assert sum(n for _, n in BOOKS) == 100_000


@pytest.mark.parametrize("path,count", BOOKS, ids=[b for b, _ in BOOKS])
def test_random_quotes_equal_the_librarys(oracle, path, count):
    run = subprocess.run([str(oracle), path, str(count), "16"], capture_output=True, text=True, check=True)
    book = pricebook.load(path)
    quote = book.quote
    seen = {"ok": 0, "rejected": 0, "error": 0}
    mismatches = []
    for line in run.stdout.splitlines():
        ask = json.loads(line)
        expected = ask["expected"]
        # The oracle also answers the charge before its one rounding (`exact`), which the Node
        # binding returns and this binding's `Charge` does not carry yet.
        if "charge" in expected:
            expected["charge"].pop("exact", None)
        try:
            q = quote(plan=ask["plan"], product=ask["product"], quantity=ask["quantity"],
                      dims=ask["dims"], at=ask["at"])
            money = q.money
            got = {
                "charge": {"amount": str(q.charge.amount), "unit": q.charge.unit},
                "money": None if money is None else {"amount": str(money.amount), "currency": money.currency},
            }
            assert isinstance(q.charge.amount, Decimal)
        except pricebook.Rejected as e:
            got = {"rejected": {"kind": e.kind, "reason": e.reason, "line": e.line}}
        except pricebook.Error as e:
            got = {"error": e.code}
            # A number too long for an exact decimal is the library's parse error, whatever code
            # the binding reports it with.
            if expected.get("error") == "not-a-decimal" and isinstance(e, pricebook.ArgumentError):
                got = expected
        seen[next(iter(got)) if "charge" not in got else "ok"] += 1
        if got != expected:
            mismatches.append((ask, got))
    assert mismatches == [], f"{len(mismatches)} differ; first: {mismatches[:3]}"
    assert sum(seen.values()) == count
    # The questions reach every kind of answer. (A third priced, not half: the web plans' book
    # names four products whose price is unpublished, which every quote of them rejects.)
    assert seen["ok"] > count // 3 and seen["rejected"] > 0, seen
