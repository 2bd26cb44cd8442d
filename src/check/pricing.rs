//! A product's pricing: one rate, a matrix of cells (every combination rated once), tiers (bounds that start at 0 and meet), flat or free.

use super::prelude::*;

impl Cx<'_> {
    /// The product's pricing: `None` if no pricing statement, `Some(None)` if one failed.
    pub(super) fn pricing(
        &mut self,
        p: &Product,
        measure: &Dimension,
        dims: &[Option<usize>],
        stmts: &mut Vec<(Span, &'static str)>,
    ) -> Option<Option<Pricing>> {
        let mut result: Option<Option<Pricing>> = None;
        let mut cells: Vec<(Cell, Span)> = Vec::new();
        let mut plain: Option<Option<RateDef>> = None;
        let mut rate_span = None;
        let mut unit_seen: Option<(String, Span)> = None;
        let mut failed = false;
        for s in &p.body {
            match &s.node {
                ProductStmt::Rate { key, rate } => {
                    if rate_span.is_none() {
                        rate_span = Some(s.span);
                        stmts.push((s.span, "rate"));
                    }
                    let mut def = match rate {
                        Some(r) => {
                            let d = self.rate(r, Some(measure), "rate", s.span, false);
                            if let Some(d) = &d {
                                match &unit_seen {
                                    Some((u, prev)) if u != &d.unit => {
                                        let prev = *prev;
                                        self.push(diagnostics::rate_charges_other_unit(
                                            &d.unit,
                                            u,
                                            r.amount.unit.span,
                                            prev,
                                        ));
                                        failed = true;
                                    }
                                    None => unit_seen = Some((d.unit.clone(), s.span)),
                                    _ => {}
                                }
                            } else {
                                failed = true;
                            }
                            d
                        }
                        None => None,
                    };
                    if key.is_empty() {
                        if !dims.is_empty() {
                            let cell = self
                                .example_cell(&dims.iter().flatten().copied().collect::<Vec<_>>());
                            let rate = self.example_rate(measure);
                            self.push(diagnostics::rate_without_cell(s.span, &cell, &rate));
                            failed = true;
                        } else if plain.is_some() {
                            self.push(diagnostics::rate_twice(s.span, rate_span.unwrap_or(s.span)));
                            failed = true;
                        } else {
                            if rate.is_none() {
                                self.push(diagnostics::not_offered_without_cell(s.span));
                                failed = true;
                            }
                            plain = Some(def);
                        }
                        continue;
                    }
                    if dims.is_empty() {
                        self.push(diagnostics::cell_without_dims(key_span(key)));
                        failed = true;
                        continue;
                    }
                    if key.len() != dims.len() {
                        let names: Vec<&str> = dims
                            .iter()
                            .map(|d| d.map_or("?", |d| self.dimensions[d].name.as_str()))
                            .collect();
                        self.push(diagnostics::cell_arity(key.len(), &names, key_span(key)));
                        failed = true;
                        continue;
                    }
                    // The usual cell names one value per position: its key is read straight
                    // into one vector (the same checks, in the same order, as below).
                    if key.iter().all(|vs| vs.len() == 1) {
                        let mut idx = Vec::with_capacity(dims.len());
                        for (d, vs) in dims.iter().zip(key) {
                            let (Some(d), Some(v)) = (d, vs.first()) else {
                                failed = true;
                                continue;
                            };
                            match self.dim_value(*d, v) {
                                Some(i) => idx.push(i),
                                None => failed = true,
                            }
                        }
                        if idx.len() != dims.len() || (rate.is_some() && def.is_none()) {
                            continue;
                        }
                        if !self.add_cell(&mut cells, idx, def, key, s.span) {
                            failed = true;
                        }
                        continue;
                    }
                    // Each position's values; a cell listing several (`720p | 1080p`) is one
                    // cell per combination.
                    let mut positions: Vec<Vec<usize>> = Vec::new();
                    for (d, vs) in dims.iter().zip(key) {
                        // A value of an unknown dimension cannot be checked; the others can.
                        let Some(d) = d else {
                            failed = true;
                            continue;
                        };
                        let mut here = Vec::new();
                        for v in vs {
                            match self.dim_value(*d, v) {
                                Some(i) if here.contains(&i) => {
                                    self.push(diagnostics::cell_value_twice(&v.node, v.span));
                                    failed = true;
                                }
                                Some(i) => here.push(i),
                                None => failed = true,
                            }
                        }
                        positions.push(here);
                    }
                    if positions.len() != dims.len() || positions.iter().any(|p| p.is_empty()) {
                        // The cell's rate is still checked (its units, its amount).
                        continue;
                    }
                    let mut keys: Vec<Vec<usize>> = vec![Vec::with_capacity(positions.len())];
                    for here in &positions {
                        // One value at this position (the usual cell): every key takes it.
                        if let [only] = here.as_slice() {
                            keys.iter_mut().for_each(|k| k.push(*only));
                            continue;
                        }
                        keys = keys
                            .into_iter()
                            .flat_map(|k| {
                                here.iter().map(move |i| {
                                    let mut k = k.clone();
                                    k.push(*i);
                                    k
                                })
                            })
                            .collect();
                    }
                    if rate.is_some() && def.is_none() {
                        continue;
                    }
                    let last = keys.len().saturating_sub(1);
                    for (j, idx) in keys.into_iter().enumerate() {
                        // The last cell of the statement takes its rate; the others copy it.
                        let rate = if j == last { def.take() } else { def.clone() };
                        if !self.add_cell(&mut cells, idx, rate, key, s.span) {
                            failed = true;
                            break;
                        }
                    }
                }
                ProductStmt::Tiers { mode, scope, tiers } => {
                    stmts.push((s.span, "tiers"));
                    let per_event = *scope == Some(TierScope::Event);
                    result = Some(self.tiers(*mode, per_event, tiers, measure, s.span));
                }
                ProductStmt::Flat { amount, per } => {
                    stmts.push((s.span, "flat"));
                    let unit = self.unit(&amount.unit);
                    let pos = self.positive(&amount.value, "the flat price");
                    let per_ok = per.as_ref().is_none_or(|p| self.unit(p).is_some());
                    result = Some(match unit {
                        Some(u) if pos && per_ok => Some(Pricing::Flat {
                            amount: amount.value.node,
                            unit: u.name,
                            per: per.as_ref().map(|p| p.node.clone()),
                            span: s.span,
                        }),
                        _ => None,
                    });
                }
                ProductStmt::Free => {
                    stmts.push((s.span, "free"));
                    result = Some(Some(Pricing::Free { span: s.span }));
                }
                ProductStmt::Unpublished => {
                    stmts.push((s.span, "rate unpublished"));
                    result = Some(Some(Pricing::Unpublished { span: s.span }));
                }
                _ => {}
            }
        }
        if rate_span.is_some() {
            if failed {
                return Some(None);
            }
            if dims.is_empty() {
                return Some(plain.flatten().map(Pricing::Single));
            }
            // Every combination of values must be rated (or marked `not offered`).
            let mut missing = Vec::new();
            let known: Vec<usize> = dims.iter().flatten().copied().collect();
            let sizes: Vec<usize> = known
                .iter()
                .map(|d| self.dimensions[*d].values.len())
                .collect();
            let total: usize = sizes.iter().product();
            let scanned = total.min(10_000);
            // Which combinations the cells rate, by the number the scan below gives each (one
            // pass over the cells, where comparing every combination with every cell was
            // quadratic in a matrix's size).
            let mut rated = vec![false; scanned];
            for (c, _) in &cells {
                if let Some(r) = combination_number(&c.key, &sizes).and_then(|n| rated.get_mut(n)) {
                    *r = true;
                }
            }
            let mut key = Vec::with_capacity(sizes.len());
            for n in 0..scanned {
                if rated.get(n).copied().unwrap_or(false) {
                    continue;
                }
                key.clear();
                let mut rest = n;
                for s in sizes.iter().rev() {
                    key.push(rest % s);
                    rest /= s;
                }
                key.reverse();
                let names: Vec<&str> = key
                    .iter()
                    .zip(&known)
                    .map(|(v, d)| self.dimensions[*d].values[*v].as_str())
                    .collect();
                missing.push(names.join(", "));
            }
            if !missing.is_empty() {
                self.push(diagnostics::cells_missing(
                    &p.slug.node,
                    &missing,
                    p.slug.span,
                ));
                return Some(None);
            }
            return Some(Some(Pricing::Matrix(
                cells.into_iter().map(|(c, _)| c).collect(),
            )));
        }
        result
    }

    pub(super) fn tiers(
        &mut self,
        mode: TierMode,
        per_event: bool,
        tiers: &[Spanned<Tier>],
        measure: &Dimension,
        span: Span,
    ) -> Option<Pricing> {
        let mut out = Vec::new();
        let mut ok = true;
        let mut prev_to: Option<(Option<Decimal>, Span)> = None;
        for (i, t) in tiers.iter().enumerate() {
            let from = self.quantity_in(&t.from, measure, "a tier bound");
            let to = match &t.to {
                Some(q) => self.quantity_in(q, measure, "a tier bound").map(Some),
                None => Some(None),
            };
            let rate = self.rate(&t.rate, Some(measure), "tier rate", t.span, true);
            // Bounds are checked whether or not the tier's rate is; a tier whose bounds are
            // unknown is not compared with the next one.
            let (Some(from), Some(to)) = (from, to) else {
                ok = false;
                prev_to = None;
                continue;
            };
            if i == 0 && !from.is_zero() {
                self.push(diagnostics::first_tier_not_at_zero(
                    t.from.value.span,
                    &t.from.unit.node,
                ));
                ok = false;
            }
            match &prev_to {
                Some((None, prev)) => {
                    let prev = *prev;
                    let base = self.base_of(measure);
                    self.push(diagnostics::tier_after_open_ended(t.span, prev, &base));
                    ok = false;
                }
                Some((Some(pt), prev)) if from != *pt => {
                    let prev = *prev;
                    self.push(diagnostics::tiers_do_not_meet(
                        from < *pt,
                        &t.from.value.node.to_string(),
                        &t.from.unit.node,
                        t.from.value.span,
                        prev,
                    ));
                    ok = false;
                }
                _ => {}
            }
            if let Some(to) = to {
                if to <= from {
                    self.push(diagnostics::tier_bounds_not_increasing(t.span));
                    ok = false;
                }
            }
            prev_to = Some((to, t.span));
            let Some(rate) = rate else {
                ok = false;
                continue;
            };
            if let Some(first) = out.first() {
                let first: &TierDef = first;
                if first.rate.unit != rate.unit {
                    self.push(diagnostics::tiers_charge_different_units(
                        t.rate.amount.unit.span,
                    ));
                    ok = false;
                }
            }
            out.push(TierDef { from, to, rate });
        }
        if tiers.is_empty() {
            let (base, rate) = (self.base_of(measure), self.example_rate(measure));
            self.push(diagnostics::no_tiers(span, &base, &rate));
            ok = false;
        }
        ok.then_some(Pricing::Tiered {
            mode,
            tiers: out,
            per_event,
        })
    }
}

impl Cx<'_> {
    /// Adds the cell `idx` (written `key` in the statement at `span`) with its rate, or reports
    /// it as a cell given twice and returns false.
    fn add_cell(
        &mut self,
        cells: &mut Vec<(Cell, Span)>,
        idx: Vec<usize>,
        rate: Option<RateDef>,
        key: &[CellValues],
        span: Span,
    ) -> bool {
        if let Some((_, prev)) = cells.iter().find(|(c, _)| c.key == idx) {
            let prev = *prev;
            self.push(diagnostics::cell_twice(&join_key(key), span, prev));
            return false;
        }
        cells.push((Cell { key: idx, rate }, span));
        true
    }
}

/// The number of the combination `key` (a value's position per dimension, the last dimension
/// counting fastest), as the scan for unrated combinations numbers them; `None` for a key that
/// is no combination of dimensions of these sizes.
fn combination_number(key: &[usize], sizes: &[usize]) -> Option<usize> {
    if key.len() != sizes.len() {
        return None;
    }
    key.iter().zip(sizes).try_fold(0usize, |n, (v, s)| {
        if v < s {
            n.checked_mul(*s)?.checked_add(*v)
        } else {
            None
        }
    })
}

pub(super) fn join_key(key: &[CellValues]) -> String {
    key.iter()
        .map(|vs| {
            vs.iter()
                .map(|k| k.node.as_str())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The span of a cell key, from its first value to its last.
fn key_span(key: &[CellValues]) -> Span {
    let first = key.first().and_then(|vs| vs.first()).map(|v| v.span);
    let last = key.last().and_then(|vs| vs.last()).map(|v| v.span);
    match (first, last) {
        (Some(a), Some(b)) => a.to(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => Span::default(),
    }
}
