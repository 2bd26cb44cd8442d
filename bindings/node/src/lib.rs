//! The Node binding (napi-rs): the Rust engine in process for JavaScript and TypeScript. Every
//! rule lives in the library; this crate converts arguments and answers only. Decimals cross as
//! strings (JavaScript has no decimal), and every failure is a thrown `Error` with a stable
//! `code` (`'rejected'`, `'book'`, `'unknown-reference'`, ...) and the fields of its kind.

// Shared with the Python binding until the library answers these questions itself.
#[path = "../../orchestration.rs"]
mod orchestration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use orchestration::{Failure, Source, Target};
use pricebook::Date;
use pricebook::diagnostic::{SourceFile, SourceMap, to_json_in};
use pricebook::load::OpenError;
use std::collections::HashMap;
use std::path::PathBuf;

/// A thrown `Error` with `code` and the given fields; the binding's functions then return the
/// pending exception.
fn throw(env: &Env, message: &str, code: &str, fields: serde_json::Value) -> Error {
    let made = (|| -> Result<()> {
        let mut e = env.create_error(Error::new(Status::GenericFailure, message.to_string()))?;
        e.set("code", code)?;
        if let serde_json::Value::Object(map) = fields {
            for (k, v) in map {
                e.set(k, v)?;
            }
        }
        env.throw(e)
    })();
    match made {
        Ok(()) => Error::from_status(Status::PendingException),
        Err(e) => e,
    }
}

fn diagnostics_json(
    sources: &SourceMap,
    diagnostics: &[pricebook::Diagnostic],
) -> serde_json::Value {
    serde_json::to_value(
        diagnostics
            .iter()
            .map(|d| to_json_in(d, sources))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default()
}

fn open_failure(env: &Env, e: OpenError) -> Error {
    let message = e.to_string();
    let help = e.help();
    match &e {
        OpenError::BookHasErrors {
            file,
            text,
            diagnostics,
        } => {
            let sources = SourceMap::from(SourceFile::new(file.clone(), text.clone()));
            let fields = serde_json::json!({
                "help": help,
                "diagnostics": diagnostics_json(&sources, diagnostics),
            });
            throw(env, &message, "book", fields)
        }
        OpenError::ContractDoesNotApply {
            sources,
            diagnostics,
            ..
        } => {
            let fields = serde_json::json!({
                "help": help,
                "diagnostics": diagnostics_json(sources, diagnostics),
            });
            throw(env, &message, "book", fields)
        }
        _ => {
            // A path that leads to no book: there is no command line to blame.
            let code = match e.code() {
                "command-line" => "no-book",
                code => code,
            };
            throw(env, &message, code, serde_json::json!({ "help": help }))
        }
    }
}

fn failure(env: &Env, f: Failure) -> Error {
    match f {
        Failure::Open(e) => open_failure(env, e),
        Failure::Asked {
            code,
            message,
            help,
        } => {
            let text = match &help {
                Some(h) => format!("{message}; {h}"),
                None => message,
            };
            throw(env, &text, code, serde_json::json!({ "help": help }))
        }
        Failure::Rejected { rejection, file } => {
            let text = match (&file, rejection.line) {
                (Some(f), Some(l)) => format!("{} (rule at {f}:{l})", rejection.reason),
                _ => rejection.reason.clone(),
            };
            let fields = serde_json::json!({
                "kind": rejection.kind.name(),
                "reason": rejection.reason,
                "line": rejection.line,
                "file": file,
            });
            throw(env, &text, "rejected", fields)
        }
    }
}

/// A malformed argument: a `TypeError` with code `'argument'`.
fn argument(env: &Env, message: String) -> Error {
    match env.throw_type_error(&message, Some("argument")) {
        Ok(()) => Error::from_status(Status::PendingException),
        Err(e) => e,
    }
}

fn date_arg(env: &Env, name: &str, text: Option<&str>) -> Result<Option<Date>> {
    text.map(|t| {
        Date::parse(t.trim())
            .ok_or_else(|| argument(env, format!("{name}: `{t}` is not a date; write YYYY-MM-DD")))
    })
    .transpose()
}

fn number_text(v: &Either<String, f64>) -> String {
    match v {
        Either::A(s) => s.clone(),
        Either::B(n) => n.to_string(),
    }
}

fn dims_arg(dims: Option<Either<Vec<String>, HashMap<String, String>>>) -> Vec<(Option<String>, String)> {
    match dims {
        None => Vec::new(),
        Some(Either::A(list)) => list
            .into_iter()
            .map(|d| match d.split_once('=') {
                Some((k, v)) => (Some(k.to_string()), v.to_string()),
                None => (None, d),
            })
            .collect(),
        Some(Either::B(map)) => map.into_iter().map(|(k, v)| (Some(k), v)).collect(),
    }
}

/// What `quote` asks.
#[napi(object)]
pub struct QuoteArgs {
    pub plan: Option<String>,
    pub product: String,
    /// With its unit: `'90 second'`.
    pub quantity: String,
    /// `{ resolution: '4K' }`, or `['4K']`, `['resolution=4K']`.
    pub dims: Option<Either<Vec<String>, HashMap<String, String>>>,
    /// `{ scenes: 51, 'script length': '4500 character' }`.
    pub attrs: Option<HashMap<String, Either<String, f64>>>,
    /// `'YYYY-MM-DD'`: the day whose version prices it.
    pub at: Option<String>,
}

/// What `capacity` asks.
#[napi(object)]
pub struct CapacityArgs {
    pub plan: Option<String>,
    pub product: String,
    pub dims: Option<Either<Vec<String>, HashMap<String, String>>>,
    /// The unit to count in (default: the unit the product is rated per).
    pub unit: Option<String>,
    pub at: Option<String>,
}

/// What `bill` asks.
#[napi(object)]
pub struct BillArgs {
    pub plan: Option<String>,
    /// Event objects (`time`, `product`, `quantity`, ...) or a usage file's path.
    pub usage: Either<String, Vec<serde_json::Value>>,
    /// The first day of the first period (default: the first event's month).
    pub from: Option<String>,
    pub periods: Option<u32>,
    /// `'monthly'` (default) or `'annual'`.
    pub billing: Option<String>,
    pub at: Option<String>,
    /// An earlier bill, or its `closing_wallet`.
    pub wallet: Option<serde_json::Value>,
    /// `'below=1000,to=5000,cap=200'`.
    pub auto_recharge: Option<String>,
}

/// What `rate` asks besides the events.
#[napi(object)]
pub struct RateOptions {
    /// `'account'` (default), `'plan'` or `'product'`.
    pub by: Option<String>,
    pub at: Option<String>,
}

#[napi(object)]
pub struct Amount {
    pub amount: String,
    pub unit: String,
}

#[napi(object)]
pub struct Money {
    pub amount: String,
    pub currency: String,
}

#[napi(object)]
pub struct Quote {
    pub plan: Option<String>,
    pub product: String,
    pub charge: Amount,
    pub money: Option<Money>,
    pub explain: Vec<String>,
}

#[napi(object)]
pub struct Capacity {
    pub value: String,
    pub unit: String,
}

/// Event objects as JSON Lines, the form the library reads.
fn json_lines(env: &Env, name: &str, events: &[serde_json::Value]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for e in events {
        if !e.is_object() {
            return Err(argument(env, format!("each event of {name} must be an object")));
        }
        serde_json::to_writer(&mut out, e).map_err(|e| argument(env, e.to_string()))?;
        out.push(b'\n');
    }
    Ok(out)
}

/// A loaded book: one book, a compiled table, or a vendor's directory of versions (each
/// question picks the version in force on its `at` day, the latest without one).
#[napi]
pub struct Book {
    source: Source,
}

#[napi]
impl Book {
    #[napi]
    pub fn quote(&self, env: Env, args: QuoteArgs) -> Result<Quote> {
        let dims = dims_arg(args.dims);
        let attrs: Vec<(String, String)> = args
            .attrs
            .unwrap_or_default()
            .iter()
            .map(|(k, v)| (k.clone(), number_text(v)))
            .collect();
        let day = date_arg(&env, "at", args.at.as_deref())?;
        let target = Target {
            plan: args.plan.as_deref(),
            product: &args.product,
            dims: &dims,
        };
        let a = self
            .source
            .at(day)
            .map_err(Failure::Open)
            .and_then(|opened| orchestration::quote(&opened, &target, &args.quantity, &attrs))
            .map_err(|f| failure(&env, f))?;
        Ok(Quote {
            plan: a.plan,
            product: a.product,
            charge: Amount {
                amount: a.charge.to_string(),
                unit: a.charge_unit,
            },
            money: a.money.map(|(amount, currency)| Money {
                amount: amount.to_string(),
                currency,
            }),
            explain: a.explain,
        })
    }

    #[napi]
    pub fn capacity(&self, env: Env, args: CapacityArgs) -> Result<Capacity> {
        let dims = dims_arg(args.dims);
        let day = date_arg(&env, "at", args.at.as_deref())?;
        let target = Target {
            plan: args.plan.as_deref(),
            product: &args.product,
            dims: &dims,
        };
        let (value, unit) = self
            .source
            .at(day)
            .map_err(Failure::Open)
            .and_then(|opened| orchestration::capacity(&opened, &target, args.unit.as_deref()))
            .map_err(|f| failure(&env, f))?;
        Ok(Capacity {
            value: value.to_string(),
            unit,
        })
    }

    /// The bill's JSON (`versions`, `total`, `lines`, `wallet`, `rejected`, `closing_wallet`).
    #[napi(ts_return_type = "Bill")]
    pub fn bill(&self, env: Env, args: BillArgs) -> Result<serde_json::Value> {
        let usage = match &args.usage {
            Either::A(path) => std::fs::read(path).map_err(|io| {
                open_failure(
                    &env,
                    OpenError::FileUnreadable {
                        path: PathBuf::from(path),
                        io,
                    },
                )
            })?,
            Either::B(events) => json_lines(&env, "usage", events)?,
        };
        let usage = String::from_utf8_lossy(&usage);
        let annual = match args.billing.as_deref() {
            None | Some("monthly") => false,
            Some("annual") => true,
            Some(other) => {
                return Err(argument(
                    &env,
                    format!("billing must be 'monthly' or 'annual', not '{other}'"),
                ));
            }
        };
        let wallet = args.wallet.as_ref().map(|w| match w {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let asked = orchestration::BillAsked {
            plan: args.plan.as_deref(),
            usage: &usage,
            annual,
            from: date_arg(&env, "from", args.from.as_deref())?,
            periods: args.periods,
            at: date_arg(&env, "at", args.at.as_deref())?,
            wallet: wallet.as_deref(),
            auto_recharge: args.auto_recharge.as_deref(),
        };
        orchestration::bill(&self.source, &asked).map_err(|f| failure(&env, f))
    }

    /// Totals per account (or plan, product) of a usage export: a CSV or JSON Lines file's
    /// path, or event objects (`account`, `plan`, `product`, `quantity`, ...).
    #[napi(ts_return_type = "RateReport")]
    pub fn rate(
        &self,
        env: Env,
        events: Either<String, Vec<serde_json::Value>>,
        options: Option<RateOptions>,
    ) -> Result<serde_json::Value> {
        use pricebook::rate::batch::GroupBy;
        let options = options.unwrap_or(RateOptions { by: None, at: None });
        let by = match options.by.as_deref() {
            None | Some("account") => GroupBy::Account,
            Some("plan") => GroupBy::Plan,
            Some("product") => GroupBy::Product,
            Some(other) => {
                return Err(argument(
                    &env,
                    format!("by must be 'account', 'plan' or 'product', not '{other}'"),
                ));
            }
        };
        let day = date_arg(&env, "at", options.at.as_deref())?;
        let opened = self.source.at(day).map_err(|e| open_failure(&env, e))?;
        let rated = match &events {
            Either::A(path) => {
                let file = std::fs::File::open(path).map_err(|io| {
                    open_failure(
                        &env,
                        OpenError::FileUnreadable {
                            path: PathBuf::from(path),
                            io,
                        },
                    )
                })?;
                let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
                orchestration::rate(&opened, &mut reader, by)
            }
            Either::B(list) => {
                let lines = json_lines(&env, "events", list)?;
                orchestration::rate(&opened, &mut lines.as_slice(), by)
            }
        };
        rated.map_err(|f| failure(&env, f))
    }

    /// The path the book was loaded from.
    #[napi(getter)]
    pub fn path(&self) -> String {
        self.source.path.display().to_string()
    }

    /// The vendor (of the latest version).
    #[napi(getter)]
    pub fn vendor(&self, env: Env) -> Result<String> {
        let opened = self.source.at(None).map_err(|e| open_failure(&env, e))?;
        Ok(opened.table.vendor().to_string())
    }

    /// The version label in force on `at` (the latest without one).
    #[napi]
    pub fn version(&self, env: Env, at: Option<String>) -> Result<String> {
        let day = date_arg(&env, "at", at.as_deref())?;
        let opened = self.source.at(day).map_err(|e| open_failure(&env, e))?;
        Ok(opened.table.version().to_string())
    }

    /// The book's currency (of the latest version).
    #[napi(getter)]
    pub fn currency(&self, env: Env) -> Result<String> {
        let opened = self.source.at(None).map_err(|e| open_failure(&env, e))?;
        Ok(opened.table.currency().to_string())
    }

    /// The plans' slugs (of the latest version).
    #[napi(getter)]
    pub fn plans(&self, env: Env) -> Result<Vec<String>> {
        let opened = self.source.at(None).map_err(|e| open_failure(&env, e))?;
        Ok(opened.table.plans().iter().map(|p| p.slug.clone()).collect())
    }

    /// The products' slugs (of the latest version).
    #[napi(getter)]
    pub fn products(&self, env: Env) -> Result<Vec<String>> {
        let opened = self.source.at(None).map_err(|e| open_failure(&env, e))?;
        Ok(opened
            .table
            .products()
            .iter()
            .map(|p| p.slug.clone())
            .collect())
    }
}

/// Loads a book, a compiled table (`.json`) or a vendor's directory of versions; a book that
/// does not check throws an `Error` with code `'book'` and its `diagnostics`.
#[napi]
pub fn load(env: Env, path: String) -> Result<Book> {
    let source = Source::open(PathBuf::from(path).as_path()).map_err(|e| open_failure(&env, e))?;
    Ok(Book { source })
}

/// Checks books (files, or directories searched for `*.pricebook`): every diagnostic, worked
/// examples included, as `pricebook check --format json` lists them.
#[napi(ts_return_type = "Diagnostic[]")]
pub fn check(env: Env, paths: Either<String, Vec<String>>) -> Result<serde_json::Value> {
    let paths: Vec<PathBuf> = match paths {
        Either::A(p) => vec![PathBuf::from(p)],
        Either::B(ps) => ps.into_iter().map(PathBuf::from).collect(),
    };
    let found = orchestration::check(&paths).map_err(|e| open_failure(&env, e))?;
    serde_json::to_value(found).map_err(|e| Error::from_reason(e.to_string()))
}
