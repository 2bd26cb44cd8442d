"""The differential test of test_duckdb.py on GoogleSQL, BigQuery's dialect: the script `pricebook
compile --target sql --dialect bigquery` emits, checked by ZetaSQL's analyzer and run by ZetaSQL's
reference implementation, against `pricebook rate`.

ZetaSQL is Google's open-source implementation of GoogleSQL, BigQuery's SQL dialect: its parser
and analyzer (names, types, implicit casts, function signatures) and a reference implementation
that evaluates a query as the language defines it (what its compliance tests hold engines to).
It is not BigQuery: BigQuery's limits (query size, complexity) and anything BigQuery does
differently from the reference are not tested here. Its "local service" is a gRPC server; the npm package `@fivetrandevelopers/zetasql` ships a Linux x86-64 build of it
(`lib/zetasql/remote_server.so`, an executable) and its protos. `PRICEBOOK_ZETASQL` is the
unpacked package (the directory holding `lib/`); the protos are compiled here with grpcio-tools.

What runs the script (`ZetaEngine`), since the service evaluates one query at a time over tables
whose rows it is given: every statement of the script is first analyzed as written (`Analyze`:
the `CREATE OR REPLACE TABLE ... AS` and `CREATE OR REPLACE VIEW ... AS` statements themselves,
with a catalog holding `usage` and the relations created before them), then a table's `SELECT`
is evaluated (`EvaluateQuery`) and its rows kept as the table's content, and a view is kept as
its text: a query of the views is sent as `WITH view AS (its body), ... query`, with `usage` and
the tables as table content. That rewriting of the script into queries is this test's, not the
compiler's: the compiler writes the script BigQuery runs.

The language: GoogleSQL as BigQuery has it (product mode external: no INT32, UINT64 or
DOUBLE) with only the optional features listed in `FEATURES` for the script's statements (and
`QUERY_FEATURES` for this test's queries), each one BigQuery has, so a type, function or
construct BigQuery lacks is an analyzer error here too.

`usage` is typed as BigQuery holds it: STRING text, TIMESTAMP time, NUMERIC quantity (9 places,
the contract's decimal; BIGNUMERIC in one test). The default time zone is UTC, as BigQuery's.

Books: every bundled book (`PRICEBOOK_SQL_BQ_ROWS` rows each, default 2,000), Hedra's versions by
date (as many a version), and the differential test's generated books when
`PRICEBOOK_SQL_BOOKS_DIR` has them (`PRICEBOOK_SQL_BQ_GEN_ROWS` rows each, default 200): the
reference implementation is written to be obviously right, not fast, and each query costs it a
tenth of a second to prepare. Run by .ci/sql.
"""
import collections
import datetime
import glob
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import test_duckdb as base  # noqa: E402


def allow_deep_messages():
    """The analyzer's answer is the statement's resolved tree, one message a level, and a view's
    steps nest as subqueries (so that Spark can plan them): past protobuf's default limit of 100
    nested messages for the generated books' views. Lift the limit for whichever implementation
    of protobuf is installed."""
    from google.protobuf.internal import api_implementation

    kind = api_implementation.Type()
    if kind == "upb":
        from google._upb import _message

        _message.SetAllowOversizeProtos(True)
    elif kind == "python":
        from google.protobuf.internal import decoder

        decoder.SetRecursionLimit(10_000)
    else:
        api_implementation._c_module.SetAllowOversizeProtos(True)

ROWS = int(os.environ.get("PRICEBOOK_SQL_BQ_ROWS", "2000"))
GEN_ROWS = int(os.environ.get("PRICEBOOK_SQL_BQ_GEN_ROWS", "200"))
ZETASQL = os.environ.get("PRICEBOOK_ZETASQL", "")

# The language features the script's statements are analyzed with: each is a BigQuery feature.
FEATURES = [
    "FEATURE_NUMERIC_TYPE",  # NUMERIC
    "FEATURE_BIGNUMERIC_TYPE",  # BIGNUMERIC
    "FEATURE_ANALYTIC_FUNCTIONS",  # window functions (tiers and caps over the period)
]
# And what this test's own queries add (BigQuery has them too).
QUERY_FEATURES = FEATURES + [
    "FEATURE_V_1_1_WITH_ON_SUBQUERY",  # a view's WITH inside this test's WITH
    "FEATURE_V_1_3_FORMAT_IN_CAST",  # CAST(time AS STRING FORMAT ...)
]

STATEMENT = re.compile(r"CREATE OR REPLACE (TABLE|VIEW) (\w+) AS\n(.*)", re.S)


class ZetaEngine:
    dialect = "bigquery"
    # How the harness reads a time back: as written in the CSV, without BigQuery's `+00`.
    text = "STRING FORMAT 'YYYY-MM-DD HH24:MI:SS'"

    def __init__(self, package, work):
        import grpc
        from grpc_tools import protoc

        protos = os.path.join(package, "lib/zetasql/protos")
        out = os.path.join(work, "gen")
        os.makedirs(out)
        include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
        files = [os.path.relpath(p, protos) for p in glob.glob(os.path.join(protos, "**/*.proto"), recursive=True)]
        rc = protoc.main(["protoc", f"-I{protos}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}"] + files)
        assert rc == 0, "protoc failed on ZetaSQL's protos"
        sys.path.insert(0, out)
        allow_deep_messages()
        import local_service_pb2 as ls
        import local_service_pb2_grpc as lsg
        from zetasql.proto import options_pb2 as aopts
        from zetasql.proto import simple_catalog_pb2 as cat
        from zetasql.public import options_pb2 as opts
        from zetasql.public import type_pb2 as types

        self.ls, self.cat, self.types = ls, cat, types

        def options(features):
            lang = aopts.LanguageOptionsProto(
                product_mode=opts.PRODUCT_EXTERNAL,
                enabled_language_features=[opts.LanguageFeature.Value(f) for f in features],
                supported_statement_kinds=[38, 40, 41],  # query, CREATE TABLE AS SELECT, CREATE VIEW
            )
            # The catalog's built-in functions follow the same options.
            functions = aopts.ZetaSQLBuiltinFunctionOptionsProto(language_options=lang)
            return aopts.AnalyzerOptionsProto(language_options=lang, default_timezone="UTC"), functions

        self.script_options = options(FEATURES)
        self.query_options = options(QUERY_FEATURES)
        self.scripts = {}
        self.stats = collections.Counter()
        # NUMERIC (9 places, the contract's decimal) or BIGNUMERIC (38 places, 38 digits before
        # the point) for the usage table's quantity.
        self.quantity_type = "NUMERIC"
        # The server, on loopback, last: nothing after it can fail without stopping it.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.log = open(os.path.join(work, "zetasql.log"), "w")
        self.server = subprocess.Popen(
            [os.path.join(package, "lib/zetasql/remote_server.so"), "127.0.0.1", str(port)],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        limit = 512 * 1024 * 1024
        self.channel = grpc.insecure_channel(
            f"127.0.0.1:{port}", options=[("grpc.max_send_message_length", limit), ("grpc.max_receive_message_length", limit)]
        )
        try:
            grpc.channel_ready_future(self.channel).result(timeout=60)
        except BaseException:
            self.stop()
            raise
        self.stub = lsg.ZetaSqlLocalServiceStub(self.channel)

    def stop(self):
        self.channel.close()
        self.server.terminate()
        self.server.wait(timeout=30)
        self.log.close()

    # -- the catalog: usage, the tables (name -> (columns, rows)) and the views (name -> body)

    def fresh(self, dims):
        t = self.types
        s = t.TypeProto(type_kind=t.TYPE_STRING)
        cols = [("account", s), ("time", t.TypeProto(type_kind=t.TYPE_TIMESTAMP)), ("plan", s), ("product", s),
                ("quantity", t.TypeProto(type_kind=t.TypeKind.Value("TYPE_" + self.quantity_type))), ("unit", s)] + [(d, s) for d in dims]
        self.tables = {"usage": (cols, [])}
        self.views = {}

    def catalog(self, functions, with_rows):
        c = self.cat.SimpleCatalogProto(name="pricebook", builtin_function_options=functions)
        contents = {}
        for name, (cols, rows) in self.tables.items():
            t = c.table.add(name=name)
            for n, ty in cols:
                t.column.add(name=n, type=ty)
            if with_rows:
                contents[name] = self.ls.TableContent(table_data=self.ls.TableData(row=rows))
        return c, contents

    def analyze(self, stmt):
        options, functions = self.script_options
        c, _ = self.catalog(functions, False)
        start = time.monotonic()
        res = self.stub.Analyze(self.ls.AnalyzeRequest(options=options, simple_catalog=c, sql_statement=stmt))
        self.stats["analyze_s"] += time.monotonic() - start
        return res.resolved_statement

    def evaluate(self, sql):
        options, functions = self.query_options
        c, contents = self.catalog(functions, True)
        req = self.ls.EvaluateQueryRequest(sql=sql, options=options, simple_catalog=c)
        for name, content in contents.items():
            req.table_content[name].CopyFrom(content)
        start = time.monotonic()
        res = self.stub.EvaluateQuery(req)
        self.stats["evaluate_s"] += time.monotonic() - start
        return [(col.name, col.type) for col in res.prepared.columns], list(res.content.table_data.row)

    def with_views(self, sql):
        """`sql` with the views it reads (and those they read) as WITH entries, in the script's order."""
        need, todo = set(), [sql]
        while todo:
            text = todo.pop()
            for v, body in self.views.items():
                if v not in need and re.search(rf"\b{v}\b", text):
                    need.add(v)
                    todo.append(body)
        if not need:
            return sql
        entries = ",\n".join(f"{v} AS (\n{body}\n)" for v, body in self.views.items() if v in need)
        return f"WITH {entries}\n{sql}"

    def run_script(self, script):
        # The script's tables never read `usage`, so one run of a script (for a type of
        # quantity) serves every fresh().
        usage = self.tables["usage"]
        key = (script, self.quantity_type)
        if key not in self.scripts:
            for stmt in script.split(";\n"):
                body = "\n".join(l for l in stmt.splitlines() if not l.startswith("--")).strip().rstrip(";")
                if not body:
                    continue
                m = STATEMENT.fullmatch(body)
                assert m, f"a statement this test does not run: {body[:200]}"
                kind, name, query = m.groups()
                try:
                    resolved = self.analyze(body)
                except Exception as e:
                    raise AssertionError(f"ZetaSQL's analyzer rejects `{name}`: {details(e)}") from None
                if kind == "TABLE":
                    assert not re.search(r"\b(FROM|JOIN)\s+usage\b", query), f"table `{name}` reads usage"
                    self.tables[name] = self.run_query(query, name)
                else:
                    self.views[name] = query
                    # The view's columns as the analyzer typed them, for the statements after it.
                    view = resolved.resolved_create_statement_node.resolved_create_view_base_node
                    out = view.resolved_create_view_stmt_node.parent.output_column_list
                    self.tables[name] = ([(c.name, c.column.type) for c in out], [])
            self.scripts = {key: (dict(self.tables), dict(self.views))}
        tables, views = self.scripts[key]
        self.tables = {**tables, "usage": usage}
        self.views = dict(views)
        for v in views:
            self.tables.pop(v, None)

    def run_query(self, sql, what):
        try:
            return self.evaluate(self.with_views(sql))
        except Exception as e:
            raise AssertionError(f"ZetaSQL cannot evaluate `{what}`: {details(e)}") from None

    def load(self, csv_path, dims):
        import csv

        cols, _ = self.tables["usage"]
        rows = []
        with open(csv_path, newline="") as f:
            r = csv.reader(f)
            header = next(r)
            for rec in r:
                v = dict(zip(header, rec))
                row = self.ls.TableData.Row()
                for name, _ in cols:
                    cell = row.cell.add()
                    x = (v.get(name) or "").strip() if name in ("quantity", "unit") else v.get(name) or ""
                    if x == "":
                        continue  # NULL
                    if name == "time":
                        t = datetime.datetime.strptime(x, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
                        cell.timestamp_value.seconds = int(t.timestamp())
                    elif name == "quantity" and self.quantity_type == "NUMERIC":
                        cell.numeric_value = numeric_bytes(Decimal(x), 9)
                    elif name == "quantity":
                        cell.bignumeric_value = numeric_bytes(Decimal(x), 38)
                    else:
                        cell.string_value = x
                rows.append(row)
        self.tables["usage"] = (cols, rows)

    def rows(self, sql):
        cols, rows = self.run_query(sql, sql)
        return [tuple(value(c, ty, self.types) for c, (_, ty) in zip(r.cell, cols)) for r in rows]

    def quote(self, name):
        return f"`{name}`"


def numeric_bytes(d, scale):
    """NUMERIC (scale 9) and BIGNUMERIC (38) as the service encodes them: the scaled integer,
    little-endian two's complement, in as few bytes as hold it."""
    n = int(d.scaleb(scale))
    return n.to_bytes(max(1, (n.bit_length() + 8) // 8), "little", signed=True)


def value(cell, ty, t):
    kind = cell.WhichOneof("value")
    if kind is None:
        return None
    if ty.type_kind == t.TYPE_NUMERIC:
        return Decimal(int.from_bytes(cell.numeric_value, "little", signed=True)).scaleb(-9)
    if ty.type_kind == t.TYPE_BIGNUMERIC:
        return Decimal(int.from_bytes(cell.bignumeric_value, "little", signed=True)).scaleb(-38)
    if kind == "timestamp_value":
        return datetime.datetime.fromtimestamp(cell.timestamp_value.seconds, datetime.timezone.utc)
    return getattr(cell, kind)


def details(e):
    return getattr(e, "details", lambda: str(e))() or str(e)


@pytest.fixture(scope="module")
def engine():
    if not ZETASQL:
        pytest.skip("PRICEBOOK_ZETASQL (the unpacked @fivetrandevelopers/zetasql package) is not set")
    pytest.importorskip("grpc")
    pytest.importorskip("grpc_tools")
    with tempfile.TemporaryDirectory(prefix="pricebook-zetasql-") as work:
        e = ZetaEngine(ZETASQL, work)
        yield e
        print(f"\nZetaSQL time: {dict((k, round(v, 1)) for k, v in e.stats.items())}")
        e.stop()


STATS = collections.Counter()


@pytest.mark.parametrize("book", base.BUNDLED, ids=[os.path.relpath(b, base.ROOT) for b in base.BUNDLED])
def test_bundled_book_on_zetasql(book, engine):
    base.run_book(book, ROWS, seed=hash(os.path.basename(book)) & 0xFFFF, stats=STATS, engine=engine)


def test_versions_by_date_on_zetasql(engine):
    base.run_versions(STATS, engine=engine, n=ROWS)


@pytest.mark.skipif(not base.GENERATED, reason="PRICEBOOK_SQL_BOOKS_DIR has no generated books")
def test_generated_books_on_zetasql(engine):
    for i, book in enumerate(base.GENERATED):
        base.run_book(book, GEN_ROWS, seed=i, stats=STATS, engine=engine)


@pytest.mark.parametrize("quantity_type", ["NUMERIC", "BIGNUMERIC"])
def test_large_quantities_on_zetasql(engine, quantity_type):
    """Quantities whose nanos pass NUMERIC (10^20 and up) up to the script's bound: priced as
    `pricebook rate` prices them, never an error of the whole query. Past the bound, and (in a
    BIGNUMERIC column) with more than 9 places, a quantity is a bad line of the script's own."""
    book = os.path.join(base.ROOT, "pricebooks/hedra/2024-11.pricebook")
    engine.quantity_type = quantity_type
    try:
        with tempfile.TemporaryDirectory(prefix="pricebook-sql-") as work:
            table = base.gen.compiled_table(base.CLI, book)
            script = base.compile_sql(book, os.path.join(work, "rates.sql"), "bigquery")
            bound = int(re.search(r"quantity <= CAST\('(\d+)' AS BIGNUMERIC\)", script).group(1))
            assert bound > 10**21
            header = ["account", "time", "plan", "product", "quantity", "unit"]
            row = lambda i, q: [f"acct-{i}", "2026-01-15T10:00:00Z", "creator", "video", q, ""]
            priced = [10**19, 10**20 - 1, 10**20, 10**21, bound - 1, bound]
            stats = collections.Counter()
            base.compare(book, table, script, [row(i, str(q)) for i, q in enumerate(priced)], header, work, stats, engine=engine)
            assert stats["totals"] == len(priced) and stats["sql_too_large"] == 0, stats
            odd = [str(bound + 1), str(10**28)]
            if quantity_type == "BIGNUMERIC":
                odd += ["1.0000000001", "0.00000000000000000001", str(10**30)]
            base.gen.write_rows(os.path.join(work, "odd.csv"), header, [row(i, q) for i, q in enumerate(odd)])
            base.load_usage(engine, script, os.path.join(work, "odd.csv"), [])
            got = sorted(engine.rows("SELECT CAST(quantity AS STRING), rejected, bad_line FROM rated_usage"))
            want = sorted(
                (q, f"quantity {q} " + ("has more than 9 decimals" if "." in q else "is too large for exact SQL arithmetic"), True)
                for q in odd
            )
            assert got == want, got
    finally:
        engine.quantity_type = "NUMERIC"


def test_zz_report():
    print(f"\nBigQuery (ZetaSQL) vs rate: {dict(STATS)}")
