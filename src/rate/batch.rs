//! Rating a whole usage export: CSV or JSON Lines in, totals per account (or plan, product) out.
//!
//! The reader hands chunks of lines to one worker per core. Each worker resolves names to rate
//! keys through caches keyed by the raw bytes of the line's fields (one hash lookup per line, no
//! allocation once warm), converts the quantity to integer nano-units, and rates through the
//! [`Rater`]. Memory is bounded by the number of distinct accounts and keys, not events. Bad lines
//! are collected with their line numbers and reported at the end; every other line is rated.
//!
//! ```
//! use pricebook::rate::batch::{GroupBy, rate_input, write_csv};
//! let table = pricebook::pipeline::compile_source(r#"
//! pricebook acme version "1" effective 2026-01-01 currency USD
//! unit credit
//! product "Render" as render { measure time  rate 2 credit / second }
//! plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
//! "#).expect("a clean book");
//! let export = "account,plan,product,quantity\nacme-1,pro,render,90\nacme-1,pro,render,10\nacme-2,pro,paint,1\n";
//! let report = rate_input(&table, &mut export.as_bytes(), GroupBy::Account, false).expect("rated");
//! assert_eq!(report.rated, 2);
//! assert_eq!(report.bad.len(), 1); // no product `paint`, line 4
//! let mut out = Vec::new();
//! write_csv(&report, GroupBy::Account, &mut out).expect("written");
//! assert_eq!(String::from_utf8(out).unwrap(), "account,amount,unit,events\nacme-1,200,credit,2\n");
//! ```

use super::name_map::NameMap;
use super::period::{PeriodKey, PeriodUsage};
use super::{Event, QUANTITY_SCALE, RateKey, Rater, Totals};
use crate::base::{csv, usage_json as json};
use crate::table::{RatingTable, UnitId};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::sync::mpsc;

/// What totals are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum GroupBy {
    Account,
    Plan,
    Product,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputKind {
    Csv,
    Jsonl,
}

/// Column positions of a CSV export.
#[derive(Debug, Clone)]
struct Columns {
    account: usize,
    plan: Option<usize>,
    product: usize,
    quantity: usize,
    unit: Option<usize>,
    /// The event's time: tiers over the billing period count each calendar month apart.
    time: Option<usize>,
    /// (column, dimension name) for dimension columns.
    dims: Vec<(usize, String)>,
    /// (column, attribute name) for `attr.NAME` columns.
    attrs: Vec<(usize, String)>,
    /// The price list each line is for.
    list: Option<usize>,
}

impl Columns {
    /// `foreign`: columns of other price lists' books (their dimensions and attributes), left
    /// out of this table's lines.
    fn from_header(
        header: &str,
        table: &RatingTable,
        foreign: &[String],
    ) -> Result<Columns, String> {
        let names: Vec<String> = csv::split_line(header)
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect();
        let find = |n: &str| names.iter().position(|c| c == n);
        let need = |n: &str| {
            find(n).ok_or_else(|| {
                format!(
                    "the CSV header has no `{n}` column (it needs account, plan, product, quantity)"
                )
            })
        };
        let known_dims: Vec<String> = table
            .dimensions
            .iter()
            .map(|d| d.name.to_ascii_lowercase())
            .collect();
        let mut dims = Vec::new();
        let mut attrs = Vec::new();
        for (i, n) in names.iter().enumerate() {
            match n.as_str() {
                "account" | "plan" | "product" | "quantity" | "unit" | "time" | "list" => {}
                other if known_dims.iter().any(|d| d == other) => dims.push((i, other.to_string())),
                other
                    if foreign.iter().any(|f| f == other)
                        && csv::attr_column(other)
                            .is_none_or(|a| table.find_attribute(a).is_err()) => {}
                other if csv::attr_column(other).is_some() => {
                    let name = csv::attr_column(other).unwrap_or_default();
                    // An attribute the book does not declare is an error, as `quote --attr`'s.
                    table
                        .find_attribute(name)
                        .map_err(|e| format!("CSV column `{other}`: {e}"))?;
                    attrs.push((i, name.to_string()));
                }
                other => {
                    return Err(format!(
                        "unknown CSV column `{other}`; columns are account, plan, product, quantity, unit, time and the book's dimensions ({})",
                        known_dims.join(", ")
                    ));
                }
            }
        }
        Ok(Columns {
            account: need("account")?,
            plan: find("plan"),
            product: need("product")?,
            quantity: need("quantity")?,
            unit: find("unit"),
            time: find("time"),
            dims,
            attrs,
            list: find("list"),
        })
    }
}

/// Most fields a usage line may have.
const MAX_FIELDS: usize = 32;

/// Parses an unsigned decimal into nano-units without going through `Decimal` (the common case).
#[inline]
fn parse_nanos(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 19 {
        return None;
    }
    let (mut int, mut frac, mut frac_digits, mut seen_dot) = (0i64, 0i64, 0u32, false);
    for &c in b {
        match c {
            b'0'..=b'9' if !seen_dot => int = int * 10 + i64::from(c - b'0'),
            b'0'..=b'9' => {
                if frac_digits == QUANTITY_SCALE {
                    return None;
                }
                frac = frac * 10 + i64::from(c - b'0');
                frac_digits += 1;
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return None,
        }
    }
    let scale = 10i64.pow(QUANTITY_SCALE - frac_digits);
    int.checked_mul(1_000_000_000)?.checked_add(frac * scale)
}

/// A resolved line target: the key, and how to convert the line's quantity to base nano-units.
#[derive(Clone, Copy)]
struct Target {
    key: RateKey,
    /// Multiply nano-quantities by this integer unit factor (1 for the base unit).
    factor: Option<u64>,
    /// The exact factor, when it is not an integer.
    factor_exact: Decimal,
    product: u32,
    /// The plan the line names (resolved), for grouping by plan.
    plan: Option<u32>,
}

/// One worker's state.
struct Worker<'t> {
    rater: &'t Rater<'t>,
    table: &'t RatingTable,
    kind: InputKind,
    by: GroupBy,
    targets: NameMap<Target>,
    groups: NameMap<u32>,
    group_names: Vec<String>,
    totals: Totals,
    bad: Vec<(u64, String)>,
    rejected: Vec<(u64, String)>,
    /// (usage line, book line) of the rejections a rule with a line made.
    rule_lines: Vec<(u64, u32)>,
    rated: u64,
    /// Usage lines seen (not blank): rated + bad + rejected.
    lines: u64,
    key_buf: Vec<u8>,
    /// Usage of products whose tiers count the billing period or whose charges are capped per
    /// period, priced once its total is known: (account, group, key, month) -> the period's
    /// usage.
    period_usage: HashMap<PeriodKey, PeriodUsage>,
}

/// Why a line is not rated: malformed (a bad line) or refused by a rule.
enum Stop {
    Bad(String),
    Rejected(crate::base::rejection::Rejection),
}

/// Fields of one usage line.
struct Line<'a> {
    account: &'a str,
    plan: &'a str,
    product: &'a str,
    quantity: &'a str,
    unit: Option<&'a str>,
    time: Option<&'a str>,
    dims: Vec<(Option<&'a str>, &'a str)>,
    /// (attribute name, value) as written; empty values are not given.
    attrs: Vec<(&'a str, &'a str)>,
    /// The price list the line is for; empty when it names none.
    list: &'a str,
}

impl<'t> Worker<'t> {
    fn new(rater: &'t Rater<'t>, kind: InputKind, by: GroupBy) -> Self {
        let table = rater.table();
        Worker {
            rater,
            table,
            kind,
            by,
            targets: NameMap::new(),
            groups: NameMap::new(),
            group_names: Vec::new(),
            totals: Totals::new(table, 0),
            bad: Vec::new(),
            rejected: Vec::new(),
            rule_lines: Vec::new(),
            rated: 0,
            lines: 0,
            key_buf: Vec::with_capacity(128),
            period_usage: HashMap::new(),
        }
    }

    fn group(&mut self, name: &str) -> u32 {
        if let Some(g) = self.groups.get(name.as_bytes()) {
            return g;
        }
        let id = self.group_names.len() as u32;
        self.groups.insert(name.as_bytes(), id);
        self.group_names.push(name.to_string());
        self.totals.ensure_accounts(self.group_names.len());
        id
    }

    fn resolve(&self, line: &Line<'_>) -> Result<Target, String> {
        let t = self.table;
        let plan = if line.plan.is_empty() {
            match t.plans.len() {
                0 => None,
                1 => Some(0),
                _ => return Err("no plan given, and the book has several".into()),
            }
        } else {
            Some(t.find_plan(line.plan).map_err(|e| e.to_string())?)
        };
        let product = t.find_product(line.product).map_err(|e| e.to_string())?;
        let args: Vec<(Option<&str>, &str)> = line
            .dims
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (*k, *v))
            .collect();
        let cell = t.resolve_cell(product, &args).map_err(|d| d.to_string())?;
        let key = self
            .rater
            .key(plan, product, cell)
            .ok_or("no such rate key")?;
        let p = &t.products[product as usize];
        let unit = match line.unit {
            Some(u) if !u.is_empty() => u.to_string(),
            _ => t.base_unit(&p.measure).to_string(),
        };
        let u = &t.units[t.find_unit(&unit).map_err(|e| e.to_string())? as usize];
        if u.dimension != p.measure {
            return Err(crate::diagnostic::Diagnostic::unit_of_other_dimension(
                &u.name,
                &crate::table::describe_dimension(&u.dimension),
                &p.slug,
                &crate::table::describe_dimension(&p.measure),
            )
            .to_string());
        }
        let factor = (u.factor.fract().is_zero())
            .then(|| u64::try_from(u.factor.trunc().mantissa()).ok())
            .flatten()
            .filter(|f| *f > 0);
        let factor = if u.factor.scale() == 0 || u.factor.fract().is_zero() {
            factor
        } else {
            None
        };
        Ok(Target {
            key,
            factor,
            factor_exact: u.factor,
            product,
            plan,
        })
    }

    /// A CSV line's fields by column; `fields` as split, untrimmed.
    fn parse<'l>(cols: Option<&'l Columns>, f: &[&'l str]) -> Result<Line<'l>, String> {
        let cols = cols.ok_or("no header")?;
        let get = |i: usize| {
            f.get(i)
                .copied()
                .map(str::trim_ascii)
                .ok_or_else(|| format!("expected {} fields, found {}", cols_len(cols), f.len()))
        };
        Ok(Line {
            account: get(cols.account)?,
            plan: match cols.plan {
                Some(i) => get(i)?,
                None => "",
            },
            product: get(cols.product)?,
            quantity: get(cols.quantity)?,
            unit: match cols.unit {
                Some(i) => Some(get(i)?),
                None => None,
            },
            time: match cols.time {
                Some(i) => Some(get(i)?),
                None => None,
            },
            dims: if cols.dims.is_empty() {
                Vec::new()
            } else {
                cols.dims
                    .iter()
                    .map(|(i, n)| Ok((Some(n.as_str()), get(*i)?)))
                    .collect::<Result<_, String>>()?
            },
            attrs: if cols.attrs.is_empty() {
                Vec::new()
            } else {
                cols.attrs
                    .iter()
                    .map(|(i, n)| Ok((n.as_str(), get(*i)?)))
                    .filter(|a| a.as_ref().map_or(true, |(_, v)| !v.is_empty()))
                    .collect::<Result<_, String>>()?
            },
            list: match cols.list {
                Some(i) => get(i)?,
                None => "",
            },
        })
    }

    /// Rates one line; `columns` is the CSV header's layout (lines borrow its dimension names).
    fn line(&mut self, number: u64, text: &str, columns: Option<&Columns>) {
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.is_empty() || text.bytes().all(|b| b.is_ascii_whitespace()) {
            return;
        }
        self.lines += 1;
        let json_holder;
        let quoted_holder;
        // Fields into a fixed array: no allocation per line, unless the line quotes a field.
        let mut fields = [""; MAX_FIELDS];
        let parsed = match self.kind {
            InputKind::Csv => match csv::split_unquoted(text, &mut fields) {
                Some(n) => Self::parse(columns, &fields[..n]),
                None => {
                    quoted_holder = csv::split_line(text);
                    let f: Vec<&str> = quoted_holder.iter().map(|f| f.as_ref()).collect();
                    Self::parse(columns, &f)
                }
            },
            InputKind::Jsonl => match parse_json(text) {
                Ok(j) => {
                    json_holder = j;
                    Ok(json_holder.as_line())
                }
                Err(e) => Err(e),
            },
        };
        let line = match parsed {
            Ok(l) => l,
            Err(e) => return self.bad.push((number, e)),
        };
        // Cache key: the raw fields that decide the rate.
        self.key_buf.clear();
        for part in [line.plan, line.product, line.unit.unwrap_or("")] {
            self.key_buf.extend_from_slice(part.as_bytes());
            self.key_buf.push(0);
        }
        for (k, v) in &line.dims {
            self.key_buf.extend_from_slice(k.unwrap_or("").as_bytes());
            self.key_buf.push(b'=');
            self.key_buf.extend_from_slice(v.as_bytes());
            self.key_buf.push(0);
        }
        let target = match self.targets.get(self.key_buf.as_slice()) {
            Some(t) => t,
            None => match self.resolve(&line) {
                Ok(t) => {
                    self.targets.insert(&self.key_buf, t);
                    t
                }
                Err(e) => return self.bad.push((number, e)),
            },
        };
        let space = line.quantity.bytes().position(|b| b == b' ');
        let (value, inline_unit) = match space.map(|i| line.quantity.split_at(i)) {
            Some((v, u)) => (v.trim_ascii(), Some(u.trim_ascii())),
            None => (line.quantity.trim_ascii(), None),
        };
        if let Some(u) = inline_unit {
            if line.unit.is_some_and(|c| !c.is_empty() && c != u) {
                return self.bad.push((
                    number,
                    format!("quantity `{}` contradicts the unit column", line.quantity),
                ));
            }
            if line.unit.is_none_or(str::is_empty) {
                // `"90 second"`: resolve with that unit (cached under its own key).
                let with_unit = Line {
                    unit: Some(u),
                    quantity: value,
                    ..line
                };
                self.key_buf.clear();
                for part in [with_unit.plan, with_unit.product, u] {
                    self.key_buf.extend_from_slice(part.as_bytes());
                    self.key_buf.push(0);
                }
                for (k, v) in &with_unit.dims {
                    self.key_buf.extend_from_slice(k.unwrap_or("").as_bytes());
                    self.key_buf.push(b'=');
                    self.key_buf.extend_from_slice(v.as_bytes());
                    self.key_buf.push(0);
                }
                let t = match self.targets.get(self.key_buf.as_slice()) {
                    Some(t) => t,
                    None => match self.resolve(&with_unit) {
                        Ok(t) => {
                            self.targets.insert(&self.key_buf, t);
                            t
                        }
                        Err(e) => return self.bad.push((number, e)),
                    },
                };
                return self.rate(number, &with_unit, value, t);
            }
        }
        self.rate(number, &line, value, target)
    }

    fn rate(&mut self, number: u64, line: &Line<'_>, value: &str, target: Target) {
        let nanos = match (parse_nanos(value), target.factor) {
            (Some(n), Some(f)) => n.checked_mul(f as i64),
            _ => None,
        };
        // Quantities the 16-byte event cannot hold (more than 9 decimals of the base unit, or
        // 9.2e9 base units and more) take the exact path: the same answer `quote` gives.
        let exact = match nanos {
            Some(_) => None,
            None => match crate::base::money::parse_decimal(value) {
                Some(d) if d < Decimal::ZERO => {
                    return self
                        .bad
                        .push((number, format!("quantity {value} is negative")));
                }
                Some(d) => match d.checked_mul(target.factor_exact) {
                    Some(base) => Some(base),
                    None => {
                        return self.bad.push((
                            number,
                            format!("quantity {value} is too large for exact decimal arithmetic"),
                        ));
                    }
                },
                None => {
                    return self
                        .bad
                        .push((number, format!("`{value}` is not a decimal quantity")));
                }
            },
        };
        // A line that names its price list or carries attributes takes the checks a quote
        // makes; a line without either pays one branch for them.
        if !line.list.is_empty() || !line.attrs.is_empty() {
            let quantity = match (nanos, exact) {
                (Some(n), _) => Decimal::new(n, QUANTITY_SCALE),
                (None, Some(d)) => d,
                (None, None) => return,
            };
            if let Err(stop) = self.checks(line, target, quantity) {
                return match stop {
                    Stop::Bad(reason) => self.bad.push((number, reason)),
                    Stop::Rejected(r) => self.reject(number, r),
                };
            }
        }
        // Groups are the canonical names, however a line spells them (`Creator`, ` CREATOR `).
        let table = self.table;
        let group_name = match self.by {
            GroupBy::Account => line.account,
            GroupBy::Plan => target
                .plan
                .map_or(line.plan, |p| table.plans[p as usize].slug.as_str()),
            GroupBy::Product => &table.products[target.product as usize].slug,
        };
        if self.rater.totals_by_period(target.key) {
            let quantity = match (nanos, exact) {
                (Some(n), _) => Decimal::new(n, QUANTITY_SCALE),
                (None, Some(d)) => d,
                (None, None) => return,
            };
            let group_name = group_name.to_string();
            return self.add_period_usage(number, line, group_name, target.key, quantity);
        }
        let group = self.group(group_name);
        let outcome = match (nanos, exact) {
            (Some(quantity), _) => {
                let event = Event {
                    account: group,
                    key: target.key,
                    quantity,
                };
                self.rater
                    .rate_batch(std::slice::from_ref(&event), &mut self.totals)
                    .map_err(|r| r.into_iter().map(|x| x.rejection).collect())
            }
            (None, Some(base)) => self
                .rater
                .rate_decimal(group, target.key, base, &mut self.totals)
                .map(|_| ())
                .map_err(|r| vec![r]),
            (None, None) => Ok(()),
        };
        match outcome {
            Ok(()) => self.rated += 1,
            Err(rejections) => {
                for r in rejections {
                    self.reject(number, r);
                }
            }
        }
    }

    fn reject(&mut self, number: u64, r: crate::base::rejection::Rejection) {
        if let Some(line) = r.line {
            self.rule_lines.push((number, line));
        }
        self.rejected.push((number, r.reason));
    }

    /// What a quote checks beyond the price: the line's price list is the table's, and its
    /// attributes are declared and within the plan's limits on them. A price that rejects the
    /// usage is the reason given first, as in a quote.
    fn checks(&self, line: &Line<'_>, target: Target, quantity: Decimal) -> Result<(), Stop> {
        let table = self.table;
        if !line.list.is_empty() && !crate::base::names::same_key(line.list, table.list()) {
            return Err(Stop::Rejected(crate::base::rejection::Rejection::new(
                crate::base::rejection::RejectionKind::NotAvailable,
                format!(
                    "the line is for price list `{}`, but `{}` {} is list `{}`",
                    line.list,
                    table.vendor(),
                    table.version,
                    table.list()
                ),
            )));
        }
        if line.attrs.is_empty() {
            return Ok(());
        }
        let attrs = table
            .event_attrs(line.attrs.iter().copied())
            .map_err(Stop::Bad)?;
        match table.check_attributes(target.plan, target.product, &attrs) {
            Ok(()) => Ok(()),
            Err(limit) => match self.rater.quote(target.key, quantity) {
                Err(price) => Err(Stop::Rejected(price)),
                Ok(_) => Err(Stop::Rejected(limit)),
            },
        }
    }
}

impl Worker<'_> {
    /// An event of a key whose tiers count the billing period: admitted and rounded as a quote
    /// would (limits, minimums, rounding), then added to its account's period total, which is
    /// priced when every line is read.
    fn add_period_usage(
        &mut self,
        number: u64,
        line: &Line<'_>,
        group: String,
        key: RateKey,
        quantity: Decimal,
    ) {
        let period = match line.time.map(str::trim).filter(|t| !t.is_empty()) {
            None => i64::MIN,
            Some(t) => match crate::base::date::parse_instant(t) {
                Some(instant) => {
                    let m = crate::base::date::Date::month_of(instant);
                    i64::from(m.year) * 12 + i64::from(m.month)
                }
                None => {
                    return self
                        .bad
                        .push((number, format!("`{t}` is not an RFC 3339 time")));
                }
            },
        };
        match self.rater.quote(key, quantity) {
            Ok(q) => {
                let entry = self
                    .period_usage
                    .entry((line.account.to_string(), group, key, period))
                    .or_default();
                match (
                    crate::base::money::add_exact(entry.quantity, q.quantity),
                    crate::base::money::add_exact(entry.charged, q.exact),
                ) {
                    (Some(quantity), Some(charged)) => {
                        *entry = PeriodUsage {
                            quantity,
                            charged,
                            events: entry.events + 1,
                        };
                        self.rated += 1;
                    }
                    _ => self.rejected.push((
                        number,
                        "the account's usage this period is too large for exact decimal arithmetic"
                            .into(),
                    )),
                }
            }
            Err(r) => self.reject(number, r),
        }
    }
}

fn cols_len(c: &Columns) -> usize {
    [
        Some(c.account),
        c.plan,
        Some(c.product),
        Some(c.quantity),
        c.unit,
        c.time,
        c.list,
    ]
    .iter()
    .flatten()
    .count()
        + c.dims.len()
        + c.attrs.len()
}

/// A parsed JSON line, owning its strings.
struct JsonLine {
    account: String,
    plan: String,
    product: String,
    quantity: String,
    unit: Option<String>,
    time: Option<String>,
    dims: Vec<(Option<String>, String)>,
    attrs: Vec<(String, String)>,
    list: String,
}

impl JsonLine {
    fn as_line(&self) -> Line<'_> {
        Line {
            account: &self.account,
            plan: &self.plan,
            product: &self.product,
            quantity: &self.quantity,
            unit: self.unit.as_deref(),
            time: self.time.as_deref(),
            dims: self
                .dims
                .iter()
                .map(|(k, v)| (k.as_deref(), v.as_str()))
                .collect(),
            attrs: self
                .attrs
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            list: &self.list,
        }
    }
}

fn parse_json(text: &str) -> Result<JsonLine, String> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let s = |k: &str| json::text(&v, k);
    let quantity = s("quantity")?;
    if quantity.is_empty() {
        return Err("no `quantity`".into());
    }
    let product = s("product")?;
    if product.is_empty() {
        return Err("no `product`".into());
    }
    let dims = json::dims(&v)?;
    let unit = s("unit")?;
    let time = s("time")?;
    Ok(JsonLine {
        account: s("account")?,
        plan: s("plan")?,
        product,
        quantity,
        unit: (!unit.is_empty()).then_some(unit),
        time: (!time.is_empty()).then_some(time),
        dims,
        attrs: json::attrs(&v)?,
        list: s("list")?.trim().to_string(),
    })
}

/// The result of rating a file.
pub struct RateReport {
    /// (group, unit name, amount, events), sorted by group then unit.
    pub totals: Vec<(String, String, Decimal, u64)>,
    pub rated: u64,
    pub bad: Vec<(u64, String)>,
    pub rejected: Vec<(u64, String)>,
    /// (usage line, book line) of each rejection a rule with a source line made.
    pub rule_lines: Vec<(u64, u32)>,
    /// With several price lists ([`rate_lists`](super::lists::rate_lists)): (usage line, book)
    /// of each rule line, the book its rule is in; empty for one table.
    pub rule_books: Vec<(u64, String)>,
    /// Usage lines read (the CSV header and blank lines aside): rated + bad + rejected.
    pub lines: u64,
}

/// Lines travel to workers in blocks of about this many bytes.
const BLOCK_BYTES: usize = 1 << 20;

/// Rates a usage export read from `input`.
pub fn rate_input(
    table: &RatingTable,
    input: &mut dyn BufRead,
    by: GroupBy,
    progress: bool,
) -> Result<RateReport, String> {
    rate_input_among(table, input, by, progress, &[])
}

/// [`rate_input`] for one of several price lists: CSV columns in `foreign` (other lists'
/// dimensions and `attr.NAME` columns, lower case) are not this table's and are left out.
pub(crate) fn rate_input_among(
    table: &RatingTable,
    input: &mut dyn BufRead,
    by: GroupBy,
    progress: bool,
    foreign: &[String],
) -> Result<RateReport, String> {
    let rater = Rater::new(table);
    // The first non-empty line tells the format: `{` starts JSON Lines, anything else is a CSV header.
    let mut first = String::new();
    let mut first_number = 0u64;
    loop {
        first.clear();
        let n = input
            .read_line(&mut first)
            .map_err(|e| format!("cannot read the usage file: {e}"))?;
        first_number += 1;
        if n == 0 {
            return Err("the usage file is empty".into());
        }
        if !first.trim().is_empty() {
            break;
        }
    }
    let (kind, columns, first_data) = if first.trim_start().starts_with('{') {
        (InputKind::Jsonl, None, Some((first_number, first.clone())))
    } else {
        (
            InputKind::Csv,
            Some(Columns::from_header(first.trim(), table, foreign)?),
            None,
        )
    };
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8);
    let mut lines_read = first_number;
    let results: Vec<Worker<'_>> =
        std::thread::scope(|scope| -> Result<Vec<Worker<'_>>, String> {
            let mut senders = Vec::new();
            let mut handles = Vec::new();
            for _ in 0..workers {
                let (tx, rx) = mpsc::sync_channel::<(u64, Vec<u8>)>(2);
                senders.push(tx);
                let rater = &rater;
                let columns = columns.clone();
                handles.push(scope.spawn(move || {
                    let mut w = Worker::new(rater, kind, by);
                    for (first, block) in rx {
                        for (i, l) in block.split(|b| *b == b'\n').enumerate() {
                            let number = first + i as u64;
                            match std::str::from_utf8(l) {
                                Ok(text) => w.line(number, text, columns.as_ref()),
                                Err(_) => {
                                    w.lines += 1;
                                    w.bad.push((number, "not valid UTF-8".into()));
                                }
                            }
                        }
                    }
                    w
                }));
            }
            let mut next = 0usize;
            let mut send = |first: u64, block: Vec<u8>| -> Result<(), String> {
                let r = senders[next % workers]
                    .send((first, block))
                    .map_err(|_| "a rating worker stopped".to_string());
                next += 1;
                r
            };
            if let Some((n, l)) = first_data {
                send(n, l.trim_end_matches('\n').as_bytes().to_vec())?;
            }
            // Blocks of whole lines, cut at the last newline; each carries its first line number.
            let stderr = std::io::stderr();
            let mut block_start = lines_read + 1;
            let mut buf: Vec<u8> = Vec::with_capacity(BLOCK_BYTES + (64 << 10));
            let mut blocks = 0u64;
            loop {
                let chunk = input.fill_buf().map_err(|e| {
                    format!(
                        "cannot read the usage file after line {}: {e}",
                        block_start - 1
                    )
                })?;
                if chunk.is_empty() {
                    break;
                }
                let n = chunk.len();
                buf.extend_from_slice(chunk);
                input.consume(n);
                if buf.len() < BLOCK_BYTES {
                    continue;
                }
                let Some(cut) = buf.iter().rposition(|b| *b == b'\n') else {
                    continue;
                };
                let mut rest = Vec::with_capacity(BLOCK_BYTES + (64 << 10));
                rest.extend_from_slice(&buf[cut + 1..]);
                buf.truncate(cut);
                let lines = buf.iter().filter(|b| **b == b'\n').count() as u64 + 1;
                send(block_start, std::mem::replace(&mut buf, rest))?;
                block_start += lines;
                blocks += 1;
                if progress && blocks % 16 == 0 {
                    let _ = write!(stderr.lock(), "\rrating: {} lines read", block_start - 1);
                }
            }
            if buf.last() == Some(&b'\n') {
                buf.pop();
            }
            if !buf.is_empty() {
                let lines = buf.iter().filter(|b| **b == b'\n').count() as u64 + 1;
                send(block_start, buf)?;
                block_start += lines;
            }
            lines_read = block_start - 1;
            drop(senders);
            if progress {
                let _ = writeln!(stderr.lock(), "\rrating: {lines_read} lines read");
            }
            handles
                .into_iter()
                .map(|h| h.join().map_err(|_| "a rating worker failed".to_string()))
                .collect()
        })?;

    // Merge workers by group name.
    let mut merged: std::collections::BTreeMap<(String, UnitId), (i128, Decimal)> =
        std::collections::BTreeMap::new();
    let mut events: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    let (mut bad, mut rejected, mut rated, mut usage_lines) = (Vec::new(), Vec::new(), 0u64, 0u64);
    let mut rule_lines = Vec::new();
    let mut period_usage: std::collections::BTreeMap<PeriodKey, PeriodUsage> =
        std::collections::BTreeMap::new();
    for w in results {
        for (k, u) in &w.period_usage {
            let e = period_usage.entry(k.clone()).or_default();
            let overflow = || {
                format!(
                    "arithmetic overflow while summing the usage of `{}` this period",
                    k.0
                )
            };
            e.quantity =
                crate::base::money::add_exact(e.quantity, u.quantity).ok_or_else(overflow)?;
            e.charged = crate::base::money::add_exact(e.charged, u.charged).ok_or_else(overflow)?;
            e.events += u.events;
        }
        for (g, name) in w.group_names.iter().enumerate() {
            *events.entry(name.clone()).or_default() += w.totals.events(g as u32);
            for u in w.totals.units_of(g as u32) {
                let e = merged
                    .entry((name.clone(), u))
                    .or_insert((0, Decimal::ZERO));
                let overflow = || {
                    format!(
                        "arithmetic overflow while summing the total of `{name}` in `{}`: it exceeds exact decimal range (28 digits)",
                        table.unit_name(u)
                    )
                };
                // Exact sums across workers, rounded once below.
                e.1 = w
                    .totals
                    .exact_amount(g as u32, u)
                    .and_then(|a| crate::base::money::add_exact(e.1, a))
                    .ok_or_else(overflow)?;
            }
        }
        bad.extend(w.bad);
        rejected.extend(w.rejected);
        rule_lines.extend(w.rule_lines);
        rated += w.rated;
        usage_lines += w.lines;
    }
    super::period::price_periods(table, &rater, period_usage, &mut merged, &mut events)?;
    bad.sort_by_key(|b| b.0);
    rejected.sort_by_key(|b| b.0);
    rule_lines.sort_unstable();
    // A key whose events were all free still gets a row: zero in the book's currency.
    if let Some(currency) = table.unit_id(&table.currency) {
        let charged: std::collections::BTreeSet<&String> = merged.keys().map(|(g, _)| g).collect();
        let free: Vec<String> = events
            .iter()
            .filter(|(g, n)| **n > 0 && !charged.contains(g))
            .map(|(g, _)| g.clone())
            .collect();
        let zero = Decimal::new(0, table.units[currency as usize].charge_dp);
        for g in free {
            merged.insert((g, currency), (0, zero));
        }
    }
    let totals = merged
        .into_iter()
        .map(|((g, u), (_, amount))| {
            let n = events.get(&g).copied().unwrap_or(0);
            // One rounding per total: money to its minor unit (events were kept exact);
            // other units canonically, whatever the split of the file across workers.
            let amount = match table.units.get(u as usize) {
                Some(unit) if unit.is_money => {
                    let mut a = amount.round_dp_with_strategy(
                        unit.charge_dp,
                        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                    );
                    a.rescale(unit.charge_dp);
                    a
                }
                _ => amount.normalize(),
            };
            (g, table.unit_name(u).to_string(), amount, n)
        })
        .collect();
    Ok(RateReport {
        totals,
        rated,
        bad,
        rejected,
        rule_lines,
        rule_books: Vec::new(),
        lines: usage_lines,
    })
}

/// Writes totals as CSV: `<group>,amount,unit,events`.
pub fn write_csv(report: &RateReport, by: GroupBy, out: &mut dyn Write) -> std::io::Result<()> {
    let key = match by {
        GroupBy::Account => "account",
        GroupBy::Plan => "plan",
        GroupBy::Product => "product",
    };
    writeln!(out, "{key},amount,unit,events")?;
    for (g, unit, amount, events) in &report.totals {
        let g = if g.contains(',') || g.contains('"') {
            format!("\"{}\"", g.replace('"', "\"\""))
        } else {
            g.clone()
        };
        writeln!(out, "{g},{amount},{unit},{events}")?;
    }
    Ok(())
}

/// Writes totals as JSON.
pub fn write_json(report: &RateReport, by: GroupBy, out: &mut dyn Write) -> std::io::Result<()> {
    let key = match by {
        GroupBy::Account => "account",
        GroupBy::Plan => "plan",
        GroupBy::Product => "product",
    };
    let totals: Vec<serde_json::Value> = report
        .totals
        .iter()
        .map(|(g, unit, amount, events)| serde_json::json!({ key: g, "amount": amount.to_string(), "unit": unit, "events": events }))
        .collect();
    let doc = serde_json::json!({
        "totals": totals,
        "rated": report.rated,
        "lines": report.lines,
        "bad_lines": report.bad.iter().map(|(n, m)| serde_json::json!({"line": n, "reason": m})).collect::<Vec<_>>(),
        "rejected": report.rejected.iter().map(|(n, m)| serde_json::json!({"line": n, "reason": m})).collect::<Vec<_>>(),
    });
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::MAX_FIELDS;
    use crate::base::csv::split_unquoted;

    #[test]
    fn fields_split_on_commas_and_quotes_fall_back() {
        let split = |line: &'static str| {
            let mut out = [""; MAX_FIELDS];
            split_unquoted(line, &mut out).map(|n| (n, out[..n.min(MAX_FIELDS)].to_vec()))
        };
        assert_eq!(split(""), Some((1, vec![""])));
        assert_eq!(split("a,,b,"), Some((4, vec!["a", "", "b", ""])));
        assert_eq!(split("é,ü"), Some((2, vec!["é", "ü"])));
        // A quoted field is left to the full split.
        assert_eq!(split("a,\"b,c\",d"), None);
        // More than MAX_FIELDS: the count says so, the kept fields are the first ones.
        let long: &'static str = Box::leak(vec!["x"; MAX_FIELDS + 1].join(",").into_boxed_str());
        assert_eq!(split(long).map(|s| s.0), Some(MAX_FIELDS + 1));
        let exact: &'static str = Box::leak(vec!["x"; MAX_FIELDS].join(",").into_boxed_str());
        assert_eq!(split(exact).map(|s| s.0), Some(MAX_FIELDS));
    }
}
