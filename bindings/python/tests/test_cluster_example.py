"""The cluster example: each account's group billed by the binding equals billing that account
alone; on a local Dask cluster when Dask is installed (CI does not install it: see the README
for the command)."""

from __future__ import annotations

import importlib.util
import random
import sys

import pytest

import pricebook

from conftest import ROOT

spec = importlib.util.spec_from_file_location("bill_accounts", ROOT / "bindings/python/examples/bill_accounts.py")
example = importlib.util.module_from_spec(spec)
sys.modules["bill_accounts"] = example
spec.loader.exec_module(example)


def usage_rows(n: int = 300):
    rng = random.Random(7)
    rows = []
    for i in range(n):
        rows.append({
            "account": f"acct-{rng.randrange(12)}",
            "time": f"2026-07-{rng.randrange(1, 29):02d}T10:00:00Z",
            "product": rng.choice(["sora-2-pro", "hedra-avatar", "no-such-product"]),
            "quantity": f"{rng.randrange(1, 120)} second",
            "unit": None,
        })
    return rows


def test_a_groups_bill_is_the_accounts_own_bill():
    rows = usage_rows()
    accounts = sorted({r["account"] for r in rows})
    book = pricebook.load("pricebooks/hedra")
    for account in accounts:
        mine = [r for r in rows if r["account"] == account]
        got = example.bill_rows("pricebooks/hedra", account, "creator", mine, "2026-07-01", 1)
        events = [{k: v for k, v in r.items() if k in ("time", "product", "quantity")}
                  for r in sorted(mine, key=lambda r: r["time"])]
        alone = book.bill(plan="creator", usage=events, start="2026-07-01", periods=1)
        assert got["total"] == str(alone["total"]["amount"])
        assert got["rejected"] == len(alone["rejected"])


def test_on_a_local_dask_cluster(tmp_path):
    pytest.importorskip("dask.dataframe")
    pytest.importorskip("dask.distributed")
    rows = usage_rows()
    path = tmp_path / "usage.csv"
    with path.open("w") as f:
        f.write("account,time,product,quantity\n")
        for r in rows:
            f.write(f"{r['account']},{r['time']},{r['product']},{r['quantity']}\n")
    bills = example.bill_all(str(path), "pricebooks/hedra", "creator", "2026-07-01", 1, workers=2)
    assert sorted(bills["account"]) == sorted({r["account"] for r in rows})
    for account, total in zip(bills["account"], bills["total"]):
        mine = [r for r in rows if r["account"] == account]
        assert total == example.bill_rows("pricebooks/hedra", account, "creator", mine, "2026-07-01", 1)["total"]
