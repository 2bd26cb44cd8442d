//! Division by an invariant divisor without a hardware divide: the rater's inner loop.

/// Division of `u64`s by an invariant divisor `d >= 2` as a multiply and two shifts, with no
/// branch (Granlund & Montgomery's round-up method; exact for every `n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Divider {
    d: u64,
    magic: u64,
    /// `ceil(log2 d) - 1`.
    shift: u32,
}

impl Divider {
    /// A divider for `d`; `None` for 0 and 1 (callers divide by at least 2).
    pub fn new(d: u64) -> Option<Divider> {
        if d < 2 {
            return None;
        }
        // l = ceil(log2 d) >= 1; m = floor(2^64 (2^l - d) / d) + 1 fits in 64 bits (it is 1 when
        // d is a power of two, where the formula reduces to a shift).
        let l = 64 - (d - 1).leading_zeros();
        let num = (1u128 << 64) * ((1u128 << l) - u128::from(d));
        let magic = (num / u128::from(d)) as u64 + 1;
        Some(Divider {
            d,
            magic,
            shift: l - 1,
        })
    }

    #[inline(always)]
    pub fn divide(&self, n: u64) -> u64 {
        let t = ((u128::from(self.magic) * u128::from(n)) >> 64) as u64;
        (t + ((n - t) >> 1)) >> self.shift
    }

    pub fn divisor(&self) -> u64 {
        self.d
    }
}

/// Division of `u64`s by an invariant divisor `d >= 2` as one multiply and one shift, for
/// numerators up to [`Reciprocal::limit`] (at least 2^63): `n div d = (n * m) >> (64 + s)` with
/// `s = floor(log2 d)` and `m = ceil(2^(64+s) / d) < 2^64` (for a power of two, `s - 1` and
/// `m = 2^63`).
///
/// Why it is exact: with `m d = 2^(64+s) + e` (`0 <= e < d`) and `n = k d + r`, the product over
/// `2^(64+s)` is `k + r/d + n e / (d 2^(64+s))`; `r/d <= 1 - 1/d`, and the last term is below
/// `1/d` when `n e < 2^(64+s)`, so the floor is `k`. The rater keeps every numerator it divides
/// under 2^62; [`Divider`]'s fix-up (three more instructions, for any `n`) is then not needed
/// on its hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reciprocal {
    d: u64,
    magic: u64,
    shift: u8,
    limit: u64,
}

impl Reciprocal {
    /// A reciprocal of `d`; `None` for 0 and 1 (callers divide by at least 2).
    pub fn new(d: u64) -> Option<Reciprocal> {
        if d < 2 {
            return None;
        }
        let floor_log = 63 - d.leading_zeros() as u8;
        let shift = match d.is_power_of_two() {
            true => floor_log - 1,
            false => floor_log,
        };
        let scale = 1u128 << (64 + shift);
        let magic = u64::try_from(scale.div_ceil(u128::from(d))).ok()?;
        let excess = u128::from(magic) * u128::from(d) - scale;
        let limit = match excess {
            0 => u64::MAX,
            e => u64::try_from((scale - 1) / e).unwrap_or(u64::MAX),
        };
        Some(Reciprocal {
            d,
            magic,
            shift,
            limit,
        })
    }

    /// The largest numerator [`Reciprocal::divide`] is exact for (at least 2^63).
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// `n div d`, for `n <= self.limit()`.
    #[inline(always)]
    pub fn divide(&self, n: u64) -> u64 {
        Self::apply(self.magic, self.shift, n)
    }

    /// The multiplier, for a caller that keeps it packed with other fields.
    pub fn magic(&self) -> u64 {
        self.magic
    }

    /// The shift after the multiply's high word (below 64).
    pub fn shift(&self) -> u8 {
        self.shift
    }

    /// `n div d` from a reciprocal's [`magic`](Reciprocal::magic) and
    /// [`shift`](Reciprocal::shift), for `n` within its limit.
    #[inline(always)]
    pub fn apply(magic: u64, shift: u8, n: u64) -> u64 {
        (((u128::from(magic) * u128::from(n)) >> 64) as u64) >> shift
    }

    pub fn divisor(&self) -> u64 {
        self.d
    }
}
