//! Reading the fields of a JSON Lines usage line (`bill`, `diff --usage` and `rate` files).

use serde_json::Value;

/// A text field: a string, or a number as written; empty when absent or null.
///
/// ```
/// use pricebook::usage::json::text;
/// let v = serde_json::json!({"product": "render", "quantity": 90, "unit": null});
/// assert_eq!(text(&v, "product").as_deref(), Ok("render"));
/// assert_eq!(text(&v, "quantity").as_deref(), Ok("90"));
/// assert_eq!(text(&v, "unit").as_deref(), Ok(""));
/// assert!(text(&serde_json::json!({"unit": [1]}), "unit").is_err());
/// ```
pub fn text(v: &Value, k: &str) -> Result<String, String> {
    match v.get(k) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::Null) | None => Ok(String::new()),
        Some(other) => Err(format!("`{k}` must be a string, found {other}")),
    }
}

/// `dims`: a list of values (each may be `name=value`), or an object of dimension name ->
/// value. Values are strings or numbers as written.
///
/// ```
/// use pricebook::usage::json::dims;
/// let v = serde_json::json!({"dims": ["720p", "fps=30"]});
/// assert_eq!(dims(&v), Ok(vec![(None, "720p".to_string()), (Some("fps".to_string()), "30".to_string())]));
/// let v = serde_json::json!({"dims": {"resolution": "720p"}});
/// assert_eq!(dims(&v), Ok(vec![(Some("resolution".to_string()), "720p".to_string())]));
/// ```
pub fn dims(v: &Value) -> Result<Vec<(Option<String>, String)>, String> {
    let value = |x: &Value| match x {
        Value::String(s) => Ok(s.trim().to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("`dims` holds {other}, which is not a string")),
    };
    match v.get("dims") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                let s = value(x)?;
                Ok(match s.split_once('=') {
                    Some((k, v)) => (Some(k.trim().to_string()), v.trim().to_string()),
                    None => (None, s),
                })
            })
            .collect(),
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, x)| Ok((Some(k.clone()), value(x)?)))
            .collect(),
        Some(other) => Err(format!("`dims` must be a list or an object, found {other}")),
    }
}

/// `attrs`: an object of attribute name -> value (`"4500 character"`, or a bare number as a
/// string or a number), by name; empty when absent or null.
///
/// ```
/// use pricebook::usage::json::attrs;
/// let v = serde_json::json!({"attrs": {"script length": "4500 character", "scenes": 51}});
/// assert_eq!(attrs(&v), Ok(vec![("scenes".to_string(), "51".to_string()), ("script length".to_string(), "4500 character".to_string())]));
/// assert!(attrs(&serde_json::json!({"attrs": ["scenes=51"]})).is_err());
/// ```
pub fn attrs(v: &Value) -> Result<Vec<(String, String)>, String> {
    match v.get("attrs") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, x)| match x {
                Value::String(s) => Ok((k.clone(), s.trim().to_string())),
                Value::Number(n) => Ok((k.clone(), n.to_string())),
                other => Err(format!(
                    "attribute `{k}` is {other}; write a number or a quantity (`\"4500 character\"`)"
                )),
            })
            .collect(),
        Some(other) => Err(format!(
            "`attrs` must be an object of attribute names to values (`{{\"scenes\": 51}}`), found {other}"
        )),
    }
}
