//! Prices and periods: money in the book's currency, `/ month` and `/ year`, and whole numbers.

use super::prelude::*;

impl Cx<'_> {
    pub(super) fn money(&mut self, q: &Quantity, what: &str) -> Option<(Decimal, String)> {
        let unit = self.unit(&q.unit)?;
        if !unit.dimension.is_money() {
            self.push(
                Diagnostic::new(
                    Code::UnitMismatch,
                    format!(
                        "{what} must be money, but `{}` {}",
                        unit.name,
                        match &unit.dimension {
                            Dimension::Count(base) if unit.declared && base == &unit.name =>
                                "is a pricing unit".to_string(),
                            d => format!("measures {}", d.describe()),
                        }
                    ),
                )
                .label(q.unit.span, "not a currency")
                .help(format!(
                    "write it in the book's currency, e.g. `{} {}`",
                    q.value.node,
                    self.currency.clone().unwrap_or_else(|| "USD".into())
                )),
            );
            return None;
        }
        if let Some(cur) = &self.currency {
            if cur != &unit.name {
                let cur = cur.clone();
                self.push(
                    Diagnostic::new(
                        Code::UnitMismatch,
                        format!("{what} is in {}, but the book bills in {cur}", unit.name),
                    )
                    .label(q.unit.span, "other currency")
                    .help(format!("write it in {cur}")),
                );
                return None;
            }
        }
        Some((q.value.node, unit.name))
    }

    /// `month` -> 1, `year` -> 12, for `/ month` and `every month`.
    pub(super) fn period_months(&mut self, n: &Name) -> Option<u32> {
        match n.node.as_str() {
            "month" | "monthly" | "period" => Some(1),
            "year" | "annual" => Some(12),
            _ => {
                self.unknown(
                    "billing period",
                    n,
                    &["month".into(), "year".into(), "period".into()],
                    "write `month` or `year`",
                );
                None
            }
        }
    }

    pub(super) fn price(&mut self, price: &Spanned<Price>, what: &str) -> Option<PlanPrice> {
        Some(match &price.node {
            Price::Custom => PlanPrice::Custom,
            Price::Unpublished => PlanPrice::Unpublished,
            Price::Amount(pe) => {
                let (amount, currency) = self.money(&pe.amount, what)?;
                if amount < Decimal::ZERO {
                    self.push(
                        Diagnostic::new(Code::NonPositivePrice, format!("{what} is negative"))
                            .label(pe.amount.value.span, "negative")
                            .help("a price is zero or more"),
                    );
                    return None;
                }
                let months = match &pe.per {
                    None => 0,
                    Some((n, unit)) => {
                        if n.is_some() {
                            self.push(
                                Diagnostic::new(
                                    Code::InvalidValue,
                                    "a recurring price is per one period",
                                )
                                .label(unit.span, "write `/ month` or `/ year`")
                                .help(format!(
                                    "e.g. `price 30 {} / month`",
                                    self.currency_or_usd()
                                )),
                            );
                            return None;
                        }
                        self.period_months(unit)?
                    }
                };
                PlanPrice::Amount {
                    amount,
                    currency,
                    months,
                }
            }
        })
    }
}

/// A whole, non-negative number that fits in `u32`.
pub(super) fn integer(d: Decimal) -> Option<u32> {
    if d.fract().is_zero() && d >= Decimal::ZERO {
        d.trunc().to_string().parse().ok()
    } else {
        None
    }
}
