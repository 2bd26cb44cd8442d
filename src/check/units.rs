//! The units pass: declared units and conversions, and how every later pass reads a quantity (its unit as people write it, its base-unit value, its dimension).

use super::prelude::*;

impl Cx<'_> {
    pub(super) fn units(&mut self) {
        let book = self.book;
        let decls: Vec<&UnitDecl> = book
            .items
            .iter()
            .filter_map(|i| match &i.node {
                Item::Unit(u) => Some(u),
                _ => None,
            })
            .collect();
        let mut declared: HashMap<String, &UnitDecl> = HashMap::new();
        for u in &decls {
            if let Some(b) = self.units.get(&u.name.node) {
                // `unit clip divisible`: a built-in count may be declared fractional.
                if !b.declared && u.equals.is_none() && u.divisible.is_some() && !b.divisible {
                    let dim = b.dimension.clone();
                    for x in self.units.units.iter_mut().filter(|x| x.dimension == dim) {
                        x.divisible = true;
                    }
                    continue;
                }
                if !b.declared {
                    self.push(diagnostics::builtin_unit_declared(
                        &u.name.node,
                        u.name.span,
                    ));
                    continue;
                }
            }
            if let Some(prev) = declared.get(&u.name.node) {
                let prev = prev.name.span;
                self.push(diagnostics::unit_declared_twice(
                    &u.name.node,
                    u.name.span,
                    prev,
                ));
                continue;
            }
            let key = name_key(&u.name.node);
            let clash = self
                .units
                .units
                .iter()
                .map(|x| (x.name.as_str(), None))
                .chain(
                    declared
                        .values()
                        .map(|d| (d.name.node.as_str(), Some(d.name.span))),
                )
                .find(|(n, _)| name_key(n) == key);
            if let Some((other, at)) = clash {
                let d = diagnostics::unit_read_as_another(&u.name.node, u.name.span, other, at);
                self.push(d);
                continue;
            }
            if let (Some(q), Some(div)) = (&u.equals, &u.divisible) {
                self.push(diagnostics::derived_unit_divisible(
                    &u.name.node,
                    &q.unit.node,
                    div.span,
                ));
            }
            declared.insert(u.name.node.clone(), u);
        }
        // Resolve in dependency order; what is left unresolved after no progress is a cycle.
        let mut pending: Vec<&UnitDecl> = decls
            .iter()
            .copied()
            .filter(|u| {
                declared
                    .get(&u.name.node)
                    .is_some_and(|d| std::ptr::eq(*d, *u))
            })
            .collect();
        loop {
            let before = pending.len();
            let mut still = Vec::new();
            for u in pending {
                match &u.equals {
                    None => self.units.units.push(Unit {
                        name: u.name.node.clone(),
                        dimension: Dimension::Count(u.name.node.clone()),
                        factor: Decimal::ONE,
                        declared: true,
                        divisible: u.divisible.is_some(),
                    }),
                    Some(q) => {
                        if let Some(target) = self.units.resolve(&q.unit.node).ok().cloned() {
                            if q.value.node <= Decimal::ZERO {
                                self.push(diagnostics::conversion_not_positive(
                                    &u.name.node,
                                    &q.unit.node,
                                    q.value.span,
                                ));
                                continue;
                            }
                            match q.value.node.checked_mul(target.factor) {
                                Some(factor) => self.units.units.push(Unit {
                                    name: u.name.node.clone(),
                                    dimension: target.dimension.clone(),
                                    factor,
                                    declared: true,
                                    divisible: target.divisible,
                                }),
                                None => self.overflow(q.value.span, "unit conversion"),
                            }
                        } else if declared.contains_key(&q.unit.node) {
                            still.push(u);
                        } else {
                            let names: Vec<String> = self
                                .units
                                .names()
                                .map(String::from)
                                .chain(declared.keys().cloned())
                                .collect();
                            self.unknown("unit", &q.unit, &names, "declare it with `unit <name>`");
                        }
                    }
                }
            }
            pending = still;
            if pending.is_empty() || pending.len() == before {
                break;
            }
        }
        // What is left depends on a cycle. Report each cycle once, labelling its members; units
        // that merely depend on a cycle resolve once it is fixed.
        let next: HashMap<&str, &str> = pending
            .iter()
            .filter_map(|u| {
                u.equals
                    .as_ref()
                    .map(|q| (u.name.node.as_str(), q.unit.node.as_str()))
            })
            .collect();
        let mut reported: HashSet<&str> = HashSet::new();
        for u in &pending {
            let mut path: Vec<&str> = vec![u.name.node.as_str()];
            let mut at = u.name.node.as_str();
            while let Some(n) = next.get(at) {
                if let Some(pos) = path.iter().position(|p| p == n) {
                    let members: Vec<&str> = path[pos..].to_vec();
                    if members.iter().any(|m| reported.contains(m)) {
                        break;
                    }
                    reported.extend(members.iter().copied());
                    let through: Vec<(Span, &str)> = members
                        .iter()
                        .filter_map(|m| declared.get(*m))
                        .map(|decl| {
                            let target = decl
                                .equals
                                .as_ref()
                                .map(|q| q.unit.node.as_str())
                                .unwrap_or("");
                            (decl.name.span, target)
                        })
                        .collect();
                    self.push(diagnostics::conversion_cycle(&members, &through));
                    break;
                }
                path.push(n);
                at = n;
            }
        }
    }

    pub(super) fn overflow(&mut self, span: Span, what: &str) {
        self.push(diagnostics::overflow(what, span));
    }

    /// `self.units.get(name)`, through the index once it is built.
    /// The unit a written name means: exactly, else as people write units (`minutes`, `min`).
    pub(super) fn unit_get(&self, name: &str) -> Option<&Unit> {
        let exact = if self.unit_index.is_empty() {
            self.units.get(name)
        } else {
            self.unit_index
                .get(name)
                .and_then(|&i| self.units.units.get(i))
        };
        exact.or_else(|| self.units.resolve(name).ok())
    }

    /// Reports a unit name that names no unit, with help from this book's own units.
    pub(super) fn unknown_unit(&mut self, name: &Name) {
        let suggestion = did_you_mean(&name.node, self.units.names());
        let own: Vec<&str> = self
            .units
            .units
            .iter()
            .filter(|u| u.declared || Some(&u.name) == self.currency.as_ref())
            .map(|u| u.name.as_str())
            .collect();
        let d = diagnostics::unknown_unit(&name.node, name.span, suggestion, &own);
        self.push(d);
    }

    /// Whether `name` is a known unit; reports it if not.
    pub(super) fn unit_known(&mut self, name: &Name) -> bool {
        self.unit_known_at(name).is_some()
    }

    /// Where the unit `name` means is in `units`, as [`Self::unit_get`] finds it; reports it
    /// if there is none. For a caller that reads the unit after reporting (looking it up once).
    pub(super) fn unit_known_at(&mut self, name: &Name) -> Option<usize> {
        let found = self.unit_at(&name.node);
        if found.is_none() && !name.node.is_empty() {
            self.unknown_unit(name);
        }
        found
    }

    /// [`Self::unit_get`]'s unit, by its position in `units`.
    fn unit_at(&self, name: &str) -> Option<usize> {
        let exact = if self.unit_index.is_empty() {
            self.units.units.iter().position(|u| u.name == name)
        } else {
            self.unit_index.get(name).copied()
        };
        exact.or_else(|| {
            units::resolve_unit(name, self.units.units.iter().map(|u| u.name.as_str())).ok()
        })
    }

    pub(super) fn unit(&mut self, name: &Name) -> Option<Unit> {
        let found = self.unit_get(&name.node).cloned();
        if found.is_none() && !name.node.is_empty() {
            self.unknown_unit(name);
        }
        found
    }

    /// A quantity in base units of its dimension.
    pub(super) fn quantity(&mut self, q: &Quantity) -> Option<(Decimal, Unit)> {
        let unit = self.unit(&q.unit)?;
        match q.value.node.checked_mul(unit.factor) {
            Some(v) => Some((v, unit)),
            None => {
                self.overflow(q.value.span, "this quantity");
                None
            }
        }
    }

    /// A quantity that must be in `dim`.
    pub(super) fn quantity_in(
        &mut self,
        q: &Quantity,
        dim: &Dimension,
        role: &str,
    ) -> Option<Decimal> {
        // As `self.quantity(q)`, without cloning the unit.
        if !self.unit_known(&q.unit) {
            return None;
        }
        let unit = self.unit_get(&q.unit.node)?;
        let Some(v) = q.value.node.checked_mul(unit.factor) else {
            self.overflow(q.value.span, "this quantity");
            return None;
        };
        if &unit.dimension != dim {
            let d = diagnostics::quantity_in_wrong_dimension(
                role,
                &unit.name,
                &unit.dimension.describe(),
                &dim.describe(),
                q.unit.span,
            );
            self.push(d);
            return None;
        }
        Some(v)
    }

    pub(super) fn positive(&mut self, n: &Number, what: &str) -> bool {
        if n.node <= Decimal::ZERO {
            self.push(diagnostics::not_positive(what, n.node.is_zero(), n.span));
            return false;
        }
        true
    }

    /// `self.units.measure(name)`, through the index.
    pub(super) fn measure(&self, name: &str) -> Option<Dimension> {
        match name {
            "time" | "text" | "area" => self.units.measure(name),
            _ => self.unit_get(name).map(|u| u.dimension.clone()),
        }
    }
}
