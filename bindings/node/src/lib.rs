//! The Node binding (napi-rs): the Rust engine in process for JavaScript and TypeScript. Every
//! rule lives in the library; this crate converts arguments and answers only. Decimals cross as
//! strings (JavaScript has no decimal), and every failure is a thrown `Error` with a stable
//! `code` (`'rejected'`, `'book'`, `'unknown-reference'`, ...) and the fields of its kind.

// What the library does not offer yet, shared with the Python binding.
#[path = "../../interim.rs"]
mod interim;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use pricebook::answer::{
    AnswerError, Attr, BillQuestion, Books, CapacityQuestion, Dim, ErrorDetail, ErrorKind,
    QuoteQuestion, QuoteRejection, UsageInput,
};
use pricebook::diagnostic::{JsonDiagnostic, SourceFile, SourceMap, to_json_in};
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

/// The code of an error about what was loaded: a book that does not check is `book`; a path
/// that leads to no book (`command-line` on the command line, where the path is an argument)
/// is `no-book`.
fn load_code(code: &str) -> &str {
    match code {
        "book-has-errors" => "book",
        "command-line" => "no-book",
        code => code,
    }
}

fn with_help(message: &str, help: Option<&str>) -> String {
    match help {
        Some(h) => format!("{message}; {h}"),
        None => message.to_string(),
    }
}

fn loaded_failure(
    env: &Env,
    code: &str,
    message: &str,
    help: Option<&str>,
    diagnostics: &[JsonDiagnostic],
) -> Error {
    let code = load_code(code);
    let mut fields = serde_json::json!({ "help": help });
    if code == "book" {
        fields["diagnostics"] = serde_json::to_value(diagnostics).unwrap_or_default();
    }
    throw(env, &with_help(message, help), code, fields)
}

fn open_failure(env: &Env, e: OpenError) -> Error {
    let diagnostics: Vec<JsonDiagnostic> = match &e {
        OpenError::BookHasErrors {
            file,
            text,
            diagnostics,
        } => {
            let map = SourceMap::from(SourceFile::new(file.as_str(), text.as_str()));
            diagnostics.iter().map(|d| to_json_in(d, &map)).collect()
        }
        OpenError::ContractDoesNotApply {
            sources,
            diagnostics,
            ..
        } => diagnostics.iter().map(|d| to_json_in(d, sources)).collect(),
        _ => Vec::new(),
    };
    loaded_failure(
        env,
        e.code(),
        &e.message(),
        e.help().as_deref(),
        &diagnostics,
    )
}

fn status_failure(env: &Env, e: &ErrorDetail) -> Error {
    loaded_failure(env, &e.code, &e.message, e.help.as_deref(), &e.diagnostics)
}

fn answer_failure(env: &Env, e: &AnswerError) -> Error {
    if e.kind() == ErrorKind::Unavailable {
        return loaded_failure(env, e.code(), e.message(), e.help(), e.diagnostics());
    }
    let mut fields = serde_json::json!({ "help": e.help() });
    if let Some(f) = e.field() {
        fields["field"] = f.into();
    }
    throw(env, &e.to_string(), e.code(), fields)
}

fn rejected(env: &Env, r: &QuoteRejection) -> Error {
    let text = match (&r.file, r.line) {
        (Some(f), Some(l)) => format!("{} (rule at {f}:{l})", r.reason),
        _ => r.reason.clone(),
    };
    let fields = serde_json::json!({
        "kind": r.kind,
        "reason": r.reason,
        "line": r.line,
        "file": r.file,
    });
    throw(env, &text, "rejected", fields)
}

/// A malformed argument: a `TypeError` with code `'argument'`.
fn argument(env: &Env, message: String) -> Error {
    match env.throw_type_error(&message, Some("argument")) {
        Ok(()) => Error::from_status(Status::PendingException),
        Err(e) => e,
    }
}

fn number_text(v: &Either<String, f64>) -> String {
    match v {
        Either::A(s) => s.clone(),
        Either::B(n) => n.to_string(),
    }
}

fn dims_arg(dims: Option<Either<Vec<String>, HashMap<String, String>>>) -> Vec<Dim> {
    match dims {
        None => Vec::new(),
        Some(Either::A(list)) => list.iter().map(|d| Dim::parse(d)).collect(),
        Some(Either::B(map)) => map
            .into_iter()
            .map(|(k, v)| Dim {
                name: Some(k),
                value: v,
            })
            .collect(),
    }
}

/// What `capacity` asks.
#[napi(object)]
pub struct CapacityArgs {
    pub book: Option<String>,
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
    pub book: Option<String>,
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
    /// A contract's path: enterprise terms layered on the book.
    pub contract: Option<String>,
}

/// What `rate` asks besides the events.
#[napi(object)]
pub struct RateOptions {
    /// `'account'` (default), `'plan'` or `'product'`.
    pub by: Option<String>,
    pub at: Option<String>,
    pub book: Option<String>,
}

#[napi(object)]
pub struct Capacity {
    pub value: String,
    pub unit: String,
}

/// A loaded book: one book, a compiled table, or a vendor's directory of versions (each
/// question picks the version in force on its `at` day, the latest without one). A directory
/// of several vendors' directories serves them all; questions then name one with `book`.
#[napi]
pub struct Book {
    books: Books,
    path: PathBuf,
}

impl Book {
    fn latest(&self, env: &Env) -> Result<&std::sync::Arc<pricebook::answer::Book>> {
        self.books
            .pick(None, None)
            .map_err(|e| answer_failure(env, &e))
    }
}

#[napi]
impl Book {
    /// Prices one usage: the quote as JSON text, which `index.js` parses (one string crosses
    /// instead of an object built property by property: a quarter of the cost). Arguments are
    /// positional for the same reason; `index.js` takes them from a `QuoteArgs` object. A usage
    /// the book refuses throws an `Error` with code `'rejected'`.
    #[napi(js_name = "quoteJson")]
    #[allow(clippy::too_many_arguments)]
    pub fn quote_json(
        &self,
        env: Env,
        plan: Option<String>,
        product: String,
        quantity: String,
        dims: Option<Either<Vec<String>, HashMap<String, String>>>,
        attrs: Option<HashMap<String, Either<String, f64>>>,
        at: Option<String>,
        explain: Option<bool>,
        book: Option<String>,
    ) -> Result<String> {
        let mut q = QuoteQuestion::new(product, quantity);
        q.book = book;
        q.plan = plan;
        q.at = at;
        q.dims = dims_arg(dims);
        q.attrs = attrs
            .unwrap_or_default()
            .iter()
            .map(|(name, v)| Attr {
                name: name.clone(),
                value: number_text(v),
            })
            .collect();
        q.explain = explain.unwrap_or(true);
        let a = self.books.quote(&q).map_err(|e| answer_failure(&env, &e))?;
        if let Some(r) = &a.rejected {
            return Err(rejected(&env, r));
        }
        let (Some(charge), Some(money)) = (&a.charge, &a.money) else {
            return Err(Error::from_reason("the library answered with no charge"));
        };
        let rules = a.rules.as_deref();
        let explain: Vec<String> = a
            .explain
            .iter()
            .map(|s| match (s.line, rules) {
                (Some(l), Some(f)) => format!("{} ({f}:{l})", s.step),
                (Some(l), None) => format!("{} (line {l} of the book)", s.step),
                (None, _) => s.step.clone(),
            })
            .collect();
        let mut out = serde_json::json!({
            "product": a.product,
            "charge": charge,
            "explain": explain,
            "source": a.source,
        });
        if let Some(p) = &a.plan {
            out["plan"] = p.as_str().into();
        }
        if let Some(m) = money {
            out["money"] = serde_json::json!(m);
        }
        Ok(out.to_string())
    }

    /// How many whole units of a product the plan's recurring grant buys.
    #[napi]
    pub fn capacity(&self, env: Env, args: CapacityArgs) -> Result<Capacity> {
        let mut q = CapacityQuestion::new(args.product);
        q.book = args.book;
        q.plan = args.plan;
        q.at = args.at;
        q.unit = args.unit;
        q.dims = dims_arg(args.dims);
        let a = self
            .books
            .capacity(&q)
            .map_err(|e| answer_failure(&env, &e))?;
        if let Some(r) = &a.rejected {
            return Err(rejected(&env, r));
        }
        let Some(value) = a.quantity.value else {
            return Err(Error::from_reason("the library answered with no value"));
        };
        Ok(Capacity {
            value,
            unit: a.quantity.unit,
        })
    }

    /// The bill's JSON (`versions`, `total`, `lines`, `wallet`, `rejected`, `closing_wallet`).
    #[napi(ts_return_type = "Bill")]
    pub fn bill(&self, env: Env, args: BillArgs) -> Result<serde_json::Value> {
        let mut q = BillQuestion::default();
        q.book = args.book;
        q.plan = args.plan;
        q.usage = match args.usage {
            Either::A(path) => {
                let bytes = std::fs::read(&path).map_err(|io| {
                    open_failure(
                        &env,
                        OpenError::FileUnreadable {
                            path: PathBuf::from(&path),
                            io,
                        },
                    )
                })?;
                UsageInput::Text(String::from_utf8_lossy(&bytes).into_owned())
            }
            Either::B(events) => UsageInput::Events(events),
        };
        q.billing = match args.billing.as_deref() {
            None | Some("monthly") => Some(pricebook::Billing::Monthly),
            Some("annual") => Some(pricebook::Billing::Annual),
            Some(other) => {
                return Err(argument(
                    &env,
                    format!("billing must be 'monthly' or 'annual', not '{other}'"),
                ));
            }
        };
        q.from = args.from;
        q.periods = args.periods;
        q.at = args.at;
        q.wallet = args.wallet;
        q.auto_recharge = args.auto_recharge;
        q.contract = match args.contract {
            Some(path) => Some(
                String::from_utf8_lossy(&std::fs::read(&path).map_err(|io| {
                    open_failure(
                        &env,
                        OpenError::FileUnreadable {
                            path: PathBuf::from(&path),
                            io,
                        },
                    )
                })?)
                .into_owned(),
            ),
            None => None,
        };
        let a = interim::bill(&self.books, &self.path, &q).map_err(|e| answer_failure(&env, &e))?;
        Ok(a.to_json())
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
        let options = options.unwrap_or(RateOptions {
            by: None,
            at: None,
            book: None,
        });
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
        let (book, at) = (options.book.as_deref(), options.at.as_deref());
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
                self.books.rate(book, at, &mut reader, by)
            }
            Either::B(list) => {
                let mut lines = Vec::new();
                for e in list {
                    if !e.is_object() {
                        return Err(argument(&env, "each event must be an object".into()));
                    }
                    serde_json::to_writer(&mut lines, e)
                        .map_err(|e| argument(&env, e.to_string()))?;
                    lines.push(b'\n');
                }
                self.books.rate(book, at, &mut lines.as_slice(), by)
            }
        };
        let rated = rated.map_err(|e| answer_failure(&env, &e))?;
        serde_json::to_value(&rated).map_err(|e| Error::from_reason(e.to_string()))
    }

    /// The path the book was loaded from.
    #[napi(getter)]
    pub fn path(&self) -> String {
        self.path.display().to_string()
    }

    /// The vendor (of the latest version).
    #[napi(getter)]
    pub fn vendor(&self, env: Env) -> Result<String> {
        Ok(self.latest(&env)?.key.vendor.clone())
    }

    /// The version label in force on `at` (the latest without one).
    #[napi]
    pub fn version(&self, env: Env, at: Option<String>) -> Result<String> {
        let day = at
            .as_deref()
            .map(|d| pricebook::answer::parse_date("at", d))
            .transpose()
            .map_err(|e| answer_failure(&env, &e))?;
        let b = self
            .books
            .pick(None, day)
            .map_err(|e| answer_failure(&env, &e))?;
        Ok(b.version().to_string())
    }

    /// The book's currency (of the latest version).
    #[napi(getter)]
    pub fn currency(&self, env: Env) -> Result<String> {
        Ok(self.latest(&env)?.opened.table.currency().to_string())
    }

    /// The plans' slugs (of the latest version).
    #[napi(getter)]
    pub fn plans(&self, env: Env) -> Result<Vec<String>> {
        let b = self.latest(&env)?;
        Ok(b.opened
            .table
            .plans()
            .iter()
            .map(|p| p.slug.clone())
            .collect())
    }

    /// The products' slugs (of the latest version).
    #[napi(getter)]
    pub fn products(&self, env: Env) -> Result<Vec<String>> {
        let b = self.latest(&env)?;
        Ok(b.opened
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
    let path = PathBuf::from(path);
    let books = Books::open(std::slice::from_ref(&path)).map_err(|e| open_failure(&env, e))?;
    if let Some(e) = books.status().iter().find_map(|s| s.error.as_ref()) {
        return Err(status_failure(&env, e));
    }
    Ok(Book { books, path })
}

/// Checks books (files, or directories searched for `*.pricebook`): every diagnostic, worked
/// examples included, as `pricebook check --format json` lists them.
#[napi(ts_return_type = "Diagnostic[]")]
pub fn check(env: Env, paths: Either<String, Vec<String>>) -> Result<serde_json::Value> {
    let paths: Vec<PathBuf> = match paths {
        Either::A(p) => vec![PathBuf::from(p)],
        Either::B(ps) => ps.into_iter().map(PathBuf::from).collect(),
    };
    let found = interim::check(&paths).map_err(|e| open_failure(&env, e))?;
    serde_json::to_value(found).map_err(|e| Error::from_reason(e.to_string()))
}
