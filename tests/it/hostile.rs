//! Hostile input through the library and the command line (issue 7).
//!
//! Each test feeds one kind of bad input and checks the same four things:
//! a clear error or a correct result, no panic, every other message still
//! processed, and stdout that is valid JSONL. Big inputs (a 200 MB body,
//! a million findings) are generated into a temporary directory, never
//! committed; their peak memory is read from `/proc` while the command
//! runs. Timing is checked only as growth (four times the input within
//! ten times the time, SPEC 8), never as an absolute.
//!
//! `tests/hostile/CATALOGUE.md` maps the cases of `HOSTILE-INPUTS.md` to
//! the tests that cover them, here and in the other modules.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use mailshield::engine::Engine;
use mailshield::mail::{Limits, parse};
use mailshield::protect::{Cipher, Options, protect};
use mailshield::rules::{FieldRole, Pack};
use mailshield::scan::Field;
use serde_json::Value;

use crate::support::{TempDir, require};

fn mailshield() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mailshield"));
    c.env_remove("MAILSHIELD_KEY");
    c
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every line of `stdout` as JSON; fails unless each parses and the last
/// one ends with a newline.
fn jsonl(stdout: &[u8]) -> Vec<Value> {
    assert!(
        stdout.is_empty() || stdout.ends_with(b"\n"),
        "stdout ends inside a line"
    );
    stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            serde_json::from_slice(l).unwrap_or_else(|e| {
                panic!("not JSON ({e}): {}", String::from_utf8_lossy(l))
            })
        })
        .collect()
}

/// No panic message, no Rust backtrace.
fn assert_no_panic(out: &Output) {
    let err = stderr(out);
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("RUST_BACKTRACE"), "{err}");
}

/// The `mailshield: ...` lines of stderr other than the summary.
fn messages(out: &Output) -> Vec<String> {
    stderr(out)
        .lines()
        .filter(|l| !l.starts_with("mailshield: summary: "))
        .map(str::to_string)
        .collect()
}

/// A finished run: its output, with stdout read from a file, and the
/// peak resident memory seen while it ran, in KiB (0 if unknown).
struct Measured {
    out: Output,
    peak_kib: u64,
}

/// Runs `cmd` with stdout and stderr in files of `dir` (a pipe would need
/// a reader for output of a hundred megabytes) and polls its peak
/// resident memory (`VmHWM`, which only grows) until it exits.
fn measure(mut cmd: Command, dir: &TempDir) -> Measured {
    let (out_path, err_path) = (dir.join("stdout"), dir.join("stderr"));
    let mut child = cmd
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Some(kib) = vm_hwm(&status_file) {
            peak_kib = kib;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = fs::read(&out_path).unwrap();
    let stderr = fs::read(&err_path).unwrap();
    Measured { out: Output { status, stdout, stderr }, peak_kib }
}

fn vm_hwm(status_file: &str) -> Option<u64> {
    let text = fs::read_to_string(status_file).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Fails if the peak was measured and is over `limit_mib`.
fn assert_peak_under(m: &Measured, limit_mib: u64) {
    if !require(m.peak_kib > 0, "no /proc/PID/status to measure memory") {
        return;
    }
    assert!(
        m.peak_kib < limit_mib << 10,
        "peak {} MiB, limit {limit_mib} MiB",
        m.peak_kib >> 10
    );
}

/// `(type, field, start, end)` of each finding of a record.
fn spans(record: &Value) -> Vec<(String, String, u64, u64)> {
    record["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["type"].as_str().unwrap().to_string(),
                f["field"].as_str().unwrap().to_string(),
                f["start"].as_u64().unwrap(),
                f["end"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn span(
    ty: &str,
    field: &str,
    start: u64,
    end: u64,
) -> (String, String, u64, u64) {
    (ty.to_string(), field.to_string(), start, end)
}

/// `(type, start, end)` of each finding of a library scan.
fn lib_spans(engine: &Engine, text: &[u8]) -> Vec<(String, usize, usize)> {
    engine
        .scan(text)
        .findings
        .iter()
        .map(|f| {
            let name = engine.entity_name(f.entity).to_string();
            (name, f.span.start, f.span.end)
        })
        .collect()
}

#[test]
fn invalid_utf8_is_scanned_around_and_written_as_json() {
    // HOSTILE-INPUTS 10: a bad byte inside a card's digits, a lone lead
    // byte, a stray continuation byte, a 4-byte sequence cut at the end.
    let text: &[u8] =
        b"card 4111\xff1111 1111 1111 end \xc3 alice@example.com \
                        \x80 bob@example.org 4111 1111 1111 1111 \xf0\x9f\x98";
    let engine = Engine::builtin("default").unwrap();
    let found = lib_spans(&engine, text);
    // N.B. a bad byte is not a separator: the first card is not one.
    assert_eq!(
        found,
        [
            ("EMAIL".to_string(), 31, 48),
            ("EMAIL".to_string(), 51, 66),
            ("CREDIT_CARD".to_string(), 67, 86),
        ]
    );
    for (_, start, end) in &found {
        for i in [*start, *end] {
            assert!(text.get(i).is_none_or(|&b| b & 0xc0 != 0x80), "{i}");
        }
    }

    // The command line writes the record as JSON all the same. A body
    // with no charset is read as UTF-8, each bad sequence a U+FFFD of
    // three bytes: the spans move by two bytes per bad one before them.
    let dir = TempDir::new("hostile-utf8");
    let path = dir.join("bad.eml");
    let mut raw = b"Subject: caf\xe9\r\n\r\n".to_vec();
    raw.extend_from_slice(text);
    fs::write(&path, &raw).unwrap();
    let out = mailshield().arg("scan").arg(&path).output().unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let records = jsonl(&out.stdout);
    assert_eq!(
        spans(&records[0]),
        [
            span("EMAIL", "body", 35, 52),
            span("EMAIL", "body", 57, 72),
            span("CREDIT_CARD", "body", 73, 92),
        ]
    );
}

#[test]
fn nul_bytes_separate_and_never_end_the_input() {
    // HOSTILE-INPUTS 11: the whole buffer is scanned; a NUL between digit
    // groups is a separator.
    let engine = Engine::builtin("default").unwrap();
    assert_eq!(
        lib_spans(&engine, b"x\0y alice@example.com"),
        [("EMAIL".to_string(), 4, 21)]
    );
    assert_eq!(
        lib_spans(&engine, b"4111\x001111\x001111\x001111"),
        [("CREDIT_CARD".to_string(), 0, 19)]
    );
    assert_eq!(
        lib_spans(&engine, b"\0\0\0\0 SSN 536-90-1234 \0"),
        [("SSN".to_string(), 9, 20)]
    );

    // Through stdin as one message, after a NUL in the headers.
    let mut child = mailshield()
        .args(["scan", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Subject: a\0b\r\n\r\nx\0y alice@example.com\0")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(spans(&jsonl(&out.stdout)[0]), [span("EMAIL", "body", 4, 21)]);
}

/// Writes `size` bytes of a one-line body: `head`, filler words, `tail`.
fn write_single_line(path: &Path, head: &[u8], size: usize, tail: &[u8]) {
    let mut f = std::io::BufWriter::new(File::create(path).unwrap());
    f.write_all(head).unwrap();
    let filler = b"lorem ipsum dolor sit amet ".repeat(40_000);
    let mut left = size - head.len() - tail.len();
    while left > 0 {
        let n = left.min(filler.len());
        f.write_all(&filler[..n]).unwrap();
        left -= n;
    }
    f.write_all(tail).unwrap();
    f.flush().unwrap();
}

#[test]
fn a_200_mb_single_line_body_is_cut_at_the_message_limit() {
    // HOSTILE-INPUTS 29: a body of 200 MB with no newline. The message is
    // read up to the 64 MiB limit and no further, said incomplete (exit
    // 3), in bounded memory, and the next input is still scanned.
    let dir = TempDir::new("hostile-200mb");
    let big = dir.join("big.eml");
    write_single_line(
        &big,
        b"Subject: big\r\n\r\nSSN 536-90-1234 ",
        200_000_000,
        b" mail tail@example.com",
    );
    let small = dir.join("small.eml");
    fs::write(&small, "Subject: hi\r\n\r\nmail ana@example.com\r\n").unwrap();
    let mut cmd = mailshield();
    cmd.arg("scan").arg(&big).arg(&small);
    let m = measure(cmd, &dir);
    assert_no_panic(&m.out);
    assert_eq!(m.out.status.code(), Some(3), "{}", stderr(&m.out));
    let records = jsonl(&m.out.stdout);
    assert_eq!(records.len(), 2);
    assert_eq!(spans(&records[0]), [span("SSN", "body", 4, 15)]);
    assert_eq!(records[0]["complete"], false);
    let cut = "message larger than 67108864 bytes; only the first 67108864 \
               were read";
    assert_eq!(records[0]["errors"], serde_json::json!([cut]));
    assert_eq!(spans(&records[1]), [span("EMAIL", "body", 5, 20)]);
    assert_eq!(records[1]["complete"], true);
    assert_eq!(
        messages(&m.out),
        [format!("mailshield: {}#0: {cut}", big.display())]
    );
    assert_peak_under(&m, 512);
}

#[test]
fn a_200_mb_jsonl_record_is_refused_and_the_next_is_read() {
    // A JSONL line longer than the message limit is never read into
    // memory; the record says so and the reader goes on.
    let dir = TempDir::new("hostile-200mb-jsonl");
    let path = dir.join("big.jsonl");
    write_single_line(
        &path,
        b"{\"id\": \"big\", \"body\": \"",
        200_000_000,
        b"\"}\n{\"id\": \"next\", \"body\": \"SSN 536-90-1234\"}\n",
    );
    let mut cmd = mailshield();
    cmd.arg("scan").arg(&path);
    let m = measure(cmd, &dir);
    assert_no_panic(&m.out);
    assert_eq!(m.out.status.code(), Some(3), "{}", stderr(&m.out));
    let records = jsonl(&m.out.stdout);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["complete"], false);
    assert_eq!(
        records[0]["errors"],
        serde_json::json!(["line 1: longer than 67108864 bytes; not read"])
    );
    assert_eq!(records[1]["id"], "next");
    assert_eq!(spans(&records[1]), [span("SSN", "body", 4, 15)]);
    assert_peak_under(&m, 256);
}

/// A JSONL file of three records, the middle one with `n` addresses.
fn flood(dir: &TempDir, n: usize) -> std::path::PathBuf {
    let path = dir.join("flood.jsonl");
    let mut f = std::io::BufWriter::new(File::create(&path).unwrap());
    f.write_all(b"{\"id\": \"before\", \"body\": \"mail ana@example.com\"}\n")
        .unwrap();
    f.write_all(b"{\"id\": \"flood\", \"body\": \"").unwrap();
    for _ in 0..n {
        f.write_all(b"a@example.com ").unwrap();
    }
    f.write_all(b"\"}\n{\"id\": \"after\", \"body\": \"SSN 536-90-1234\"}\n")
        .unwrap();
    f.flush().unwrap();
    path
}

#[test]
fn a_million_findings_are_all_reported_and_all_redacted() {
    // HOSTILE-INPUTS 30: no finding cap, so nothing is left unredacted.
    const N: usize = 1_000_000;
    let dir = TempDir::new("hostile-million");
    let path = flood(&dir, N);
    let mut cmd = mailshield();
    cmd.arg("scan").arg(&path);
    let m = measure(cmd, &dir);
    assert_no_panic(&m.out);
    assert_eq!(m.out.status.code(), Some(0), "{}", stderr(&m.out));
    let records = jsonl(&m.out.stdout);
    assert_eq!(records.len(), 3);
    assert_eq!(spans(&records[0]), [span("EMAIL", "body", 5, 20)]);
    let found = spans(&records[1]);
    assert_eq!(found.len(), N);
    assert!(
        found.iter().enumerate().all(|(i, f)| {
            let start = 14 * i as u64;
            *f == span("EMAIL", "body", start, start + 13)
        }),
        "a finding out of place"
    );
    assert_eq!(records[1]["counts"], serde_json::json!({"EMAIL": N}));
    assert_eq!(spans(&records[2]), [span("SSN", "body", 4, 15)]);
    assert_peak_under(&m, 768);

    // Protected: every address replaced, the other records as well.
    let mut cmd = mailshield();
    cmd.args(["protect", "--cipher", "none"])
        .arg(&path)
        .env("MAILSHIELD_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    let m = measure(cmd, &dir);
    assert_no_panic(&m.out);
    assert_eq!(m.out.status.code(), Some(0), "{}", stderr(&m.out));
    let records = jsonl(&m.out.stdout);
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["body"], "mail [EMAIL_REDACTED]");
    assert_eq!(records[1]["body"], "[EMAIL_REDACTED] ".repeat(N));
    assert_eq!(
        records[1]["pii_detected"][0]["count"].as_u64(),
        Some(N as u64)
    );
    assert_eq!(records[2]["body"], "SSN [SSN_REDACTED]");
    assert_peak_under(&m, 768);
}

/// `depth` nested multipart/mixed levels around a text part.
fn multipart_nest(depth: usize) -> String {
    let mut raw = String::from("Subject: deep\n");
    for i in 0..depth {
        raw += &format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\n"
        );
    }
    raw += "Content-Type: text/plain\n\nSSN 536-90-1234\n";
    for i in (0..depth).rev() {
        raw += &format!("--b{i}--\n");
    }
    raw
}

#[test]
fn mime_nested_1000_deep_is_cut_and_its_neighbours_scanned() {
    // Depth is capped before any walk: a stack overflow would abort the
    // process, which the exit status would show.
    let sep = "From x@example.com Mon Nov 30 09:00:00 2026\n";
    let rfc822 = format!(
        "Subject: deep\n{}Subject: x\n\nSSN 536-90-1234\n",
        "Content-Type: message/rfc822\n\n".repeat(1000)
    );
    let mbox = format!(
        "{sep}Subject: one\n\nmail ana@example.com\n\n\
         {sep}{}\n\
         {sep}{rfc822}\n\
         {sep}Subject: four\n\nSSN 536-90-1234\n",
        multipart_nest(1000)
    );
    let dir = TempDir::new("hostile-deep");
    let path = dir.join("deep.mbox");
    fs::write(&path, mbox).unwrap();
    let out = mailshield().arg("scan").arg(&path).output().unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let records = jsonl(&out.stdout);
    assert_eq!(records.len(), 4);
    assert_eq!(spans(&records[0]), [span("EMAIL", "body", 5, 20)]);
    assert_eq!(records[1]["complete"], true);
    assert_eq!(
        records[1]["warnings"],
        serde_json::json!([
            "MIME parts nested deeper than 32 levels were skipped"
        ])
    );
    assert_eq!(records[2]["complete"], false);
    assert_eq!(
        records[2]["errors"],
        serde_json::json!([
            "too many nested MIME messages to parse; scanned as raw bytes, \
             encoded parts undecoded"
        ])
    );
    assert_eq!(spans(&records[2]).len(), 1);
    assert_eq!(spans(&records[3]), [span("SSN", "body", 4, 15)]);
    assert_eq!(records[3]["complete"], true);
}

fn base64_lines(data: &[u8]) -> String {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(data);
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    lines.join("\r\n")
}

/// A multipart of `width` base64 parts, each an attached message that is
/// `inner`, or text with one SSN at the bottom.
fn encoded_tree(width: usize, levels: usize) -> String {
    if levels == 0 {
        return "Content-Type: text/plain\r\n\r\nSSN 536-90-1234\r\n".into();
    }
    let inner = encoded_tree(width, levels - 1);
    let b = format!("l{levels}");
    let part = format!(
        "--{b}\r\nContent-Type: message/rfc822\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        base64_lines(format!("Subject: p\r\n{inner}").as_bytes())
    );
    format!(
        "Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n{}--{b}--\r\n",
        part.repeat(width)
    )
}

#[test]
fn many_nested_encoded_parts_and_the_decoded_cap() {
    // 7 x 7 x 7 attached messages, each level in base64 (399 messages,
    // under the 512 that make a message too deep to parse): 343 text
    // parts, every one decoded and scanned.
    let raw = format!("Subject: tree\r\n{}", encoded_tree(7, 3));
    let engine = Engine::builtin("default").unwrap();
    let parsed = parse(raw.as_bytes(), &Limits::default());
    assert!(parsed.complete, "{:?}", parsed.errors);
    assert_eq!(parsed.fields.len(), 1 + 343);
    let scan = engine.scan_fields(&parsed.fields);
    assert_eq!(scan.findings.len(), 343);
    assert!(scan.complete);

    // Past the per-message cap on decoded text: the parts before it are
    // scanned, the message says it is incomplete.
    // The subject and 100 parts fit; the 101st would pass the cap.
    let tight = Limits { max_decoded: 4 + 17 * 100, ..Limits::default() };
    let parsed = parse(raw.as_bytes(), &tight);
    assert!(!parsed.complete);
    assert_eq!(
        parsed.errors,
        ["decoded text over 1704 bytes; later parts not scanned"]
    );
    assert_eq!(parsed.fields.len(), 1 + 100);
    assert_eq!(engine.scan_fields(&parsed.fields).findings.len(), 100);
}

/// A pack that extends `default` with one detector of `pattern`.
fn pack_with(pattern: &str) -> String {
    format!(
        "[pack]\nname = \"hostile\"\nextends = \"default\"\n\n\
         [[entity]]\nname = \"RUN\"\nrank = 10\nmask = \"full\"\n\n\
         [[detector]]\nid = \"bad\"\nentity = \"RUN\"\n\
         pattern = '''{pattern}'''\nscore = 0.9\n"
    )
}

fn compile(pattern: &str) -> Result<Engine, String> {
    let pack = Pack::from_toml("hostile.toml", &pack_with(pattern))
        .map_err(|e| e.to_string())?;
    Engine::new(pack).map_err(|e| e.to_string())
}

#[test]
fn enormous_automata_are_refused_by_a_size_limit() {
    // HOSTILE-INPUTS 1, 3 and 4: counted repetition of large classes.
    let over = "hostile.toml: detector `bad`: automaton is over its size \
                limit of 4194304 bytes";
    for pattern in [r"\w{50}{50}", r"\pL{30}{30}", "a{1000}{1000}"] {
        assert_eq!(compile(pattern).err().as_deref(), Some(over), "{pattern}");
    }
    // A pattern too long to parse at all.
    let long = "a".repeat(5000);
    assert_eq!(
        compile(&long).err().as_deref(),
        Some(
            "hostile.toml: detector `bad`: pattern is longer than 4096 bytes"
        )
    );
    // HOSTILE-INPUTS 2: nesting, on a small stack to prove no recursion.
    let nested = format!("{}a{}", "(".repeat(1000), ")".repeat(1000));
    let err = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || compile(&nested).err())
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(
        err.as_deref(),
        Some(
            "hostile.toml: detector `bad`: bad regex: error: exceed the \
             maximum number of nested parentheses/brackets (100)"
        )
    );
    // The CVE-2022-24713 shapes compile to nothing much: accepted.
    for pattern in ["(?:){4294967295}", "(?:|){4294967295}"] {
        assert!(compile(pattern).is_ok(), "{pattern}");
    }

    // The command line names the file and detector, and scans nothing.
    let dir = TempDir::new("hostile-pack");
    let toml = dir.join("hostile.toml");
    fs::write(&toml, pack_with(r"\w{50}{50}")).unwrap();
    let input = dir.join("in.jsonl");
    fs::write(&input, "{\"id\": 1, \"body\": \"x\"}\n").unwrap();
    let check = mailshield().args(["rules", "check"]).arg(&toml).output();
    let scan =
        mailshield().args(["scan", "--pack"]).arg(&toml).arg(&input).output();
    for (args, out) in [("rules check", check), ("scan", scan)] {
        let out = out.unwrap();
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        let want = format!(
            "mailshield: {}: detector `bad`: automaton is over its size \
             limit of 4194304 bytes",
            toml.display()
        );
        assert_eq!(messages(&out), [want], "{args:?}");
    }
}

/// The shortest of three times `f` takes.
fn fastest(mut f: impl FnMut()) -> Duration {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap()
}

/// Checks that four times the input takes at most ten times as long.
fn assert_linear(engine: &Engine, make: impl Fn(usize) -> Vec<u8>, n: usize) {
    let (small, large) = (make(n), make(4 * n));
    let t1 = fastest(|| drop(engine.scan(&small)));
    let t4 = fastest(|| drop(engine.scan(&large)));
    assert!(
        t4 <= t1 * 10 + Duration::from_millis(5),
        "{n} bytes: {t1:?}, four times: {t4:?}"
    );
}

#[test]
fn backtracking_bombs_scan_in_linear_time() {
    // Patterns that take exponential time in a backtracking engine, on
    // the input that triggers it: linear here.
    let cases: [(&str, u8, &[u8]); 4] = [
        ("(a+)+b", b'a', b"!"),
        ("(?:a|aa)+c", b'a', b"!"),
        ("(?:x+x+)+y", b'x', b"!"),
        ("(?:a*)*b", b'a', b""),
    ];
    for (pattern, fill, end) in cases {
        let engine = compile(pattern).unwrap();
        let make = |n: usize| {
            let mut t = vec![fill; n];
            t.extend_from_slice(end);
            t
        };
        assert_eq!(engine.scan(&make(10_000)).findings, []);
        assert_linear(&engine, make, 256 << 10);
    }
}

#[test]
fn regression_quadratic_iteration_of_a_custom_pattern() {
    // HOSTILE-INPUTS 5. Each search from a capital scanned to the end of
    // the buffer for the first alternative before the second matched one
    // byte: 64 KB took about 6 s in a release build, 256 KB about 2
    // minutes. Searches now look at most twice the pack's longest match
    // ahead, so time is linear in the buffer times that length.
    let toml = pack_with(".*[^A-Z]|[A-Z]").replace(
        "extends = \"default\"\n",
        "extends = \"default\"\nmax_match_len = 256\n",
    );
    let pack = Pack::from_toml("hostile.toml", &toml).unwrap();
    let engine = Engine::new(pack).unwrap();
    let make = |n: usize| {
        let mut t = b"x ".to_vec();
        t.resize(n, b'A');
        t
    };
    let scan = engine.scan(&make(1000));
    let spans: Vec<_> =
        scan.findings.iter().map(|f| (f.span.start, f.span.end)).collect();
    let expected: Vec<_> =
        std::iter::once((0, 2)).chain((2..1000).map(|i| (i, i + 1))).collect();
    assert_eq!(spans, expected);
    assert!(scan.complete && scan.errors.is_empty());
    assert_linear(&engine, make, 64 << 10);
}

#[test]
fn truncated_and_empty_inputs() {
    let dir = TempDir::new("hostile-trunc");
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        fs::write(&p, bytes).unwrap();
        p
    };
    // Empty files of every format.
    let eml = write("empty.eml", b"");
    let mbox = write("empty.mbox", b"");
    let jsonl_file = write("empty.jsonl", b"");
    let out = mailshield()
        .arg("scan")
        .args([&eml, &mbox, &jsonl_file])
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let records = jsonl(&out.stdout);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["warnings"], serde_json::json!(["empty message"]));
    // Empty stdin is one empty message.
    let out = mailshield()
        .args(["scan", "-"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(jsonl(&out.stdout)[0]["source"]["path"], "-");

    // A JSONL file cut inside its second record.
    let cut = write(
        "cut.jsonl",
        b"{\"id\": \"a\", \"body\": \"mail ana@example.com\"}\n\
          {\"id\": \"b\", \"body\": \"SSN 536-90-12",
    );
    let out = mailshield().arg("scan").arg(&cut).output().unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let records = jsonl(&out.stdout);
    assert_eq!(spans(&records[0]), [span("EMAIL", "body", 5, 20)]);
    assert_eq!(
        records[1]["errors"],
        serde_json::json!(["line 2: not valid JSON (cut short at column 34)"])
    );
    assert!(!stderr(&out).contains("536"), "{}", stderr(&out));

    // HOSTILE-INPUTS 77: an mbox whose last message is cut inside a
    // base64 part; the message before it is whole.
    let part = base64_lines(b"SSN 536-90-1234\r\nmore text here\r\n");
    let whole = format!(
        "From x@example.com Mon Nov 30 09:00:00 2026\n\
         Subject: one\n\nmail ana@example.com\n\n\
         From x@example.com Mon Nov 30 09:00:00 2026\n\
         Content-Type: multipart/mixed; boundary=b\n\n--b\n\
         Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n\
         {part}\n--b--\n"
    );
    let bytes = &whole.as_bytes()[..whole.find("\n--b--").unwrap() - 5];
    let cut = write("cut.mbox", bytes);
    let out = mailshield().arg("scan").arg(&cut).output().unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let records = jsonl(&out.stdout);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["complete"], true);
    assert_eq!(records[1]["complete"], false);
    assert_eq!(spans(&records[1]), [span("SSN", "body", 4, 15)]);
}

#[test]
fn stdout_closed_after_one_line_ends_quietly() {
    // `mailshield scan big | head -1`: the line read is whole JSON, the
    // run ends with 0 and says nothing about the pipe.
    let dir = TempDir::new("hostile-pipe");
    let path = flood(&dir, 0);
    let mut text = fs::read_to_string(&path).unwrap();
    for i in 0..50_000 {
        text +=
            &format!("{{\"id\": {i}, \"body\": \"mail u{i}@example.com\"}}\n");
    }
    fs::write(&path, text).unwrap();
    let mut child = mailshield()
        .arg("scan")
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(jsonl(first.as_bytes())[0]["id"], "before");
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(messages(&out), Vec::<String>::new());
}

#[test]
fn stdout_on_a_full_disk_is_a_clear_error() {
    // `--out /dev/full` is in cli.rs; here stdout itself is /dev/full.
    if !require(Path::new("/dev/full").exists(), "no /dev/full") {
        return;
    }
    let dir = TempDir::new("hostile-full");
    let path = flood(&dir, 10);
    let out = mailshield()
        .arg("scan")
        .arg(&path)
        .stdout(File::options().write(true).open("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        messages(&out),
        ["mailshield: stdout: No space left on device (os error 28)"]
    );
}

/// Whether this process runs as root (whom file modes do not stop).
fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("Uid:"))?.to_owned();
            Some(line.split_whitespace().nth(2)? == "0")
        })
        .unwrap_or(false)
}

#[test]
fn an_unreadable_file_is_reported_and_the_rest_scanned() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("hostile-unreadable");
    fs::set_permissions(&dir.0, fs::Permissions::from_mode(0o755)).unwrap();
    let secret = dir.join("secret.eml");
    fs::write(&secret, "Subject: s\r\n\r\nSSN 536-90-1234\r\n").unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).unwrap();
    let open = dir.join("open.eml");
    fs::write(&open, "Subject: o\r\n\r\nmail ana@example.com\r\n").unwrap();
    // Root reads any file: run the command as `nobody` (CI runs as root).
    let mut cmd = if is_root() {
        let have = Command::new("setpriv").arg("--version").output().is_ok();
        if !require(have, "running as root without setpriv to drop to nobody")
        {
            return;
        }
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_mailshield"));
        c
    } else {
        if fs::read(&secret).is_ok() {
            eprintln!("skipping: a mode 000 file is readable to this user");
            return;
        }
        mailshield()
    };
    let out = cmd.arg("scan").arg(&secret).arg(&open).output().unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let records = jsonl(&out.stdout);
    assert_eq!(records.len(), 1);
    assert_eq!(spans(&records[0]), [span("EMAIL", "body", 5, 20)]);
    assert_eq!(
        messages(&out),
        [format!("mailshield: {}: permission denied", secret.display())]
    );
}

#[test]
fn a_symlink_loop_in_a_maildir_is_reported_and_the_rest_scanned() {
    let dir = TempDir::new("hostile-loop");
    let md = dir.join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(md.join(sub)).unwrap();
    }
    fs::write(
        md.join("cur/1.a:2,S"),
        "Subject: a\r\n\r\nmail ana@example.com\r\n",
    )
    .unwrap();
    fs::write(md.join("new/2.b"), "Subject: b\r\n\r\nSSN 536-90-1234\r\n")
        .unwrap();
    std::os::unix::fs::symlink(&md, md.join("cur/loop")).unwrap();
    std::os::unix::fs::symlink("..", md.join("new/up")).unwrap();
    let out = mailshield().arg("scan").arg(&md).output().unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let records = jsonl(&out.stdout);
    assert_eq!(records.len(), 2);
    assert_eq!(spans(&records[0]), [span("EMAIL", "body", 5, 20)]);
    assert_eq!(spans(&records[1]), [span("SSN", "body", 4, 15)]);
    let cause = "symbolic link loop (leads back to a parent); not followed";
    assert_eq!(
        messages(&out),
        [
            format!("mailshield: {}: {cause}", md.join("cur/loop").display()),
            format!("mailshield: {}: {cause}", md.join("new/up").display()),
        ]
    );
}

#[test]
fn trivial_inputs_find_nothing() {
    // HOSTILE-INPUTS 31, and 7: non-ASCII letters around an address do
    // not stop the automata that look at word boundaries.
    let engine = Engine::builtin("default").unwrap();
    for text in [&b""[..], b"@", b" \t\r\n"] {
        let scan = engine.scan(text);
        assert_eq!((scan.findings.len(), scan.complete), (0, true));
    }
    let blank = b" \t\r\n".repeat(10 << 18);
    assert_eq!(engine.scan(&blank).findings, []);
    assert_eq!(
        lib_spans(&engine, "José alice@example.com Zoë".as_bytes()),
        [("EMAIL".to_string(), 6, 23)]
    );
}

/// A synthetic message of about `n` bytes: sentences with values.
fn corpus(n: usize) -> Vec<u8> {
    let mut t = Vec::with_capacity(n + 200);
    let mut i = 0;
    while t.len() < n {
        t.extend_from_slice(
            format!(
                "Dear team, meeting {i} moved; write to user{i}@example.com \
                 or call (415) 555-{:04}. Card 4111 1111 1111 1111 on file, \
                 host 192.0.2.{} and ref 536-90-1234. Thanks!\n",
                i % 10_000,
                i % 250
            )
            .as_bytes(),
        );
        i += 1;
    }
    t
}

#[test]
fn built_in_packs_scan_in_linear_time() {
    // HOSTILE-INPUTS 6, as growth only: four times the text within ten
    // times the time.
    for name in ["default", "seed"] {
        let engine = Engine::builtin(name).unwrap();
        assert!(engine.scan(&corpus(1000)).findings.len() >= 5, "{name}");
        assert_linear(&engine, corpus, 256 << 10);
    }
}

#[test]
fn nothing_is_truncated_and_case_does_not_hide_a_value() {
    // HOSTILE-INPUTS 40: a card at character 11,000 of 12,000 is
    // redacted, and no cut; 43: an address in capitals is found and
    // redacted by the same engine.
    let engine = Engine::builtin("default").unwrap();
    let mut body = "é".repeat(11_000);
    body += "4111 1111 1111 1111 ALICE@EXAMPLE.COM ";
    body += &"x".repeat(12_000 - body.chars().count());
    let fields = [Field::new("body", FieldRole::Body, body.as_bytes())];
    let opts = Options {
        cipher: Cipher::None,
        keys: None,
        message_id: b"m1",
        level: None,
    };
    let p = protect(&engine, &fields, &opts).unwrap();
    let want = format!(
        "{}[CREDIT_CARD_REDACTED] [EMAIL_REDACTED] {}",
        "é".repeat(11_000),
        "x".repeat(12_000 - 11_000 - 38)
    );
    assert_eq!(String::from_utf8(p.body).unwrap(), want);
    assert_eq!(
        p.log,
        ["Replaced 1 CREDIT_CARD instances", "Replaced 1 EMAIL instances"]
    );
}

#[test]
fn odd_input_sources_are_reported_or_capped() {
    // HOSTILE-INPUTS 76: a directory that is not what the format says, a
    // FIFO, endless input.
    let dir = TempDir::new("hostile-sources");
    let folder = dir.join("folder");
    fs::create_dir(&folder).unwrap();
    let out = mailshield()
        .args(["scan", "--format", "maildir"])
        .arg(&folder)
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert_eq!(
        messages(&out),
        [format!(
            "mailshield: {}: not a maildir (it has neither cur/ nor new/)",
            folder.display()
        )]
    );

    // A FIFO: read as stdin would be, to its end.
    let fifo = dir.join("pipe.eml");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if require(made.is_ok_and(|s| s.success()), "no mkfifo") {
        let child = mailshield()
            .arg("scan")
            .arg(&fifo)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        fs::write(&fifo, "Subject: f\r\n\r\nSSN 536-90-1234\r\n").unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(
            spans(&jsonl(&out.stdout)[0]),
            [span("SSN", "body", 4, 15)]
        );
    }

    // Endless input ends at the message limit.
    let mut cmd = mailshield();
    cmd.args(["scan", "--format", "eml", "/dev/zero"]);
    let m = measure(cmd, &dir);
    assert_no_panic(&m.out);
    assert_eq!(m.out.status.code(), Some(3), "{}", stderr(&m.out));
    let records = jsonl(&m.out.stdout);
    assert_eq!(records[0]["complete"], false);
    assert_peak_under(&m, 512);
}

#[test]
fn results_do_not_depend_on_the_locale() {
    // HOSTILE-INPUTS 81 (locale): Turkish casing rules change nothing.
    let dir = TempDir::new("hostile-locale");
    let path = dir.join("in.jsonl");
    fs::write(
        &path,
        "{\"id\": 1, \"body\": \"CONF\u{130}DENT\u{130}AL: \
         ILKER@EXAMPLE.COM 536-90-1234\"}\n",
    )
    .unwrap();
    let run = |vars: &[(&str, &str)]| {
        let mut c = mailshield();
        c.arg("scan").arg(&path).envs(vars.iter().copied());
        c.output().unwrap().stdout
    };
    let plain = run(&[]);
    assert_eq!(jsonl(&plain)[0]["keywords"][0]["keyword"], "confidential");
    for vars in [
        [("LC_ALL", "tr_TR.UTF-8"), ("LANG", "tr_TR.UTF-8")],
        [("LC_ALL", "C"), ("LANG", "C")],
    ] {
        assert_eq!(run(&vars), plain, "{vars:?}");
    }
}

#[test]
fn encoded_subjects_are_decoded_and_redacted() {
    // HOSTILE-INPUTS 25: an address inside a base64 encoded word, and a
    // name in Latin-1 split over two encoded words.
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD
        .encode("Write to ana.li@example.com");
    let raw = format!(
        "From: =?ISO-8859-1?Q?Jos=E9?= =?ISO-8859-1?Q?_P=E9rez?= \
         <jose@example.com>\r\nSubject: =?UTF-8?B?{b64}?=\r\n\
         Message-ID: <s1@example.com>\r\n\r\nhello\r\n"
    );
    let dir = TempDir::new("hostile-subject");
    let path = dir.join("subject.eml");
    fs::write(&path, raw).unwrap();
    let out = mailshield()
        .args(["protect", "--cipher", "none"])
        .arg(&path)
        .env("MAILSHIELD_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = &jsonl(&out.stdout)[0];
    assert_eq!(r["subject"], "Write to [EMAIL_REDACTED]");
    // Address headers are kept (SPEC 4), decoded.
    assert_eq!(r["sender_email"], "José Pérez <jose@example.com>");
    assert_eq!(r["body"], "hello\r\n");
}
