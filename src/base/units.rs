//! Units and dimensions.
//!
//! Every unit belongs to one dimension and converts exactly to that dimension's base unit
//! (`minute` = 60 `second`). Money is one dimension per currency; each count-like unit (`image`,
//! `call`, ...) is a dimension of its own, so `8 credit / image` cannot rate a product measured in
//! calls. A book adds its own pricing units (`unit credit`) and exact conversions
//! (`unit credit = 60 credit_second`).
//!
//! Units are written as people write them: any case, singular or plural, and the common
//! abbreviations (`20 minutes`, `20 min`, `1.5 h`, `12 MP`); [`resolve_unit`] is the one place
//! that decides what a written unit means, for books, the command line and usage files alike.

use super::names::{Lookup, NameError, lookup, name_key};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a unit measures.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum Dimension {
    Time,
    Text,
    Area,
    /// Calendar periods (`month`, `year`): not convertible to seconds.
    Period,
    /// A currency, by ISO code.
    Money(String),
    /// A count-like built-in unit or a book's own pricing unit, named by its base unit.
    Count(String),
}

impl Dimension {
    /// The name used in `measure` and in messages.
    pub fn describe(&self) -> String {
        match self {
            Dimension::Time => "time".into(),
            Dimension::Text => "text".into(),
            Dimension::Area => "area".into(),
            Dimension::Period => "billing periods".into(),
            Dimension::Money(c) => format!("money ({c})"),
            Dimension::Count(u) => u.clone(),
        }
    }

    pub fn is_money(&self) -> bool {
        matches!(self, Dimension::Money(_))
    }

    /// Whether quantities of this dimension are counted in whole base units unless the book
    /// declares the base unit `divisible`: counts (`clip`, `call`, a book's own units) and text
    /// (`character`). Time, area, money and periods divide freely.
    pub fn counts_whole(&self) -> bool {
        matches!(self, Dimension::Count(_) | Dimension::Text)
    }
}

/// A unit: its dimension and how many base units one of it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub name: String,
    pub dimension: Dimension,
    /// Base units per one of this unit (`minute` -> 60).
    pub factor: Decimal,
    /// Declared by the book (`unit credit`) rather than built in.
    pub declared: bool,
    /// Quantities in this unit's dimension may be fractional: the dimension divides freely
    /// (time, area, money), or the book declared its base unit `divisible`.
    pub divisible: bool,
}

/// ISO 4217 currencies pricebooks may use, with their minor-unit digits.
pub const CURRENCIES: &[(&str, u32)] = &[
    ("USD", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("JPY", 0),
    ("CAD", 2),
    ("AUD", 2),
    ("CHF", 2),
    ("CNY", 2),
    ("INR", 2),
    ("SEK", 2),
    ("NOK", 2),
    ("DKK", 2),
    ("NZD", 2),
    ("SGD", 2),
    ("HKD", 2),
    ("KRW", 0),
    ("BRL", 2),
    ("MXN", 2),
    ("PLN", 2),
    ("ZAR", 2),
];

/// Minor-unit digits of a currency (`USD` -> 2), if it is one.
pub fn currency_digits(code: &str) -> Option<u32> {
    CURRENCIES.iter().find(|(c, _)| *c == code).map(|(_, d)| *d)
}

/// Count-like built-in units; each is a dimension of its own.
pub const COUNT_UNITS: &[&str] = &[
    "image",
    "call",
    "clip",
    "video",
    "session",
    "request",
    "generation",
    "item",
    "file",
    "seat",
    "job",
    "scene",
    "page",
    "token",
];

/// Names `measure` accepts besides unit names.
pub const MEASURES: &[&str] = &["time", "text", "area"];

/// The built-in units.
pub fn builtin_units() -> Vec<Unit> {
    let mut units = Vec::new();
    let mut add = |name: &str, dimension: Dimension, factor: i64| {
        units.push(Unit {
            name: name.to_string(),
            factor: Decimal::from(factor),
            declared: false,
            divisible: !dimension.counts_whole(),
            dimension,
        })
    };
    add("second", Dimension::Time, 1);
    add("minute", Dimension::Time, 60);
    add("hour", Dimension::Time, 3600);
    add("day", Dimension::Time, 86_400);
    add("week", Dimension::Time, 604_800);
    add("character", Dimension::Text, 1);
    add("megapixel", Dimension::Area, 1);
    add("month", Dimension::Period, 1);
    add("year", Dimension::Period, 12);
    for c in COUNT_UNITS {
        add(c, Dimension::Count((*c).to_string()), 1);
    }
    for (c, _) in CURRENCIES {
        add(c, Dimension::Money((*c).to_string()), 1);
    }
    units
}

/// The units known to one book.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UnitTable {
    pub units: Vec<Unit>,
}

impl UnitTable {
    pub fn with_builtins() -> Self {
        UnitTable {
            units: builtin_units(),
        }
    }

    /// The unit of exactly this name.
    pub fn get(&self, name: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.name == name)
    }

    /// The unit a written name means (any case, plural, abbreviation), or why there is none.
    pub fn resolve(&self, written: &str) -> Result<&Unit, NameError> {
        resolve_unit(written, self.units.iter().map(|u| u.name.as_str())).map(|i| &self.units[i])
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.units.iter().map(|u| u.name.as_str())
    }

    /// The dimension `measure <name>` means: `time`, `text`, `area`, or a unit's dimension.
    pub fn measure(&self, name: &str) -> Option<Dimension> {
        match name {
            "time" => Some(Dimension::Time),
            "text" => Some(Dimension::Text),
            "area" => Some(Dimension::Area),
            _ => self.get(name).map(|u| u.dimension.clone()),
        }
    }
}

/// Common abbreviations of built-in units, by key: `20 min`, `1.5 h`, `12 MP`. Ambiguous ones
/// are left out (`m` could be a minute or a month).
pub(crate) const ABBREVIATIONS: &[(&str, &str)] = &[
    ("s", "second"),
    ("sec", "second"),
    ("secs", "second"),
    ("min", "minute"),
    ("mins", "minute"),
    ("h", "hour"),
    ("hr", "hour"),
    ("hrs", "hour"),
    ("d", "day"),
    ("wk", "week"),
    ("wks", "week"),
    ("char", "character"),
    ("chars", "character"),
    ("mp", "megapixel"),
    ("mpx", "megapixel"),
    ("img", "image"),
    ("imgs", "image"),
    ("req", "request"),
    ("reqs", "request"),
    ("mo", "month"),
    ("yr", "year"),
    ("yrs", "year"),
];

/// Which of `names` (a book's or a table's units, by position) a written unit means: the name
/// itself; the name in any case or punctuation (`usd`, `credit-second`); its plural
/// (`minutes`, `credits`); or a common abbreviation of a built-in unit (`min`, `h`, `MP`).
///
/// ```
/// use pricebook::base::units::resolve_unit;
/// let names = ["second", "minute", "hour", "megapixel", "USD", "credit_second"];
/// let find = |w: &str| resolve_unit(w, names).ok().map(|i| names[i]);
/// assert_eq!(find("minutes"), Some("minute"));
/// assert_eq!(find("MIN"), Some("minute"));
/// assert_eq!(find("h"), Some("hour"));
/// assert_eq!(find("MP"), Some("megapixel"));
/// assert_eq!(find("usd"), Some("USD"));
/// assert_eq!(find("credit-seconds"), Some("credit_second"));
/// assert!(resolve_unit("secnd", names).unwrap_err().to_string().contains("did you mean `second`"));
/// ```
pub fn resolve_unit<'a>(
    written: &str,
    names: impl IntoIterator<Item = &'a str> + Clone,
) -> Result<usize, NameError> {
    let indexed = || names.clone().into_iter().enumerate();
    let found = |l: Lookup| match l {
        Lookup::One(i) => Some(Ok(i)),
        Lookup::Several(is) => {
            let all: Vec<&str> = names.clone().into_iter().collect();
            Some(Err(NameError::ambiguous(
                "unit",
                written,
                is.iter().map(|i| all[*i].to_string()).collect(),
            )))
        }
        Lookup::None => None,
    };
    if let Some(r) = found(lookup(written, indexed())) {
        return r;
    }
    let key = name_key(written);
    // Plurals: `minutes`, `credits`, `boxes`.
    for cut in ["s", "es"] {
        if let Some(stem) = key.strip_suffix(cut).filter(|s| !s.is_empty()) {
            if let Some(r) = found(lookup(stem, indexed())) {
                return r;
            }
        }
    }
    if let Some((_, full)) = ABBREVIATIONS.iter().find(|(a, _)| *a == key) {
        if let Some(r) = found(lookup(full, indexed())) {
            return r;
        }
    }
    Err(NameError::unknown("unit", written, names))
}
