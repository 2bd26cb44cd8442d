//! Quantities as people write them on the command line and in usage files: `20 minute`,
//! `20 minutes`, `20min`, `1.5 h`, `1_000 second`, `1,000 second`.
//!
//! This only splits the text into an exact number and the unit as written; what the unit means
//! is [`super::units::resolve_unit`]'s business.

use super::money::parse_decimal;
use rust_decimal::Decimal;
use std::fmt;

/// Why a written quantity could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuantityError {
    /// No number, or more than a number and a unit.
    NotAQuantity(String),
    /// The number is not an exact decimal that fits in 28 significant digits.
    NotADecimal(String),
    /// Commas that are not thousands separators (`1,5`).
    BadGrouping(String),
    /// A number without the unit it needs.
    NoUnit(String),
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuantityError::NotAQuantity(t) => write!(
                f,
                "`{t}` is not a quantity; write a number and a unit, such as \"20 minute\""
            ),
            QuantityError::NotADecimal(v) => write!(
                f,
                "`{v}` is not a decimal number that fits in 28 digits; write e.g. `20` or `1.5`"
            ),
            QuantityError::BadGrouping(v) => write!(
                f,
                "`{v}` is not a decimal number: write a decimal point (`1.5`), and group thousands as `1,000` or `1_000`"
            ),
            QuantityError::NoUnit(t) => write!(
                f,
                "`{t}` is not a quantity: it has no unit; write a number and a unit, such as \"20 minute\""
            ),
        }
    }
}

impl std::error::Error for QuantityError {}

/// Reads a number as written by a person: an exact decimal, with `_` or well-formed thousands
/// commas (`1,000,000.5`) as digit grouping.
///
/// ```
/// use pricebook::base::quantity::parse_number;
/// assert_eq!(parse_number("1,000").unwrap().to_string(), "1000");
/// assert_eq!(parse_number("1_000.50").unwrap().to_string(), "1000.50");
/// assert!(parse_number("1,5").is_err());
/// assert!(parse_number("1e5").is_err());
/// ```
pub fn parse_number(text: &str) -> Result<Decimal, QuantityError> {
    let t = text.trim();
    if let Some(v) = plain_integer(t) {
        return Ok(v);
    }
    if t.contains(',') {
        if !thousands(t) {
            return Err(QuantityError::BadGrouping(t.to_string()));
        }
        let plain: String = t.chars().filter(|c| *c != ',').collect();
        return parse_decimal(&plain).ok_or_else(|| QuantityError::NotADecimal(t.to_string()));
    }
    // `Decimal::from_str_exact` reads a few forms no person means as a quantity (`+5`, `.5`).
    let digits_ok = t
        .strip_prefix('-')
        .unwrap_or(t)
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit());
    if !digits_ok {
        return Err(QuantityError::NotADecimal(t.to_string()));
    }
    parse_decimal(t).ok_or_else(|| QuantityError::NotADecimal(t.to_string()))
}

/// Up to 18 ASCII digits and nothing else: the value, exactly as the general parser reads it.
#[inline]
fn plain_integer(t: &str) -> Option<Decimal> {
    let b = t.as_bytes();
    if b.is_empty() || b.len() > 18 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = b.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    Some(Decimal::from(n))
}

/// `1,000`, `12,345,678.9`: groups of three digits after the first, before any decimal point.
fn thousands(t: &str) -> bool {
    let t = t.strip_prefix('-').unwrap_or(t);
    let int = t.split('.').next().unwrap_or("");
    let mut groups = int.split(',');
    let first = groups.next().unwrap_or("");
    (1..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_digit())
        && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
        && !t.split('.').nth(1).is_some_and(|f| f.contains(','))
}

/// Splits a written quantity into its exact value and its unit as written (`None` when only a
/// number is written: usage files then mean the product's base unit).
///
/// ```
/// use pricebook::base::quantity::split_quantity;
/// let q = |t| split_quantity(t).map(|(v, u)| (v.to_string(), u.map(String::from)));
/// assert_eq!(q("20 minute"), Ok(("20".into(), Some("minute".into()))));
/// assert_eq!(q("20min"), Ok(("20".into(), Some("min".into()))));
/// assert_eq!(q("1,000 second"), Ok(("1000".into(), Some("second".into()))));
/// assert_eq!(q("90"), Ok(("90".into(), None)));
/// assert!(q("5 second extra").is_err());
/// ```
pub fn split_quantity(text: &str) -> Result<(Decimal, Option<&str>), QuantityError> {
    let t = text.trim();
    // Usage exports are mostly plain counts (`4`): read them without the general parser, which
    // was a twentieth of an invoice run.
    if let Some(v) = plain_integer(t) {
        return Ok((v, None));
    }
    let mut words = t.split_whitespace();
    let (Some(first), second, None) = (words.next(), words.next(), words.next()) else {
        return Err(QuantityError::NotAQuantity(t.to_string()));
    };
    if let Some(unit) = second {
        return Ok((parse_number(first)?, Some(unit)));
    }
    // `20min`: a number written against its unit.
    let starts_as_number = first
        .strip_prefix('-')
        .unwrap_or(first)
        .starts_with(|c: char| c.is_ascii_digit());
    if !starts_as_number {
        return Err(QuantityError::NotAQuantity(t.to_string()));
    }
    let cut = first
        .char_indices()
        .find(|(i, c)| c.is_alphabetic() && *i > 0)
        .map(|(i, _)| i);
    match cut {
        Some(i) => {
            let (value, unit) = first.split_at(i);
            let exponent = unit.len() > 1
                && unit.starts_with(['e', 'E'])
                && unit[1..].starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+');
            let hex = value == "0" && unit.starts_with(['x', 'X']);
            if exponent || hex || !unit.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return Err(QuantityError::NotADecimal(first.to_string()));
            }
            Ok((parse_number(value)?, Some(unit)))
        }
        None if first.chars().any(|c| c.is_ascii_digit()) => Ok((parse_number(first)?, None)),
        None => Err(QuantityError::NotAQuantity(t.to_string())),
    }
}

/// [`split_quantity`] for a quantity that must carry its unit (the command line).
pub fn split_quantity_with_unit(text: &str) -> Result<(Decimal, &str), QuantityError> {
    match split_quantity(text)? {
        (v, Some(u)) => Ok((v, u)),
        (_, None) => Err(QuantityError::NoUnit(text.trim().to_string())),
    }
}

/// Why a fractional quantity of a whole count is rejected (the same words on every path).
pub fn fractional(quantity: Decimal, base_unit: &str) -> String {
    format!(
        "quantity {} {base_unit} is fractional, but `{base_unit}` is counted in whole units",
        quantity.normalize()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The fast path for plain counts reads what the general parser reads, scale included.
        #[test]
        fn plain_counts_read_as_the_parser_reads_them(digits in "[0-9]{1,20}") {
            let general = parse_decimal(&digits);
            if let Some(fast) = plain_integer(&digits) {
                proptest::prop_assert_eq!(Some(fast), general);
                proptest::prop_assert_eq!(Some(fast.scale()), general.map(|g| g.scale()));
            }
            proptest::prop_assert_eq!(
                split_quantity(&digits).ok().map(|(v, _)| v.to_string()),
                general.map(|g| g.to_string())
            );
        }
    }

    #[test]
    fn people_write_numbers_in_several_ways() {
        for (text, value) in [
            ("1000", "1000"),
            ("1_000", "1000"),
            ("1,000", "1000"),
            ("12,345,678.25", "12345678.25"),
            ("-1,000", "-1000"),
            ("0.10", "0.10"),
        ] {
            assert_eq!(
                parse_number(text).map(|d| d.to_string()),
                Ok(value.to_string())
            );
        }
        for text in [
            "1,5",
            "1,0000",
            ",100",
            "1,000.5,1",
            "+5",
            ".5",
            "NaN",
            "inf",
            "1e5",
            "٣",
        ] {
            assert!(parse_number(text).is_err(), "{text}");
        }
        assert!(matches!(
            parse_number("1,5"),
            Err(QuantityError::BadGrouping(_))
        ));
    }

    #[test]
    fn units_come_after_a_space_or_right_after_the_number() {
        let unit = |t: &str| {
            split_quantity(t)
                .ok()
                .and_then(|(_, u)| u.map(String::from))
        };
        assert_eq!(unit("20min").as_deref(), Some("min"));
        assert_eq!(unit("1.5h").as_deref(), Some("h"));
        assert_eq!(unit(" 12 MP ").as_deref(), Some("MP"));
        assert_eq!(unit("7"), None);
        for bad in ["", "second", "5 second extra", "1e5", "0x10", "1E5second"] {
            assert!(split_quantity(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            split_quantity_with_unit("5"),
            Err(QuantityError::NoUnit(_))
        ));
    }
}
