"""Bills: the seeds' scenarios give the command line's JSON, field for field, with every decimal
a `decimal.Decimal`; usage as a file or as dicts."""

from __future__ import annotations

import csv
import json
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

import pricebook

# (book, plan, usage, keyword arguments, the command line's flags): the scenarios of tests/bill.rs.
SCENARIOS = [
    ("pricebooks/hedra/2026-06.pricebook", "creator", "creator-20-min-avatar.jsonl", {}, []),
    ("pricebooks/hedra/2026-06.pricebook", "creator", "creator-20-min-avatar-with-pack.jsonl", {}, []),
    ("pricebooks/hedra/2026-06.pricebook", "creator", "pack-rolls-over.jsonl", {}, []),
    ("pricebooks/hedra/2025-05.pricebook", "creator", "annual-front-load.jsonl",
     {"billing": "annual", "start": "2025-06-01", "periods": 12},
     ["--billing", "annual", "--from", "2025-06-01", "--periods", "12"]),
    ("pricebooks/hedra/2026-06.pricebook", "creator", "auto-recharge-cap.jsonl",
     {"auto_recharge": "below=500,to=3000,cap=40"}, ["--auto-recharge", "below=500,to=3000,cap=40"]),
    ("pricebooks/heygen/enterprise.pricebook", "mmc-5000", "mmc-5000.csv", {}, []),
    ("pricebooks/hedra/2024-11.pricebook", "basic", "minutes-overage-2024.jsonl", {}, []),
    ("pricebooks/hedra/2025-07.pricebook", "creator", "live-avatars-carve-out.jsonl", {}, []),
    ("pricebooks/heygen/api-plans-legacy.pricebook", "free", "limits-reject.jsonl", {}, []),
    ("pricebooks/hedra/2026-06.pricebook", "creator", "bad-lines.jsonl", {}, []),
    # A vendor's directory: the version in force on the bill's first day.
    ("pricebooks/hedra", "creator", "annual-front-load.jsonl",
     {"start": "2025-06-01", "periods": 2}, ["--from", "2025-06-01", "--periods", "2"]),
]


def as_json(v):
    """A binding answer with its Decimals as the JSON's strings."""
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dict):
        return {k: as_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [as_json(x) for x in v]
    return v


def decimals_are_decimals(v, key=None):
    if isinstance(v, dict):
        for k, x in v.items():
            decimals_are_decimals(x, k)
    elif isinstance(v, list):
        for x in v:
            decimals_are_decimals(x, key)
    elif key in ("amount", "granted", "consumed", "expired", "remaining"):
        assert v is None or isinstance(v, Decimal), (key, v)
    else:
        assert not isinstance(v, Decimal), (key, v)


def events_of(path: Path):
    """A usage file's events as dicts, as a service would hold them."""
    if path.suffix == ".csv":
        fields = {"time", "product", "buy", "quantity", "unit", "account", "plan"}
        with path.open() as f:
            rows = list(csv.DictReader(f))
        # CSV gives each dimension a column; an event dict gives them under `dims`.
        return [
            {**{k: v for k, v in row.items() if k in fields and v != ""},
             "dims": {k: v for k, v in row.items() if k not in fields and v != ""}}
            for row in rows
        ]
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("book,plan,usage,kwargs,flags", SCENARIOS, ids=[s[2] for s in SCENARIOS])
def test_a_bill_is_the_command_lines_bill(cli, book, plan, usage, kwargs, flags):
    usage_path = Path("tests/bills") / usage
    run = subprocess.run(
        [str(cli), "bill", book, "--plan", plan, "--usage", str(usage_path), "--format", "json", *flags],
        capture_output=True, text=True,
    )
    expected = json.loads(run.stdout)
    b = pricebook.load(book)
    from_file = b.bill(plan=plan, usage=str(usage_path), **kwargs)
    decimals_are_decimals(from_file)
    assert as_json(from_file) == expected
    if usage != "bad-lines.jsonl":
        # The same events as dicts bill the same (bad lines keep their own line numbers only in
        # the file).
        assert as_json(b.bill(plan=plan, usage=events_of(usage_path), **kwargs)) == expected


def test_the_issue_example():
    book = pricebook.load("pricebooks/hedra")
    usage = [
        {"time": "2026-07-02T10:00:00Z", "product": "sora-2-pro", "quantity": "30 second"},
        {"time": "2026-07-03T10:00:00Z", "product": "hedra-avatar", "quantity": 90, "unit": "second"},
    ]
    b = book.bill(plan="creator", usage=usage, start="2026-07-01", periods=1)
    assert b["total"] == {"amount": Decimal("30.00"), "currency": "USD"}
    assert b["versions"][0]["version"] == "2026-06"
    [grant] = b["wallet"]
    assert (grant["granted"], grant["consumed"]) == (Decimal("5400"), Decimal("2100") + Decimal("630"))
    # July's unused credits expire at the end of July.
    assert (grant["expired"], grant["remaining"]) == (Decimal("5400") - grant["consumed"], Decimal("0"))
    assert b["rejected"] == []


def test_the_seed_shortfall():
    # Seed 000: 20 minutes of Avatar on Creator need 8,400 credits; the plan grants 5,400.
    b = pricebook.load("pricebooks/hedra/2026-06.pricebook").bill(
        plan="creator", usage=[{"time": "2026-06-10T09:00:00Z", "product": "hedra-avatar", "quantity": "20 minute"}])
    [r] = b["rejected"]
    assert r["rejection"] == "wallet-empty" and "short by 3000 credit" in r["reason"]
    assert b["total"]["amount"] == Decimal("30.00")


def test_the_closing_wallet_carries_into_the_next_bill():
    book = pricebook.load("pricebooks/hedra/2026-06.pricebook")
    first = book.bill(plan="creator", usage="tests/bills/creator-20-min-avatar-with-pack.jsonl")
    july = [{"time": "2026-07-03T10:00:00Z", "product": "sora-2-pro", "quantity": "200 second"}]
    second = book.bill(plan="creator", usage=july, wallet=first)
    # 14,000 credits: 5,400 from July's plan credits, 8,600 from the carried pack (13,000).
    [carried] = [g for g in second["wallet"] if g["grant"].endswith("(carried over)")]
    assert (carried["consumed"], carried["remaining"]) == (Decimal("8600"), Decimal("4400"))
    # The wallet may also be the closing wallet alone.
    alone = book.bill(plan="creator", usage=july, wallet=first["closing_wallet"])
    assert as_json(alone) == as_json(second)


def test_bad_usage_is_reported_as_bad_lines_not_raised():
    b = pricebook.load("pricebooks/hedra").bill(
        plan="creator", usage=[{"time": "2026-07-02", "product": "nope", "quantity": "1 second"}],
        start="2026-07-01", periods=1)
    [r] = b["rejected"]
    assert r["kind"] == "bad-line" and "nope" in r["reason"]
