//! The SQL engines the compiler writes for, and what each spells differently: integer and text
//! types, exact integer division, turning minor units into a decimal, normalising a name, the
//! calendar month of a time, and literal relations.
//!
//! Every number the script computes is an integer (quantities in ticks, charges in minor units)
//! of [`Dialect::int_type`]; the only decimals are the results, made from integers without a
//! division, so no engine's decimal-division rules (Spark's precision loss, DuckDB's
//! DECIMAL / DECIMAL -> DOUBLE) are ever in play.

/// A SQL engine the rating table compiles to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Dialect {
    Duckdb,
    Spark,
    Postgres,
    Clickhouse,
    Bigquery,
}

impl Dialect {
    /// The name `--dialect` takes.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Duckdb => "duckdb",
            Dialect::Spark => "spark",
            Dialect::Postgres => "postgres",
            Dialect::Clickhouse => "clickhouse",
            Dialect::Bigquery => "bigquery",
        }
    }

    /// Every dialect, in `--dialect`'s order.
    pub fn all() -> [Dialect; 5] {
        [
            Dialect::Duckdb,
            Dialect::Spark,
            Dialect::Postgres,
            Dialect::Clickhouse,
            Dialect::Bigquery,
        ]
    }

    /// Reads a `--dialect` name.
    pub fn parse(name: &str) -> Option<Dialect> {
        Dialect::all().into_iter().find(|d| d.name() == name)
    }

    /// The exact integer type every computation runs in: 38 decimal digits (DuckDB's and
    /// ClickHouse's 128-bit integers hold them; the others' DECIMAL(38, 0)).
    pub fn int_type(self) -> &'static str {
        match self {
            Dialect::Duckdb => "HUGEINT",
            Dialect::Spark => "DECIMAL(38, 0)",
            Dialect::Postgres => "NUMERIC(38, 0)",
            Dialect::Clickhouse => "Int128",
            Dialect::Bigquery => "BIGNUMERIC",
        }
    }

    /// What ends each stage's subquery of the rating ([`super::script`]). Postgres pulls a
    /// subquery up into the query that reads it, copying each of its expressions into every
    /// expression of the outer query that names its column: through the rating's dozen stages
    /// the copies multiply, and a `SELECT *` of `rated_usage` over 2,000 rows of HeyGen's API
    /// book used 24 GB and was killed (selecting the rejections took 20 s). `OFFSET 0` keeps a
    /// stage a subquery of its own, each expression computed once a row (0.13 s); the price is
    /// that a filter on the views is no longer pushed down to `usage`, so filter that instead.
    pub(crate) fn stage_end(self) -> &'static str {
        match self {
            Dialect::Postgres => "\nOFFSET 0",
            _ => "",
        }
    }

    /// A decimal with `scale` places: what results are shown in.
    pub fn decimal_type(self, scale: u32) -> String {
        match self {
            Dialect::Postgres => format!("NUMERIC(38, {scale})"),
            // Nullable: a cast of NULL (a rejected row's figure) to a plain type is an error.
            Dialect::Clickhouse => format!("Nullable(Decimal(38, {scale}))"),
            // BIGNUMERIC whatever the scale: NUMERIC has 9 places but only 29 digits before the
            // point, short of the 38 a charge or its money equivalent may have.
            Dialect::Bigquery => "BIGNUMERIC".to_string(),
            _ => format!("DECIMAL(38, {scale})"),
        }
    }

    /// A usage quantity rounded to 9 places, in a type whose product with 10^9 (the quantity in
    /// nanos) holds every quantity the script prices: a row with more places is a bad line.
    pub fn nine_places(self, x: &str) -> String {
        match self {
            // A NUMERIC quantity (29 digits before the point) times 10^9 overflows from 10^20 on;
            // BIGNUMERIC holds the product, and ROUND keeps it exact.
            Dialect::Bigquery => format!("ROUND(CAST({x} AS BIGNUMERIC), 9)"),
            _ => self.cast(x, &self.decimal_type(9)),
        }
    }

    /// A usage quantity (not negative, within the script's bound) in nanos of its unit, exactly,
    /// as the script's integer type.
    pub fn nanos(self, x: &str) -> String {
        let q = self.nine_places(x);
        let int = self.int_type();
        match self {
            Dialect::Bigquery => format!("CAST({q} * 1000000000 AS {int})"),
            // Spark types `q - FLOOR(q)` DECIMAL(40, 9) and, past 38 digits, drops places to keep
            // the whole ones (DECIMAL(38, 7)): two of the nine would be lost. The remainder by 1
            // is DECIMAL(19, 9), exact.
            Dialect::Spark => format!(
                "CAST(FLOOR({q}) AS {int}) * 1000000000 + CAST(MOD({q}, 1) * 1000000000 AS {int})"
            ),
            // The whole part and the nine places apart: the quantity's DECIMAL(38, 9) holds 29
            // digits before the point, so its product with 10^9 overflows from 10^20 on, and
            // the bound admits quantities up to 10^22 and more. (FLOOR, not TRUNC: Spark's
            // TRUNC is for dates; the two agree on a quantity that is not negative.)
            _ => format!(
                "CAST(FLOOR({q}) AS {int}) * 1000000000 + CAST(({q} - FLOOR({q})) * 1000000000 AS {int})"
            ),
        }
    }

    pub fn text_type(self) -> &'static str {
        match self {
            Dialect::Duckdb => "VARCHAR",
            Dialect::Spark | Dialect::Bigquery => "STRING",
            Dialect::Postgres => "TEXT",
            Dialect::Clickhouse => "Nullable(String)",
        }
    }

    pub fn bool_type(self) -> &'static str {
        match self {
            Dialect::Bigquery => "BOOL",
            Dialect::Clickhouse => "Bool",
            _ => "BOOLEAN",
        }
    }

    pub fn date_type(self) -> &'static str {
        match self {
            Dialect::Clickhouse => "Nullable(Date)",
            _ => "DATE",
        }
    }

    /// The type of `COUNT(*)`: what a sum of counts is cast back to.
    pub fn count_type(self) -> &'static str {
        match self {
            Dialect::Clickhouse => "UInt64",
            Dialect::Bigquery => "INT64",
            _ => "BIGINT",
        }
    }

    /// The nullable form of an integer column's type.
    pub fn int_column(self) -> String {
        match self {
            Dialect::Clickhouse => "Nullable(Int128)".to_string(),
            _ => self.int_type().to_string(),
        }
    }

    /// `CAST(x AS t)`.
    pub fn cast(self, x: &str, t: &str) -> String {
        format!("CAST({x} AS {t})")
    }

    /// An integer literal of [`int_type`](Self::int_type), exact whatever its size.
    pub fn int(self, v: i128) -> String {
        if v.unsigned_abs() < 1 << 31 {
            format!("CAST({v} AS {})", self.int_type())
        } else {
            format!("CAST('{v}' AS {})", self.int_type())
        }
    }

    /// An integer literal in a row of values (typed by its column's cast).
    pub fn int_value(self, v: i128) -> String {
        if v.unsigned_abs() < 1 << 31 {
            v.to_string()
        } else {
            format!("CAST('{v}' AS {})", self.int_type())
        }
    }

    /// Floor division of non-negative integers, exactly.
    pub fn idiv(self, a: &str, b: &str) -> String {
        match self {
            Dialect::Duckdb => format!("(({a}) // ({b}))"),
            Dialect::Postgres => format!("div(({a}), ({b}))"),
            Dialect::Clickhouse => format!("intDiv(({a}), ({b}))"),
            Dialect::Bigquery => format!("DIV(({a}), ({b}))"),
            // Spark has no exact integer division of DECIMAL(38, 0): its quotient of
            // non-negative integers is rounded half up to 6 places, so its floor is the true one
            // or one more (never less); one step back fixes it, checked by exact multiplication.
            Dialect::Spark => {
                let q0 = format!("CAST(FLOOR(({a}) / ({b})) AS DECIMAL(38, 0))");
                format!("({q0} - CASE WHEN {q0} * ({b}) > ({a}) THEN 1 ELSE 0 END)")
            }
        }
    }

    /// An integer count of `10^-scale` as a decimal of that scale, without a division.
    pub fn minor_to_decimal(self, x: &str, scale: u32) -> String {
        let t = self.decimal_type(scale);
        match self {
            // Multiplying by an exact decimal literal keeps every digit in these engines.
            Dialect::Duckdb | Dialect::Postgres => {
                let unit = decimal_literal(scale);
                format!(
                    "CAST(CAST({x} AS DECIMAL(38, 0)) * CAST('{unit}' AS DECIMAL(38, {scale})) AS {t})"
                )
            }
            Dialect::Clickhouse => format!(
                "CAST(toDecimal128({x}, 0) * toDecimal128('{}', {scale}) AS {t})",
                decimal_literal(scale)
            ),
            // Spark's decimal multiplication may drop places past 6: build the decimal from its
            // digits instead, which its cast reads exactly.
            Dialect::Spark | Dialect::Bigquery => {
                format!("CAST(CONCAT(CAST({x} AS STRING), 'E-{scale}') AS {t})")
            }
        }
    }

    /// A written name reduced to what the library compares: ASCII letters and digits, lower
    /// case (`Video Generation` and `video-generation` are one name).
    pub fn name_key(self, x: &str) -> String {
        match self {
            Dialect::Duckdb | Dialect::Postgres => {
                format!("lower(regexp_replace(COALESCE({x}, ''), '[^A-Za-z0-9]', '', 'g'))")
            }
            Dialect::Spark | Dialect::Bigquery => {
                format!("lower(regexp_replace(COALESCE({x}, ''), '[^A-Za-z0-9]', ''))")
            }
            Dialect::Clickhouse => {
                format!("lower(replaceRegexpAll(COALESCE({x}, ''), '[^A-Za-z0-9]', ''))")
            }
        }
    }

    /// A decimal with a fractional part as text without trailing zeros (`1.500000000` ->
    /// `1.5`); only ever asked of a fractional quantity, so a decimal point stays.
    pub fn decimal_text(self, x: &str) -> String {
        match self {
            Dialect::Clickhouse => format!("replaceRegexpOne(toString({x}), '0+$', '')"),
            _ => format!("regexp_replace({}, '0+$', '')", self.text(x)),
        }
    }

    /// Text as SQL sees it (`||` concatenates in every dialect but ClickHouse, which also has it).
    pub fn text(self, x: &str) -> String {
        match self {
            Dialect::Spark | Dialect::Bigquery => format!("CAST({x} AS STRING)"),
            Dialect::Clickhouse => format!("toString({x})"),
            _ => format!("CAST({x} AS VARCHAR)"),
        }
    }

    /// The calendar month (UTC) of a timestamp: the billing period tiers and caps count.
    pub fn month_of(self, t: &str) -> String {
        match self {
            Dialect::Duckdb | Dialect::Postgres => format!("date_trunc('month', {t})"),
            Dialect::Spark => format!("date_trunc('MM', {t})"),
            Dialect::Clickhouse => format!("toStartOfMonth({t})"),
            Dialect::Bigquery => format!("TIMESTAMP_TRUNC({t}, MONTH)"),
        }
    }

    /// The day of a timestamp (UTC): which version is in force.
    pub fn day_of(self, t: &str) -> String {
        match self {
            Dialect::Clickhouse => format!("toDate({t})"),
            Dialect::Bigquery => format!("DATE({t})"),
            _ => format!("CAST({t} AS DATE)"),
        }
    }

    /// A date literal.
    pub fn date(self, d: &str) -> String {
        match self {
            Dialect::Clickhouse => format!("toDate('{d}')"),
            _ => format!("DATE '{d}'"),
        }
    }

    /// A text literal.
    pub fn string(self, s: &str) -> String {
        match self {
            // BigQuery and Spark read backslashes in literals as escapes.
            Dialect::Spark | Dialect::Bigquery | Dialect::Clickhouse => {
                format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
            }
            _ => format!("'{}'", s.replace('\'', "''")),
        }
    }

    /// What a `LEFT JOIN` reads of `table`: a subquery of the `columns` used, each named as the
    /// query above it uses it (`id AS pb_plan_id`). ClickHouse renames a column of the left
    /// side's `t.*` that the right side also has (`u1.product` beside
    /// `pricebook_products.product`), so a later step could not name it; and Spark's constraint
    /// propagation copies a filter's constraints through every projection above a join that
    /// renames a column the filter names, doubling them per such column (a query over the views
    /// with a filter and a join or aggregation took minutes to plan, or ran out of memory).
    pub fn joined(self, table: &str, columns: &[String]) -> String {
        format!("(SELECT {} FROM {table})", columns.join(", "))
    }

    /// A quoted identifier (a dimension's column).
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark | Dialect::Bigquery | Dialect::Clickhouse => {
                format!("`{}`", name.replace('`', ""))
            }
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// Creates a table (or, in Spark, a temporary view) named `name` holding `rows`.
    pub fn create_relation(
        self,
        name: &str,
        columns: &[(String, String)],
        rows: &[Vec<String>],
    ) -> String {
        let casts: Vec<String> = columns
            .iter()
            .map(|(c, t)| format!("CAST({c} AS {t}) AS {c}"))
            .collect();
        let names: Vec<&str> = columns.iter().map(|(c, _)| c.as_str()).collect();
        let body = if rows.is_empty() {
            let nulls: Vec<String> = columns
                .iter()
                .map(|(c, t)| format!("CAST(NULL AS {t}) AS {c}"))
                .collect();
            format!("SELECT {} LIMIT 0", nulls.join(", "))
        } else {
            match self {
                // A typed array: each row's values are coerced to the columns' types. An
                // untyped one gives a column whose every value is NULL the type INT64, which
                // BigQuery will not cast to DATE (`Invalid cast from INT64 to DATE`).
                Dialect::Bigquery => {
                    let fields: Vec<String> =
                        columns.iter().map(|(c, t)| format!("{c} {t}")).collect();
                    let structs: Vec<String> = rows
                        .iter()
                        .map(|r| format!("STRUCT({})", r.join(", ")))
                        .collect();
                    format!(
                        "SELECT {} FROM UNNEST(ARRAY<STRUCT<{}>>[\n  {}\n])",
                        names.join(", "),
                        fields.join(", "),
                        structs.join(",\n  ")
                    )
                }
                _ => {
                    let values: Vec<String> =
                        rows.iter().map(|r| format!("({})", r.join(", "))).collect();
                    format!(
                        "SELECT {} FROM (VALUES\n  {}\n) AS t({})",
                        casts.join(", "),
                        values.join(",\n  "),
                        names.join(", ")
                    )
                }
            }
        };
        match self {
            Dialect::Duckdb | Dialect::Bigquery => {
                format!("CREATE OR REPLACE TABLE {name} AS\n{body};\n")
            }
            Dialect::Spark => format!("CREATE OR REPLACE TEMPORARY VIEW {name} AS\n{body};\n"),
            Dialect::Postgres => {
                format!("DROP TABLE IF EXISTS {name} CASCADE;\nCREATE TABLE {name} AS\n{body};\n")
            }
            Dialect::Clickhouse => format!(
                "DROP TABLE IF EXISTS {name};\nCREATE TABLE {name} ENGINE = Memory AS\n{body};\n"
            ),
        }
    }

    /// `CREATE OR REPLACE VIEW` (a temporary view in Spark, whose catalog may have no database).
    pub fn create_view(self, name: &str, body: &str) -> String {
        match self {
            Dialect::Spark => format!("CREATE OR REPLACE TEMPORARY VIEW {name} AS\n{body};\n"),
            Dialect::Postgres => {
                format!("DROP VIEW IF EXISTS {name} CASCADE;\nCREATE VIEW {name} AS\n{body};\n")
            }
            _ => format!("CREATE OR REPLACE VIEW {name} AS\n{body};\n"),
        }
    }
}

/// `0.01` for 2 places, `1` for none.
fn decimal_literal(scale: u32) -> String {
    match scale {
        0 => "1".to_string(),
        s => format!("0.{}1", "0".repeat(s as usize - 1)),
    }
}
