//! `pricebook bill`: one account's usage file -> invoice, wallet ledger, closing wallet.

use crate::base::date::{Date, parse_instant};
use crate::bill::{
    BillRequest, Billing, RechargeSettings, RejectedEvent, Usage, UsageEvent, WalletState,
};
use crate::table::RatingTable;
use rust_decimal::Decimal;

/// Parses a usage file (JSON Lines or CSV) into events; malformed lines come back as rejections
/// with their line numbers, and every other line is kept.
pub fn parse_usage(table: &RatingTable, text: &str) -> (Vec<UsageEvent>, Vec<RejectedEvent>) {
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
        match fields.and_then(|f| resolve(table, &f)) {
            Ok((time, usage)) => events.push(UsageEvent {
                line: n,
                time,
                usage,
            }),
            Err(reason) => bad.push(RejectedEvent {
                line: n,
                time: None,
                product: None,
                reason,
                kind: "bad-line",
                rule_line: None,
            }),
        }
    }
    (events, bad)
}

#[derive(Default)]
struct Fields {
    time: String,
    product: String,
    buy: String,
    quantity: String,
    unit: String,
    dims: Vec<(Option<String>, String)>,
}

fn csv_fields(header: &[String], line: &str) -> Result<Fields, String> {
    let values: Vec<&str> = line.split(',').map(str::trim).collect();
    if values.len() != header.len() {
        return Err(format!(
            "expected {} fields (as in the header), found {}",
            header.len(),
            values.len()
        ));
    }
    let mut f = Fields::default();
    for (h, v) in header.iter().zip(values) {
        let v = v.trim_matches('"').to_string();
        match h.as_str() {
            "time" => f.time = v,
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
    Ok(f)
}

fn json_fields(line: &str) -> Result<Fields, String> {
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let s = |k: &str| super::rate_cmd::json_text(&v, k);
    let dims = super::rate_cmd::json_dims(&v)?;
    Ok(Fields {
        time: s("time")?,
        product: s("product")?,
        buy: s("buy")?,
        quantity: s("quantity")?,
        unit: s("unit")?,
        dims,
    })
}

fn resolve(table: &RatingTable, f: &Fields) -> Result<(i64, Usage), String> {
    if f.time.is_empty() {
        return Err("no `time`".into());
    }
    let time =
        parse_instant(&f.time).ok_or_else(|| format!("`{}` is not an RFC 3339 time", f.time))?;
    if !f.buy.is_empty() {
        let pack = table
            .packs
            .iter()
            .position(|p| {
                p.slug.eq_ignore_ascii_case(&f.buy) || p.display.eq_ignore_ascii_case(&f.buy)
            })
            .ok_or_else(|| format!("unknown pack `{}`", f.buy))?;
        return Ok((time, Usage::Buy { pack: pack as u32 }));
    }
    if f.product.is_empty() {
        return Err("no `product` (or `buy`)".into());
    }
    let product = table
        .product_id(&f.product)
        .ok_or_else(|| format!("unknown product `{}`", f.product))?;
    let (value, unit) = match f.quantity.trim().split_once(' ') {
        Some((v, u)) => (v.trim(), u.trim().to_string()),
        None if !f.unit.is_empty() => (f.quantity.trim(), f.unit.clone()),
        None => (
            f.quantity.trim(),
            table
                .base_unit(&table.products[product as usize].measure)
                .to_string(),
        ),
    };
    if value.is_empty() {
        return Err("no `quantity`".into());
    }
    let v = crate::base::money::parse_decimal(value)
        .ok_or_else(|| format!("`{value}` is not a decimal quantity"))?;
    if v < Decimal::ZERO {
        return Err(format!("quantity {value} is negative"));
    }
    let quantity = table.base_quantity(product, v, &unit)?;
    let args: Vec<(Option<&str>, &str)> = f
        .dims
        .iter()
        .map(|(k, v)| (k.as_deref(), v.as_str()))
        .collect();
    let cell = table.resolve_cell(product, &args)?;
    Ok((
        time,
        Usage::Use {
            product,
            cell,
            quantity,
        },
    ))
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
        let v = v.trim();
        let num = v.split_whitespace().next().unwrap_or("");
        let d = crate::base::money::parse_decimal(num)
            .ok_or_else(|| format!("`{v}` is not a decimal"))?;
        match k.trim() {
            "below" => below = Some(d),
            "to" => to = Some(d),
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
    let month_of = |t: i64| {
        let d = Date::from_days(t.div_euclid(86_400));
        Date {
            year: d.year,
            month: d.month,
            day: 1,
        }
    };
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

/// Reads a closing wallet written by an earlier bill.
pub fn read_wallet(text: &str) -> Result<WalletState, String> {
    serde_json::from_str(text)
        .map_err(|e| format!("not a wallet state (the `closing_wallet` of a bill): {e}"))
}
