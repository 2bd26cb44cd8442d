//! `pricebook._native`: the Rust engine in process for Python. The package `pricebook`
//! (`pricebook/__init__.py`) re-exports it with its exceptions; every rule lives in the
//! library, and this crate only converts arguments and answers (decimals cross as their exact
//! text and arrive as `decimal.Decimal`).

mod convert;
mod diagnostic;
mod errors;
// Shared with the Node binding until the library answers these questions itself.
#[path = "../../orchestration.rs"]
mod orchestration;

use convert::{attrs_arg, date_arg, decimal, dims_arg, from_json, to_json, value_text};
use diagnostic::Diagnostic;
use orchestration::{Failure, Source, Target};
use pricebook::Decimal;
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
    amount: Decimal,
    /// The unit charged in; `""` for a free product.
    #[pyo3(get)]
    unit: String,
}

#[pymethods]
impl Charge {
    #[getter]
    fn amount<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.amount)
    }

    fn __repr__(&self) -> String {
        format!("Charge(amount=Decimal('{}'), unit={:?})", self.amount, self.unit)
    }
}

/// What a charge is worth in money on the plan.
#[pyclass(module = "pricebook", frozen)]
pub struct Money {
    amount: Decimal,
    #[pyo3(get)]
    currency: String,
}

#[pymethods]
impl Money {
    #[getter]
    fn amount<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.amount)
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
    charge: Decimal,
    charge_unit: String,
    money: Option<(Decimal, String)>,
    #[pyo3(get)]
    explain: Vec<String>,
}

#[pymethods]
impl Quote {
    #[getter]
    fn charge(&self) -> Charge {
        Charge {
            amount: self.charge,
            unit: self.charge_unit.clone(),
        }
    }

    #[getter]
    fn money(&self) -> Option<Money> {
        self.money.as_ref().map(|(amount, currency)| Money {
            amount: *amount,
            currency: currency.clone(),
        })
    }

    fn __repr__(&self) -> String {
        let money = self
            .money
            .as_ref()
            .map_or("None".to_string(), |(a, c)| format!("{a} {c}"));
        format!(
            "Quote(plan={}, product={:?}, charge={} {}, money={money})",
            self.plan.as_deref().map_or("None".to_string(), |p| format!("{p:?}")),
            self.product,
            self.charge,
            self.charge_unit
        )
    }
}

/// How many whole units of a product a plan's recurring grant buys.
#[pyclass(module = "pricebook", frozen)]
pub struct Capacity {
    value: Decimal,
    #[pyo3(get)]
    unit: String,
}

#[pymethods]
impl Capacity {
    #[getter]
    fn value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.value)
    }

    fn __repr__(&self) -> String {
        format!("Capacity(value=Decimal('{}'), unit={:?})", self.value, self.unit)
    }
}

/// A loaded book: one book, a compiled table, or a vendor's directory of versions (each
/// question picks the version in force on its `at` day, the latest without one).
#[pyclass(module = "pricebook", frozen)]
pub struct Book {
    source: Source,
}

fn path_arg(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    obj.extract::<PathBuf>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{name} must be a path (str or os.PathLike), not {}",
            obj.get_type().name().map_or(String::new(), |n| n.to_string())
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
                PyTypeError::new_err(format!(
                    "{name} must be a string, not {}",
                    o.get_type().name().map_or(String::new(), |n| n.to_string())
                ))
            })
        })
        .transpose()
}

/// Usage given as a file path (read as it is) or as an iterable of event dicts (written as
/// JSON Lines, the form the library reads).
enum Usage {
    File(PathBuf),
    Lines(Vec<u8>),
}

fn usage_arg(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Usage> {
    if obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__")? {
        return Ok(Usage::File(path_arg(name, obj)?));
    }
    let iter = obj.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "{name} must be a path or an iterable of dicts, not {}",
            obj.get_type().name().map_or(String::new(), |n| n.to_string())
        ))
    })?;
    let mut lines = Vec::new();
    for item in iter {
        let v = to_json(&item?)?;
        if !v.is_object() {
            return Err(PyTypeError::new_err(format!(
                "each event of {name} must be a dict"
            )));
        }
        serde_json::to_writer(&mut lines, &v).map_err(|e| PyValueError::new_err(e.to_string()))?;
        lines.push(b'\n');
    }
    Ok(Usage::Lines(lines))
}

impl Usage {
    fn text(self, py: Python<'_>) -> PyResult<String> {
        match self {
            Usage::Lines(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
            Usage::File(path) => {
                let bytes = py.detach(|| std::fs::read(&path)).map_err(|e| {
                    errors::open_to_py(
                        py,
                        pricebook::OpenError::FileUnreadable {
                            path: path.clone(),
                            io: e,
                        },
                    )
                })?;
                Ok(String::from_utf8_lossy(&bytes).into_owned())
            }
        }
    }
}

#[pymethods]
impl Book {
    /// Prices one usage: `quantity` with its unit (`"90 second"`), `dims` the product's
    /// dimension values, `attrs` the usage's attributes, `at` the day whose version prices it.
    #[pyo3(signature = (plan=None, product=None, quantity=None, dims=None, attrs=None, at=None))]
    fn quote(
        &self,
        py: Python<'_>,
        plan: Option<&Bound<'_, PyAny>>,
        product: Option<&Bound<'_, PyAny>>,
        quantity: Option<&Bound<'_, PyAny>>,
        dims: Option<&Bound<'_, PyAny>>,
        attrs: Option<&Bound<'_, PyAny>>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Quote> {
        let plan = opt_string("plan", plan)?;
        let product: String = value_text("product", required("product", product)?)?;
        let quantity = value_text("quantity", required("quantity", quantity)?)?;
        let dims = dims_arg(dims)?;
        let attrs = attrs_arg(attrs)?;
        let day = date_arg("at", at)?;
        let target = Target {
            plan: plan.as_deref(),
            product: &product,
            dims: &dims,
        };
        let answer = self
            .source
            .at(day)
            .map_err(Failure::Open)
            .and_then(|opened| orchestration::quote(&opened, &target, &quantity, &attrs))
            .map_err(|f| errors::to_py(py, f))?;
        Ok(Quote {
            plan: answer.plan,
            product: answer.product,
            charge: answer.charge,
            charge_unit: answer.charge_unit,
            money: answer.money,
            explain: answer.explain,
        })
    }

    /// How many whole units of `product` the plan's recurring grant buys, counted in `unit`
    /// (default: the unit the product is rated per).
    #[pyo3(signature = (plan=None, product=None, dims=None, unit=None, at=None))]
    fn capacity(
        &self,
        py: Python<'_>,
        plan: Option<&Bound<'_, PyAny>>,
        product: Option<&Bound<'_, PyAny>>,
        dims: Option<&Bound<'_, PyAny>>,
        unit: Option<&Bound<'_, PyAny>>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Capacity> {
        let plan = opt_string("plan", plan)?;
        let product: String = value_text("product", required("product", product)?)?;
        let unit = opt_string("unit", unit)?;
        let dims = dims_arg(dims)?;
        let day = date_arg("at", at)?;
        let target = Target {
            plan: plan.as_deref(),
            product: &product,
            dims: &dims,
        };
        let (value, unit) = self
            .source
            .at(day)
            .map_err(Failure::Open)
            .and_then(|opened| orchestration::capacity(&opened, &target, unit.as_deref()))
            .map_err(|f| errors::to_py(py, f))?;
        Ok(Capacity { value, unit })
    }

    /// Bills one account's usage over whole periods: the bill's JSON (`versions`, `total`,
    /// `lines`, `wallet`, `rejected`, `closing_wallet`) as dicts, every decimal a `Decimal`.
    /// `usage` is a list of event dicts (`time`, `product`, `quantity`, ...) or a usage file.
    #[pyo3(signature = (plan=None, usage=None, start=None, periods=None, *, billing="monthly", at=None, wallet=None, auto_recharge=None))]
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
    ) -> PyResult<Bound<'py, PyAny>> {
        let plan = opt_string("plan", plan)?;
        let usage = usage_arg("usage", required("usage", usage)?)?.text(py)?;
        let annual = match billing {
            "monthly" => false,
            "annual" => true,
            other => {
                return Err(PyValueError::new_err(format!(
                    "billing must be \"monthly\" or \"annual\", not {other:?}"
                )));
            }
        };
        let from = date_arg("start", start)?;
        let at = date_arg("at", at)?;
        let wallet = wallet
            .filter(|w| !w.is_none())
            .map(|w| {
                if w.is_instance_of::<PyString>() {
                    w.extract::<String>()
                } else {
                    Ok(to_json(w)?.to_string())
                }
            })
            .transpose()?;
        let auto_recharge = opt_string("auto_recharge", auto_recharge)?;
        let asked = orchestration::BillAsked {
            plan: plan.as_deref(),
            usage: &usage,
            annual,
            from,
            periods,
            at,
            wallet: wallet.as_deref(),
            auto_recharge: auto_recharge.as_deref(),
        };
        let source = &self.source;
        let bill = py
            .detach(|| orchestration::bill(source, &asked))
            .map_err(|f| errors::to_py(py, f))?;
        from_json(py, &bill, BILL_DECIMALS)
    }

    /// Rates a usage export into totals per account (or `by="plan"`, `"product"`): `events` is a
    /// CSV or JSON Lines file, or an iterable of event dicts (`account`, `plan`, `product`,
    /// `quantity`, ...). Returns `{"totals": [...], "rated", "lines", "bad_lines", "rejected"}`.
    #[pyo3(signature = (events, *, by="account", at=None))]
    fn rate<'py>(
        &self,
        py: Python<'py>,
        events: &Bound<'py, PyAny>,
        by: &str,
        at: Option<&Bound<'py, PyAny>>,
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
        let day = date_arg("at", at)?;
        let usage = usage_arg("events", events)?;
        let opened = self.source.at(day).map_err(|e| errors::open_to_py(py, e))?;
        let rated = py.detach(|| match &usage {
            Usage::Lines(bytes) => orchestration::rate(&opened, &mut bytes.as_slice(), by),
            Usage::File(path) => {
                let file = std::fs::File::open(path).map_err(|io| {
                    Failure::Open(pricebook::OpenError::FileUnreadable {
                        path: path.clone(),
                        io,
                    })
                })?;
                let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
                orchestration::rate(&opened, &mut reader, by)
            }
        });
        let rated = rated.map_err(|f| errors::to_py(py, f))?;
        from_json(py, &rated, RATE_DECIMALS)
    }

    /// The path the book was loaded from.
    #[getter]
    fn path(&self) -> PathBuf {
        self.source.path.clone()
    }

    /// The vendor (of the latest version).
    #[getter]
    fn vendor(&self, py: Python<'_>) -> PyResult<String> {
        let opened = self.source.at(None).map_err(|e| errors::open_to_py(py, e))?;
        Ok(opened.table.vendor().to_string())
    }

    /// The version label in force on `at` (the latest without one), such as `"2026-06"`.
    #[pyo3(signature = (at=None))]
    fn version(&self, py: Python<'_>, at: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
        let day = date_arg("at", at)?;
        let opened = self.source.at(day).map_err(|e| errors::open_to_py(py, e))?;
        Ok(opened.table.version().to_string())
    }

    /// The book's currency (of the latest version).
    #[getter]
    fn currency(&self, py: Python<'_>) -> PyResult<String> {
        let opened = self.source.at(None).map_err(|e| errors::open_to_py(py, e))?;
        Ok(opened.table.currency().to_string())
    }

    /// The plans' slugs, in book order (of the latest version).
    #[getter]
    fn plans(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let opened = self.source.at(None).map_err(|e| errors::open_to_py(py, e))?;
        Ok(opened.table.plans().iter().map(|p| p.slug.clone()).collect())
    }

    /// The products' slugs, in book order (of the latest version).
    #[getter]
    fn products(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let opened = self.source.at(None).map_err(|e| errors::open_to_py(py, e))?;
        Ok(opened
            .table
            .products()
            .iter()
            .map(|p| p.slug.clone())
            .collect())
    }

    fn __repr__(&self) -> String {
        format!("pricebook.load({:?})", self.source.path.display().to_string())
    }
}

/// Loads a book, a compiled table (`.json`) or a vendor's directory of versions. A book that
/// does not check raises `BookError` with its diagnostics.
#[pyfunction]
fn load(py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<Book> {
    let path = path_arg("path", path)?;
    let source = py
        .detach(|| Source::open(&path))
        .map_err(|e| errors::open_to_py(py, e))?;
    Ok(Book { source })
}

/// Checks books (files, or directories searched for `*.pricebook`): every diagnostic, worked
/// examples included, each with its file and position.
#[pyfunction]
fn check(py: Python<'_>, paths: &Bound<'_, PyAny>) -> PyResult<Vec<Diagnostic>> {
    let paths: Vec<PathBuf> = if paths.is_instance_of::<PyString>() || paths.hasattr("__fspath__")?
    {
        vec![path_arg("paths", paths)?]
    } else {
        paths
            .try_iter()?
            .map(|p| path_arg("paths", &p?))
            .collect::<PyResult<_>>()?
    };
    let found = py
        .detach(|| orchestration::check(&paths))
        .map_err(|e| errors::open_to_py(py, e))?;
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
