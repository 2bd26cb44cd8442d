"""The differential test of test_duckdb.py on Postgres: the script `pricebook compile --target sql
--dialect postgres` emits, run by a throwaway Postgres server (initdb in a temporary directory,
through `psql`), against `pricebook rate`. Run by .ci/sql (20,000 rows a book) and, larger, by
.ci/sql-postgres; both install Debian's postgresql when it is missing. `PRICEBOOK_SQL_PG_ROWS`
rows per bundled book (default 5,000)."""
import collections
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import test_duckdb as base  # noqa: E402

ROWS = int(os.environ.get("PRICEBOOK_SQL_PG_ROWS", "5000"))


def pg_bin(name):
    for d in ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"]:
        if os.path.exists(os.path.join(d, name)):
            return os.path.join(d, name)
    return shutil.which(name)


class PostgresEngine:
    dialect = "postgres"
    text = "TEXT"

    def __init__(self, work):
        self.dir = os.path.join(work, "pg")
        # The server will not run as root: as the `postgres` user then, in a directory it may use.
        self.as_server = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        os.chmod(work, 0o777)
        subprocess.run(self.as_server + [pg_bin("initdb"), "-D", self.dir, "-A", "trust", "-U", "pricebook"], check=True, capture_output=True)
        self.port = "54329"
        subprocess.run(
            self.as_server + [pg_bin("pg_ctl"), "-D", self.dir, "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=''", "-l", os.path.join(work, "pg.log"), "-w", "start"],
            check=True, capture_output=True,
        )
        self.psql = ["psql", "-h", self.dir, "-p", self.port, "-U", "pricebook", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q"]

    def stop(self):
        subprocess.run(self.as_server + [pg_bin("pg_ctl"), "-D", self.dir, "-m", "immediate", "stop"], capture_output=True)

    def run(self, sql):
        out = subprocess.run(self.psql, input=sql, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr[-2000:]
        return out.stdout

    def fresh(self, dims):
        cols = "".join(f', "{d}" TEXT' for d in dims)
        self.run(f"DROP TABLE IF EXISTS usage CASCADE; CREATE TABLE usage (account TEXT, time TIMESTAMP, plan TEXT, product TEXT, quantity NUMERIC(38, 9), unit TEXT{cols});")

    def run_script(self, script):
        self.run(script)

    def load(self, csv_path, dims):
        raw = "".join(f', "{d}" TEXT' for d in dims)
        cols = "".join(f', "{d}"' for d in dims)
        self.run(
            f"DROP TABLE IF EXISTS usage_csv; CREATE TABLE usage_csv (account TEXT, time TEXT, plan TEXT, product TEXT, quantity TEXT, unit TEXT{raw});\n"
            f"\\copy usage_csv FROM '{csv_path}' WITH (FORMAT csv, HEADER true)\n"
            f"TRUNCATE usage; INSERT INTO usage SELECT account, CAST(NULLIF(replace(time, 'Z', ''), '') AS TIMESTAMP), NULLIF(plan, ''), product, "
            f"CAST(NULLIF(trim(quantity), '') AS NUMERIC(38, 9)), NULLIF(trim(unit), ''){cols} FROM usage_csv;"
        )

    def rows(self, sql):
        out = subprocess.run(self.psql + ["-At", "-F", "\t", "-P", "null=\\N", "-c", sql], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr[-2000:]
        return base.gen.tsv_rows(out.stdout)

    def quote(self, name):
        return f'"{name}"'


@pytest.fixture(scope="module")
def engine():
    if not pg_bin("initdb"):
        pytest.skip("no Postgres server binaries")
    work = tempfile.mkdtemp(prefix="pricebook-pg-")
    e = PostgresEngine(work)
    yield e
    e.stop()
    shutil.rmtree(work, ignore_errors=True)


STATS = collections.Counter()


@pytest.mark.parametrize("book", base.BUNDLED, ids=[os.path.relpath(b, base.ROOT) for b in base.BUNDLED])
def test_bundled_book_on_postgres(book, engine):
    base.run_book(book, ROWS, seed=hash(os.path.basename(book)) & 0xFFFF, stats=STATS, engine=engine)


def test_large_quantities_on_postgres(engine):
    base.check_large_quantities(engine)


def test_whole_views_plan_and_run(engine):
    """`SELECT *` over the views, every column computed: Postgres pulled each stage's subquery
    up into the next, copying its expressions into every expression that named their columns,
    until planning one over HeyGen's API book (the widest: five dimensions) ran out of memory.
    Each stage now ends with `OFFSET 0`; its plan stays small (about 100 KB of EXPLAIN VERBOSE)
    and every row comes back."""
    book = os.path.join(base.ROOT, "pricebooks/heygen/api-payg.pricebook")
    with tempfile.TemporaryDirectory(prefix="pricebook-sql-") as work:
        table = base.gen.compiled_table(base.CLI, book)
        script = base.compile_sql(book, os.path.join(work, "rates.sql"), engine.dialect)
        dims = [d["name"] for d in table["dimensions"]]
        g = base.gen.Generator(table, 7)
        csv_path = os.path.join(work, "usage.csv")
        base.gen.write_rows(csv_path, g.header(), [g.row() for _ in range(500)])
        base.load_usage(engine, script, csv_path, dims)
        for view in ["rated_usage", "account_totals"]:
            # A bound on the plan, not a timing: a regression fails here, not by exhausting memory.
            plan = engine.run(f"SET statement_timeout = '60s'; EXPLAIN (VERBOSE) SELECT * FROM {view}")
            assert len(plan) < 1_000_000, f"{view}: a plan of {len(plan)} characters"
        rows = engine.rows("SELECT * FROM rated_usage")
        assert len(rows) == 500
        assert all(len(r) == len(rows[0]) for r in rows)


def test_zz_report():
    print(f"\nPostgres vs rate: {dict(STATS)}")
