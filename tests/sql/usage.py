"""Random usage for a compiled book, written as `pricebook rate` reads it (CSV) and loaded into
a SQL engine as the `usage` table the emitted script reads. Shared by the differential tests and
the benchmark (benches/sql_vs_rate.py)."""
import csv
import json
import random
import subprocess
import decimal
from decimal import Decimal

# Exact arithmetic on the 38-digit answers (the default context rounds to 28 digits).
decimal.getcontext().prec = 80

MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


def compiled_table(cli, book):
    """The book's rating table (JSON), as `pricebook compile` writes it."""
    out = subprocess.run([cli, "compile", book], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def _edges(product, units):
    """Quantities (base units) worth probing: steps, bounds and tier edges, and either side."""
    base = []
    r = product.get("rounding")
    if r:
        s = Decimal(r["step"])
        base += [s, s * 2, s / 2, s * 3 / 2]
    for k in ("min", "max"):
        if product.get(k):
            base.append(Decimal(product[k]["base"]))
    p = product["pricing"]
    if p["kind"] == "tiered":
        for t in p["tiers"]:
            base.append(Decimal(t["from"]))
            if t.get("to") is not None:
                base.append(Decimal(t["to"]))
    for b in (product.get("bill") or {}).values():
        if isinstance(b, dict) and "base" in b:
            base.append(Decimal(b["base"]))
    nano = Decimal("0.000000001")
    out = []
    for e in base:
        out += [e, e + nano, e - nano, e + 1, e - 1]
    return [e for e in out if e >= 0 and e < Decimal(10) ** 9]


def _text(d):
    """A decimal as a person writes it, at most 9 places."""
    d = d.quantize(Decimal("0.000000001")) if d.as_tuple().exponent < -9 else d
    s = format(d.normalize(), "f")
    return s


class Generator:
    """Rows for one table: accounts, times over six months (some missing), plans and products by
    slug or display name (sometimes unknown or left out), quantities in every unit of the measure
    near each product's edges, dimension values (sometimes left out or wrong)."""

    def __init__(self, table, seed, accounts=200, skip_products=()):
        self.t = table
        self.rng = random.Random(seed)
        self.accounts = accounts
        self.units = table["units"]
        self.dims = [d["name"] for d in table["dimensions"]]
        self.products = [p for p in table["products"] if p["slug"] not in skip_products]
        self.edges = {p["slug"]: _edges(p, self.units) for p in self.products}
        self.months = MONTHS
        # Rows of a version's window in the versions test must carry a time.
        self.no_missing_time = False

    def header(self):
        return ["account", "time", "plan", "product", "quantity", "unit"] + self.dims

    def row(self):
        rng = self.rng
        account = f"acct-{rng.randrange(self.accounts)}"
        if rng.random() < 0.05 and not self.no_missing_time:
            time = ""
        else:
            m = rng.choice(self.months)
            time = f"{m}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z"
        plans = self.t["plans"]
        r = rng.random()
        if not plans or r < 0.04:
            plan = ""
        elif r < 0.06:
            plan = "no-such-plan"
        else:
            pl = rng.choice(plans)
            plan = pl["display"] if rng.random() < 0.05 else pl["slug"]
        if not self.products or rng.random() < 0.01:
            return [account, time, plan, "no-such-product", "1", ""] + [""] * len(self.dims)
        p = rng.choice(self.products)
        product = p["display"] if rng.random() < 0.05 else p["slug"]
        measure = p["measure"]
        units = [u for u in self.units if u["dimension"] == measure]
        r = rng.random()
        if r < 0.6 or not units:
            unit, factor = "", Decimal(1)
        elif r < 0.99:
            u = rng.choice(units)
            unit, factor = u["name"], Decimal(u["factor"])
        else:
            u = rng.choice(self.units)
            unit, factor = u["name"], Decimal(u["factor"])
        r = rng.random()
        edges = self.edges[p["slug"]]
        if r < 0.3 and edges and unit == "":
            q = rng.choice(edges)
        elif r < 0.5:
            q = Decimal(rng.randint(0, 100))
        elif r < 0.7:
            q = Decimal(rng.randint(0, 10 ** 6)).scaleb(-rng.randint(0, 9))
        elif r < 0.9:
            q = Decimal(rng.randint(0, 5000)).scaleb(-rng.randint(0, 3))
        elif r < 0.995:
            q = Decimal(rng.randint(0, 10 ** 7))
        else:
            q = -Decimal(rng.randint(1, 100))
        quantity = _text(q)
        dvals = []
        used = [self.t["dimensions"][i]["name"] for i in p["dims"]]
        for i, d in enumerate(self.t["dimensions"]):
            r = rng.random()
            if d["name"] in used:
                if r < 0.9:
                    dvals.append(rng.choice(d["values"]))
                elif r < 0.98:
                    dvals.append("")
                else:
                    dvals.append("no-such-value")
            else:
                dvals.append(rng.choice(d["values"]) if r < 0.01 else "")
        return [account, time, plan, product, quantity, unit] + dvals

    def write(self, path, n):
        rows = [self.row() for _ in range(n)]
        write_rows(path, self.header(), rows)
        return rows


def write_rows(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def load_duckdb(con, path, dims, table="usage"):
    """The CSV as the `usage` table: times as TIMESTAMP (UTC), quantities as DECIMAL(38, 9)."""
    cols = ", ".join(f'"{d}"' for d in dims)
    cols = (", " + cols) if dims else ""
    con.execute(
        f"""CREATE OR REPLACE TABLE {table} AS
        SELECT account, CAST(NULLIF(replace(time, 'Z', ''), '') AS TIMESTAMP) AS time, plan, product,
               CAST(NULLIF(trim(quantity), '') AS DECIMAL(38, 9)) AS quantity, NULLIF(trim(unit), '') AS unit{cols}
        FROM read_csv('{path}', header = true, all_varchar = true, quote = '"')"""
    )


def tsv_rows(text, unescape=False):
    """An engine's tab-separated answer as tuples: `\\N` is NULL, digits are integers (counts
    and integer totals); `unescape` reads ClickHouse's backslash escapes."""
    rows = []
    for line in text.splitlines():
        vals = []
        for v in line.split("\t"):
            if v == "\\N":
                vals.append(None)
                continue
            if unescape:
                v = v.replace("\\\\", "\\")
            vals.append(int(v) if v.isdigit() else v)
        rows.append(tuple(vals))
    return rows
