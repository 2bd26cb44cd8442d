//! What a binding asks of a book, answered as the command line answers it: the book opened
//! from a path (a vendor's directory picks its version by date), and quote, capacity, bill and
//! rate with the CLI's defaults and messages.
//!
//! Interim: this is the CLI's orchestration until the library's `pricebook::answer` lands; the
//! bindings then call that and this file goes.

use pricebook::base::quantity::{QuantityError, split_quantity, split_quantity_with_unit};
use pricebook::diagnostic::Code;
use pricebook::load::{self, OpenError, Opened, Version};
use pricebook::table::{EventAttr, PricingEntry};
use pricebook::{Date, Decimal, Diagnostic, PlanId, Rejection};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Why a question could not be answered.
#[derive(Debug)]
pub enum Failure {
    /// The path leads to no book, or the book does not check, or is not in force.
    Open(OpenError),
    /// A question the book cannot take: a name it does not know, a malformed quantity.
    Asked {
        code: &'static str,
        message: String,
        help: Option<String>,
    },
    /// A usage the book's rules refuse.
    Rejected {
        rejection: Rejection,
        /// The book the rule's line is in.
        file: Option<String>,
    },
}

impl Failure {
    fn asked(code: Code, message: impl Into<String>) -> Failure {
        Failure::Asked {
            code: code.name(),
            message: message.into(),
            help: None,
        }
    }

    fn help(self, help: impl Into<String>) -> Failure {
        match self {
            Failure::Asked { code, message, .. } => Failure::Asked {
                code,
                message,
                help: Some(help.into()),
            },
            other => other,
        }
    }
}

impl From<OpenError> for Failure {
    fn from(e: OpenError) -> Failure {
        Failure::Open(e)
    }
}

impl From<pricebook::base::names::NameError> for Failure {
    fn from(e: pricebook::base::names::NameError) -> Failure {
        Failure::asked(Code::UnknownReference, e.message()).help(e.help())
    }
}

impl From<Diagnostic> for Failure {
    fn from(d: Diagnostic) -> Failure {
        Failure::Asked {
            code: d.code.name(),
            message: d.message,
            help: d.help,
        }
    }
}

impl From<QuantityError> for Failure {
    fn from(e: QuantityError) -> Failure {
        let code = match &e {
            QuantityError::NotADecimal(v)
                if v.bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'_') =>
            {
                Code::NumberRange
            }
            _ => Code::InvalidValue,
        };
        Failure::asked(code, e.to_string())
    }
}

/// A book as loaded: one file (a book or a compiled table), or a vendor's directory whose
/// versions are opened on first use and kept.
pub struct Source {
    pub path: PathBuf,
    kind: Kind,
}

enum Kind {
    File(Arc<Opened>),
    Versions {
        versions: Vec<Version>,
        opened: Mutex<HashMap<PathBuf, Arc<Opened>>>,
    },
}

impl Source {
    /// Opens a book, a compiled table or a vendor's directory; a directory's latest version is
    /// opened now, so a book that does not check fails here.
    pub fn open(path: &Path) -> Result<Source, OpenError> {
        if path.is_dir() {
            let versions = load::versions(path)?;
            let source = Source {
                path: path.to_path_buf(),
                kind: Kind::Versions {
                    versions,
                    opened: Mutex::new(HashMap::new()),
                },
            };
            source.at(None)?;
            return Ok(source);
        }
        let opened = load::open(path, None)?;
        Ok(Source {
            path: path.to_path_buf(),
            kind: Kind::File(Arc::new(opened)),
        })
    }

    /// The version in force on `day` (the latest without one); a single book must be in force.
    pub fn at(&self, day: Option<Date>) -> Result<Arc<Opened>, OpenError> {
        match &self.kind {
            Kind::File(opened) => {
                if let Some(day) = day {
                    opened.in_force_on(day)?;
                }
                Ok(opened.clone())
            }
            Kind::Versions { versions, opened } => {
                let version = match day {
                    Some(day) => versions.iter().rev().find(|v| v.effective <= day).ok_or_else(
                        || OpenError::NoVersionInForce {
                            dir: self.path.clone(),
                            day,
                            earliest: versions.first().map(|v| v.effective),
                        },
                    )?,
                    None => versions.last().ok_or_else(|| OpenError::NoVersions {
                        dir: self.path.clone(),
                    })?,
                };
                let mut cache = opened.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(o) = cache.get(&version.path) {
                    return Ok(o.clone());
                }
                let o = Arc::new(load::open_file(&version.path)?);
                cache.insert(version.path.clone(), o.clone());
                Ok(o)
            }
        }
    }
}

/// The plan when none is named: the book's only plan, or none when it has no plans.
fn default_plan(opened: &Opened) -> Result<Option<PlanId>, Failure> {
    let table = &opened.table;
    match table.plans().len() {
        0 => Ok(None),
        1 => Ok(Some(0)),
        n => {
            let slugs: Vec<String> = table.plans().iter().map(|p| p.slug.clone()).collect();
            Err(Failure::asked(
                Code::MissingStatement,
                format!("the book has {n} plans, and no plan was given"),
            )
            .help(format!(
                "name one with plan=: {}",
                pricebook::base::names::quoted_list(&slugs, "or")
            )))
        }
    }
}

/// What a quote or capacity is about, as the asker wrote it.
pub struct Target<'a> {
    pub plan: Option<&'a str>,
    pub product: &'a str,
    /// (dimension name if given, value).
    pub dims: &'a [(Option<String>, String)],
}

struct Resolved {
    plan: Option<PlanId>,
    product: pricebook::ProductId,
    cell: pricebook::CellId,
}

fn resolve(opened: &Opened, t: &Target<'_>) -> Result<Resolved, Failure> {
    let table = &opened.table;
    let plan = match t.plan {
        Some(name) => Some(table.find_plan(name)?),
        None => default_plan(opened)?,
    };
    let product = table.find_product(t.product)?;
    let args: Vec<(Option<&str>, &str)> = t
        .dims
        .iter()
        .map(|(k, v)| (k.as_deref().map(str::trim), v.trim()))
        .collect();
    let cell = table.resolve_cell(product, &args)?;
    Ok(Resolved {
        plan,
        product,
        cell,
    })
}

/// A priced usage.
pub struct QuoteAnswer {
    pub plan: Option<String>,
    pub product: String,
    pub charge: Decimal,
    pub charge_unit: String,
    /// (amount, currency).
    pub money: Option<(Decimal, String)>,
    /// Each rule applied, with `(file:line)` as the command line shows it.
    pub explain: Vec<String>,
}

fn rejected(r: Rejection, opened: &Opened) -> Failure {
    Failure::Rejected {
        file: r.line.and(opened.rules_file()),
        rejection: r,
    }
}

/// Prices one usage: `quantity` as written (`"90 second"`), `attrs` as (name, value[ unit]).
pub fn quote(
    opened: &Opened,
    t: &Target<'_>,
    quantity: &str,
    attrs: &[(String, String)],
) -> Result<QuoteAnswer, Failure> {
    let ids = resolve(opened, t)?;
    let table = &opened.table;
    let (value, written_unit) = split_quantity_with_unit(quantity)?;
    let base = table.base_quantity(ids.product, value, written_unit)?;
    let attrs = attrs
        .iter()
        .map(|(name, value)| {
            let attribute = table.find_attribute(name.trim())?;
            let (value, unit) = split_quantity(value)?;
            let unit = unit.map(|u| table.find_unit(u)).transpose()?;
            Ok(EventAttr {
                attribute,
                value,
                unit,
            })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    let (result, steps) = table.quote_explained(ids.plan, ids.product, ids.cell, base);
    let q = result
        .and_then(|q| {
            table
                .check_attributes(ids.plan, ids.product, &attrs)
                .map(|()| q)
        })
        .map_err(|r| rejected(r, opened))?;
    Ok(QuoteAnswer {
        plan: ids.plan.map(|p| table.plans()[p as usize].slug.clone()),
        product: table.products()[ids.product as usize].slug.clone(),
        charge: q.charge,
        charge_unit: q.unit.map_or("", |u| table.unit_name(u)).to_string(),
        money: q.money.map(|m| (m, table.currency().to_string())),
        explain: steps
            .iter()
            .map(|s| match s.line {
                Some(l) => format!("{} ({})", s.step, opened.cite(l)),
                None => s.step.clone(),
            })
            .collect(),
    })
}

/// How many whole units of a product a plan's recurring grant buys: (value, unit).
pub fn capacity(
    opened: &Opened,
    t: &Target<'_>,
    unit: Option<&str>,
) -> Result<(Decimal, String), Failure> {
    let ids = resolve(opened, t)?;
    let table = &opened.table;
    let Some(plan) = ids.plan else {
        return Err(Failure::asked(
            Code::MissingStatement,
            "capacity sizes a plan's recurring grant, and the book has no plans",
        )
        .help("give a book with a plan"));
    };
    let product = &table.products()[ids.product as usize];
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
    let unit = match unit {
        Some(u) => table.units()[table.find_unit(u)? as usize].name.clone(),
        None => rated_per.ok_or_else(|| {
            Failure::asked(
                Code::InvalidValue,
                format!("`{}` is free: a grant buys any amount of it", product.slug),
            )
        })?,
    };
    let n = table
        .capacity(plan, ids.product, ids.cell, &unit)
        .map_err(|r| rejected(r, opened))?;
    Ok((n, unit))
}

impl Source {
    /// The version that prices a bill: a directory's version in force on `day` (the bill's first
    /// day), a single book as it is, in force on `at` when one is asked.
    fn for_bill(&self, day: Option<Date>, at: Option<Date>) -> Result<Arc<Opened>, OpenError> {
        match &self.kind {
            Kind::File(_) => self.at(at),
            Kind::Versions { .. } => self.at(day),
        }
    }
}

/// What to bill, as the asker wrote it.
pub struct BillAsked<'a> {
    pub plan: Option<&'a str>,
    /// The usage events: JSON Lines or CSV, as `pricebook bill --usage` reads them.
    pub usage: &'a str,
    pub annual: bool,
    pub from: Option<Date>,
    pub periods: Option<u32>,
    pub at: Option<Date>,
    /// An earlier bill's JSON, or its `closing_wallet`.
    pub wallet: Option<&'a str>,
    /// `below=1000,to=5000,cap=200`.
    pub auto_recharge: Option<&'a str>,
}

/// Bills one account: the bill's JSON, as `pricebook bill --format json` writes it.
pub fn bill(source: &Source, a: &BillAsked<'_>) -> Result<serde_json::Value, Failure> {
    use pricebook::bill::{BillRequest, Billing, RechargeSettings};
    use pricebook::usage::{read_events, read_wallet, resolve_events};
    let (raw, mut bad) = read_events(a.usage);
    let first_month = raw.iter().map(|e| e.time).min().map(Date::month_of);
    // The version in force on the bill's first day (docs/billing.md).
    let day = a.at.or(a.from).or(first_month);
    let opened = source.for_bill(day, a.at)?;
    let table = &opened.table;
    let plan = match a.plan {
        Some(name) => table.find_plan(name)?,
        None => match default_plan(&opened)? {
            Some(p) => p,
            None => {
                return Err(Failure::asked(
                    Code::MissingStatement,
                    "a bill bills a plan, and the book has no plans",
                )
                .help("give a book with a plan"));
            }
        },
    };
    let (events, unresolved) = resolve_events(table, &raw);
    bad.extend(unresolved);
    let billing = if a.annual {
        Billing::Annual
    } else {
        Billing::Monthly
    };
    let effective = opened.effective().unwrap_or(Date {
        year: 1970,
        month: 1,
        day: 1,
    });
    let effective_month = Date {
        day: 1,
        ..effective
    };
    // A single book bills from its own first month at the earliest.
    let from = a.from.or_else(|| first_month.map(|m| m.max(effective_month)));
    let mut request =
        BillRequest::covering(plan, billing, from, a.periods, &events, effective_month);
    if let Some(spec) = a.auto_recharge {
        request.recharge = Some(
            RechargeSettings::parse(table, plan, spec)
                .map_err(|m| Failure::asked(Code::InvalidValue, format!("auto_recharge: {m}")))?,
        );
    }
    if let Some(w) = a.wallet {
        request.opening = read_wallet(w)
            .map_err(|m| Failure::asked(Code::InvalidValue, format!("wallet: {m}")))?
            .grants;
    }
    let mut bill = pricebook::bill(table, &request, &events).map_err(|e| Failure::Asked {
        code: e.code().name(),
        message: e.to_string(),
        help: None,
    })?;
    bill.rejected.extend(bad);
    bill.rejected.sort_by_key(|r| r.line);
    Ok(bill.to_json())
}

/// Rates a usage export (CSV or JSON Lines) into totals, as `pricebook rate --format json`
/// writes them.
pub fn rate(
    opened: &Opened,
    input: &mut dyn std::io::BufRead,
    by: pricebook::rate::batch::GroupBy,
) -> Result<serde_json::Value, Failure> {
    use pricebook::rate::batch::{rate_input, write_json};
    let report = rate_input(&opened.table, input, by, false)
        .map_err(|m| Failure::asked(Code::InvalidValue, m))?;
    let mut out = Vec::new();
    write_json(&report, by, &mut out)
        .map_err(|e| Failure::asked(Code::InvalidValue, e.to_string()))?;
    serde_json::from_slice(&out).map_err(|e| Failure::asked(Code::InvalidValue, e.to_string()))
}

/// Every diagnostic of the books under `paths` (files or directories), each with its file.
pub fn check(
    paths: &[PathBuf],
) -> Result<Vec<pricebook::diagnostic::JsonDiagnostic>, OpenError> {
    use pricebook::diagnostic::SourceFile;
    use pricebook::diagnostic::to_json;
    let mut out = Vec::new();
    for file in load::book_files(paths)? {
        let name = file.display().to_string();
        match load::read_book(&file) {
            Ok(text) => {
                let checked = pricebook::pipeline::check_book_from(&text, &name);
                let source = SourceFile::new(name, text);
                out.extend(checked.diagnostics.iter().map(|d| to_json(d, &source)));
            }
            Err(e) => {
                let d = Diagnostic::new(Code::Syntax, e.message())
                    .help("a pricebook is a UTF-8 text file");
                out.push(to_json(&d, &SourceFile::new(name, String::new())));
            }
        }
    }
    Ok(out)
}
