#![no_main]
//! `cargo fuzz run parse_check`: see `pricebook_fuzz::parse_check` for what is asserted.

libfuzzer_sys::fuzz_target!(|data: &[u8]| pricebook_fuzz::parse_check(data));
