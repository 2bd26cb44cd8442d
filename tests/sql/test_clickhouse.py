"""The differential test of test_duckdb.py on ClickHouse: the script `pricebook compile --target
sql --dialect clickhouse` emits, run by chDB (ClickHouse in process, `pip install chdb`), against
`pricebook rate`. Run by .ci/sql-clickhouse. `PRICEBOOK_SQL_CH_ROWS` rows per bundled book
(default 5,000)."""
import collections
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import test_duckdb as base  # noqa: E402

ROWS = int(os.environ.get("PRICEBOOK_SQL_CH_ROWS", "5000"))


class ClickHouseEngine:
    dialect = "clickhouse"
    text = "Nullable(String)"

    def __init__(self):
        from chdb import session

        self.session = session.Session()

    def run(self, sql, fmt="TabSeparated"):
        return self.session.query(sql, fmt)

    def fresh(self, dims):
        cols = "".join(f", `{d}` Nullable(String)" for d in dims)
        self.run("DROP TABLE IF EXISTS usage")
        self.run(
            "CREATE TABLE usage (account Nullable(String), time Nullable(DateTime('UTC')), plan Nullable(String), "
            f"product Nullable(String), quantity Nullable(Decimal(38, 9)), unit Nullable(String){cols}) ENGINE = Memory"
        )

    def run_script(self, script):
        # One statement at a time: the script's statements end a line with `;`.
        for stmt in script.split(";\n"):
            body = "\n".join(l for l in stmt.splitlines() if not l.startswith("--")).strip().rstrip(";")
            if body:
                self.run(body)

    def load(self, csv_path, dims):
        raw = "".join(f", `{d}` Nullable(String)" for d in dims)
        cols = "".join(f", NULLIF(`{d}`, '')" for d in dims)
        self.run("TRUNCATE TABLE usage")
        self.run(
            "INSERT INTO usage SELECT NULLIF(account, ''), "
            "parseDateTimeBestEffortOrNull(NULLIF(replace(time, 'Z', ''), ''), 'UTC'), NULLIF(plan, ''), NULLIF(product, ''), "
            f"CAST(NULLIF(trim(quantity), '') AS Nullable(Decimal(38, 9))), NULLIF(trim(unit), ''){cols} "
            f"FROM file('{csv_path}', 'CSVWithNames', 'account Nullable(String), time Nullable(String), plan Nullable(String), "
            f"product Nullable(String), quantity Nullable(String), unit Nullable(String){raw}')"
        )

    def rows(self, sql):
        return base.gen.tsv_rows(self.run(sql).bytes().decode(), unescape=True)

    def quote(self, name):
        return f"`{name}`"


@pytest.fixture(scope="module")
def engine():
    pytest.importorskip("chdb")
    return ClickHouseEngine()


STATS = collections.Counter()


@pytest.mark.parametrize("book", base.BUNDLED, ids=[os.path.relpath(b, base.ROOT) for b in base.BUNDLED])
def test_bundled_book_on_clickhouse(book, engine):
    base.run_book(book, ROWS, seed=hash(os.path.basename(book)) & 0xFFFF, stats=STATS, engine=engine)


def test_versions_by_date_on_clickhouse(engine):
    base.run_versions(STATS, engine=engine)


def test_large_quantities_on_clickhouse(engine):
    base.check_large_quantities(engine)


def test_zz_report():
    print(f"\nClickHouse vs rate: {dict(STATS)}")
