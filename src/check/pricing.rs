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
                    let def = match rate {
                        Some(r) => {
                            let d = self.rate(r, Some(measure), "rate", s.span, false);
                            if let Some(d) = &d {
                                match &unit_seen {
                                    Some((u, prev)) if u != &d.unit => {
                                        let prev = *prev;
                                        self.push(
                                            Diagnostic::new(
                                                Code::UnitMismatch,
                                                format!(
                                                    "this rate charges `{}`, an earlier one `{u}`",
                                                    d.unit
                                                ),
                                            )
                                            .label(r.amount.unit.span, "different charge unit")
                                            .label(prev, "earlier rate")
                                            .help("all rates of one product charge the same unit"),
                                        );
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
                            self.push(
                                Diagnostic::new(Code::MatrixCellMissing, "this product is priced by dimensions, but this rate names no cell")
                                    .label(s.span, "no dimension values")
                                    .help(format!("write the cell before `=`, e.g. `rate {} = {}`", self.example_cell(&dims.iter().flatten().copied().collect::<Vec<_>>()), self.example_rate(measure))),
                            );
                            failed = true;
                        } else if plain.is_some() {
                            self.push(
                                Diagnostic::new(
                                    Code::ConflictingStatement,
                                    "`rate` is given twice",
                                )
                                .label(s.span, "given again")
                                .label(rate_span.unwrap_or(s.span), "first given here")
                                .help("a product without `dims` has one rate"),
                            );
                            failed = true;
                        } else {
                            if rate.is_none() {
                                self.push(
                                    Diagnostic::new(
                                        Code::InvalidValue,
                                        "`not offered` only applies to a cell of a matrix",
                                    )
                                    .label(s.span, "no cell")
                                    .help("leave the product off the plans instead"),
                                );
                                failed = true;
                            }
                            plain = Some(def);
                        }
                        continue;
                    }
                    if dims.is_empty() {
                        self.push(
                            Diagnostic::new(
                                Code::UnknownReference,
                                "this rate names a cell, but the product declares no `dims`",
                            )
                            .label(key[0].span.to(key[key.len() - 1].span), "cell key")
                            .help("add `dims <dimension>, ...` to the product"),
                        );
                        failed = true;
                        continue;
                    }
                    if key.len() != dims.len() {
                        let names: Vec<&str> = dims
                            .iter()
                            .map(|d| d.map_or("?", |d| self.dimensions[d].name.as_str()))
                            .collect();
                        self.push(
                            Diagnostic::new(
                                Code::MatrixCellMissing,
                                format!("a cell names {} value(s), but the product has {} dimension(s): {}", key.len(), dims.len(), names.join(", ")),
                            )
                            .label(key[0].span.to(key[key.len() - 1].span), "cell key")
                            .help("give one value per dimension, in the order of `dims`"),
                        );
                        failed = true;
                        continue;
                    }
                    let mut idx = Vec::new();
                    for (d, v) in dims.iter().zip(key) {
                        // A value of an unknown dimension cannot be checked; the others can.
                        let Some(d) = d else {
                            failed = true;
                            continue;
                        };
                        match self.dim_value(*d, v) {
                            Some(i) => idx.push(i),
                            None => failed = true,
                        }
                    }
                    if idx.len() != dims.len() {
                        // The cell's rate is still checked (its units, its amount).
                        continue;
                    }
                    if let Some((_, prev)) = cells.iter().find(|(c, _)| c.key == idx) {
                        let prev = *prev;
                        self.push(
                            Diagnostic::new(
                                Code::MatrixCellDuplicate,
                                format!("cell `{}` is rated twice", join_key(key)),
                            )
                            .label(s.span, "rated again")
                            .label(prev, "first rated here")
                            .help("rate each combination of values once"),
                        );
                        failed = true;
                        continue;
                    }
                    if rate.is_some() && def.is_none() {
                        continue;
                    }
                    cells.push((
                        Cell {
                            key: idx,
                            rate: def,
                        },
                        s.span,
                    ));
                }
                ProductStmt::Tiers { mode, tiers } => {
                    stmts.push((s.span, "tiers"));
                    result = Some(self.tiers(*mode, tiers, measure, s.span));
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
            for n in 0..total.min(10_000) {
                let mut key = Vec::with_capacity(sizes.len());
                let mut rest = n;
                for s in sizes.iter().rev() {
                    key.push(rest % s);
                    rest /= s;
                }
                key.reverse();
                if !cells.iter().any(|(c, _)| c.key == key) {
                    let names: Vec<&str> = key
                        .iter()
                        .zip(&known)
                        .map(|(v, d)| self.dimensions[*d].values[*v].as_str())
                        .collect();
                    missing.push(names.join(", "));
                }
            }
            if !missing.is_empty() {
                let shown: Vec<String> = missing
                    .iter()
                    .take(5)
                    .map(|m| format!("`rate {m} = ...`"))
                    .collect();
                self.push(
                    Diagnostic::new(
                        Code::MatrixCellMissing,
                        format!(
                            "product `{}` has no rate for {} cell(s): {}",
                            p.slug.node,
                            missing.len(),
                            missing
                                .iter()
                                .take(5)
                                .cloned()
                                .collect::<Vec<_>>()
                                .join("; ")
                        ),
                    )
                    .label(p.slug.span, "incomplete matrix")
                    .help(format!(
                        "add {}, or mark a cell `= not offered`",
                        shown.join(", ")
                    )),
                );
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
                self.push(
                    Diagnostic::new(Code::TierBounds, "the first tier must start at 0")
                        .label(t.from.value.span, "leaves usage below it unpriced")
                        .help(format!("start the first tier at `0 {}`", t.from.unit.node)),
                );
                ok = false;
            }
            match &prev_to {
                Some((None, prev)) => {
                    let prev = *prev;
                    self.push(
                        Diagnostic::new(Code::TierBounds, "a tier follows an open-ended tier")
                            .label(t.span, "never reached")
                            .label(prev, "this tier has no upper bound")
                            .help(format!(
                                "only the last tier may be open-ended (`1000 {} .. : ...`)",
                                self.base_of(measure)
                            )),
                    );
                    ok = false;
                }
                Some((Some(pt), prev)) if from != *pt => {
                    let prev = *prev;
                    let (what, label) = if from < *pt {
                        ("overlap", "starts inside the previous tier")
                    } else {
                        ("leave a gap", "starts after the previous tier ends")
                    };
                    self.push(
                        Diagnostic::new(
                            Code::TierBounds,
                            format!(
                                "tiers {what}: this tier starts at {} {}",
                                t.from.value.node, t.from.unit.node
                            ),
                        )
                        .label(t.from.value.span, label)
                        .label(prev, "previous tier")
                        .help("each tier starts where the previous one ends"),
                    );
                    ok = false;
                }
                _ => {}
            }
            if let Some(to) = to {
                if to <= from {
                    self.push(
                        Diagnostic::new(Code::TierBounds, "a tier's bounds do not increase")
                            .label(t.span, "upper bound not above lower bound")
                            .help("write tiers as `lower .. upper` with upper > lower"),
                    );
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
                    self.push(
                        Diagnostic::new(
                            Code::UnitMismatch,
                            "tiers of one product charge different units",
                        )
                        .label(t.rate.amount.unit.span, "different charge unit")
                        .help("all tiers charge the same unit"),
                    );
                    ok = false;
                }
            }
            out.push(TierDef { from, to, rate });
        }
        if tiers.is_empty() {
            self.push(
                Diagnostic::new(Code::MissingStatement, "`tiers` lists no tier")
                    .label(span, "empty")
                    .help({
                        let base = self.base_of(measure);
                        format!(
                            "add tiers such as `0 {base} .. 1000 {base} : {}`",
                            self.example_rate(measure)
                        )
                    }),
            );
            ok = false;
        }
        ok.then_some(Pricing::Tiered { mode, tiers: out })
    }
}

pub(super) fn join_key(key: &[Spanned<String>]) -> String {
    key.iter()
        .map(|k| k.node.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
