//! Scanning arbitrary bytes with the built-in `seed` pack: no panic;
//! every finding and keyword lies inside the input; findings are sorted by
//! start (the seed pack keeps the guide's overlapping matches,
//! so they need not be disjoint).
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let scan = common::seed_engine().scan(data);
    common::check_spans(&scan, &[data.len()], false);
});
