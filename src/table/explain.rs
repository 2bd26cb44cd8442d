//! The words of `quote --explain`: each step of a quote as a person checks it by hand, with the
//! arithmetic before the one final rounding (`30 second x 0.0667 USD / second = 2.001 USD,
//! rounded to 2.00 USD`), the matrix cell used, and every slice of graduated tiers. Only built when
//! an explanation is asked for; the quoting path itself never formats anything.

use super::TierMode;
use super::{ProductEntry, RateCell, RatingTable, TierEntry, UnitId, WalletPrice};
use rust_decimal::Decimal;

/// A decimal for a person: exact when it has few digits, else cut at 6 decimals with `…`.
fn shown(v: Decimal) -> String {
    let v = v.normalize();
    if v.scale() <= 6 {
        v.to_string()
    } else {
        format!("{}…", v.trunc_with_scale(6))
    }
}

impl RatingTable {
    /// `resolution=720p, fps=30 fps` for a matrix cell; `None` for a product without dimensions.
    pub(super) fn describe_cell(&self, p: &ProductEntry, cell: u32) -> Option<String> {
        if p.dims.is_empty() {
            return None;
        }
        let parts: Vec<String> = p
            .dims
            .iter()
            .zip(&p.strides)
            .filter_map(|(d, stride)| {
                let dim = self.dimensions.get(*d as usize)?;
                let n = dim.values.len() as u32;
                let v = dim.values.get(((cell / stride) % n.max(1)) as usize)?;
                Some(format!("{}={v}", dim.name))
            })
            .collect();
        Some(format!("cell {}", parts.join(", ")))
    }

    /// `91 second x 7 credit / second = 637 credit`, with the exact value when the charge was
    /// rounded from it.
    pub(super) fn explain_product(
        &self,
        q: Decimal,
        base: &str,
        r: &RateCell,
        charge: Decimal,
    ) -> String {
        let unit = self.unit_name(r.unit);
        let exact = q
            .checked_mul(r.amount)
            .and_then(|n| n.checked_div(r.per_base));
        let head = format!("{} {base} x {}", q.normalize(), self.describe_rate(r));
        match exact {
            Some(e) if e.normalize() != charge.normalize() => {
                format!("{head} = {} {unit}, rounded to {charge} {unit}", shown(e))
            }
            _ => format!("{head} = {charge} {unit}"),
        }
    }

    /// The steps of tiered pricing: one per graduated slice and their sum, or the volume tier
    /// reached.
    pub(super) fn explain_tiers(
        &self,
        mode: TierMode,
        tiers: &[TierEntry],
        q: Decimal,
        base: &str,
        charge: Decimal,
    ) -> Vec<(String, u32)> {
        let Some(first) = tiers.first() else {
            return Vec::new();
        };
        let unit = self.unit_name(first.rate.unit);
        let range = |t: &TierEntry| match t.to {
            Some(to) => format!("{} .. {} {base}", t.from.normalize(), to.normalize()),
            None => format!("{} {base} ..", t.from.normalize()),
        };
        let mut steps = Vec::new();
        match mode {
            TierMode::Graduated => {
                let mut parts = Vec::new();
                let mut total = Decimal::ZERO;
                for t in tiers {
                    if q <= t.from {
                        break;
                    }
                    let top = t.to.map_or(q, |to| to.min(q));
                    let slice = top - t.from;
                    let part = slice
                        .checked_mul(t.rate.amount)
                        .and_then(|v| v.checked_div(t.rate.per_base))
                        .unwrap_or_default();
                    total += part;
                    parts.push(shown(part));
                    steps.push((
                        format!(
                            "graduated tier {}: {} {base} x {} = {} {unit}",
                            range(t),
                            slice.normalize(),
                            self.describe_rate(&t.rate),
                            shown(part)
                        ),
                        t.rate.line,
                    ));
                }
                let sum = format!("{} = {} {unit}", parts.join(" + "), shown(total));
                let rounded = if total.normalize() != charge.normalize() {
                    format!(", rounded to {charge} {unit}")
                } else {
                    String::new()
                };
                steps.push((format!("tiers sum to {sum}{rounded}"), 0));
            }
            TierMode::Volume => {
                let t = tiers
                    .iter()
                    .find(|t| q >= t.from && t.to.is_none_or(|to| q < to))
                    .unwrap_or(&tiers[tiers.len() - 1]);
                steps.push((
                    format!(
                        "volume tier {} reached: all {}",
                        range(t),
                        self.explain_product(q, base, &t.rate, charge)
                    ),
                    t.rate.line,
                ));
            }
        }
        steps
    }

    /// `money: 637 credit x 30 USD / 5400 credit = 3.538888… USD, rounded to 3.54 USD`.
    pub(super) fn explain_money(
        &self,
        charge: Decimal,
        w: &WalletPrice,
        unit: UnitId,
        money: Decimal,
    ) -> String {
        let u = self.unit_name(unit);
        let c = &self.currency;
        let exact = charge
            .checked_mul(w.price)
            .and_then(|v| v.checked_div(w.granted));
        let head = format!("money: {charge} {u} x {} {c} / {} {u}", w.price, w.granted);
        match exact {
            Some(e) if e.normalize() != money.normalize() => {
                format!("{head} = {} {c}, rounded to {money} {c}", shown(e))
            }
            _ => format!("{head} = {money} {c}"),
        }
    }
}
