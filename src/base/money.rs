//! Exact money: decimal parsing, the one final rounding of a charge, and exact division.
//!
//! Every amount is a `rust_decimal::Decimal` with checked arithmetic. A charge is rounded once,
//! at the end, by the declared rule: money to its currency's minor unit, other units (credits)
//! to [`UNIT_CHARGE_DP`] places, half away from zero.

use super::units::currency_digits;
use rust_decimal::{Decimal, RoundingStrategy};

/// Decimal places a charge in a non-money unit (credits) keeps; rounded half-up once, at the end.
pub const UNIT_CHARGE_DP: u32 = 6;

/// Decimal places a charge in `unit` is rounded to: a currency's minor unit, else
/// [`UNIT_CHARGE_DP`].
pub fn charge_dp(unit: &str) -> u32 {
    currency_digits(unit).unwrap_or(UNIT_CHARGE_DP)
}

/// Decimal places an event's charge in money keeps: it is exact to 12 places and rounded to the
/// currency's minor unit once per invoice line, per rated total, and for display, never per
/// event (100 one-second events at $0.000667 a second cost $0.0667, shown as $0.07, not $0.00).
pub const EXACT_MONEY_DP: u32 = 12;

/// Decimal places an event's charge in `unit` is computed to: [`EXACT_MONEY_DP`] for money, the
/// unit's own rule otherwise.
pub fn exact_dp(unit: &str) -> u32 {
    match currency_digits(unit) {
        Some(_) => EXACT_MONEY_DP,
        None => UNIT_CHARGE_DP,
    }
}

/// An event's charge as kept before the one final rounding: money to [`EXACT_MONEY_DP`] places
/// without trailing zeros, other units as [`round_charge`] (their rule applies per event).
pub fn exact_charge(value: Decimal, unit: &str) -> Decimal {
    match currency_digits(unit) {
        Some(_) => value
            .round_dp_with_strategy(EXACT_MONEY_DP, RoundingStrategy::MidpointAwayFromZero)
            .normalize(),
        None => round_charge(value, unit),
    }
}

/// Rounds a charge once, by the declared rule: money to its minor unit, other units to
/// [`UNIT_CHARGE_DP`] places; half away from zero.
///
/// The result is in canonical form: money keeps its minor-unit digits (`30.00`), other units
/// drop trailing zeros (`8400`).
pub fn round_charge(value: Decimal, unit: &str) -> Decimal {
    let mut v =
        value.round_dp_with_strategy(charge_dp(unit), RoundingStrategy::MidpointAwayFromZero);
    match currency_digits(unit) {
        Some(dp) => v.rescale(dp),
        None => v = v.normalize(),
    }
    v
}

/// `mantissa / 10^scale` without trailing zeros, as [`Decimal::normalize`] gives it, or `None`
/// when it does not fit a 96-bit decimal. A mantissa within 64 bits (nearly every total) drops
/// its zeros by `u64` divisions by ten, which compile to multiplies: `normalize` divides the
/// 96-bit mantissa once per place, three hardware divisions each, and a million totals of nine
/// places took a thirtieth of a rating run's time.
pub fn normalized(mantissa: i128, scale: u32) -> Option<Decimal> {
    let Ok(mut m) = u64::try_from(mantissa.unsigned_abs()) else {
        return Decimal::try_from_i128_with_scale(mantissa, scale)
            .ok()
            .map(|d| d.normalize());
    };
    if scale > Decimal::MAX_SCALE {
        return None;
    }
    if m == 0 {
        return Some(Decimal::ZERO);
    }
    // Eight zeros at a time, then four, two and one: a total of twelve places that is a whole
    // number drops its zeros in four steps, not twelve dependent ones.
    let mut scale = scale;
    for (p, k) in [(100_000_000u64, 8u32), (10_000, 4), (100, 2), (10, 1)] {
        while scale >= k && m % p == 0 {
            m /= p;
            scale -= k;
        }
    }
    let d = Decimal::from_i128_with_scale(i128::from(m), scale);
    Some(if mantissa < 0 { -d } else { d })
}

/// `a + b` when the sum is exact, else `None`. `Decimal::checked_add` keeps a sum past 28
/// significant digits by dropping its last decimals (a rounded sum, not an error); a total must
/// never be rounded that way, so a sum whose scale fell below its operands' is refused.
pub fn add_exact(a: Decimal, b: Decimal) -> Option<Decimal> {
    a.checked_add(b)
        .filter(|sum| sum.scale() >= a.scale().max(b.scale()))
}

/// `numerator / denominator` rounded once to `dp` places, half away from zero, computed exactly
/// in integers (no intermediate 28-digit quotient, so no double rounding). Falls back to decimal
/// division only when the integers do not fit in 128 bits.
///
/// ```
/// use pricebook::base::money::div_round;
/// use rust_decimal::Decimal;
/// // 7 seconds at 1 credit / 300 seconds = 0.0233333... -> 0.023333
/// assert_eq!(div_round(Decimal::from(7), Decimal::from(300), 6).unwrap().to_string(), "0.023333");
/// ```
pub fn div_round(numerator: Decimal, denominator: Decimal, dp: u32) -> Option<Decimal> {
    if denominator.is_zero() {
        return None;
    }
    exact_div_round(numerator, denominator, dp).or_else(|| {
        numerator
            .checked_div(denominator)
            .map(|q| q.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero))
    })
}

fn exact_div_round(n: Decimal, d: Decimal, dp: u32) -> Option<Decimal> {
    // n / d = n_m 10^-n_s / (d_m 10^-d_s); scaled by 10^dp:
    //   n_m * 10^(d_s + dp) / (d_m * 10^n_s)
    let pow = |e: u32| 10i128.checked_pow(e);
    let num = n.mantissa().checked_mul(pow(d.scale() + dp)?)?;
    let den = d.mantissa().checked_mul(pow(n.scale())?)?;
    let (q, r) = (num / den, num % den);
    let away = r.unsigned_abs().checked_mul(2)? >= den.unsigned_abs();
    let q = if away {
        if (num < 0) != (den < 0) { q - 1 } else { q + 1 }
    } else {
        q
    };
    Decimal::try_from_i128_with_scale(q, dp).ok()
}

/// Parses a decimal literal exactly, with `_` as digit separator (`16_000`).
pub fn parse_decimal(s: &str) -> Option<Decimal> {
    // Most literals have no separator: parse them in place (a book has a number on every line).
    if !s.contains('_') {
        return Decimal::from_str_exact(s).ok();
    }
    let cleaned: String = s.chars().filter(|c| *c != '_').collect();
    Decimal::from_str_exact(&cleaned).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `u64` shortcut gives what `Decimal::normalize` gives (value, scale and sign, zero
    /// included), on both sides of 64 bits and at every scale up to the largest.
    #[test]
    fn normalized_is_normalize() {
        let mut seed = 0x853c_49e6_748f_ea9bu64;
        let mut cases: Vec<i128> = vec![
            0,
            1,
            -1,
            10,
            -10,
            1000,
            i128::from(u64::MAX),
            -i128::from(u64::MAX),
        ];
        cases.extend([
            i128::from(u64::MAX) + 1,
            i128::from(u64::MAX) * 10,
            (1i128 << 95) - 1,
        ]);
        for _ in 0..20_000 {
            let r = crate::base::xorshift(&mut seed);
            let zeros = r % 12;
            let m = i128::from(r >> (r % 50)) * 10i128.pow(zeros as u32);
            cases.push(if r % 3 == 0 { -m } else { m });
        }
        for m in cases {
            for scale in [0, 1, 2, 6, 9, 12, 28, 29] {
                let expect = Decimal::try_from_i128_with_scale(m, scale)
                    .ok()
                    .map(|d| d.normalize());
                let got = normalized(m, scale);
                assert_eq!(got, expect, "{m} scale {scale}");
                if let (Some(g), Some(e)) = (got, expect) {
                    assert_eq!(
                        (g.scale(), g.is_sign_negative()),
                        (e.scale(), e.is_sign_negative()),
                        "{m} scale {scale}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_sum_past_28_digits_is_refused_not_rounded() {
        let d = |s: &str| parse_decimal(s).unwrap_or_default();
        // 23 integer digits and 6 decimals: the exact sum needs 30 digits, one past a decimal's.
        let a = d("50000000000000000000000.000001");
        assert_eq!(a.scale(), 6);
        assert_eq!(
            a.checked_add(a).map(|s| s.to_string()),
            Some("100000000000000000000000.00000".into()),
            "checked_add rounds"
        );
        assert_eq!(add_exact(a, a), None);
        assert_eq!(add_exact(d("1.5"), d("2.25")), Some(d("3.75")));
        assert_eq!(
            add_exact(d("1.50"), d("2")).map(|s| s.to_string()),
            Some("3.50".into())
        );
        assert_eq!(add_exact(Decimal::MAX, Decimal::ONE), None);
    }
}
