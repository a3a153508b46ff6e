//! The library's batch throughput on the messages of a mail input: the
//! figure the command line is compared with (BENCHMARKS.md).
//!
//! ```text
//! batch_throughput [--pack NAME] [--max-mb N] [--rounds N] INPUT
//! ```
//!
//! Reads and parses up to `--max-mb` (default 512) MB of INPUT's messages
//! into memory, untimed, then scans them `--rounds` times (default 5) with
//! [`scan_messages`] on rayon's pool (`RAYON_NUM_THREADS` sets its size).
//! Prints one JSON line: the input bytes and decoded field bytes held,
//! the median seconds of a round, and MB/s of decoded fields at the
//! median (MB = 10^6 bytes).

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use mailshield::batch::scan_messages;
use mailshield::engine::Engine;
use mailshield::mail::{self, Format, Limits};
use mailshield::scan::Field;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("batch_throughput: {e}");
            ExitCode::from(2)
        }
    }
}

struct Args {
    pack: String,
    max_bytes: usize,
    rounds: usize,
    input: String,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        pack: "default".into(),
        max_bytes: 512_000_000,
        rounds: 5,
        input: String::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--pack" => args.pack = value()?,
            "--max-mb" => {
                let n: usize = number(&a, &value()?)?;
                args.max_bytes = n * 1_000_000;
            }
            "--rounds" => args.rounds = number(&a, &value()?)?.max(1),
            _ if args.input.is_empty() => args.input = a,
            _ => return Err(format!("unexpected argument: {a}")),
        }
    }
    if args.input.is_empty() {
        return Err("usage: batch_throughput [--pack NAME] [--max-mb N] \
                    [--rounds N] INPUT"
            .into());
    }
    Ok(args)
}

fn number(flag: &str, text: &str) -> Result<usize, String> {
    text.parse().map_err(|_| format!("{flag}: not a number: {text}"))
}

fn run() -> Result<(), String> {
    let args = args()?;
    let engine = Engine::builtin(&args.pack).map_err(|e| e.to_string())?;

    // Read and parse, untimed.
    let reader =
        mail::open(Path::new(&args.input), Format::Auto, Limits::default())
            .map_err(|e| e.to_string())?;
    let mut messages: Vec<Vec<Field<'static>>> = Vec::new();
    let mut input_bytes = 0;
    for msg in reader {
        let msg = msg.map_err(|e| e.to_string())?;
        input_bytes += msg.raw_len;
        messages.push(msg.fields);
        if input_bytes >= args.max_bytes {
            break;
        }
    }
    let field_bytes: usize =
        messages.iter().flatten().map(|f| f.text.len()).sum();

    // Time each round; keep the median.
    let mut seconds = Vec::with_capacity(args.rounds);
    let mut findings = 0;
    for _ in 0..args.rounds {
        let start = Instant::now();
        let scans = scan_messages(&engine, &messages);
        seconds.push(start.elapsed().as_secs_f64());
        findings = scans.iter().map(|s| s.findings.len()).sum::<usize>();
    }
    seconds.sort_by(f64::total_cmp);
    let median = seconds[seconds.len() / 2];
    let line = serde_json::json!({
        "pack": args.pack,
        "threads": rayon::current_num_threads(),
        "messages": messages.len(),
        "input_bytes": input_bytes,
        "field_bytes": field_bytes,
        "findings": findings,
        "median_seconds": median,
        "field_mb_per_s": field_bytes as f64 / median / 1e6,
    });
    println!("{line}");
    Ok(())
}
