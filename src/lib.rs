//! pricebook: a compiler for a declarative pricing language.
//!
//! The pipeline runs one way, one module per stage:
//! [`syntax`] (text -> AST with spans) -> [`check`] (AST -> checked [`check::model::Model`] and
//! diagnostics) -> [`eval`] (quotes, capacities, worked examples). [`fmt`] prints an AST back in
//! canonical layout. Diagnostics are plain values ([`diagnostic`]), collected by every stage and
//! rendered in one place.
//!
//! ```
//! let checked = pricebook::check::check_source(r#"
//! pricebook acme version "1" effective 2026-01-01 currency USD
//! unit credit
//! product "Render" as render { measure time  rate 2 credit / second }
//! plan "Pro" as pro {
//!   price 20 USD / month
//!   grant 1000 credit every month, expires at cycle end
//! }
//! "#);
//! let model = checked.model.expect("a clean book");
//! let q = pricebook::reference::quote(&model, Some(0), 0, &[], 90.into()).expect("priced");
//! assert_eq!(q.charge.to_string(), "180");
//! assert_eq!(q.money.map(|(m, _)| m.to_string()).as_deref(), Some("3.60"));
//! ```

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

pub mod base;
pub mod bill;
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
#[cfg(feature = "internals")]
pub mod model;
#[cfg(not(feature = "internals"))]
mod model;
pub mod pipeline;
pub mod rate;
#[cfg(any(test, feature = "internals"))]
pub mod reference;
#[cfg(feature = "internals")]
pub mod syntax;
#[cfg(not(feature = "internals"))]
mod syntax;
pub mod table;
pub mod usage;
