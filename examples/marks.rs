use mailshield::engine::Engine;
use std::time::Instant;
fn main() {
    let s = std::fs::read_to_string("/tmp/gc/mail.jsonl").unwrap();
    let mut text = Vec::new();
    for l in s.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        text.extend_from_slice(v["body"].as_str().unwrap().as_bytes());
    }
    for pack in ["default", "seed"] {
        let e = Engine::builtin(pack).unwrap();
        let t = Instant::now();
        let (a, b) = mailshield::scan::debug_marks(&e, &text);
        let dt = t.elapsed().as_secs_f64();
        println!("{}", mailshield::scan::debug_pairs(&e));
        println!(
            "{pack}: {:.0} MB/s singles/KB={:.1} pairs/KB={:.1}",
            text.len() as f64 / dt / 1e6,
            a as f64 / text.len() as f64 * 1e3,
            b as f64 / text.len() as f64 * 1e3
        );
    }
}
