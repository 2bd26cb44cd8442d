//! The exact quote: a quantity of a product on a plan, through rounding, minimums, tiers, limits and the plan's money price, with an optional explanation.

use super::*;

/// Receives explanation steps; the no-op recorder compiles away on the hot path.
trait Recorder {
    fn record(&mut self, step: impl FnOnce() -> String, line: u32);
    /// Several steps at once (the slices of graduated tiers).
    fn record_many(&mut self, steps: impl FnOnce() -> Vec<(String, u32)>);
}

struct NoRecord;

impl Recorder for NoRecord {
    #[inline(always)]
    fn record(&mut self, _: impl FnOnce() -> String, _: u32) {}
    #[inline(always)]
    fn record_many(&mut self, _: impl FnOnce() -> Vec<(String, u32)>) {}
}

impl Recorder for Vec<ExplainStep> {
    fn record(&mut self, step: impl FnOnce() -> String, line: u32) {
        self.push(ExplainStep {
            step: step(),
            line: (line > 0).then_some(line),
        });
    }
    fn record_many(&mut self, steps: impl FnOnce() -> Vec<(String, u32)>) {
        for (step, line) in steps() {
            self.record(|| step, line);
        }
    }
}

impl RatingTable {
    /// Quotes `quantity` base units of `product` on `plan` in `cell`. Allocation-free.
    pub fn quote(
        &self,
        plan: Option<PlanId>,
        product: ProductId,
        cell: CellId,
        quantity: Decimal,
    ) -> Result<TableQuote, Rejection> {
        self.quote_with(plan, product, cell, Decimal::ZERO, quantity, &mut NoRecord)
    }

    /// Like [`quote`](Self::quote), with the chain of rules that produced the result.
    pub fn quote_explained(
        &self,
        plan: Option<PlanId>,
        product: ProductId,
        cell: CellId,
        quantity: Decimal,
    ) -> (Result<TableQuote, Rejection>, Vec<ExplainStep>) {
        self.quote_explained_in_period(plan, product, cell, Decimal::ZERO, quantity)
    }

    /// Quotes `quantity` as the next usage of an account that has already used `used` base
    /// units of the product this billing period: tiers over the period price it as the slice
    /// it adds (the price of `used + quantity` less the price of `used`); every other pricing
    /// ignores `used`. [`quote`](Self::quote) is this with nothing used.
    ///
    /// ```
    /// let table = pricebook::compile_source(r#"
    /// pricebook acme version "1" effective 2026-01-01 currency USD
    /// unit credit
    /// product "Export" as export {
    ///   measure item
    ///   tiers graduated { 0 item .. 100 item : 0 credit / item  100 item .. : 1 credit / item }
    /// }
    /// plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
    /// "#).unwrap();
    /// let first = table.quote_in_period(Some(0), 0, 0, 0.into(), 100.into()).unwrap();
    /// assert_eq!(first.charge.to_string(), "0"); // the first 100 are free
    /// let next = table.quote_in_period(Some(0), 0, 0, 100.into(), 100.into()).unwrap();
    /// assert_eq!(next.charge.to_string(), "100"); // the next 100 are not
    /// ```
    pub fn quote_in_period(
        &self,
        plan: Option<PlanId>,
        product: ProductId,
        cell: CellId,
        used: Decimal,
        quantity: Decimal,
    ) -> Result<TableQuote, Rejection> {
        self.quote_with(plan, product, cell, used, quantity, &mut NoRecord)
    }

    /// [`quote_in_period`](Self::quote_in_period) with the chain of rules that produced it.
    pub fn quote_explained_in_period(
        &self,
        plan: Option<PlanId>,
        product: ProductId,
        cell: CellId,
        used: Decimal,
        quantity: Decimal,
    ) -> (Result<TableQuote, Rejection>, Vec<ExplainStep>) {
        let mut steps = Vec::new();
        let r = self.quote_with(plan, product, cell, used, quantity, &mut steps);
        (r, steps)
    }

    /// The price of a whole billing period's usage `total` (base units, each event already
    /// rounded) of a product whose tiers count the period: the sum of its events' slices.
    /// `None` when the product's tiers do not count the period on this plan.
    pub fn period_price(
        &self,
        plan: Option<PlanId>,
        product: ProductId,
        total: Decimal,
    ) -> Option<Result<(Decimal, UnitId), Rejection>> {
        if !self.prices_by_period(plan, product) {
            return None;
        }
        match &self.products.get(product as usize)?.pricing {
            PricingEntry::Tiered { mode, tiers, .. } => Some(
                self.tiered(*mode, tiers, total)
                    .map(|charge| (charge, tiers[0].rate.unit)),
            ),
            _ => None,
        }
    }

    /// Whether a usage of `product` on `plan` is priced by what the account used earlier in the
    /// billing period (tiers over the period), so callers must keep its running total.
    pub fn prices_by_period(&self, plan: Option<PlanId>, product: ProductId) -> bool {
        let overridden = plan
            .and_then(|p| self.plans.get(p as usize))
            .is_some_and(|pl| pl.overrides.iter().any(|(i, _)| *i == product));
        !overridden
            && self.products.get(product as usize).is_some_and(|p| {
                matches!(
                    p.pricing,
                    PricingEntry::Tiered {
                        scope: TierScope::Period,
                        ..
                    }
                )
            })
    }

    /// Why a charge in `unit` has no money equivalent on `plan` (for a quote whose `money` is
    /// `None`): a contract-set grant or price, an unpublished price, or no plan at all.
    pub fn why_no_money(&self, plan: Option<PlanId>, unit: UnitId) -> String {
        let unit_name = self.unit_name(unit);
        let Some(pl) = plan.and_then(|p| self.plans.get(p as usize)) else {
            return format!("no plan is named, and a `{unit_name}` is valued by a plan's price");
        };
        let dimension = &self.units[unit as usize].dimension;
        let contract_set = pl
            .grants
            .iter()
            .any(|g| g.contract_set && self.units[g.unit as usize].dimension == *dimension);
        match pl.price {
            _ if contract_set => format!(
                "plan `{}` leaves its grant of `{unit_name}` to each contract (`grant custom`)",
                pl.slug
            ),
            PriceEntry::Custom => format!(
                "plan `{}` leaves its price to each contract (`price custom`)",
                pl.slug
            ),
            PriceEntry::Unpublished => format!("plan `{}` does not publish its price", pl.slug),
            PriceEntry::Amount { .. } => format!(
                "plan `{}` has no published price per `{unit_name}`",
                pl.slug
            ),
        }
    }

    /// A rate as the book writes it: `2 credit / second`, `3 credit / 5 minute`.
    pub(crate) fn describe_rate(&self, r: &RateCell) -> String {
        let (amount, unit, per_unit) =
            (r.amount, self.unit_name(r.unit), self.unit_name(r.per_unit));
        if r.per == Decimal::ONE {
            format!("{amount} {unit} / {per_unit}")
        } else {
            format!("{amount} {unit} / {} {per_unit}", r.per)
        }
    }

    fn quote_with(
        &self,
        plan: Option<PlanId>,
        product: ProductId,
        cell: CellId,
        used: Decimal,
        quantity: Decimal,
        rec: &mut impl Recorder,
    ) -> Result<TableQuote, Rejection> {
        let p = self
            .products
            .get(product as usize)
            .ok_or_else(|| reject(RejectionKind::Unknown, "unknown product", 0))?;
        let plan_entry = match plan {
            Some(i) => Some(
                self.plans
                    .get(i as usize)
                    .ok_or_else(|| reject(RejectionKind::Unknown, "unknown plan", 0))?,
            ),
            None => None,
        };
        if quantity < Decimal::ZERO {
            return Err(reject(
                RejectionKind::Negative,
                format!("quantity {quantity} is negative"),
                0,
            ));
        }
        if p.whole && !quantity.fract().is_zero() {
            return Err(reject(
                RejectionKind::Fractional,
                crate::base::quantity::fractional(quantity, self.base_unit(&p.measure)),
                0,
            ));
        }
        if let Some(pl) = plan_entry {
            if !pl.available[product as usize] {
                return Err(reject(
                    RejectionKind::NotAvailable,
                    format!("`{}` is not available on plan `{}`", p.slug, pl.slug),
                    pl.line,
                ));
            }
        }
        if let Some(min) = &p.min {
            if quantity < min.base {
                return Err(reject(
                    RejectionKind::Minimum,
                    format!("below the minimum of {}", min.text),
                    min.line,
                ));
            }
        }
        if let Some(max) = &p.max {
            if quantity > max.base {
                return Err(reject(
                    RejectionKind::Maximum,
                    format!("above the maximum of {}", max.text),
                    max.line,
                ));
            }
        }
        if let Some(pl) = plan_entry {
            self.check_limits(pl, product, p, cell, quantity)?;
            rec.record(
                || {
                    format!(
                        "`{}` is available on plan `{}`; limits hold",
                        p.slug, pl.slug
                    )
                },
                pl.line,
            );
        }
        let quantity = raise_or_cap_quantity(&p.bill, quantity, self.base_unit(&p.measure), rec);
        let q = match &p.rounding {
            Some(r) => {
                let q = round_step(quantity, r).ok_or_else(|| {
                    reject(
                        RejectionKind::Overflow,
                        "arithmetic overflow while rounding the quantity",
                        r.line,
                    )
                })?;
                let base = self.base_unit(&p.measure);
                rec.record(
                    || {
                        let mode = format!("{:?}", r.mode).to_lowercase();
                        if q == quantity {
                            format!("{quantity} {base} is already a whole multiple of {} {base} (round {mode})", r.step)
                        } else {
                            format!("{quantity} {base} rounded {mode} to {q} {base} (multiples of {} {base})", r.step)
                        }
                    },
                    r.line,
                );
                q
            }
            None => quantity,
        };
        let rate_override = plan_entry
            .and_then(|pl| pl.overrides.iter().find(|(i, _)| *i == product))
            .map(|(_, r)| r);
        let base = self.base_unit(&p.measure);
        let (exact, unit) = match (rate_override, &p.pricing) {
            (Some(r), _) => {
                rec.record(|| format!("plan rate {}", self.describe_rate(r)), r.line);
                let charge = self.apply(q, r)?;
                rec.record(|| self.explain_product(q, base, r, charge), r.line);
                (charge, Some(r.unit))
            }
            (None, PricingEntry::Cells { cells }) => {
                let r = cells
                    .get(cell as usize)
                    .ok_or_else(|| reject(RejectionKind::Unknown, "no such rate cell", p.line))?
                    .as_ref()
                    .ok_or_else(|| {
                        reject(
                            RejectionKind::NotOffered,
                            "this combination of dimension values is not offered",
                            p.line,
                        )
                    })?;
                rec.record(
                    || match self.describe_cell(p, cell) {
                        Some(c) => format!("rate {} for {c}", self.describe_rate(r)),
                        None => format!("rate {}", self.describe_rate(r)),
                    },
                    r.line,
                );
                let charge = self.apply(q, r)?;
                rec.record(|| self.explain_product(q, base, r, charge), r.line);
                (charge, Some(r.unit))
            }
            (None, PricingEntry::Tiered { mode, scope, tiers }) => {
                let unit = tiers[0].rate.unit;
                let charge = match scope {
                    TierScope::Event => {
                        let charge = self.tiered(*mode, tiers, q)?;
                        rec.record_many(|| self.explain_tiers(*mode, tiers, q, base, charge));
                        charge
                    }
                    TierScope::Period => self.period_slice(*mode, tiers, used, q, base, rec)?,
                };
                (charge, Some(unit))
            }
            (
                None,
                PricingEntry::Flat {
                    amount, unit, line, ..
                },
            ) => {
                rec.record(
                    || format!("flat {amount} {} per event", self.unit_name(*unit)),
                    *line,
                );
                (self.exact(*amount, *unit), Some(*unit))
            }
            (None, PricingEntry::Free { line }) => {
                rec.record(|| "free".to_string(), *line);
                (Decimal::ZERO, None)
            }
            (None, PricingEntry::Unpublished { line }) => {
                return Err(reject(
                    RejectionKind::Unpublished,
                    unpublished_reason(&p.slug),
                    *line,
                ));
            }
        };
        let exact = match unit {
            Some(u) if !p.bill.is_empty() && p.charge_unit == Some(u) => {
                let exact = self.bound_charge(&p.bill, exact, rec);
                match &p.bill.cap_period {
                    Some(cap) => {
                        let before = self.charged_before(plan, product, cell, used)?;
                        let slice = cap_slice(cap.base, before, exact).ok_or_else(|| {
                            reject(
                                RejectionKind::Overflow,
                                "arithmetic overflow while capping the period's charges",
                                cap.line,
                            )
                        })?;
                        if slice != exact {
                            rec.record(
                                || {
                                    format!(
                                        "capped at {} per period ({before} {} charged before): {slice}",
                                        cap.text,
                                        self.unit_name(u)
                                    )
                                },
                                cap.line,
                            );
                        }
                        slice
                    }
                    None => exact,
                }
            }
            _ => exact,
        };
        // One rounding, for display: an event's money charge stays exact in `exact`.
        let charge = unit.map_or(exact, |u| self.canonical(exact, u));
        rec.record(
            || format!("charge {charge} {}", unit.map_or("", |u| self.unit_name(u))),
            0,
        );
        let money = match (unit, plan_entry) {
            (Some(u), _) if self.units[u as usize].is_money => Some(charge),
            (Some(u), Some(pl)) => match pl.wallet_prices.iter().find(|w| w.unit == u) {
                Some(w) => {
                    let m = charge
                        .checked_mul(w.price)
                        .and_then(|v| div_round(v, w.granted, self.currency_dp()))
                        .ok_or_else(|| {
                            reject(
                                RejectionKind::Overflow,
                                "arithmetic overflow while converting to money",
                                pl.price_line,
                            )
                        })?;
                    let m = round_charge(m, &self.currency);
                    rec.record(|| self.explain_money(charge, w, u, m), pl.price_line);
                    Some(m)
                }
                None => None,
            },
            _ => None,
        };
        Ok(TableQuote {
            charge,
            exact,
            quantity: q,
            unit,
            money,
        })
    }

    /// `bill at least` / `bill at most` in the charge unit, on one event's exact charge. An
    /// event charged nothing (a zero quantity, a free tier) is not raised.
    fn bound_charge(
        &self,
        bill: &BillBoundsEntry,
        exact: Decimal,
        rec: &mut impl Recorder,
    ) -> Decimal {
        let c = bound_event_charge(bill, exact);
        if c != exact {
            match &bill.raise_charge {
                Some(lo) if c == lo.base => rec.record(
                    || format!("raised to the minimum charge of {}", lo.text),
                    lo.line,
                ),
                _ => {
                    if let Some(hi) = &bill.cap_charge {
                        rec.record(|| format!("capped at {} per event", hi.text), hi.line);
                    }
                }
            }
        }
        c
    }

    /// What a quote's `used` was charged before it, uncapped: under tiers over the period the
    /// tiers' price of `used`; otherwise `used` at the product's rate (a flat charge once),
    /// without rounding or per-event bounds, which the earlier events' sizes would decide.
    fn charged_before(
        &self,
        plan: Option<PlanId>,
        product: ProductId,
        cell: CellId,
        used: Decimal,
    ) -> Result<Decimal, Rejection> {
        if used.is_zero() {
            return Ok(Decimal::ZERO);
        }
        if let Some(priced) = self.period_price(plan, product, used) {
            return priced.map(|(c, _)| c);
        }
        if used < Decimal::ZERO {
            return Err(reject(
                RejectionKind::Negative,
                format!("the usage already counted this period ({used}) is negative"),
                0,
            ));
        }
        let p = self
            .products
            .get(product as usize)
            .ok_or_else(|| reject(RejectionKind::Unknown, "unknown product", 0))?;
        let rate = plan
            .and_then(|i| self.plans.get(i as usize))
            .and_then(|pl| pl.overrides.iter().find(|(i, _)| *i == product))
            .map(|(_, r)| r);
        match (rate, &p.pricing) {
            (Some(r), _) => self.apply(used, r),
            (None, PricingEntry::Cells { cells }) => match cells.get(cell as usize) {
                Some(Some(r)) => self.apply(used, r),
                _ => Ok(Decimal::ZERO),
            },
            (None, PricingEntry::Flat { amount, unit, .. }) => Ok(self.exact(*amount, *unit)),
            (None, _) => Ok(Decimal::ZERO),
        }
    }

    /// The charge of a slice `q` added to `used` under tiers over the period: the tiers' price
    /// of the new running total less their price of the old one, each rounded by the charge
    /// unit's rule, so the slices of a period add up to exactly the price of its total.
    fn period_slice(
        &self,
        mode: TierMode,
        tiers: &[TierEntry],
        used: Decimal,
        q: Decimal,
        base: &str,
        rec: &mut impl Recorder,
    ) -> Result<Decimal, Rejection> {
        let line = tiers.first().map_or(0, |t| t.rate.line);
        let overflow = || {
            reject(
                RejectionKind::Overflow,
                "arithmetic overflow while adding the usage to the period's total",
                line,
            )
        };
        if used < Decimal::ZERO {
            return Err(reject(
                RejectionKind::Negative,
                format!("the usage already counted this period ({used} {base}) is negative"),
                0,
            ));
        }
        let total = used.checked_add(q).ok_or_else(overflow)?;
        let after = self.tiered(mode, tiers, total)?;
        if used.is_zero() {
            rec.record_many(|| self.explain_tiers(mode, tiers, q, base, after));
            return Ok(after);
        }
        let before = self.tiered(mode, tiers, used)?;
        let charge = self.exact(
            after.checked_sub(before).ok_or_else(overflow)?,
            tiers[0].rate.unit,
        );
        let unit = self.unit_name(tiers[0].rate.unit);
        rec.record(
            || {
                format!(
                    "tiers over the billing period: {} {base} used before this usage, {} {base} after",
                    used.normalize(),
                    total.normalize()
                )
            },
            line,
        );
        rec.record_many(|| self.explain_tiers(mode, tiers, total, base, after));
        rec.record(
            || {
                format!(
                    "this usage's slice: {after} {unit} for {} {base} less {before} {unit} for {} {base} = {charge} {unit}",
                    total.normalize(),
                    used.normalize()
                )
            },
            line,
        );
        Ok(charge)
    }

    fn currency_dp(&self) -> u32 {
        charge_dp(&self.currency)
    }

    pub(super) fn canonical(&self, v: Decimal, unit: UnitId) -> Decimal {
        let u = &self.units[unit as usize];
        let mut v = v.round_dp_with_strategy(u.charge_dp, RoundingStrategy::MidpointAwayFromZero);
        if u.is_money {
            v.rescale(u.charge_dp);
            v
        } else {
            v.normalize()
        }
    }

    /// `q` at rate `r`: the exact charge (money to [`EXACT_MONEY_DP`] places, other units by
    /// their rule); [`canonical`](Self::canonical) rounds it for display.
    pub(super) fn apply(&self, q: Decimal, r: &RateCell) -> Result<Decimal, Rejection> {
        let dp = self.exact_dp(r.unit);
        let v = q
            .checked_mul(r.amount)
            .and_then(|n| div_round(n, r.per_base, dp))
            .ok_or_else(|| {
                reject(
                    RejectionKind::Overflow,
                    "arithmetic overflow while applying the rate",
                    r.line,
                )
            })?;
        Ok(self.exact(v, r.unit))
    }

    /// Decimal places an event's charge in `unit` keeps before its final rounding.
    pub(crate) fn exact_dp(&self, unit: UnitId) -> u32 {
        let u = &self.units[unit as usize];
        if u.is_money {
            EXACT_MONEY_DP
        } else {
            u.charge_dp
        }
    }

    /// An event's charge as kept: money to [`EXACT_MONEY_DP`] places without trailing zeros,
    /// other units rounded by their rule, as [`canonical`](Self::canonical).
    pub(crate) fn exact(&self, v: Decimal, unit: UnitId) -> Decimal {
        if self.units[unit as usize].is_money {
            v.round_dp_with_strategy(EXACT_MONEY_DP, RoundingStrategy::MidpointAwayFromZero)
                .normalize()
        } else {
            self.canonical(v, unit)
        }
    }

    pub(super) fn tiered(
        &self,
        mode: TierMode,
        tiers: &[TierEntry],
        q: Decimal,
    ) -> Result<Decimal, Rejection> {
        let unit = tiers[0].rate.unit;
        match mode {
            TierMode::Graduated => {
                let mut total = Decimal::ZERO;
                for t in tiers {
                    if q <= t.from {
                        break;
                    }
                    let top = t.to.map_or(q, |to| to.min(q));
                    let part = (top - t.from)
                        .checked_mul(t.rate.amount)
                        .and_then(|v| v.checked_div(t.rate.per_base))
                        .ok_or_else(|| {
                            reject(
                                RejectionKind::Overflow,
                                "arithmetic overflow while applying a tier",
                                t.rate.line,
                            )
                        })?;
                    total = total.checked_add(part).ok_or_else(|| {
                        reject(
                            RejectionKind::Overflow,
                            "arithmetic overflow while summing tiers",
                            t.rate.line,
                        )
                    })?;
                }
                Ok(self.exact(total, unit))
            }
            TierMode::Volume => {
                let t = tiers
                    .iter()
                    .find(|t| q >= t.from && t.to.is_none_or(|to| q < to))
                    .unwrap_or(&tiers[tiers.len() - 1]);
                // The rate's only failure is overflow; name the tier, as the reference does.
                self.apply(q, &t.rate).map_err(|_| {
                    reject(
                        RejectionKind::Overflow,
                        "arithmetic overflow while applying the tier",
                        t.rate.line,
                    )
                })
            }
        }
    }

    fn check_limits(
        &self,
        plan: &PlanEntry,
        product: ProductId,
        p: &ProductEntry,
        cell: CellId,
        quantity: Decimal,
    ) -> Result<(), Rejection> {
        for l in &plan.limits {
            if !l.scope.is_empty() && !l.scope.contains(&product) {
                continue;
            }
            match &l.kind {
                LimitKindEntry::PerEvent { dimension, bound }
                    if *dimension == p.measure && !bound.contains(quantity) =>
                {
                    return Err(reject(
                        RejectionKind::Limit,
                        format!("limit {} on plan `{}`", l.describe(), plan.slug),
                        l.line,
                    ));
                }
                LimitKindEntry::DimensionRange { dimension, lo, hi } => {
                    if let Some(pos) = p.dims.iter().position(|d| d == dimension) {
                        let values = &self.dimensions[*dimension as usize].values;
                        let value = (cell / p.strides[pos]) % values.len() as u32;
                        if value < *lo || value > *hi {
                            return Err(reject(
                                RejectionKind::Limit,
                                format!(
                                    "limit {} on plan `{}` ({} asked)",
                                    l.describe(),
                                    plan.slug,
                                    values[value as usize]
                                ),
                                l.line,
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Checks an event's attributes against the plan's limits on them: `Ok` when every
    /// attribute given is within its limits (an attribute not given is not limited).
    pub fn check_attributes(
        &self,
        plan: Option<PlanId>,
        product: ProductId,
        attrs: &[EventAttr],
    ) -> Result<(), Rejection> {
        let Some(plan) = plan.and_then(|i| self.plans.get(i as usize)) else {
            return Ok(());
        };
        for l in &plan.limits {
            let LimitKindEntry::Attribute {
                attribute,
                dimension,
                factor,
                bound,
            } = &l.kind
            else {
                continue;
            };
            if !l.scope.is_empty() && !l.scope.contains(&product) {
                continue;
            }
            for a in attrs.iter().filter(|a| a.attribute == *attribute) {
                let name = self
                    .attributes
                    .get(*attribute as usize)
                    .map_or("", String::as_str);
                let base = match (a.unit.and_then(|u| self.units.get(u as usize)), dimension) {
                    (None, None) => Some(a.value),
                    (None, Some(_)) => a.value.checked_mul(*factor),
                    (Some(u), Some(d)) if u.dimension == *d => a.value.checked_mul(u.factor),
                    (Some(u), _) => {
                        return Err(reject(
                            RejectionKind::Limit,
                            format!(
                                "attribute `{name}` is given in {}, but limit {} is not in that dimension",
                                u.name,
                                l.describe()
                            ),
                            l.line,
                        ));
                    }
                };
                let Some(base) = base else {
                    return Err(reject(
                        RejectionKind::Overflow,
                        format!("attribute `{name}` is too large"),
                        l.line,
                    ));
                };
                if !bound.contains(base) {
                    return Err(reject(
                        RejectionKind::Limit,
                        format!(
                            "limit {} on plan `{}` ({} given)",
                            l.describe(),
                            plan.slug,
                            match a.unit {
                                Some(u) => format!("{} {}", a.value, self.unit_name(u)),
                                None => a.value.to_string(),
                            }
                        ),
                        l.line,
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `bill at least` / `bill at most` as a quantity: an admitted event's quantity, raised or
/// capped before rounding. A zero quantity is not raised (nothing was used).
fn raise_or_cap_quantity(
    bill: &BillBoundsEntry,
    quantity: Decimal,
    base: &str,
    rec: &mut impl Recorder,
) -> Decimal {
    let q = bound_event_quantity(bill, quantity);
    if q > quantity {
        if let Some(lo) = &bill.raise_quantity {
            rec.record(
                || format!("{quantity} {base} billed as at least {}", lo.text),
                lo.line,
            );
        }
    } else if q < quantity {
        if let Some(hi) = &bill.cap_quantity {
            rec.record(
                || format!("{quantity} {base} billed as at most {}", hi.text),
                hi.line,
            );
        }
    }
    q
}

/// An event's share of a cap on the period's charges: with `before` charged earlier in the
/// period (uncapped) and `charge` for this event, `min(cap, before + charge) - min(cap, before)`.
/// The shares of a period add up to `min(cap, total)`, whatever the order of its events.
pub fn cap_slice(cap: Decimal, before: Decimal, charge: Decimal) -> Option<Decimal> {
    let after = before.checked_add(charge)?;
    after.min(cap).checked_sub(before.min(cap))
}

/// An event's charge after `bill at least` / `bill at most` in the charge unit. An event charged
/// nothing (a zero quantity, a free tier) is not raised.
pub(super) fn bound_event_charge(bill: &BillBoundsEntry, charge: Decimal) -> Decimal {
    let mut c = charge;
    if let Some(lo) = &bill.raise_charge {
        if c > Decimal::ZERO && c < lo.base {
            c = lo.base;
        }
    }
    if let Some(hi) = &bill.cap_charge {
        c = c.min(hi.base);
    }
    c
}

/// An event's quantity after `bill at least` / `bill at most` as a quantity. A zero quantity is
/// not raised (nothing was used).
pub(super) fn bound_event_quantity(bill: &BillBoundsEntry, quantity: Decimal) -> Decimal {
    let mut q = quantity;
    if let Some(lo) = &bill.raise_quantity {
        if q > Decimal::ZERO && q < lo.base {
            q = lo.base;
        }
    }
    if let Some(hi) = &bill.cap_quantity {
        q = q.min(hi.base);
    }
    q
}
