//! `pricebook bill`: one account's usage file -> invoice, wallet ledger, closing wallet.
//!
//! The usage file is read in two steps: first every line's time (so a vendor's directory can
//! give the version in force on the bill's first day), then names, quantities and dimension
//! values against that version's table.

use super::load::{Loaded, load_file, load_with_contract, parse_date_arg, read_book};
use super::report::CliError;
use super::{Format, json_text, plural};
use crate::base::date::{Date, Instant, parse_instant};
use crate::base::quantity::split_quantity;
use crate::bill::{
    BillRequest, Billing, RechargeSettings, RejectedEvent, Usage, UsageEvent, WalletState,
};
use crate::diagnostic::Code;
use crate::table::RatingTable;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BillingArg {
    Monthly,
    Annual,
}

/// The `bill` command's arguments.
#[derive(clap::Args, Debug)]
pub(crate) struct BillArgs {
    /// A book, a compiled table, or a directory of one vendor's books.
    source: PathBuf,
    #[arg(long)]
    plan: Option<String>,
    /// Usage events: JSON Lines or CSV (`time,product,quantity[,unit][,buy][,<dimension>...]`).
    #[arg(long)]
    usage: PathBuf,
    #[arg(long, value_enum, default_value_t = BillingArg::Monthly)]
    billing: BillingArg,
    /// First day of the first period (default: the first event's month).
    #[arg(long)]
    from: Option<String>,
    /// Number of monthly periods (default: through the last event).
    #[arg(long)]
    periods: Option<u32>,
    /// Enterprise terms layered on the public book.
    #[arg(long)]
    contract: Option<PathBuf>,
    /// An earlier bill's JSON (or its `closing_wallet`), so carried-over credits continue.
    #[arg(long)]
    wallet: Option<PathBuf>,
    /// `below=1000,to=5000,cap=200`: the account's auto-recharge settings (plans that sell
    /// top-ups only).
    #[arg(long = "auto-recharge")]
    auto_recharge: Option<String>,
    /// With a directory: the version in force on this date (default: the bill's first day).
    #[arg(long)]
    at: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
}

/// The fields of one usage line, as written.
#[derive(Default, Debug, Clone)]
pub(crate) struct Fields {
    product: String,
    buy: String,
    quantity: String,
    unit: String,
    dims: Vec<(Option<String>, String)>,
}

/// A usage line whose time is read and whose names are not resolved yet.
#[derive(Debug, Clone)]
pub(crate) struct RawEvent {
    line: u64,
    time: Instant,
    fields: Fields,
}

fn bad_line(line: u64, reason: String) -> RejectedEvent {
    RejectedEvent {
        line,
        time: None,
        product: None,
        reason,
        kind: "bad-line",
        rejection: None,
        rule_line: None,
    }
}

/// Reads a usage file (JSON Lines or CSV) into events with their times; malformed lines come
/// back as bad lines with their numbers, and every other line is kept.
pub(crate) fn read_usage(text: &str) -> (Vec<RawEvent>, Vec<RejectedEvent>) {
    let mut events = Vec::new();
    let mut bad = Vec::new();
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.trim_end_matches('\r')));
    let first = lines.clone().find(|(_, l)| !l.trim().is_empty());
    let csv_header: Option<Vec<String>> = match first {
        Some((_, l)) if !l.trim_start().starts_with('{') => Some(
            l.split(',')
                .map(|c| c.trim().to_ascii_lowercase())
                .collect(),
        ),
        _ => None,
    };
    if csv_header.is_some() {
        lines.find(|(_, l)| !l.trim().is_empty());
    }
    for (n, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        let fields = match &csv_header {
            Some(h) => csv_fields(h, l),
            None => json_fields(l),
        };
        match fields {
            Ok((time, fields)) => match parse_instant(&time) {
                Some(t) => events.push(RawEvent {
                    line: n,
                    time: t,
                    fields,
                }),
                None if time.is_empty() => bad.push(bad_line(n, "no `time`".into())),
                None => bad.push(bad_line(n, format!("`{time}` is not an RFC 3339 time"))),
            },
            Err(reason) => bad.push(bad_line(n, reason)),
        }
    }
    (events, bad)
}

fn csv_fields(header: &[String], line: &str) -> Result<(String, Fields), String> {
    let values: Vec<&str> = line.split(',').map(str::trim).collect();
    if values.len() != header.len() {
        return Err(format!(
            "expected {} fields (as in the header), found {}",
            header.len(),
            values.len()
        ));
    }
    let mut f = Fields::default();
    let mut time = String::new();
    for (h, v) in header.iter().zip(values) {
        let v = v.trim_matches('"').to_string();
        match h.as_str() {
            "time" => time = v,
            "product" => f.product = v,
            "buy" => f.buy = v,
            "quantity" => f.quantity = v,
            "unit" => f.unit = v,
            "account" | "plan" => {}
            dim => {
                if !v.is_empty() {
                    f.dims.push((Some(dim.to_string()), v));
                }
            }
        }
    }
    Ok((time, f))
}

fn json_fields(line: &str) -> Result<(String, Fields), String> {
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let s = |k: &str| super::rate_cmd::json_text(&v, k);
    let dims = super::rate_cmd::json_dims(&v)?;
    Ok((
        s("time")?,
        Fields {
            product: s("product")?,
            buy: s("buy")?,
            quantity: s("quantity")?,
            unit: s("unit")?,
            dims,
        },
    ))
}

/// Resolves the events' names, quantities and dimension values against `table`; a line that
/// names something the version does not have is a bad line, with its reason.
pub(crate) fn resolve_events(
    table: &RatingTable,
    raw: &[RawEvent],
) -> (Vec<UsageEvent>, Vec<RejectedEvent>) {
    let mut events = Vec::with_capacity(raw.len());
    let mut bad = Vec::new();
    // Files repeat a few names many times: resolve each once.
    let mut products: HashMap<&str, Result<u32, String>> = HashMap::new();
    let mut packs: HashMap<&str, Result<u32, String>> = HashMap::new();
    for e in raw {
        let usage = if !e.fields.buy.is_empty() {
            packs
                .entry(e.fields.buy.as_str())
                .or_insert_with(|| table.find_pack(&e.fields.buy).map_err(|n| n.to_string()))
                .clone()
                .map(|pack| Usage::Buy { pack })
        } else {
            let product = products
                .entry(e.fields.product.as_str())
                .or_insert_with(|| {
                    if e.fields.product.is_empty() {
                        Err("no `product` (or `buy`)".into())
                    } else {
                        table
                            .find_product(&e.fields.product)
                            .map_err(|n| n.to_string())
                    }
                })
                .clone();
            product.and_then(|p| resolve_use(table, p, &e.fields))
        };
        match usage {
            Ok(usage) => events.push(UsageEvent {
                line: e.line,
                time: e.time,
                usage,
            }),
            Err(reason) => bad.push(bad_line(e.line, reason)),
        }
    }
    (events, bad)
}

fn resolve_use(table: &RatingTable, product: u32, f: &Fields) -> Result<Usage, String> {
    if f.quantity.trim().is_empty() {
        return Err("no `quantity`".into());
    }
    let (value, inline_unit) = split_quantity(&f.quantity).map_err(|e| e.to_string())?;
    let unit = match (inline_unit, f.unit.trim()) {
        (Some(u), "") => u.to_string(),
        (Some(u), column) if table.find_unit(u).ok() != table.find_unit(column).ok() => {
            return Err(format!(
                "quantity `{}` contradicts the unit column `{column}`",
                f.quantity
            ));
        }
        (Some(u), _) => u.to_string(),
        (None, "") => table
            .base_unit(&table.products[product as usize].measure)
            .to_string(),
        (None, column) => column.to_string(),
    };
    if value < Decimal::ZERO {
        return Err(format!("quantity {value} is negative"));
    }
    let quantity = table
        .base_quantity(product, value, &unit)
        .map_err(|d| d.to_string())?;
    let args: Vec<(Option<&str>, &str)> = f
        .dims
        .iter()
        .map(|(k, v)| (k.as_deref(), v.as_str()))
        .collect();
    let cell = table
        .resolve_cell(product, &args)
        .map_err(|d| d.to_string())?;
    Ok(Usage::Use {
        product,
        cell,
        quantity,
    })
}

/// `below=1000,to=5000,cap=200` (quantities in the plan's wallet unit unless one is written:
/// `below=1000 credit`; the cap is money per period).
pub fn parse_recharge(
    table: &RatingTable,
    plan: u32,
    spec: &str,
) -> Result<RechargeSettings, String> {
    let wallet_unit = table.plans[plan as usize]
        .grants
        .first()
        .map(|g| g.unit)
        .or_else(|| table.recharge.as_ref().and_then(|r| r.price.map(|p| p.2)))
        .ok_or("the plan grants nothing to recharge")?;
    let mut below = None;
    let mut to = None;
    let mut cap = None;
    for part in spec.split(',') {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}`: write key=value (below=, to=, cap=)"))?;
        let (d, unit) = split_quantity(v).map_err(|e| e.to_string())?;
        let key = k.trim();
        let in_wallet = |d: Decimal| -> Result<Decimal, String> {
            match unit {
                None => Ok(d),
                Some(u) => {
                    let id = table.find_unit(u).map_err(|e| e.to_string())?;
                    let (uu, wu) = (
                        &table.units[id as usize],
                        &table.units[wallet_unit as usize],
                    );
                    if uu.dimension != wu.dimension {
                        return Err(format!(
                            "`{key}={v}` is not in the wallet's unit `{}`",
                            wu.name
                        ));
                    }
                    Ok(d * uu.factor / wu.factor)
                }
            }
        };
        match key {
            "below" => below = Some(in_wallet(d)?),
            "to" => to = Some(in_wallet(d)?),
            "cap" => cap = Some(d),
            other => {
                return Err(format!(
                    "unknown auto-recharge setting `{other}`; use below=, to=, cap="
                ));
            }
        }
    }
    let below = below.ok_or("auto-recharge needs below=")?;
    let to = to.ok_or("auto-recharge needs to=")?;
    if to <= below {
        return Err(format!(
            "auto-recharge refills to {to}, which is not above its threshold {below}"
        ));
    }
    Ok(RechargeSettings {
        below,
        to,
        unit: wallet_unit,
        cap,
    })
}

fn month_of(t: Instant) -> Date {
    let d = Date::from_days(t.div_euclid(86_400));
    Date { day: 1, ..d }
}

/// The request for a bill: `from` defaults to the first event's month, `periods` to as many
/// months as reach the last event.
pub fn request(
    plan: u32,
    billing: Billing,
    from: Option<Date>,
    periods: Option<u32>,
    events: &[UsageEvent],
    fallback: Date,
) -> BillRequest {
    let first = events.iter().map(|e| e.time).min();
    let last = events.iter().map(|e| e.time).max();
    let from = from.or(first.map(month_of)).unwrap_or(fallback);
    let periods = periods.unwrap_or_else(|| match last {
        Some(t) => {
            let l = Date::from_days(t.div_euclid(86_400));
            let months = (i64::from(l.year) * 12 + i64::from(l.month))
                - (i64::from(from.year) * 12 + i64::from(from.month));
            let mut n = months.max(0) + 1;
            if from.add_months(n).instant() <= t {
                n += 1;
            }
            n.clamp(1, 1200) as u32
        }
        None => 1,
    });
    let mut r = BillRequest::new(plan, from, periods);
    r.billing = billing;
    r
}

/// Reads the wallet an earlier bill closed with: the bill's whole JSON, or its
/// `closing_wallet` alone.
pub fn read_wallet(text: &str) -> Result<WalletState, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let state = match v.get("closing_wallet") {
        Some(w) => w.clone(),
        None => v,
    };
    serde_json::from_value(state)
        .map_err(|e| format!("not a wallet (a bill's JSON, or its `closing_wallet`): {e}"))
}

/// The book to bill with: a directory gives the version in force on `day`.
fn load_for_bill(
    a: &BillArgs,
    day: Option<Date>,
    explicit_at: Option<Date>,
) -> Result<Loaded, CliError> {
    if a.contract.is_some() || a.source.is_dir() {
        return load_with_contract(&a.source, day, a.contract.as_deref());
    }
    if let Err(e) = std::fs::metadata(&a.source) {
        return Err(CliError::unreadable(&a.source, &e));
    }
    let loaded = load_file(&a.source)?;
    if let Some(at) = explicit_at {
        loaded.in_force_on(at)?;
    }
    Ok(loaded)
}

pub(super) fn run_bill(a: BillArgs, out: &mut dyn Write) -> Result<i32, CliError> {
    let from = a.from.as_deref().map(parse_date_arg).transpose()?;
    let at = a.at.as_deref().map(parse_date_arg).transpose()?;
    let text = std::fs::read(&a.usage).map_err(|e| CliError::unreadable(&a.usage, &e))?;
    let text = String::from_utf8_lossy(&text);
    let (raw, mut bad) = read_usage(&text);
    let first_month = raw.iter().map(|e| e.time).min().map(month_of);
    // The version in force on the bill's first day: --at, else --from, else the first event's
    // month (the README's rule until bills follow each event's own version).
    let day = at.or(from).or(first_month);
    let loaded = load_for_bill(&a, day, at)?;
    let table = &loaded.table;
    let plan = match &a.plan {
        Some(name) => table.find_plan(name)?,
        None if table.plans.len() == 1 => 0,
        None => {
            let slugs: Vec<String> = table.plans.iter().map(|p| p.slug.clone()).collect();
            return Err(CliError::input(
                Code::MissingStatement,
                format!(
                    "the book has {} plans, and no --plan was given",
                    slugs.len()
                ),
            )
            .help(format!(
                "name one with --plan: {}",
                crate::base::names::quoted_list(&slugs, "or")
            )));
        }
    };
    let (events, unresolved) = resolve_events(table, &raw);
    bad.extend(unresolved);
    let billing = match a.billing {
        BillingArg::Monthly => Billing::Monthly,
        BillingArg::Annual => Billing::Annual,
    };
    let effective = loaded.effective().unwrap_or(Date {
        year: 1970,
        month: 1,
        day: 1,
    });
    let effective_month = Date {
        day: 1,
        ..effective
    };
    // A single book is billed from its own first month at the earliest: events before it is in
    // force are rejected with that reason, not priced by a book that did not exist yet.
    let from = from.or_else(|| first_month.map(|m| m.max(effective_month)));
    let mut request = request(plan, billing, from, a.periods, &events, effective_month);
    if let Some(spec) = &a.auto_recharge {
        request.recharge = Some(
            parse_recharge(table, plan, spec)
                .map_err(|m| CliError::usage(format!("--auto-recharge: {m}")))?,
        );
    }
    if let Some(w) = &a.wallet {
        let text = read_book(w).map_err(CliError::usage)?;
        request.opening = read_wallet(&text)
            .map_err(|m| CliError::input(Code::InvalidValue, format!("`{}`: {m}", w.display())))?
            .grants;
    }
    let mut bill = crate::bill::bill(table, &request, &events)
        .map_err(|e| CliError::input(e.code(), e.to_string()))?;
    let bad_lines = bad.len();
    bill.rejected.extend(bad);
    bill.rejected.sort_by_key(|r| r.line);
    match a.format {
        Format::Json => out.write_all(json_text(&bill.to_json()).as_bytes())?,
        Format::Human => {
            let v = &bill.versions[0];
            let file = v
                .source
                .as_deref()
                .map_or(String::new(), |s| format!(", {s}"));
            writeln!(
                out,
                "priced by {} {} (effective {}{file})\n",
                v.vendor, v.version, v.effective
            )?;
            out.write_all(bill.to_human().as_bytes())?;
        }
    }
    if bad_lines > 0 {
        eprintln!(
            "{bad_lines} bad line{} in `{}`; the other lines were billed",
            plural(bad_lines),
            a.usage.display()
        );
    }
    Ok(i32::from(bad_lines > 0))
}
