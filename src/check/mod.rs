//! The checker: AST -> [`Model`] plus every diagnostic of the file.
//!
//! Passes run in order (header, names, units, dimensions, products, plans, packs, book-level
//! rules, cross-item rules, worked examples, `allow`s). Each pass reports what it finds and keeps
//! going with what it could resolve, so one mistake does not hide another; a name that failed to
//! resolve is simply skipped by later passes instead of producing follow-on errors.

mod examples;
mod inherit;

use crate::base::date::Date;
use crate::base::names::{did_you_mean, name_key, same_key};
use crate::base::units::{self, Dimension, Unit, UnitTable, currency_digits};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::model::*;
use crate::syntax::ast::*;
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};

/// The result of checking one book.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The model, when the book had no errors.
    pub model: Option<Model>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses and checks source text: syntax and semantic diagnostics together.
///
/// ```
/// let checked = pricebook::check::check_source(
///     "pricebook acme version \"1\" effective 2026-01-01 currency USD\n\
///      product \"Calls\" as calls { measure call  rate 0.01 USD / call }\n\
///      plan \"Free\" as free { price 0 USD / month  when empty overage }",
/// );
/// assert!(checked.has_errors()); // `when empty overage` needs an overage rate
/// ```
pub fn check_source(text: &str) -> Checked {
    let parsed = crate::syntax::parse(text);
    let mut checked = check_parsed(&parsed.book, &parsed.diagnostics);
    let mut diagnostics = parsed.diagnostics;
    diagnostics.append(&mut checked.diagnostics);
    Checked {
        model: checked.model,
        diagnostics,
    }
}

/// Checks a parsed book.
pub fn check(book: &Book) -> Checked {
    check_parsed(book, &[])
}

/// Checks a book given the syntax diagnostics its parse produced; findings that only follow
/// from a syntax error are dropped.
///
/// The model is built when no error lies outside the book's worked examples: a mistake in one
/// `test` block (an unknown plan, a bad date) fails that example, and the rest still run.
pub fn check_parsed(book: &Book, syntax: &[Diagnostic]) -> Checked {
    let mut cx = Cx::new(book);
    cx.run();
    let Cx {
        mut diags,
        model,
        allows,
        ..
    } = cx;
    drop_follow_ons(book, syntax, &mut diags);
    apply_allows(&mut diags, &allows);
    sort_diagnostics(&mut diags);
    let tests: Vec<Span> = book
        .items
        .iter()
        .filter(|i| matches!(i.node, Item::Test(_)))
        .map(|i| i.span)
        .collect();
    let in_tests = |d: &Diagnostic| {
        d.span()
            .is_some_and(|s| tests.iter().any(|t| t.start <= s.start && s.start < t.end))
    };
    let blocking = syntax
        .iter()
        .chain(&diags)
        .any(|d| d.is_error() && !in_tests(d));
    Checked {
        model: if blocking { None } else { model },
        diagnostics: diags,
    }
}

fn stmt_errors(item: &Item) -> bool {
    match item {
        Item::Product(p) => p.body.iter().any(|s| match &s.node {
            ProductStmt::Error(_) => true,
            // A broken tier leaves the tiers block short; count it as broken too.
            _ => false,
        }),
        Item::Plan(p) => p.body.iter().any(|s| matches!(s.node, PlanStmt::Error(_))),
        Item::Pack(p) => p.body.iter().any(|s| matches!(s.node, PackStmt::Error(_))),
        Item::Test(t) => t.body.iter().any(|s| matches!(s.node, TestStmt::Error(_))),
        Item::Billing(b) => b
            .body
            .iter()
            .any(|s| matches!(s.node, BillingStmt::Error(_))),
        Item::Recharge(r) => r
            .body
            .iter()
            .any(|s| matches!(s.node, RechargeStmt::Error(_))),
        Item::Error(_) => true,
        _ => false,
    }
}

/// Drops findings that only follow from text the parser could not read: a statement lost to a
/// syntax error inside an item makes "missing statement" or "no expiry" findings about that item
/// meaningless; a number that could not be represented is not also "zero"; a name declared in an
/// unreadable item is not also "unknown".
fn drop_follow_ons(book: &Book, syntax: &[Diagnostic], diags: &mut Vec<Diagnostic>) {
    if diags.is_empty() {
        // Nothing to drop; spare a walk over every statement of a large book.
        return;
    }
    let broken: Vec<Span> = book
        .items
        .iter()
        .filter(|i| stmt_errors(&i.node))
        .map(|i| i.span)
        .collect();
    let lost_names: HashSet<String> = book
        .items
        .iter()
        .filter_map(|i| match &i.node {
            Item::Error(text) => {
                let mut words = text.split_whitespace();
                words
                    .position(|w| w == "as")
                    .and_then(|_| words.next())
                    .map(|w| w.trim_end_matches('{').to_string())
            }
            _ => None,
        })
        .collect();
    let bad_numbers: Vec<Span> = syntax
        .iter()
        .filter(|d| d.code == Code::NumberRange)
        .filter_map(|d| d.span())
        .collect();
    let inside = |s: Span, outer: &Span| outer.start <= s.start && s.start <= outer.end;
    diags.retain(|d| {
        let Some(at) = d.span() else { return true };
        let follow_on = match d.code {
            Code::MissingStatement | Code::GrantWithoutExpiry => {
                broken.iter().any(|b| inside(at, b))
            }
            Code::NonPositivePrice | Code::InvalidValue => bad_numbers.contains(&at),
            Code::UnknownReference => d.labels.first().is_some_and(|_| {
                let name = d.message.rsplit('`').nth(1).unwrap_or("");
                lost_names.contains(name)
            }),
            _ => false,
        };
        !follow_on
    });
}

/// Orders diagnostics by position, so reports read top to bottom.
pub fn sort_diagnostics(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| (d.span().map(|s| s.start).unwrap_or(0), d.code));
}

/// An `allow` in force: the code it silences and the range it covers.
struct AllowScope {
    code: Option<Code>,
    name: Name,
    range: Span,
    used: bool,
}

fn apply_allows(diags: &mut Vec<Diagnostic>, allows: &[AllowScope]) {
    let mut allows: Vec<AllowScope> = allows
        .iter()
        .map(|a| AllowScope {
            code: a.code,
            name: a.name.clone(),
            range: a.range,
            used: false,
        })
        .collect();
    diags.retain(|d| {
        if d.severity != Severity::Warning {
            return true;
        }
        let at = d.span().map(|s| s.start).unwrap_or(0);
        // Every label inside the allow's range counts: `identical-plans` points at two plans.
        let inside = |a: &AllowScope| {
            (a.range.start <= at && at < a.range.end)
                || d.labels
                    .iter()
                    .any(|l| a.range.start <= l.span.start && l.span.start < a.range.end)
        };
        for a in allows.iter_mut() {
            if a.code == Some(d.code) && inside(a) {
                a.used = true;
                return false;
            }
        }
        true
    });
    for a in allows {
        match a.code {
            Some(code) if code.severity() == Severity::Error => diags.push(
                Diagnostic::new(
                    Code::UselessAllow,
                    format!("`{code}` is an error and cannot be allowed"),
                )
                .label(a.name.span, "errors must be fixed")
                .help("only warnings can be allowed; fix what the error reports"),
            ),
            Some(code) if !a.used => diags.push(
                Diagnostic::new(Code::UselessAllow, format!("nothing here raises `{code}`"))
                    .label(a.name.span, "this allow silences nothing")
                    .help("remove the `allow`, or move it into the item that raises the warning"),
            ),
            _ => {}
        }
    }
}

/// Statements seen in one block, by keyword, with where each was first given: a handful per
/// block, so a list beats hashing.
#[derive(Default)]
struct Seen(Vec<(&'static str, Span)>);

impl Seen {
    fn get(&self, key: &str) -> Option<&Span> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, s)| s)
    }
    fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
    /// Records `key`; callers only insert keys they have not seen.
    fn insert(&mut self, key: &'static str, span: Span) {
        self.0.push((key, span));
    }
}

/// Names that live in one namespace, with where each was defined.
#[derive(Default)]
struct Names {
    /// Slug -> the first definition's position.
    index: HashMap<String, usize>,
    /// Key of a slug or display name -> the definition it names (see `base::names`).
    keys: HashMap<String, usize>,
    spans: Vec<Span>,
    /// Slugs in definition order (empty for a duplicate).
    list: Vec<String>,
    /// Display names in definition order.
    displays: Vec<String>,
}

impl Names {
    /// The definition a slug names exactly.
    fn get(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The definition a written name means: its slug, else its slug or display name as people
    /// write them (`Sora 2 pro`).
    fn resolve(&self, written: &str) -> Option<usize> {
        self.get(written)
            .or_else(|| self.keys.get(&name_key(written)).copied())
    }
}

struct Cx<'b> {
    book: &'b Book,
    diags: Vec<Diagnostic>,
    units: UnitTable,
    /// Where each unit name is in `units` (its first entry), once `units` is complete.
    unit_index: HashMap<String, usize>,
    currency: Option<String>,
    /// The header's effective date, when it is a real date.
    effective: Option<Date>,
    dimensions: Vec<DimensionDef>,
    dim_names: Names,
    products: Names,
    plans: Names,
    packs: Names,
    product_defs: Vec<Option<ProductDef>>,
    plan_defs: Vec<Option<PlanDef>>,
    /// Which products each plan offers, by product index, for every plan (checked or not).
    plan_available: Vec<Vec<bool>>,
    pack_defs: Vec<PackDef>,
    /// A book with a wallet: some plan or pack grants a non-money unit.
    wallet_units: HashSet<String>,
    allows: Vec<AllowScope>,
    floor: Option<RateDef>,
    model: Option<Model>,
    is_contract: bool,
}

impl<'b> Cx<'b> {
    fn new(book: &'b Book) -> Self {
        Cx {
            book,
            diags: Vec::new(),
            units: UnitTable::with_builtins(),
            unit_index: HashMap::new(),
            currency: None,
            effective: None,
            dimensions: Vec::new(),
            dim_names: Names::default(),
            products: Names::default(),
            plans: Names::default(),
            packs: Names::default(),
            product_defs: Vec::new(),
            plan_defs: Vec::new(),
            plan_available: Vec::new(),
            pack_defs: Vec::new(),
            wallet_units: HashSet::new(),
            allows: Vec::new(),
            floor: None,
            model: None,
            is_contract: false,
        }
    }

    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn run(&mut self) {
        let header = self.header();
        self.names();
        self.units();
        for (i, u) in self.units.units.iter().enumerate() {
            self.unit_index.entry(u.name.clone()).or_insert(i);
        }
        self.dimensions();
        self.wallet_units();
        self.floor();
        let book = self.book;
        for item in &book.items {
            if let Item::Product(p) = &item.node {
                // A duplicate was reported by `names`; checking it again would only add noise.
                let first = self
                    .products
                    .spans
                    .get(self.product_defs.len())
                    .is_some_and(|s| *s == p.slug.span)
                    && self.products.get(&p.slug.node) == Some(self.product_defs.len());
                let def = if first {
                    self.product(p, item.span)
                } else {
                    None
                };
                self.product_defs.push(def);
            }
        }
        for item in &book.items {
            if let Item::Plan(p) = &item.node {
                let def = self.plan(p, item.span);
                self.plan_defs.push(def);
            }
        }
        for item in &book.items {
            if let Item::Pack(p) = &item.node {
                if let Some(def) = self.pack(p, item.span) {
                    self.pack_defs.push(def);
                }
            }
        }
        let front_load = self.billing_blocks();
        let recharge = self.recharge();
        self.cross_checks(recharge.is_some());
        let examples = self.examples();
        self.collect_allows();

        let Some((vendor, version, effective, currency)) = header else {
            return;
        };
        if self.product_defs.iter().any(Option::is_none)
            || self.plan_defs.iter().any(Option::is_none)
        {
            return;
        }
        let model = Model {
            vendor,
            version,
            effective,
            currency,
            is_contract: self.is_contract,
            units: self.units.clone(),
            dimensions: self.dimensions.clone(),
            // Nothing reads the definitions after this point: move them into the model.
            products: std::mem::take(&mut self.product_defs)
                .into_iter()
                .flatten()
                .collect(),
            plans: std::mem::take(&mut self.plan_defs)
                .into_iter()
                .flatten()
                .collect(),
            packs: std::mem::take(&mut self.pack_defs),
            annual_front_load: front_load,
            recharge,
            floor: self.floor.clone(),
            examples,
        };
        self.model = Some(model);
    }

    // --------------------------------------------------------------------------------------------
    // Header

    fn header(&mut self) -> Option<(String, String, Date, String)> {
        let mut found: Option<(Span, (String, String, Date, String))> = None;
        let mut first_span = None;
        let book = self.book;
        for item in &book.items {
            let (vendor, version, effective, currency, span) = match &item.node {
                Item::Header(h) => (
                    h.vendor.node.clone(),
                    h.version.node.clone(),
                    &h.effective,
                    Some(&h.currency),
                    item.span,
                ),
                Item::Contract(c) => {
                    self.is_contract = true;
                    (
                        c.vendor.node.clone(),
                        c.version
                            .as_ref()
                            .map(|v| v.node.clone())
                            .unwrap_or_default(),
                        &c.effective,
                        None,
                        item.span,
                    )
                }
                _ => continue,
            };
            if let Some((prev, _)) = &found {
                let prev = *prev;
                self.push(
                    Diagnostic::new(
                        Code::Header,
                        "a file holds one book, but this is a second header",
                    )
                    .label(span, "second header")
                    .label(prev, "first header")
                    .help("split the versions into separate files, one header each"),
                );
                continue;
            }
            first_span.get_or_insert(span);
            let date = self.date(effective);
            self.effective = date;
            let mut known_currency = true;
            let currency = match currency {
                Some(c) => {
                    if currency_digits(&c.node).is_none() {
                        known_currency = false;
                        let suggestion =
                            did_you_mean(&c.node, units::CURRENCIES.iter().map(|(c, _)| *c));
                        self.push(
                            Diagnostic::new(
                                Code::UnknownReference,
                                format!("unknown currency `{}`", c.node),
                            )
                            .label(c.span, "not an ISO 4217 currency")
                            .help(match suggestion {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => "write an ISO 4217 code such as `USD` or `EUR`".into(),
                            }),
                        );
                    }
                    c.node.clone()
                }
                None => "USD".into(),
            };
            // An unknown currency is reported once; prices are then not compared against it.
            self.currency = known_currency.then(|| currency.clone());
            if let Some(date) = date {
                found = Some((span, (vendor, version, date, currency)));
            }
        }
        if first_span.is_none() {
            let at = book
                .items
                .first()
                .map(|i| Span::new(i.span.start, i.span.start))
                .unwrap_or_default();
            self.push(
                Diagnostic::new(Code::Header, "the book has no `pricebook` header")
                    .label(at, "expected a header before this")
                    .help("start the file with `pricebook <vendor> version \"<label>\" effective <YYYY-MM-DD> currency <ISO code>`"),
            );
        }
        found.map(|(_, h)| h)
    }

    fn date(&mut self, d: &Spanned<String>) -> Option<Date> {
        let parsed = Date::parse(&d.node);
        if parsed.is_none() {
            self.push(
                Diagnostic::new(
                    Code::InvalidDate,
                    format!("`{}` is not a calendar date", d.node),
                )
                .label(d.span, "no such day")
                .help("write a real date as YYYY-MM-DD"),
            );
        }
        parsed
    }

    // --------------------------------------------------------------------------------------------
    // Names

    fn names(&mut self) {
        let book = self.book;
        for item in &book.items {
            let (ns, name, display, what) = match &item.node {
                Item::Product(p) => (0, &p.slug, Some(&p.display), "product"),
                Item::Plan(p) => (1, &p.slug, Some(&p.display), "plan"),
                Item::Pack(p) => (2, &p.slug, Some(&p.display), "pack"),
                Item::Dimension(d) => (3, &d.name, None, "dimension"),
                _ => continue,
            };
            let names = match ns {
                0 => &mut self.products,
                1 => &mut self.plans,
                2 => &mut self.packs,
                _ => &mut self.dim_names,
            };
            if let Some(&prev) = names.index.get(&name.node) {
                let prev_span = names.spans[prev];
                self.diags.push(
                    Diagnostic::new(
                        Code::Duplicate,
                        format!("{what} `{}` is defined twice", name.node),
                    )
                    .label(name.span, "defined again here")
                    .label(prev_span, "first defined here")
                    .help(format!(
                        "give each {what} its own slug, or merge the two definitions"
                    )),
                );
                // Later passes resolve the name to the first definition.
                names.spans.push(name.span);
                names.list.push(String::new());
                names.displays.push(String::new());
                continue;
            }
            let at = names.list.len();
            // Two names of one kind that people would write alike make every use ambiguous.
            let written = std::iter::once((name.node.as_str(), name.span))
                .chain(display.map(|d| (d.node.as_str(), d.span)));
            let mut clash = None;
            for (n, span) in written {
                let key = name_key(n);
                if key.is_empty() {
                    continue;
                }
                match names.keys.get(&key) {
                    Some(&other) if other != at => clash = clash.or(Some((n, span, other))),
                    Some(_) => {}
                    None => {
                        names.keys.insert(key, at);
                    }
                }
            }
            if let Some((n, span, other)) = clash {
                let other_slug = names.list[other].clone();
                let other_span = names.spans[other];
                self.diags.push(
                    Diagnostic::new(
                        Code::Duplicate,
                        format!("{what} name `{n}` would also name {what} `{other_slug}`"),
                    )
                    .label(span, format!("written like `{other_slug}`"))
                    .label(other_span, "the other name")
                    .help(format!(
                        "{what}s are named ignoring case, spaces and punctuation: give each a name of its own"
                    )),
                );
            }
            names.index.insert(name.node.clone(), at);
            names.spans.push(name.span);
            names.list.push(name.node.clone());
            names
                .displays
                .push(display.map(|d| d.node.clone()).unwrap_or_default());
        }
    }

    fn unknown(&mut self, what: &str, name: &Name, candidates: &[String], help: &str) {
        let suggestion = did_you_mean(
            &name.node,
            candidates
                .iter()
                .map(String::as_str)
                .filter(|c| !c.is_empty()),
        );
        let help = match suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => help.to_string(),
        };
        self.push(
            Diagnostic::new(
                Code::UnknownReference,
                format!("unknown {what} `{}`", name.node),
            )
            .label(name.span, format!("no {what} of this name"))
            .help(help),
        );
    }

    fn product_ref(&mut self, name: &Name) -> Option<usize> {
        let found = self.products.resolve(&name.node);
        if found.is_none() {
            let list = self.products.list.clone();
            self.unknown(
                "product",
                name,
                &list,
                "products are declared with `product \"Name\" as slug { ... }`",
            );
        }
        found
    }

    fn plan_ref(&mut self, name: &Name) -> Option<usize> {
        let found = self.plans.resolve(&name.node);
        if found.is_none() {
            let list = self.plans.list.clone();
            self.unknown(
                "plan",
                name,
                &list,
                "plans are declared with `plan \"Name\" as slug { ... }`",
            );
        }
        found
    }

    // --------------------------------------------------------------------------------------------
    // Units

    fn units(&mut self) {
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
                    self.push(
                        Diagnostic::new(
                            Code::Duplicate,
                            format!("`{}` is a built-in unit", u.name.node),
                        )
                        .label(u.name.span, "already defined")
                        .help("use the built-in unit, or give your unit another name"),
                    );
                    continue;
                }
            }
            if let Some(prev) = declared.get(&u.name.node) {
                let prev = prev.name.span;
                self.push(
                    Diagnostic::new(
                        Code::Duplicate,
                        format!("unit `{}` is declared twice", u.name.node),
                    )
                    .label(u.name.span, "declared again here")
                    .label(prev, "first declared here")
                    .help("declare each unit once"),
                );
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
                let mut d = Diagnostic::new(
                    Code::Duplicate,
                    format!("unit `{}` would be read as `{other}`", u.name.node),
                )
                .label(u.name.span, format!("matches `{other}`"));
                if let Some(at) = at {
                    d = d.label(at, "declared here");
                }
                self.push(d.help(
                    "units are matched ignoring case and punctuation: give this unit a name of its own",
                ));
                continue;
            }
            if let (Some(q), Some(div)) = (&u.equals, &u.divisible) {
                self.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!(
                            "`{}` is defined through `{}`, so it divides as that unit does",
                            u.name.node, q.unit.node
                        ),
                    )
                    .label(div.span, "divisible here")
                    .help(format!(
                        "declare the base unit divisible instead: `unit {} divisible`",
                        q.unit.node
                    )),
                );
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
                                self.push(
                                    Diagnostic::new(Code::InvalidValue, "a conversion must be positive")
                                        .label(q.value.span, "not positive")
                                        .help(format!("write how many of `{}` one `{}` is, e.g. `unit {} = 60 {}`", q.unit.node, u.name.node, u.name.node, q.unit.node)),
                                );
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
                    let chain = members
                        .iter()
                        .chain(std::iter::once(&members[0]))
                        .map(|m| format!("`{m}`"))
                        .collect::<Vec<_>>()
                        .join(" -> ");
                    let mut d = Diagnostic::new(
                        Code::ConversionCycle,
                        format!("unit conversions go round in a circle: {chain}"),
                    );
                    for m in &members {
                        if let Some(decl) = declared.get(*m) {
                            let target = decl
                                .equals
                                .as_ref()
                                .map(|q| q.unit.node.as_str())
                                .unwrap_or("");
                            d = d.label(decl.name.span, format!("defined through `{target}`"));
                        }
                    }
                    self.push(d.help(format!(
                        "define one unit as the base (`unit {}`) and the others in terms of it",
                        members[0]
                    )));
                    break;
                }
                path.push(n);
                at = n;
            }
        }
    }

    fn overflow(&mut self, span: Span, what: &str) {
        self.push(
            Diagnostic::new(
                Code::NumberRange,
                format!("{what} overflows exact decimal arithmetic"),
            )
            .label(span, "too large")
            .help("use smaller numbers or a larger unit"),
        );
    }

    /// `self.units.get(name)`, through the index once it is built.
    /// The unit a written name means: exactly, else as people write units (`minutes`, `min`).
    fn unit_get(&self, name: &str) -> Option<&Unit> {
        let exact = if self.unit_index.is_empty() {
            self.units.get(name)
        } else {
            self.unit_index
                .get(name)
                .and_then(|&i| self.units.units.get(i))
        };
        exact.or_else(|| self.units.resolve(name).ok())
    }

    /// The book's currency, for examples in help texts (`USD` when the header gives none).
    fn currency_or_usd(&self) -> String {
        self.currency.clone().unwrap_or_else(|| "USD".into())
    }

    /// The unit this book charges in, for examples: its wallet unit (`credit`), else a unit it
    /// declares, else its currency.
    fn wallet_or_currency(&self) -> String {
        self.wallet_units
            .iter()
            .min()
            .cloned()
            .or_else(|| {
                self.units
                    .units
                    .iter()
                    .find(|u| u.declared)
                    .map(|u| u.name.clone())
            })
            .unwrap_or_else(|| self.currency_or_usd())
    }

    /// The base unit of a dimension (`second` for time), for examples.
    fn base_of(&self, d: &Dimension) -> String {
        self.units
            .units
            .iter()
            .find(|u| &u.dimension == d && u.factor == Decimal::ONE)
            .map_or_else(|| d.describe(), |u| u.name.clone())
    }

    /// An example rate for a product measured in `d`: `1 credit / second`.
    fn example_rate(&self, d: &Dimension) -> String {
        format!("1 {} / {}", self.wallet_or_currency(), self.base_of(d))
    }

    /// An example cell key of a product priced by `dims`: the first value of each.
    fn example_cell(&self, dims: &[usize]) -> String {
        dims.iter()
            .filter_map(|d| self.dimensions.get(*d).and_then(|d| d.values.first()))
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Reports a unit name that names no unit, with help from this book's own units.
    fn unknown_unit(&mut self, name: &Name) {
        let mut d = Diagnostic::new(
            Code::UnknownReference,
            format!("unknown unit `{}`", name.node),
        )
        .label(name.span, "no unit of this name");
        let help = match did_you_mean(&name.node, self.units.names()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => {
                let own: Vec<String> = self
                    .units
                    .units
                    .iter()
                    .filter(|u| u.declared || Some(&u.name) == self.currency.as_ref())
                    .map(|u| format!("`{}`", u.name))
                    .collect();
                let known = if own.is_empty() {
                    String::new()
                } else {
                    format!(", or one of this book's units ({})", own.join(", "))
                };
                format!(
                    "declare it with `unit {}`{known}, or a built-in unit such as `second`, `character` or `image`",
                    name.node
                )
            }
        };
        d = d.help(help);
        self.push(d);
    }

    /// Whether `name` is a known unit; reports it if not.
    fn unit_known(&mut self, name: &Name) -> bool {
        let found = self.unit_get(&name.node).is_some();
        if !found && !name.node.is_empty() {
            self.unknown_unit(name);
        }
        found
    }

    fn unit(&mut self, name: &Name) -> Option<Unit> {
        let found = self.unit_get(&name.node).cloned();
        if found.is_none() && !name.node.is_empty() {
            self.unknown_unit(name);
        }
        found
    }

    /// A quantity in base units of its dimension.
    fn quantity(&mut self, q: &Quantity) -> Option<(Decimal, Unit)> {
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
    fn quantity_in(&mut self, q: &Quantity, dim: &Dimension, role: &str) -> Option<Decimal> {
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
            let d = Diagnostic::new(
                Code::UnitMismatch,
                format!(
                    "{role} is in {}, but it must be in {}",
                    unit.dimension.describe(),
                    dim.describe()
                ),
            )
            .label(
                q.unit.span,
                format!("`{}` measures {}", unit.name, unit.dimension.describe()),
            )
            .help(format!("write it in a unit of {}", dim.describe()));
            self.push(d);
            return None;
        }
        Some(v)
    }

    fn positive(&mut self, n: &Number, what: &str) -> bool {
        if n.node <= Decimal::ZERO {
            let zero = n.node.is_zero();
            self.push(
                Diagnostic::new(
                    Code::NonPositivePrice,
                    format!("{what} is {}", if zero { "zero" } else { "negative" }),
                )
                .label(n.span, if zero { "zero" } else { "negative" })
                .help(if zero {
                    "a product that costs nothing is written `free`"
                } else {
                    "prices and rates must be positive"
                }),
            );
            return false;
        }
        true
    }

    /// `self.units.measure(name)`, through the index.
    fn measure(&self, name: &str) -> Option<Dimension> {
        match name {
            "time" | "text" | "area" => self.units.measure(name),
            _ => self.unit_get(name).map(|u| u.dimension.clone()),
        }
    }

    // --------------------------------------------------------------------------------------------
    // Dimensions

    fn dimensions(&mut self) {
        let book = self.book;
        for item in &book.items {
            let Item::Dimension(d) = &item.node else {
                continue;
            };
            if self.dim_names.get(&d.name.node) != Some(self.dimensions.len()) {
                // A duplicate; reported by `names`. Keep indexes aligned with the first.
                if self
                    .dim_names
                    .get(&d.name.node)
                    .is_some_and(|i| i < self.dimensions.len())
                {
                    continue;
                }
            }
            let mut seen: HashMap<String, Span> = HashMap::new();
            let mut values = Vec::new();
            for v in &d.values {
                let key = name_key(&v.node);
                if let Some(prev) = seen.get(&key) {
                    let prev = *prev;
                    self.push(
                        Diagnostic::new(
                            Code::Duplicate,
                            format!("dimension value `{}` is listed twice", v.node),
                        )
                        .label(v.span, "listed again")
                        .label(prev, "first listed here")
                        .help("list each value once, lowest first"),
                    );
                    continue;
                }
                seen.insert(key, v.span);
                values.push(v.node.clone());
            }
            self.dimensions.push(DimensionDef {
                name: d.name.node.clone(),
                values,
                span: item.span,
            });
        }
    }

    fn dim_value(&mut self, dim: usize, v: &Spanned<String>) -> Option<usize> {
        let def = &self.dimensions[dim];
        if let Some(i) = def.values.iter().position(|x| same_key(x, &v.node)) {
            return Some(i);
        }
        let suggestion = did_you_mean(&v.node, def.values.iter().map(String::as_str));
        let name = def.name.clone();
        let listed = def.values.join(", ");
        self.push(
            Diagnostic::new(
                Code::UnknownDimensionValue,
                format!("`{}` is not a value of dimension `{name}`", v.node),
            )
            .label(v.span, format!("not in `{name}`"))
            .help(match suggestion {
                Some(s) => format!("did you mean `{s}`? `{name}` has: {listed}"),
                None => format!("`{name}` has: {listed}"),
            }),
        );
        None
    }

    // --------------------------------------------------------------------------------------------
    // Wallet

    fn wallet_units(&mut self) {
        let book = self.book;
        for item in &book.items {
            let grants: Vec<&Grant> = match &item.node {
                Item::Plan(p) => p
                    .body
                    .iter()
                    .filter_map(|s| match &s.node {
                        PlanStmt::Grant(g) => Some(g),
                        _ => None,
                    })
                    .collect(),
                Item::Pack(p) => p
                    .body
                    .iter()
                    .filter_map(|s| match &s.node {
                        PackStmt::Grant(g) => Some(g),
                        _ => None,
                    })
                    .collect(),
                _ => continue,
            };
            for g in grants {
                if let Ok(u) = self.units.resolve(&g.amount.unit.node) {
                    if !u.dimension.is_money() {
                        self.wallet_units.insert(u.name.clone());
                    }
                }
            }
        }
    }

    // --------------------------------------------------------------------------------------------
    // Rates

    /// Resolves a rate against the dimension it must rate.
    fn rate(
        &mut self,
        r: &Rate,
        measure: Option<&Dimension>,
        what: &str,
        span: Span,
        zero_ok: bool,
    ) -> Option<RateDef> {
        let amount_known = self.unit_known(&r.amount.unit);
        let per_known = self.unit_known(&r.per_unit);
        // A tier may be free (`0 image .. 100 image : 0 credit / image`); elsewhere a zero rate
        // is written `free`.
        let positive = r.amount.value.node > Decimal::ZERO
            || (zero_ok && r.amount.value.node.is_zero())
            || self.positive(&r.amount.value, &format!("the {what}"));
        let per = r.per.as_ref().map(|n| n.node).unwrap_or(Decimal::ONE);
        if let Some(n) = &r.per {
            if n.node <= Decimal::ZERO {
                self.push(
                    Diagnostic::new(Code::InvalidValue, "a rate's block size must be positive")
                        .label(n.span, "not positive")
                        .help("write `/ 1000 character`, or leave the number out for 1"),
                );
                return None;
            }
        }
        if !(amount_known && per_known) {
            return None;
        }
        let (Some(amount_unit), Some(per_unit)) = (
            self.unit_get(&r.amount.unit.node),
            self.unit_get(&r.per_unit.node),
        ) else {
            return None;
        };
        let mut problem = None;
        if let (Dimension::Money(code), Some(cur)) = (&amount_unit.dimension, &self.currency) {
            if code != cur {
                problem = Some(
                    Diagnostic::new(
                        Code::UnitMismatch,
                        format!("the {what} is in {code}, but the book bills in {cur}"),
                    )
                    .label(r.amount.unit.span, "other currency")
                    .help(format!("write it in {cur}, the currency in the header")),
                );
            }
        }
        if let Some(measure) = measure.filter(|m| problem.is_none() && &per_unit.dimension != *m) {
            problem = Some(
                Diagnostic::new(
                    Code::UnitMismatch,
                    format!(
                        "`{} {} / {}` rates {}, but this product is measured in {}",
                        r.amount.value.node,
                        amount_unit.name,
                        per_unit.name,
                        per_unit.dimension.describe(),
                        measure.describe()
                    ),
                )
                .label(
                    r.per_unit.span,
                    format!("{} unit", per_unit.dimension.describe()),
                )
                .help(format!(
                    "rate the product per unit of {} (or change its `measure`)",
                    measure.describe()
                )),
            );
        }
        // `5 image / image` (same dimension, not declared, not money, not time) is fine only
        // for wallets in the same unit; it is left alone.
        let per_base = per.checked_mul(per_unit.factor);
        let names = (amount_unit.name.clone(), per_unit.name.clone());
        if let Some(d) = problem {
            self.push(d);
            return None;
        }
        let Some(per_base) = per_base else {
            self.overflow(r.per_unit.span, "this rate's block");
            return None;
        };
        positive.then_some(RateDef {
            amount: r.amount.value.node,
            unit: names.0,
            per,
            per_unit: names.1,
            per_base,
            span,
        })
    }

    // --------------------------------------------------------------------------------------------
    // Products

    fn product(&mut self, p: &Product, span: Span) -> Option<ProductDef> {
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
                _ => continue,
            };
            if let Some(prev) = seen.get(key) {
                let prev = *prev;
                self.push(
                    Diagnostic::new(
                        Code::ConflictingStatement,
                        format!("`{key}` is given twice"),
                    )
                    .label(s.span, "given again")
                    .label(prev, "first given here")
                    .help(format!("a product has one `{key}`; remove one")),
                );
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
                self.push(
                    Diagnostic::new(Code::MissingStatement, format!("product `{}` does not say what it measures", p.slug.node))
                        .label(p.slug.span, "no `measure`")
                        .help("add `measure time`, `measure text`, `measure area` or `measure <count unit>`"),
                );
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
                            self.push(
                                Diagnostic::new(
                                    Code::Duplicate,
                                    format!("dimension `{}` is listed twice", n.node),
                                )
                                .label(n.span, "listed again")
                                .help("list each dimension once"),
                            );
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
                        self.push(
                            Diagnostic::new(Code::ConflictingStatement, "`round` and `prorate` contradict each other")
                                .label(s.span, "rounds the quantity")
                                .label(prev, "charges the exact quantity")
                                .help("keep `round up to <block>` for block rounding, or `prorate` for exact charging"),
                        );
                        ok = false;
                    }
                    if let Some(step) = self.quantity_in(to, &measure, "the rounding step") {
                        if step <= Decimal::ZERO {
                            self.push(
                                Diagnostic::new(
                                    Code::InvalidValue,
                                    "the rounding step must be positive",
                                )
                                .label(to.value.span, "not positive")
                                .help(format!(
                                    "write e.g. `round up to 1 {}`",
                                    self.base_of(&measure)
                                )),
                            );
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
                                self.push(
                                    Diagnostic::new(
                                        Code::InvalidValue,
                                        "a quantity bound cannot be negative",
                                    )
                                    .label(q.value.span, "negative")
                                    .help("bounds are usage quantities, zero or more"),
                                );
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
                self.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!("the minimum {} is above the maximum {}", lo.text, hi.text),
                    )
                    .label(lo.span, "minimum")
                    .label(hi.span, "maximum")
                    .help("swap the bounds, or fix one of them"),
                );
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
            self.push(
                Diagnostic::new(
                    Code::ConflictingStatement,
                    format!("product `{}` is priced twice: by `{first_kind}` and by `{second_kind}`", p.slug.node),
                )
                .label(second, "second pricing")
                .label(first, "first pricing")
                .help("a product has one pricing: a `rate` (or a matrix of rates), `tiers`, `flat` or `free`"),
            );
            return None;
        }
        let pricing = match pricing {
            Some(Some(p)) => p,
            Some(None) => return None,
            None => {
                self.push(
                    Diagnostic::new(
                        Code::MissingStatement,
                        format!("product `{}` has no price", p.slug.node),
                    )
                    .label(p.slug.span, "no `rate`, `tiers`, `flat` or `free`")
                    .help(format!(
                        "add e.g. `rate 1 {} / {}`, or `free` if it costs nothing",
                        self.wallet_or_currency(),
                        self.base_of(&measure)
                    )),
                );
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
        // One charge unit per product; wallet rules for money.
        let def = ProductDef {
            slug: p.slug.node.clone(),
            display: p.display.node.clone(),
            whole,
            measure,
            pricing,
            rounding,
            min,
            max,
            outside_wallet: outside,
            dims,
            span,
            slug_span: p.slug.span,
        };
        if let Some(unit) = def.charge_unit().map(String::from) {
            let is_money = self.unit_get(&unit).is_some_and(|u| u.dimension.is_money());
            if is_money && !self.wallet_units.is_empty() && !outside {
                let wallet = self.wallet_units.iter().min().cloned().unwrap_or_default();
                self.push(
                    Diagnostic::new(
                        Code::MoneyInWallet,
                        format!("`{}` is priced in {unit}, but this book's plans pay from a `{wallet}` wallet", p.slug.node),
                    )
                    .label(p.slug.span, format!("priced in {unit}"))
                    .help("if it is billed separately from the wallet, say so with `outside wallet`; otherwise price it in the wallet unit"),
                );
                ok = false;
            }
            if outside && !is_money {
                self.push(
                    Diagnostic::new(
                        Code::UnitMismatch,
                        format!(
                            "`{}` is outside the wallet but priced in `{unit}`",
                            p.slug.node
                        ),
                    )
                    .label(p.slug.span, "outside wallet")
                    .help("a carve-out is billed in money: price it in the book's currency"),
                );
                ok = false;
            }
            if is_money && Some(&unit) != self.currency.as_ref() {
                if let Some(cur) = self.currency.clone() {
                    self.push(
                        Diagnostic::new(
                            Code::UnitMismatch,
                            format!(
                                "`{}` is priced in {unit}, but the book bills in {cur}",
                                p.slug.node
                            ),
                        )
                        .label(p.slug.span, format!("priced in {unit}"))
                        .help(format!("price it in {cur}, the currency in the header")),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(def)
    }

    /// Checks what can be checked of a product whose measure is unknown: the units of its rates
    /// and quantities (their dimension cannot be compared with a measure it does not have).
    fn rate_units_only(&mut self, p: &Product) {
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
                ProductStmt::Round { to: q, .. } | ProductStmt::Min(q) | ProductStmt::Max(q) => {
                    self.unit_known(&q.unit);
                }
                _ => {}
            }
        }
    }

    /// The product's pricing: `None` if no pricing statement, `Some(None)` if one failed.
    fn pricing(
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

    fn tiers(
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

    // --------------------------------------------------------------------------------------------
    // Plans

    fn money(&mut self, q: &Quantity, what: &str) -> Option<(Decimal, String)> {
        let unit = self.unit(&q.unit)?;
        if !unit.dimension.is_money() {
            self.push(
                Diagnostic::new(
                    Code::UnitMismatch,
                    format!(
                        "{what} must be money, but `{}` {}",
                        unit.name,
                        match &unit.dimension {
                            Dimension::Count(base) if unit.declared && base == &unit.name =>
                                "is a pricing unit".to_string(),
                            d => format!("measures {}", d.describe()),
                        }
                    ),
                )
                .label(q.unit.span, "not a currency")
                .help(format!(
                    "write it in the book's currency, e.g. `{} {}`",
                    q.value.node,
                    self.currency.clone().unwrap_or_else(|| "USD".into())
                )),
            );
            return None;
        }
        if let Some(cur) = &self.currency {
            if cur != &unit.name {
                let cur = cur.clone();
                self.push(
                    Diagnostic::new(
                        Code::UnitMismatch,
                        format!("{what} is in {}, but the book bills in {cur}", unit.name),
                    )
                    .label(q.unit.span, "other currency")
                    .help(format!("write it in {cur}")),
                );
                return None;
            }
        }
        Some((q.value.node, unit.name))
    }

    /// `month` -> 1, `year` -> 12, for `/ month` and `every month`.
    fn period_months(&mut self, n: &Name) -> Option<u32> {
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

    fn price(&mut self, price: &Spanned<Price>, what: &str) -> Option<PlanPrice> {
        Some(match &price.node {
            Price::Custom => PlanPrice::Custom,
            Price::Unpublished => PlanPrice::Unpublished,
            Price::Amount(pe) => {
                let (amount, currency) = self.money(&pe.amount, what)?;
                if amount < Decimal::ZERO {
                    self.push(
                        Diagnostic::new(Code::NonPositivePrice, format!("{what} is negative"))
                            .label(pe.amount.value.span, "negative")
                            .help("a price is zero or more"),
                    );
                    return None;
                }
                let months = match &pe.per {
                    None => 0,
                    Some((n, unit)) => {
                        if n.is_some() {
                            self.push(
                                Diagnostic::new(
                                    Code::InvalidValue,
                                    "a recurring price is per one period",
                                )
                                .label(unit.span, "write `/ month` or `/ year`")
                                .help(format!(
                                    "e.g. `price 30 {} / month`",
                                    self.currency_or_usd()
                                )),
                            );
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

    fn grant(&mut self, g: &Grant, span: Span, in_pack: bool) -> Option<GrantDef> {
        let unit = self.unit(&g.amount.unit)?;
        if g.amount.value.node <= Decimal::ZERO {
            self.push(
                Diagnostic::new(Code::InvalidValue, "a grant must give a positive amount")
                    .label(g.amount.value.span, "not positive")
                    .help("remove the grant, or give an amount above zero"),
            );
            return None;
        }
        let cadence = match &g.cadence {
            None => GrantCadence::Once,
            Some(c) => match &c.node {
                Cadence::Once => GrantCadence::Once,
                Cadence::Every(p) => {
                    if in_pack {
                        self.push(
                            Diagnostic::new(
                                Code::InvalidValue,
                                "a pack is bought once; its grant cannot recur",
                            )
                            .label(c.span, "recurring")
                            .help("remove the cadence from the pack's grant"),
                        );
                        return None;
                    }
                    GrantCadence::EveryMonths(self.period_months(p)?)
                }
            },
        };
        let expiry = match g.expiry.as_slice() {
            [] => {
                self.push(
                    Diagnostic::new(Code::GrantWithoutExpiry, "this grant does not say when it expires")
                        .label(span, "no expiry rule")
                        .help("add `, expires at cycle end`, `, never expires`, `, expires after 12 month` or `, expires at contract end`"),
                );
                return None;
            }
            [one] => {
                match &one.node {
                    Expiry::Never => GrantExpiry::Never,
                    Expiry::CycleEnd => GrantExpiry::CycleEnd,
                    Expiry::ContractEnd => GrantExpiry::ContractEnd,
                    Expiry::After(q) => {
                        let u = self.unit(&q.unit)?;
                        let whole = q.value.node.fract().is_zero() && q.value.node > Decimal::ZERO;
                        let n: Option<u32> = whole
                            .then(|| q.value.node.to_string().parse().ok())
                            .flatten();
                        match (&u.dimension, n) {
                            (Dimension::Period, Some(n)) => {
                                GrantExpiry::AfterMonths(n.saturating_mul(if u.name == "year" {
                                    12
                                } else {
                                    1
                                }))
                            }
                            (Dimension::Time, Some(n)) if u.factor >= Decimal::from(86_400) => {
                                let days =
                                    (Decimal::from(n) * u.factor / Decimal::from(86_400)).trunc();
                                GrantExpiry::AfterDays(days.to_string().parse().unwrap_or(u32::MAX))
                            }
                            _ => {
                                self.push(
                                Diagnostic::new(Code::InvalidValue, "an expiry is a whole number of days, months or years")
                                    .label(q.value.span.to(q.unit.span), "not whole days or months")
                                    .help("write e.g. `expires after 12 month` or `expires after 30 day`"),
                            );
                                return None;
                            }
                        }
                    }
                }
            }
            [first, second, ..] => {
                self.push(
                    Diagnostic::new(Code::ConflictingStatement, "a grant has two expiry rules")
                        .label(second.span, "second rule")
                        .label(first.span, "first rule")
                        .help("keep one expiry rule"),
                );
                return None;
            }
        };
        let priority = match g.priority.as_slice() {
            [] => {
                if in_pack {
                    2
                } else {
                    1
                }
            }
            [p] => match integer(p.node) {
                Some(n) => n,
                None => {
                    self.push(
                        Diagnostic::new(Code::InvalidValue, "a priority is a whole number, 0 or more")
                            .label(p.span, "not a whole number")
                            .help("lower priorities are drawn first: plan credits `priority 1`, packs `priority 2`"),
                    );
                    return None;
                }
            },
            [first, second, ..] => {
                self.push(
                    Diagnostic::new(Code::ConflictingStatement, "a grant has two priorities")
                        .label(second.span, "second")
                        .label(first.span, "first")
                        .help("keep one priority"),
                );
                return None;
            }
        };
        Some(GrantDef {
            amount: g.amount.value.node,
            unit: unit.name,
            cadence,
            expiry,
            priority,
            span,
        })
    }

    fn plan(&mut self, p: &Plan, span: Span) -> Option<PlanDef> {
        let mut ok = true;
        let mut seen = Seen::default();
        let mut price = None;
        let mut price_span = p.slug.span;
        let mut billing = Vec::new();
        let mut grants = Vec::new();
        let mut packs_allowed = false;
        let mut products: Option<Vec<usize>> = None;
        let mut products_span = None;
        let mut denied: Vec<(usize, Span)> = Vec::new();
        let mut limits = Vec::new();
        let mut features = Vec::new();
        let mut when_empty = None;
        let mut when_empty_span = p.slug.span;
        let mut commit: Option<(Decimal, String, u32)> = None;
        let mut includes: Option<(Decimal, String, Option<RateDef>)> = None;
        let mut overage: Option<RateDef> = None;
        let mut overrides = Vec::new();
        let n_products = self.product_defs.len();
        // A misspelt name in `products` could mean any product: none is then called unused.
        let mut unknown_listed = false;

        if let Some(base) = &p.based_on {
            if self.plans.resolve(&base.node).is_none() && !self.is_contract {
                self.plan_ref(base);
                ok = false;
            }
        }
        let inherited = inherit::plan_body(self.book, p);
        if let Some(cycle) = &inherited.cycle {
            // Reported once, at the plan of the loop that comes first by slug.
            if cycle.iter().min() == Some(&p.slug.node) {
                let chain = cycle
                    .iter()
                    .chain(cycle.first())
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(" -> ");
                let at = p.based_on.as_ref().map_or(p.slug.span, |b| b.span);
                self.push(
                    Diagnostic::new(
                        Code::ConflictingStatement,
                        format!("plans are based on each other in a loop: {chain}"),
                    )
                    .label(at, "based on")
                    .help("base one of them on a plan that is not based on the others, or restate its terms"),
                );
            }
            ok = false;
        }
        let body = inherited.body;
        for s in &body {
            let key = match &s.node {
                PlanStmt::Price { .. } => Some("price"),
                PlanStmt::Billing(_) => Some("billing"),
                PlanStmt::Packs(_) => Some("packs"),
                PlanStmt::Products(_) => Some("products"),
                PlanStmt::WhenEmpty(_) => Some("when empty"),
                PlanStmt::Commit { .. } => Some("commit"),
                PlanStmt::Includes { .. } => Some("includes"),
                PlanStmt::Overage(_) => Some("overage"),
                _ => None,
            };
            if let Some(key) = key {
                if let Some(prev) = seen.get(key) {
                    let prev = *prev;
                    self.push(
                        Diagnostic::new(
                            Code::ConflictingStatement,
                            format!("`{key}` is given twice"),
                        )
                        .label(s.span, "given again")
                        .label(prev, "first given here")
                        .help(format!("a plan has one `{key}`; remove one")),
                    );
                    ok = false;
                    continue;
                }
                seen.insert(key, s.span);
            }
            match &s.node {
                PlanStmt::Price { price: pr, minimum } => {
                    price_span = s.span;
                    price = self.price(pr, "a plan's price");
                    if price.is_none() {
                        ok = false;
                    }
                    if let Some(m) = minimum {
                        if self.money(&m.amount, "a minimum price").is_none() {
                            ok = false;
                        }
                    }
                }
                PlanStmt::Billing(list) => {
                    for b in list {
                        if b.node == "monthly" || b.node == "annual" {
                            billing.push(b.node.clone());
                        } else {
                            self.unknown("billing period", b, &["monthly".into(), "annual".into()], "write `billing monthly`, `billing annual` or `billing monthly, annual`");
                            ok = false;
                        }
                    }
                }
                PlanStmt::Grant(g) => match self.grant(g, s.span, false) {
                    Some(g) => grants.push(g),
                    None => ok = false,
                },
                PlanStmt::Packs(allowed) => packs_allowed = *allowed,
                PlanStmt::Products(list) => {
                    products_span = Some(s.span);
                    products = match list {
                        None => None,
                        Some(names) => {
                            let mut v = Vec::new();
                            for n in names {
                                match self.product_ref(n) {
                                    Some(i) => v.push(i),
                                    None => {
                                        ok = false;
                                        unknown_listed = true;
                                    }
                                }
                            }
                            Some(v)
                        }
                    };
                }
                PlanStmt::Deny(names) => {
                    for n in names {
                        match self.product_ref(n) {
                            Some(i) => denied.push((i, n.span)),
                            None => ok = false,
                        }
                    }
                }
                PlanStmt::Limit(l) => match self.limit(l, s.span) {
                    Some(l) => limits.push(l),
                    None => ok = false,
                },
                PlanStmt::Feature { name, value } => {
                    let v = match &value.node {
                        FeatureValue::Quantity(q) => format!("{} {}", q.value.node, q.unit.node),
                        FeatureValue::Number(n) => n.node.to_string(),
                        FeatureValue::Text(t) | FeatureValue::Word(t) => t.clone(),
                    };
                    features.push((name.node.clone(), v));
                }
                PlanStmt::WhenEmpty(rule) => {
                    when_empty_span = s.span;
                    when_empty = Some(match &rule.node {
                        EmptyRule::Reject => Some(EmptyRuleDef::Reject),
                        EmptyRule::AutoRecharge => Some(EmptyRuleDef::AutoRecharge),
                        EmptyRule::Overage(None) => Some(EmptyRuleDef::Overage(None)),
                        EmptyRule::Overage(Some(r)) => self
                            .rate(r, None, "overage rate", s.span, false)
                            .map(|r| EmptyRuleDef::Overage(Some(r))),
                    });
                }
                PlanStmt::Commit { amount, per } => {
                    let m = self.money(amount, "a commitment");
                    let months = self.period_months(per);
                    match (m, months) {
                        (Some((a, c)), Some(months)) => {
                            if self.positive(&amount.value, "the commitment") {
                                commit = Some((a, c, months));
                            } else {
                                ok = false;
                            }
                        }
                        _ => ok = false,
                    }
                }
                PlanStmt::Includes { amount, at } => {
                    let unit = self.unit(&amount.unit);
                    let rate = at
                        .as_ref()
                        .and_then(|r| self.rate(r, None, "contract rate", s.span, false));
                    if let (Some(u), Some(r)) = (&unit, &rate) {
                        let rate_dim = self.units.get(&r.per_unit).map(|x| x.dimension.clone());
                        if rate_dim.as_ref() != Some(&u.dimension) {
                            self.push(
                                Diagnostic::new(
                                    Code::UnitMismatch,
                                    format!("the included pool is in `{}` but its rate is per `{}`", u.name, r.per_unit),
                                )
                                .label(amount.unit.span, u.dimension.describe())
                                .help(format!("price the pool per unit of the pool, e.g. `includes {} {} at 0.01 {} / {}`", amount.value.node, u.name, self.currency_or_usd(), u.name)),
                            );
                            ok = false;
                        }
                    }
                    match unit {
                        Some(u) if at.is_none() || rate.is_some() => {
                            includes = Some((amount.value.node, u.name, rate))
                        }
                        _ => ok = false,
                    }
                }
                PlanStmt::Overage(r) => match self.rate(r, None, "overage rate", s.span, false) {
                    Some(r) => overage = Some(r),
                    None => ok = false,
                },
                PlanStmt::RateOverride { product, rate } => {
                    if let Some(i) = self.product_ref(product) {
                        let measure = self
                            .product_defs
                            .get(i)
                            .and_then(|d| d.as_ref())
                            .map(|d| d.measure.clone());
                        let own_unit = self
                            .product_defs
                            .get(i)
                            .and_then(|d| d.as_ref())
                            .and_then(|d| d.charge_unit().map(String::from));
                        match self.rate(rate, measure.as_ref(), "rate", s.span, false) {
                            Some(r) => {
                                let dim = |u: &str| self.units.get(u).map(|x| x.dimension.clone());
                                match own_unit.filter(|own| dim(own) != dim(&r.unit)) {
                                    Some(own) => {
                                        self.push(
                                            Diagnostic::new(
                                                Code::UnitMismatch,
                                                format!("this plan rate charges `{}`, but `{}` is charged in `{own}`", r.unit, product.node),
                                            )
                                            .label(rate.amount.unit.span, "different charge unit")
                                            .help(format!("a plan rate replaces the product's rate in the same unit: charge `{own}`")),
                                        );
                                        ok = false;
                                    }
                                    None => overrides.push((i, r)),
                                }
                            }
                            None => ok = false,
                        }
                    } else {
                        ok = false;
                    }
                }
                PlanStmt::Allow(_) | PlanStmt::Error(_) => {}
            }
        }

        let price = match price {
            Some(p) => p,
            // A commitment is the plan's fee: no separate price is needed.
            None if commit.is_some() && !seen.contains_key("price") => PlanPrice::Unpublished,
            None => {
                if !seen.contains_key("price") && p.based_on.is_none() {
                    self.push(
                        Diagnostic::new(Code::MissingStatement, format!("plan `{}` has no price", p.slug.node))
                            .label(p.slug.span, "no `price`")
                            .help(format!("add `price 30 {} / month`, `price custom` for a sales-led plan, `price unpublished`, or a `commit`", self.currency_or_usd())),
                    );
                }
                // Without a price of its own, a plan that derives from another is unpublished;
                // the rest of the plan is still checked either way.
                if p.based_on.is_none() {
                    ok = false;
                }
                PlanPrice::Unpublished
            }
        };
        if billing.is_empty() {
            billing.push("monthly".into());
        }
        let mut available = vec![products.is_none(); n_products];
        if let Some(list) = &products {
            for &i in list {
                if i < n_products {
                    available[i] = true;
                }
            }
        }
        for (i, span) in &denied {
            if products.as_ref().is_some_and(|l| l.contains(i)) {
                self.push(
                    Diagnostic::new(
                        Code::ConflictingStatement,
                        format!(
                            "product `{}` is both listed and denied",
                            self.products.list.get(*i).cloned().unwrap_or_default()
                        ),
                    )
                    .label(*span, "denied")
                    .label(products_span.unwrap_or(*span), "listed here")
                    .help("list it or deny it, not both"),
                );
                ok = false;
            }
            if *i < n_products {
                available[*i] = false;
            }
        }
        // What the plan offers is known even when its other statements are wrong: the
        // `unused-product` rule needs it in the same run. A product listed and denied (reported
        // above) or a misspelt name does not make another warning.
        let mut offered = if unknown_listed {
            vec![true; n_products]
        } else {
            available.clone()
        };
        for (i, _) in &denied {
            if products.as_ref().is_some_and(|l| l.contains(i)) && *i < n_products {
                offered[*i] = true;
            }
        }
        self.plan_available.push(offered);

        // Commitments: the contract rate and the overage rate.
        let commit_def = match commit {
            Some((amount, currency, months)) => {
                let (included, contract_rate) = match includes {
                    Some((q, u, r)) => (Some((q, u)), r),
                    None => (None, None),
                };
                if let (Some(c), Some(o)) = (&contract_rate, &overage) {
                    if let (Some(cv), Some(ov)) = (self.per_base(c), self.per_base(o)) {
                        if ov < cv {
                            self.push(
                                Diagnostic::new(Code::OverageCheaper, "overage is priced below the included rate")
                                    .label(o.span, "overage")
                                    .label(c.span, "included rate")
                                    .help("overage usually costs more than committed usage; check the figures"),
                            );
                        }
                    }
                }
                Some(CommitDef {
                    amount,
                    currency,
                    months,
                    included,
                    contract_rate,
                    overage: overage.clone(),
                })
            }
            None => {
                if let Some((_, _, _)) = &includes {
                    if let Some(span) = seen.get("includes") {
                        let span = *span;
                        self.push(
                            Diagnostic::new(Code::MissingStatement, "`includes` needs a `commit`")
                                .label(span, "included pool without commitment")
                                .help(format!("add `commit <amount> {} / month`, or express the pool as a `grant`", self.currency_or_usd())),
                        );
                        ok = false;
                    }
                }
                None
            }
        };
        for r in [
            commit_def.as_ref().and_then(|c| c.contract_rate.as_ref()),
            overage.as_ref(),
        ]
        .into_iter()
        .flatten()
        .chain(overrides.iter().map(|(_, r)| r))
        {
            self.check_floor(r);
        }

        let when_empty = match when_empty {
            Some(Some(EmptyRuleDef::Overage(None))) => {
                if overage.is_none() {
                    self.push(
                        Diagnostic::new(Code::MissingStatement, "`when empty overage` needs an overage rate")
                            .label(when_empty_span, "no rate")
                            .help(format!("write `when empty overage 0.01 {} / {}`, or add an `overage` statement", self.currency_or_usd(), self.wallet_or_currency())),
                    );
                    ok = false;
                }
                EmptyRuleDef::Overage(overage.clone())
            }
            Some(Some(rule)) => rule,
            Some(None) => {
                ok = false;
                EmptyRuleDef::Reject
            }
            None if commit_def.is_some() && overage.is_some() => {
                EmptyRuleDef::Overage(overage.clone())
            }
            None => EmptyRuleDef::Reject,
        };
        ok.then(|| PlanDef {
            slug: p.slug.node.clone(),
            display: p.display.node.clone(),
            based_on: p.based_on.as_ref().map(|b| b.node.clone()),
            price,
            price_span,
            billing,
            grants,
            packs_allowed,
            available,
            limits,
            features,
            when_empty,
            when_empty_span,
            commit: commit_def,
            overrides,
            span,
            slug_span: p.slug.span,
        })
    }

    /// A rate as money (or units) per base unit, for comparisons.
    fn per_base(&self, r: &RateDef) -> Option<Decimal> {
        let f = self.units.get(&r.unit)?.factor;
        r.amount.checked_mul(f)?.checked_div(r.per_base)
    }

    fn check_floor(&mut self, r: &RateDef) {
        let Some(floor) = self.floor.clone() else {
            return;
        };
        let same_dim = self.units.get(&r.per_unit).map(|u| &u.dimension)
            == self.units.get(&floor.per_unit).map(|u| &u.dimension)
            && self.units.get(&r.unit).map(|u| &u.dimension)
                == self.units.get(&floor.unit).map(|u| &u.dimension);
        if !same_dim {
            return;
        }
        if let (Some(v), Some(f)) = (self.per_base(r), self.per_base(&floor)) {
            if v < f {
                self.push(
                    Diagnostic::new(
                        Code::RateUnderFloor,
                        format!(
                            "{} is below the floor of {}",
                            describe_rate(r),
                            describe_rate(&floor)
                        ),
                    )
                    .label(r.span, "under the floor")
                    .label(floor.span, "floor declared here")
                    .help("no contract rate may go below the declared floor; raise the rate"),
                );
            }
        }
    }

    fn limit(&mut self, l: &Limit, span: Span) -> Option<LimitDef> {
        let name = l.display_name();
        let mut scope = Vec::new();
        for n in &l.scope {
            scope.push(self.product_ref(n)?);
        }
        let value_text;
        let kind = match &l.value.node {
            LimitValue::DimValue(v) => {
                value_text = v.node.clone();
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
                    self.unknown("dimension", &last, &list, "a limit on a value names a declared dimension: `limit resolution <= 1080p`");
                    return None;
                };
                let max = self.dim_value(d, v)?;
                LimitKind::DimensionMax { dimension: d, max }
            }
            LimitValue::Quantity(q) => {
                value_text = format!("{} {}", q.value.node, q.unit.node);
                let (base, unit) = self.quantity(q)?;
                if base <= Decimal::ZERO {
                    self.push(
                        Diagnostic::new(Code::InvalidValue, "a limit must be positive")
                            .label(q.value.span, "not positive")
                            .help("to deny a product, write `deny <product>`"),
                    );
                    return None;
                }
                match &l.window {
                    Some(w) => LimitKind::Window {
                        max: base,
                        dimension: Some(unit.dimension),
                        window: self.window(w)?,
                    },
                    None => LimitKind::PerEvent {
                        dimension: unit.dimension,
                        max: base,
                    },
                }
            }
            LimitValue::Number(n) => {
                value_text = n.node.to_string();
                match &l.window {
                    Some(w) => LimitKind::Window {
                        max: n.node,
                        dimension: None,
                        window: self.window(w)?,
                    },
                    None => LimitKind::Informational,
                }
            }
        };
        Some(LimitDef {
            name,
            value_text,
            kind,
            scope,
            span,
        })
    }

    fn window(&mut self, w: &Name) -> Option<String> {
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

    // --------------------------------------------------------------------------------------------
    // Packs

    fn pack(&mut self, p: &Pack, span: Span) -> Option<PackDef> {
        let mut ok = true;
        let mut price = None;
        let mut grants = Vec::new();
        let mut plans: Option<Vec<(usize, Span)>> = None;
        for s in &p.body {
            match &s.node {
                PackStmt::Price { price: pr, .. } => {
                    if price.is_some() {
                        self.push(
                            Diagnostic::new(Code::ConflictingStatement, "`price` is given twice")
                                .label(s.span, "given again")
                                .help("a pack has one price"),
                        );
                        ok = false;
                    }
                    price = self.price(pr, "a pack's price");
                    if matches!(price, Some(PlanPrice::Amount { months, .. }) if months > 0) {
                        self.push(
                            Diagnostic::new(
                                Code::InvalidValue,
                                "a pack is bought once; its price has no period",
                            )
                            .label(pr.span, "recurring price")
                            .help(format!("write e.g. `price 100 {}`", self.currency_or_usd())),
                        );
                        ok = false;
                    }
                }
                PackStmt::Grant(g) => match self.grant(g, s.span, true) {
                    Some(g) => grants.push(g),
                    None => ok = false,
                },
                PackStmt::For(names) => {
                    let mut v = Vec::new();
                    for n in names {
                        match self.plan_ref(n) {
                            Some(i) => v.push((i, n.span)),
                            None => ok = false,
                        }
                    }
                    plans = Some(v);
                }
                PackStmt::Allow(_) | PackStmt::Error(_) => {}
            }
        }
        if price.is_none() {
            self.push(
                Diagnostic::new(
                    Code::MissingStatement,
                    format!("pack `{}` has no price", p.slug.node),
                )
                .label(p.slug.span, "no `price`")
                .help(format!(
                    "add `price 100 {}`, or `price unpublished`",
                    self.currency_or_usd()
                )),
            );
            ok = false;
        }
        if grants.is_empty() && ok {
            self.push(
                Diagnostic::new(
                    Code::MissingStatement,
                    format!("pack `{}` grants nothing", p.slug.node),
                )
                .label(p.slug.span, "no `grant`")
                .help(format!(
                    "add e.g. `grant 1000 {}, never expires, priority 2`",
                    self.wallet_or_currency()
                )),
            );
            ok = false;
        }
        let plan_list: Vec<usize> = match &plans {
            Some(list) => {
                for (i, at) in list {
                    if let Some(Some(plan)) = self.plan_defs.get(*i) {
                        if !plan.packs_allowed {
                            let slug = plan.slug.clone();
                            self.push(
                                Diagnostic::new(Code::PackNotAllowed, format!("pack `{}` is offered to plan `{slug}`, which does not allow packs", p.slug.node))
                                    .label(*at, "offered here")
                                    .label(plan.slug_span, "plan without `packs allowed`")
                                    .help(format!("add `packs allowed` to plan `{slug}`, or remove it from the pack's `for` list")),
                            );
                            ok = false;
                        }
                    }
                }
                list.iter().map(|(i, _)| *i).collect()
            }
            None => self
                .plan_defs
                .iter()
                .enumerate()
                .filter(|(_, d)| d.as_ref().is_some_and(|d| d.packs_allowed))
                .map(|(i, _)| i)
                .collect(),
        };
        ok.then(|| PackDef {
            slug: p.slug.node.clone(),
            display: p.display.node.clone(),
            price: price.unwrap_or(PlanPrice::Unpublished),
            grants,
            plans: plan_list,
            span,
        })
    }

    // --------------------------------------------------------------------------------------------
    // Book-level rules

    fn floor(&mut self) {
        let book = self.book;
        let mut prev: Option<Span> = None;
        for item in &book.items {
            let Item::Floor(r) = &item.node else { continue };
            if let Some(p) = prev {
                self.push(
                    Diagnostic::new(Code::Duplicate, "the floor is declared twice")
                        .label(item.span, "declared again")
                        .label(p, "first declared here")
                        .help("a book has one floor"),
                );
                continue;
            }
            prev = Some(item.span);
            self.floor = self.rate(r, None, "floor", item.span, false);
        }
    }

    fn billing_blocks(&mut self) -> Option<u32> {
        let book = self.book;
        let mut front_load = None;
        for item in &book.items {
            let Item::Billing(b) = &item.node else {
                continue;
            };
            if b.period.node != "annual" {
                self.unknown(
                    "billing period",
                    &b.period,
                    &["annual".into()],
                    "only `billing annual { ... }` has book-level rules",
                );
                continue;
            }
            for s in &b.body {
                if let BillingStmt::FrontLoad(q) = &s.node {
                    let Some((base, unit)) = self.quantity(q) else {
                        continue;
                    };
                    match (unit.dimension, integer(base)) {
                        (Dimension::Period, Some(n)) if n > 0 => {
                            if front_load.is_some() {
                                self.push(
                                    Diagnostic::new(
                                        Code::ConflictingStatement,
                                        "`front-load` is given twice",
                                    )
                                    .label(s.span, "given again")
                                    .help("keep one"),
                                );
                            }
                            front_load = Some(n)
                        }
                        _ => self.push(
                            Diagnostic::new(
                                Code::InvalidValue,
                                "front-loading is a whole number of months",
                            )
                            .label(s.span, "not whole months")
                            .help("write `front-load 12 month`"),
                        ),
                    }
                }
            }
        }
        front_load
    }

    fn recharge(&mut self) -> Option<RechargeDef> {
        let book = self.book;
        let mut out: Option<RechargeDef> = None;
        for item in &book.items {
            let Item::Recharge(r) = &item.node else {
                continue;
            };
            if out.is_some() {
                self.push(
                    Diagnostic::new(Code::Duplicate, "auto recharge is declared twice")
                        .label(item.span, "declared again")
                        .help("a book has one `auto recharge` block"),
                );
                continue;
            }
            let mut def = RechargeDef {
                below: None,
                refill_to: None,
                cap: None,
                minimums: Vec::new(),
                price: None,
                span: item.span,
            };
            for s in &r.body {
                match &s.node {
                    RechargeStmt::Below(q) => {
                        def.below = self.unit(&q.unit).map(|u| (q.value.node, u.name))
                    }
                    RechargeStmt::RefillTo(q) => {
                        def.refill_to = self.unit(&q.unit).map(|u| (q.value.node, u.name))
                    }
                    RechargeStmt::Cap { amount, per } => {
                        def.cap = self.money(amount, "the recharge cap");
                        if let Some(p) = per {
                            self.period_months(p);
                        }
                    }
                    RechargeStmt::Minimum { field, amount } => {
                        if let Some(u) = self.unit(&amount.unit) {
                            def.minimums.push((*field, amount.value.node, u.name));
                        }
                    }
                    RechargeStmt::Price { price, .. } => {
                        if let Price::Amount(pe) = &price.node {
                            let m = self.money(&pe.amount, "the recharge price");
                            match (&pe.per, m) {
                                (Some((n, u)), Some((a, c))) => {
                                    if let Some(unit) = self.unit(u) {
                                        let n = n.as_ref().map(|n| n.node).unwrap_or(Decimal::ONE);
                                        def.price = Some((a, c, n, unit.name));
                                    }
                                }
                                (None, Some(_)) => self.push(
                                    Diagnostic::new(
                                        Code::InvalidValue,
                                        "a recharge price is money per wallet units",
                                    )
                                    .label(price.span, "no `/ <quantity>`")
                                    .help(format!(
                                        "write e.g. `price 100 {} / 16000 {}`",
                                        self.currency_or_usd(),
                                        self.wallet_or_currency()
                                    )),
                                ),
                                _ => {}
                            }
                        }
                    }
                    RechargeStmt::Error(_) => {}
                }
            }
            if let (Some((b, bu)), Some((t, tu))) = (&def.below, &def.refill_to) {
                if bu == tu && t <= b {
                    self.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            "auto recharge refills to less than its threshold",
                        )
                        .label(item.span, "refill at or below threshold")
                        .help("the ceiling (`refill to`) must be above the threshold (`below`)"),
                    );
                }
            }
            out = Some(def);
        }
        out
    }

    // --------------------------------------------------------------------------------------------
    // Cross-item rules

    fn cross_checks(&mut self, has_recharge: bool) {
        // Plans that empty into auto recharge need the book's settings.
        let plan_defs = std::mem::take(&mut self.plan_defs);
        let product_defs = std::mem::take(&mut self.product_defs);
        for plan in plan_defs.iter().flatten() {
            if plan.when_empty == EmptyRuleDef::AutoRecharge && !has_recharge {
                self.push(
                    Diagnostic::new(Code::MissingStatement, format!("plan `{}` recharges when empty, but the book declares no `auto recharge`", plan.slug))
                        .label(plan.when_empty_span, "auto recharge")
                        .help("add `auto recharge { ... }` to the book"),
                );
            }
        }
        // Products on no plan: what each plan offers is known even when the plan has other
        // mistakes; only a plan whose text could not be read leaves it unknown.
        let plans: Vec<&PlanDef> = plan_defs.iter().flatten().collect();
        let unreadable_plan = self
            .book
            .items
            .iter()
            .any(|i| matches!(i.node, Item::Plan(_)) && stmt_errors(&i.node));
        if !self.plan_available.is_empty() && !unreadable_plan {
            for (i, p) in product_defs.iter().enumerate() {
                let Some(p) = p else { continue };
                if !self
                    .plan_available
                    .iter()
                    .any(|a| a.get(i).copied().unwrap_or(false))
                {
                    self.push(
                        Diagnostic::new(
                            Code::UnusedProduct,
                            format!("product `{}` is on no plan", p.slug),
                        )
                        .label(p.slug_span, "offered nowhere")
                        .help("add it to a plan's `products`, or remove it"),
                    );
                }
            }
        }
        // Plans with the same terms.
        for (i, a) in plans.iter().enumerate() {
            for b in plans.iter().skip(i + 1) {
                if same_terms(a, b) {
                    self.push(
                        Diagnostic::new(Code::IdenticalPlans, format!("plans `{}` and `{}` have the same price, grants and limits", a.slug, b.slug))
                            .label(b.slug_span, format!("same terms as `{}`", a.slug))
                            .label(a.slug_span, "first plan")
                            .help("buyers cannot tell them apart: differentiate them, or `allow identical-plans \"reason\"` in one of them"),
                    );
                }
            }
        }
        self.plan_defs = plan_defs;
        self.product_defs = product_defs;
    }

    fn collect_allows(&mut self) {
        let book = self.book;
        for item in &book.items {
            let push = |a: &Allow,
                        range: Span,
                        allows: &mut Vec<AllowScope>,
                        diags: &mut Vec<Diagnostic>| {
                let code = Code::from_name(&a.code.node);
                if code.is_none() {
                    let suggestion = did_you_mean(&a.code.node, Code::ALL.iter().map(|c| c.name()));
                    diags.push(
                        Diagnostic::new(
                            Code::UnknownReference,
                            format!("unknown diagnostic code `{}`", a.code.node),
                        )
                        .label(a.code.span, "no such code")
                        .help(match suggestion {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => "the README's diagnostics catalogue lists every code".into(),
                        }),
                    );
                }
                if a.reason.node.trim().is_empty() {
                    diags.push(
                        Diagnostic::new(Code::InvalidValue, "an `allow` needs a reason")
                            .label(a.reason.span, "empty reason")
                            .help("say why the warning does not apply, for the next reader"),
                    );
                }
                allows.push(AllowScope {
                    code,
                    name: a.code.clone(),
                    range,
                    used: false,
                });
            };
            let whole = Span::new(0, usize::MAX);
            match &item.node {
                Item::Allow(a) => push(a, whole, &mut self.allows, &mut self.diags),
                Item::Product(p) => {
                    for s in &p.body {
                        if let ProductStmt::Allow(a) = &s.node {
                            push(a, item.span, &mut self.allows, &mut self.diags);
                        }
                    }
                }
                Item::Plan(p) => {
                    for s in &p.body {
                        if let PlanStmt::Allow(a) = &s.node {
                            push(a, item.span, &mut self.allows, &mut self.diags);
                        }
                    }
                }
                Item::Pack(p) => {
                    for s in &p.body {
                        if let PackStmt::Allow(a) = &s.node {
                            push(a, item.span, &mut self.allows, &mut self.diags);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// A rate as written: `7 credit / second`, `15 credit / 1000 character`.
pub fn describe_rate(r: &RateDef) -> String {
    if r.per == Decimal::ONE {
        format!("{} {} / {}", r.amount, r.unit, r.per_unit)
    } else {
        format!("{} {} / {} {}", r.amount, r.unit, r.per, r.per_unit)
    }
}

fn join_key(key: &[Spanned<String>]) -> String {
    key.iter()
        .map(|k| k.node.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A whole, non-negative number that fits in `u32`.
fn integer(d: Decimal) -> Option<u32> {
    if d.fract().is_zero() && d >= Decimal::ZERO {
        d.trunc().to_string().parse().ok()
    } else {
        None
    }
}

fn same_terms(a: &PlanDef, b: &PlanDef) -> bool {
    let grants = |p: &PlanDef| -> Vec<(Decimal, String, GrantCadence, GrantExpiry, u32)> {
        p.grants
            .iter()
            .map(|g| {
                (
                    g.amount.normalize(),
                    g.unit.clone(),
                    g.cadence,
                    g.expiry.clone(),
                    g.priority,
                )
            })
            .collect()
    };
    let limits = |p: &PlanDef| -> Vec<(String, String)> {
        p.limits
            .iter()
            .map(|l| (l.name.clone(), l.value_text.clone()))
            .collect()
    };
    let price = |p: &PlanDef| match &p.price {
        PlanPrice::Amount {
            amount,
            currency,
            months,
        } => Some((amount.normalize(), currency.clone(), *months)),
        _ => None,
    };
    // Custom-priced plans are sales-led: their terms are not published, so they are not compared.
    price(a).is_some()
        && price(a) == price(b)
        && grants(a) == grants(b)
        && limits(a) == limits(b)
        && a.available == b.available
        && a.packs_allowed == b.packs_allowed
        && a.when_empty == b.when_empty
        && a.commit == b.commit
}
