//! Why a usage is not priced: a typed kind (what books test with `rejects <kind>`), the reason in
//! words, and the rule that rejected it (a span in a book, a line in a compiled table).

use super::span::Span;
use std::fmt;

macro_rules! kinds {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal; )*) => {
        /// What kind of rule (or arithmetic limit) rejected a usage. The kebab-case name is the
        /// contract: books test it (`rejects limit`), JSON reports it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum RejectionKind { $( $(#[$doc])* $variant, )* }

        impl RejectionKind {
            /// Every kind, in order.
            pub const ALL: &'static [RejectionKind] = &[$(RejectionKind::$variant),*];

            /// The stable name, such as `not-available`.
            pub fn name(self) -> &'static str {
                match self { $(RejectionKind::$variant => $name,)* }
            }

            /// Looks a kind up by its name.
            pub fn from_name(name: &str) -> Option<RejectionKind> {
                match name { $($name => Some(RejectionKind::$variant),)* _ => None }
            }
        }
    };
}

kinds! {
    /// A negative quantity.
    Negative = "negative";
    /// A fractional quantity of a count that is whole.
    Fractional = "fractional";
    /// The wrong number of dimension values for the product.
    Dimensions = "dimensions";
    /// The product (or pack) is not offered on the plan.
    NotAvailable = "not-available";
    /// Below the product's `min`.
    Minimum = "minimum";
    /// Above the product's `max`.
    Maximum = "maximum";
    /// A plan's `limit` (per usage, on a dimension value, or per window).
    Limit = "limit";
    /// A matrix cell marked `not offered`.
    NotOffered = "not-offered";
    /// The exact arithmetic would overflow 28 digits.
    Overflow = "overflow";
    /// The plan has no recurring grant to size a capacity with.
    NoGrant = "no-grant";
    /// A free product has no capacity limit.
    Free = "free";
    /// The capacity has no bound.
    Unbounded = "unbounded";
    /// A unit that does not measure what the product is measured in.
    Unit = "unit";
    /// The wallet cannot pay and the plan rejects usage when it is empty.
    WalletEmpty = "wallet-empty";
    /// The book is not in force at the usage's time.
    NotInForce = "not-in-force";
    /// The usage falls outside the bill's periods.
    OutsidePeriod = "outside-period";
    /// A product the vendor offers without publishing its price (`rate unpublished`).
    Unpublished = "unpublished";
    /// A product, plan, pack or rate key the table does not have.
    Unknown = "unknown";
}

impl fmt::Display for RejectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a usage cannot be priced.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Rejection {
    pub kind: RejectionKind,
    /// The reason in words, naming the rule (``limit video length <= 5 minute on plan `basic` ``).
    pub reason: String,
    /// The rule that rejected it, in a book.
    pub span: Option<Span>,
    /// The rule's source line, in a compiled table (which carries no spans).
    pub line: Option<u32>,
}

impl Rejection {
    pub fn new(kind: RejectionKind, reason: impl Into<String>) -> Self {
        Rejection {
            kind,
            reason: reason.into(),
            span: None,
            line: None,
        }
    }

    /// An arithmetic overflow while doing `op` (`applying the rate`).
    pub fn overflow(op: &str) -> Self {
        Rejection::new(
            RejectionKind::Overflow,
            format!("arithmetic overflow while {op}"),
        )
    }

    /// The rule's span in a book.
    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// The rule's line in a table; 0 means no rule.
    pub fn with_line(mut self, line: u32) -> Self {
        self.line = (line > 0).then_some(line);
        self
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Rejection {}

/// Why a product offered without a published price (`rate unpublished`) cannot be priced: one
/// wording for every evaluator.
pub fn unpublished_reason(product: &str) -> String {
    format!(
        "the vendor publishes no rate for product `{product}` (`rate unpublished`): it is offered, but no source states its price"
    )
}

/// Why a plan whose grant each contract sets (`grant custom credit`) has no capacity or money
/// equivalent of its own: one wording for every evaluator.
pub fn contract_set_reason(plan: &str, unit: &str) -> String {
    format!(
        "plan `{plan}` leaves its grant of `{unit}` to each contract (`grant custom`): layer the contract to size it"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_by_name() {
        for k in RejectionKind::ALL {
            assert_eq!(RejectionKind::from_name(k.name()), Some(*k));
        }
    }
}
