//! Rating one export against a vendor's several price lists at once (HeyGen's API, web and
//! enterprise lists): each line is priced by the book of its price list, the one its `list`
//! field names, else the default list (`--list`), else the only list whose book has the line's
//! plan. Seeds 001 and 002: an API-key call bills the API price list and an OAuth-token call
//! the web plan, so one export may hold both.
//!
//! Each list's lines are rated by [`rate_input`] as a file of their own with the lines of other
//! lists left blank (so line numbers stay the file's), and the reports are merged: totals by
//! group and unit, each list's total rounded as its own export's is, then summed.
//!
//! ```
//! use pricebook::rate::batch::GroupBy;
//! use pricebook::rate::lists::rate_lists;
//! let book = |list: &str, rate: u32| pricebook::pipeline::compile_source(&format!(r#"
//! pricebook acme list {list} version "1" effective 2026-01-01 currency USD
//! product "Render" as render {{ measure time  rate {rate} USD / second }}
//! plan "{list}" as {list} {{ price 20 USD / month }}
//! "#)).expect("a clean book");
//! let (api, web) = (book("api", 1), book("web", 2));
//! let export = "account,plan,product,quantity,list\nada,,render,10,api\nada,,render,10,web\nada,web,render,1,\n";
//! let report = rate_lists(&[&api, &web], None, &mut export.as_bytes(), GroupBy::Account, false).expect("rated");
//! assert_eq!(report.rated, 3);
//! assert_eq!(report.totals.get(0).map(|t| t.amount.to_string()).as_deref(), Some("32.00"));
//! ```

use super::batch::{GroupBy, RateOptions, RateReport, UsageInput, rate_input_among};
use crate::base::names::same_key;
use crate::base::{csv, usage_json as json};
use crate::table::RatingTable;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::io::BufRead;

/// Rates `input` with `tables`, one version per price list of one vendor: a line goes to the
/// table of the list it names, else `default` (a list's name), else the one table whose book has
/// its plan. A line whose list cannot be told, or that names a list none of `tables` is, is a
/// bad line saying why.
pub fn rate_lists(
    tables: &[&RatingTable],
    default: Option<&str>,
    input: &mut dyn BufRead,
    by: GroupBy,
    progress: bool,
) -> Result<RateReport, String> {
    let mut text = String::new();
    input
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read the usage file: {e}"))?;
    let names: Vec<&str> = tables.iter().map(|t| t.list()).collect();
    let default = match default {
        Some(d) => Some(list_index(&names, d).ok_or_else(|| unknown_list(&names, d))?),
        None => None,
    };
    let lines: Vec<&str> = text.lines().collect();
    let Some(first) = lines.iter().position(|l| !l.trim().is_empty()) else {
        return Err("the usage file is empty".into());
    };
    let is_json = lines[first].trim_start().starts_with('{');
    // CSV: the header goes to every list's file; `list` and `plan` columns route the lines.
    let (list_col, plan_col) = if is_json {
        (None, None)
    } else {
        let header: Vec<String> = csv::split_line(lines[first])
            .iter()
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let at = |n: &str| header.iter().position(|c| c == n);
        (at("list"), at("plan"))
    };
    let mut files: Vec<String> =
        vec![String::with_capacity(text.len() / tables.len().max(1)); tables.len()];
    let mut bad: Vec<(u64, String)> = Vec::new();
    let mut plans: BTreeMap<String, Result<usize, String>> = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let data = (is_json || i > first) && !line.trim().is_empty();
        let to = if !data {
            None
        } else {
            let (list, plan) = if is_json {
                match serde_json::from_str::<serde_json::Value>(line) {
                    Ok(v) => (
                        json::text(&v, "list").unwrap_or_default(),
                        json::text(&v, "plan").unwrap_or_default(),
                    ),
                    // The rater of the first list reports what is wrong with it.
                    Err(_) => (
                        names.first().map_or(String::new(), |n| n.to_string()),
                        String::new(),
                    ),
                }
            } else {
                let f = csv::split_line(line);
                let field = |c: Option<usize>| {
                    c.and_then(|c| f.get(c))
                        .map_or(String::new(), |v| v.to_string())
                };
                (field(list_col), field(plan_col))
            };
            let routed = match (list.trim(), default) {
                ("", Some(d)) => Ok(d),
                ("", None) => plans
                    .entry(plan.trim().to_string())
                    .or_insert_with(|| by_plan(tables, &names, plan.trim()))
                    .clone(),
                (named, _) => list_index(&names, named).ok_or_else(|| unknown_list(&names, named)),
            };
            match routed {
                Ok(t) => Some(t),
                Err(reason) => {
                    bad.push((i as u64 + 1, reason));
                    None
                }
            }
        };
        for (t, file) in files.iter_mut().enumerate() {
            // The header (CSV) goes to every file; a data line to its list's, blank elsewhere.
            if (!is_json && i == first) || to == Some(t) {
                file.push_str(line);
            }
            file.push('\n');
        }
    }
    // Every list's dimension and attribute columns: a line leaves the others' columns empty.
    let foreign: Vec<String> = tables
        .iter()
        .flat_map(|t| {
            let dims = t.dimensions.iter().map(|d| d.name.to_ascii_lowercase());
            let attrs = t
                .attributes
                .iter()
                .map(|a| format!("attr.{}", a.to_ascii_lowercase()));
            dims.chain(attrs).collect::<Vec<_>>()
        })
        .collect();
    let mut merged = RateReport {
        bad,
        ..RateReport::empty()
    };
    merged.lines = merged.bad.len() as u64;
    let mut totals: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    let mut events: BTreeMap<String, u64> = BTreeMap::new();
    for (table, file) in tables.iter().zip(&files) {
        let has_lines = file
            .lines()
            .enumerate()
            .any(|(i, l)| (is_json || i > first) && !l.trim().is_empty());
        if !has_lines {
            continue;
        }
        let options = RateOptions {
            progress,
            ..RateOptions::by(by)
        };
        let r = rate_input_among(
            table,
            UsageInput::Reader(&mut file.as_bytes()),
            &options,
            &foreign,
        )?;
        let mut seen: Vec<&str> = Vec::new();
        for t in r.totals.iter() {
            let (group, unit, amount, n) = (t.group, t.unit, t.amount, t.events);
            let sum = totals
                .entry((group.to_string(), unit.to_string()))
                .or_default();
            *sum = crate::base::money::add_exact(*sum, amount).ok_or_else(|| {
                format!("arithmetic overflow while summing the total of `{group}` in `{unit}`")
            })?;
            // A group's row of each unit repeats its events: count them once per list.
            if !seen.contains(&group) {
                seen.push(group);
                *events.entry(group.to_string()).or_default() += n;
            }
        }
        merged.rated += r.rated;
        merged.lines += r.lines;
        merged.bad.extend(r.bad);
        merged.rejected.extend(r.rejected);
        merged.rule_books.extend(
            r.rule_lines
                .iter()
                .map(|(n, _)| (*n, table.source().to_string())),
        );
        merged.rule_lines.extend(r.rule_lines);
    }
    // A group charged on one list and free on another keeps its charge, not a zero row too.
    let charged: Vec<String> = totals
        .iter()
        .filter(|(_, a)| !a.is_zero())
        .map(|((g, _), _)| g.clone())
        .collect();
    for ((g, u), a) in totals {
        if !a.is_zero() || !charged.contains(&g) {
            let n = events.get(&g).copied().unwrap_or(0);
            merged.totals.push(&g, &u, a, n);
        }
    }
    merged.bad.sort_by_key(|b| b.0);
    merged.rejected.sort_by_key(|b| b.0);
    merged.rule_lines.sort_unstable();
    merged.rule_books.sort();
    Ok(merged)
}

fn list_index(names: &[&str], written: &str) -> Option<usize> {
    names.iter().position(|n| same_key(n, written.trim()))
}

fn unknown_list(names: &[&str], written: &str) -> String {
    format!(
        "no price list `{}`; the lists are {}",
        written.trim(),
        names.join(", ")
    )
}

/// The one list whose book has `plan`.
fn by_plan(tables: &[&RatingTable], names: &[&str], plan: &str) -> Result<usize, String> {
    if plan.is_empty() {
        return Err(format!(
            "the line names no price list and no plan; add a `list` ({})",
            names.join(", ")
        ));
    }
    let with: Vec<usize> = (0..tables.len())
        .filter(|t| tables[*t].plan_id(plan).is_some())
        .collect();
    match with.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!(
            "no price list has plan `{plan}` (lists: {})",
            names.join(", ")
        )),
        several => Err(format!(
            "plan `{plan}` is on several price lists ({}); add the line's `list`",
            several
                .iter()
                .map(|t| names[*t])
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}
