//! The shared vocabulary every stage speaks, depending on nothing else in the crate: source
//! spans, names (how a written name is matched, and what to suggest when it is not), units and
//! currencies, exact money, written quantities and calendar dates, and the fields of usage-file
//! lines (CSV and JSON Lines).

pub mod chunks;
pub mod csv;
pub mod date;
pub mod interval;
pub(crate) mod line_numbers;
pub mod money;
pub mod names;
pub mod quantity;
pub mod rejection;
pub mod span;
pub mod units;
pub mod usage_json;

/// One step of xorshift64 on `seed`, returning its new value: the unit tests' random inputs,
/// reproducible from the seed.
#[cfg(test)]
pub(crate) fn xorshift(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}
