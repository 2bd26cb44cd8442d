//! The pricing expressions over one usage row joined to its key's row of `pricebook_rates`:
//! quantity checks, `bill` bounds, block rounding, rates, tiers (graduated and volume, per
//! event and as period slices), flat charges, rounding a charge for display and converting it
//! to money. Each is integer arithmetic on columns named `pb_*`; the only division is
//! [`Dialect::idiv`] of non-negative integers, or [`round_div`] built on it.

use super::dialect::Dialect;

/// `x / d` rounded half away from zero, for an integer `x` of either sign and `d > 0`.
pub(super) fn round_div(d: Dialect, x: &str, div: &str) -> String {
    format!(
        "(CASE WHEN ({x}) >= 0 THEN {} ELSE -{} END)",
        d.idiv(&format!("2 * ({x}) + ({div})"), &format!("2 * ({div})")),
        d.idiv(&format!("-2 * ({x}) + ({div})"), &format!("2 * ({div})"))
    )
}

/// Whether quantity `q` fails check `i` (`pb_c{i}_*`): outside its bounds.
pub(super) fn check_fails(i: usize, q: &str) -> String {
    let c = |s: &str| format!("pb_c{i}_{s}");
    format!(
        "({reason} IS NOT NULL AND NOT (({lo} IS NULL OR {q} > {lo} OR ({lo_incl} AND {q} = {lo})) AND ({hi} IS NULL OR {q} < {hi} OR ({hi_incl} AND {q} = {hi}))))",
        reason = c("reason"),
        lo = c("lo"),
        lo_incl = c("lo_incl"),
        hi = c("hi"),
        hi_incl = c("hi_incl"),
    )
}

/// The quantity raised to `bill at least` (when something was used).
pub(super) fn raised_quantity(q: &str) -> String {
    format!(
        "CASE WHEN pb_raise_quantity IS NOT NULL AND {q} > 0 AND {q} < pb_raise_quantity THEN pb_raise_quantity ELSE {q} END"
    )
}

/// A raised quantity (a column) capped at `bill at most`. (`LEAST` skips nulls in most
/// engines: a rejected row's null stays null.)
pub(super) fn capped_quantity(q: &str) -> String {
    format!("CASE WHEN {q} IS NOT NULL THEN LEAST({q}, COALESCE(pb_cap_quantity, {q})) END")
}

/// The quantity rounded to the key's step: `floor((2 q + bias) / 2 step) * step`, with `bias`
/// `2 step - 2` (up), `0` (down) or `step` (nearest, halves up); a step of one tick leaves it.
pub(super) fn rounded_quantity(d: Dialect, q: &str) -> String {
    format!(
        "({} * pb_step)",
        d.idiv(&format!("2 * ({q}) + pb_bias"), "2 * pb_step")
    )
}

/// The charge (exact minor units) of a linear rate on `q` ticks: `floor((2 q a + b) / 2 b)`.
fn linear(d: Dialect, q: &str, a: &str, b: &str) -> String {
    d.idiv(&format!("2 * ({q}) * {a} + {b}"), &format!("2 * {b}"))
}

/// The price of `q` ticks under the key's tiers, whichever mode (`tiers` columns per key).
pub(super) fn tiers_price(d: Dialect, tiers: usize, q: &str) -> String {
    if tiers == 0 {
        return "0".to_string();
    }
    // Graduated: every tier's slice over one common denominator, rounded once.
    let slices: Vec<String> = (0..tiers)
        .map(|j| {
            format!(
                "COALESCE(GREATEST(LEAST({q}, COALESCE(pb_t{j}_to, {q})) - pb_t{j}_from, 0) * pb_t{j}_a, 0)"
            )
        })
        .collect();
    let graduated = d.idiv(
        &format!("2 * ({}) + pb_t0_b", slices.join(" + ")),
        "2 * pb_t0_b",
    );
    // Volume: the tier the whole quantity falls in, else the last.
    let mut volume = String::from("CASE");
    for j in 0..tiers {
        volume.push_str(&format!(
            " WHEN pb_t{j}_from IS NOT NULL AND {q} >= pb_t{j}_from AND (pb_t{j}_to IS NULL OR {q} < pb_t{j}_to) THEN {}",
            linear(d, q, &format!("pb_t{j}_a"), &format!("pb_t{j}_b"))
        ));
    }
    volume.push_str(" ELSE ");
    volume.push_str(&linear(d, q, "pb_tl_a", "pb_tl_b"));
    volume.push_str(" END");
    format!("(CASE WHEN pb_kind = 'graduated' THEN {graduated} ELSE {volume} END)")
}

/// One event's charge (exact minor units) on `q` ticks, rounded: every kind but tiers over the
/// period, whose events are slices of the period's running total.
pub(super) fn event_charge(d: Dialect, tiers: usize, q: &str) -> String {
    format!(
        "(CASE pb_kind WHEN 'rate' THEN {} WHEN 'flat' THEN pb_flat WHEN 'graduated' THEN {t} WHEN 'volume' THEN {t} ELSE {zero} END)",
        linear(d, q, "pb_a", "pb_b"),
        zero = d.int(0),
        t = tiers_price(d, tiers, q),
    )
}

/// An event's charge raised to `bill at least` (when it charged something).
pub(super) fn raised_charge(c: &str) -> String {
    format!(
        "CASE WHEN pb_raise_charge IS NOT NULL AND {c} > 0 AND {c} < pb_raise_charge THEN pb_raise_charge ELSE {c} END"
    )
}

/// A raised charge (a column) capped at `bill at most`; null (rejected) stays null.
pub(super) fn capped_charge(c: &str) -> String {
    format!("CASE WHEN {c} IS NOT NULL THEN LEAST({c}, COALESCE(pb_cap_charge, {c})) END")
}
