"""A batch `rate` of 1,000,000 events from Python against pandas and polars doing the same job:
read the export, price each event (seconds rounded up to whole seconds, times the plan's rate
per second for the product), and total the credits per account.

    python bindings/python/bench/rate.py [EVENTS]      # from the repository root; needs pandas, polars

The export is Hedra's (2026-06) per-second products on its plans, written once to a temporary
CSV; the rates the dataframes use are read from the binding (a one-second quote per plan and
product), so the three compute the same totals, which the script checks (pandas in float64,
polars and the binding exactly). Prints one JSON line (seconds, best of three).
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import pricebook

ROOT = Path(__file__).resolve().parents[3]


def best_of_three(f):
    best, out = float("inf"), None
    for _ in range(3):
        start = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    os.chdir(ROOT)
    book = pricebook.load("pricebooks/hedra/2026-06.pricebook")
    # Per-second products (rounded up to a whole second) on every plan that sells them.
    rates = {}
    for plan in book.plans:
        for product in book.products:
            try:
                q = book.quote(plan=plan, product=product, quantity="1 second")
                tenth = book.quote(plan=plan, product=product, quantity="0.1 second")
            except pricebook.Error:
                continue
            if q.charge.unit == "credit" and tenth.charge.amount == q.charge.amount:
                rates[(plan, product)] = q.charge.amount
    keys = sorted(rates)
    rng = random.Random(16)
    path = Path(tempfile.mkdtemp()) / "events.csv"
    with path.open("w") as f:
        f.write("account,plan,product,quantity\n")
        for _ in range(events):
            plan, product = keys[rng.randrange(len(keys))]
            f.write(f"acct-{rng.randrange(10_000)},{plan},{product},{rng.randrange(1, 6000) / 10} second\n")

    t_binding, rated = best_of_three(lambda: book.rate(str(path)))
    assert rated["rated"] == events, rated["bad_lines"][:3]
    exact = {row["account"]: row["amount"] for row in rated["totals"]}
    out = {"events": events, "binding_rate_s": round(t_binding, 3)}

    import pandas as pd
    import polars as pl

    rate_rows = [(p, q, float(r)) for (p, q), r in rates.items()]

    def with_pandas():
        df = pd.read_csv(path)
        seconds = df["quantity"].str.split(" ", n=1).str[0].astype("float64")
        r = pd.DataFrame(rate_rows, columns=["plan", "product", "rate"])
        df = df.assign(seconds=seconds).merge(r, on=["plan", "product"])
        df["credits"] = (-(-df["seconds"] // 1)) * df["rate"]
        return df.groupby("account")["credits"].sum()

    t_pandas, p = best_of_three(with_pandas)
    out["pandas_s"] = round(t_pandas, 3)
    assert all(abs(Decimal(str(p[a])) - exact[a]) < Decimal("0.001") for a in exact)

    def with_polars():
        r = pl.DataFrame(rate_rows, schema=["plan", "product", "rate"], orient="row")
        return (
            pl.scan_csv(path)
            .with_columns(pl.col("quantity").str.split(" ").list.first().cast(pl.Float64).ceil().alias("seconds"))
            .join(r.lazy(), on=["plan", "product"])
            .group_by("account")
            .agg((pl.col("seconds") * pl.col("rate")).sum().alias("credits"))
            .collect()
        )

    t_polars, q = best_of_three(with_polars)
    out["polars_s"] = round(t_polars, 3)
    got = dict(zip(q["account"].to_list(), q["credits"].to_list()))
    assert all(abs(Decimal(str(got[a])) - exact[a]) < Decimal("0.001") for a in exact)
    out["pandas_over_binding"] = round(t_pandas / t_binding, 2)
    out["polars_over_binding"] = round(t_polars / t_binding, 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
