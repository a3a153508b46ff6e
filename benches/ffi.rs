//! The cost of the C ABI over direct Rust calls.
//!
//! `cargo bench --bench ffi` measures:
//!
//! - `call/1k/rust-scan`: `Engine::scan` on one 1 KB message;
//! - `call/1k/rust-scan-classify`: the same answer a C caller gets (scan,
//!   classification, masked values), in Rust;
//! - `call/1k/abi`: `mailshield_scan`, reading the findings and summary,
//!   `mailshield_result_free`: the per-call overhead is this minus the
//!   line above;
//! - `batch10k/rust` and `batch10k/abi`: 10,000 generated bodies of 1 to
//!   3 KB scanned and classified on rayon's pool in Rust, and through
//!   `mailshield_scan_batch` plus freeing the batch. The bodies come from
//!   `../shared/tools/gen_corpus.py --seed 2` and are written once to
//!   `target/bench-corpus/batch10k.jsonl` (one `{"body": ...}` per line),
//!   which `bindings/python/bench/bench_batch.py` reads, so that the
//!   Python batch is timed on the same messages. Skipped when the corpus
//!   cannot be made.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::ptr;

use criterion::{Criterion, criterion_group, criterion_main};
use mailshield::batch::body_field;
use mailshield::batch::record::masked_values;
use mailshield::classify::classify;
use mailshield::engine::Engine;
use mailshield::ffi::*;
use rayon::prelude::*;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared");

/// A 1 KB business message with three values to find.
fn message_1k() -> String {
    let mut text = String::from(
        "Hi Dana,\n\nFollowing up on the renewal we discussed on Tuesday. \
         The signed order form is attached; please countersign and send \
         it back to jordan.lee@example.com by Friday. If anything is \
         unclear, call me on (415) 555-0134 any afternoon.\n\n",
    );
    let tail = "\nCard 4111 1111 1111 1111\nThanks, Jordan\n";
    while text.len() + tail.len() < 1024 {
        text.push_str(
            "The quarterly figures look in line with the forecast, and \
             the team will share the deck before the review. ",
        );
    }
    text.truncate(1024 - tail.len());
    text.push_str(tail);
    text
}

/// The 10,000 bodies, generated once, or `None` when they cannot be.
fn batch10k() -> Option<Vec<String>> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-corpus");
    let path = dir.join("batch10k.jsonl");
    if !path.exists() {
        let raw = dir.join("gen-seed2-64.jsonl");
        std::fs::create_dir_all(&dir).ok()?;
        let ok = Command::new("python3")
            .arg(format!("{SHARED}/tools/gen_corpus.py"))
            .args(["--seed", "2", "--size-mb", "64", "--out"])
            .arg(&raw)
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?
            .success();
        if !ok {
            return None;
        }
        write_selection(&raw, &path)?;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let bodies: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["body"].as_str().map(str::to_string))
        .collect();
    (bodies.len() == 10_000).then_some(bodies)
}

/// The first 10,000 bodies of 1,000 to 3,000 bytes of `raw`, to `out`.
fn write_selection(raw: &PathBuf, out: &PathBuf) -> Option<()> {
    let text = std::fs::read_to_string(raw).ok()?;
    let mut lines = String::new();
    let mut n = 0;
    for v in text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
    {
        let Some(body) = v["body"].as_str() else { continue };
        if (1000..=3000).contains(&body.len()) && n < 10_000 {
            lines.push_str(&serde_json::json!({ "body": body }).to_string());
            lines.push('\n');
            n += 1;
        }
    }
    (n == 10_000).then_some(())?;
    std::fs::write(out, lines).ok()
}

fn abi_engine() -> *mut EngineHandle {
    let mut e = ptr::null_mut();
    let status = unsafe { mailshield_engine_new(c"default".as_ptr(), &mut e) };
    assert_eq!(status, Status::Ok);
    e
}

/// One ABI scan, read as a C caller would: findings and summary.
fn abi_scan(e: *const EngineHandle, text: &[u8]) -> usize {
    let mut r = ptr::null_mut();
    let mut items = ptr::null();
    let mut n = 0;
    let mut summary = std::mem::MaybeUninit::<Summary>::uninit();
    unsafe {
        let status = mailshield_scan(e, text.as_ptr(), text.len(), 0, &mut r);
        assert_eq!(status, Status::Ok);
        mailshield_result_findings(r, &mut items, &mut n);
        mailshield_result_summary(r, summary.as_mut_ptr());
        mailshield_result_free(r);
    }
    n
}

fn calls(c: &mut Criterion) {
    let engine = Engine::builtin("default").unwrap();
    let e = abi_engine();
    let text = message_1k();
    let bytes = text.as_bytes();
    assert_eq!(bytes.len(), 1024);
    assert_eq!(engine.scan(bytes).findings.len(), 3);
    assert_eq!(abi_scan(e, bytes), 3);

    let mut g = c.benchmark_group("call/1k");
    g.bench_function("rust-scan", |b| b.iter(|| engine.scan(bytes)));
    g.bench_function("rust-scan-classify", |b| {
        b.iter(|| {
            let fields = body_field(bytes);
            let scan = engine.scan_fields(&fields);
            let class = classify(&engine, &fields, &scan);
            (masked_values(&engine, &fields, &scan), class)
        })
    });
    g.bench_function("abi", |b| b.iter(|| abi_scan(e, bytes)));
    g.finish();
    unsafe { mailshield_engine_free(e) };
}

fn batches(c: &mut Criterion) {
    let Some(bodies) = batch10k() else {
        eprintln!("skipping batch10k: cannot generate the corpus");
        return;
    };
    let engine = Engine::builtin("default").unwrap();
    let e = abi_engine();
    let inputs: Vec<Bytes> = bodies
        .iter()
        .map(|b| Bytes { ptr: b.as_ptr(), len: b.len() })
        .collect();

    let mut g = c.benchmark_group("batch10k");
    g.sample_size(10);
    g.bench_function("rust", |b| {
        b.iter(|| {
            let results: Vec<_> = bodies
                .par_iter()
                .map(|t| {
                    let fields = body_field(t.as_bytes());
                    let scan = engine.scan_fields(&fields);
                    let class = classify(&engine, &fields, &scan);
                    (scan, class)
                })
                .collect();
            results.len()
        })
    });
    g.bench_function("abi", |b| {
        b.iter(|| {
            let mut batch = ptr::null_mut();
            unsafe {
                let status = mailshield_scan_batch(
                    e,
                    inputs.as_ptr(),
                    inputs.len(),
                    0,
                    &mut batch,
                );
                assert_eq!(status, Status::Ok);
                mailshield_batch_free(batch);
            }
        })
    });
    g.finish();
    unsafe { mailshield_engine_free(e) };
}

criterion_group!(ffi, calls, batches);
criterion_main!(ffi);
