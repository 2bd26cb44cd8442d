//! How a plan's availability (one flag per product) is written in a table file.
//!
//! Schema 8 wrote a JSON boolean per product: at 10,000 products and 100 plans, 1 M booleans and
//! 6 MB of the file, all of it parsed and hashed by every load. From schema 9 it is one string,
//! `"<products>:<hex>"`: the number of products, then their flags packed four to a lowercase hex
//! digit, product 0 in the top bit of the first digit and the last digit's unused bits zero
//! (`"6:f4"` offers products 0-3 and 5 of six). It holds a digit for every four flags, so what
//! it decodes to is bounded by its own length, and it has one spelling per list, so the
//! checksum (taken over the table written again) holds only for the text as written.
//!
//! Reading takes either form; writing uses the string unless a schema 8 table is being written
//! again ([`writing_schema`]), to check or reproduce its checksum.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use std::cell::Cell;
use std::fmt;

/// The first schema version that writes availability as a string.
pub(super) const PACKED_SINCE: u32 = 9;

thread_local! {
    /// Whether availability is being written as schema 8's booleans. A serde `with` function
    /// has no other way to learn the schema of the table it is writing.
    static BOOLEANS: Cell<bool> = const { Cell::new(false) };
}

/// Runs `write` with availability written as schema `version` writes it.
pub(super) fn writing_schema<T>(version: u32, write: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            BOOLEANS.with(|b| b.set(self.0));
        }
    }
    let _restore = Restore(BOOLEANS.with(|b| b.replace(version < PACKED_SINCE)));
    write()
}

/// The string form: `"<products>:<hex>"`.
pub fn pack(flags: &[bool]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(flags.len() / 4 + 12);
    out.push_str(&flags.len().to_string());
    out.push(':');
    for chunk in flags.chunks(4) {
        let nibble = chunk
            .iter()
            .enumerate()
            .fold(0usize, |n, (i, f)| n | (usize::from(*f) << (3 - i)));
        out.push(char::from(HEX[nibble]));
    }
    out
}

/// Reads the string form back; `Err` says what is wrong with it.
pub fn unpack(text: &str) -> Result<Vec<bool>, String> {
    let (count, hex) = text
        .split_once(':')
        .ok_or("availability is not `<products>:<hex>`")?;
    // Digits only, no leading zero: one spelling per count.
    let canonical = count == "0" || !count.starts_with('0');
    let count: usize = count
        .parse()
        .ok()
        .filter(|_| canonical && count.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| format!("availability's product count `{count}` is not a number"))?;
    if hex.len() != count.div_ceil(4) {
        return Err(format!(
            "availability of {count} products has {} hex digits, not {}",
            hex.len(),
            count.div_ceil(4)
        ));
    }
    let mut flags = Vec::with_capacity(hex.len() * 4);
    for b in hex.bytes() {
        let nibble = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => {
                return Err(
                    "availability has a character that is not a lowercase hex digit".into(),
                );
            }
        };
        flags.extend((0..4).map(|i| nibble & (8 >> i) != 0));
    }
    // The last digit's unused bits are zero, so each list has one spelling.
    if flags.drain(count..).any(|f| f) {
        return Err("availability sets a flag past its last product".into());
    }
    Ok(flags)
}

pub(super) fn serialize<S: Serializer>(flags: &[bool], s: S) -> Result<S::Ok, S::Error> {
    if BOOLEANS.with(Cell::get) {
        let mut seq = s.serialize_seq(Some(flags.len()))?;
        for f in flags {
            seq.serialize_element(f)?;
        }
        seq.end()
    } else {
        s.serialize_str(&pack(flags))
    }
}

pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<bool>, D::Error> {
    struct Either;
    impl<'de> Visitor<'de> for Either {
        type Value = Vec<bool>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("`<products>:<hex>` or a list of booleans")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<bool>, E> {
            unpack(v).map_err(E::custom)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<bool>, A::Error> {
            let mut flags = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
            while let Some(f) = seq.next_element()? {
                flags.push(f);
            }
            Ok(flags)
        }
    }
    d.deserialize_any(Either)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_string_form_packs_four_products_a_digit() {
        let flags = [true, true, true, true, false, true];
        assert_eq!(pack(&flags), "6:f4");
        assert_eq!(pack(&[]), "0:");
        assert_eq!(pack(&[false; 9]), "9:000");
        assert_eq!(unpack("6:f4"), Ok(flags.to_vec()));
        assert_eq!(unpack("0:"), Ok(vec![]));
    }

    #[test]
    fn a_malformed_string_is_refused_not_guessed() {
        for bad in [
            "", "f4", "x:f4", "6:f", "6:f40", "6:F4", "6:f6", "6:g4", "-1:", "6:f 4", "+6:f4",
            "06:f4", ":",
        ] {
            assert!(unpack(bad).is_err(), "{bad:?} was read");
        }
        // A count the digits do not cover cannot make the reader allocate it.
        assert!(unpack("18446744073709551615:").is_err());
    }

    proptest! {
        #[test]
        fn any_availability_reads_back_as_written(flags in proptest::collection::vec(any::<bool>(), 0..300)) {
            let packed = pack(&flags);
            prop_assert_eq!(unpack(&packed), Ok(flags.clone()));
            // And as JSON, in both schemas' forms.
            let as_json = |version| writing_schema(version, || {
                let mut out = Vec::new();
                serialize(&flags, &mut serde_json::Serializer::new(&mut out)).map(|_| out)
            });
            for version in [8, PACKED_SINCE] {
                let json = as_json(version).expect("serializes");
                let back = deserialize(&mut serde_json::Deserializer::from_slice(&json));
                prop_assert_eq!(back.ok(), Some(flags.clone()));
            }
        }
    }
}
