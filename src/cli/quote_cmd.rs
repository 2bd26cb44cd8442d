//! `pricebook compile` (a book to its rating table), `pricebook quote` (one usage priced) and
//! `pricebook capacity` (what a plan's grant buys).

use super::load::{Loaded, asked, load_table, parse_date_arg};
use super::report::CliError;
use super::{Format, Target, json_text};
use crate::base::quantity::split_quantity_with_unit;
use crate::base::rejection::Rejection;
use crate::diagnostic::Code;
use crate::table::{CellId, EventAttr, PlanId, PricingEntry, ProductId, RatingTable};
use std::io::Write;
use std::path::Path;

pub(super) fn run_compile(
    book: &Path,
    output: Option<&Path>,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let loaded = load_table(book, None)?;
    let json = loaded.table.to_json();
    match output {
        Some(path) => {
            std::fs::write(path, json + "\n").map_err(|e| CliError::unwritable(path, &e))?;
            eprintln!(
                "compiled `{}` ({} products, {} plans) to `{}`",
                loaded.path.display(),
                loaded.table.products.len(),
                loaded.table.plans.len(),
                path.display()
            );
        }
        None => writeln!(out, "{json}")?,
    }
    Ok(0)
}

/// Names on the command line resolved to ids.
struct Resolved {
    plan: Option<PlanId>,
    product: ProductId,
    cell: CellId,
}

/// The plan when none is named: the book's only plan, or none when it has no plans.
fn default_plan(table: &RatingTable) -> Result<Option<PlanId>, CliError> {
    match table.plans.len() {
        0 => Ok(None),
        1 => Ok(Some(0)),
        n => {
            let slugs: Vec<String> = table.plans.iter().map(|p| p.slug.clone()).collect();
            Err(CliError::input(
                Code::MissingStatement,
                format!("the book has {n} plans, and no --plan was given"),
            )
            .help(format!(
                "name one with --plan: {}",
                crate::base::names::quoted_list(&slugs, "or")
            )))
        }
    }
}

fn resolve(table: &RatingTable, t: &Target) -> Result<Resolved, CliError> {
    let plan = match &t.plan {
        Some(name) => Some(table.find_plan(name)?),
        None => default_plan(table)?,
    };
    let product = table.find_product(&t.product)?;
    let args: Vec<(Option<&str>, &str)> = t
        .dims
        .iter()
        .map(|d| match d.split_once('=') {
            Some((k, v)) => (Some(k.trim()), v.trim()),
            None => (None, d.trim()),
        })
        .collect();
    let cell = table.resolve_cell(product, &args).map_err(asked)?;
    Ok(Resolved {
        plan,
        product,
        cell,
    })
}

/// A rejection for a person: the reason, and the rule's `file:line`.
fn rejection_text(r: &Rejection, loaded: &Loaded) -> String {
    match r.line {
        Some(line) => format!("{} (rule at {})", r.reason, loaded.cite(line)),
        None => r.reason.clone(),
    }
}

fn rejection_json(r: &Rejection, loaded: &Loaded) -> serde_json::Value {
    serde_json::json!({
        "kind": r.kind.name(),
        "reason": r.reason,
        "line": r.line,
        "file": r.line.and(loaded.rules_file()),
    })
}

fn load_target(t: &Target) -> Result<(Loaded, Resolved), CliError> {
    let at = t.at.as_deref().map(parse_date_arg).transpose()?;
    let loaded = load_table(&t.source, at)?;
    let ids = resolve(&loaded.table, t)?;
    Ok((loaded, ids))
}

/// `--attr NAME=VALUE`: a declared attribute and its value, with its unit if one is written.
fn parse_attr(table: &RatingTable, text: &str) -> Result<EventAttr, CliError> {
    let Some((name, value)) = text.split_once('=') else {
        return Err(CliError::usage(format!(
            "--attr `{text}` is not NAME=VALUE; write --attr \"script length=4500 character\""
        )));
    };
    let attribute = table.find_attribute(name.trim())?;
    let (value, unit) = crate::base::quantity::split_quantity(value)?;
    let unit = unit.map(|u| table.find_unit(u)).transpose()?;
    Ok(EventAttr {
        attribute,
        value,
        unit,
    })
}

pub(super) fn run_quote(
    t: &Target,
    quantity: &str,
    used: Option<&str>,
    attrs: &[String],
    explain: bool,
    format: Format,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let (loaded, ids) = load_target(t)?;
    let table = &loaded.table;
    let (value, written_unit) = split_quantity_with_unit(quantity)?;
    let base = table
        .base_quantity(ids.product, value, written_unit)
        .map_err(asked)?;
    // The quantity as asked, in the unit's own name (`minutes` is `minute`).
    let unit = table
        .find_unit(written_unit)
        .map_or(written_unit, |u| table.unit_name(u));
    let attrs = attrs
        .iter()
        .map(|a| parse_attr(table, a))
        .collect::<Result<Vec<_>, _>>()?;
    // What the account used earlier this period, in the product's base units.
    let used = match used {
        Some(text) => {
            let (v, u) = split_quantity_with_unit(text)?;
            let base = table.base_quantity(ids.product, v, u).map_err(asked)?;
            let unit = table.find_unit(u).map_or(u, |id| table.unit_name(id));
            Some((
                base,
                serde_json::json!({"value": v.to_string(), "unit": unit}),
            ))
        }
        None => None,
    };
    let (result, steps) = table.quote_explained_in_period(
        ids.plan,
        ids.product,
        ids.cell,
        used.as_ref().map_or(rust_decimal::Decimal::ZERO, |u| u.0),
        base,
    );
    // Attribute limits apply to a usage its price accepts.
    let result = result.and_then(|q| {
        table
            .check_attributes(ids.plan, ids.product, &attrs)
            .map(|()| q)
    });
    let plan_slug = ids.plan.map(|p| table.plans[p as usize].slug.clone());
    let product = &table.products[ids.product as usize];
    let steps_json: Vec<serde_json::Value> = steps
        .iter()
        .map(|s| serde_json::json!({"step": s.step, "line": s.line}))
        .collect();
    let asked_quantity = serde_json::json!({"value": value.to_string(), "unit": unit});
    match (result, format) {
        (Ok(q), Format::Json) => {
            let unit_name = q.unit.map_or("", |u| table.unit_name(u));
            let mut doc = serde_json::json!({
                "plan": plan_slug,
                "product": product.slug,
                "quantity": asked_quantity,
                "charge": {"amount": q.charge.to_string(), "unit": unit_name},
                "money": q.money.map(|m| serde_json::json!({"amount": m.to_string(), "currency": table.currency})),
                "money_note": match (q.money, q.unit) {
                    (None, Some(u)) => Some(table.why_no_money(ids.plan, u)),
                    _ => None,
                },
                "explain": if explain { steps_json } else { Vec::new() },
                "source": loaded.path.display().to_string(),
                "rules": loaded.rules_file(),
            });
            if let Some((_, u)) = &used {
                doc["used"] = u.clone();
            }
            out.write_all(json_text(&doc).as_bytes())?;
            Ok(0)
        }
        (Ok(q), Format::Human) => {
            let unit_name = q.unit.map_or("", |u| table.unit_name(u));
            if let Some(p) = ids.plan {
                let p = &table.plans[p as usize];
                writeln!(out, "plan      {} ({})", p.display, p.slug)?;
            }
            writeln!(out, "product   {} ({})", product.display, product.slug)?;
            writeln!(out, "quantity  {value} {unit}")?;
            writeln!(out, "charge    {} {unit_name}", q.charge)?;
            match (q.money, q.unit) {
                (Some(m), _) => writeln!(out, "money     {m} {}", table.currency)?,
                (None, Some(u)) => {
                    writeln!(out, "money     - ({})", table.why_no_money(ids.plan, u))?
                }
                (None, None) => writeln!(out, "money     - (free)")?,
            }
            if explain {
                writeln!(out, "explain")?;
                for (i, s) in steps.iter().enumerate() {
                    match s.line {
                        Some(l) => writeln!(out, "  {}. {} ({})", i + 1, s.step, loaded.cite(l))?,
                        None => writeln!(out, "  {}. {}", i + 1, s.step)?,
                    }
                }
            }
            Ok(0)
        }
        (Err(r), Format::Json) => {
            let mut doc = serde_json::json!({
                "plan": plan_slug,
                "product": product.slug,
                "quantity": asked_quantity,
                "rejected": rejection_json(&r, &loaded),
                "explain": if explain { steps_json } else { Vec::new() },
                "source": loaded.path.display().to_string(),
                "rules": loaded.rules_file(),
            });
            if let Some((_, u)) = &used {
                doc["used"] = u.clone();
            }
            out.write_all(json_text(&doc).as_bytes())?;
            Ok(1)
        }
        (Err(r), Format::Human) => {
            writeln!(out, "rejected: {}", rejection_text(&r, &loaded))?;
            Ok(1)
        }
    }
}

pub(super) fn run_capacity(
    t: &Target,
    unit: Option<&str>,
    format: Format,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let (loaded, ids) = load_target(t)?;
    let table = &loaded.table;
    let Some(plan) = ids.plan else {
        return Err(CliError::input(
            Code::MissingStatement,
            "capacity sizes a plan's recurring grant, and the book has no plans",
        )
        .help("give a book with a plan"));
    };
    let product = &table.products[ids.product as usize];
    let rated_per = match &product.pricing {
        PricingEntry::Cells { cells } => cells
            .get(ids.cell as usize)
            .and_then(|c| c.as_ref())
            .map(|c| table.unit_name(c.per_unit).to_string()),
        PricingEntry::Tiered { tiers, .. } => tiers
            .first()
            .map(|t| table.unit_name(t.rate.per_unit).to_string()),
        PricingEntry::Flat { per, .. } => {
            Some(per.map_or("event".to_string(), |u| table.unit_name(u).to_string()))
        }
        PricingEntry::Free { .. } => None,
    };
    // A unit is part of the question: one the book does not know is the asker's mistake, not a
    // rule that rejects.
    let unit = match unit {
        Some(u) => table.units[table.find_unit(u)? as usize].name.clone(),
        None => rated_per.clone().ok_or_else(|| {
            CliError::input(
                Code::InvalidValue,
                format!("`{}` is free: a grant buys any amount of it", product.slug),
            )
        })?,
    };
    let plan_slug = table.plans[plan as usize].slug.clone();
    match table.capacity(plan, ids.product, ids.cell, &unit) {
        Ok(n) => {
            match format {
                Format::Json => {
                    let doc = serde_json::json!({
                        "plan": plan_slug,
                        "product": product.slug,
                        "quantity": {"value": n.to_string(), "unit": unit},
                    });
                    out.write_all(json_text(&doc).as_bytes())?;
                }
                Format::Human => writeln!(
                    out,
                    "{n} {unit} of {} on {} per billing period",
                    product.display, table.plans[plan as usize].display
                )?,
            }
            Ok(0)
        }
        Err(r) => {
            match format {
                Format::Json => {
                    let doc = serde_json::json!({
                        "plan": plan_slug,
                        "product": product.slug,
                        "quantity": {"value": null, "unit": unit},
                        "rejected": rejection_json(&r, &loaded),
                    });
                    out.write_all(json_text(&doc).as_bytes())?;
                }
                Format::Human => writeln!(out, "rejected: {}", rejection_text(&r, &loaded))?,
            }
            Ok(1)
        }
    }
}
