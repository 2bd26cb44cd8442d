"""The differential test of test_duckdb.py on Spark in local mode: the script
`pricebook compile --target sql --dialect spark` emits, run by Spark SQL over random usage,
against `pricebook rate`, for every bundled book and Hedra's versions by date. Run by .ci/sql
(`pip install pyspark`, Java 17; 3,000 rows a book) and, larger, by .ci/sql-spark.
`PRICEBOOK_SQL_SPARK_ROWS` rows per bundled book (default 20,000)."""
import collections
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import test_duckdb as base  # noqa: E402

ROWS = int(os.environ.get("PRICEBOOK_SQL_SPARK_ROWS", "20000"))


class SparkEngine:
    dialect = "spark"
    text = "STRING"

    def __init__(self):
        from pyspark.sql import SparkSession

        self.spark = (
            SparkSession.builder.master("local[2]")
            .appName("pricebook-sql")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            # No progress bars in CI's log.
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.driver.memory", os.environ.get("PRICEBOOK_SQL_SPARK_MEMORY", "4g"))
            # A short run on few cores: the JIT's first tier only and the serial collector
            # start and warm up sooner (about a sixth off the whole run on 2 cores).
            .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")
        self.script = None

    def fresh(self, dims):
        cols = "".join(f", CAST(NULL AS STRING) AS `{d}`" for d in dims)
        self.spark.sql(
            "CREATE OR REPLACE TEMPORARY VIEW usage AS SELECT CAST(NULL AS STRING) AS account, CAST(NULL AS TIMESTAMP) AS time, "
            f"CAST(NULL AS STRING) AS plan, CAST(NULL AS STRING) AS product, CAST(NULL AS DECIMAL(38, 9)) AS quantity, CAST(NULL AS STRING) AS unit{cols} LIMIT 0"
        )

    def run_script(self, script):
        # The views read `usage` by name when queried, so the script's views stay right for each
        # `usage` loaded after them: run once per script (creating them takes Spark a second).
        if script == self.script:
            return
        # One statement at a time: the script's statements end a line with `;`.
        for stmt in script.split(";\n"):
            body = "\n".join(l for l in stmt.splitlines() if not l.startswith("--")).strip()
            if body:
                self.spark.sql(body)
        self.script = script

    def load(self, csv_path, dims):
        df = self.spark.read.option("header", True).option("quote", '"').csv(csv_path)
        df.createOrReplaceTempView("usage_csv")
        cols = "".join(f", `{d}`" for d in dims)
        self.spark.sql(
            "CREATE OR REPLACE TEMPORARY VIEW usage AS SELECT account, CAST(NULLIF(replace(time, 'Z', ''), '') AS TIMESTAMP) AS time, plan, product, "
            f"CAST(NULLIF(trim(quantity), '') AS DECIMAL(38, 9)) AS quantity, NULLIF(trim(unit), '') AS unit{cols} FROM usage_csv"
        )

    def rows(self, sql):
        return [tuple(r) for r in self.spark.sql(sql).collect()]

    def quote(self, name):
        return f"`{name}`"


@pytest.fixture(scope="module")
def engine():
    return SparkEngine()


STATS = collections.Counter()


@pytest.mark.parametrize("book", base.BUNDLED, ids=[os.path.relpath(b, base.ROOT) for b in base.BUNDLED])
def test_bundled_book_on_spark(book, engine):
    base.run_book(book, ROWS, seed=hash(os.path.basename(book)) & 0xFFFF, stats=STATS, engine=engine)


def test_versions_by_date_on_spark(engine):
    base.run_versions(STATS, engine=engine)


def test_large_quantities_on_spark(engine):
    base.check_large_quantities(engine)


def test_zz_report():
    print(f"\nSpark SQL vs rate: {dict(STATS)}")
