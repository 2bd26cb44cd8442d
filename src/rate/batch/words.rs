//! Bytes searched eight at a time: a line's commas (the CSV split) and a JSON string's end are
//! found by arithmetic on a 64-bit word, each byte's answer in its high bit. Usage fields are a
//! few bytes long, too short for a vector search to pay for its setup, and a byte loop is a
//! compare and a branch per byte.

/// Every byte's low seven bits.
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// `byte` in each of a word's eight bytes.
const fn splat(byte: u8) -> u64 {
    byte as u64 * 0x0101_0101_0101_0101
}

/// Eight bytes of a line (a `chunks_exact(8)` chunk) as a word, the first in the low byte.
#[inline(always)]
pub(super) fn load(chunk: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(chunk);
    u64::from_le_bytes(b)
}

/// `0x80` in each byte of `word` equal to `byte`, `0` in the others: exact, as the high bit of
/// each byte is computed without a borrow from its neighbour.
#[inline(always)]
pub(super) fn bytes_equal(word: u64, byte: u8) -> u64 {
    let v = word ^ splat(byte);
    !(((v & LOW7) + LOW7) | v | LOW7)
}

/// `0x80` in each byte of `word` below `bound` (at most `0x80`), `0` in the others: a byte's
/// low seven bits plus `0x80 - bound` carry into its high bit from `bound` up, and a byte of
/// `0x80` or more has that bit already, so what is left clear, negated, is the bytes below.
/// Exact: no sum reaches the next byte.
#[inline(always)]
pub(super) fn bytes_below(word: u64, bound: u8) -> u64 {
    !(((word & LOW7) + splat(0x80 - bound)) | word | LOW7)
}

/// The high bits of [`bytes_equal`]'s eight bytes as eight bits, byte `k` to bit `k`.
#[inline(always)]
pub(super) fn bits_of(high_bits: u64) -> u64 {
    (high_bits >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

#[cfg(test)]
mod tests {
    use super::{bits_of, bytes_below, bytes_equal, load};

    /// Each byte's answer is the byte's own, whatever its neighbours (the borrows and carries
    /// of the arithmetic stay inside each byte), for every byte value in every place.
    #[test]
    fn each_byte_is_judged_alone() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for round in 0..20_000u32 {
            let mut b = crate::base::xorshift(&mut seed).to_le_bytes();
            b[(round % 8) as usize] = (round % 256) as u8;
            let w = load(&b);
            for (k, byte) in b.iter().enumerate() {
                let high = |m: u64| (m >> (8 * k + 7)) & 1 == 1;
                assert_eq!(high(bytes_equal(w, b',')), *byte == b',', "{b:?}");
                assert_eq!(high(bytes_below(w, 0x20)), *byte < 0x20, "{b:?}");
                assert_eq!((bits_of(bytes_equal(w, b',')) >> k) & 1 == 1, *byte == b',');
            }
        }
    }
}
