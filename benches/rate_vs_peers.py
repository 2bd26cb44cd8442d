#!/usr/bin/env python3
"""End to end: `pricebook rate` against DuckDB and Polars on the same usage export.

The job, the same for all three: read a usage export (`account,plan,product,quantity`, Hedra
2026-06, integer seconds), price each line, sum per account and unit, write the totals to a CSV
file. The rates are the book's integer credit rates (7 credit / second, ...), so every engine's
answer is an exact integer and the three are compared total by total (and `pricebook rate`
itself is compared with the reference evaluator by tests/differential.rs).

For each cardinality (10,000, 100,000 and 1,000,000 accounts by default) the script writes one
export, then runs the three engines in turn RUNS times (A B C A B C ...), takes medians and
prints ratios measured in the same run. It also reports:
  - `pricebook rate --threads 1` against the default (2 threads on this machine): the scaling;
  - each engine's peak resident memory (from the kernel's rusage of its process; DuckDB and Polars
    run in a child Python process each, so their figures include the interpreter, about 30 MB);
  - the same with the export as JSON Lines (`--jsonl`), which DuckDB reads with read_json and
    Polars with scan_ndjson.

Needs `pip install duckdb polars`. Peers run in their own process, started the same way as
pricebook's, so each timing is a whole process: start, read, price, sum, write.

Usage: python3 benches/rate_vs_peers.py [--lines N] [--runs R] [--accounts 10000,100000,1000000]
                                        [--jsonl] [--keep DIR] [--no-build] [--baseline BIN]
"""
import argparse, json, os, random, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOOK = os.path.join(ROOT, "pricebooks/hedra/2026-06.pricebook")
BIN = os.path.join(ROOT, "target/release/pricebook")

# Products with integer rates per second or image (credits), and the plans that sell them.
PRODUCTS = [
    "hedra-avatar", "hedra-omnia", "seedance-1-5-pro", "kling-v3-standard", "veo-3-1-fast",
    "kling-v3-pro", "veo-3", "sora-2-pro", "flux-dev", "flux-pro", "imagen-4", "nano-banana",
    "flux-pro-v1-1-ultra", "ideogram-v2",
]
PLANS = ["basic", "creator", "professional", "teams"]

DUCKDB = r"""
import duckdb, sys
usage, rates, out, fmt = sys.argv[1:5]
con = duckdb.connect()
con.execute("SET threads TO 2")
con.execute(f"CREATE TABLE rates AS SELECT * FROM read_csv('{rates}', header = true, columns = {{'plan': 'VARCHAR', 'product': 'VARCHAR', 'rate': 'BIGINT', 'unit': 'VARCHAR'}})")
source = (f"read_csv('{usage}', header = true, columns = {{'account': 'VARCHAR', 'plan': 'VARCHAR', 'product': 'VARCHAR', 'quantity': 'BIGINT'}})"
          if fmt == "csv" else
          f"read_json('{usage}', format = 'newline_delimited', columns = {{'account': 'VARCHAR', 'plan': 'VARCHAR', 'product': 'VARCHAR', 'quantity': 'BIGINT'}})")
con.execute(f'''COPY (
  SELECT u.account, SUM(u.quantity * r.rate) AS amount, r.unit, COUNT(*) AS events
  FROM {source} u JOIN rates r ON u.plan = r.plan AND u.product = r.product
  GROUP BY u.account, r.unit
) TO '{out}' (HEADER, DELIMITER ',')''')
"""

POLARS = r"""
import polars as pl, sys
usage, rates, out, fmt = sys.argv[1:5]
schema = {"account": pl.Utf8, "plan": pl.Utf8, "product": pl.Utf8, "quantity": pl.Int64}
u = pl.scan_csv(usage, schema=schema) if fmt == "csv" else pl.scan_ndjson(usage, schema=schema)
r = pl.scan_csv(rates, schema={"plan": pl.Utf8, "product": pl.Utf8, "rate": pl.Int64, "unit": pl.Utf8})
(u.join(r, on=["plan", "product"])
  .group_by(["account", "unit"])
  .agg((pl.col("quantity") * pl.col("rate")).sum().alias("amount"), pl.len().alias("events"))
  .select(["account", "amount", "unit", "events"])
  .sink_csv(out))
"""


def generate(path, lines, accounts, jsonl, seed=7):
    """A usage export: accounts drawn uniformly, integer quantities of 1 to 600."""
    rnd = random.Random(seed)
    acct = [f"acct-{i}" for i in range(accounts)]
    with open(path, "w") as f:
        if not jsonl:
            f.write("account,plan,product,quantity\n")
        left = lines
        while left:
            n = min(left, 200_000)
            a = rnd.choices(acct, k=n)
            p = rnd.choices(PLANS, k=n)
            d = rnd.choices(PRODUCTS, k=n)
            q = [rnd.randrange(1, 601) for _ in range(n)]
            if jsonl:
                f.write("".join(f'{{"account":"{a[i]}","plan":"{p[i]}","product":"{d[i]}","quantity":{q[i]}}}\n' for i in range(n)))
            else:
                f.write("".join(f"{a[i]},{p[i]},{d[i]},{q[i]}\n" for i in range(n)))
            left -= n


TIME = "/usr/bin/time"


def timed(cmd):
    """Wall time and peak RSS (MB) of one process. The RSS is GNU time's reading when it is
    installed: a child's own rusage also counts the Python process it was forked from."""
    rss_file = None
    if os.path.exists(TIME):
        fd, rss_file = tempfile.mkstemp()
        os.close(fd)
        cmd = [TIME, "-f", "%M", "-o", rss_file] + cmd
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{cmd} failed: {err}")
    rss = usage.ru_maxrss / 1024
    if rss_file:
        rss = int(open(rss_file).read().split()[-1]) / 1024
        os.unlink(rss_file)
    return elapsed, rss


def read_totals(path):
    totals = {}
    with open(path) as f:
        header = f.readline().strip().split(",")
        ia, im, iu, ie = (header.index(c) for c in ("account", "amount", "unit", "events"))
        for line in f:
            c = line.rstrip("\n").split(",")
            totals[(c[ia], c[iu])] = (int(c[im]), int(c[ie]))
    return totals


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=5_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--accounts", default="10000,100000,1000000")
    ap.add_argument("--jsonl", action="store_true", help="JSON Lines exports instead of CSV")
    ap.add_argument("--keep", help="write the exports here and reuse them")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--baseline", help="another pricebook binary (say, the previous build) to time in the same runs")
    args = ap.parse_args()
    import duckdb, polars  # noqa: F401 (fail early, with the module's name, when one is missing)
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
    work = args.keep or tempfile.mkdtemp(prefix="pricebook-peers-")
    os.makedirs(work, exist_ok=True)
    table_path = os.path.join(work, "hedra.json")
    subprocess.run([BIN, "compile", BOOK, "-o", table_path], check=True, capture_output=True)
    table = json.load(open(table_path))
    rates_path = os.path.join(work, "rates.csv")
    with open(rates_path, "w") as f:
        f.write("plan,product,rate,unit\n")
        for p in table["products"]:
            if p["slug"] in PRODUCTS:
                cell = p["pricing"]["cells"][0]
                assert cell["per_base"] == "1" and "." not in cell["amount"], p["slug"]
                for plan in PLANS:
                    f.write(f"{plan},{p['slug']},{cell['amount']},{table['units'][cell['unit']]['name']}\n")
    fmt = "jsonl" if args.jsonl else "csv"
    print(f"{args.lines:,} lines of {fmt}, 2 cores; median of {args.runs} runs, alternating "
          f"(min in brackets); peak RSS in MB")
    print()
    print("| accounts | MB | pricebook rate | 1 thread | DuckDB | Polars | DuckDB / pricebook | Polars / pricebook | 2 threads / 1 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for accounts in (int(a) for a in args.accounts.split(",")):
        usage = os.path.join(work, f"usage-{accounts}.{fmt}")
        if not os.path.exists(usage):
            generate(usage, args.lines, accounts, args.jsonl)
        size = os.path.getsize(usage) / 1e6
        outs = {e: os.path.join(work, f"out-{e}-{accounts}.csv") for e in ("pb", "pb1", "duck", "polars", "base")}
        cmds = {
            "pb": [BIN, "rate", table_path, "--events", usage, "-o", outs["pb"]],
            "pb1": [BIN, "rate", table_path, "--events", usage, "-o", outs["pb1"], "--threads", "1"],
            "duck": [sys.executable, "-c", DUCKDB, usage, rates_path, outs["duck"], fmt],
            "polars": [sys.executable, "-c", POLARS, usage, rates_path, outs["polars"], fmt],
        }
        if args.baseline:
            # The book, not the table: an older build may not read this build's table schema.
            cmds["base"] = [args.baseline, "rate", BOOK, "--events", usage, "-o", outs["base"]]
        times = {e: [] for e in cmds}
        rss = {e: 0.0 for e in cmds}
        for _ in range(args.runs):
            for e, cmd in cmds.items():
                t, m = timed(cmd)
                times[e].append(t)
                rss[e] = max(rss[e], m)
        ours = read_totals(outs["pb"])
        for e in [e for e in cmds if e != "pb"]:
            theirs = read_totals(outs[e])
            if theirs != ours:
                diff = [k for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k)]
                sys.exit(f"{e} differs from pricebook on {len(diff)} totals at {accounts} accounts, e.g. "
                         f"{[(k, ours.get(k), theirs.get(k)) for k in diff[:3]]}")
        med = {e: statistics.median(v) for e, v in times.items()}
        cell = lambda e: f"{med[e]:.2f} s [{min(times[e]):.2f}] {rss[e]:.0f} MB"
        print(f"| {accounts:,} | {size:.0f} | {cell('pb')} | {cell('pb1')} | {cell('duck')} | {cell('polars')} "
              f"| {med['duck'] / med['pb']:.2f}x | {med['polars'] / med['pb']:.2f}x | {med['pb1'] / med['pb']:.2f}x |",
              flush=True)
        if args.baseline:
            print(f"|   baseline: {cell('base')}, {med['base'] / med['pb']:.2f}x the time of this build |||||||||")
        print(f"|   totals compared: {len(ours):,} (account, unit) pairs, all equal |||||||||", flush=True)


if __name__ == "__main__":
    main()
