#![no_main]
//! `cargo fuzz run table_quote`: see `pricebook_fuzz::table_quote` for what is asserted.

libfuzzer_sys::fuzz_target!(|data: &[u8]| pricebook_fuzz::table_quote(data));
