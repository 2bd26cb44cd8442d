//! Comparing two snapshot bodies line by line: the lines only one side has, and the facts whose
//! value changed (the same key on both sides once), with the percent change of their first
//! number that differs.

use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// What differs between an old and a new snapshot body.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Changes {
    /// Facts whose value changed.
    pub changed: Vec<LineChange>,
    /// Lines only the new body has.
    pub added: Vec<String>,
    /// Lines only the old body has.
    pub removed: Vec<String>,
}

impl Changes {
    /// Whether the two bodies are the same facts.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.added.is_empty() && self.removed.is_empty()
    }

    /// How many lines differ (a changed fact counts once).
    pub fn len(&self) -> usize {
        self.changed.len() + self.added.len() + self.removed.len()
    }
}

/// A fact whose value changed: `cell basic hedra-avatar rate`, `7 credit / second` -> `8
/// credit / second`, `+14.29`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineChange {
    pub key: String,
    pub old: String,
    pub new: String,
    /// `(new - old) / old x 100` of the first number that differs, rounded to 2 decimals, when
    /// the two values say the same thing with other numbers.
    pub percent: Option<Decimal>,
}

/// `key | value`; a line without ` | ` is all key.
fn split(line: &str) -> (&str, &str) {
    line.split_once(" | ").unwrap_or((line, ""))
}

/// Compares two bodies (`key | value` lines, in any order).
///
/// ```
/// use pricebook::snapshot::compare;
/// let c = compare("a | 7 credit\nb | same\n", "a | 8 credit\nb | same\nc | new\n");
/// assert_eq!(c.changed[0].key, "a");
/// assert_eq!(c.changed[0].percent.map(|p| p.to_string()).as_deref(), Some("14.29"));
/// assert_eq!(c.added, ["c | new"]);
/// assert!(c.removed.is_empty());
/// ```
pub fn compare(old: &str, new: &str) -> Changes {
    let count = |text: &str| {
        let mut m: BTreeMap<String, isize> = BTreeMap::new();
        for l in text.lines().filter(|l| !l.trim().is_empty()) {
            *m.entry(l.to_string()).or_default() += 1;
        }
        m
    };
    let (a, b) = (count(old), count(new));
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for (line, n) in &a {
        let left = n - b.get(line).copied().unwrap_or(0);
        for _ in 0..left.max(0) {
            removed.push(line.clone());
        }
    }
    for (line, n) in &b {
        let left = n - a.get(line).copied().unwrap_or(0);
        for _ in 0..left.max(0) {
            added.push(line.clone());
        }
    }
    // A key removed once and added once is one fact whose value changed.
    let keys = |lines: &[String]| {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for l in lines {
            *m.entry(split(l).0.to_string()).or_default() += 1;
        }
        m
    };
    let (rk, ak) = (keys(&removed), keys(&added));
    let single = |k: &str| rk.get(k) == Some(&1) && ak.get(k) == Some(&1);
    let mut changed = Vec::new();
    for r in &removed {
        let (key, old) = split(r);
        if !single(key) {
            continue;
        }
        if let Some(a) = added.iter().find(|a| split(a).0 == key) {
            let new = split(a).1;
            changed.push(LineChange {
                key: key.to_string(),
                old: old.to_string(),
                new: new.to_string(),
                // The book line's numbers are a version and a date, not prices.
                percent: if key == "book" {
                    None
                } else {
                    percent(old, new)
                },
            });
        }
    }
    removed.retain(|l| !single(split(l).0));
    added.retain(|l| !single(split(l).0));
    Changes {
        changed,
        added,
        removed,
    }
}

/// A value cut into its numbers and the text between them.
fn numbers(value: &str) -> (String, Vec<Decimal>) {
    let mut shape = String::new();
    let mut nums = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, shape: &mut String, nums: &mut Vec<Decimal>| {
        if cur.is_empty() {
            return;
        }
        match cur.parse::<Decimal>() {
            Ok(d) => {
                nums.push(d);
                shape.push('#');
            }
            Err(_) => shape.push_str(cur),
        }
        cur.clear();
    };
    for c in value.chars() {
        let starts_negative =
            c == '-' && cur.is_empty() && (shape.is_empty() || shape.ends_with([' ', '(']));
        if c.is_ascii_digit() || (c == '.' && !cur.is_empty()) || starts_negative {
            cur.push(c);
        } else {
            flush(&mut cur, &mut shape, &mut nums);
            shape.push(c);
        }
    }
    flush(&mut cur, &mut shape, &mut nums);
    (shape, nums)
}

/// The percent change of the first number that differs, when both values have one shape.
fn percent(old: &str, new: &str) -> Option<Decimal> {
    let (sa, na) = numbers(old);
    let (sb, nb) = numbers(new);
    if sa != sb {
        return None;
    }
    na.iter()
        .zip(&nb)
        .find(|(a, b)| a != b)
        .and_then(|(a, b)| crate::diff::percent(*a, *b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_one_shape_have_a_percent() {
        let p = |a, b| percent(a, b).map(|p| p.to_string());
        assert_eq!(
            p("420 credit, 4.20 USD", "480 credit, 4.80 USD").as_deref(),
            Some("14.29")
        );
        assert_eq!(
            p("15 USD / month", "12 USD / month").as_deref(),
            Some("-20")
        );
        assert_eq!(p("rate 2 credit / second", "free"), None);
        assert_eq!(p("0 credit", "5 credit"), None);
    }

    #[test]
    fn a_repeated_key_is_a_removal_and_an_addition() {
        let c = compare(
            "g | 1 credit\ng | 2 credit\n",
            "g | 1 credit\ng | 3 credit\n",
        );
        assert_eq!(c.changed.len(), 1);
        let c = compare(
            "g | 1 credit\ng | 2 credit\n",
            "g | 3 credit\ng | 4 credit\n",
        );
        assert!(c.changed.is_empty());
        assert_eq!((c.added.len(), c.removed.len()), (2, 2));
        assert!(compare("a | b\n", "a | b\n").is_empty());
    }
}
