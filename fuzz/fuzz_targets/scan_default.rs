//! Scanning arbitrary bytes with the built-in `default` pack: no panic;
//! every finding and keyword lies inside the input; findings are sorted by
//! start and disjoint (the pack resolves overlaps before any
//! rewrite, SPEC section 3).
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let scan = common::default_engine().scan(data);
    common::check_spans(&scan, &[data.len()], true);
});
