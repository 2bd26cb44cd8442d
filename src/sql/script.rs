//! The script: the compiled table's relations as rows, then the views that price `usage`.
//!
//! `pricebook_rated` carries every row through the stages of a quote (names resolved, the
//! version in force, checks, `bill` bounds, rounding, the charge, period slices and caps);
//! `rated_usage` and `account_totals` are what users read. Each stage is a subquery of the one
//! before (the last outermost), every joined relation is read through a subquery that names its
//! columns as the stages use them, and `account_totals` aggregates `pricebook_rated` once, with
//! no join: the shape Spark's optimizer plans in about a second (see [`nest`]).

use super::dialect::Dialect;
use super::pricing::{
    capped_charge, capped_quantity, check_fails, event_charge, raised_charge, raised_quantity,
    round_div, rounded_quantity, tiers_price,
};
use super::rates::{KeyRow, Plan};

/// One column: its name, type and each row's literal.
struct Column<'a, R> {
    name: String,
    ty: String,
    value: Box<dyn Fn(&R) -> String + 'a>,
}

fn relation<'a, R>(d: Dialect, name: &str, columns: Vec<Column<'a, R>>, rows: &[R]) -> String {
    let heads: Vec<(String, String)> = columns
        .iter()
        .map(|c| (c.name.clone(), c.ty.clone()))
        .collect();
    let values: Vec<Vec<String>> = rows
        .iter()
        .map(|r| columns.iter().map(|c| (c.value)(r)).collect())
        .collect();
    d.create_relation(name, &heads, &values)
}

fn col<'a, R>(
    name: impl Into<String>,
    ty: impl Into<String>,
    value: impl Fn(&R) -> String + 'a,
) -> Column<'a, R> {
    Column {
        name: name.into(),
        ty: ty.into(),
        value: Box::new(value),
    }
}

fn opt_int(d: Dialect, v: Option<i128>) -> String {
    v.map_or("NULL".to_string(), |v| d.int_value(v))
}

fn opt_text(d: Dialect, v: Option<&str>) -> String {
    v.map_or("NULL".to_string(), |v| d.string(v))
}

fn boolean(v: bool) -> String {
    if v { "TRUE" } else { "FALSE" }.to_string()
}

pub(super) fn script(plan: &Plan, d: Dialect) -> String {
    let mut out = String::new();
    let first = &plan.versions[0];
    out.push_str(&format!(
        "-- pricebook: `{}` {} (price list {}), compiled to SQL for {}.\n",
        first.vendor,
        plan.versions
            .iter()
            .map(|v| v.version.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        first.list,
        d.name()
    ));
    out.push_str("-- Reads table `usage` (account, time, plan, product, quantity, unit");
    for dim in &plan.dims {
        out.push_str(&format!(", {dim}"));
    }
    out.push_str(
        "); creates pricebook_rates and the relations it resolves names with,\n-- and views rated_usage and account_totals (what `pricebook rate --by account` prints).\n",
    );
    out.push_str(&format!(
        "-- Exact: quantities are integers of 10^-{} base units, charges integers of minor units; no\n-- floating point, no decimal division.\n\n",
        plan.tick_scale
    ));
    if d == Dialect::Clickhouse {
        // A LEFT JOIN's missing side must be NULL (not 0 or ''), as the checks expect.
        out.push_str("SET join_use_nulls = 1;\n\n");
    }
    let (int, text, boolean_t) = (
        d.int_column(),
        d.text_type().to_string(),
        d.bool_type().to_string(),
    );
    out.push_str(&relation(
        d,
        "pricebook_versions",
        vec![
            col(
                "version_index",
                int.clone(),
                |v: &super::rates::VersionRow| d.int_value(v.index),
            ),
            col("vendor", text.clone(), |v: &super::rates::VersionRow| {
                d.string(&v.vendor)
            }),
            col("list", text.clone(), |v: &super::rates::VersionRow| {
                d.string(&v.list)
            }),
            col("version", text.clone(), |v: &super::rates::VersionRow| {
                d.string(&v.version)
            }),
            col(
                "effective_from",
                d.date_type(),
                |v: &super::rates::VersionRow| {
                    v.from.as_deref().map_or("NULL".into(), |x| d.date(x))
                },
            ),
            col(
                "effective_until",
                d.date_type(),
                |v: &super::rates::VersionRow| {
                    v.until.as_deref().map_or("NULL".into(), |x| d.date(x))
                },
            ),
            col(
                "source_hash",
                text.clone(),
                |v: &super::rates::VersionRow| d.string(&v.source_hash),
            ),
            col("currency", text.clone(), |v: &super::rates::VersionRow| {
                d.string(&v.currency)
            }),
        ],
        &plan.versions,
    ));
    out.push('\n');
    out.push_str(&relation(
        d,
        "pricebook_names",
        vec![
            col("version_index", int.clone(), |n: &super::rates::NameRow| {
                d.int_value(n.version)
            }),
            col("kind", text.clone(), |n: &super::rates::NameRow| {
                d.string(n.kind)
            }),
            col("name_key", text.clone(), |n: &super::rates::NameRow| {
                d.string(&n.key)
            }),
            col("id", int.clone(), |n: &super::rates::NameRow| {
                d.int_value(n.id)
            }),
        ],
        &plan.names,
    ));
    out.push('\n');
    let mut product_cols = vec![
        col(
            "version_index",
            int.clone(),
            |p: &super::rates::ProductRow| d.int_value(p.version),
        ),
        col("product_id", int.clone(), |p: &super::rates::ProductRow| {
            d.int_value(p.id)
        }),
        col("product", text.clone(), |p: &super::rates::ProductRow| {
            d.string(&p.slug)
        }),
    ];
    for i in 0..plan.dims.len() {
        product_cols.push(col(
            format!("uses_{i}"),
            boolean_t.clone(),
            move |p: &super::rates::ProductRow| boolean(p.uses[i]),
        ));
        product_cols.push(col(
            format!("fill_{i}"),
            text.clone(),
            move |p: &super::rates::ProductRow| opt_text(d, p.fills[i].as_deref()),
        ));
    }
    out.push_str(&relation(
        d,
        "pricebook_products",
        product_cols,
        &plan.products,
    ));
    out.push('\n');
    out.push_str(&relation(
        d,
        "pricebook_units",
        vec![
            col("version_index", int.clone(), |u: &super::rates::UnitRow| {
                d.int_value(u.version)
            }),
            col("product_id", int.clone(), |u: &super::rates::UnitRow| {
                d.int_value(u.product)
            }),
            col("unit_key", text.clone(), |u: &super::rates::UnitRow| {
                d.string(&u.key)
            }),
            col("unit", text.clone(), |u: &super::rates::UnitRow| {
                d.string(&u.unit)
            }),
            col(
                "ticks_per_nano",
                int.clone(),
                |u: &super::rates::UnitRow| d.int_value(u.factor),
            ),
        ],
        &plan.units,
    ));
    out.push('\n');
    out.push_str(&relation(
        d,
        "pricebook_dimension_values",
        vec![
            col(
                "version_index",
                int.clone(),
                |v: &super::rates::DimValueRow| d.int_value(v.version),
            ),
            col("dim", int.clone(), |v: &super::rates::DimValueRow| {
                d.int_value(v.dim)
            }),
            col(
                "value_key",
                text.clone(),
                |v: &super::rates::DimValueRow| d.string(&v.key),
            ),
            col("value", text.clone(), |v: &super::rates::DimValueRow| {
                d.string(&v.value)
            }),
        ],
        &plan.dim_values,
    ));
    out.push('\n');
    out.push_str(&relation(
        d,
        "pricebook_refused",
        vec![
            col("version", text.clone(), |r: &(String, super::SqlError)| {
                d.string(&r.0)
            }),
            col("product", text.clone(), |r: &(String, super::SqlError)| {
                opt_text(d, r.1.product.as_deref())
            }),
            col("code", text.clone(), |r: &(String, super::SqlError)| {
                d.string(r.1.code)
            }),
            col("reason", text.clone(), |r: &(String, super::SqlError)| {
                d.string(&r.1.message)
            }),
        ],
        &plan.refused,
    ));
    out.push('\n');
    out.push_str(&rates_relation(plan, d));
    out.push('\n');
    out.push_str(&d.create_view("pricebook_rated", &rated(plan, d)));
    out.push('\n');
    out.push_str(&d.create_view("rated_usage", &rated_usage(plan, d)));
    out.push('\n');
    out.push_str(&d.create_view("account_totals", &account_totals(plan, d)));
    out
}

/// `pricebook_rates`: one row per (version, plan, product, rate cell).
fn rates_relation(plan: &Plan, d: Dialect) -> String {
    let (int, text, b) = (
        d.int_column(),
        d.text_type().to_string(),
        d.bool_type().to_string(),
    );
    let version = |k: &KeyRow| &plan.versions[k.version as usize];
    let mut cols: Vec<Column<'_, KeyRow>> = vec![
        col("rate_id", int.clone(), move |k: &KeyRow| d.int_value(k.id)),
        col("version_index", int.clone(), move |k: &KeyRow| {
            d.int_value(k.version)
        }),
        col("vendor", text.clone(), move |k: &KeyRow| {
            d.string(&version(k).vendor)
        }),
        col("version", text.clone(), move |k: &KeyRow| {
            d.string(&version(k).version)
        }),
        col("source_hash", text.clone(), move |k: &KeyRow| {
            d.string(&version(k).source_hash)
        }),
        col("plan_id", int.clone(), move |k: &KeyRow| {
            d.int_value(k.plan)
        }),
        col("plan", text.clone(), move |k: &KeyRow| {
            d.string(&k.plan_slug)
        }),
        col("product_id", int.clone(), move |k: &KeyRow| {
            d.int_value(k.product)
        }),
        col("product", text.clone(), move |k: &KeyRow| {
            d.string(&k.product_slug)
        }),
    ];
    for i in 0..plan.dims.len() {
        cols.push(col(format!("dim_{i}"), text.clone(), move |k: &KeyRow| {
            d.string(&k.dims[i])
        }));
    }
    cols.extend([
        col("kind", text.clone(), move |k: &KeyRow| d.string(k.kind)),
        col("period_tiers", b.clone(), move |k: &KeyRow| {
            boolean(k.period_tiers)
        }),
        col("charge_unit", text.clone(), move |k: &KeyRow| {
            opt_text(d, k.charge_unit.as_deref())
        }),
        col("is_money", b.clone(), move |k: &KeyRow| boolean(k.is_money)),
        col("display_div", int.clone(), move |k: &KeyRow| {
            d.int_value(k.display_div)
        }),
        col("exact_up", int.clone(), move |k: &KeyRow| {
            d.int_value(k.exact_up)
        }),
        col("display_up", int.clone(), move |k: &KeyRow| {
            d.int_value(k.display_up)
        }),
        col("whole_ticks", int.clone(), move |k: &KeyRow| {
            opt_int(d, k.whole)
        }),
        col("base_unit", text.clone(), move |k: &KeyRow| {
            d.string(&k.base_unit)
        }),
        col("max_ticks", int.clone(), move |k: &KeyRow| {
            d.int_value(k.max_ticks)
        }),
        col("raise_quantity", int.clone(), move |k: &KeyRow| {
            opt_int(d, k.raise_quantity)
        }),
        col("cap_quantity", int.clone(), move |k: &KeyRow| {
            opt_int(d, k.cap_quantity)
        }),
        col("step", int.clone(), move |k: &KeyRow| d.int_value(k.step)),
        col("bias", int.clone(), move |k: &KeyRow| d.int_value(k.bias)),
        col("a", int.clone(), move |k: &KeyRow| {
            opt_int(d, k.rate.map(|r| r.a))
        }),
        col("b", int.clone(), move |k: &KeyRow| {
            opt_int(d, k.rate.map(|r| r.b))
        }),
    ]);
    for j in 0..plan.tiers {
        cols.push(col(format!("t{j}_from"), int.clone(), move |k: &KeyRow| {
            opt_int(d, k.tiers.get(j).map(|t| t.from))
        }));
        cols.push(col(format!("t{j}_to"), int.clone(), move |k: &KeyRow| {
            opt_int(d, k.tiers.get(j).and_then(|t| t.to))
        }));
        cols.push(col(format!("t{j}_a"), int.clone(), move |k: &KeyRow| {
            opt_int(d, k.tiers.get(j).map(|t| t.a))
        }));
        cols.push(col(format!("t{j}_b"), int.clone(), move |k: &KeyRow| {
            opt_int(d, k.tiers.get(j).map(|t| t.b))
        }));
    }
    if plan.tiers > 0 {
        cols.push(col("tl_a", int.clone(), move |k: &KeyRow| {
            opt_int(d, k.tiers.last().map(|t| t.a))
        }));
        cols.push(col("tl_b", int.clone(), move |k: &KeyRow| {
            opt_int(d, k.tiers.last().map(|t| t.b))
        }));
    }
    cols.extend([
        col("flat", int.clone(), move |k: &KeyRow| opt_int(d, k.flat)),
        col("raise_charge", int.clone(), move |k: &KeyRow| {
            opt_int(d, k.raise_charge)
        }),
        col("cap_charge", int.clone(), move |k: &KeyRow| {
            opt_int(d, k.cap_charge)
        }),
        col("cap_period", int.clone(), move |k: &KeyRow| {
            opt_int(d, k.cap_period)
        }),
        col("money_a", int.clone(), move |k: &KeyRow| {
            opt_int(d, k.money.map(|m| m.a))
        }),
        col("money_b", int.clone(), move |k: &KeyRow| {
            opt_int(d, k.money.map(|m| m.b))
        }),
    ]);
    for i in 0..plan.checks {
        let c = move |k: &KeyRow| k.checks.get(i).cloned();
        cols.push(col(format!("c{i}_lo"), int.clone(), move |k: &KeyRow| {
            opt_int(d, c(k).and_then(|c| c.lo).map(|x| x.0))
        }));
        cols.push(col(
            format!("c{i}_lo_incl"),
            b.clone(),
            move |k: &KeyRow| boolean(c(k).and_then(|c| c.lo).is_some_and(|x| x.1)),
        ));
        cols.push(col(format!("c{i}_hi"), int.clone(), move |k: &KeyRow| {
            opt_int(d, c(k).and_then(|c| c.hi).map(|x| x.0))
        }));
        cols.push(col(
            format!("c{i}_hi_incl"),
            b.clone(),
            move |k: &KeyRow| boolean(c(k).and_then(|c| c.hi).is_some_and(|x| x.1)),
        ));
        cols.push(col(
            format!("c{i}_reason"),
            text.clone(),
            move |k: &KeyRow| opt_text(d, c(k).map(|c| c.reason).as_deref()),
        ));
    }
    relation(d, "pricebook_rates", cols, &plan.keys)
}

/// The usage table's columns, as written (dimensions quoted).
fn usage_columns(plan: &Plan, d: Dialect) -> Vec<String> {
    let mut c: Vec<String> = ["account", "time", "plan", "product", "quantity", "unit"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    c.extend(plan.dims.iter().map(|n| d.ident(n)));
    c
}

/// One stage of `pricebook_rated`: its select list (the stage before's row, `{name}.*`, and
/// what it adds) and the relations it joins (`LEFT JOIN ...` lines).
struct Stage {
    name: &'static str,
    select: Vec<String>,
    joins: Vec<String>,
}

impl Stage {
    fn new(name: &'static str, select: Vec<String>) -> Stage {
        Stage {
            name,
            select,
            joins: Vec::new(),
        }
    }
}

/// The stages, each reading the one before as a subquery named after it: the last stage
/// outermost. Not a `WITH` chain: Spark gives every column of each reference to a `WITH`
/// relation a fresh alias, and its constraint propagation copies a filter's constraints through
/// each alias of a column the filter names, exponentially in the number of such columns (a
/// query over the views with a `WHERE` and a join or a second filter then took minutes to plan,
/// or ran out of memory).
/// In Postgres each subquery ends with [`Dialect::stage_end`].
fn nest(first: &str, stages: &[Stage], d: Dialect) -> String {
    let mut s = first.to_string();
    let mut inner = "u0";
    for stage in stages {
        s.push_str(d.stage_end());
        let indented: Vec<String> = s.lines().map(|l| format!("  {l}")).collect();
        let mut next = format!(
            "SELECT {}\nFROM (\n{}\n) {inner}",
            stage.select.join(", "),
            indented.join("\n")
        );
        for j in &stage.joins {
            next.push_str(&format!("\n{j}"));
        }
        s = next;
        inner = stage.name;
    }
    s
}

/// The stages of a quote over every usage row, with every intermediate kept (`pb_*`).
fn rated(plan: &Plan, d: Dialect) -> String {
    let n = plan.dims.len();
    let mut stages: Vec<Stage> = Vec::new();
    // 1. Names reduced to keys, the day and the billing period.
    let mut u0: Vec<String> = usage_columns(plan, d)
        .iter()
        .map(|c| format!("u.{c}"))
        .collect();
    u0.push(format!("{} AS pb_plan_key", d.name_key("u.plan")));
    u0.push(format!("{} AS pb_product_key", d.name_key("u.product")));
    u0.push(format!("{} AS pb_unit_key", d.name_key("u.unit")));
    for (i, dim) in plan.dims.iter().enumerate() {
        u0.push(format!(
            "{} AS pb_dk_{i}",
            d.name_key(&format!("u.{}", d.ident(dim)))
        ));
    }
    u0.push(format!("{} AS pb_period", d.month_of("u.time")));
    // The version in force on the row's day (the latest for a row without a time).
    let day = d.day_of("u.time");
    let mut version = format!(
        "CASE WHEN u.time IS NULL THEN {}",
        d.int(plan.versions.len() as i128 - 1)
    );
    for v in plan.versions.iter().rev() {
        match &v.from {
            Some(from) => version.push_str(&format!(
                " WHEN {day} >= {} THEN {}",
                d.date(from),
                d.int(v.index)
            )),
            None => version.push_str(&format!(" WHEN TRUE THEN {}", d.int(v.index))),
        }
    }
    version.push_str(" END");
    u0.push(format!("{version} AS pb_v"));
    let first = format!("SELECT {}\nFROM usage u", u0.join(",\n  "));
    // 2. Plan, product, unit and dimension values resolved. Each joined relation is read through
    //    a subquery that names what it brings as the stage does (`id AS pb_plan_id`), so no
    //    projection above a join renames a column (see `nest`).
    let names = |id: &str| {
        d.joined(
            "pricebook_names",
            &[
                "version_index".into(),
                "kind".into(),
                "name_key".into(),
                format!("id AS {id}"),
            ],
        )
    };
    let mut u1 = Stage::new(
        "u1",
        vec![
            "u0.*".to_string(),
            "pn.pb_plan_id".into(),
            "rn.pb_product_id".into(),
        ],
    );
    u1.joins = vec![
        format!(
            "LEFT JOIN {} pn ON pn.version_index = u0.pb_v AND pn.kind = 'plan' AND pn.name_key = u0.pb_plan_key",
            names("pb_plan_id")
        ),
        format!(
            "LEFT JOIN {} rn ON rn.version_index = u0.pb_v AND rn.kind = 'product' AND rn.name_key = u0.pb_product_key",
            names("pb_product_id")
        ),
    ];
    for i in 0..n {
        u1.select.push(format!("dv{i}.pb_dv_{i}"));
        let values = d.joined(
            "pricebook_dimension_values",
            &[
                "version_index".into(),
                "dim".into(),
                "value_key".into(),
                format!("value AS pb_dv_{i}"),
            ],
        );
        u1.joins.push(format!(
            "LEFT JOIN {values} dv{i} ON dv{i}.version_index = u0.pb_v AND dv{i}.dim = {} AND dv{i}.value_key = u0.pb_dk_{i}",
            d.int(i as i128)
        ));
    }
    stages.push(u1);
    let mut u2 = Stage::new("u2", vec!["u1.*".to_string(), "pu.pb_factor".into()]);
    let mut product_cols: Vec<String> = vec!["version_index".into(), "product_id".into()];
    for i in 0..n {
        u2.select.push(format!("pp.pb_uses_{i}"));
        u2.select.push(format!("pp.pb_fill_{i}"));
        product_cols.push(format!("uses_{i} AS pb_uses_{i}"));
        product_cols.push(format!("fill_{i} AS pb_fill_{i}"));
    }
    let unit_cols: Vec<String> = [
        "version_index",
        "product_id",
        "unit_key",
        "ticks_per_nano AS pb_factor",
    ]
    .iter()
    .map(|c| c.to_string())
    .collect();
    // Without dimensions a product's row brings nothing to join.
    if n > 0 {
        u2.joins.push(format!(
            "LEFT JOIN {} pp ON pp.version_index = u1.pb_v AND pp.product_id = u1.pb_product_id",
            d.joined("pricebook_products", &product_cols)
        ));
    }
    u2.joins.push(format!(
            "LEFT JOIN {} pu ON pu.version_index = u1.pb_v AND pu.product_id = u1.pb_product_id AND pu.unit_key = u1.pb_unit_key",
            d.joined("pricebook_units", &unit_cols)
    ));
    stages.push(u2);
    // 3. Lines `pricebook rate` calls bad (names it cannot resolve, quantities it cannot read).
    let txt = |x: &str| format!("COALESCE({}, '')", d.text(x));
    let vendor = d.string(&plan.versions[0].vendor);
    let max_quantity = plan.max_nanos / 1_000_000_000;
    let mut bad = vec![
        format!("WHEN pb_v IS NULL THEN 'no version of `' || {vendor} || '` is in force on ' || {}", txt(&d.day_of("time"))),
        format!("WHEN pb_product_id IS NULL THEN 'unknown product `' || {} || '`'", txt("product")),
        "WHEN pb_plan_id IS NULL AND pb_plan_key = '' THEN 'no plan given, and the book has several'".to_string(),
        format!("WHEN pb_plan_id IS NULL THEN 'unknown plan `' || {} || '`'", txt("plan")),
        "WHEN quantity IS NULL THEN 'no quantity'".to_string(),
        format!("WHEN pb_factor IS NULL THEN 'unit `' || {} || '` does not measure product `' || {} || '`'", txt("unit"), txt("product")),
    ];
    for (i, dim) in plan.dims.iter().enumerate() {
        let col = d.ident(dim);
        let name = d.string(dim);
        bad.push(format!("WHEN pb_dk_{i} <> '' AND NOT pb_uses_{i} THEN 'product `' || {} || '` is not priced by `' || {name} || '`'", txt("product")));
        bad.push(format!("WHEN pb_dk_{i} <> '' AND pb_dv_{i} IS NULL THEN 'unknown value `' || {} || '` of `' || {name} || '`'", txt(&col)));
        bad.push(format!("WHEN pb_dk_{i} = '' AND pb_uses_{i} AND pb_fill_{i} IS NULL THEN 'product `' || {} || '` needs a value of `' || {name} || '`'", txt("product")));
    }
    bad.push(format!(
        "WHEN quantity < 0 THEN 'quantity ' || {} || ' is negative'",
        txt("quantity")
    ));
    bad.push(format!(
        "WHEN quantity > {} THEN 'quantity ' || {} || ' is too large for exact SQL arithmetic'",
        d.int(max_quantity),
        txt("quantity")
    ));
    bad.push(format!(
        "WHEN {} <> quantity THEN 'quantity ' || {} || ' has more than 9 decimals'",
        d.nine_places("quantity"),
        txt("quantity")
    ));
    let mut u3 = vec![
        "u2.*".to_string(),
        format!("CASE {} END AS pb_bad", bad.join(" ")),
    ];
    for i in 0..n {
        u3.push(format!(
            "CASE WHEN pb_uses_{i} THEN COALESCE(CASE WHEN pb_dk_{i} <> '' THEN pb_dv_{i} END, pb_fill_{i}) ELSE '' END AS pb_d_{i}"
        ));
    }
    u3.push(format!(
        "CASE WHEN quantity >= 0 AND quantity <= {} THEN {} END AS pb_nanos",
        d.int(max_quantity),
        d.nanos("quantity")
    ));
    stages.push(Stage::new("u3", vec![u3.join(",\n  ")]));
    // 4. The key's row of the compiled table.
    let mut u4 = vec![
        "u3.*".to_string(),
        "r.pb_rate_id".into(),
        "r.pb_version".into(),
        "CASE WHEN u3.pb_bad IS NULL THEN u3.pb_nanos * u3.pb_factor END AS pb_q".into(),
    ];
    let mut rate_cols: Vec<String> = [
        "kind",
        "period_tiers",
        "charge_unit",
        "is_money",
        "display_div",
        "exact_up",
        "display_up",
        "whole_ticks",
        "base_unit",
        "max_ticks",
        "raise_quantity",
        "cap_quantity",
        "step",
        "bias",
        "a",
        "b",
        "flat",
        "raise_charge",
        "cap_charge",
        "cap_period",
        "money_a",
        "money_b",
    ]
    .iter()
    .map(|c| c.to_string())
    .collect();
    for j in 0..plan.tiers {
        for f in ["from", "to", "a", "b"] {
            rate_cols.push(format!("t{j}_{f}"));
        }
    }
    if plan.tiers > 0 {
        rate_cols.push("tl_a".into());
        rate_cols.push("tl_b".into());
    }
    for i in 0..plan.checks {
        for f in ["lo", "lo_incl", "hi", "hi_incl", "reason"] {
            rate_cols.push(format!("c{i}_{f}"));
        }
    }
    u4.extend(rate_cols.iter().map(|c| format!("r.pb_{c}")));
    let mut on = vec![
        "r.version_index = u3.pb_v".to_string(),
        "r.plan_id = u3.pb_plan_id".into(),
        "r.product_id = u3.pb_product_id".into(),
    ];
    on.extend((0..n).map(|i| format!("r.dim_{i} = u3.pb_d_{i}")));
    let mut read: Vec<String> = [
        "version_index",
        "plan_id",
        "product_id",
        "rate_id AS pb_rate_id",
        "version AS pb_version",
    ]
    .iter()
    .map(|c| c.to_string())
    .collect();
    read.extend((0..n).map(|i| format!("dim_{i}")));
    read.extend(rate_cols.iter().map(|c| format!("{c} AS pb_{c}")));
    let mut u4 = Stage::new("u4", u4);
    u4.joins = vec![format!(
        "LEFT JOIN {} r ON {}",
        d.joined("pricebook_rates", &read),
        on.join(" AND ")
    )];
    stages.push(u4);
    // 5. The quote's checks, in its order: whole units, availability, minimum, maximum, limits,
    //    what the price says (not offered, unpublished).
    let fractional = format!(
        "'quantity ' || {} || ' ' || pb_base_unit || ' is fractional, but `' || pb_base_unit || '` is counted in whole units'",
        d.decimal_text(&d.minor_to_decimal("pb_q", plan.tick_scale))
    );
    let mut rejected = vec![
        "WHEN pb_bad IS NOT NULL THEN pb_bad".to_string(),
        "WHEN pb_rate_id IS NULL THEN 'no rate for this plan, product and dimension values'".into(),
        format!(
            "WHEN pb_whole_ticks IS NOT NULL AND pb_q <> {} * pb_whole_ticks THEN {fractional}",
            d.idiv("pb_q", "pb_whole_ticks")
        ),
    ];
    for i in 0..plan.checks {
        rejected.push(format!(
            "WHEN {} THEN pb_c{i}_reason",
            check_fails(i, "pb_q")
        ));
    }
    // Past this the price needs more than 38 digits: as the library's overflow, after the rules.
    rejected.push(
        "WHEN pb_q > pb_max_ticks THEN 'quantity too large for exact SQL arithmetic on this rate'"
            .into(),
    );
    stages.push(Stage::new(
        "u5",
        vec![
            "u4.*".into(),
            format!("CASE {} END AS pb_rejected", rejected.join("\n    ")),
        ],
    ));
    // 6. `bill` bounds on the quantity, then block rounding; rejected rows count nothing.
    stages.push(Stage::new(
        "u6a",
        vec![
            "u5.*".into(),
            format!(
                "CASE WHEN pb_rejected IS NULL THEN {} END AS pb_qraised",
                raised_quantity("pb_q")
            ),
        ],
    ));
    stages.push(Stage::new(
        "u6",
        vec![
            "u6a.*".into(),
            format!(
                "{} AS pb_qr",
                rounded_quantity(d, &capped_quantity("pb_qraised"))
            ),
        ],
    ));
    // 7. The event's charge, in exact minor units, then its `bill` bounds.
    let zero = d.int(0);
    stages.push(Stage::new(
        "u7a",
        vec![
            "u6.*".into(),
            format!("COALESCE(pb_qr, {zero}) AS pb_adm_q"),
            format!(
                "CASE WHEN pb_rejected IS NULL AND NOT pb_period_tiers THEN {} END AS pb_event_raised",
                raised_charge(&event_charge(d, plan.tiers, "pb_qr"))
            ),
        ],
    ));
    stages.push(Stage::new(
        "u7",
        vec![
            "u7a.*".into(),
            format!("{} AS pb_event", capped_charge("pb_event_raised")),
        ],
    ));
    // 8. Tiers over the period: each event is the slice its quantity adds to the account's
    //    running total of the key in the calendar month (ordered by time, then quantity).
    let order = "ORDER BY time, pb_q ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW";
    let periods = plan.keys.iter().any(|k| k.period_tiers);
    let caps = plan.keys.iter().any(|k| k.cap_period.is_some());
    let run = if periods {
        format!("SUM(pb_adm_q) OVER (PARTITION BY account, pb_rate_id, pb_period {order})")
    } else {
        zero.clone()
    };
    stages.push(Stage::new(
        "u8",
        vec!["u7.*".into(), format!("{run} AS pb_run")],
    ));
    let slice = format!(
        "{} - {}",
        tiers_price(d, plan.tiers, "pb_run"),
        tiers_price(d, plan.tiers, "(pb_run - pb_adm_q)")
    );
    stages.push(Stage::new(
        "u9",
        vec![
            "u8.*".into(),
            format!(
                "CASE WHEN pb_rejected IS NOT NULL THEN NULL WHEN pb_period_tiers THEN {} ELSE pb_event END AS pb_uncapped",
                if periods { slice } else { zero.clone() }
            ),
        ],
    ));
    // 9. `bill at most ... per period`: each event's share of the cap over the account's
    //    charges for the product in the month.
    let crun = if caps {
        format!(
            "SUM(COALESCE(pb_uncapped, {zero})) OVER (PARTITION BY account, pb_v, pb_product_id, pb_period {order})"
        )
    } else {
        zero.clone()
    };
    stages.push(Stage::new(
        "u10",
        vec!["u9.*".into(), format!("{crun} AS pb_crun")],
    ));
    stages.push(Stage::new(
        "u11",
        vec![
            "u10.*".into(),
            "CASE WHEN pb_cap_period IS NULL OR pb_uncapped IS NULL THEN pb_uncapped ELSE LEAST(pb_cap_period, pb_crun) - LEAST(pb_cap_period, pb_crun - pb_uncapped) END AS pb_exact".into(),
        ],
    ));
    // 10. Shown: money rounded to its minor unit; the money equivalent on the plan.
    stages.push(Stage::new(
        "u12",
        vec![
            "u11.*".into(),
            format!(
                "CASE WHEN pb_display_div = 1 THEN pb_exact ELSE {} END AS pb_shown",
                round_div(d, "pb_exact", "pb_display_div")
            ),
        ],
    ));
    stages.push(Stage::new(
        "pricebook_rated",
        vec![
            "u12.*".into(),
            format!(
                "CASE WHEN pb_is_money THEN pb_shown WHEN pb_money_a IS NOT NULL THEN {} END AS pb_money",
                round_div(d, "pb_shown * pb_money_a", "pb_money_b")
            ),
        ],
    ));
    nest(&first, &stages, d)
}

/// Every usage row with its charge, or why it has none.
fn rated_usage(plan: &Plan, d: Dialect) -> String {
    let mut c = usage_columns(plan, d);
    let priced = |x: String| format!("CASE WHEN pb_rejected IS NULL THEN {x} END");
    c.push(format!(
        "{} AS charge",
        priced(format!(
            "COALESCE({}, {})",
            d.minor_to_decimal("pb_shown * pb_display_up", plan.display_scale),
            d.minor_to_decimal(&d.int(0), plan.display_scale)
        ))
    ));
    c.push(format!(
        "{} AS charge_exact",
        priced(format!(
            "COALESCE({}, {})",
            d.minor_to_decimal("pb_exact * pb_exact_up", plan.exact_scale),
            d.minor_to_decimal(&d.int(0), plan.exact_scale)
        ))
    ));
    c.push(format!(
        "{} AS charge_unit",
        priced("pb_charge_unit".into())
    ));
    c.push(format!(
        "{} AS money",
        priced(d.minor_to_decimal("pb_money", plan.money_scale))
    ));
    c.push(format!(
        "{} AS currency",
        priced(format!(
            "CASE WHEN pb_money IS NOT NULL THEN {} END",
            d.string(&plan.versions[0].currency)
        ))
    ));
    c.push("pb_version AS version".into());
    c.push("pb_rejected AS rejected".into());
    c.push("pb_bad IS NOT NULL AS bad_line".into());
    format!("SELECT {}\nFROM pricebook_rated", c.join(",\n  "))
}

/// Totals per account and unit, rounded once per total, as `pricebook rate --by account`; an
/// account whose admitted events charge nothing has one total of zero in the currency. One
/// aggregation of `pricebook_rated` and a window over its totals, not joins of aggregations:
/// the rating is computed once, and no filter sits above a join of it (see [`nest`]).
fn account_totals(plan: &Plan, d: Dialect) -> String {
    let shown = plan.display_scale;
    let amount = d.minor_to_decimal(&format!("{} * up", round_div(d, "exact", "div")), shown);
    let mut s = format!(
        "WITH sums AS (\n  SELECT account, pb_charge_unit AS charge_unit, SUM(pb_exact * pb_exact_up) AS exact, MAX(pb_display_div * pb_exact_up) AS div, MAX(pb_display_up) AS up, COUNT(*) AS n\n  FROM pricebook_rated\n  WHERE pb_rejected IS NULL\n  GROUP BY account, pb_charge_unit\n),\ntotals AS (\n  SELECT account, charge_unit, exact, div, up, CAST(SUM(n) OVER (PARTITION BY account) AS {}) AS events, COUNT(charge_unit) OVER (PARTITION BY account) AS units\n  FROM sums\n)\n",
        d.count_type()
    );
    match &plan.currency_unit {
        Some(currency) => s.push_str(&format!(
            "SELECT account, COALESCE(charge_unit, {}) AS unit, CASE WHEN charge_unit IS NULL THEN {} ELSE {amount} END AS amount, events\nFROM totals\nWHERE charge_unit IS NOT NULL OR units = 0",
            d.string(currency),
            d.minor_to_decimal(&d.int(0), shown)
        )),
        None => s.push_str(&format!(
            "SELECT account, charge_unit AS unit, {amount} AS amount, events\nFROM totals\nWHERE charge_unit IS NOT NULL"
        )),
    }
    s
}
