"""Quotes and capacities: the issue's figures, the books' own worked examples, versions by
date, dimensions and attributes."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

import pricebook

from conftest import ROOT


def test_the_issue_example():
    book = pricebook.load("pricebooks/hedra")
    q = book.quote(plan="creator", product="sora-2-pro", quantity="90 second",
                   dims=None, attrs=None, at=None)
    assert q.charge.amount == Decimal("6300") and isinstance(q.charge.amount, Decimal)
    assert q.charge.unit == "credit"
    assert q.money.amount == Decimal("35.00") and str(q.money.amount) == "35.00"
    assert q.money.currency == "USD"
    assert q.plan == "creator" and q.product == "sora-2-pro"
    assert q.explain == [
        "`sora-2-pro` is available on plan `creator`; limits hold (pricebooks/hedra/2026-06.pricebook:138)",
        "90 second is already a whole multiple of 1 second (round up) (pricebooks/hedra/2026-06.pricebook:61)",
        "rate 70 credit / second (pricebooks/hedra/2026-06.pricebook:60)",
        "90 second x 70 credit / second = 6300 credit (pricebooks/hedra/2026-06.pricebook:60)",
        "charge 6300 credit",
        "money: 6300 credit x 30 USD / 5400 credit = 35.00 USD (pricebooks/hedra/2026-06.pricebook:139)",
    ]
    c = book.capacity(plan="basic", product="hedra-avatar")
    assert (c.value, c.unit) == (Decimal("214"), "second")


def test_positional_arguments_follow_the_issue_order():
    book = pricebook.load("pricebooks/hedra")
    q = book.quote("creator", "sora-2-pro", "90 second")
    assert q.charge.amount == Decimal("6300")


def test_a_money_product_has_no_money_line_only_when_the_plan_prices_none():
    book = pricebook.load("pricebooks/heygen/web-plans.pricebook")
    plans = book.plans
    assert plans, "web plans have plans"
    q = book.quote(plan=plans[-1], product=book.products[0], quantity="1 minute")
    assert q.money is None or isinstance(q.money.amount, Decimal)


# The books' worked examples: `quote plan P product X [dim ...] quantity Q U == A U[, money M C]`
# and `capacity plan P product X [dim ...] == N U`, each checked through the binding.
QUOTE = re.compile(
    r"^\s*quote(?: plan (?P<plan>\S+))? product (?P<product>\S+)(?P<dims>(?: dim \S+(?: = \S+)?)*)"
    r" quantity (?P<qty>\S+ \S+) == (?P<amount>\S+) (?P<unit>[\w-]+)(?:, money (?P<money>\S+) (?P<cur>\w+))?\s*$"
)
CAPACITY = re.compile(
    r"^\s*capacity(?: plan (?P<plan>\S+))? product (?P<product>\S+)(?P<dims>(?: dim \S+(?: = \S+)?)*)"
    r" == (?P<amount>\S+) (?P<unit>[\w-]+)\s*$"
)


def _dims(text: str) -> list:
    return [d.replace(" = ", "=") for d in re.findall(r"dim (\S+(?: = \S+)?)", text)]


def _examples():
    for book in sorted((ROOT / "pricebooks").rglob("*.pricebook")):
        for n, line in enumerate(book.read_text().splitlines(), 1):
            for kind, pattern in (("quote", QUOTE), ("capacity", CAPACITY)):
                m = pattern.match(line)
                if m:
                    yield pytest.param(book.relative_to(ROOT), kind, m.groupdict(), id=f"{book.name}:{n}")


EXAMPLES = list(_examples())


def test_the_books_have_worked_examples_to_check():
    assert len(EXAMPLES) >= 40


@pytest.mark.parametrize("path,kind,ex", EXAMPLES)
def test_the_books_worked_examples_hold_through_the_binding(path: Path, kind: str, ex: dict):
    book = pricebook.load(str(path))
    if kind == "capacity":
        c = book.capacity(plan=ex["plan"], product=ex["product"], dims=_dims(ex["dims"]), unit=ex["unit"])
        assert c.value == Decimal(ex["amount"].replace(",", ""))
        return
    q = book.quote(plan=ex["plan"], product=ex["product"], quantity=ex["qty"], dims=_dims(ex["dims"]))
    if q.charge.unit == ex["unit"]:
        assert q.charge.amount == Decimal(ex["amount"].replace(",", ""))
    if ex["money"]:
        assert q.money is not None and q.money.amount == Decimal(ex["money"].replace(",", ""))
        assert q.money.currency == ex["cur"]


def test_versions_by_date():
    book = pricebook.load("pricebooks/hedra")
    assert book.version() == "2026-06"
    assert book.version(at="2025-06-01") == "2025-05"
    assert book.version(at="2024-12-01") == "2024-11"
    # In 2025-05 Hedra sold `video` by resolution: 3 credits a second at 540p.
    q = book.quote(plan="creator", product="video", dims=["540p"], quantity="10 second", at="2025-06-01")
    assert (q.charge.amount, q.charge.unit) == (Decimal("30"), "credit")
    assert "pricebooks/hedra/2025-05.pricebook" in q.explain[-1] or any(
        "2025-05.pricebook" in s for s in q.explain
    )
    import datetime

    same = book.quote(plan="creator", product="video", dims={"resolution": "540p"}, quantity="10 second",
                      at=datetime.date(2025, 6, 1))
    assert same.charge.amount == q.charge.amount
    # A day before every version is a question the book cannot answer.
    with pytest.raises(pricebook.ArgumentError) as e:
        book.quote(plan="creator", product="video", quantity="1 second", at="2020-01-01")
    assert e.value.code == "not-in-force"
    assert "2024-11-" in (e.value.help or "")


def test_a_single_book_must_be_in_force_on_the_day():
    book = pricebook.load("pricebooks/hedra/2026-06.pricebook")
    with pytest.raises(pricebook.ArgumentError) as e:
        book.quote(plan="creator", product="sora-2-pro", quantity="1 second", at="2025-06-01")
    assert e.value.code == "not-in-force"


def test_a_compiled_table_quotes_as_its_book(tmp_path, cli):
    import subprocess

    table = tmp_path / "hedra.json"
    subprocess.run([str(cli), "compile", "pricebooks/hedra/2026-06.pricebook", "-o", str(table)], check=True)
    a = pricebook.load(str(table)).quote(plan="creator", product="sora-2-pro", quantity="90 second")
    b = pricebook.load("pricebooks/hedra/2026-06.pricebook").quote(
        plan="creator", product="sora-2-pro", quantity="90 second")
    assert (a.charge.amount, a.charge.unit, a.money.amount) == (b.charge.amount, b.charge.unit, b.money.amount)


def test_load_takes_path_like_objects():
    book = pricebook.load(ROOT / "pricebooks" / "hedra")
    assert book.vendor == "hedra" and book.currency == "USD"
    assert "creator" in book.plans and "sora-2-pro" in book.products
