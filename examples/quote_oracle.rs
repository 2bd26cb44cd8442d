//! The Rust library's answers to random quotes, for the bindings' differential tests: the
//! Python and Node suites ask the same questions through their binding and require the same
//! answers, field for field.
//!
//! `cargo run --release --example quote_oracle -- BOOK COUNT SEED` writes COUNT JSON lines,
//! each a question (`plan`, `product`, `dims`, `quantity`, `at`) and the library's answer
//! (`charge` and `money`, or `rejected` with its `kind`, `reason` and `line`, or `error` with a
//! code). Questions range over every plan, product and dimension value of the book (every
//! version of a vendor's directory, by date), in every unit of each product's measure, with
//! fractional, negative and very large quantities among them.
//!
//! It answers through the facade alone (open, names, cells, base quantities, the table's exact
//! quote), not through the command line's orchestration that the bindings share.

use pricebook::{Date, Decimal, Opened, RatingTable};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// splitmix64: a small, seeded, reproducible generator (no dependency for a test oracle).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// A quantity as a person writes it: mostly whole, some with decimals, a few negative or huge.
fn random_value(rng: &mut Rng) -> String {
    match rng.below(100) {
        0..=54 => rng.below(1_200).to_string(),
        55..=84 => format!("{}.{}", rng.below(600), rng.below(1_000)),
        85..=89 => format!("0.{:03}", rng.below(1_000)),
        90..=94 => format!("-{}", 1 + rng.below(100)),
        95..=97 => (1_000_000 + rng.below(1_000_000_000)).to_string(),
        _ => format!("{}{}", rng.below(9) + 1, "0".repeat(20 + rng.below(10))),
    }
}

fn answer(table: &RatingTable, ask: &Value) -> Value {
    let s = |k: &str| ask[k].as_str().unwrap_or_default();
    let plan = match ask["plan"].as_str() {
        Some(p) => match table.find_plan(p) {
            Ok(id) => Some(id),
            Err(_) => return json!({"error": "unknown-reference"}),
        },
        None if table.plans().len() == 1 => Some(0),
        None => None,
    };
    let Ok(product) = table.find_product(s("product")) else {
        return json!({"error": "unknown-reference"});
    };
    let dims: Vec<(Option<&str>, &str)> = ask["dims"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|d| match d.split_once('=') {
                    Some((k, v)) => (Some(k), v),
                    None => (None, d),
                })
                .collect()
        })
        .unwrap_or_default();
    let cell = match table.resolve_cell(product, &dims) {
        Ok(c) => c,
        Err(d) => return json!({"error": d.code.name()}),
    };
    let (value, unit) = s("quantity").split_once(' ').unwrap_or_default();
    let Ok(value) = value.parse::<Decimal>() else {
        return json!({"error": "not-a-decimal"});
    };
    let base = match table.base_quantity(product, value, unit) {
        Ok(b) => b,
        Err(d) => return json!({"error": d.code.name()}),
    };
    match table.quote(plan, product, cell, base) {
        Ok(q) => json!({
            "charge": {
                "amount": q.charge.to_string(),
                "exact": q.exact.to_string(),
                "unit": q.unit.map_or("", |u| table.unit_name(u)),
            },
            "money": q.money.map(|m| json!({"amount": m.to_string(), "currency": table.currency()})),
        }),
        Err(r) => json!({"rejected": {"kind": r.kind.name(), "reason": r.reason, "line": r.line}}),
    }
}

/// One random question about a table, as the bindings are asked it.
fn question(table: &RatingTable, rng: &mut Rng, at: Option<Date>) -> Value {
    let plans = table.plans();
    let plan = if plans.is_empty() || (plans.len() == 1 && rng.chance(30)) {
        Value::Null
    } else {
        json!(plans[rng.below(plans.len())].slug)
    };
    let products = table.products();
    let p = &products[rng.below(products.len())];
    let dims: Vec<String> = p
        .dims
        .iter()
        .map(|d| {
            let def = &table.dimensions()[*d as usize];
            let value = &def.values[rng.below(def.values.len())];
            format!("{}={value}", def.name)
        })
        .collect();
    let units: Vec<&str> = table
        .units()
        .iter()
        .filter(|u| u.dimension == p.measure)
        .map(|u| u.name.as_str())
        .collect();
    let unit = units.get(rng.below(units.len())).copied().unwrap_or("unit");
    json!({
        "plan": plan,
        "product": p.slug,
        "dims": dims,
        "quantity": format!("{} {unit}", random_value(rng)),
        "at": at.map(|d| d.to_string()),
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, book, count, seed] = args.as_slice() else {
        return Err("usage: quote_oracle BOOK COUNT SEED".into());
    };
    let book = Path::new(book);
    let count: usize = count.parse()?;
    let mut rng = Rng(seed.parse()?);
    // A vendor's directory: questions on days around its versions' effective dates (a few
    // before the first), each priced by the version the library picks for that day.
    let effective: Vec<Date> = if book.is_dir() {
        pricebook::load::versions(book)?
            .iter()
            .map(|v| v.effective)
            .collect()
    } else {
        Vec::new()
    };
    let mut opened: HashMap<PathBuf, Opened> = HashMap::new();
    // The library's pick for each day asked (it reads the directory's headers).
    let mut picks = HashMap::new();
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    for _ in 0..count {
        let day = (!effective.is_empty() && rng.chance(70)).then(|| {
            let from = effective[rng.below(effective.len())];
            Date::from_days(from.days() + rng.below(60) as i64 - 5)
        });
        let picked = picks
            .entry(day)
            .or_insert_with(|| pricebook::load::pick_version(book, day).map(|v| v.path))
            .as_ref();
        let path = match day {
            Some(d) => match picked {
                Ok(p) => p.clone(),
                // Before the first version: no version is in force.
                Err(e) => {
                    let ask = json!({"plan": null, "product": "x", "dims": [], "quantity": "1 second",
                        "at": d.to_string(), "expected": {"error": e.code()}});
                    writeln!(out, "{ask}")?;
                    continue;
                }
            },
            None if book.is_dir() => picked.map_err(|e| e.to_string())?.clone(),
            None => book.to_path_buf(),
        };
        if !opened.contains_key(&path) {
            let o = pricebook::open_file(&path)?;
            opened.insert(path.clone(), o);
        }
        let table = &opened[&path].table;
        let mut ask = question(table, &mut rng, day);
        let expected = answer(table, &ask);
        if let Value::Object(map) = &mut ask {
            map.insert("expected".into(), expected);
        }
        writeln!(out, "{ask}")?;
    }
    out.flush()?;
    Ok(())
}
