//! Names to ids for the rating workers (and an invoice run's routing of lines to accounts):
//! usage lines repeat a few account names and rate keys millions of times, so lookups hash fast
//! and compare short keys inline.

use hashbrown::HashTable;

/// A key of up to 31 bytes as four words: its bytes, zero-padded, with its length in the last
/// byte.
pub(super) type Short = [u64; 4];

/// Byte-string keys to ids, with keys of up to 31 bytes stored inline: a lookup then compares
/// four words in the table instead of chasing a pointer to the key, and rating looks up every
/// line's account and rate key (account names and `plan\0product\0` keys are nearly all short).
///
/// The hash is computed here, over the packed words, not through `std::hash`: names come from
/// one trusted export, and this is the rating loop's hottest step. Short keys take
/// [`hash_small`] (one multiply): the maps of rate keys hold tens of keys, and a weaker hash
/// can only make a lookup probe further, never find the wrong key. The accounts' table
/// ([`super::batch`]) holds millions of names and keeps the full [`hash_short`].
pub(crate) struct NameMap<V> {
    short: HashTable<(Short, V)>,
    long: HashTable<(Box<[u8]>, V)>,
}

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// Murmur3's finaliser: every bit of the input moves the bucket index.
#[inline(always)]
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

#[inline(always)]
pub(super) fn hash_short(k: &Short) -> u64 {
    let mut h = 0u64;
    for w in k {
        h = (h.rotate_left(23) ^ w).wrapping_mul(K);
    }
    mix(h)
}

fn hash_long(bytes: &[u8]) -> u64 {
    let mut h = bytes.len() as u64;
    for chunk in bytes.chunks(8) {
        let mut b = [0u8; 8];
        b[..chunk.len()].copy_from_slice(chunk);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(b)).wrapping_mul(K);
    }
    mix(h)
}

/// A quicker hash of a short key for [`NameMap`]: the words folded with rotations, one
/// multiply, and the high half folded into the low (hashbrown places a key by its low bits and
/// tags it with its top seven). A map of rate keys holds tens of keys but is asked once per
/// usage line: the full hash's chain of multiplies was most of a lookup's latency.
#[inline(always)]
fn hash_small(k: &Short) -> u64 {
    let x = k[0] ^ k[1].rotate_left(19) ^ k[2].rotate_left(37) ^ k[3].rotate_left(53);
    let h = x.wrapping_mul(K);
    h ^ (h >> 29)
}

/// The hash of a name, short or long: which worker owns an account ([`super::batch`]).
#[inline]
pub(crate) fn route_hash(bytes: &[u8]) -> u64 {
    match pack(bytes) {
        Some(k) => hash_short(&k),
        None => hash_long(bytes),
    }
}

/// Whether two packed keys are the same, compared word by word in registers. `==` on the
/// arrays compares them as two 16-byte vectors, loading the key just packed back from the
/// stack where it was stored a word at a time; that load waits for the stores to retire, and
/// was half of a rate-key lookup's samples.
#[inline(always)]
pub(super) fn same(a: &Short, b: &Short) -> bool {
    ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) == 0
}

/// The key's words, or `None` when it is longer than 31 bytes.
#[inline(always)]
pub(super) fn pack(bytes: &[u8]) -> Option<Short> {
    let len = bytes.len();
    if len > 31 {
        return None;
    }
    let mut words = [0u64; 4];
    let mut i = 0;
    while i + 8 <= len {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[i..i + 8]);
        words[i / 8] = u64::from_le_bytes(b);
        i += 8;
    }
    if i < len {
        let tail = len - i;
        words[i / 8] = if len >= 8 {
            // The last eight bytes, shifted down past the ones already taken.
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[len - 8..]);
            u64::from_le_bytes(b) >> ((8 - tail) * 8)
        } else {
            bytes
                .iter()
                .rev()
                .fold(0u64, |w, byte| (w << 8) | u64::from(*byte))
        };
    }
    words[3] |= (len as u64) << 56;
    Some(words)
}

impl<V: Copy> NameMap<V> {
    pub(crate) fn new() -> Self {
        NameMap {
            short: HashTable::new(),
            long: HashTable::new(),
        }
    }

    #[inline]
    pub(crate) fn get(&self, bytes: &[u8]) -> Option<V> {
        match pack(bytes) {
            Some(k) => self
                .short
                .find(hash_small(&k), |(key, _)| same(key, &k))
                .map(|(_, v)| *v),
            None => self
                .long
                .find(hash_long(bytes), |(key, _)| **key == *bytes)
                .map(|(_, v)| *v),
        }
    }

    /// Adds `bytes` -> `value`; a key already in the map keeps its value.
    pub(crate) fn insert(&mut self, bytes: &[u8], value: V) {
        match pack(bytes) {
            Some(k) => {
                let hash = hash_small(&k);
                if self.short.find(hash, |(key, _)| same(key, &k)).is_none() {
                    self.short
                        .insert_unique(hash, (k, value), |(key, _)| hash_small(key));
                }
            }
            None => {
                let hash = hash_long(bytes);
                if self.long.find(hash, |(key, _)| **key == *bytes).is_none() {
                    self.long
                        .insert_unique(hash, (bytes.into(), value), |(key, _)| hash_long(key));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{NameMap, pack};

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

    /// Packing is the bytes, zero-padded, with the length last, whatever the length.
    #[test]
    fn keys_pack_into_their_bytes_and_length() {
        let text: Vec<u8> = (1..=31u8).collect();
        for len in 0..=31 {
            let mut padded = [0u8; 32];
            padded[..len].copy_from_slice(&text[..len]);
            padded[31] = len as u8;
            let expect: Vec<u64> = padded
                .chunks(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
                .collect();
            assert_eq!(
                pack(&text[..len]).map(|w| w.to_vec()),
                Some(expect),
                "{len}"
            );
        }
        assert_eq!(pack(&[0u8; 32]), None);
    }
}
