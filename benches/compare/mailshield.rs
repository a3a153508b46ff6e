//! mailshield's side of the side-by-side comparison (`compare.py`).
//!
//! ```text
//! cargo bench --bench compare -- [--pack NAME] [--threads N]
//!     [--rounds R] [--limit-mb M] [--spans OUT] BODIES
//! ```
//!
//! BODIES is the file `compare.py` writes for every engine: each body a
//! 4-byte little-endian length and its UTF-8 bytes. The bodies are read
//! into memory untimed, then scanned `--rounds` times (default 5) with
//! [`scan_batch`] on a rayon pool of `--threads` threads (default 1), the
//! library's batch call. `--limit-mb` keeps only the first bodies up to
//! that many MB (10^6 bytes). `--spans` writes every finding of the first
//! round, one a line: body index, entity type, start and end byte offsets,
//! tab-separated.
//!
//! Prints one JSON line: bytes, bodies, findings of one round, each
//! round's seconds, the median and MB/s at the median. The finding count
//! is checked to be the same in every round, and against a plain loop
//! over [`Engine::scan`], so a broken engine cannot look fast. One
//! untimed round on the pool comes first, to warm its threads.
//!
//! Without a BODIES argument (as under `cargo test --all-targets`) it
//! does nothing.

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use mailshield::batch::scan_batch;
use mailshield::engine::Engine;

struct Args {
    pack: String,
    threads: usize,
    rounds: usize,
    limit: usize,
    spans: Option<String>,
    bodies: Option<String>,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compare: {e}");
            ExitCode::from(2)
        }
    }
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        pack: "default".into(),
        threads: 1,
        rounds: 5,
        limit: usize::MAX,
        spans: None,
        bodies: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--pack" => args.pack = value()?,
            "--threads" => args.threads = number(&a, &value()?)?.max(1),
            "--rounds" => args.rounds = number(&a, &value()?)?.max(1),
            "--limit-mb" => {
                let mb: f64 =
                    value()?.parse().map_err(|_| "bad --limit-mb")?;
                args.limit = (mb * 1e6) as usize;
            }
            "--spans" => args.spans = Some(value()?),
            // Passed by `cargo bench` and `cargo test`.
            "--bench" | "--test" | "--nocapture" => {}
            _ if a.starts_with("--") => {
                return Err(format!("unknown option: {a}"));
            }
            _ if args.bodies.is_none() => args.bodies = Some(a),
            _ => return Err(format!("unexpected argument: {a}")),
        }
    }
    Ok(args)
}

fn number(name: &str, text: &str) -> Result<usize, String> {
    text.parse().map_err(|_| format!("{name}: not a number: {text}"))
}

/// The length-prefixed bodies, up to `limit` bytes in all.
fn read_bodies(path: &str, limit: usize) -> Result<Vec<Vec<u8>>, String> {
    let buf = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let (mut at, mut total, mut out) = (0, 0, Vec::new());
    while at + 4 <= buf.len() && total < limit {
        let len = u32::from_le_bytes(buf[at..at + 4].try_into().unwrap());
        let end = at + 4 + len as usize;
        let body = buf.get(at + 4..end).ok_or("truncated bodies file")?;
        out.push(body.to_vec());
        total += body.len();
        at = end;
    }
    Ok(out)
}

fn run() -> Result<(), String> {
    let args = args()?;
    let Some(path) = &args.bodies else {
        eprintln!("compare: no bodies file given; nothing to do");
        return Ok(());
    };
    let engine = Engine::builtin(&args.pack).map_err(|e| e.to_string())?;
    let bodies = read_bodies(path, args.limit)?;
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .map_err(|e| e.to_string())?;

    // The expected count, from a plain loop, and one untimed round on
    // the pool, so that its threads' scratch space and lazy-DFA caches
    // are warm, as they are in a long-running scanner (the peers are
    // warmed the same way).
    let expected: usize =
        bodies.iter().map(|b| engine.scan(b).findings.len()).sum();
    let warm = pool.install(|| scan_batch(&engine, &bodies));
    let found: usize = warm.iter().map(|s| s.findings.len()).sum();
    if found != expected {
        return Err(format!("warm-up round: {found} != {expected}"));
    }
    drop(warm);

    // Timed rounds.
    let mut secs = Vec::with_capacity(args.rounds);
    for round in 0..args.rounds {
        let start = Instant::now();
        let scans = pool.install(|| scan_batch(&engine, &bodies));
        secs.push(start.elapsed().as_secs_f64());
        let found: usize = scans.iter().map(|s| s.findings.len()).sum();
        if found != expected {
            return Err(format!("round {round}: {found} != {expected}"));
        }
        if round == 0
            && let Some(out) = &args.spans
        {
            write_spans(out, &engine, &scans)?;
        }
    }

    // Report.
    let mut sorted = secs.clone();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = (sorted[(n - 1) / 2] + sorted[n / 2]) / 2.0;
    let rounds: Vec<String> = secs.iter().map(|s| format!("{s:.6}")).collect();
    println!(
        "{{\"engine\": \"mailshield-{}\", \"threads\": {}, \"bytes\": \
         {bytes}, \"bodies\": {}, \"findings\": {expected}, \"rounds_s\": \
         [{}], \"median_s\": {median:.6}, \"MBps\": {:.2}}}",
        args.pack,
        args.threads,
        bodies.len(),
        rounds.join(", "),
        bytes as f64 / median / 1e6
    );
    Ok(())
}

fn write_spans(
    path: &str,
    engine: &Engine,
    scans: &[mailshield::scan::Scan],
) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let mut out = std::io::BufWriter::new(file);
    for (i, scan) in scans.iter().enumerate() {
        for f in &scan.findings {
            let ty = engine.entity_name(f.entity);
            writeln!(out, "{i}\t{ty}\t{}\t{}", f.span.start, f.span.end)
                .map_err(|e| e.to_string())?;
        }
    }
    out.flush().map_err(|e| e.to_string())
}
