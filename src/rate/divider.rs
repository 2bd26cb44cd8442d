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
