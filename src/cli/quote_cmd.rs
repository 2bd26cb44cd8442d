//! `pricebook compile` (a book to its rating table), `pricebook quote` (one usage priced) and
//! `pricebook capacity` (what a plan's grant buys).

use super::load::{Loaded, load_table, load_table_in, parse_date_arg};
use super::report::CliError;
use super::{Format, Target, json_text};
use crate::answer::{self, Attr, CapacityQuestion, Dim, QuoteQuestion, QuoteRejection};
use std::io::Write;
use std::path::Path;

pub(super) fn run_compile(
    book: &Path,
    output: Option<&Path>,
    binary: bool,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let loaded = load_table(book, None)?;
    let bytes = if binary {
        loaded.table.to_binary()
    } else {
        (loaded.table.to_json() + "\n").into_bytes()
    };
    match output {
        Some(path) => {
            std::fs::write(path, bytes).map_err(|e| CliError::unwritable(path, &e))?;
            eprintln!(
                "compiled `{}` ({} products, {} plans) to `{}`",
                loaded.path.display(),
                loaded.table.products.len(),
                loaded.table.plans.len(),
                path.display()
            );
        }
        None => out.write_all(&bytes)?,
    }
    Ok(0)
}

/// The answer's JSON, as every `--format json` command prints it: pretty, keys in order, and a
/// final newline.
pub(super) fn answer_json<T: serde::Serialize>(answer: &T) -> String {
    json_text(&serde_json::to_value(answer).unwrap_or_default())
}

/// A rejection for a person: the reason, and the rule's `file:line`.
fn rejection_text(r: &QuoteRejection, loaded: &Loaded) -> String {
    match r.line {
        Some(line) => format!("{} (rule at {})", r.reason, loaded.cite(line)),
        None => r.reason.clone(),
    }
}

/// The table a `quote` or `capacity` answers from. It is never freed: the command prints one
/// answer and the process exits, and freeing a 10,000-product table first took 4% of a quote.
fn load_target(t: &Target) -> Result<std::mem::ManuallyDrop<Loaded>, CliError> {
    let at = t.at.as_deref().map(parse_date_arg).transpose()?;
    let choice = crate::load::ListChoice::named(t.list.as_deref()).with_plan(t.plan.as_deref());
    load_table_in(&t.source, at, &choice).map(std::mem::ManuallyDrop::new)
}

/// `--attr NAME=VALUE`: an attribute and its value, with its unit if one is written.
fn parse_attr(text: &str) -> Result<Attr, CliError> {
    let Some((name, value)) = text.split_once('=') else {
        return Err(CliError::usage(format!(
            "--attr `{text}` is not NAME=VALUE; write --attr \"script length=4500 character\""
        )));
    };
    Ok(Attr {
        name: name.to_string(),
        value: value.to_string(),
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
    let loaded = load_target(t)?;
    let mut question = QuoteQuestion::new(t.product.clone(), quantity);
    question.plan = t.plan.clone();
    question.dims = t.dims.iter().map(|d| Dim::parse(d)).collect();
    question.attrs = attrs
        .iter()
        .map(|a| parse_attr(a))
        .collect::<Result<_, _>>()?;
    question.explain = explain;
    question.used = used.map(str::to_string);
    let answer = answer::quote(&loaded, &question)?;
    let status = i32::from(answer.is_rejected());
    if format == Format::Json {
        out.write_all(answer_json(&answer).as_bytes())?;
        return Ok(status);
    }
    if let Some(r) = &answer.rejected {
        writeln!(out, "rejected: {}", rejection_text(r, &loaded))?;
        return Ok(status);
    }
    let table = &loaded.table;
    if let Some(p) = answer.plan.as_deref().and_then(|s| table.plan_id(s)) {
        let p = &table.plans[p as usize];
        writeln!(out, "plan      {} ({})", p.display, p.slug)?;
    }
    if let Some(p) = table.product_id(&answer.product) {
        let p = &table.products[p as usize];
        writeln!(out, "product   {} ({})", p.display, p.slug)?;
    }
    let (value, unit) = (&answer.quantity.value, &answer.quantity.unit);
    writeln!(out, "quantity  {value} {unit}")?;
    if let Some(charge) = &answer.charge {
        if charge.exact == charge.amount {
            writeln!(out, "charge    {} {}", charge.amount, charge.unit)?;
        } else {
            writeln!(
                out,
                "charge    {} {} (exactly {} {}, rounded once per bill line)",
                charge.amount, charge.unit, charge.exact, charge.unit
            )?;
        }
        match (&answer.money, &answer.money_note) {
            (Some(Some(m)), _) => writeln!(out, "money     {} {}", m.amount, m.currency)?,
            (_, Some(Some(note))) => writeln!(out, "money     - ({note})")?,
            _ if charge.unit.is_empty() => writeln!(out, "money     - (free)")?,
            _ => writeln!(
                out,
                "money     - (the plan has no published price per {})",
                charge.unit
            )?,
        }
    }
    for f in &answer.fees {
        let billed = match &f.amount {
            Some(_) => "billed at its first use".to_string(),
            None => "not billed: no exact amount is published".to_string(),
        };
        writeln!(
            out,
            "fee       {}: {}, {} ({billed}; {})",
            f.name,
            f.stated,
            f.cadence,
            loaded.cite(f.line)
        )?;
    }
    if explain {
        writeln!(out, "explain")?;
        for (i, s) in answer.explain.iter().enumerate() {
            match s.line {
                Some(l) => writeln!(out, "  {}. {} ({})", i + 1, s.step, loaded.cite(l))?,
                None => writeln!(out, "  {}. {}", i + 1, s.step)?,
            }
        }
    }
    Ok(status)
}

pub(super) fn run_capacity(
    t: &Target,
    unit: Option<&str>,
    format: Format,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let loaded = load_target(t)?;
    let mut question = CapacityQuestion::new(t.product.clone());
    question.plan = t.plan.clone();
    question.dims = t.dims.iter().map(|d| Dim::parse(d)).collect();
    question.unit = unit.map(str::to_string);
    let answer = answer::capacity(&loaded, &question)?;
    let status = i32::from(answer.is_rejected());
    match (&answer.rejected, format) {
        (_, Format::Json) => out.write_all(answer_json(&answer).as_bytes())?,
        (Some(r), Format::Human) => writeln!(out, "rejected: {}", rejection_text(r, &loaded))?,
        (None, Format::Human) => {
            let table = &loaded.table;
            let plan = table
                .plan_id(&answer.plan)
                .map_or("", |p| table.plans[p as usize].display.as_str());
            let product = table
                .product_id(&answer.product)
                .map_or("", |p| table.products[p as usize].display.as_str());
            let n = answer.quantity.value.as_deref().unwrap_or_default();
            let unit = &answer.quantity.unit;
            writeln!(out, "{n} {unit} of {product} on {plan} per billing period")?;
        }
    }
    Ok(status)
}
