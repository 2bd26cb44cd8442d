"""Rating a usage export: the command line's totals, from a file or from dicts, by account,
plan or product."""

from __future__ import annotations

import json
import random
import subprocess
from decimal import Decimal

import pytest

import pricebook

from test_bill import as_json


def rate_cli(cli, book, events, by):
    run = subprocess.run([str(cli), "rate", book, "--events", str(events), "--by", by, "--format", "json"],
                         capture_output=True, text=True)
    return json.loads(run.stdout)


def test_the_quickstart_export(cli):
    book = pricebook.load("docs/examples/quickstart.pricebook")
    t = book.rate("docs/examples/quickstart-events.csv")
    assert as_json(t) == rate_cli(cli, "docs/examples/quickstart.pricebook", "docs/examples/quickstart-events.csv", "account")
    assert all(isinstance(row["amount"], Decimal) for row in t["totals"])
    assert t["rated"] == 3 and t["bad_lines"] == []


@pytest.fixture(scope="module")
def hedra_export(tmp_path_factory):
    """A few thousand events over Hedra's plans and products, with some bad lines."""
    rng = random.Random(16)
    book = pricebook.load("pricebooks/hedra")
    rows = []
    for i in range(5000):
        product = rng.choice(book.products + ["no-such-product"] * 1)
        rows.append({
            "account": f"acct-{rng.randrange(50)}",
            "plan": rng.choice(book.plans),
            "product": product,
            "quantity": f"{rng.randrange(1, 600)} second" if rng.random() < 0.9 else str(rng.randrange(1, 20)),
        })
    path = tmp_path_factory.mktemp("rate") / "events.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path, rows


@pytest.mark.parametrize("by", ["account", "plan", "product"])
def test_totals_are_the_command_lines(cli, hedra_export, by):
    path, rows = hedra_export
    book = pricebook.load("pricebooks/hedra")
    expected = rate_cli(cli, "pricebooks/hedra", path, by)
    assert expected["rated"] > 1000 and expected["bad_lines"]
    assert as_json(book.rate(str(path), by=by)) == expected
    # Dicts rate as the file's lines do, line numbers included.
    assert as_json(book.rate(rows, by=by)) == expected
    assert as_json(book.rate(iter(rows), by=by)) == expected


def test_an_empty_export_is_an_argument_error():
    with pytest.raises(pricebook.ArgumentError) as e:
        pricebook.load("pricebooks/hedra").rate([])
    assert "empty" in e.value.message
