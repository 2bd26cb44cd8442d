//! The range of values a limit allows (an interval): a lower and an upper end, each inclusive or not.

use serde::{Deserialize, Serialize};

/// One end of a limit's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge<T> {
    pub value: T,
    pub inclusive: bool,
}

/// The values a limit allows: `<= 5` is `hi 5 inclusive`, `between 1 and 10` both ends
/// inclusive, `> 128` `lo 128 exclusive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval<T> {
    pub lo: Option<Edge<T>>,
    pub hi: Option<Edge<T>>,
}

impl<T: PartialOrd + Copy> Interval<T> {
    pub fn contains(&self, v: T) -> bool {
        let above = |e: &Edge<T>| {
            if e.inclusive {
                v >= e.value
            } else {
                v > e.value
            }
        };
        let below = |e: &Edge<T>| {
            if e.inclusive {
                v <= e.value
            } else {
                v < e.value
            }
        };
        self.lo.as_ref().is_none_or(above) && self.hi.as_ref().is_none_or(below)
    }
}

impl<T: PartialOrd + Copy> Interval<T> {
    /// The bound of `op value` (`<`, `<=`, `>`, `>=`, `==`), or of `between value and upper`.
    pub fn of(op: &str, value: T, upper: Option<T>) -> Interval<T> {
        let edge = |value, inclusive| Some(Edge { value, inclusive });
        match (op, upper) {
            (_, Some(u)) => Interval {
                lo: edge(value, true),
                hi: edge(u, true),
            },
            ("<", _) => Interval {
                lo: None,
                hi: edge(value, false),
            },
            (">", _) => Interval {
                lo: edge(value, false),
                hi: None,
            },
            (">=", _) => Interval {
                lo: edge(value, true),
                hi: None,
            },
            ("==", _) => Interval {
                lo: edge(value, true),
                hi: edge(value, true),
            },
            _ => Interval {
                lo: None,
                hi: edge(value, true),
            },
        }
    }

    /// Whether no value satisfies it (`between 10 and 5`, `> 5 and < 5`).
    pub fn is_empty(&self) -> bool {
        match (&self.lo, &self.hi) {
            (Some(l), Some(h)) => {
                l.value > h.value || (l.value == h.value && !(l.inclusive && h.inclusive))
            }
            _ => false,
        }
    }

    /// The same bound over another type: `f` converts each end.
    pub fn map<U>(&self, mut f: impl FnMut(T) -> U) -> Interval<U> {
        let mut edge = |e: &Edge<T>| Edge {
            value: f(e.value),
            inclusive: e.inclusive,
        };
        Interval {
            lo: self.lo.as_ref().map(&mut edge),
            hi: self.hi.as_ref().map(&mut edge),
        }
    }
}

/// A limit as the book states it, for messages: `name op value` or `name between lo and hi`.
pub fn describe_limit(name: &str, op: &str, value: &str, upper: Option<&str>) -> String {
    match upper {
        Some(upper) => format!("{name} between {value} and {upper}"),
        None => format!("{name} {op} {value}"),
    }
}
