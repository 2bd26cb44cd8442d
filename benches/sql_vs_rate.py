#!/usr/bin/env python3
"""DuckDB running the script `pricebook compile --target sql --dialect duckdb` emits, against
`pricebook rate --by account`, on the same usage: LINES rows (default 1,000,000) over ACCOUNTS
accounts (default 10,000) for the Hedra 2026-06 book, random as the SQL differential test makes
them (every product and plan, units, edge quantities, some bad and rejected lines).

Both answers are compared (every account total) before anything is timed. Then each side runs
RUNS times (default 5), alternating, and the medians are reported as a ratio measured in this run:
  - `pricebook rate BOOK --events usage.csv` (release build: reads the CSV, rates, totals);
  - DuckDB, end to end: read the same CSV into `usage`, then materialise `account_totals`;
  - DuckDB, rating only: `account_totals` over `usage` already loaded (a warehouse's case).

Usage: python3 benches/sql_vs_rate.py [LINES] [ACCOUNTS] [RUNS]   (needs `pip install duckdb`)
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests/sql"))
import usage as gen  # noqa: E402

BOOK = os.path.join(ROOT, "pricebooks/hedra/2026-06.pricebook")
BIN = os.environ.get("PRICEBOOK_CLI", os.path.join(ROOT, "target/release/pricebook"))
LINES = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
ACCOUNTS = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
RUNS = int(sys.argv[3]) if len(sys.argv) > 3 else 5


def main():
    import duckdb

    if "PRICEBOOK_CLI" not in os.environ:
        subprocess.run(["cargo", "build", "--release", "-q", "--bin", "pricebook"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="pricebook-sql-bench-")
    table = gen.compiled_table(BIN, BOOK)
    g = gen.Generator(table, seed=7, accounts=ACCOUNTS)
    csv_path = os.path.join(work, "usage.csv")
    rows = g.write(csv_path, LINES)
    dims = g.header()[6:]
    del rows
    script = subprocess.run([BIN, "compile", BOOK, "--target", "sql", "--dialect", "duckdb"], check=True, capture_output=True, text=True).stdout

    def rate():
        out = subprocess.run([BIN, "rate", BOOK, "--events", csv_path], check=False, capture_output=True, text=True)
        return out.stdout

    con = duckdb.connect()
    cols = "".join(f', "{d}" VARCHAR' for d in dims)
    con.execute(f"CREATE TABLE usage (account VARCHAR, time TIMESTAMP, plan VARCHAR, product VARCHAR, quantity DECIMAL(38, 9), unit VARCHAR{cols})")
    con.execute(script)

    def duck_end_to_end():
        gen.load_duckdb(con, csv_path, dims)
        return con.execute("SELECT account, unit, amount, events FROM account_totals").fetchall()

    def duck_rate_only():
        return con.execute("SELECT account, unit, amount, events FROM account_totals").fetchall()

    # Same answers first.
    want = {}
    for line in rate().splitlines()[1:]:
        account, amount, unit, events = line.rsplit(",", 3)
        want[(account, unit)] = (Decimal(amount), int(events))
    got = {(a, u): (Decimal(x), e) for a, u, x, e in duck_end_to_end()}
    assert got == want, f"{len(set(got.items()) ^ set(want.items()))} totals differ"

    times = {"rate": [], "duckdb": [], "duckdb_rate_only": []}
    for _ in range(RUNS):
        for name, f in (("rate", rate), ("duckdb", duck_end_to_end), ("duckdb_rate_only", duck_rate_only)):
            t = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{LINES:,} usage lines, {ACCOUNTS:,} accounts, {len(want):,} totals, medians of {RUNS} runs on {os.cpu_count()} cores")
    print(f"  pricebook rate (CSV in, totals out):     {med['rate']:.3f} s")
    print(f"  DuckDB on the emitted SQL, CSV in:       {med['duckdb']:.3f} s   ({med['duckdb'] / med['rate']:.2f}x pricebook rate)")
    print(f"  DuckDB on the emitted SQL, table loaded: {med['duckdb_rate_only']:.3f} s   ({med['duckdb_rate_only'] / med['rate']:.2f}x pricebook rate)")


if __name__ == "__main__":
    main()
