//! `pricebook._native`: the Rust engine in process for Python. The package `pricebook`
//! (`pricebook/__init__.py`) re-exports it with its exceptions; every rule lives in the
//! library, and this crate only converts arguments and answers (decimals cross as their exact
//! text and arrive as `decimal.Decimal`).

// What the library does not offer yet, shared with the Node binding.
mod convert;
mod diagnostic;
mod errors;
#[path = "../../interim.rs"]
mod interim;

use convert::{attrs_arg, date_arg, decimal_from_str, dims_arg, from_json, to_json, value_text};
use diagnostic::Diagnostic;
use pricebook::answer::{
    Attr, BillQuestion, Books, CapacityQuestion, Dim, QuoteQuestion, UsageInput,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;
use std::path::PathBuf;

/// The decimal fields of a bill's JSON.
const BILL_DECIMALS: &[&str] = &["amount", "granted", "consumed", "expired", "remaining"];
/// The decimal fields of rated totals.
const RATE_DECIMALS: &[&str] = &["amount"];

/// A charge in the book's charge unit (`credit`), or money for a product priced in money.
#[pyclass(module = "pricebook", frozen)]
pub struct Charge {
    amount: String,
    /// The unit charged in; `""` for a free product.
    #[pyo3(get)]
    unit: String,
}

#[pymethods]
impl Charge {
    #[getter]
    fn amount<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal_from_str(py, &self.amount)
    }

    fn __repr__(&self) -> String {
        format!(
            "Charge(amount=Decimal('{}'), unit={:?})",
            self.amount, self.unit
        )
    }
}

/// What a charge is worth in money on the plan.
#[pyclass(module = "pricebook", frozen)]
pub struct Money {
    amount: String,
    #[pyo3(get)]
    currency: String,
}

#[pymethods]
impl Money {
    #[getter]
    fn amount<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal_from_str(py, &self.amount)
    }

    fn __repr__(&self) -> String {
        format!(
            "Money(amount=Decimal('{}'), currency={:?})",
            self.amount, self.currency
        )
    }
}

/// A priced usage: the charge, its money (`None` when the plan publishes no price for the
/// charge unit), and each rule applied with its `file:line`.
#[pyclass(module = "pricebook", frozen)]
pub struct Quote {
    /// The plan's slug (`None` for a book without plans).
    #[pyo3(get)]
    plan: Option<String>,
    /// The product's slug.
    #[pyo3(get)]
    product: String,
    charge: pricebook::answer::Charge,
    money: Option<pricebook::answer::Money>,
    /// The file that priced it: the book, the version picked from a directory, or the table.
    #[pyo3(get)]
    source: String,
    /// The book and the question, to explain the price when asked: the explanation costs more
    /// than the price itself (`bench/quote.py`), and most callers read only the charge.
    book: Py<Book>,
    question: QuoteQuestion,
    explain: std::sync::OnceLock<Vec<String>>,
}

/// Each step as the command line shows it: the step, then the rule's `file:line`.
fn explain_lines(a: pricebook::answer::QuoteAnswer) -> Vec<String> {
    let rules = a.rules.as_deref();
    a.explain
        .into_iter()
        .map(|s| match (s.line, rules) {
            (Some(l), Some(f)) => format!("{} ({f}:{l})", s.step),
            (Some(l), None) => format!("{} (line {l} of the book)", s.step),
            (None, _) => s.step,
        })
        .collect()
}

#[pymethods]
impl Quote {
    #[getter]
    fn charge(&self) -> Charge {
        Charge {
            amount: self.charge.amount.clone(),
            unit: self.charge.unit.clone(),
        }
    }

    #[getter]
    fn money(&self) -> Option<Money> {
        self.money.as_ref().map(|m| Money {
            amount: m.amount.clone(),
            currency: m.currency.clone(),
        })
    }

    /// Each rule applied, with its `file:line`: the same question asked again with its
    /// explanation, of the same loaded book, on first read.
    #[getter]
    fn explain(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        if let Some(lines) = self.explain.get() {
            return Ok(lines.clone());
        }
        let mut q = self.question.clone();
        q.explain = true;
        let a = self
            .book
            .get()
            .books
            .quote(&q)
            .map_err(|e| errors::answer_error(py, &e))?;
        Ok(self.explain.get_or_init(|| explain_lines(a)).clone())
    }

    fn __repr__(&self) -> String {
        let money = self.money.as_ref().map_or("None".to_string(), |m| {
            format!("{} {}", m.amount, m.currency)
        });
        format!(
            "Quote(plan={}, product={:?}, charge={} {}, money={money})",
            self.plan
                .as_deref()
                .map_or("None".to_string(), |p| format!("{p:?}")),
            self.product,
            self.charge.amount,
            self.charge.unit
        )
    }
}

/// How many whole units of a product a plan's recurring grant buys.
#[pyclass(module = "pricebook", frozen)]
pub struct Capacity {
    value: String,
    #[pyo3(get)]
    unit: String,
}

#[pymethods]
impl Capacity {
    #[getter]
    fn value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal_from_str(py, &self.value)
    }

    fn __repr__(&self) -> String {
        format!(
            "Capacity(value=Decimal('{}'), unit={:?})",
            self.value, self.unit
        )
    }
}

/// A loaded book: one book, a compiled table, or a vendor's directory of versions (each
/// question picks the version in force on its `at` day, the latest without one). A directory
/// of several vendors' directories serves them all; questions then name one with `book=`.
#[pyclass(module = "pricebook", frozen)]
pub struct Book {
    books: Books,
    path: PathBuf,
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or(String::new(), |n| n.to_string())
}

fn path_arg(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    obj.extract::<PathBuf>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{name} must be a path (str or os.PathLike), not {}",
            type_name(obj)
        ))
    })
}

fn required<'a, 'py>(
    name: &str,
    obj: Option<&'a Bound<'py, PyAny>>,
) -> PyResult<&'a Bound<'py, PyAny>> {
    obj.filter(|o| !o.is_none())
        .ok_or_else(|| PyTypeError::new_err(format!("missing required argument: {name}")))
}

fn opt_string(name: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    obj.filter(|o| !o.is_none())
        .map(|o| {
            o.extract::<String>().map_err(|_| {
                PyTypeError::new_err(format!("{name} must be a string, not {}", type_name(o)))
            })
        })
        .transpose()
}

/// A day argument as the question's text: a `datetime.date` as its ISO form; anything else is
/// the library's to read (and refuse).
fn at_text(name: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    Ok(date_arg(name, obj)?.map(|d| d.to_string()))
}

/// Usage given as a file path (read as it is) or as an iterable of event dicts.
enum Usage {
    File(PathBuf),
    Events(Vec<serde_json::Value>),
}

fn usage_arg(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Usage> {
    if obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__")? {
        return Ok(Usage::File(path_arg(name, obj)?));
    }
    let iter = obj.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "{name} must be a path or an iterable of dicts, not {}",
            type_name(obj)
        ))
    })?;
    let mut events = Vec::new();
    for item in iter {
        let v = to_json(&item?)?;
        if !v.is_object() {
            return Err(PyTypeError::new_err(format!(
                "each event of {name} must be a dict"
            )));
        }
        events.push(v);
    }
    Ok(Usage::Events(events))
}

fn read_file(py: Python<'_>, path: &std::path::Path) -> PyResult<String> {
    let bytes = py.detach(|| std::fs::read(path)).map_err(|io| {
        errors::open_error(
            py,
            pricebook::OpenError::FileUnreadable {
                path: path.to_path_buf(),
                io,
            },
        )
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

impl Book {
    /// The version in force on `at` (the latest without one).
    fn pick(
        &self,
        py: Python<'_>,
        book: Option<&str>,
        at: Option<pricebook::Date>,
    ) -> PyResult<&std::sync::Arc<pricebook::answer::Book>> {
        self.books
            .pick(book, at)
            .map_err(|e| errors::answer_error(py, &e))
    }
}

#[pymethods]
impl Book {
    /// Prices one usage: `quantity` with its unit (`"90 second"`), `dims` the product's
    /// dimension values, `attrs` the usage's attributes, `at` the day whose version prices it.
    /// A usage the book refuses raises `Rejected`.
    #[pyo3(signature = (plan=None, product=None, quantity=None, dims=None, attrs=None, at=None, *, book=None))]
    #[allow(clippy::too_many_arguments)]
    fn quote(
        slf: &Bound<'_, Self>,
        py: Python<'_>,
        plan: Option<&Bound<'_, PyAny>>,
        product: Option<&Bound<'_, PyAny>>,
        quantity: Option<&Bound<'_, PyAny>>,
        dims: Option<&Bound<'_, PyAny>>,
        attrs: Option<&Bound<'_, PyAny>>,
        at: Option<&Bound<'_, PyAny>>,
        book: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Quote> {
        let mut q = QuoteQuestion::new(
            value_text("product", required("product", product)?)?,
            value_text("quantity", required("quantity", quantity)?)?,
        );
        q.plan = opt_string("plan", plan)?;
        q.book = opt_string("book", book)?;
        q.dims = dims_arg(dims)?
            .into_iter()
            .map(|(name, value)| Dim { name, value })
            .collect();
        q.attrs = attrs_arg(attrs)?
            .into_iter()
            .map(|(name, value)| Attr { name, value })
            .collect();
        q.at = at_text("at", at)?;
        let a = slf
            .get()
            .books
            .quote(&q)
            .map_err(|e| errors::answer_error(py, &e))?;
        if let Some(r) = &a.rejected {
            return Err(errors::rejected(py, r));
        }
        let (Some(charge), Some(money)) = (a.charge, a.money) else {
            return Err(PyValueError::new_err("the library answered with no charge"));
        };
        Ok(Quote {
            plan: a.plan,
            product: a.product,
            charge,
            money,
            source: a.source,
            book: slf.clone().unbind(),
            question: q,
            explain: std::sync::OnceLock::new(),
        })
    }

    /// How many whole units of `product` the plan's recurring grant buys, counted in `unit`
    /// (default: the unit the product is rated per).
    #[pyo3(signature = (plan=None, product=None, dims=None, unit=None, at=None, *, book=None))]
    #[allow(clippy::too_many_arguments)]
    fn capacity(
        &self,
        py: Python<'_>,
        plan: Option<&Bound<'_, PyAny>>,
        product: Option<&Bound<'_, PyAny>>,
        dims: Option<&Bound<'_, PyAny>>,
        unit: Option<&Bound<'_, PyAny>>,
        at: Option<&Bound<'_, PyAny>>,
        book: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Capacity> {
        let mut q = CapacityQuestion::new(value_text("product", required("product", product)?)?);
        q.plan = opt_string("plan", plan)?;
        q.book = opt_string("book", book)?;
        q.unit = opt_string("unit", unit)?;
        q.dims = dims_arg(dims)?
            .into_iter()
            .map(|(name, value)| Dim { name, value })
            .collect();
        q.at = at_text("at", at)?;
        let a = self
            .books
            .capacity(&q)
            .map_err(|e| errors::answer_error(py, &e))?;
        if let Some(r) = &a.rejected {
            return Err(errors::rejected(py, r));
        }
        let Some(value) = a.quantity.value else {
            return Err(PyValueError::new_err("the library answered with no value"));
        };
        Ok(Capacity {
            value,
            unit: a.quantity.unit,
        })
    }

    /// Bills one account's usage over whole periods: the bill's JSON (`versions`, `total`,
    /// `lines`, `wallet`, `rejected`, `closing_wallet`) as dicts, every decimal a `Decimal`.
    /// `usage` is a list of event dicts (`time`, `product`, `quantity`, ...) or a usage file;
    /// `start` is the first day of the first period.
    #[pyo3(signature = (plan=None, usage=None, start=None, periods=None, *, billing="monthly", at=None, wallet=None, auto_recharge=None, contract=None, book=None))]
    #[allow(clippy::too_many_arguments)]
    fn bill<'py>(
        &self,
        py: Python<'py>,
        plan: Option<&Bound<'py, PyAny>>,
        usage: Option<&Bound<'py, PyAny>>,
        start: Option<&Bound<'py, PyAny>>,
        periods: Option<u32>,
        billing: &str,
        at: Option<&Bound<'py, PyAny>>,
        wallet: Option<&Bound<'py, PyAny>>,
        auto_recharge: Option<&Bound<'py, PyAny>>,
        contract: Option<&Bound<'py, PyAny>>,
        book: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut q = BillQuestion::default();
        q.plan = opt_string("plan", plan)?;
        q.book = opt_string("book", book)?;
        q.usage = match usage_arg("usage", required("usage", usage)?)? {
            Usage::File(path) => UsageInput::Text(read_file(py, &path)?),
            Usage::Events(events) => UsageInput::Events(events),
        };
        q.billing = Some(match billing {
            "monthly" => pricebook::Billing::Monthly,
            "annual" => pricebook::Billing::Annual,
            other => {
                return Err(PyValueError::new_err(format!(
                    "billing must be \"monthly\" or \"annual\", not {other:?}"
                )));
            }
        });
        q.from = at_text("start", start)?;
        q.periods = periods;
        q.at = at_text("at", at)?;
        q.wallet = wallet
            .filter(|w| !w.is_none())
            .map(|w| to_json(w))
            .transpose()?;
        q.auto_recharge = opt_string("auto_recharge", auto_recharge)?;
        q.contract = contract
            .filter(|c| !c.is_none())
            .map(|c| read_file(py, &path_arg("contract", c)?))
            .transpose()?;
        let (books, path) = (&self.books, &self.path);
        let answer = py
            .detach(|| interim::bill(books, path, &q))
            .map_err(|e| errors::answer_error(py, &e))?;
        from_json(py, &answer.to_json(), BILL_DECIMALS)
    }

    /// Rates a usage export into totals per account (or `by="plan"`, `"product"`): `events` is a
    /// CSV or JSON Lines file, or an iterable of event dicts (`account`, `plan`, `product`,
    /// `quantity`, ...). Returns `{"totals": [...], "rated", "lines", "bad_lines", "rejected"}`.
    #[pyo3(signature = (events, *, by="account", at=None, book=None))]
    fn rate<'py>(
        &self,
        py: Python<'py>,
        events: &Bound<'py, PyAny>,
        by: &str,
        at: Option<&Bound<'py, PyAny>>,
        book: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        use pricebook::rate::batch::GroupBy;
        let by = match by {
            "account" => GroupBy::Account,
            "plan" => GroupBy::Plan,
            "product" => GroupBy::Product,
            other => {
                return Err(PyValueError::new_err(format!(
                    "by must be \"account\", \"plan\" or \"product\", not {other:?}"
                )));
            }
        };
        let at = at_text("at", at)?;
        let book = opt_string("book", book)?;
        let books = &self.books;
        let answer = match usage_arg("events", events)? {
            Usage::File(path) => {
                let file = std::fs::File::open(&path).map_err(|io| {
                    errors::open_error(py, pricebook::OpenError::FileUnreadable { path, io })
                })?;
                py.detach(|| {
                    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
                    books.rate(book.as_deref(), at.as_deref(), &mut reader, by)
                })
            }
            Usage::Events(events) => py.detach(|| {
                // Event dicts as JSON Lines, the form the rater reads.
                let mut lines = Vec::new();
                for e in &events {
                    if serde_json::to_writer(&mut lines, e).is_ok() {
                        lines.push(b'\n');
                    }
                }
                books.rate(book.as_deref(), at.as_deref(), &mut lines.as_slice(), by)
            }),
        }
        .map_err(|e| errors::answer_error(py, &e))?;
        let json =
            serde_json::to_value(&answer).map_err(|e| PyValueError::new_err(e.to_string()))?;
        from_json(py, &json, RATE_DECIMALS)
    }

    /// The path the book was loaded from.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// The vendor (of the latest version).
    #[getter]
    fn vendor(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.pick(py, None, None)?.key.vendor.clone())
    }

    /// The version label in force on `at` (the latest without one), such as `"2026-06"`.
    #[pyo3(signature = (at=None, *, book=None))]
    fn version(
        &self,
        py: Python<'_>,
        at: Option<&Bound<'_, PyAny>>,
        book: Option<&str>,
    ) -> PyResult<String> {
        let day = date_arg("at", at)?;
        Ok(self.pick(py, book, day)?.version().to_string())
    }

    /// The book's currency (of the latest version).
    #[getter]
    fn currency(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self
            .pick(py, None, None)?
            .opened
            .table
            .currency()
            .to_string())
    }

    /// The plans' slugs, in book order (of the latest version).
    #[getter]
    fn plans(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let b = self.pick(py, None, None)?;
        Ok(b.opened
            .table
            .plans()
            .iter()
            .map(|p| p.slug.clone())
            .collect())
    }

    /// The products' slugs, in book order (of the latest version).
    #[getter]
    fn products(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let b = self.pick(py, None, None)?;
        Ok(b.opened
            .table
            .products()
            .iter()
            .map(|p| p.slug.clone())
            .collect())
    }

    fn __repr__(&self) -> String {
        format!("pricebook.load({:?})", self.path.display().to_string())
    }
}

/// Loads a book, a compiled table (`.json`) or a vendor's directory of versions (or a
/// directory of vendors' directories). Every book is checked now: one that does not check
/// raises `BookError` with its diagnostics.
#[pyfunction]
fn load(py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<Book> {
    let path = path_arg("path", path)?;
    let books = py
        .detach(|| Books::open(std::slice::from_ref(&path)))
        .map_err(|e| errors::open_error(py, e))?;
    if let Some(e) = books.status().iter().find_map(|s| s.error.as_ref()) {
        return Err(errors::status_error(py, e));
    }
    Ok(Book { books, path })
}

/// Checks books (files, or directories searched for `*.pricebook`): every diagnostic, worked
/// examples included, each with its file and position.
#[pyfunction]
fn check(py: Python<'_>, paths: &Bound<'_, PyAny>) -> PyResult<Vec<Diagnostic>> {
    let paths: Vec<PathBuf> =
        if paths.is_instance_of::<PyString>() || paths.hasattr("__fspath__")? {
            vec![path_arg("paths", paths)?]
        } else {
            paths
                .try_iter()?
                .map(|p| path_arg("paths", &p?))
                .collect::<PyResult<_>>()?
        };
    let found = py
        .detach(|| interim::check(&paths))
        .map_err(|e| errors::open_error(py, e))?;
    Ok(found.into_iter().map(Diagnostic::from).collect())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Book>()?;
    m.add_class::<Quote>()?;
    m.add_class::<Charge>()?;
    m.add_class::<Money>()?;
    m.add_class::<Capacity>()?;
    m.add_class::<Diagnostic>()?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
