#![no_main]
//! `cargo fuzz run fmt_roundtrip`: see `pricebook_fuzz::fmt_roundtrip` for what is asserted.

libfuzzer_sys::fuzz_target!(|data: &[u8]| pricebook_fuzz::fmt_roundtrip(data));
