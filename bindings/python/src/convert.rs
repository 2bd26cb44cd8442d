//! Python values in and out: arguments as the library takes them, answers with every decimal a
//! `decimal.Decimal`. Conversion only: what a value means is the library's business.

use pricebook::Date;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::Value;

static DECIMAL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `decimal.Decimal(text)`: the library's decimals cross as their exact text.
pub fn decimal_from_str<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let class = DECIMAL.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py.import("decimal")?.getattr("Decimal")?.unbind())
    })?;
    class.bind(py).call1((text,))
}

fn is_decimal(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = obj.py();
    let class = DECIMAL.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py.import("decimal")?.getattr("Decimal")?.unbind())
    })?;
    obj.is_instance(class.bind(py))
}

/// A day: `"YYYY-MM-DD"` or a `datetime.date`.
pub fn date_arg(name: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Date>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let text: String = if obj.is_instance_of::<PyString>() {
        obj.extract()?
    } else if obj.hasattr("isoformat")? && obj.hasattr("year")? {
        // A datetime is a date too; its day is what is asked.
        let text: String = obj.call_method0("isoformat")?.extract()?;
        text.chars().take(10).collect()
    } else {
        return Err(PyTypeError::new_err(format!(
            "{name} must be a \"YYYY-MM-DD\" string or a datetime.date, not {}",
            obj.get_type().name()?
        )));
    };
    Date::parse(text.trim()).map(Some).ok_or_else(|| {
        PyValueError::new_err(format!("{name}: `{text}` is not a date; write YYYY-MM-DD"))
    })
}

/// A number or a written value as text: `"4500 character"`, `51`, `Decimal("1.5")`; a float by
/// its shortest exact-looking repr.
pub fn value_text(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<String> {
    if obj.is_instance_of::<PyString>() {
        return obj.extract();
    }
    if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be a string or a number, not bool"
        )));
    }
    if obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyFloat>() || is_decimal(obj)? {
        return Ok(obj.str()?.to_string());
    }
    Err(PyTypeError::new_err(format!(
        "{name} must be a string or a number, not {}",
        obj.get_type().name()?
    )))
}

/// Dimension values: `{"resolution": "4K"}`, `["4K"]`, `["resolution=4K"]` or `"4K"`.
pub fn dims_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(Option<String>, String)>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    if let Ok(d) = obj.cast::<PyDict>() {
        return d
            .iter()
            .map(|(k, v)| Ok((Some(k.extract::<String>()?), value_text("dims", &v)?)))
            .collect();
    }
    let one = |text: String| match text.split_once('=') {
        Some((k, v)) => (Some(k.to_string()), v.to_string()),
        None => (None, text),
    };
    if obj.is_instance_of::<PyString>() {
        return Ok(vec![one(obj.extract()?)]);
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return obj
            .try_iter()?
            .map(|v| Ok(one(value_text("dims", &v?)?)))
            .collect();
    }
    Err(PyTypeError::new_err(format!(
        "dims must be a dict, a list of strings or a string, not {}",
        obj.get_type().name()?
    )))
}

/// Event attributes: `{"scenes": 51, "script length": "4500 character"}` or `["scenes=51"]`.
pub fn attrs_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, String)>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    if let Ok(d) = obj.cast::<PyDict>() {
        return d
            .iter()
            .map(|(k, v)| Ok((k.extract::<String>()?, value_text("attrs", &v)?)))
            .collect();
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return obj
            .try_iter()?
            .map(|v| {
                let text: String = v?.extract()?;
                match text.split_once('=') {
                    Some((k, v)) => Ok((k.to_string(), v.to_string())),
                    None => Err(PyValueError::new_err(format!(
                        "attrs: `{text}` is not NAME=VALUE; write \"script length=4500 character\""
                    ))),
                }
            })
            .collect();
    }
    Err(PyTypeError::new_err(format!(
        "attrs must be a dict or a list of \"NAME=VALUE\" strings, not {}",
        obj.get_type().name()?
    )))
}

/// A Python value as JSON, for usage events and wallets written as dicts: strings, numbers
/// (decimals and floats as their text, so the library reads them exactly as written), dates as
/// ISO text, lists and dicts.
pub fn to_json(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(Value::Bool(obj.extract()?));
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(Value::String(obj.extract()?));
    }
    if obj.is_instance_of::<PyInt>() {
        return Ok(match obj.extract::<i64>() {
            Ok(i) => Value::from(i),
            Err(_) => Value::String(obj.str()?.to_string()),
        });
    }
    if obj.is_instance_of::<PyFloat>() || is_decimal(obj)? {
        return Ok(Value::String(obj.str()?.to_string()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = serde_json::Map::new();
        for (k, v) in d.iter() {
            let key: String = k.extract().map_err(|_| {
                PyTypeError::new_err("the keys of a usage event or wallet must be strings")
            })?;
            map.insert(key, to_json(&v)?);
        }
        return Ok(Value::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return obj.try_iter()?.map(|v| to_json(&v?)).collect();
    }
    if obj.hasattr("isoformat")? {
        return Ok(Value::String(obj.call_method0("isoformat")?.extract()?));
    }
    Err(PyTypeError::new_err(format!(
        "cannot pass a {} to pricebook: use strings, numbers, lists and dicts",
        obj.get_type().name()?
    )))
}

/// An answer's JSON as Python: the strings under `decimal_keys` become `decimal.Decimal`s.
pub fn from_json<'py>(
    py: Python<'py>,
    v: &Value,
    decimal_keys: &[&str],
) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u.into_pyobject(py)?.into_any(),
            (None, Some(i)) => i.into_pyobject(py)?.into_any(),
            _ => decimal_from_str(py, &n.to_string())?,
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for i in items {
                list.append(from_json(py, i, decimal_keys)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                let value = match v {
                    Value::String(s) if decimal_keys.contains(&k.as_str()) => {
                        decimal_from_str(py, s)?
                    }
                    _ => from_json(py, v, decimal_keys)?,
                };
                dict.set_item(k, value)?;
            }
            dict.into_any()
        }
    })
}
