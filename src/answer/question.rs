//! The parts questions share: dimension values and usage attributes, as a command line writes
//! them (`resolution=4K`) and as JSON does (a list of those, or a map).

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A dimension value of the usage: by its dimension's name (`resolution=4K`, or
/// `{"resolution": "4K"}` in JSON), or alone when the value names its dimension (`4K`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dim {
    pub name: Option<String>,
    pub value: String,
}

impl Dim {
    /// Reads `name=value` or a bare `value`, trimmed.
    ///
    /// ```
    /// use pricebook::answer::Dim;
    /// assert_eq!(Dim::parse("resolution = 4K").name.as_deref(), Some("resolution"));
    /// assert_eq!(Dim::parse("4K"), Dim { name: None, value: "4K".into() });
    /// ```
    pub fn parse(text: &str) -> Dim {
        match text.split_once('=') {
            Some((k, v)) => Dim {
                name: Some(k.trim().to_string()),
                value: v.trim().to_string(),
            },
            None => Dim {
                name: None,
                value: text.trim().to_string(),
            },
        }
    }
}

/// An attribute the usage carries, for a plan's limits on it: its name, and its value with the
/// unit when one is written (`"4500 character"`, `"51"`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attr {
    pub name: String,
    pub value: String,
}

/// A JSON scalar as text: a string as it is, a number as written.
fn scalar_text<E: de::Error>(v: serde_json::Value, what: &str) -> Result<String, E> {
    match v {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(E::custom(format!(
            "{what} must be a string or a number, not {other}"
        ))),
    }
}

/// `dims`: a list of `name=value` or bare values, or a map of names to values.
pub(crate) fn dims<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Dim>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<Dim>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(r#"a list of dimension values (["4K", "model=Sora"]) or a map ({"resolution": "4K"})"#)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Dim>, A::Error> {
            let mut out = Vec::new();
            while let Some(v) = seq.next_element::<serde_json::Value>()? {
                out.push(Dim::parse(&scalar_text::<A::Error>(
                    v,
                    "a dimension value",
                )?));
            }
            Ok(out)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Dim>, A::Error> {
            let mut out = Vec::new();
            while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                out.push(Dim {
                    name: Some(k.trim().to_string()),
                    value: scalar_text::<A::Error>(v, "a dimension value")?
                        .trim()
                        .to_string(),
                });
            }
            Ok(out)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Vec<Dim>, E> {
            Ok(Vec::new())
        }
    }
    d.deserialize_any(V)
}

/// `attrs`: a map of attribute names to values (strings with a unit, or numbers), in the order
/// written.
pub(crate) fn attrs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Attr>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<Attr>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(r#"a map of attributes to values ({"script length": "4500 character"})"#)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Attr>, A::Error> {
            let mut out = Vec::new();
            while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                out.push(Attr {
                    name: k,
                    value: scalar_text::<A::Error>(v, "an attribute value")?,
                });
            }
            Ok(out)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Vec<Attr>, E> {
            Ok(Vec::new())
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Q {
        #[serde(default, deserialize_with = "dims")]
        dims: Vec<Dim>,
        #[serde(default, deserialize_with = "attrs")]
        attrs: Vec<Attr>,
    }

    fn q(json: &str) -> Result<Q, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn dims_are_a_list_or_a_map_and_attrs_keep_their_order() {
        let a = q(r#"{"dims": ["4K", "model = Sora"]}"#).expect("a list");
        assert_eq!(
            a.dims,
            [
                Dim {
                    name: None,
                    value: "4K".into()
                },
                Dim {
                    name: Some("model".into()),
                    value: "Sora".into()
                }
            ]
        );
        let b = q(r#"{"dims": {"resolution": "4K", "seconds": 8}}"#).expect("a map");
        assert_eq!(b.dims[0].name.as_deref(), Some("resolution"));
        assert_eq!(b.dims[1].value, "8");
        let c = q(r#"{"attrs": {"z": 1, "a": "4500 character"}, "dims": null}"#).expect("attrs");
        let names: Vec<&str> = c.attrs.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["z", "a"]);
        assert!(c.dims.is_empty());
        assert!(q(r#"{"dims": [true]}"#).is_err());
        assert!(q(r#"{"attrs": ["x=1"]}"#).is_err());
        assert!(q(r#"{"dims": "4K"}"#).is_err());
    }
}
