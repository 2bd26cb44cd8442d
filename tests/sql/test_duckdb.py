"""Differential test: the SQL `pricebook compile --target sql --dialect duckdb` emits, run by
DuckDB over random usage, against `pricebook rate --by account` on the same rows: every total
(account, unit, amount, events) equal, every rejection the same (the same rows, the same reason),
every bad line bad in both.

Books: every bundled book (`PRICEBOOK_SQL_ROWS` rows each, default 50,000), the vendor
directory of Hedra's versions (each row priced by the version in force at its time), and the
differential test's generated books (`PRICEBOOK_SQL_BOOKS_DIR`, written by `cargo test --test
differential write_books_for_sql -- --ignored`; `PRICEBOOK_SQL_GEN_ROWS` rows each, default
3,000). Rows `pricebook rate` rejects for arithmetic overflow (past 28 digits, which the script's
38 hold) and rows of products the compiler refuses (`pricebook_refused`) are left out of the
comparison and counted.

Run by .ci/sql; `PRICEBOOK_CLI` is the command line to test (default target/release/pricebook).
"""
import collections
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import decimal
from decimal import Decimal

# Exact arithmetic on the 38-digit answers (the default context rounds to 28 digits).
decimal.getcontext().prec = 80

import duckdb
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import usage as gen  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.environ.get("PRICEBOOK_CLI", os.path.join(ROOT, "target/release/pricebook"))
ROWS = int(os.environ.get("PRICEBOOK_SQL_ROWS", "50000"))
GEN_ROWS = int(os.environ.get("PRICEBOOK_SQL_GEN_ROWS", "3000"))
BOOKS_DIR = os.environ.get("PRICEBOOK_SQL_BOOKS_DIR", "")

BUNDLED = sorted(glob.glob(os.path.join(ROOT, "pricebooks/*/*.pricebook")))
GENERATED = sorted(glob.glob(os.path.join(BOOKS_DIR, "*.pricebook"))) if BOOKS_DIR else []


class DuckEngine:
    """DuckDB in process: the engine CI runs the comparison on."""

    dialect = "duckdb"
    text = "VARCHAR"

    def fresh(self, dims):
        self.con = duckdb.connect()
        cols = "".join(f', "{d}" VARCHAR' for d in dims)
        self.con.execute(f"CREATE TABLE usage (account VARCHAR, time TIMESTAMP, plan VARCHAR, product VARCHAR, quantity DECIMAL(38, 9), unit VARCHAR{cols})")

    def run_script(self, script):
        self.con.execute(script)

    def load(self, csv_path, dims):
        gen.load_duckdb(self.con, csv_path, dims)

    def rows(self, sql):
        return self.con.execute(sql).fetchall()

    def quote(self, name):
        return f'"{name}"'


ENGINE = DuckEngine()


def compile_sql(source, path, dialect="duckdb"):
    out = subprocess.run(
        [CLI, "compile", source, "--target", "sql", "--dialect", dialect, "--skip-refused", "-o", path],
        capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stderr
    return open(path).read()


def rate(book, csv_path):
    out = subprocess.run([CLI, "rate", book, "--events", csv_path, "--format", "json"], capture_output=True, text=True)
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


def qkey(q):
    if q is None or q == "":
        return ""
    return str(Decimal(q).normalize())


def row_key(account, time, plan, product, quantity, unit, dims):
    return (account or "", time or "", plan or "", product or "", qkey(quantity), unit or "") + tuple(d or "" for d in dims)


def csv_row_key(r):
    t = r[1].replace("T", " ").replace("Z", "") if r[1] else ""
    return row_key(r[0], t, r[2], r[3], r[4], r[5], r[6:])


def load_usage(engine, script, csv_path, dims):
    """`csv_path`'s rows as a fresh `usage`, read by `script`'s tables and views."""
    engine.fresh(dims)
    engine.run_script(script)
    engine.load(csv_path, dims)


def sql_results(engine, dims):
    cols = "".join(", " + engine.quote(d) for d in dims)
    rows = engine.rows(f"SELECT account, CAST(time AS {engine.text}), plan, product, quantity, unit{cols}, rejected, CASE WHEN bad_line THEN 1 ELSE 0 END FROM rated_usage WHERE rejected IS NOT NULL")
    bad, rejected = collections.Counter(), collections.Counter()
    for r in rows:
        k = row_key(r[0], r[1], r[2], r[3], r[4], r[5], r[6:6 + len(dims)])
        if r[-1]:
            bad[k] += 1
        else:
            rejected[(k, r[-2])] += 1
    totals = {(a, u): (Decimal(amount), events) for a, u, amount, events in engine.rows("SELECT account, unit, amount, events FROM account_totals")}
    return bad, rejected, totals


def compare(book, table, script, rows, header, work, stats, rate_header=None, engine=ENGINE):
    """Rates `rows` both ways and compares; returns the number of rows compared. `rate_header`:
    the columns `pricebook rate` reads, when the book has fewer dimensions than the script."""
    dims = header[6:]
    csv_path = os.path.join(work, "usage.csv")
    gen.write_rows(csv_path, header, rows)
    load_usage(engine, script, csv_path, dims)
    bad, rejected, totals = sql_results(engine, dims)
    # Rows whose price needs more than the script's 38 digits are refused by it (rejected, never
    # mispriced): they are left out of both sides and counted.
    too_large = collections.Counter()
    for (k, reason), n in rejected.items():
        if reason.startswith("quantity too large for exact SQL"):
            too_large[k] += n
    if too_large:
        stats["sql_too_large"] += sum(too_large.values())
        kept = []
        for r in rows:
            k = csv_row_key(r)
            if too_large[k] > 0:
                too_large[k] -= 1
            else:
                kept.append(r)
        dropped = len(rows) - len(kept)
        rows = kept
    else:
        dropped = 0
    rate_header = rate_header or header
    pick = [header.index(c) for c in rate_header]
    gen.write_rows(csv_path, rate_header, [[r[i] for i in pick] for r in rows])
    report = rate(book, csv_path)
    if "error" in report:
        # `pricebook rate` stops when a total passes 28 digits; the script's 38 hold it.
        assert "overflow" in report["error"]["message"], report
        stats["rate_overflowed_books"] += 1
        return 0
    # Past 28 digits `pricebook rate` rejects for overflow; the script's 38 digits price such a
    # row. Both leave a rejected row out of every total, so it is dropped from the SQL's input.
    overflow = {r["line"] for r in report["rejected"] if any(w in r["reason"] for w in OVERFLOW)}
    stats["overflow"] += len(overflow)
    if dropped or overflow:
        # The SQL's input changed: rate the rows `pricebook rate` priced again (else the first
        # pass's answers are the ones for these very rows).
        kept = [r for i, r in enumerate(rows) if i + 2 not in overflow]
        sql_path = os.path.join(work, "usage-sql.csv")
        gen.write_rows(sql_path, header, kept)
        load_usage(engine, script, sql_path, dims)
        bad, rejected, totals = sql_results(engine, dims)
    want_bad = collections.Counter(csv_row_key(rows[b["line"] - 2]) for b in report["bad_lines"])
    want_rejected = collections.Counter(
        (csv_row_key(rows[r["line"] - 2]), r["reason"]) for r in report["rejected"] if r["line"] not in overflow
    )
    want_totals = {(t["account"], t["unit"]): (Decimal(t["amount"]), t["events"]) for t in report["totals"]}
    name = os.path.basename(book)
    assert bad == want_bad, f"{name}: bad lines differ: SQL only {list((bad - want_bad).items())[:5]}, rate only {list((want_bad - bad).items())[:5]}"
    assert rejected == want_rejected, f"{name}: rejections differ: SQL only {list((rejected - want_rejected).items())[:5]}, rate only {list((want_rejected - rejected).items())[:5]}"
    # `pricebook rate` refuses a total past 28 significant digits (an overflow error) rather than
    # round it, so every total it gives must equal the script's exactly.
    if totals != want_totals:
        diff = [(k, totals.get(k), want_totals.get(k)) for k in sorted(set(totals) | set(want_totals)) if totals.get(k) != want_totals.get(k)]
        raise AssertionError(f"{name}: {len(diff)} totals differ (key, SQL, rate): {diff[:8]}")
    stats["rows"] += len(rows)
    stats["totals"] += len(totals)
    stats["rejected"] += sum(want_rejected.values())
    stats["bad"] += sum(want_bad.values())
    return len(rows)


def refused_products(script, dims, engine=ENGINE):
    engine.fresh(dims)
    engine.run_script(script)
    return {p for (p,) in engine.rows("SELECT product FROM pricebook_refused")}


def run_book(book, n, seed, stats, engine=ENGINE):
    with tempfile.TemporaryDirectory(prefix="pricebook-sql-") as work:
        table = gen.compiled_table(CLI, book)
        script = compile_sql(book, os.path.join(work, "rates.sql"), engine.dialect)
        dims = [d["name"] for d in table["dimensions"]]
        refused = refused_products(script, dims, engine)
        stats["refused"] += len(refused)
        g = gen.Generator(table, seed, skip_products=refused)
        rows = [g.row() for _ in range(n)]
        compare(book, table, script, rows, g.header(), work, stats, engine=engine)


def check_large_quantities(engine=ENGINE):
    """Quantities whose nanos pass the quantity's DECIMAL(38, 9) (10^20 and up), up to the
    script's bound: priced as `pricebook rate` prices them, never an error of the whole query;
    past the bound, a bad line of the script's own."""
    book = os.path.join(ROOT, "pricebooks/hedra/2024-11.pricebook")
    with tempfile.TemporaryDirectory(prefix="pricebook-sql-") as work:
        table = gen.compiled_table(CLI, book)
        script = compile_sql(book, os.path.join(work, "rates.sql"), engine.dialect)
        bound = int(re.search(r"quantity <= CAST\('(\d+)' AS", script).group(1))
        assert bound > 10**21
        header = ["account", "time", "plan", "product", "quantity", "unit"]
        row = lambda i, q: [f"acct-{i}", "2026-01-15T10:00:00Z", "creator", "video", q, ""]
        priced = [10**19, 10**20 - 1, 10**20, 10**20 + 1, 10**21, bound - 1, bound]
        priced_rows = [row(i, str(q)) for i, q in enumerate(priced)]
        priced_rows.append(row(len(priced), f"{10**18}.123456789"))
        stats = collections.Counter()
        compare(book, table, script, priced_rows, header, work, stats, engine=engine)
        assert stats["totals"] == len(priced_rows) and stats["sql_too_large"] == 0, stats
        odd = [str(bound + 1), str(10**28)]
        gen.write_rows(os.path.join(work, "odd.csv"), header, [row(i, q) for i, q in enumerate(odd)])
        load_usage(engine, script, os.path.join(work, "odd.csv"), [])
        got = engine.rows("SELECT rejected, CASE WHEN bad_line THEN 1 ELSE 0 END FROM rated_usage")
        assert len(got) == len(odd), got
        for reason, bad in got:
            assert bad and reason.startswith("quantity ") and reason.endswith(" is too large for exact SQL arithmetic"), got


def test_large_quantities():
    check_large_quantities()


STATS = collections.Counter()

# What `pricebook rate` says of a row past its 28 digits.
OVERFLOW = ("overflow", "does not fit the totals", "too large for exact decimal arithmetic")


@pytest.mark.parametrize("book", BUNDLED, ids=[os.path.relpath(b, ROOT) for b in BUNDLED])
def test_bundled_book(book):
    run_book(book, ROWS, seed=hash(os.path.basename(book)) & 0xFFFF, stats=STATS)


@pytest.mark.skipif(not GENERATED, reason="PRICEBOOK_SQL_BOOKS_DIR has no generated books")
def test_generated_books():
    for i, book in enumerate(GENERATED):
        run_book(book, GEN_ROWS, seed=i, stats=STATS)


def test_versions_by_date():
    """A vendor directory: each row priced by the version in force on its day. `pricebook rate`
    on each version's book, with the rows of its days, gives each version's totals."""
    run_versions(STATS)


def run_versions(stats, engine=ENGINE, n=None):
    """test_versions_by_date on `engine`, `n` rows a version (default a tenth of `ROWS`, at least
    2,000)."""
    d = os.path.join(ROOT, "pricebooks/hedra")
    versions = []
    for f in sorted(glob.glob(os.path.join(d, "*.pricebook"))):
        t = gen.compiled_table(CLI, f)
        versions.append((t["effective"], f, t))
    versions.sort()
    with tempfile.TemporaryDirectory(prefix="pricebook-sql-") as work:
        script = compile_sql(d, os.path.join(work, "rates.sql"), engine.dialect)
        n = n or max(ROWS // 10, 2000)
        for i, (effective, f, t) in enumerate(versions):
            until = versions[i + 1][0] if i + 1 < len(versions) else "2027-01-01"
            # Days inside this version's window only, so each version rates its own rows.
            months = sorted({m for m in (f"{y}-{mo:02d}" for y in (2024, 2025, 2026) for mo in range(1, 13)) if effective[:7] < m < until[:7]})
            if not months:
                continue
            g = gen.Generator(t, seed=100 + i)
            g.months = months
            g.no_missing_time = i + 1 < len(versions)
            rows = [g.row() for _ in range(n)]
            dims = []
            for _, _, vt in versions:
                dims += [x["name"] for x in vt["dimensions"] if x["name"] not in dims]
            header = ["account", "time", "plan", "product", "quantity", "unit"] + dims
            rows = [r[:6] + [dict(zip(g.header()[6:], r[6:])).get(x, "") for x in dims] for r in rows]
            compare(f, t, script, rows, header, work, stats, rate_header=g.header(), engine=engine)


def test_zz_report():
    print(f"\nSQL vs rate: {dict(STATS)}")
