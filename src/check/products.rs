//! The products pass: each product's measure, rounding, bounds, wallet rules and pricing.

use super::prelude::*;

impl Cx<'_> {
    pub(super) fn product(&mut self, p: &Product, span: Span) -> Option<ProductDef> {
        let mut measure: Option<(Dimension, Span)> = None;
        let mut measure_failed = false;
        let mut pricing_stmts: Vec<(Span, &'static str)> = Vec::new();
        let mut rounding = None;
        let mut prorate: Option<Span> = None;
        let mut min = None;
        let mut max = None;
        let mut outside = false;
        let mut dims_stmt: Option<&Vec<Name>> = None;
        let mut seen = Seen::default();

        // First the statements everything else depends on.
        for s in &p.body {
            let key = match &s.node {
                ProductStmt::Measure(_) => "measure",
                ProductStmt::Round { .. } => "round",
                ProductStmt::Prorate => "prorate",
                ProductStmt::Min(_) => "min",
                ProductStmt::Max(_) => "max",
                ProductStmt::OutsideWallet => "outside wallet",
                ProductStmt::Dims(_) => "dims",
                ProductStmt::Tiers { .. } => "tiers",
                ProductStmt::Flat { .. } => "flat",
                ProductStmt::Free => "free",
                ProductStmt::Unpublished => "rate unpublished",
                _ => continue,
            };
            if let Some(prev) = seen.get(key) {
                let prev = *prev;
                self.push(diagnostics::statement_twice("product", key, s.span, prev));
                continue;
            }
            seen.insert(key, s.span);
            match &s.node {
                ProductStmt::Measure(m) => match self.measure(&m.node) {
                    Some(d) => measure = Some((d, m.span)),
                    None => {
                        measure_failed = true;
                        let mut names: Vec<String> =
                            units::MEASURES.iter().map(|s| s.to_string()).collect();
                        names.extend(self.units.names().map(String::from));
                        self.unknown("measure", m, &names, "measure `time`, `text`, `area`, or a count unit such as `image` or `call`");
                    }
                },
                ProductStmt::Dims(d) => dims_stmt = Some(d),
                ProductStmt::OutsideWallet => outside = true,
                ProductStmt::Prorate => prorate = Some(s.span),
                _ => {}
            }
        }
        let Some((measure, _)) = measure else {
            if !measure_failed {
                self.push(diagnostics::no_measure(&p.slug.node, p.slug.span));
            }
            // Without a measure the rates cannot be compared with it, but their units can still
            // be checked, so their mistakes show in the same run.
            self.rate_units_only(p);
            return None;
        };

        // Dimensions the product is priced by; an unknown one keeps its position (as `None`) so
        // the values of the others are still checked in every cell.
        let mut dim_slots: Vec<Option<usize>> = Vec::new();
        if let Some(names) = dims_stmt {
            for n in names {
                match self.dim_names.resolve(&n.node) {
                    Some(i) if i < self.dimensions.len() => {
                        if dim_slots.contains(&Some(i)) {
                            self.push(diagnostics::dimension_listed_twice(&n.node, n.span));
                        } else {
                            dim_slots.push(Some(i));
                        }
                    }
                    _ => {
                        let list = self.dim_names.list.clone();
                        self.unknown(
                            "dimension",
                            n,
                            &list,
                            "declare it with `dimension <name> { value, ... }`",
                        );
                        dim_slots.push(None);
                    }
                }
            }
        }

        let mut ok = true;
        for s in &p.body {
            match &s.node {
                ProductStmt::Round { mode, to } => {
                    if let Some(prev) = prorate {
                        self.push(diagnostics::round_and_prorate(s.span, prev));
                        ok = false;
                    }
                    if let Some(step) = self.quantity_in(to, &measure, "the rounding step") {
                        if step <= Decimal::ZERO {
                            let base = self.base_of(&measure);
                            self.push(diagnostics::rounding_step_not_positive(
                                to.value.span,
                                &base,
                            ));
                            ok = false;
                        } else {
                            rounding = Some(Rounding {
                                mode: *mode,
                                step,
                                span: s.span,
                            });
                        }
                    } else {
                        ok = false;
                    }
                }
                ProductStmt::Min(q) | ProductStmt::Max(q) => {
                    let is_min = matches!(s.node, ProductStmt::Min(_));
                    match self.quantity_in(
                        q,
                        &measure,
                        if is_min { "the minimum" } else { "the maximum" },
                    ) {
                        Some(base) => {
                            if base < Decimal::ZERO {
                                self.push(diagnostics::negative_bound(q.value.span));
                                ok = false;
                            }
                            let b = Bound {
                                base,
                                text: format!("{} {}", q.value.node, q.unit.node),
                                span: s.span,
                            };
                            if is_min { min = Some(b) } else { max = Some(b) }
                        }
                        None => ok = false,
                    }
                }
                _ => {}
            }
        }
        if let (Some(lo), Some(hi)) = (&min, &max) {
            if lo.base > hi.base {
                self.push(diagnostics::min_above_max(
                    &lo.text, &hi.text, lo.span, hi.span,
                ));
                ok = false;
            }
        }

        let pricing = self.pricing(p, &measure, &dim_slots, &mut pricing_stmts);
        let dims: Vec<usize> = dim_slots.iter().flatten().copied().collect();
        if dims.len() != dim_slots.len() {
            return None;
        }
        if pricing_stmts.len() > 1 {
            let (first, first_kind) = pricing_stmts[0];
            let (second, second_kind) = pricing_stmts[1];
            self.push(diagnostics::priced_twice(
                &p.slug.node,
                first_kind,
                first,
                second_kind,
                second,
            ));
            return None;
        }
        let pricing = match pricing {
            Some(Some(p)) => p,
            Some(None) => return None,
            None => {
                let (unit, base) = (self.wallet_or_currency(), self.base_of(&measure));
                self.push(diagnostics::product_without_price(
                    &p.slug.node,
                    p.slug.span,
                    &unit,
                    &base,
                ));
                return None;
            }
        };

        // Counts are whole unless the book declared the measured unit divisible.
        let whole = measure.counts_whole()
            && self
                .units
                .units
                .iter()
                .find(|u| u.dimension == measure)
                .is_some_and(|u| !u.divisible);
        // A fee in error is reported; the product keeps the fees that check.
        let mut fees_ok = true;
        let fee_stmts = p.body.iter().filter_map(|s| match &s.node {
            ProductStmt::Fee(f) => Some((f, s.span)),
            _ => None,
        });
        let fees = self.fees(fee_stmts, super::fees::FeeOwner::Product, &mut fees_ok);
        // One charge unit per product; wallet rules for money.
        let mut def = ProductDef {
            slug: p.slug.node.clone(),
            display: p.display.node.clone(),
            aliases: p
                .body
                .iter()
                .filter_map(|s| match &s.node {
                    ProductStmt::Aka(names) => Some(names.iter().map(|n| n.node.clone())),
                    _ => None,
                })
                .flatten()
                .collect(),
            whole,
            measure,
            pricing,
            rounding,
            min,
            max,
            bill: BillBounds::default(),
            outside_wallet: outside,
            dims,
            fees,
            span,
            slug_span: p.slug.span,
        };
        if let Some(unit) = def.charge_unit() {
            let is_money = self.unit_get(unit).is_some_and(|u| u.dimension.is_money());
            if is_money && !self.wallet_units.is_empty() && !outside {
                let wallet = self.wallet_units.iter().min().cloned().unwrap_or_default();
                self.push(diagnostics::money_in_wallet(
                    &p.slug.node,
                    unit,
                    &wallet,
                    p.slug.span,
                ));
                ok = false;
            }
            if outside && !is_money {
                self.push(diagnostics::outside_wallet_not_money(
                    &p.slug.node,
                    unit,
                    p.slug.span,
                ));
                ok = false;
            }
            if is_money && Some(unit) != self.currency.as_deref() {
                if let Some(cur) = self.currency.clone() {
                    self.push(diagnostics::product_in_other_currency(
                        &p.slug.node,
                        unit,
                        &cur,
                        p.slug.span,
                    ));
                    ok = false;
                }
            }
        }
        def.bill = self.bill_bounds(p, &def, &mut ok);
        ok.then_some(def)
    }

    /// Checks what can be checked of a product whose measure is unknown: the units of its rates
    /// and quantities (their dimension cannot be compared with a measure it does not have).
    pub(super) fn rate_units_only(&mut self, p: &Product) {
        for s in &p.body {
            match &s.node {
                ProductStmt::Rate { rate: Some(r), .. } => {
                    self.rate(r, None, "rate", s.span, false);
                }
                ProductStmt::Tiers { tiers, .. } => {
                    for t in tiers {
                        self.rate(&t.rate, None, "tier rate", t.span, true);
                        self.unit_known(&t.from.unit);
                        if let Some(to) = &t.to {
                            self.unit_known(&to.unit);
                        }
                    }
                }
                ProductStmt::Flat { amount, per } => {
                    self.unit_known(&amount.unit);
                    if let Some(per) = per {
                        self.unit_known(per);
                    }
                }
                ProductStmt::Round { to: q, .. }
                | ProductStmt::Min(q)
                | ProductStmt::Max(q)
                | ProductStmt::Bill { amount: q, .. } => {
                    self.unit_known(&q.unit);
                }
                _ => {}
            }
        }
    }
}
