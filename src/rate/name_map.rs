//! Names to ids for the rating workers: usage lines repeat a few account names and rate keys
//! millions of times, so lookups hash fast and compare short keys inline.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FxHash: a fast non-cryptographic hash for short keys (names from one trusted export).
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(buf));
        }
    }
    #[inline]
    fn write_u64(&mut self, word: u64) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves low bits (the bucket index) poorly mixed for keys that differ in
        // their last bytes (`acct-1234`); finish with a murmur-style avalanche.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Byte-string keys to ids, with keys of up to 31 bytes stored inline: a lookup then compares
/// four words in the table instead of chasing a pointer to the key, and rating looks up every
/// line's account and rate key (account names and `plan\0product\0` keys are nearly all short).
pub(super) struct NameMap<V> {
    short: FxMap<[u64; 4], V>,
    long: FxMap<Box<[u8]>, V>,
}

impl<V: Copy> NameMap<V> {
    pub(super) fn new() -> Self {
        NameMap {
            short: FxMap::default(),
            long: FxMap::default(),
        }
    }

    /// The key's bytes, zero-padded, with its length in the last byte.
    #[inline]
    fn pack(bytes: &[u8]) -> Option<[u64; 4]> {
        if bytes.len() > 31 {
            return None;
        }
        let mut buf = [0u8; 32];
        buf[..bytes.len()].copy_from_slice(bytes);
        buf[31] = bytes.len() as u8;
        let mut words = [0u64; 4];
        for (w, chunk) in words.iter_mut().zip(buf.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *w = u64::from_le_bytes(b);
        }
        Some(words)
    }

    #[inline]
    pub(super) fn get(&self, bytes: &[u8]) -> Option<V> {
        match Self::pack(bytes) {
            Some(k) => self.short.get(&k).copied(),
            None => self.long.get(bytes).copied(),
        }
    }

    pub(super) fn insert(&mut self, bytes: &[u8], value: V) {
        match Self::pack(bytes) {
            Some(k) => self.short.insert(k, value),
            None => self.long.insert(bytes.into(), value),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::NameMap;

    #[test]
    fn name_map_keeps_short_and_long_keys_apart() {
        let mut m = NameMap::new();
        let long = "an-account-name-longer-than-31-bytes";
        let keys: [&[u8]; 6] = [
            b"",
            b"a",
            b"a\0",
            b"acct-1234",
            &[b'x'; 31],
            long.as_bytes(),
        ];
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(m.get(k), None);
            m.insert(k, i);
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(m.get(k), Some(i), "{:?}", String::from_utf8_lossy(k));
        }
        // A 32-byte key goes to the long map and is not confused with its 31-byte prefix.
        assert_eq!(m.get(&[b'x'; 32]), None);
        assert_eq!(m.get(&long.as_bytes()[..31]), None);
    }
}
