//! Prices and periods: money in the book's currency, `/ month` and `/ year`, and whole numbers.

use super::prelude::*;

impl Cx<'_> {
    pub(super) fn money(&mut self, q: &Quantity, what: &str) -> Option<(Decimal, String)> {
        let unit = self.unit(&q.unit)?;
        if !unit.dimension.is_money() {
            // A unit the book declares to price in is named as such; others by what they measure.
            let measures = match &unit.dimension {
                Dimension::Count(base) if unit.declared && base == &unit.name => None,
                d => Some(d.describe()),
            };
            self.push(diagnostics::not_money(
                what,
                &unit.name,
                measures.as_deref(),
                q.unit.span,
                &q.value.node.to_string(),
                &self.currency_or_usd(),
            ));
            return None;
        }
        if let Some(cur) = &self.currency {
            if cur != &unit.name {
                let cur = cur.clone();
                self.push(diagnostics::money_in_other_currency(
                    what,
                    &unit.name,
                    &cur,
                    q.unit.span,
                ));
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
                    self.push(diagnostics::negative_price(what, pe.amount.value.span));
                    return None;
                }
                let months = match &pe.per {
                    None => 0,
                    Some((n, unit)) => {
                        if n.is_some() {
                            let currency = self.currency_or_usd();
                            self.push(diagnostics::price_per_several_periods(unit.span, &currency));
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
