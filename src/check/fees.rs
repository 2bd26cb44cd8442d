//! `fee "Studio Avatar setup" between 1000 USD and 2000 USD once`: charges that are not usage
//! (seed 003: a custom avatar's "one-time setup fee (often over $1,000)"). A plan's fee is billed
//! once at the subscription's start or on its cadence; a product's, once, at its first use. An
//! amount the vendor gives as a range or a lower bound is a fee without an exact amount: shown
//! on quotes and bills as an informational line, never added to a total.

use super::prelude::*;

/// Whose fee it is: a plan's may recur, a product's is charged once, at its first use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FeeOwner {
    Plan,
    Product,
}

impl Cx<'_> {
    pub(super) fn fee(&mut self, f: &Fee, owner: FeeOwner, span: Span) -> Option<FeeDef> {
        let what = format!("fee `{}`", f.name.node);
        if f.name.node.trim().is_empty() {
            self.push(diagnostics::fee_unnamed(f.name.span));
            return None;
        }
        let amount_of = |cx: &mut Self, q: &Quantity| -> Option<Decimal> {
            let (amount, _) = cx.money(q, &what)?;
            if amount < Decimal::ZERO {
                cx.push(diagnostics::negative_price(&what, q.value.span));
                return None;
            }
            Some(amount)
        };
        let amount = match &f.amount {
            FeeAmount::Exact(q) => FeeAmountDef::Exact(amount_of(self, q)?),
            FeeAmount::AtLeast(q) => FeeAmountDef::AtLeast(amount_of(self, q)?),
            FeeAmount::Between(lo, hi) => {
                let (low, high) = (amount_of(self, lo), amount_of(self, hi));
                let (low, high) = (low?, high?);
                if high <= low {
                    self.push(diagnostics::fee_range_empty(&f.name.node, hi.value.span));
                    return None;
                }
                FeeAmountDef::Between(low, high)
            }
        };
        let every_months = match (&f.cadence.node, owner) {
            (Cadence::Once, _) => None,
            (Cadence::Every(_), FeeOwner::Product) => {
                self.push(diagnostics::product_fee_recurs(
                    &f.name.node,
                    f.cadence.span,
                ));
                return None;
            }
            (Cadence::Every(p), FeeOwner::Plan) => Some(self.period_months(p)?),
        };
        Some(FeeDef {
            name: f.name.node.clone(),
            amount,
            every_months,
            span,
        })
    }

    /// The fees of one plan or product, each name once.
    pub(super) fn fees<'a>(
        &mut self,
        stmts: impl IntoIterator<Item = (&'a Fee, Span)>,
        owner: FeeOwner,
        ok: &mut bool,
    ) -> Vec<FeeDef> {
        let mut out: Vec<FeeDef> = Vec::new();
        let mut seen: Vec<(String, Span)> = Vec::new();
        for (f, span) in stmts {
            let key = crate::base::names::name_key(&f.name.node);
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                self.push(diagnostics::fee_twice(&f.name.node, f.name.span, *first));
                *ok = false;
                continue;
            }
            seen.push((key, f.name.span));
            match self.fee(f, owner, span) {
                Some(d) => out.push(d),
                None => *ok = false,
            }
        }
        out
    }
}
