#!/usr/bin/env python3
"""End-to-end: `pricebook rate` on a CSV usage export vs DuckDB doing the same job.

Generates N usage lines for the Hedra 2026-06 book (plan, product, quantity in base units),
then times, on the same file:
  - `pricebook rate BOOK --events usage.csv` (release build; compiles the book, rates every line
    exactly, sums per account and unit);
  - DuckDB (`pip install duckdb`): read the CSV, join a rate table (amount per base unit and the
    rounding step, from the compiled table), apply the step, sum per account and unit, with
    DECIMAL arithmetic.
Both results are compared (per account, per unit) before the timings are printed.

Each side runs RUNS times (default 5), alternating, and the medians are compared.

Usage: python3 benches/rate_vs_duckdb.py [LINES] [RUNS]   (defaults 5,000,000 and 5)
"""
import json, os, random, statistics, subprocess, sys, tempfile, time
from decimal import Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOOK = os.path.join(ROOT, "pricebooks/hedra/2026-06.pricebook")
BIN = os.path.join(ROOT, "target/release/pricebook")
LINES = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 5

def main():
    import duckdb  # noqa: imported here so the script explains itself when it is missing
    subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="pricebook-duckdb-")
    usage = os.path.join(work, "usage.csv")
    table_path = os.path.join(work, "table.json")
    subprocess.run([BIN, "compile", BOOK, "-o", table_path], check=True, capture_output=True)
    table = json.load(open(table_path))

    products = ["hedra-avatar", "sora-2-pro", "veo-3", "elevenlabs", "imagen-4", "flux-dev"]
    plans = ["basic", "creator", "professional"]
    rnd = random.Random(7)
    with open(usage, "w") as f:
        f.write("account,plan,product,quantity\n")
        for _ in range(LINES):
            f.write(f"acct-{rnd.randrange(10000)},{rnd.choice(plans)},{rnd.choice(products)},{rnd.randrange(6000) / 10}\n")
    size = os.path.getsize(usage) / 1e6

    # Rate table for DuckDB: amount per base unit and rounding step, per (plan, product).
    units = table["units"]
    rows = []
    for p in table["products"]:
        if p["slug"] not in products:
            continue
        cell = p["pricing"]["cells"][0]
        step = p["rounding"]["step"] if p["rounding"] else "0"
        # DuckDB turns DECIMAL / DECIMAL into DOUBLE, so it gets the exact rate per base unit
        # (these rates terminate: 7 / 1, 15 / 1000, ...) and only multiplies.
        per_unit = Decimal(cell["amount"]) / Decimal(cell["per_base"])
        for plan in plans:
            rows.append((plan, p["slug"], str(per_unit), step, units[cell["unit"]]["name"]))

    def run_pricebook():
        t0 = time.perf_counter()
        out = subprocess.run([BIN, "rate", table_path, "--events", usage], check=True, capture_output=True, text=True)
        return time.perf_counter() - t0, out.stdout

    def run_duckdb():
        con = duckdb.connect()
        con.execute("SET threads TO 2")
        t0 = time.perf_counter()
        con.execute("CREATE TABLE rates(plan VARCHAR, product VARCHAR, rate DECIMAL(18,9), step DECIMAL(18,6), unit VARCHAR)")
        con.executemany("INSERT INTO rates VALUES (?, ?, CAST(? AS DECIMAL(18,9)), CAST(? AS DECIMAL(18,6)), ?)", rows)
        result = con.execute(QUERY).fetchall()
        elapsed = time.perf_counter() - t0
        con.close()
        return elapsed, result

    QUERY = f"""
        SELECT u.account, r.unit,
               SUM(ROUND(
                 CAST(CASE WHEN r.step = 0 THEN u.quantity ELSE CEIL(u.quantity) END AS DECIMAL(38,6))
                 * r.rate, 6)) AS amount
        FROM read_csv('{usage}', header = true,
                      columns = {{'account': 'VARCHAR', 'plan': 'VARCHAR', 'product': 'VARCHAR', 'quantity': 'DECIMAL(18,6)'}}) u
        JOIN rates r ON u.plan = r.plan AND u.product = r.product
        GROUP BY ALL
    """
    # (The rounding steps in this workload are all 1 base unit, hence CEIL(quantity).)
    assert all(Decimal(r[3]) in (0, 1) for r in rows)

    pb_times, duck_times = [], []
    for _ in range(RUNS):
        t, stdout = run_pricebook()
        pb_times.append(t)
        t, result = run_duckdb()
        duck_times.append(t)
    t_pb, t_duck = statistics.median(pb_times), statistics.median(duck_times)
    ours = {}
    for line in stdout.splitlines()[1:]:
        acct, amount, unit, _ = line.split(",")
        ours[(acct, unit)] = Decimal(amount)
    theirs = {(a, u): Decimal(str(v)).normalize() for a, u, v in result}
    mismatched = [k for k in theirs if ours.get(k, Decimal(0)).normalize() != theirs[k]]
    print(f"{LINES:,} lines ({size:.0f} MB CSV), 10,000 accounts, 2 cores")
    print(f"median of {RUNS} runs each (min in brackets)")
    print(f"pricebook rate: {t_pb:.2f} s  ({t_pb / LINES * 1e9:.0f} ns/line) [{min(pb_times):.2f} s]")
    print(f"duckdb:         {t_duck:.2f} s  ({t_duck / LINES * 1e9:.0f} ns/line) [{min(duck_times):.2f} s]")
    print(f"ratio (duckdb / pricebook): {t_duck / t_pb:.2f}x")
    print(f"totals compared: {len(theirs)} (account, unit) pairs, {len(mismatched)} differ")
    if mismatched:
        print("first differences:", [(k, ours.get(k), theirs[k]) for k in mismatched[:3]])
        sys.exit(1)

if __name__ == "__main__":
    main()
