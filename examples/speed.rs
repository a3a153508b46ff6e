use mailshield::engine::Engine;
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let pack = std::env::args().nth(2).unwrap();
    let s = std::fs::read_to_string(path).unwrap();
    let bodies: Vec<String> = s
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["body"].as_str().unwrap().to_string()
        })
        .collect();
    let bytes: usize = bodies.iter().map(|b| b.len()).sum();
    let t = Instant::now();
    let e = Engine::builtin(&pack).unwrap();
    println!("build {:?}", t.elapsed());
    let mut best = f64::MAX;
    let mut n = 0;
    for _ in 0..5 {
        let t = Instant::now();
        n = 0;
        for b in &bodies {
            n += e.scan(b.as_bytes()).findings.len();
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!("{pack}: {:.0} MB/s findings={n}", bytes as f64 / best / 1e6);
}
