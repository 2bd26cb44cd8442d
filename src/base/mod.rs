//! The shared vocabulary every stage speaks, depending on nothing else in the crate: source
//! spans, names (how a written name is matched, and what to suggest when it is not), units and
//! currencies, exact money, written quantities and calendar dates.

pub mod date;
pub mod money;
pub mod names;
pub mod quantity;
pub mod rejection;
pub mod span;
pub mod units;
