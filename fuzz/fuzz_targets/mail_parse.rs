//! Mail parsing on arbitrary bytes: `Message::from_raw` under the default
//! limits and under tight ones (depth and sizes taken from the input), and
//! `mbox_messages` over the input as an mbox. No panic, no hang (the run's
//! `-timeout`); every field is scanned with the `default` pack and its
//! findings lie inside the field; an mbox never yields more bytes than it
//! was given, nor a message over `max_message`.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use mailshield::mail::{Limits, Message, Source, mbox_messages};

fn parse(data: &[u8], limits: &Limits) {
    let source = Source { path: "fuzz.eml".into(), index: 0 };
    let m = Message::from_raw(data, source, limits);
    let decoded: usize = m.fields.iter().map(|f| f.text.len()).sum();
    assert!(decoded <= limits.max_decoded, "decoded past the cap");
    let engine = common::default_engine();
    let scan = engine.scan_fields(&m.fields);
    let lens: Vec<usize> = m.fields.iter().map(|f| f.text.len()).collect();
    common::check_spans(&scan, &lens, true);
    let _ = m.text();
}

fn mbox(data: &[u8], limits: Limits) {
    let Ok(msgs) = mbox_messages(data, limits) else {
        return;
    };
    let mut taken = 0;
    for m in msgs {
        let Ok(m) = m else { break };
        assert!(m.bytes.len() <= limits.max_message, "message over the cap");
        taken += m.raw_len;
        assert!(taken <= data.len(), "mbox took more bytes than it holds");
    }
}

fuzz_target!(|data: &[u8]| {
    parse(data, &Limits::default());
    let b = |i: usize| data.get(i).copied().unwrap_or(0) as usize;
    let tight = Limits {
        max_message: 1 + b(0) * 16,
        max_depth: b(1) % 8,
        max_decoded: b(2) * 8,
    };
    parse(data, &tight);
    mbox(data, Limits::default());
    mbox(data, tight);
});
