//! The limits pass: what each plan `limit` compares (the metered quantity, an ordered dimension,
//! a window's total, a declared attribute), with which bound, or that it is only stated.

use super::prelude::*;

/// A limit's value, checked: what the bound compares.
enum Value {
    /// Base units, and the unit written.
    Quantity(Decimal, Unit),
    Number(Decimal),
    /// A value index of the dimension named by the limit's last word.
    Dimension(usize, usize),
}

impl Cx<'_> {
    pub(super) fn limit(&mut self, l: &Limit, span: Span) -> Option<LimitDef> {
        let name = l.display_name();
        let mut scope = Vec::new();
        for n in &l.scope {
            scope.push(self.product_ref(n)?);
        }
        let text = |v: &LimitValue| match v {
            LimitValue::Quantity(q) => format!("{} {}", q.value.node, q.unit.node),
            LimitValue::Number(n) => n.node.to_string(),
            LimitValue::DimValue(v) => v.node.clone(),
        };
        let value_text = text(&l.value.node);
        let upper_text = l.upper.as_ref().map(|u| text(&u.node));
        let op = l.op.as_str().to_string();
        let low = self.limit_value(l, &l.value, span)?;
        let high = match &l.upper {
            Some(u) => Some(self.limit_value(l, u, span)?),
            None => None,
        };
        let kind = self.limit_kind(l, &scope, low, high)?;
        Some(LimitDef {
            name,
            op,
            value_text,
            upper_text,
            kind,
            scope,
            span,
        })
    }

    fn limit_value(&mut self, l: &Limit, v: &Spanned<LimitValue>, span: Span) -> Option<Value> {
        Some(match &v.node {
            LimitValue::Quantity(q) => {
                let (base, unit) = self.quantity(q)?;
                Value::Quantity(base, unit)
            }
            LimitValue::Number(n) => Value::Number(n.node),
            LimitValue::DimValue(value) => {
                // `limit resolution <= 1080p`: the last word of the name is the dimension.
                let dim_name = l.name.last().map(|n| n.node.as_str()).unwrap_or("");
                let Some(d) = self
                    .dim_names
                    .resolve(dim_name)
                    .filter(|d| *d < self.dimensions.len())
                else {
                    let list = self.dim_names.list.clone();
                    let last = l
                        .name
                        .last()
                        .cloned()
                        .unwrap_or_else(|| Spanned::new(String::new(), span));
                    self.unknown(
                        "dimension",
                        &last,
                        &list,
                        "a limit on a value names a declared dimension: `limit resolution <= 1080p`",
                    );
                    return None;
                };
                Value::Dimension(d, self.dim_value(d, value)?)
            }
        })
    }

    fn limit_kind(
        &mut self,
        l: &Limit,
        scope: &[usize],
        low: Value,
        high: Option<Value>,
    ) -> Option<LimitKind> {
        let op = l.op.as_str();
        let value_span = l.value.span;
        let whole_span = l
            .upper
            .as_ref()
            .map_or(value_span, |u| value_span.to(u.span));
        // Both ends of a `between` compare the same thing.
        let high = match (&low, high) {
            (_, None) => None,
            (Value::Quantity(_, a), Some(Value::Quantity(h, b))) if a.dimension == b.dimension => {
                Some(h)
            }
            (Value::Number(_), Some(Value::Number(h))) => Some(h),
            (Value::Dimension(d, _), Some(Value::Dimension(e, h))) if *d == e => {
                Some(Decimal::from(h))
            }
            (_, Some(_)) => {
                self.push(diagnostics::limit_ends_differ(whole_span));
                return None;
            }
        };
        if l.informational {
            return Some(LimitKind::Informational);
        }
        if let Some(w) = &l.window {
            let window = self.window(w)?;
            if !matches!(l.op, LimitOp::Le | LimitOp::Lt) {
                self.push(diagnostics::window_limit_not_a_cap(op, value_span));
                return None;
            }
            let (max, dimension) = match low {
                Value::Quantity(base, unit) => (base, Some(unit.dimension)),
                Value::Number(n) => (n, None),
                Value::Dimension(..) => {
                    self.push(diagnostics::window_limit_not_a_cap(op, value_span));
                    return None;
                }
            };
            if max <= Decimal::ZERO {
                self.push(diagnostics::limit_not_positive(value_span));
                return None;
            }
            return Some(LimitKind::Window {
                max,
                strict: l.op == LimitOp::Lt,
                dimension,
                window,
            });
        }
        let bound = |v: Decimal| Interval::of(op, v, high);
        let attribute = self.attr_names.resolve(&l.display_name());
        let kind = match (low, attribute) {
            (Value::Dimension(dimension, v), _) => {
                let last = self.dimensions[dimension].values.len().saturating_sub(1);
                let b = bound(Decimal::from(v));
                // Value indexes are whole: `< 1080p` allows up to the value before it.
                let lo = match b.lo {
                    None => 0,
                    Some(e) if e.inclusive => v,
                    Some(_) => v + 1,
                };
                let hi = match b.hi.map(|e| (e.value, e.inclusive)) {
                    None => Some(last),
                    Some((h, true)) => usize::try_from(h).ok(),
                    Some((h, false)) => usize::try_from(h).ok().and_then(|h| h.checked_sub(1)),
                };
                match hi {
                    Some(hi) if lo <= hi && lo <= last => {
                        LimitKind::DimensionRange { dimension, lo, hi }
                    }
                    _ => {
                        self.push(diagnostics::limit_allows_nothing(whole_span));
                        return None;
                    }
                }
            }
            (Value::Quantity(base, unit), Some(attribute)) => LimitKind::Attribute {
                attribute,
                dimension: Some(unit.dimension.clone()),
                factor: unit.factor,
                bound: bound(base),
            },
            (Value::Number(n), Some(attribute)) => LimitKind::Attribute {
                attribute,
                dimension: None,
                factor: Decimal::ONE,
                bound: bound(n),
            },
            (Value::Quantity(base, unit), None) => {
                let measured = |i: &usize| {
                    self.product_defs
                        .get(*i)
                        .and_then(Option::as_ref)
                        .is_some_and(|p| p.measure == unit.dimension)
                };
                let any_measured = if scope.is_empty() {
                    (0..self.product_defs.len()).any(|i| measured(&i))
                } else {
                    scope.iter().any(measured)
                };
                if !any_measured {
                    self.push(diagnostics::limit_not_enforced(
                        &l.display_name(),
                        whole_span,
                        &format!(
                            "no product it applies to is measured in {}",
                            unit.dimension.describe()
                        ),
                    ));
                    return Some(LimitKind::Informational);
                }
                LimitKind::PerEvent {
                    dimension: unit.dimension,
                    bound: bound(base),
                }
            }
            (Value::Number(_), None) => {
                self.push(diagnostics::limit_not_enforced(
                    &l.display_name(),
                    whole_span,
                    "a bare number compares no quantity, dimension or declared attribute",
                ));
                return Some(LimitKind::Informational);
            }
        };
        let b = match &kind {
            LimitKind::PerEvent { bound, .. } | LimitKind::Attribute { bound, .. } => *bound,
            _ => return Some(kind),
        };
        if b.is_empty() {
            self.push(diagnostics::limit_allows_nothing(whole_span));
            return None;
        }
        // A cap of zero or less refuses every event: that is `deny`.
        if b.lo.is_none() && b.hi.is_some_and(|h| h.value <= Decimal::ZERO) {
            self.push(diagnostics::limit_not_positive(value_span));
            return None;
        }
        Some(kind)
    }

    pub(super) fn window(&mut self, w: &Name) -> Option<String> {
        match w.node.as_str() {
            "day" | "month" | "hour" => Some(w.node.clone()),
            _ => {
                self.unknown(
                    "limit window",
                    w,
                    &["day".into(), "month".into(), "hour".into()],
                    "write `per day`, `per hour` or `per month`",
                );
                None
            }
        }
    }

    /// The attributes pass: each `attribute` declaration, by its name as people write it.
    pub(super) fn attributes(&mut self) {
        let book = self.book;
        for item in &book.items {
            let Item::Attribute(a) = &item.node else {
                continue;
            };
            let name = a.display_name();
            let key = name_key(&name);
            if let Some(&prev) = self.attr_names.keys.get(&key) {
                let prev_span = self.attr_names.spans[prev];
                self.push(diagnostics::defined_twice(
                    "attribute",
                    &name,
                    item.span,
                    prev_span,
                ));
                continue;
            }
            let at = self.attributes.len();
            self.attr_names.keys.insert(key, at);
            self.attr_names.index.insert(name.clone(), at);
            self.attr_names.spans.push(item.span);
            self.attr_names.list.push(name.clone());
            self.attributes.push(name);
        }
    }
}
