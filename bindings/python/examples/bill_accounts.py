"""Bill many accounts in parallel on a Dask cluster: the usage of all accounts in one table,
`groupby(account)`, and each account's group billed by the binding on a worker.

    pip install ./bindings/python "dask[dataframe]" distributed
    python bindings/python/examples/bill_accounts.py pricebooks/hedra usage.csv \\
        --plan creator --start 2026-07-01 --periods 1 [--scheduler tcp://HOST:8786] [--out bills.csv]

The usage CSV has an `account` column, an optional `plan` column (else `--plan` for every
account), and the columns of `pricebook bill --usage`: `time`, `product` or `buy`,
`quantity`, `unit`, and one column per dimension. Without `--scheduler` a local cluster of
processes runs it; with one, every worker needs the package installed and the book at the same
path. One row per account comes back: its total, currency, rejected events and the bill's JSON.

The same `bill_account` function runs on Spark with `applyInPandas` (see the README). This is
the way past one machine: a bill is one account's, so accounts are independent and the work
splits by account with no coordination; each worker loads the book once (`_book`).
"""

from __future__ import annotations

import argparse
import json
from decimal import Decimal
from functools import lru_cache
from typing import Any, Dict, List, Optional

import pricebook

# The columns of a usage event that are not dimension values.
EVENT_FIELDS = {"time", "product", "buy", "quantity", "unit"}


@lru_cache(maxsize=None)
def _book(path: str) -> pricebook.Book:
    # Once per worker process: loading checks and compiles the book.
    return pricebook.load(path)


def _events(rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Table rows (NaN or None where a column is empty) as the binding's event dicts."""
    out = []
    for row in rows:
        present = {k: v for k, v in row.items() if v is not None and v == v and v != ""}
        event = {k: str(v) for k, v in present.items() if k in EVENT_FIELDS}
        dims = {k: str(v) for k, v in present.items() if k not in EVENT_FIELDS | {"account", "plan"}}
        if dims:
            event["dims"] = dims
        out.append(event)
    return out


def bill_rows(book: str, account: str, plan: Optional[str], rows: List[Dict[str, Any]],
              start: Optional[str], periods: Optional[int]) -> Dict[str, Any]:
    """One account's bill, as a row: `account`, `total`, `currency`, `rejected`, `bill`."""
    rows = sorted(rows, key=lambda r: str(r.get("time", "")))
    b = _book(book).bill(plan=plan, usage=_events(rows), start=start, periods=periods)
    return {
        "account": account,
        "total": str(b["total"]["amount"]),
        "currency": b["total"]["currency"],
        "rejected": len(b["rejected"]),
        "bill": json.dumps(b, default=str),
    }


def bill_account(group, book: str, plan: Optional[str], start: Optional[str], periods: Optional[int]):
    """A pandas group of one account's events -> a one-row DataFrame (Dask's `apply`, Spark's
    `applyInPandas`)."""
    import pandas as pd

    rows = group.to_dict("records")
    # pandas hands the group its key as `name` (and, from pandas 3, leaves the key's column out).
    account = str(getattr(group, "name", None) or (rows[0].get("account", "") if rows else ""))
    account_plan = rows[0].get("plan") if rows and "plan" in group.columns else None
    row = bill_rows(book, account, account_plan or plan, rows, start, periods)
    return pd.DataFrame([row])


META = {"account": "object", "total": "object", "currency": "object", "rejected": "int64", "bill": "object"}


def bill_all(usage_csv: str, book: str, plan: Optional[str], start: Optional[str],
             periods: Optional[int], scheduler: Optional[str] = None, workers: int = 2):
    """Every account's bill, computed on a Dask cluster (a local one without `scheduler`)."""
    import dask.dataframe as dd
    import pandas as pd
    from dask.distributed import Client, LocalCluster

    cluster = None if scheduler else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True)
    client = Client(scheduler or cluster)
    try:
        if __name__ != "__main__":
            # Imported (by a test, a notebook): workers import this file by its name, so send it.
            client.upload_file(__file__)
        usage = dd.read_csv(usage_csv, dtype=str)
        bills = usage.groupby("account").apply(
            bill_account, book=book, plan=plan, start=start, periods=periods,
            meta=pd.DataFrame({k: pd.Series(dtype=v) for k, v in META.items()}),
        )
        # The group key comes back as the index too; the rows carry it as a column.
        out = bills.compute().reset_index(drop=True).sort_values("account").reset_index(drop=True)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("book")
    p.add_argument("usage")
    p.add_argument("--plan")
    p.add_argument("--start")
    p.add_argument("--periods", type=int)
    p.add_argument("--scheduler")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out")
    a = p.parse_args()
    bills = bill_all(a.usage, a.book, a.plan, a.start, a.periods, a.scheduler, a.workers)
    if a.out:
        bills.to_csv(a.out, index=False)
    total = sum((Decimal(t) for t in bills["total"]), Decimal(0))
    print(f"billed {len(bills)} accounts; total {total} {bills['currency'].iloc[0] if len(bills) else ''}")


if __name__ == "__main__":
    main()
