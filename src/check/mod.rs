//! The checker: AST -> [`Model`] plus every diagnostic of the file.
//!
//! Passes run in order (header, names, units, dimensions, products, plans, packs, book-level
//! rules, cross-item rules, worked examples, `allow`s). Each pass reports what it finds and keeps
//! going with what it could resolve, so one mistake does not hide another; a name that failed to
//! resolve is simply skipped by later passes instead of producing follow-on errors.

// The passes, in the order `Cx::run` runs them.
mod allowances;
mod allows;
mod bill_bounds;
mod book_rules;
mod cross;
mod dimensions;
mod examples;
mod fees;
mod follow_ons;
mod grants;
mod header;
mod inherit;
mod limits;
mod names;
mod packs;
mod plans;
mod prices;
mod pricing;
mod products;
mod rates;
mod subscription_rules;
mod top_ups;
mod units;
// Run by the caller on a contract layered on its book.
mod contract_terms;
pub use contract_terms::contract_terms;
// Shared by the passes.
mod diagnostics;
mod help;

/// What every pass file imports.
mod prelude {
    pub(super) use super::Cx;
    pub(super) use super::allows::AllowScope;
    pub(super) use super::diagnostics;
    pub(super) use super::follow_ons::stmt_errors;
    pub(super) use super::inherit;
    pub(super) use super::names::{Names, Seen};
    pub(super) use super::prices::integer;
    pub(super) use crate::base::date::Date;
    pub(super) use crate::base::names::{did_you_mean, name_key, same_key};
    pub(super) use crate::base::units::{self, Dimension, Unit, UnitTable, currency_digits};
    pub(super) use crate::diagnostic::{Code, Diagnostic, Severity};
    pub(super) use crate::model::*;
    pub(super) use crate::syntax::ast::*;
    pub(super) use rust_decimal::Decimal;
    pub(super) use std::collections::{HashMap, HashSet};
}

use allows::apply_allows;
use follow_ons::drop_follow_ons;
use prelude::*;

/// The result of checking one book.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The model, when the book had no errors.
    pub model: Option<Model>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    #[cfg(any(test, feature = "internals"))]
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
#[cfg(any(test, feature = "internals"))]
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
#[cfg(any(test, feature = "internals"))]
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

/// Orders diagnostics by position, so reports read top to bottom.
pub fn sort_diagnostics(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| (d.span().map(|s| s.start).unwrap_or(0), d.code));
}

struct Cx<'b> {
    book: &'b Book,
    diags: Vec<Diagnostic>,
    units: UnitTable,
    /// Where each unit name is in `units` (its first entry), once `units` is complete. Fx, as
    /// every rate and quantity looks its units up here; nothing iterates it.
    unit_index: rustc_hash::FxHashMap<String, usize>,
    currency: Option<String>,
    /// The price list the header names (`main` when it names none).
    list: String,
    /// The header's effective date, when it is a real date.
    effective: Option<Date>,
    dimensions: Vec<DimensionDef>,
    dim_names: Names,
    attr_names: Names,
    /// Declared event attributes, by name as written.
    attributes: Vec<String>,
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
            unit_index: rustc_hash::FxHashMap::default(),
            currency: None,
            effective: None,
            list: MAIN_LIST.to_string(),
            dimensions: Vec::new(),
            dim_names: Names::default(),
            attr_names: Names::default(),
            attributes: Vec::new(),
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
        self.attributes();
        self.wallet_units();
        self.floor();
        let book = self.book;
        let (products, plans) = (self.products.spans.len(), self.plans.spans.len());
        self.product_defs.reserve(products);
        self.plan_defs.reserve(plans);
        for item in &book.items {
            if let Item::Product(p) = &item.node {
                // A duplicate was reported by `names`; checking it again would only add noise.
                let at = self.product_defs.len();
                let first = self
                    .products
                    .spans
                    .get(at)
                    .is_some_and(|s| *s == p.slug.span)
                    && self.products.first.get(at).copied().unwrap_or(false);
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
        let existing_moves = self.existing_moves();
        let subscription = self.subscription_rules();
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
            list: self.list.clone(),
            version,
            effective,
            currency,
            is_contract: self.is_contract,
            units: self.units.clone(),
            dimensions: self.dimensions.clone(),
            attributes: self.attributes.clone(),
            // Nothing reads the definitions after this point: move them into the model (every
            // one is there, see above).
            products: all_defined(std::mem::take(&mut self.product_defs)),
            plans: all_defined(std::mem::take(&mut self.plan_defs)),
            packs: std::mem::take(&mut self.pack_defs),
            annual_front_load: front_load,
            existing_moves,
            subscription,
            recharge,
            floor: self.floor.clone(),
            examples,
        };
        self.model = Some(model);
    }
}

/// The definitions of a list with none missing (the caller checked), moved out. `map_while`
/// over the vector's own iterator collects in place (an `Option` of a definition is the size of
/// the definition), where `flatten` copied the ten thousand products of a large book into a
/// new allocation.
fn all_defined<T>(defs: Vec<Option<T>>) -> Vec<T> {
    defs.into_iter().map_while(|d| d).collect()
}
