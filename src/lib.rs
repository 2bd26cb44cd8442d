//! pricebook: a compiler for a declarative pricing language, and the engine services price
//! with.
//!
//! A pricing team keeps a vendor's price list as a versioned book (`*.pricebook`); the checker
//! reports every mistake in it, the compiler turns it into a [`RatingTable`], and a service
//! loads that table once to answer cost questions exactly: what a usage costs ([`Rater`],
//! [`RatingTable::quote`]), how much a plan buys ([`RatingTable::capacity`]), what a billing
//! period bills ([`bill()`]), what changed between two versions ([`diff()`]).
//!
//! # The ten-minute tour
//!
//! Load once, resolve names once, then quote without allocating:
//!
//! ```
//! use pricebook::{Rater, RejectionKind};
//!
//! // A book from its text (or `pricebook::open` for a file, a compiled table or a vendor's
//! // directory of versions, picked by date).
//! let table = pricebook::compile_source(r#"
//! pricebook acme version "1" effective 2026-01-01 currency USD
//! unit credit
//! product "Render" as render { measure time  rate 2 credit / second  round up to 1 second }
//! plan "Pro" as pro {
//!   price 20 USD / month
//!   grant 1000 credit every month, expires at cycle end
//!   limit render length <= 10 minute
//! }
//! "#).expect("the book checks");
//!
//! // Names to ids, once: slugs or display names, in any case or spacing.
//! let plan = table.find_plan("pro").expect("a plan");
//! let product = table.find_product("Render").expect("a product");
//! let cell = table.resolve_cell(product, &[]).expect("no dimensions to give");
//!
//! // Quote: exact decimals, one rounding at the end.
//! let rater = Rater::new(&table);
//! let key = rater.key(Some(plan), product, cell).expect("a key");
//! let q = rater.quote(key, "90.5".parse().unwrap()).expect("priced");
//! assert_eq!(q.charge.to_string(), "182"); // 91 seconds, rounded up, at 2 credits
//! assert_eq!(q.money.map(|m| m.to_string()).as_deref(), Some("3.64"));
//!
//! // What a plan will not sell is a rejection with a kind, not an error string.
//! let too_long = rater.quote(key, 601.into()).expect_err("over the limit");
//! assert_eq!(too_long.kind, RejectionKind::Limit);
//!
//! // How much the plan's monthly grant buys.
//! let unit = table.find_unit("second").expect("a unit");
//! assert_eq!(table.capacity(plan, product, cell, table.unit_name(unit)).unwrap().to_string(), "500");
//! ```
//!
//! A book with mistakes is every diagnostic, each with its code, span and help:
//!
//! ```
//! let checked = pricebook::check_book("pricebook acme version \"1\" effective 2026-01-01 currency USD\nproduct \"X\" as x { measure time  rate 2 credit / second }\n");
//! assert!(checked.has_errors());
//! let d = &checked.diagnostics[0];
//! assert_eq!(d.code, pricebook::Code::UnknownReference); // `credit` is not declared
//! assert!(d.help.is_some());
//! ```
//!
//! # What is where
//!
//! | For | Use |
//! |---|---|
//! | opening books, tables and a vendor's versions | [`open`], [`open_with_contract`], [`load`] |
//! | checking and compiling book text | [`check_book`], [`compile_source`], [`pipeline`] |
//! | diagnostics: codes, spans, rendering | [`Diagnostic`], [`Code`], [`diagnostic`] |
//! | the artifact: names, quotes, capacity, JSON | [`RatingTable`], [`table`] |
//! | quoting and rating many usages fast | [`Rater`], [`Totals`], [`rate::batch`] |
//! | bills over periods, wallets, recharges | [`bill()`], [`BillRequest`], [`bill`](mod@bill) |
//! | reading usage files | [`usage`] |
//! | comparing two versions | [`diff()`], [`diff`](mod@diff) |
//! | snapshot tests of every price a book makes | [`snapshot`] |
//! | what each plan's grant buys of each product | [`burn`](mod@burn) |
//! | answering questions as the command and the service do (JSON in, JSON out) | [`answer`] |
//! | shared vocabulary: dates, money, rejections | [`base`], [`Date`], [`Decimal`] |
//!
//! Every failure is a value: [`Rejection`] (a usage a rule refuses, with a [`RejectionKind`]),
//! [`OpenError`], [`LoadError`], [`BillError`], or diagnostics. Nothing in the library panics on
//! any input; money and quantities are [`Decimal`] throughout, with checked arithmetic.
//!
//! The compiler's stages (syntax, check, model, compile, fmt, examples, and the reference
//! evaluator the tests compare every engine with) are public only with the `internals` feature,
//! for this repository's tests, benches and fuzzers: they are not a stable API. The `cli` feature
//! (the default) adds the `pricebook` command; services can leave it out with
//! `default-features = false`.

// Library code reports failures as values; an invariant that makes failure impossible is
// stated with `#[expect(..., reason = "...")]` where it is relied on.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod answer;
pub mod base;
pub mod bill;
pub mod burn;
#[cfg(feature = "internals")]
pub mod check;
#[cfg(not(feature = "internals"))]
mod check;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "internals")]
pub mod compile;
#[cfg(not(feature = "internals"))]
mod compile;
pub mod diagnostic;
pub mod diff;
#[cfg(feature = "internals")]
pub mod examples;
#[cfg(not(feature = "internals"))]
mod examples;
#[cfg(feature = "internals")]
pub mod fmt;
#[cfg(not(feature = "internals"))]
mod fmt;
pub mod load;
#[cfg(feature = "lsp")]
pub mod lsp;
#[cfg(feature = "internals")]
pub mod model;
#[cfg(not(feature = "internals"))]
mod model;
pub mod page;
pub mod pipeline;
pub mod rate;
#[cfg(any(test, feature = "internals"))]
pub mod reference;
#[cfg(feature = "serve")]
pub mod serve;
pub mod snapshot;
pub mod sql;
#[cfg(feature = "internals")]
pub mod syntax;
#[cfg(not(feature = "internals"))]
mod syntax;
pub mod table;
pub mod usage;

pub use base::date::Date;
pub use base::rejection::{Rejection, RejectionKind};
pub use bill::{Bill, BillError, BillRequest, Billing, RechargeSettings, Usage, UsageEvent, bill};
pub use diagnostic::{Code, Diagnostic, Severity};
pub use diff::{Diff, Side, diff};
pub use fmt::format_source;
pub use load::{OpenError, Opened, open, open_file, open_with_contract};
pub use pipeline::{BookCheck, CompileError, check_book, compile_file, compile_source};
pub use rate::{Event, RateKey, Rater, Totals};
/// Exact decimals for money and quantities (the `rust_decimal` crate this build uses).
pub use rust_decimal::Decimal;
pub use table::{
    CellId, ExplainStep, LoadError, PackId, PlanId, ProductId, RatingTable, TableQuote, UnitId,
};
