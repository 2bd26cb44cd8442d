//! The names of one file: where each unit, dimension, dimension value, attribute, product, plan,
//! pack and test is declared, and every place a name refers to one, from the syntax tree.
//!
//! Go to definition, find references, rename, hover, document symbols and semantic tokens all
//! read this index. A reference is resolved the way the checker resolves names (by key: `Sora 2
//! Pro` is `sora-2-pro`; units in the plural or abbreviated), first in the file, then, for a
//! contract, in the book it layers on.
//!
//! When the language gains a statement that names something, its names go in [`walk_item`]
//! (statements it does not know are skipped, so a new one only lacks navigation until then).

use crate::base::names::{name_key, same_key};
use crate::base::span::Span;
use crate::base::units::resolve_unit;
use crate::syntax::ast::*;
use std::collections::HashMap;

/// What a name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Kind {
    /// The vendor of a book, named by a contract's `for`.
    Vendor,
    Unit,
    Dimension,
    /// A value of a dimension (`4K`, `"Digital Twin"`).
    DimValue,
    Attribute,
    Product,
    Plan,
    Pack,
    Test,
}

impl Kind {
    pub(super) fn word(self) -> &'static str {
        match self {
            Kind::Vendor => "vendor",
            Kind::Unit => "unit",
            Kind::Dimension => "dimension",
            Kind::DimValue => "dimension value",
            Kind::Attribute => "attribute",
            Kind::Product => "product",
            Kind::Plan => "plan",
            Kind::Pack => "pack",
            Kind::Test => "test",
        }
    }
}

/// A declaration.
#[derive(Debug, Clone)]
pub(super) struct Def {
    pub kind: Kind,
    /// The name as declared (a slug, a unit, a value).
    pub name: String,
    /// The declared name.
    pub span: Span,
    /// The whole declaration (the item, for products, plans, packs and tests).
    pub item: Span,
    /// The display name of a product, plan or pack.
    pub display: Option<String>,
    /// The dimension a value belongs to.
    pub parent: Option<String>,
}

/// A use of a name.
#[derive(Debug, Clone)]
pub(super) struct Ref {
    pub kind: Kind,
    /// As written.
    pub name: String,
    pub span: Span,
    /// For a dimension value, its dimension when the context says which.
    pub parent: Option<String>,
}

/// The expectation of one statement of a worked example.
#[derive(Debug, Clone)]
pub(super) struct Expectation {
    /// The test block's name.
    pub test: String,
    /// The statement (a quote, a capacity, or one `expect` of a bill).
    pub stmt: Span,
    /// The expected value.
    pub expect: Span,
}

/// The names of one file.
#[derive(Debug, Clone, Default)]
pub(super) struct Symbols {
    pub defs: Vec<Def>,
    pub refs: Vec<Ref>,
    pub expectations: Vec<Expectation>,
}

/// Either a declaration or a use, at a position.
#[derive(Debug, Clone, Copy)]
pub(super) enum At<'s> {
    Def(&'s Def),
    Ref(&'s Ref),
}

impl At<'_> {
    pub(super) fn kind(&self) -> Kind {
        match self {
            At::Def(d) => d.kind,
            At::Ref(r) => r.kind,
        }
    }

    pub(super) fn name(&self) -> &str {
        match self {
            At::Def(d) => &d.name,
            At::Ref(r) => &r.name,
        }
    }

    pub(super) fn span(&self) -> Span {
        match self {
            At::Def(d) => d.span,
            At::Ref(r) => r.span,
        }
    }

    #[cfg(test)]
    pub(super) fn parent(&self) -> Option<&str> {
        match self {
            At::Def(d) => d.parent.as_deref(),
            At::Ref(r) => r.parent.as_deref(),
        }
    }
}

impl Symbols {
    /// The index of `book`; `context` is the book a contract layers on (for the dimensions of
    /// its products).
    pub(super) fn build(book: &Book, context: Option<&Book>) -> Symbols {
        let mut dims = Dims::default();
        for b in context.into_iter().chain(std::iter::once(book)) {
            dims.learn(b);
        }
        let mut s = Symbols::default();
        for item in &book.items {
            walk_item(&mut s, &dims, item);
        }
        s
    }

    /// The declaration or use at a byte offset (a name's end counts, so a cursor just after a
    /// word finds it).
    pub(super) fn at(&self, offset: usize) -> Option<At<'_>> {
        let inside = |s: Span| s.start <= offset && offset <= s.end;
        self.refs
            .iter()
            .filter(|r| inside(r.span))
            .min_by_key(|r| r.span.end - r.span.start)
            .map(At::Ref)
            .or_else(|| {
                self.defs
                    .iter()
                    .filter(|d| inside(d.span))
                    .min_by_key(|d| d.span.end - d.span.start)
                    .map(At::Def)
            })
    }

    /// The declaration a name of `kind` refers to, in this file.
    pub(super) fn find(&self, kind: Kind, name: &str, parent: Option<&str>) -> Option<&Def> {
        let of_kind = || self.defs.iter().filter(move |d| d.kind == kind);
        match kind {
            Kind::Unit => {
                let units: Vec<&Def> = of_kind().collect();
                resolve_unit(name, units.iter().map(|d| d.name.as_str()))
                    .ok()
                    .and_then(|i| units.get(i).copied())
            }
            Kind::DimValue => of_kind()
                .filter(|d| match (parent, &d.parent) {
                    (Some(p), Some(q)) => same_key(p, q),
                    _ => true,
                })
                .find(|d| same_key(&d.name, name)),
            Kind::Product | Kind::Plan | Kind::Pack => {
                of_kind().find(|d| d.name == name).or_else(|| {
                    of_kind().find(|d| {
                        same_key(&d.name, name)
                            || d.display.as_deref().is_some_and(|x| same_key(x, name))
                    })
                })
            }
            _ => of_kind().find(|d| same_key(&d.name, name)),
        }
    }

    /// The expectation whose statement holds a byte offset.
    pub(super) fn expectation_at(&self, offset: usize) -> Option<&Expectation> {
        self.expectations
            .iter()
            .find(|e| e.expect.start <= offset && offset <= e.expect.end)
    }
}

/// What the walk needs to know across items: each product's dimensions, in order, and each
/// dimension's values.
#[derive(Default)]
struct Dims {
    product_dims: HashMap<String, Vec<String>>,
    values: HashMap<String, Vec<String>>,
}

impl Dims {
    fn learn(&mut self, book: &Book) {
        for item in &book.items {
            match &item.node {
                Item::Product(p) => {
                    let dims = p
                        .body
                        .iter()
                        .find_map(|s| match &s.node {
                            ProductStmt::Dims(d) => {
                                Some(d.iter().map(|n| n.node.clone()).collect())
                            }
                            _ => None,
                        })
                        .unwrap_or_default();
                    self.product_dims.insert(name_key(&p.slug.node), dims);
                }
                Item::Dimension(d) => {
                    self.values.insert(
                        name_key(&d.name.node),
                        d.values.iter().map(|v| v.node.clone()).collect(),
                    );
                }
                _ => {}
            }
        }
    }

    /// The dimensions of a product, by slug.
    fn of(&self, product: &str) -> &[String] {
        self.product_dims
            .get(&name_key(product))
            .map_or(&[], Vec::as_slice)
    }

    /// Which of a product's dimensions holds a value.
    fn holding(&self, product: &str, value: &str) -> Option<String> {
        self.of(product)
            .iter()
            .find(|d| {
                self.values
                    .get(&name_key(d))
                    .is_some_and(|vs| vs.iter().any(|v| same_key(v, value)))
            })
            .cloned()
    }
}

impl Symbols {
    fn def(&mut self, kind: Kind, name: &Name, item: Span) {
        self.defs.push(Def {
            kind,
            name: name.node.clone(),
            span: name.span,
            item,
            display: None,
            parent: None,
        });
    }

    fn named(&mut self, kind: Kind, name: &Name) {
        self.refs.push(Ref {
            kind,
            name: name.node.clone(),
            span: name.span,
            parent: None,
        });
    }

    fn unit(&mut self, name: &Name) {
        self.named(Kind::Unit, name);
    }

    fn quantity(&mut self, q: &Quantity) {
        self.unit(&q.unit);
    }

    fn rate(&mut self, r: &Rate) {
        self.quantity(&r.amount);
        self.unit(&r.per_unit);
    }

    fn price(&mut self, p: &PriceExpr) {
        self.quantity(&p.amount);
        if let Some((_, u)) = &p.per {
            self.unit(u);
        }
    }

    fn expiry(&mut self, e: &[Spanned<Expiry>]) {
        for x in e {
            if let Expiry::After(q) = &x.node {
                self.quantity(q);
            }
        }
    }

    fn grant(&mut self, g: &Grant) {
        self.quantity(&g.amount);
        if let Some(c) = &g.cadence {
            if let Cadence::Every(u) = &c.node {
                self.unit(u);
            }
        }
        self.expiry(&g.expiry);
    }

    fn value(&mut self, value: &Spanned<String>, parent: Option<String>) {
        self.refs.push(Ref {
            kind: Kind::DimValue,
            name: value.node.clone(),
            span: value.span,
            parent,
        });
    }

    fn dim_args(&mut self, dims: &Dims, product: &str, args: &[Spanned<DimArg>]) {
        for a in args {
            let parent = match &a.node.dimension {
                Some(d) => {
                    self.named(Kind::Dimension, d);
                    Some(d.node.clone())
                }
                None => dims.holding(product, &a.node.value.node),
            };
            self.value(&a.node.value, parent);
        }
    }

    fn target(&mut self, t: &Target) {
        if let Some(p) = &t.plan {
            self.named(Kind::Plan, p);
        }
        self.named(Kind::Product, &t.product);
    }
}

/// Records the names an item declares and uses.
fn walk_item(s: &mut Symbols, dims: &Dims, item: &Spanned<Item>) {
    let span = item.span;
    match &item.node {
        Item::Header(h) => {
            s.def(Kind::Vendor, &h.vendor, span);
            s.unit(&h.currency);
        }
        Item::Contract(c) => s.named(Kind::Vendor, &c.vendor),
        Item::Unit(u) => {
            s.def(Kind::Unit, &u.name, span);
            if let Some(q) = &u.equals {
                s.quantity(q);
            }
        }
        Item::Dimension(d) => {
            s.def(Kind::Dimension, &d.name, span);
            for v in &d.values {
                s.defs.push(Def {
                    kind: Kind::DimValue,
                    name: v.node.clone(),
                    span: v.span,
                    item: v.span,
                    display: None,
                    parent: Some(d.name.node.clone()),
                });
            }
        }
        Item::Attribute(a) => {
            if let (Some(first), Some(last)) = (a.name.first(), a.name.last()) {
                s.defs.push(Def {
                    kind: Kind::Attribute,
                    name: a.display_name(),
                    span: Span::new(first.span.start, last.span.end),
                    item: span,
                    display: None,
                    parent: None,
                });
            }
        }
        Item::Product(p) => {
            s.def(Kind::Product, &p.slug, span);
            if let Some(d) = s.defs.last_mut() {
                d.display = Some(p.display.node.clone());
            }
            let product_dims = dims.of(&p.slug.node).to_vec();
            for stmt in &p.body {
                match &stmt.node {
                    ProductStmt::Measure(m)
                        if !crate::base::units::MEASURES.contains(&m.node.as_str()) =>
                    {
                        s.unit(m);
                    }
                    ProductStmt::Rate { key, rate } => {
                        for (i, vs) in key.iter().enumerate() {
                            for v in vs {
                                s.value(v, product_dims.get(i).cloned());
                            }
                        }
                        if let Some(r) = rate {
                            s.rate(r);
                        }
                    }
                    ProductStmt::Tiers { tiers, .. } => {
                        for t in tiers {
                            s.quantity(&t.node.from);
                            if let Some(to) = &t.node.to {
                                s.quantity(to);
                            }
                            s.rate(&t.node.rate);
                        }
                    }
                    ProductStmt::Flat { amount, per } => {
                        s.quantity(amount);
                        if let Some(u) = per {
                            s.unit(u);
                        }
                    }
                    ProductStmt::Round { to, .. } => s.quantity(to),
                    ProductStmt::Min(q)
                    | ProductStmt::Max(q)
                    | ProductStmt::Bill { amount: q, .. } => s.quantity(q),
                    ProductStmt::Dims(names) => {
                        for n in names {
                            s.named(Kind::Dimension, n);
                        }
                    }
                    _ => {}
                }
            }
        }
        Item::Plan(p) => {
            s.def(Kind::Plan, &p.slug, span);
            if let Some(d) = s.defs.last_mut() {
                d.display = Some(p.display.node.clone());
            }
            if let Some(b) = &p.based_on {
                s.named(Kind::Plan, b);
            }
            for stmt in &p.body {
                walk_plan_stmt(s, &stmt.node);
            }
        }
        Item::Pack(p) => {
            s.def(Kind::Pack, &p.slug, span);
            if let Some(d) = s.defs.last_mut() {
                d.display = Some(p.display.node.clone());
            }
            for stmt in &p.body {
                match &stmt.node {
                    PackStmt::Price { price, minimum } => {
                        if let Price::Amount(e) = &price.node {
                            s.price(e);
                        }
                        if let Some(m) = minimum {
                            s.price(m);
                        }
                    }
                    PackStmt::Grant(g) => s.grant(g),
                    PackStmt::For(plans) => {
                        for n in plans {
                            s.named(Kind::Plan, n);
                        }
                    }
                    _ => {}
                }
            }
        }
        Item::Billing(b) => {
            for stmt in &b.body {
                if let BillingStmt::FrontLoad(q) = &stmt.node {
                    s.quantity(q);
                }
            }
        }
        Item::Recharge(r) => {
            for stmt in &r.body {
                match &stmt.node {
                    RechargeStmt::Below(q) | RechargeStmt::RefillTo(q) => s.quantity(q),
                    RechargeStmt::Cap { amount, per } => {
                        s.quantity(amount);
                        if let Some(u) = per {
                            s.unit(u);
                        }
                    }
                    RechargeStmt::Minimum { amount, .. } => s.quantity(amount),
                    RechargeStmt::Price { price, minimum } => {
                        if let Price::Amount(e) = &price.node {
                            s.price(e);
                        }
                        if let Some(m) = minimum {
                            s.price(m);
                        }
                    }
                    _ => {}
                }
            }
        }
        Item::Floor(r) => s.rate(r),
        Item::Test(t) => walk_test(s, dims, t, span),
        _ => {}
    }
}

fn walk_plan_stmt(s: &mut Symbols, stmt: &PlanStmt) {
    match stmt {
        PlanStmt::Price { price, minimum } => {
            if let Price::Amount(e) = &price.node {
                s.price(e);
            }
            if let Some(m) = minimum {
                s.price(m);
            }
        }
        PlanStmt::Grant(g) => s.grant(g),
        PlanStmt::Products(Some(names)) | PlanStmt::Deny(names) => {
            for n in names {
                s.named(Kind::Product, n);
            }
        }
        PlanStmt::Limit(l) => {
            for v in std::iter::once(&l.value).chain(&l.upper) {
                match &v.node {
                    LimitValue::Quantity(q) => s.quantity(q),
                    LimitValue::DimValue(d) => s.value(d, None),
                    LimitValue::Number(_) => {}
                }
            }
            if let Some(w) = &l.window {
                s.unit(w);
            }
            for n in &l.scope {
                s.named(Kind::Product, n);
            }
        }
        PlanStmt::Allowance(a) => {
            s.quantity(&a.amount);
            s.unit(&a.window);
            for n in &a.scope {
                s.named(Kind::Product, n);
            }
            if let Some(b) = &a.beyond {
                if let Beyond::Overage(r) = &b.node {
                    s.rate(r);
                }
            }
        }
        PlanStmt::TopUp(t) => {
            s.unit(&t.currency);
            for q in t.minimum.iter().chain(&t.maximum) {
                s.quantity(q);
            }
            s.expiry(&t.expiry);
        }
        PlanStmt::Feature { value, .. } => {
            if let FeatureValue::Quantity(q) = &value.node {
                s.quantity(q);
            }
        }
        PlanStmt::WhenEmpty(rule) => {
            if let EmptyRule::Overage(Some(r)) = &rule.node {
                s.rate(r);
            }
        }
        PlanStmt::Commit { amount, per } => {
            s.quantity(amount);
            s.unit(per);
        }
        PlanStmt::Includes { amount, at } => {
            s.quantity(amount);
            if let Some(r) = at {
                s.rate(r);
            }
        }
        PlanStmt::Overage(r) => s.rate(r),
        PlanStmt::RateOverride { product, rate } => {
            s.named(Kind::Product, product);
            s.rate(rate);
        }
        _ => {}
    }
}

fn walk_test(s: &mut Symbols, dims: &Dims, t: &TestBlock, span: Span) {
    s.defs.push(Def {
        kind: Kind::Test,
        name: t.name.node.clone(),
        span: t.name.span,
        item: span,
        display: None,
        parent: None,
    });
    let test = t.name.node.clone();
    for stmt in &t.body {
        match &stmt.node {
            TestStmt::Quote {
                target,
                dims: args,
                attrs,
                used,
                quantity,
                expect,
                ..
            } => {
                s.target(target);
                s.dim_args(dims, &target.product.node, args);
                for a in attrs {
                    if let AttrValue::Quantity(q) = &a.node.value {
                        s.quantity(q);
                    }
                }
                if let Some(u) = used {
                    s.quantity(u);
                }
                s.quantity(quantity);
                if let QuoteExpect::Charge { charge, money } = &expect.node {
                    s.quantity(charge);
                    if let Some(m) = money {
                        s.quantity(m);
                    }
                }
                s.expectations.push(Expectation {
                    test: test.clone(),
                    stmt: stmt.span,
                    expect: expect.span,
                });
            }
            TestStmt::Capacity {
                target,
                dims: args,
                expect,
                ..
            } => {
                s.target(target);
                s.dim_args(dims, &target.product.node, args);
                s.quantity(expect);
                s.expectations.push(Expectation {
                    test: test.clone(),
                    stmt: stmt.span,
                    expect: Span::new(expect.value.span.start, expect.unit.span.end),
                });
            }
            TestStmt::Bill {
                plan,
                options,
                body,
            } => {
                if let Some(p) = plan {
                    s.named(Kind::Plan, p);
                }
                for o in options {
                    if let BillOption::Recharge { below, to, cap } = &o.node {
                        s.quantity(below);
                        s.quantity(to);
                        if let Some(c) = cap {
                            s.quantity(c);
                        }
                    }
                }
                for e in body {
                    match &e.node {
                        BillStmt::Use {
                            product,
                            dims: args,
                            quantity,
                            ..
                        } => {
                            s.named(Kind::Product, product);
                            s.dim_args(dims, &product.node, args);
                            s.quantity(quantity);
                        }
                        BillStmt::Buy { pack, .. } => s.named(Kind::Pack, pack),
                        BillStmt::TopUp { amount, .. } => s.quantity(amount),
                        BillStmt::ChangePlan { plan, .. } => s.named(Kind::Plan, plan),
                        BillStmt::Expect { value, .. } => {
                            let expect = match value {
                                ExpectValue::Quantity(q) => {
                                    s.quantity(q);
                                    Span::new(q.value.span.start, q.unit.span.end)
                                }
                                ExpectValue::Number(n) => n.span,
                            };
                            s.expectations.push(Expectation {
                                test: test.clone(),
                                stmt: e.span,
                                expect,
                            });
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOK: &str = r#"pricebook acme version "1" effective 2026-01-01 currency USD
unit credit
dimension resolution { 720p, 4K }
product "Render" as render {
  measure time
  dims resolution
  rate 720p = 2 credit / second
  rate 4K = 5 credit / second
}
plan "Pro" as pro {
  price 20 USD / month
  grant 1000 credit every month, expires at cycle end
}
test "t" {
  quote plan pro product Render dim 4K quantity 2 minutes == 600 credits
}
"#;

    #[test]
    fn uses_resolve_to_their_declarations_as_the_checker_reads_names() {
        let parsed = crate::syntax::parse(BOOK);
        assert!(parsed.diagnostics.is_empty());
        let s = Symbols::build(&parsed.book, None);
        let at = |needle: &str, nth: usize| {
            let i = BOOK
                .match_indices(needle)
                .nth(nth)
                .map(|(i, _)| i)
                .unwrap_or(0);
            s.at(i + 1).map(|a| {
                (
                    a.kind(),
                    a.name().to_string(),
                    a.parent().map(str::to_string),
                )
            })
        };
        assert_eq!(
            at("Render dim", 0),
            Some((Kind::Product, "Render".into(), None))
        );
        assert_eq!(
            at("4K quantity", 0),
            Some((Kind::DimValue, "4K".into(), Some("resolution".into())))
        );
        assert_eq!(at("credits", 0).map(|a| a.0), Some(Kind::Unit));
        let r = s.refs.iter().find(|r| r.name == "credits").expect("a use");
        let d = s.find(r.kind, &r.name, None).expect("declared");
        assert_eq!(d.name, "credit");
        let render = s.refs.iter().find(|r| r.name == "Render").expect("a use");
        assert_eq!(
            s.find(Kind::Product, &render.name, None)
                .map(|d| d.name.as_str()),
            Some("render")
        );
        assert_eq!(s.expectations.len(), 1);
        // The built-in `minutes` has no declaration in the book.
        assert!(s.find(Kind::Unit, "minutes", None).is_none());
    }
}
