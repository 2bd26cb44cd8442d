//! Moving a parsed file to another place in a shared position space: every span of its tree
//! shifted by the same number of bytes. A contract is parsed on its own and then placed after its
//! book (`SourceMap` gives each file a base offset), so the checker can read both as one book
//! while every diagnostic still resolves to the right file and line.

use super::ast::*;
use crate::diagnostic::Diagnostic;
use rust_decimal::Decimal;

/// Something that holds spans.
pub trait Shift {
    /// Adds `by` to every span.
    fn shift(&mut self, by: usize);
}

impl<T: Shift> Shift for Spanned<T> {
    fn shift(&mut self, by: usize) {
        self.span = self.span.shifted(by);
        self.node.shift(by);
    }
}

impl<T: Shift> Shift for Vec<T> {
    fn shift(&mut self, by: usize) {
        for x in self {
            x.shift(by);
        }
    }
}

impl<T: Shift> Shift for Option<T> {
    fn shift(&mut self, by: usize) {
        if let Some(x) = self {
            x.shift(by);
        }
    }
}

impl<A: Shift, B: Shift> Shift for (A, B) {
    fn shift(&mut self, by: usize) {
        self.0.shift(by);
        self.1.shift(by);
    }
}

/// Values without spans.
macro_rules! no_spans {
    ($($t:ty),*) => {$(
        impl Shift for $t {
            fn shift(&mut self, _: usize) {}
        }
    )*};
}

no_spans!(
    String,
    Decimal,
    bool,
    (),
    TierMode,
    TierScope,
    LimitOp,
    RoundMode,
    RechargeField
);

/// Structs: shift each field.
macro_rules! fields {
    ($($t:ty { $($f:ident),* })*) => {$(
        impl Shift for $t {
            fn shift(&mut self, by: usize) {
                $(self.$f.shift(by);)*
            }
        }
    )*};
}

fields! {
    Quantity { value, unit }
    Rate { amount, per, per_unit }
    PriceExpr { amount, per }
    Book { items }
    Header { vendor, list, version, effective, currency }
    ContractHeader { display, slug, vendor, list, version, effective }
    UnitDecl { name, equals, divisible }
    DimensionDecl { name, values, default }
    Allow { code, reason }
    Product { display, slug, body }
    Tier { from, to, rate }
    Plan { display, slug, based_on, body }
    Grant { amount, contract_set, cadence, expiry, priority }
    Limit { name, op, value, upper, window, scope, informational }
    Allowance { amount, window, scope, beyond }
    TopUp { currency, minimum, maximum, expiry }
    Fee { name, amount, cadence }
    AttributeDecl { name }
    AttrArg { name, value }
    Pack { display, slug, body }
    BillingBlock { period, body }
    RechargeBlock { body }
    TestBlock { name, body }
    Target { plan, product }
    DimArg { dimension, value }
}

impl Shift for Item {
    fn shift(&mut self, by: usize) {
        match self {
            Item::Header(x) => x.shift(by),
            Item::Contract(x) => x.shift(by),
            Item::Unit(x) => x.shift(by),
            Item::Dimension(x) => x.shift(by),
            Item::Attribute(x) => x.shift(by),
            Item::Product(x) => x.shift(by),
            Item::Plan(x) => x.shift(by),
            Item::Pack(x) => x.shift(by),
            Item::Billing(x) => x.shift(by),
            Item::Recharge(x) => x.shift(by),
            Item::Floor(x) => x.shift(by),
            Item::Moves(x) => x.shift(by),
            Item::Allow(x) => x.shift(by),
            Item::Test(x) => x.shift(by),
            Item::Error(_) => {}
        }
    }
}

impl Shift for ProductStmt {
    fn shift(&mut self, by: usize) {
        match self {
            ProductStmt::Measure(n) => n.shift(by),
            ProductStmt::Rate { key, rate } => {
                key.shift(by);
                rate.shift(by);
            }
            ProductStmt::Tiers { tiers, .. } => tiers.shift(by),
            ProductStmt::Flat { amount, per } => {
                amount.shift(by);
                per.shift(by);
            }
            ProductStmt::Round { to, .. } => to.shift(by),
            ProductStmt::Min(q) | ProductStmt::Max(q) | ProductStmt::Bill { amount: q, .. } => {
                q.shift(by)
            }
            ProductStmt::Fee(f) => f.shift(by),
            ProductStmt::Dims(d) => d.shift(by),
            ProductStmt::Allow(a) => a.shift(by),
            ProductStmt::Aka(names) => names.shift(by),
            ProductStmt::Free
            | ProductStmt::Unpublished
            | ProductStmt::Prorate
            | ProductStmt::OutsideWallet
            | ProductStmt::Error(_) => {}
        }
    }
}

impl Shift for Price {
    fn shift(&mut self, by: usize) {
        if let Price::Amount(p) = self {
            p.shift(by);
        }
    }
}

impl Shift for Cadence {
    fn shift(&mut self, by: usize) {
        if let Cadence::Every(n) = self {
            n.shift(by);
        }
    }
}

impl Shift for FeeAmount {
    fn shift(&mut self, by: usize) {
        match self {
            FeeAmount::Exact(q) | FeeAmount::AtLeast(q) => q.shift(by),
            FeeAmount::Between(lo, hi) => {
                lo.shift(by);
                hi.shift(by);
            }
        }
    }
}

impl Shift for Expiry {
    fn shift(&mut self, by: usize) {
        if let Expiry::After(q) = self {
            q.shift(by);
        }
    }
}

impl Shift for ExistingMoves {
    fn shift(&mut self, by: usize) {
        if let ExistingMoves::On(day) = self {
            day.shift(by);
        }
    }
}

impl Shift for AttrValue {
    fn shift(&mut self, by: usize) {
        match self {
            AttrValue::Quantity(q) => q.shift(by),
            AttrValue::Number(n) => n.shift(by),
        }
    }
}

impl Shift for LimitValue {
    fn shift(&mut self, by: usize) {
        match self {
            LimitValue::Quantity(q) => q.shift(by),
            LimitValue::Number(n) => n.shift(by),
            LimitValue::DimValue(v) => v.shift(by),
        }
    }
}

impl Shift for FeatureValue {
    fn shift(&mut self, by: usize) {
        match self {
            FeatureValue::Quantity(q) => q.shift(by),
            FeatureValue::Number(n) => n.shift(by),
            FeatureValue::Text(_) | FeatureValue::Word(_) => {}
        }
    }
}

impl Shift for EmptyRule {
    fn shift(&mut self, by: usize) {
        if let EmptyRule::Overage(r) = self {
            r.shift(by);
        }
    }
}

impl Shift for Beyond {
    fn shift(&mut self, by: usize) {
        if let Beyond::Overage(r) = self {
            r.shift(by);
        }
    }
}

impl Shift for PlanStmt {
    fn shift(&mut self, by: usize) {
        match self {
            PlanStmt::Price { price, minimum } => {
                price.shift(by);
                minimum.shift(by);
            }
            PlanStmt::Billing(n) | PlanStmt::Deny(n) => n.shift(by),
            PlanStmt::Grant(g) => g.shift(by),
            PlanStmt::Products(list) => list.shift(by),
            PlanStmt::Limit(l) => l.shift(by),
            PlanStmt::Allowance(a) => a.shift(by),
            PlanStmt::TopUp(t) => t.shift(by),
            PlanStmt::Fee(f) => f.shift(by),
            PlanStmt::Feature { name, value } => {
                name.shift(by);
                value.shift(by);
            }
            PlanStmt::WhenEmpty(r) => r.shift(by),
            PlanStmt::Commit { amount, per } => {
                amount.shift(by);
                per.shift(by);
            }
            PlanStmt::Includes { amount, at } => {
                amount.shift(by);
                at.shift(by);
            }
            PlanStmt::Overage(r) => r.shift(by),
            PlanStmt::RateOverride { product, rate } => {
                product.shift(by);
                rate.shift(by);
            }
            PlanStmt::Allow(a) => a.shift(by),
            PlanStmt::Packs(_) | PlanStmt::Error(_) => {}
        }
    }
}

impl Shift for PackStmt {
    fn shift(&mut self, by: usize) {
        match self {
            PackStmt::Price { price, minimum } => {
                price.shift(by);
                minimum.shift(by);
            }
            PackStmt::Grant(g) => g.shift(by),
            PackStmt::For(n) => n.shift(by),
            PackStmt::Allow(a) => a.shift(by),
            PackStmt::Error(_) => {}
        }
    }
}

impl Shift for BillingStmt {
    fn shift(&mut self, by: usize) {
        match self {
            BillingStmt::FrontLoad(q) => q.shift(by),
            BillingStmt::Periods(w) | BillingStmt::FirstPeriod(w) => w.shift(by),
            BillingStmt::PlanChanges(_) | BillingStmt::Error(_) => {}
        }
    }
}

impl Shift for RechargeStmt {
    fn shift(&mut self, by: usize) {
        match self {
            RechargeStmt::Below(q) | RechargeStmt::RefillTo(q) => q.shift(by),
            RechargeStmt::Cap { amount, per } => {
                amount.shift(by);
                per.shift(by);
            }
            RechargeStmt::Minimum { amount, .. } => amount.shift(by),
            RechargeStmt::Price { price, minimum } => {
                price.shift(by);
                minimum.shift(by);
            }
            RechargeStmt::For(plans) => plans.shift(by),
            RechargeStmt::Error(_) => {}
        }
    }
}

impl Shift for QuoteExpect {
    fn shift(&mut self, by: usize) {
        match self {
            QuoteExpect::Charge { charge, money } => {
                charge.shift(by);
                money.shift(by);
            }
            QuoteExpect::Rejects { kind, text } => {
                kind.shift(by);
                text.shift(by);
            }
        }
    }
}

impl Shift for BillOption {
    fn shift(&mut self, by: usize) {
        match self {
            BillOption::Billing(n) => n.shift(by),
            BillOption::From(d) => d.shift(by),
            BillOption::Periods(n) => n.shift(by),
            BillOption::Recharge { below, to, cap } => {
                below.shift(by);
                to.shift(by);
                cap.shift(by);
            }
        }
    }
}

impl Shift for BillStmt {
    fn shift(&mut self, by: usize) {
        match self {
            BillStmt::Use {
                time,
                product,
                dims,
                quantity,
            } => {
                time.shift(by);
                product.shift(by);
                dims.shift(by);
                quantity.shift(by);
            }
            BillStmt::Buy { time, pack } => {
                time.shift(by);
                pack.shift(by);
            }
            BillStmt::TopUp { time, amount } => {
                time.shift(by);
                amount.shift(by);
            }
            BillStmt::ChangePlan { time, plan: name }
            | BillStmt::ChangeBilling {
                time,
                billing: name,
            } => {
                time.shift(by);
                name.shift(by);
            }
            BillStmt::Cancel { time } => time.shift(by),
            BillStmt::Expect { subject, value } => {
                subject.shift(by);
                value.shift(by);
            }
            BillStmt::Error(_) => {}
        }
    }
}

impl Shift for ExpectValue {
    fn shift(&mut self, by: usize) {
        match self {
            ExpectValue::Quantity(q) => q.shift(by),
            ExpectValue::Number(n) => n.shift(by),
        }
    }
}

impl Shift for TestStmt {
    fn shift(&mut self, by: usize) {
        match self {
            TestStmt::Quote {
                target,
                dims,
                attrs,
                used,
                quantity,
                at,
                expect,
            } => {
                target.shift(by);
                dims.shift(by);
                attrs.shift(by);
                used.shift(by);
                quantity.shift(by);
                at.shift(by);
                expect.shift(by);
            }
            TestStmt::Capacity {
                target,
                dims,
                at,
                expect,
            } => {
                target.shift(by);
                dims.shift(by);
                at.shift(by);
                expect.shift(by);
            }
            TestStmt::Bill {
                plan,
                options,
                body,
            } => {
                plan.shift(by);
                options.shift(by);
                body.shift(by);
            }
            TestStmt::Error(_) => {}
        }
    }
}

impl Shift for Diagnostic {
    fn shift(&mut self, by: usize) {
        for l in &mut self.labels {
            l.span = l.span.shifted(by);
        }
    }
}
