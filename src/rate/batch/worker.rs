//! One rating worker: the lines of the chunks it takes, each resolved to a rate key through
//! caches keyed by the line's raw fields, rated into the worker's own totals.
//!
//! A line of the common shape (a CSV export of exactly account, plan, product and quantity, or
//! a flat JSON event of those four) takes [`Worker::fast`]: its fields are sliced out of the
//! line's bytes, its rate key found in the cache, its quantity parsed to nano-units, and it is
//! rated, with no [`Line`] built and nothing allocated. Anything else, or anything the fast path
//! does not find already cached, takes the general path, which reads every column a usage line
//! may have and reports what is wrong with a line.

use super::columns::{Columns, cols_len};
use super::exchange::{Exchange, Parcel};
use super::groups::Groups;
use super::json_line::{flat_event, parse_json};
use super::words::{bits_of, bytes_equal, load};
use super::{GroupBy, InputKind};
use crate::base::csv;
use crate::rate::name_map::NameMap;
use crate::rate::period::{PeriodKey, PeriodUsage};
use crate::rate::{Event, QUANTITY_SCALE, RateKey, Rater, Totals};
use crate::table::RatingTable;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// A usage line's place while its chunk is rated: the chunk's index in the high bits, the line's
/// number within the chunk (from 1) in the low [`LOCAL_BITS`]; [`crate::base::chunks::LineBase`] turns
/// it into the file's line number once every chunk is counted.
pub(super) const LOCAL_BITS: u32 = 40;

/// Most fields a usage line may have.
pub(super) const MAX_FIELDS: usize = 32;

/// Parses an unsigned decimal into nano-units without going through `Decimal` (the common case).
#[inline]
fn parse_nanos(s: &str) -> Option<i64> {
    parse_nanos_bytes(s.as_bytes())
}

#[inline]
fn parse_nanos_bytes(b: &[u8]) -> Option<i64> {
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
    /// Whether the key's usage is totalled per billing period (the general path prices it).
    by_period: bool,
}

/// One worker's state.
pub(super) struct Worker<'t> {
    rater: &'t Rater<'t>,
    table: &'t RatingTable,
    kind: InputKind,
    by: GroupBy,
    targets: NameMap<Target>,
    /// The same targets by the raw bytes of a CSV line's plan and product fields.
    raw_targets: NameMap<Target>,
    pub(super) groups: Groups,
    pub(super) totals: Totals,
    /// Lines by their place ([`LOCAL_BITS`]) and why.
    pub(super) bad: Vec<(u64, String)>,
    pub(super) rejected: Vec<(u64, String)>,
    /// (usage line, book line) of the rejections a rule with a line made.
    pub(super) rule_lines: Vec<(u64, u32)>,
    pub(super) rated: u64,
    /// Usage lines seen (not blank): rated + bad + rejected.
    pub(super) lines: u64,
    /// (chunk, lines in it, blank ones included) of every chunk this worker rated.
    pub(super) chunk_lines: Vec<(u32, u64)>,
    key_buf: Vec<u8>,
    /// Usage of products whose tiers count the billing period or whose charges are capped per
    /// period, priced once its total is known: (account, group, key, month) -> the period's
    /// usage.
    pub(super) period_usage: HashMap<PeriodKey, PeriodUsage>,
    /// With several workers totalling by account: this worker's share of the accounts, and the
    /// lines of other workers' accounts handed over ([`super::exchange`]).
    exchange: Option<Exchange>,
}

/// Why a line is not rated: malformed (a bad line) or refused by a rule.
enum Stop {
    Bad(String),
    Rejected(crate::base::rejection::Rejection),
}

/// Fields of one usage line.
pub(super) struct Line<'a> {
    pub(super) account: &'a str,
    pub(super) plan: &'a str,
    pub(super) product: &'a str,
    pub(super) quantity: &'a str,
    pub(super) unit: Option<&'a str>,
    pub(super) time: Option<&'a str>,
    pub(super) dims: Vec<(Option<&'a str>, &'a str)>,
    /// (attribute name, value) as written; empty values are not given.
    pub(super) attrs: Vec<(&'a str, &'a str)>,
    /// The price list the line is for; empty when it names none.
    pub(super) list: &'a str,
}

impl<'t> Worker<'t> {
    pub(super) fn new(
        rater: &'t Rater<'t>,
        kind: InputKind,
        by: GroupBy,
        exchange: Option<Exchange>,
    ) -> Self {
        let table = rater.table();
        Worker {
            rater,
            table,
            kind,
            by,
            targets: NameMap::new(),
            raw_targets: NameMap::new(),
            groups: Groups::new(),
            totals: Totals::tagged(table),
            bad: Vec::new(),
            rejected: Vec::new(),
            rule_lines: Vec::new(),
            rated: 0,
            lines: 0,
            chunk_lines: Vec::new(),
            key_buf: Vec::with_capacity(128),
            period_usage: HashMap::new(),
            exchange: exchange.filter(|_| by == GroupBy::Account),
        }
    }

    #[inline]
    fn group(&mut self, name: &[u8]) -> u32 {
        self.groups.id(name, &mut self.totals)
    }

    /// Rates the lines of chunk `chunk`: `bytes` is its lines without the last one's newline
    /// (`None`: no line starts in the chunk).
    pub(super) fn chunk(&mut self, chunk: u32, bytes: Option<&[u8]>, columns: Option<&Columns>) {
        let mut local = 0u64;
        let place = u64::from(chunk) << LOCAL_BITS;
        if let Some(bytes) = bytes {
            // One check of the whole chunk: lines cut at newlines of valid UTF-8 are valid.
            let valid = std::str::from_utf8(bytes).is_ok();
            let mut batch = Batch::default();
            let mut start = 0;
            for end in memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len())) {
                local += 1;
                let ready = self.line(place | local, &bytes[start..end], valid, columns);
                let mine = match (ready, self.exchange.as_mut()) {
                    (Some(ready), Some(x)) => x.route(ready, self.groups.len()),
                    (ready, _) => ready,
                };
                if let Some(ready) = mine {
                    batch.push(ready);
                    if batch.len == BATCH {
                        self.rate_ready(&mut batch);
                    }
                }
                start = end + 1;
            }
            self.rate_ready(&mut batch);
        }
        self.chunk_lines.push((chunk, local));
        if let Some(x) = self.exchange.as_mut() {
            x.flush();
        }
        while let Some(parcel) = self.exchange.as_ref().and_then(Exchange::try_take) {
            self.rate_parcel(&parcel);
            if let Some(x) = self.exchange.as_mut() {
                x.give_back(parcel);
            }
        }
    }

    /// After the last chunk: sends what is left for the other workers, then rates what they
    /// send until every one of them is done.
    pub(super) fn finish(&mut self) {
        if let Some(x) = self.exchange.as_mut() {
            x.close();
        }
        while let Some(parcel) = self.exchange.as_ref().and_then(Exchange::take) {
            self.rate_parcel(&parcel);
        }
    }

    /// Rates the lines another worker read of accounts this one owns.
    fn rate_parcel(&mut self, parcel: &Parcel) {
        let mut batch = Batch::default();
        for line in parcel.lines() {
            batch.push(line);
            if batch.len == BATCH {
                self.rate_ready(&mut batch);
            }
        }
        self.rate_ready(&mut batch);
    }

    /// Rates the lines of `batch`, looking their accounts up together
    /// ([`Groups::ids`]), and empties it.
    fn rate_ready(&mut self, batch: &mut Batch<'_>) {
        let n = batch.len;
        let mut ids = [ACCOUNT; BATCH];
        if self.by == GroupBy::Account {
            self.groups.ids(
                &batch.accounts[..n],
                &batch.lines[..n],
                &mut ids[..n],
                &mut self.totals,
            );
            // Every row read before any is written: their loads overlap.
            let warm = ids[..n]
                .iter()
                .fold(0i128, |w, id| w ^ self.totals.warm(*id));
            std::hint::black_box(warm);
        }
        for (ready, id) in batch.lines[..n].iter().zip(ids) {
            let event = Event {
                account: match ready.group {
                    ACCOUNT => id,
                    group => group,
                },
                key: ready.key,
                quantity: ready.quantity,
            };
            match self.rater.rate_event(&event, &mut self.totals) {
                Ok(()) => self.rated += 1,
                Err(r) => self.reject(ready.number, r),
            }
        }
        batch.len = 0;
    }

    /// The line's target, from the cache or resolved and cached.
    fn target(&mut self, line: &Line<'_>) -> Result<Target, String> {
        let unit = line.unit.unwrap_or("").as_bytes();
        cache_key(
            &mut self.key_buf,
            [line.plan.as_bytes(), line.product.as_bytes(), unit],
            &line.dims,
        );
        if let Some(t) = self.targets.get(&self.key_buf) {
            return Ok(t);
        }
        let t = self.resolve(line)?;
        self.targets.insert(&self.key_buf, t);
        Ok(t)
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
            by_period: self.rater.totals_by_period(key),
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
    /// One line: read by the fast path and returned to be rated with its batch, or rated (or
    /// reported) by the general path. `valid`: the line is known to be UTF-8.
    #[inline]
    fn line<'l>(
        &mut self,
        number: u64,
        bytes: &'l [u8],
        valid: bool,
        columns: Option<&Columns>,
    ) -> Option<(Ready, &'l [u8])> {
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let text = match valid {
            true => None,
            false => match std::str::from_utf8(bytes) {
                Ok(text) => Some(text),
                Err(_) => {
                    self.lines += 1;
                    self.bad.push((number, "not valid UTF-8".into()));
                    return None;
                }
            },
        };
        let fields = match (self.kind, columns.and_then(|c| c.simple)) {
            (InputKind::Csv, Some(at)) => split4(bytes).map(|[c0, c1, c2]| {
                let (c0, c1, c2) = (c0 as usize, c1 as usize, c2 as usize);
                let r = [(0, c0), (c0 + 1, c1), (c1 + 1, c2), (c2 + 1, bytes.len())];
                let field = |i: usize| bytes[r[i].0..r[i].1].trim_ascii();
                let raw = (at[2] == at[1] + 1).then(|| &bytes[r[at[1]].0..r[at[2]].1]);
                // Written out, not `at.map(field)`: that stayed a call per line (6% of the
                // samples at 10,000 accounts).
                (
                    [field(at[0]), field(at[1]), field(at[2]), field(at[3])],
                    raw,
                )
            }),
            (InputKind::Jsonl, _) => flat_event(bytes).map(|f| (f, None)),
            (InputKind::Csv, None) => None,
        };
        if let Some(ready) = fields.and_then(|(f, raw)| self.fast(number, f, raw)) {
            self.lines += 1;
            return Some(ready);
        }
        match text.map_or_else(|| std::str::from_utf8(bytes), Ok) {
            Ok(text) => self.general(number, text, columns),
            // Unreachable when the chunk was checked whole; said as the general path says it.
            Err(_) => {
                self.lines += 1;
                self.bad.push((number, "not valid UTF-8".into()));
            }
        }
        None
    }

    /// A line of the common shape, `[account, plan, product, quantity]` (fields as the general
    /// path reads them; `raw`, the line's bytes from its plan to its product when they are
    /// neighbours, which find the rate key without building the cache's key), ready to rate
    /// with its account; or `None`, having changed nothing, when
    /// the line is anything else (a rate key not yet cached, a quantity with a unit or more than
    /// nine decimals, usage totalled per period, a malformed line).
    #[inline]
    fn fast<'l>(
        &mut self,
        number: u64,
        [account, plan, product, quantity]: [&'l [u8]; 4],
        raw: Option<&[u8]>,
    ) -> Option<(Ready, &'l [u8])> {
        let target = match raw.and_then(|k| self.raw_targets.get(k)) {
            Some(t) => t,
            None => {
                cache_key(&mut self.key_buf, [plan, product, b""], &[]);
                let t = self.targets.get(&self.key_buf)?;
                if let Some(k) = raw {
                    self.raw_targets.insert(k, t);
                }
                t
            }
        };
        let quantity = match (parse_nanos_bytes(quantity), target.factor) {
            (Some(n), Some(f)) if !target.by_period => n.checked_mul(f as i64)?,
            _ => return None,
        };
        let table = self.table;
        let group = match self.by {
            GroupBy::Account => ACCOUNT,
            GroupBy::Plan => match target.plan {
                Some(p) => self.group(table.plans[p as usize].slug.as_bytes()),
                None => self.group(plan),
            },
            GroupBy::Product => self.group(table.products[target.product as usize].slug.as_bytes()),
        };
        let ready = Ready {
            number,
            key: target.key,
            quantity,
            group,
            hash: 0,
        };
        Some((ready, account))
    }

    /// Any line: every column a usage line may have, and what is wrong with it.
    fn general(&mut self, number: u64, text: &str, columns: Option<&Columns>) {
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
        let target = match self.target(&line) {
            Ok(t) => t,
            Err(e) => return self.bad.push((number, e)),
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
                let t = match self.target(&with_unit) {
                    Ok(t) => t,
                    Err(e) => return self.bad.push((number, e)),
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
        let group = self.group(group_name.as_bytes());
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

/// Where the three commas of a CSV line of four unquoted fields are (the fields, untrimmed, lie
/// between them); `None` for any other line. Twelve bytes, so that it comes back in registers:
/// the four fields' 72 bytes of ranges went through the stack, and reading them back stalled on
/// the stores (a tenth of the reading's samples). Eight bytes at a time: each word's commas and quotes are found by arithmetic on
/// the word, and a line's commas gathered into one bit per byte, so the three cuts come out of
/// a register. (The loop over bytes it replaced, a compare and a branch per byte, was a fifth
/// of the reading.) Usage lines are a few dozen bytes, too short for a vector search to pay for
/// its setup; a line over 64 bytes takes that loop.
#[inline]
fn split4(line: &[u8]) -> Option<[u32; 3]> {
    if line.len() > 64 {
        return split4_bytes(line);
    }
    let mut commas = 0u64;
    let mut quotes = 0u64;
    let mut words = line.chunks_exact(8);
    let mut at = 0;
    for chunk in words.by_ref() {
        let w = load(chunk);
        commas |= bits_of(bytes_equal(w, b',')) << at;
        quotes |= bytes_equal(w, b'"');
        at += 8;
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        // Zero bytes pad the last word: neither a comma nor a quote. The line's last eight
        // bytes, shifted down past those already read: copying the rest into a zeroed word
        // took a call to `memcpy`, and reading the word back stalled on its stores.
        let w = match line.last_chunk::<8>() {
            Some(last) => load(last) >> ((8 - rest.len()) * 8),
            None => rest
                .iter()
                .rev()
                .fold(0u64, |w, byte| (w << 8) | u64::from(*byte)),
        };
        commas |= bits_of(bytes_equal(w, b',')) << at;
        quotes |= bytes_equal(w, b'"');
    }
    if quotes != 0 || commas.count_ones() != 3 {
        return None;
    }
    let c0 = commas.trailing_zeros();
    commas &= commas - 1;
    let c1 = commas.trailing_zeros();
    commas &= commas - 1;
    Some([c0, c1, commas.trailing_zeros()])
}

/// [`split4`] for a long line, byte by byte.
#[cold]
fn split4_bytes(line: &[u8]) -> Option<[u32; 3]> {
    let mut cuts = [0u32; 3];
    let mut n = 0;
    for (i, &b) in line.iter().enumerate() {
        if b == b',' {
            if n == 3 {
                return None;
            }
            // A comma past 4 GiB into a line: the general path reads it.
            cuts[n] = u32::try_from(i).ok()?;
            n += 1;
        } else if b == b'"' {
            return None;
        }
    }
    (n == 3).then_some(cuts)
}

#[cfg(test)]
mod split_tests {
    use super::{split4, split4_bytes};

    /// The word-at-a-time split finds the fields the byte loop finds, or refuses the same
    /// lines, for every length up to past the 64-byte cut-over and every mix of commas,
    /// quotes, zero bytes and bytes with the high bit set (which the arithmetic must not
    /// confuse with a comma).
    #[test]
    fn words_split_as_bytes_do() {
        let alphabet = [
            b',', b'"', b'a', b'0', 0u8, 0x80, 0xac, 0xff, b' ', 0x2d, 0x2b,
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || crate::base::xorshift(&mut seed);
        let mut found = 0;
        for round in 0..200_000 {
            let len = (next() % 80) as usize;
            let mut line: Vec<u8> = (0..len)
                .map(|_| {
                    // Mostly plain bytes, so that lines of exactly three commas are common.
                    match next() % 8 {
                        0 => alphabet[(next() % alphabet.len() as u64) as usize],
                        _ => b'a' + (next() % 26) as u8,
                    }
                })
                .collect();
            if round % 2 == 0 && len >= 3 {
                // Three commas at random places, no quote.
                line.iter_mut()
                    .filter(|b| **b == b',' || **b == b'"')
                    .for_each(|b| *b = b'x');
                for _ in 0..3 {
                    let at = (next() % len as u64) as usize;
                    line[at] = b',';
                }
            }
            let got = split4(&line);
            assert_eq!(got, split4_bytes(&line), "{line:?}");
            found += usize::from(got.is_some());
        }
        assert!(found > 20_000, "only {found} lines of four fields");
    }
}

/// The rate-key cache's key: the raw fields that decide the rate (plan, product, unit, then each
/// dimension as `name=value`), each ended by a zero byte.
fn cache_key(buf: &mut Vec<u8>, parts: [&[u8]; 3], dims: &[(Option<&str>, &str)]) {
    buf.clear();
    for part in parts {
        buf.extend_from_slice(part);
        buf.push(0);
    }
    for (k, v) in dims {
        buf.extend_from_slice(k.unwrap_or("").as_bytes());
        buf.push(b'=');
        buf.extend_from_slice(v.as_bytes());
        buf.push(0);
    }
}

/// Lines rated together: their accounts are looked up as a batch.
const BATCH: usize = 32;

/// `Ready::group` of a line whose group is its account, looked up with its batch.
const ACCOUNT: u32 = u32::MAX;

/// A line the fast path has read, to be rated with its batch.
#[derive(Clone, Copy, Default)]
pub(super) struct Ready {
    number: u64,
    key: RateKey,
    quantity: i64,
    /// The line's group, or [`ACCOUNT`].
    group: u32,
    /// The account name's hash ([`route_hash`](crate::rate::name_map::route_hash)) once the
    /// exchange has hashed it to find the account's worker: that worker's index finds its
    /// slot by the same hash. Zero when not hashed yet (or hashed to zero), and the index
    /// hashes it then.
    pub(super) hash: u64,
}

/// Up to [`BATCH`] lines and their accounts' names.
struct Batch<'l> {
    lines: [Ready; BATCH],
    accounts: [&'l [u8]; BATCH],
    len: usize,
}

impl Default for Batch<'_> {
    fn default() -> Self {
        Batch {
            lines: [Ready::default(); BATCH],
            accounts: [b""; BATCH],
            len: 0,
        }
    }
}

#[cfg(test)]
impl Ready {
    pub(super) fn numbered(number: u64) -> Ready {
        Ready {
            number,
            ..Ready::default()
        }
    }

    pub(super) fn number(&self) -> u64 {
        self.number
    }
}

impl<'l> Batch<'l> {
    #[inline]
    fn push(&mut self, (ready, account): (Ready, &'l [u8])) {
        self.lines[self.len] = ready;
        self.accounts[self.len] = account;
        self.len += 1;
    }
}
