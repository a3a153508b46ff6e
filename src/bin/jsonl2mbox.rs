//! Turns `gen_corpus.py` JSONL into an mbox, for archive-sized tests.
//!
//! ```text
//! jsonl2mbox [--repeat N] CORPUS.jsonl > OUT.mbox
//! ```
//!
//! Each record becomes one message: `From:` its `sender_email`, its
//! `subject`, a `Message-ID` from its `id` (and the round, with
//! `--repeat`), a `text/plain; charset=utf-8` body in 8bit. Body lines
//! that look like a separator are escaped the mboxrd way (`>From `).
//! `--repeat N` writes the corpus N times with distinct ids, so a small
//! generated corpus makes a large mailbox.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jsonl2mbox: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut repeat = 1usize;
    if let Some(i) = args.iter().position(|a| a == "--repeat") {
        let n = args.get(i + 1).ok_or("--repeat needs a number")?;
        repeat =
            n.parse().map_err(|_| format!("--repeat: not a number: {n}"))?;
        args.drain(i..i + 2);
    }
    let [path] = args.as_slice() else {
        return Err("usage: jsonl2mbox [--repeat N] CORPUS.jsonl".into());
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    for round in 0..repeat {
        let file =
            std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| format!("{path}: {e}"))?;
            let v: serde_json::Value = serde_json::from_str(&line)
                .map_err(|e| format!("{path}: line {n}: {e}"))?;
            let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            message(
                &mut out,
                round,
                &v["id"].to_string(),
                &text("sender_email"),
                &text("subject"),
                &text("body"),
            )
            .map_err(|e| format!("stdout: {e}"))?;
        }
    }
    out.flush().map_err(|e| format!("stdout: {e}"))
}

fn message(
    out: &mut impl Write,
    round: usize,
    id: &str,
    sender: &str,
    subject: &str,
    body: &str,
) -> std::io::Result<()> {
    writeln!(out, "From {sender} Thu Jan  1 00:00:00 2026")?;
    writeln!(out, "From: {sender}")?;
    writeln!(out, "Subject: {}", subject.replace(['\r', '\n'], " "))?;
    writeln!(out, "Message-ID: <gen-{round}-{id}@example.com>")?;
    writeln!(out, "MIME-Version: 1.0")?;
    writeln!(out, "Content-Type: text/plain; charset=utf-8")?;
    writeln!(out, "Content-Transfer-Encoding: 8bit")?;
    writeln!(out)?;
    for line in body.split('\n') {
        let unquoted = line.trim_start_matches('>');
        if unquoted.starts_with("From ") {
            out.write_all(b">")?;
        }
        writeln!(out, "{line}")?;
    }
    writeln!(out)
}
