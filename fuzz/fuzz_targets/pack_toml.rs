//! Pack loading: any UTF-8 text given to `Pack::from_toml` either loads
//! or returns an error, never panics; a pack that loads is compiled with
//! `Engine::new`, which must also return (an engine or an error), and a
//! compiled engine scans a short fixed text without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailshield::engine::Engine;
use mailshield::rules::Pack;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(pack) = Pack::from_toml("fuzz.toml", text) else {
        return;
    };
    if let Ok(engine) = Engine::new(pack) {
        let scan = engine.scan(b"SSN 536-90-1234, alice@example.com");
        for f in &scan.findings {
            assert!(f.span.start <= f.span.end && f.span.end <= 34);
        }
    }
});
