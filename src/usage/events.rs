//! Usage events for a bill: each line's time first (so a vendor's directory can give the version
//! in force on the bill's first day), then names, quantities and dimension values against that
//! version's table.
//!
//! CSV columns: `time`, `product`, `buy` (a pack) or `top_up` (money added to a prepaid
//! balance: `50 USD`), `quantity` (`90`, `90 second`, `1,000 second`),
//! `unit`, `list` (the price list the event bills on, for an account with subscriptions on
//! several), `attr.NAME` (an event attribute; empty when not given), then one column per
//! dimension; `account` (kept in [`EventFields::account`] for invoice runs) and `plan` are allowed
//! and ignored by a bill. JSON Lines use the same names, with `dims` for dimension values and
//! `attrs` for attributes (`{"scenes": 51}`). The subscription's own events: `change_plan` (a
//! plan), `change_billing` (`monthly` or `annual`) and `cancel` (`true`), each with its `time`.

use crate::base::date::{Date, Instant, parse_instant};
use crate::base::quantity::split_quantity;
use crate::base::{csv, usage_json as json};
use crate::bill::{RejectedEvent, Usage, UsageEvent};
use crate::table::{EventAttr, RatingTable};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap as HashMap;

use super::plain::PlainEvent;

/// The fields of one usage line, as written.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventFields {
    pub product: String,
    /// A pack bought (instead of a product used).
    pub buy: String,
    /// Money added to a prepaid balance (`50 USD`), instead of a product used.
    pub top_up: String,
    pub quantity: String,
    pub unit: String,
    /// (dimension name if given, value).
    pub dims: Vec<(Option<String>, String)>,
    /// (attribute name, value) as written: `("script length", "4500 character")`.
    pub attrs: Vec<(String, String)>,
    /// The price list the event bills on (`web`, `api`); empty when the line names none.
    pub list: String,
    /// The subscription's own events: a plan to change to (`change_plan`), a billing cycle to
    /// change to (`change_billing`), or an end (`cancel`).
    pub change_plan: String,
    pub change_billing: String,
    pub cancel: bool,
    /// The account the line is for (an invoice run's; a single bill ignores it).
    pub account: String,
}

/// A usage line whose time is read and whose names are not resolved yet.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TimedEvent {
    /// Line number in the file, from 1.
    pub line: u64,
    pub time: Instant,
    pub fields: EventFields,
}

pub(super) fn bad_line(line: u64, reason: String) -> RejectedEvent {
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
/// back as bad lines (kind `bad-line`) with their numbers, and every other line is kept.
pub fn read_events(text: &str) -> (Vec<TimedEvent>, Vec<RejectedEvent>) {
    let mut events = Vec::new();
    let mut bad = Vec::new();
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.trim_end_matches('\r')));
    let Some((_, first)) = lines.clone().find(|(_, l)| !l.trim().is_empty()) else {
        return (events, bad);
    };
    let reader = EventReader::for_first_line(first);
    if reader.is_csv() {
        lines.find(|(_, l)| !l.trim().is_empty());
    }
    for (n, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        match reader.read(n, l) {
            Ok(e) => events.push(e),
            Err(b) => bad.push(b),
        }
    }
    (events, bad)
}

/// Reads a usage file's lines one at a time, for readers that stream a file rather than hold
/// it ([`read_events`] is this reader over a whole text): the file's first non-blank line says
/// the format (`{` starts JSON Lines, anything else is a CSV header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventReader {
    /// The CSV header's column names, lower case; `None` for JSON Lines.
    header: Option<Vec<String>>,
    /// What each CSV column holds, read from the header once rather than per line.
    columns: Vec<Column>,
    /// Where the fields are when every column says a product's use (time, product, quantity,
    /// unit) or is not read: each line can then be a [`PlainEvent`].
    plain: Option<PlainColumns>,
}

/// Where a plain file's fields are ([`EventReader::is_plain`]): the columns of its time,
/// product, quantity and unit (the last, where a header repeats a name, as
/// [`EventReader::read`] keeps the last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlainColumns {
    time: Option<usize>,
    product: Option<usize>,
    quantity: Option<usize>,
    unit: Option<usize>,
    /// The header's width.
    width: usize,
}

impl PlainColumns {
    fn of(columns: &[Column]) -> PlainColumns {
        let at = |c: Column| columns.iter().rposition(|k| *k == c);
        PlainColumns {
            time: at(Column::Time),
            product: at(Column::Product),
            quantity: at(Column::Quantity),
            unit: at(Column::Unit),
            width: columns.len(),
        }
    }

    /// How many fields a line has.
    pub fn width(&self) -> usize {
        self.width
    }

    /// An unquoted line's fields (`cells`, as split), trimmed: its time, product, quantity and
    /// unit as written, each empty where the file has no such column.
    pub fn fields<'l>(&self, cells: &[&'l str]) -> [&'l str; 4] {
        let field = |i: Option<usize>| i.and_then(|i| cells.get(i)).map_or("", |c| csv::trim(c));
        [
            field(self.time),
            field(self.product),
            field(self.quantity),
            field(self.unit),
        ]
    }
}

/// What a CSV column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Time,
    Product,
    Buy,
    TopUp,
    Quantity,
    Unit,
    List,
    ChangePlan,
    ChangeBilling,
    Cancel,
    Account,
    /// `plan`: an invoice run's accounts file says the plan, so the column is not read.
    Ignored,
    Attr(String),
    Dimension(String),
}

impl Column {
    fn of(header: &str) -> Column {
        match header {
            "time" => Column::Time,
            "product" => Column::Product,
            "buy" => Column::Buy,
            "top_up" => Column::TopUp,
            "quantity" => Column::Quantity,
            "unit" => Column::Unit,
            "list" => Column::List,
            "change_plan" => Column::ChangePlan,
            "change_billing" => Column::ChangeBilling,
            "cancel" => Column::Cancel,
            "account" => Column::Account,
            "plan" => Column::Ignored,
            h => match csv::attr_column(h) {
                Some(name) => Column::Attr(name.to_string()),
                None => Column::Dimension(h.to_string()),
            },
        }
    }
}

impl EventReader {
    /// The reader for a file whose first non-blank line is `first` (a CSV header is that line).
    pub fn for_first_line(first: &str) -> EventReader {
        let header: Option<Vec<String>> = (!first.trim_start().starts_with('{')).then(|| {
            csv::split_line(first)
                .iter()
                .map(|c| c.to_ascii_lowercase())
                .collect()
        });
        let columns: Vec<Column> = header.iter().flatten().map(|h| Column::of(h)).collect();
        let plain = (header.is_some()
            && columns.iter().all(|c| {
                matches!(
                    c,
                    Column::Time
                        | Column::Product
                        | Column::Quantity
                        | Column::Unit
                        | Column::Account
                        | Column::Ignored
                )
            }))
        .then(|| PlainColumns::of(&columns));
        EventReader {
            header,
            columns,
            plain,
        }
    }

    /// This reader, leaving a CSV file's `account` column unread (empty): for readers that
    /// already know each line's account (an invoice run bills its lines account by account).
    pub fn without_account(mut self) -> EventReader {
        for c in &mut self.columns {
            if *c == Column::Account {
                *c = Column::Ignored;
            }
        }
        self
    }

    /// Whether the file is CSV (its first non-blank line is the header, not an event).
    pub fn is_csv(&self) -> bool {
        self.header.is_some()
    }

    /// The CSV header's column names, lower case (`None` for JSON Lines).
    pub fn header(&self) -> Option<&[String]> {
        self.header.as_deref()
    }

    /// Reads line `n` (a non-blank line after the header): the event with its time, or the bad
    /// line with its reason.
    pub fn read(&self, n: u64, line: &str) -> Result<TimedEvent, RejectedEvent> {
        let timed = |time: &str, fields: EventFields| {
            instant_of(n, time).map(|time| TimedEvent {
                line: n,
                time,
                fields,
            })
        };
        if self.header.is_none() {
            return match json_fields(line) {
                Ok((time, fields)) => timed(&time, fields),
                Err(reason) => Err(bad_line(n, reason)),
            };
        };
        // Most lines have no quote: their fields are read in place, not each copied first.
        // Room for the usual handful of columns; a wider line takes the general splitter.
        let mut cells = [""; 16];
        let read = match csv::split_unquoted(line, &mut cells) {
            Some(count) if count <= cells.len() => {
                let values = cells.get(..count).unwrap_or_default();
                csv_fields(&self.columns, values.iter().map(|v| csv::trim(v)), count)
                    .map(|(time, fields)| timed(time, fields))
            }
            _ => {
                let values = csv::split_line(line);
                csv_fields(
                    &self.columns,
                    values.iter().map(|v| v.as_ref()),
                    values.len(),
                )
                .map(|(time, fields)| timed(time, fields))
            }
        };
        read.unwrap_or_else(|reason| Err(bad_line(n, reason)))
    }

    /// Whether every line of the file reads as a [`PlainEvent`] ([`EventReader::read_plain`]):
    /// a CSV file whose columns are `time`, `product`, `quantity`, `unit`, `account` and
    /// `plan` only.
    pub fn is_plain(&self) -> bool {
        self.plain.is_some()
    }

    /// Where a plain file's fields are (`None` when the file is not plain).
    pub fn plain_columns(&self) -> Option<&PlainColumns> {
        self.plain.as_ref()
    }

    /// [`EventReader::read`] for a file [`is_plain`](EventReader::is_plain): the same event or
    /// bad line, with the fields borrowed from `line` rather than copied (a quoted line's are
    /// unquoted copies). `None` when the file is not plain.
    pub fn read_plain<'l>(
        &self,
        n: u64,
        line: &'l str,
    ) -> Option<Result<PlainEvent<'l>, RejectedEvent>> {
        let columns = self.plain.as_ref()?;
        let mut cells = [""; 16];
        let read = match csv::split_unquoted(line, &mut cells) {
            Some(count) if count <= cells.len() => {
                if count != columns.width {
                    return Some(Err(bad_line(n, wrong_width(columns.width, count))));
                }
                let [time, product, quantity, unit] =
                    columns.fields(cells.get(..count).unwrap_or_default());
                instant_of(n, time)
                    .map(|time| PlainEvent::borrowed(n, time, [product, quantity, unit]))
            }
            // A quoted or wide line: the general reader, its fields then owned.
            _ => self.read(n, line).map(PlainEvent::from),
        };
        Some(read)
    }
}

/// Line `n`'s time as written, or the bad line saying why it is none.
fn instant_of(n: u64, time: &str) -> Result<Instant, RejectedEvent> {
    match parse_instant(time) {
        Some(t) => Ok(t),
        None if time.is_empty() => Err(bad_line(n, "no `time`".into())),
        None => Err(bad_line(n, format!("`{time}` is not an RFC 3339 time"))),
    }
}

fn wrong_width(expected: usize, found: usize) -> String {
    format!("expected {expected} fields (as in the header), found {found}")
}

/// A CSV line's `count` fields (`values`, trimmed) under its header's `columns`: its time as
/// written, and the other fields.
fn csv_fields<'l>(
    columns: &[Column],
    values: impl Iterator<Item = &'l str>,
    count: usize,
) -> Result<(&'l str, EventFields), String> {
    if count != columns.len() {
        return Err(wrong_width(columns.len(), count));
    }
    let mut f = EventFields::default();
    let mut time = "";
    for (c, v) in columns.iter().zip(values) {
        match c {
            Column::Time => time = v,
            Column::Product => f.product = v.to_string(),
            Column::Buy => f.buy = v.to_string(),
            Column::TopUp => f.top_up = v.to_string(),
            Column::Quantity => f.quantity = v.to_string(),
            Column::Unit => f.unit = v.to_string(),
            Column::List => f.list = v.to_string(),
            Column::ChangePlan => f.change_plan = v.to_string(),
            Column::ChangeBilling => f.change_billing = v.to_string(),
            Column::Cancel => f.cancel = truth(v, "cancel")?,
            Column::Account => f.account = v.to_string(),
            Column::Ignored => {}
            Column::Attr(name) => {
                if !v.is_empty() {
                    f.attrs.push((name.clone(), v.to_string()));
                }
            }
            Column::Dimension(name) => {
                if !v.is_empty() {
                    f.dims.push((Some(name.clone()), v.to_string()));
                }
            }
        }
    }
    Ok((time, f))
}

fn json_fields(line: &str) -> Result<(String, EventFields), String> {
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let s = |k: &str| json::text(&v, k);
    Ok((
        s("time")?,
        EventFields {
            product: s("product")?,
            buy: s("buy")?,
            top_up: s("top_up")?,
            quantity: s("quantity")?,
            unit: s("unit")?,
            dims: json::dims(&v)?,
            attrs: json::attrs(&v)?,
            list: s("list")?.trim().to_string(),
            change_plan: s("change_plan")?.trim().to_string(),
            change_billing: s("change_billing")?.trim().to_string(),
            cancel: match v.get("cancel") {
                Some(serde_json::Value::Bool(b)) => *b,
                Some(serde_json::Value::String(t)) => truth(t, "cancel")?,
                None | Some(serde_json::Value::Null) => false,
                Some(other) => {
                    return Err(format!("`cancel` must be true or false, found {other}"));
                }
            },
            // A bill ignores the account, so one it cannot read is no bad line of the bill's.
            account: s("account").unwrap_or_default().trim().to_string(),
        },
    ))
}

/// A yes/no field as written: `true`/`false`, `yes`/`no`, `1`/`0`, or empty for no.
fn truth(text: &str, field: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" | "" => Ok(false),
        other => Err(format!("`{field}` must be true or false, found `{other}`")),
    }
}

/// Resolves the events' names, quantities and dimension values against `table`; a line that
/// names something the version does not have is a bad line, with its reason. The events'
/// attributes are left out: [`resolve_events_with_attrs`] reads them too.
pub fn resolve_events(
    table: &RatingTable,
    timed: &[TimedEvent],
) -> (Vec<UsageEvent>, Vec<RejectedEvent>) {
    let (events, _, bad) = resolve_events_with_attrs(table, timed);
    (events, bad)
}

/// [`resolve_events`], with each event's attributes (`attrs[i]` are `events[i]`'s), for
/// [`bill_with_attrs`](crate::bill::bill_with_attrs). An attribute the book does not declare,
/// or a value that is not a number or quantity, makes a bad line naming the attribute.
pub fn resolve_events_with_attrs(
    table: &RatingTable,
    timed: &[TimedEvent],
) -> (Vec<UsageEvent>, Vec<Vec<EventAttr>>, Vec<RejectedEvent>) {
    let mut events = Vec::with_capacity(timed.len());
    let mut attrs = Vec::with_capacity(timed.len());
    let mut bad = Vec::new();
    let mut names = Resolver::default();
    for e in timed {
        let usage = if e.fields.cancel {
            Ok(Usage::Cancel)
        } else if !e.fields.change_plan.is_empty() {
            table
                .find_plan(&e.fields.change_plan)
                .map(|plan| Usage::ChangePlan { plan })
                .map_err(|n| format!("change_plan: {n}"))
        } else if !e.fields.change_billing.is_empty() {
            match e.fields.change_billing.to_ascii_lowercase().as_str() {
                "monthly" => Ok(Usage::ChangeBilling {
                    billing: crate::bill::Billing::Monthly,
                }),
                "annual" => Ok(Usage::ChangeBilling {
                    billing: crate::bill::Billing::Annual,
                }),
                other => Err(format!(
                    "change_billing: `{other}` is not `monthly` or `annual`"
                )),
            }
        } else if !e.fields.top_up.trim().is_empty() {
            resolve_top_up(table, &e.fields.top_up)
        } else if !e.fields.buy.is_empty() {
            names.pack(table, &e.fields.buy)
        } else {
            let f = &e.fields;
            names.product_use(table, &f.product, &f.quantity, &f.unit, &f.dims)
        };
        let carried =
            table.event_attrs(e.fields.attrs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        match usage.and_then(|u| carried.map(|a| (u, a))) {
            Ok((usage, carried)) => {
                events.push(UsageEvent {
                    line: e.line,
                    time: e.time,
                    usage,
                });
                attrs.push(carried);
            }
            Err(reason) => bad.push(bad_line(e.line, reason)),
        }
    }
    (events, attrs, bad)
}

/// The events of a bill that spans versions, read against each (`tables` in effective order),
/// as [`crate::bill::bill_tables`] takes them: every version gets the same events, those at
/// least one version reads; where a version cannot read one (a product launched later) it is
/// [`Usage::NotInVersion`] there, with that version's reason. A line no version reads is a bad
/// line, with the reason of the version in force at its time.
#[expect(
    clippy::type_complexity,
    reason = "one (events, attributes) pair per version, as the bill takes them"
)]
pub fn resolve_in_versions(
    tables: &[&RatingTable],
    timed: &[TimedEvent],
) -> (
    Vec<(Vec<UsageEvent>, Vec<Vec<EventAttr>>)>,
    Vec<RejectedEvent>,
) {
    let read: Vec<_> = tables
        .iter()
        .map(|t| {
            let (events, attrs, bad) = resolve_events_with_attrs(t, timed);
            let at: HashMap<u64, usize> = events
                .iter()
                .enumerate()
                .map(|(i, e)| (e.line, i))
                .collect();
            let why: HashMap<u64, String> = bad.into_iter().map(|b| (b.line, b.reason)).collect();
            (events, attrs, at, why)
        })
        .collect();
    let starts: Vec<Instant> = tables
        .iter()
        .map(|t| Date::parse(&t.effective).map_or(Instant::MIN, Date::instant))
        .collect();
    let mut out: Vec<(Vec<UsageEvent>, Vec<Vec<EventAttr>>)> =
        tables.iter().map(|_| (Vec::new(), Vec::new())).collect();
    let mut bad = Vec::new();
    for e in timed {
        if read.iter().all(|(_, _, at, _)| !at.contains_key(&e.line)) {
            let in_force = starts.iter().rposition(|s| *s <= e.time).unwrap_or(0);
            let reason = read
                .get(in_force)
                .and_then(|(_, _, _, why)| why.get(&e.line).cloned())
                .unwrap_or_else(|| "no version of the book reads this line".into());
            bad.push(bad_line(e.line, reason));
            continue;
        }
        let name = [&e.fields.product, &e.fields.buy]
            .into_iter()
            .find(|n| !n.is_empty())
            .cloned()
            .unwrap_or_default();
        for ((events, attrs, at, why), (t, (out_events, out_attrs))) in
            read.iter().zip(tables.iter().zip(out.iter_mut()))
        {
            match at.get(&e.line) {
                Some(i) => {
                    out_events.push(events[*i].clone());
                    out_attrs.push(attrs[*i].clone());
                }
                None => {
                    let reason = why.get(&e.line).map_or("", String::as_str);
                    out_events.push(UsageEvent {
                        line: e.line,
                        time: e.time,
                        usage: Usage::NotInVersion {
                            product: name.clone(),
                            reason: format!(
                                "not in `{}` {}, the version pricing the account at the event's time: {reason}",
                                t.vendor, t.version
                            ),
                        },
                    });
                    out_attrs.push(Vec::new());
                }
            }
        }
    }
    (out, bad)
}

/// `50 USD` (or `50`, in the book's currency).
fn resolve_top_up(table: &RatingTable, text: &str) -> Result<Usage, String> {
    let (amount, unit) = split_quantity(text).map_err(|e| e.to_string())?;
    let currency = unit.unwrap_or(&table.currency);
    let id = table.find_unit(currency).map_err(|e| e.to_string())?;
    if !table.units[id as usize].is_money {
        return Err(format!(
            "a top-up is money: `{text}` is not in {}",
            table.currency
        ));
    }
    Ok(Usage::TopUp {
        amount,
        currency: id,
    })
}

/// A unit's factor to its product's base unit and the unit's name, or why it does not measure
/// the product.
type UnitFactor = Result<(Decimal, String), String>;

/// A file's names resolved once each against one table: files repeat a few names many times.
#[derive(Default)]
pub(super) struct Resolver<'t> {
    /// Products by name, for lines with dimension values.
    products: HashMap<&'t str, Result<u32, String>>,
    /// (product, unit column) as written -> [`Bare`], or why the product is unknown.
    bare: HashMap<(&'t str, &'t str), Result<Bare, String>>,
    packs: HashMap<&'t str, Result<u32, String>>,
    /// (product, unit as written; empty for the base unit) -> its [`UnitFactor`], for units a
    /// quantity names (`90 second`) and lines with dimension values.
    units: HashMap<(u32, &'t str), UnitFactor>,
}

impl<'t> Resolver<'t> {
    fn pack(&mut self, table: &RatingTable, name: &'t str) -> Result<Usage, String> {
        self.packs
            .entry(name)
            .or_insert_with(|| table.find_pack(name).map_err(|n| n.to_string()))
            .clone()
            .map(|pack| Usage::Buy { pack })
    }

    /// A use of `product` as a line writes it: its `quantity`, `unit` column (empty when none)
    /// and dimension values. Errors come in one order: the product, the quantity, the unit,
    /// the cell.
    pub(super) fn product_use(
        &mut self,
        table: &RatingTable,
        product: &'t str,
        quantity: &'t str,
        unit: &'t str,
        dims: &[(Option<String>, String)],
    ) -> Result<Usage, String> {
        if !dims.is_empty() {
            let id = self
                .products
                .entry(product)
                .or_insert_with(|| find_product(table, product))
                .clone()?;
            let (value, written) = read_quantity(table, quantity, unit)?;
            let factor = self
                .units
                .entry((id, written))
                .or_insert_with(|| unit_factor(table, id, written));
            let quantity = in_base_units(value, factor)?;
            let args: Vec<(Option<&str>, &str)> = dims
                .iter()
                .map(|(k, v)| (k.as_deref(), v.as_str()))
                .collect();
            let cell = table.resolve_cell(id, &args).map_err(|d| d.to_string())?;
            return Ok(Usage::Use {
                product: id,
                cell,
                quantity,
            });
        }
        // The usual line, no dimension value: its product, unit and cell in one look-up (three
        // were a tenth of an invoice run).
        let bare = self
            .bare
            .entry((product, unit))
            .or_insert_with(|| {
                let id = find_product(table, product)?;
                Ok(Bare {
                    product: id,
                    factor: unit_factor(table, id, unit.trim()),
                    cell: table.resolve_cell(id, &[]).map_err(|d| d.to_string()),
                })
            })
            .as_ref()
            .map_err(Clone::clone)?;
        let (value, written) = read_quantity(table, quantity, unit)?;
        let factor = if written == csv::trim(unit) {
            &bare.factor
        } else {
            // The quantity names its unit: `90 second`.
            self.units
                .entry((bare.product, written))
                .or_insert_with(|| unit_factor(table, bare.product, written))
        };
        let quantity = in_base_units(value, factor)?;
        Ok(Usage::Use {
            product: bare.product,
            cell: bare.cell.clone()?,
            quantity,
        })
    }
}

/// A product with no dimension value, counted in its unit column's unit: resolved once.
struct Bare {
    product: u32,
    factor: UnitFactor,
    cell: Result<u32, String>,
}

/// `product` as a line names it, or why the table has none.
fn find_product(table: &RatingTable, product: &str) -> Result<u32, String> {
    if product.is_empty() {
        Err("no `product` (or `buy`)".into())
    } else {
        table.find_product(product).map_err(|n| n.to_string())
    }
}

/// A line's quantity as written and its `unit` column: the number, and the unit it is counted
/// in as written (empty for the product's base unit).
fn read_quantity<'t>(
    table: &RatingTable,
    quantity: &'t str,
    unit: &'t str,
) -> Result<(Decimal, &'t str), String> {
    if csv::trim(quantity).is_empty() {
        return Err("no `quantity`".into());
    }
    let (value, inline_unit) = split_quantity(quantity).map_err(|e| e.to_string())?;
    let unit = match (inline_unit, csv::trim(unit)) {
        (Some(u), "") => u,
        (Some(u), column) if table.find_unit(u).ok() != table.find_unit(column).ok() => {
            return Err(format!(
                "quantity `{quantity}` contradicts the unit column `{column}`"
            ));
        }
        (Some(u), _) => u,
        (None, column) => column,
    };
    if value < Decimal::ZERO {
        return Err(format!("quantity {value} is negative"));
    }
    Ok((value, unit))
}

/// `value` of a unit with `factor` ([`unit_factor`]), in base units.
fn in_base_units(value: Decimal, factor: &UnitFactor) -> Result<Decimal, String> {
    // The unit's name is only read for an error: borrowed, not copied for every event.
    let (factor, name) = factor.as_ref().map_err(Clone::clone)?;
    value.checked_mul(*factor).ok_or_else(|| {
        crate::diagnostic::Diagnostic::quantity_too_large(&value.to_string(), name).to_string()
    })
}

/// The factor from `unit` (as written; empty for the product's base unit) to the product's base
/// unit, and the unit's name, as [`RatingTable::base_quantity`] converts.
fn unit_factor(table: &RatingTable, product: u32, unit: &str) -> UnitFactor {
    let name = if unit.is_empty() {
        let measure = table
            .products
            .get(product as usize)
            .map_or("", |p| p.measure.as_str());
        table.base_unit(measure)
    } else {
        unit
    };
    // The conversion of one unit gives the factor, and checks the unit measures the product.
    table
        .base_quantity(product, Decimal::ONE, name)
        .map_err(|d| d.to_string())?;
    let id = table.find_unit(name).map_err(|e| e.to_string())?;
    let u = table.units.get(id as usize).ok_or("an unknown unit")?;
    Ok((u.factor, u.name.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A quoted CSV field may hold a comma (`"Digital Twin, v2"`) and quotes (`""`).
    #[test]
    fn csv_fields_may_be_quoted() {
        let file = "time,product,quantity,avatar\n2026-01-05T10:00:00Z,render,90,\"Digital Twin, \"\"v2\"\"\"\n";
        let (events, bad) = read_events(file);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(
            events[0].fields.dims,
            [(
                Some("avatar".to_string()),
                "Digital Twin, \"v2\"".to_string()
            )]
        );
    }

    /// CSV and JSON Lines read to the same fields.
    #[test]
    fn csv_and_json_lines_read_alike() {
        let csv =
            "time,product,quantity,unit,resolution\n2026-01-05T10:00:00Z,render,90,second,720p\n";
        let json = r#"{"time": "2026-01-05T10:00:00Z", "product": "render", "quantity": 90, "unit": "second", "dims": {"resolution": "720p"}}"#;
        let (a, _) = read_events(csv);
        let (b, _) = read_events(json);
        assert_eq!(a[0].fields, b[0].fields);
        assert_eq!(a[0].time, b[0].time);
    }
}
