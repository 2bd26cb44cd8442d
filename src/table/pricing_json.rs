//! Reading a product's `pricing` (`{"kind": "cells", ...}`) without buffering it.
//!
//! serde's derive for an internally tagged enum reads every object into a buffer first, since
//! `kind` may come anywhere; at 10,000 products that buffering was a quarter of a table's load.
//! Tables are written with `kind` first, so it is read first and the rest goes straight into its
//! variant. An object with `kind` elsewhere (a table rewritten by a tool that sorts keys) still
//! loads, through a buffer as before.

use super::{PricingEntry, RateCell, TierEntry, TierMode, TierScope, UnitId};
use rust_decimal::Decimal;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, de::IntoDeserializer};
use std::fmt;

#[derive(Deserialize)]
struct Cells {
    cells: Vec<Option<RateCell>>,
}

#[derive(Deserialize)]
struct Tiered {
    mode: TierMode,
    scope: TierScope,
    tiers: Vec<TierEntry>,
}

#[derive(Deserialize)]
struct Flat {
    amount: Decimal,
    unit: UnitId,
    per: Option<UnitId>,
    line: u32,
}

#[derive(Deserialize)]
struct Line {
    line: u32,
}

const KINDS: &[&str] = &["cells", "tiered", "flat", "free", "unpublished"];

/// The variant `kind` names, its other fields read from `body`.
fn variant<'de, D: Deserializer<'de>>(kind: &str, body: D) -> Result<PricingEntry, D::Error> {
    Ok(match kind {
        "cells" => {
            let Cells { cells } = Cells::deserialize(body)?;
            PricingEntry::Cells { cells }
        }
        "tiered" => {
            let Tiered { mode, scope, tiers } = Tiered::deserialize(body)?;
            PricingEntry::Tiered { mode, scope, tiers }
        }
        "flat" => {
            let Flat {
                amount,
                unit,
                per,
                line,
            } = Flat::deserialize(body)?;
            PricingEntry::Flat {
                amount,
                unit,
                per,
                line,
            }
        }
        "free" => PricingEntry::Free {
            line: Line::deserialize(body)?.line,
        },
        "unpublished" => PricingEntry::Unpublished {
            line: Line::deserialize(body)?.line,
        },
        other => return Err(de::Error::unknown_variant(other, KINDS)),
    })
}

impl<'de> Deserialize<'de> for PricingEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PricingEntry, D::Error> {
        d.deserialize_map(PricingVisitor)
    }
}

struct PricingVisitor;

impl<'de> Visitor<'de> for PricingVisitor {
    type Value = PricingEntry;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a pricing object with a `kind`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PricingEntry, A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            return Err(de::Error::missing_field("kind"));
        };
        if first == "kind" {
            let kind: String = map.next_value()?;
            return variant(&kind, MapAccessDeserializer::new(map));
        }
        // `kind` comes later: hold the object, then read it.
        let mut object = serde_json::Map::new();
        object.insert(first, map.next_value()?);
        while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
            object.insert(k, v);
        }
        let kind = match object.remove("kind") {
            Some(serde_json::Value::String(k)) => k,
            Some(_) => return Err(de::Error::custom("`kind` is not a string")),
            None => return Err(de::Error::missing_field("kind")),
        };
        let body: serde_json::Value = object.into();
        variant(&kind, body.into_deserializer()).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<PricingEntry, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn every_kind_reads_back_as_written_with_kind_anywhere() {
        let cell = RateCell {
            amount: Decimal::from(7),
            unit: 1,
            per: Decimal::ONE,
            per_unit: 0,
            per_base: Decimal::ONE,
            line: 3,
        };
        let entries = [
            PricingEntry::Cells {
                cells: vec![Some(cell.clone()), None],
            },
            PricingEntry::Tiered {
                mode: TierMode::Graduated,
                scope: TierScope::Period,
                tiers: vec![TierEntry {
                    from: Decimal::ZERO,
                    to: None,
                    rate: cell,
                }],
            },
            PricingEntry::Flat {
                amount: Decimal::from(2),
                unit: 1,
                per: Some(2),
                line: 4,
            },
            PricingEntry::Free { line: 5 },
            PricingEntry::Unpublished { line: 6 },
        ];
        for e in entries {
            let json = serde_json::to_string(&e).expect("serializes");
            assert!(json.starts_with(r#"{"kind":"#), "{json}");
            assert_eq!(read(&json), Ok(e.clone()), "{json}");
            // `kind` last, as a tool that reorders keys may write it.
            let mut object: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&json).expect("json");
            let kind = object.remove("kind").expect("a kind");
            let rest = serde_json::to_string(&object).expect("serializes");
            let moved = format!("{},\"kind\":{kind}}}", &rest[..rest.len() - 1]);
            assert_eq!(read(&moved), Ok(e), "{moved}");
        }
    }

    #[test]
    fn a_bad_pricing_object_is_an_error() {
        for bad in [
            r#"{}"#,
            r#"{"kind": "barter", "line": 1}"#,
            r#"{"line": 1}"#,
            r#"{"line": 1, "kind": 7}"#,
            r#"{"kind": "free"}"#,
            r#"{"kind": "flat", "amount": "1", "unit": 0, "per": null}"#,
            r#"[]"#,
        ] {
            assert!(read(bad).is_err(), "{bad} was read");
        }
    }
}
