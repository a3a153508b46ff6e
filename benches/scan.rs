//! Throughput of the scanning core on generated mail.
//!
//! `cargo bench --bench scan` generates (once, cached under `target/`) a
//! corpus with `../shared/tools/gen_corpus.py --seed 1 --size-mb 16` and
//! measures, per core unless the name says otherwise:
//!
//! - `build/{default,seed}`: compiling a built-in engine;
//! - `scan/{default,seed}/gen16`: scanning every body;
//! - `protect/default/gen16`: scan, redact and seal with AES-256-GCM;
//! - `batch/default/gen16/threads-{1,2}`: the parallel batch call.
//!
//! Each benchmark checks its result before it is timed, so a broken engine
//! cannot look fast. MB means 10^6 bytes.

use std::path::PathBuf;
use std::process::Command;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mailshield::batch::scan_batch;
use mailshield::crypto::KeySet;
use mailshield::engine::Engine;
use mailshield::protect::{Cipher, Options, protect};
use mailshield::rules::FieldRole;
use mailshield::scan::Field;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared");

/// The bodies of the generated corpus, or `None` when it cannot be made.
fn corpus() -> Option<Vec<String>> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/bench-corpus"
    ));
    let path = dir.join("gen-seed1-16.jsonl");
    if !path.exists() {
        std::fs::create_dir_all(&dir).ok()?;
        let status = Command::new("python3")
            .arg(format!("{SHARED}/tools/gen_corpus.py"))
            .args(["--seed", "1", "--size-mb", "16", "--out"])
            .arg(&path)
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        if !status.success() {
            return None;
        }
    }
    let text = std::fs::read_to_string(&path).ok()?;
    Some(
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["body"].as_str().map(str::to_string))
            .collect(),
    )
}

fn benches(c: &mut Criterion) {
    let Some(bodies) = corpus() else {
        eprintln!(
            "skipping: cannot generate the corpus (needs ../shared and python3 with faker)"
        );
        return;
    };
    let bytes: usize = bodies.iter().map(String::len).sum();

    let mut g = c.benchmark_group("build");
    for pack in ["default", "seed"] {
        g.bench_function(pack, |b| b.iter(|| Engine::builtin(pack).unwrap()));
    }
    g.finish();

    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::BytesDecimal(bytes as u64));
    g.sample_size(10);
    for pack in ["default", "seed"] {
        let engine = Engine::builtin(pack).unwrap();
        let count = |e: &Engine| {
            bodies
                .iter()
                .map(|b| e.scan(b.as_bytes()).findings.len())
                .sum::<usize>()
        };
        assert!(count(&engine) > 5_000, "{pack}: too few findings");
        g.bench_function(format!("{pack}/gen16"), |b| {
            b.iter(|| count(&engine))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("protect");
    g.throughput(Throughput::BytesDecimal(bytes as u64));
    g.sample_size(10);
    let engine = Engine::builtin("default").unwrap();
    let keys = KeySet::generate().unwrap();
    let run = || {
        let mut sealed = 0usize;
        for (i, body) in bodies.iter().enumerate() {
            let fields =
                [Field::new("body", FieldRole::Body, body.as_bytes())];
            let id = i.to_string();
            let opts = Options {
                cipher: Cipher::Aes256Gcm,
                keys: Some(&keys),
                message_id: id.as_bytes(),
                level: None,
            };
            let p = protect(&engine, &fields, &opts).unwrap();
            sealed += usize::from(p.sealed.is_some());
        }
        sealed
    };
    assert_eq!(run(), bodies.len(), "every generated message is sealed");
    g.bench_function("default/gen16", |b| b.iter(run));
    g.finish();

    let mut g = c.benchmark_group("batch");
    g.throughput(Throughput::BytesDecimal(bytes as u64));
    g.sample_size(10);
    let single: usize =
        bodies.iter().map(|b| engine.scan(b.as_bytes()).findings.len()).sum();
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let run = || {
            pool.install(|| {
                scan_batch(&engine, &bodies)
                    .iter()
                    .map(|s| s.findings.len())
                    .sum::<usize>()
            })
        };
        assert_eq!(run(), single);
        g.bench_function(format!("default/gen16/threads-{threads}"), |b| {
            b.iter(run)
        });
    }
    g.finish();
}

criterion_group!(scan, benches);
criterion_main!(scan);
