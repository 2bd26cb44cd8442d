//! Numeric planning: every quantity becomes an integer count of ticks (`10^-scale` base units,
//! the scale computed from the table), every rate an integer ratio `A / B` from ticks to minor
//! units of its charge, and every key a largest quantity for which the script's integers stay
//! within 38 digits. Nothing here is approximate: where an exact integer form does not exist
//! within those digits, the product is refused.

use rust_decimal::Decimal;

/// The script's integers stay below this (with room for a doubling and a sum): 38 digits.
pub(super) const LIMIT: i128 = 10i128.pow(37);

/// Ticks per base unit are `10^scale`; quantities are read with 9 decimals, as the rater does.
pub(super) const INPUT_SCALE: u32 = 9;

/// A quantity bound below a million base units cannot rate realistic usage: refuse instead.
pub(super) const MIN_BASE_UNITS: i128 = 1_000_000;

pub(super) fn pow10(e: u32) -> Option<i128> {
    10i128.checked_pow(e)
}

pub(super) fn gcd(mut a: i128, mut b: i128) -> i128 {
    (a, b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// `v` as an integer count of `10^-scale`, when exact.
pub(super) fn scaled(v: Decimal, scale: u32) -> Option<i128> {
    if v.scale() > scale {
        let n = v.normalize();
        if n.scale() > scale {
            return None;
        }
        return n.mantissa().checked_mul(pow10(scale - n.scale())?);
    }
    v.mantissa().checked_mul(pow10(scale - v.scale())?)
}

/// The decimals `v` needs once trailing zeros are gone.
pub(super) fn places(v: Decimal) -> u32 {
    v.normalize().scale()
}

/// An exact ratio from ticks to minor units: `minor = round_half_up(ticks * a / b)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ratio {
    pub a: i128,
    pub b: i128,
}

impl Ratio {
    /// `amount` per `per_base` base units, in `10^-dp` of the charge unit per tick.
    pub fn of_rate(amount: Decimal, per_base: Decimal, dp: u32, tick_scale: u32) -> Option<Ratio> {
        if per_base <= Decimal::ZERO || amount < Decimal::ZERO {
            return None;
        }
        let (am, asc) = (amount.mantissa(), amount.scale());
        let (pm, psc) = (per_base.mantissa(), per_base.scale());
        Ratio::reduced(
            am.checked_mul(pow10(dp.checked_add(psc)?)?)?,
            pm.checked_mul(pow10(asc.checked_add(tick_scale)?)?)?,
        )
    }

    pub fn reduced(a: i128, b: i128) -> Option<Ratio> {
        if b <= 0 || a < 0 {
            return None;
        }
        let g = gcd(a, b);
        Some(Ratio { a: a / g, b: b / g })
    }

    /// The largest quantity (ticks) whose `2 q a + b` stays below [`LIMIT`].
    pub fn max_quantity(&self) -> i128 {
        if self.a == 0 {
            return LIMIT;
        }
        (LIMIT - self.b).max(0) / (2 * self.a)
    }

    /// The charge (minor units) of `q` ticks, rounded up: a bound for planning.
    pub fn charge_bound(&self, q: i128) -> Option<i128> {
        q.checked_mul(self.a)?.checked_div(self.b)?.checked_add(1)
    }
}

pub(super) fn lcm(a: i128, b: i128) -> Option<i128> {
    (a / gcd(a, b)).checked_mul(b)
}
