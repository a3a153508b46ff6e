//! The mail layer: inputs, mbox splitting, MIME into fields, limits, and
//! the real corpus in `../shared/corpus/real`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mailshield::engine::Engine;
use mailshield::mail::{
    Format, Limits, Message, inputs, mbox_messages, open, parse, sniff,
};
use mailshield::rules::FieldRole;

use crate::support::{TempDir, require, shared};

/// The real corpus, or `None` after a skip message.
fn corpus() -> Option<PathBuf> {
    let dir = shared()?.join("corpus/real");
    require(dir.is_dir(), "../shared/corpus/real is absent").then_some(dir)
}

/// Every message of one input, with the errors the reader reported.
fn read_all(path: &Path, format: Format) -> (Vec<Message>, Vec<String>) {
    let reader = open(path, format, Limits::default()).unwrap();
    let (mut msgs, mut errors) = (Vec::new(), Vec::new());
    for item in reader {
        match item {
            Ok(m) => msgs.push(m),
            Err(e) => errors.push(e.to_string()),
        }
    }
    (msgs, errors)
}

/// `(name, role, text)` of each field.
fn fields(msg: &Message) -> Vec<(String, FieldRole, String)> {
    msg.fields
        .iter()
        .map(|f| {
            let text = String::from_utf8_lossy(&f.text).into_owned();
            (f.name.to_string(), f.role, text)
        })
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Rows of a TSV file with a header line, as maps from column to value.
fn tsv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split('\t').collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let cells = l.split('\t').map(str::to_owned);
            head.iter().map(|h| h.to_string()).zip(cells).collect()
        })
        .collect()
}

#[test]
fn corpus_message_counts_match_counts_tsv() {
    let Some(real) = corpus() else { return };
    let rows = tsv(&real.join("COUNTS.tsv"));
    assert_eq!(rows.len(), 8, "COUNTS.tsv has 7 folders and combined.mbox");
    for row in rows {
        let input = &row["input"];
        let want: usize = row["messages"].parse().unwrap();
        let (msgs, errors) = read_all(&real.join(input), Format::Auto);
        assert!(errors.is_empty(), "{input}: {errors:?}");
        assert_eq!(msgs.len(), want, "{input}");
    }
}

#[test]
fn combined_mbox_messages_are_the_original_files_byte_for_byte() {
    let Some(real) = corpus() else { return };
    let mbox = fs::read(real.join("combined.mbox")).unwrap();
    let rows = tsv(&real.join("combined.mbox.index.tsv"));
    let msgs: Vec<_> = mbox_messages(&mbox[..], Limits::default())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!((msgs.len(), rows.len()), (655, 655));
    let mut escaped = 0;
    for (msg, row) in msgs.iter().zip(&rows) {
        let file = &row["file"];
        let offset: usize = row["offset"].parse().unwrap();
        assert_eq!(msg.raw_len.to_string(), row["length"], "{file}");
        assert!(msg.complete, "{file}");
        // The rebuild rule of SOURCES.md: the reader has split the entry,
        // dropped the separator LF and unescaped `>From ` lines; one more
        // LF goes if the writer appended one, and the envelope line goes
        // back in front when it came from the file.
        let mut original = msg.bytes.clone();
        if row["appended_newline"] == "1" {
            assert_eq!(original.pop(), Some(b'\n'), "{file}");
        }
        if row["envelope_from_file"] == "1" {
            let entry = &mbox[offset..];
            let from = &entry[..memchr::memchr(b'\n', entry).unwrap()];
            let eol: &[u8] =
                if row["envelope_eol"] == "crlf" { b"\r\n" } else { b"\n" };
            original.splice(0..0, [from, eol].concat());
        }
        assert_eq!(sha256_hex(&original), row["sha256_original"], "{file}");
        escaped += row["escaped_lines"].parse::<usize>().unwrap();
    }
    // Every escaped line of the file was unescaped (the hashes say so);
    // the index counts them all.
    // N.B. SOURCES.md says 14 lines; the index and the file hold 13.
    let in_file = mbox
        .split(|&b| b == b'\n')
        .filter(|l| {
            let q = l.iter().take_while(|&&b| b == b'>').count();
            q > 0 && l[q..].starts_with(b"From ")
        })
        .count();
    assert_eq!((escaped, in_file), (13, 13));
}

/// The message `mail-parser` 0.11 panics on (a debug assertion).
const PANICS: &str = "mail-parser-rs/malformed/023.eml";

#[test]
fn parser_panic_on_023_is_contained() {
    let Some(real) = corpus() else { return };
    let raw = fs::read(real.join(PANICS)).unwrap();
    let parsed = parse(&raw, &Limits::default());
    if cfg!(debug_assertions) {
        assert_eq!(
            parsed.warnings,
            ["MIME parser failed; scanned as raw bytes"]
        );
        assert_eq!(parsed.fields.len(), 1);
        let f = &parsed.fields[0];
        assert_eq!(
            (&*f.name, f.role, &*f.text),
            ("raw", FieldRole::Body, &raw[..])
        );
        assert!(parsed.complete && parsed.errors.is_empty());
    } else {
        // N.B. The panic is a debug assertion; a release build goes on.
        assert!(!parsed.fields.is_empty());
    }
    // Read through the tree reader, it is one message like any other.
    let (msgs, errors) = read_all(&real.join(PANICS), Format::Auto);
    assert!(errors.is_empty());
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].source.index, 0);
}

#[test]
fn every_corpus_file_parses_and_only_023_falls_back_to_raw() {
    let Some(real) = corpus() else { return };
    let files = inputs(std::slice::from_ref(&real), Format::Eml);
    let (mut n, mut raw_fallbacks, mut no_body) = (0, Vec::new(), 0);
    for input in files {
        let input = input.unwrap();
        let bytes = fs::read(&input.path).unwrap();
        let parsed = parse(&bytes, &Limits::default());
        n += 1;
        let rel = input.path.strip_prefix(&real).unwrap().to_owned();
        let rel = rel.to_string_lossy().into_owned();
        if parsed.warnings.iter().any(|w| w.starts_with("MIME parser failed"))
        {
            raw_fallbacks.push(rel.clone());
        }
        // Warnings and errors are one line each.
        for line in parsed.warnings.iter().chain(&parsed.errors) {
            assert!(!line.contains('\n'), "{rel}: {line:?}");
        }
        if !parsed.fields.iter().any(|f| f.role == FieldRole::Body) {
            no_body += 1;
        }
    }
    // 882 files, COUNTS.tsv, MANIFEST.tsv, SOURCES.md, combined.mbox,
    // its index and .gitattributes.
    assert_eq!(n, 888);
    let want: Vec<String> =
        if cfg!(debug_assertions) { vec![PANICS.into()] } else { vec![] };
    assert_eq!(raw_fallbacks, want);
    // Attachment-only messages (images, archives, a PDF) and the two TSV
    // files' worth of oddities: 16 files have no text to scan.
    assert_eq!(no_body, 16);
}

/// A multipart message with one text part per decoding to get right.
/// Written with LF; [`crlf`] makes it CRLF, as mail is.
const MIXED: &str = r#"From: Ana Li <ana.li@example.com>
To: "Bo, Jr." <bo@example.com>, cy@example.net
Subject: =?UTF-8?Q?Caf=C3=A9_order?=
Message-ID: <t1@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

preamble, not a part
--outer
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

SSN 536-9=
0-1234, write to ana.li@exa=
mple.com
--outer
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

Q2FyZCA0MTExIDExMTEgMTExMSAxMTExIG9uIGZpbGUuDQo=
--outer
Content-Type: text/html; charset=utf-8

<html><body><p>Reply to ana&#64;example.org</p></body></html>
--outer
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: 8bit

Jos<E9> P<E9>rez
--outer
Content-Type: text/plain; charset=utf-16
Content-Transfer-Encoding: base64

//5XAHIAaQB0AGUAIAB0AG8AIABiAG8AQABlAHgAYQBtAHAAbABlAC4AYwBvAG0ADQAKAA==
--outer
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain

plain version
--alt
Content-Type: text/html

<b>html version</b>
--alt--
--outer
Content-Type: image/png
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--outer
Content-Type: message/rfc822

Subject: inner

forwarded note
--outer--
"#;

/// LF to CRLF, and `<E9>` to the byte 0xE9.
fn crlf(text: &str) -> Vec<u8> {
    let text = text.replace('\n', "\r\n");
    let mut out = Vec::new();
    for (i, piece) in text.split("<E9>").enumerate() {
        if i > 0 {
            out.push(0xE9);
        }
        out.extend_from_slice(piece.as_bytes());
    }
    out
}

#[test]
fn mixed_message_fields_and_findings() {
    let dir = TempDir::new("mail-mixed");
    let mut mbox =
        b"From ana.li@example.com Mon Jan  1 00:00:00 2024\n".to_vec();
    mbox.extend_from_slice(&crlf(MIXED));
    mbox.extend_from_slice(b"\n");
    let path = dir.join("box.mbox");
    fs::write(&path, &mbox).unwrap();
    let (msgs, errors) = read_all(&path, Format::Auto);
    assert!(errors.is_empty());
    assert_eq!(msgs.len(), 1);
    let msg = &msgs[0];
    let want: Vec<(&str, FieldRole, &str)> = vec![
        ("from", FieldRole::Address, "Ana Li <ana.li@example.com>"),
        (
            "to",
            FieldRole::Address,
            "\"Bo, Jr.\" <bo@example.com>, cy@example.net",
        ),
        ("subject", FieldRole::Subject, "Café order"),
        (
            "body",
            FieldRole::Body,
            "SSN 536-90-1234, write to ana.li@example.com",
        ),
        ("body.1", FieldRole::Body, "Card 4111 1111 1111 1111 on file.\r\n"),
        ("body.2", FieldRole::Body, "Reply to ana@example.org"),
        ("body.3", FieldRole::Body, "José Pérez"),
        ("body.4", FieldRole::Body, "Write to bo@example.com\r\n"),
        // Of the alternative, only the plain text; the image is no field.
        ("body.5", FieldRole::Body, "plain version"),
        // The attached message's text part.
        ("body.6", FieldRole::Body, "forwarded note"),
    ];
    let got = fields(msg);
    let got: Vec<(&str, FieldRole, &str)> =
        got.iter().map(|(n, r, t)| (&n[..], *r, &t[..])).collect();
    assert_eq!(got, want);
    assert_eq!(msg.id.as_deref(), Some("t1@example.com"));
    assert_eq!((msg.source.index, msg.raw_len), (0, mbox.len()));
    assert!(msg.complete && msg.warnings.is_empty() && msg.errors.is_empty());
    // The default engine finds each value in its own field, at the byte
    // span of that field's decoded text.
    let engine = Engine::builtin("default").unwrap();
    let scan = engine.scan_fields(&msg.fields);
    let found: Vec<(&str, &str, usize, usize)> = scan
        .findings
        .iter()
        .map(|f| {
            let field = &*msg.fields[f.field].name;
            (engine.entity_name(f.entity), field, f.span.start, f.span.end)
        })
        .collect();
    assert_eq!(
        found,
        [
            ("EMAIL", "from", 8, 26),
            ("EMAIL", "to", 11, 25),
            ("EMAIL", "to", 28, 42),
            ("SSN", "body", 4, 15),
            ("EMAIL", "body", 26, 44),
            ("CREDIT_CARD", "body.1", 5, 24),
            ("EMAIL", "body.2", 9, 24),
            ("EMAIL", "body.4", 9, 23),
        ]
    );
    // The message's text is its body fields joined by a blank line.
    let text = msg.text();
    assert!(
        text.starts_with(
            b"SSN 536-90-1234, write to ana.li@example.com\n\nCard"
        )
    );
    assert!(text.ends_with(b"plain version\n\nforwarded note"));
    // Debug shows no content.
    let debug = format!("{msg:?}");
    assert!(
        !debug.contains("536-90") && !debug.contains("example"),
        "{debug}"
    );
}

#[test]
fn maildir_reads_cur_then_new_and_reports_a_symlink_loop() {
    let dir = TempDir::new("mail-maildir");
    let md = dir.join("Maildir");
    for sub in ["cur", "new", "tmp", ".Sent/cur", ".Sent/new"] {
        fs::create_dir_all(md.join(sub)).unwrap();
    }
    let msg = |n: &str| format!("Subject: {n}\r\n\r\nbody {n}\r\n");
    fs::write(md.join("cur/2.b:2,S"), msg("two")).unwrap();
    fs::write(md.join("cur/1.a:2,S"), msg("one")).unwrap();
    fs::write(md.join("new/3.c"), msg("three")).unwrap();
    fs::write(md.join("tmp/4.d"), msg("in delivery")).unwrap();
    fs::write(md.join("dovecot-uidlist"), "3 V1 N4\n").unwrap();
    fs::write(md.join(".Sent/cur/5.e:2,S"), msg("sent")).unwrap();
    // A link from inside the maildir back to its top.
    std::os::unix::fs::symlink(&md, md.join("new/loop")).unwrap();

    let reader = open(&md, Format::Auto, Limits::default()).unwrap();
    let mut got = Vec::new();
    let mut loops = Vec::new();
    for item in reader {
        match item {
            Ok(m) => {
                assert_eq!(m.source.index, 0);
                let rel =
                    Path::new(&*m.source.path).strip_prefix(&md).unwrap();
                got.push((
                    rel.to_string_lossy().into_owned(),
                    fields(&m)[0].2.clone(),
                ));
            }
            Err(e) => {
                assert!(e.is_loop(), "{e}");
                loops.push(e.to_string());
            }
        }
    }
    let got: Vec<(&str, &str)> =
        got.iter().map(|(p, s)| (&p[..], &s[..])).collect();
    assert_eq!(
        got,
        [
            ("cur/1.a:2,S", "one"),
            ("cur/2.b:2,S", "two"),
            ("new/3.c", "three"),
            (".Sent/cur/5.e:2,S", "sent"),
        ]
    );
    let link = md.join("new/loop");
    assert_eq!(
        loops,
        [format!(
            "{}: symbolic link loop (leads back to a parent); not followed",
            link.display()
        )]
    );
}

#[test]
fn trees_expand_in_order_with_formats_by_name() {
    let dir = TempDir::new("mail-tree");
    let root = dir.join("tree");
    fs::create_dir_all(root.join("b/sub")).unwrap();
    for (name, text) in [
        ("a.eml", "Subject: a\r\n\r\nx\r\n"),
        ("b/z.mbox", "From a\nSubject: z1\n\nx\n\nFrom b\nSubject: z2\n\ny\n"),
        ("b/sub/c.txt", "Subject: c\n\nx\n"),
        ("b/y.mbox.txt", "From a\nSubject: y\n\nx\n"),
        ("d.jsonl", "{\"body\": \"x\"}\n"),
    ] {
        fs::write(root.join(name), text).unwrap();
    }
    let listed: Vec<(String, Format)> =
        inputs(std::slice::from_ref(&root), Format::Auto)
            .map(|i| {
                let i = i.unwrap();
                let rel = i.path.strip_prefix(&root).unwrap().to_owned();
                (rel.to_string_lossy().into_owned(), i.format)
            })
            .collect();
    // In a tree only mbox names are special (SPEC 5): a .jsonl file there
    // is one message; given on its own it is JSONL.
    assert_eq!(
        listed,
        [
            ("a.eml".to_string(), Format::Eml),
            ("b/sub/c.txt".into(), Format::Eml),
            ("b/y.mbox.txt".into(), Format::Mbox),
            ("b/z.mbox".into(), Format::Mbox),
            ("d.jsonl".into(), Format::Eml),
        ]
    );
    let alone: Vec<Format> = inputs(&[root.join("d.jsonl")], Format::Auto)
        .map(|i| i.unwrap().format)
        .collect();
    assert_eq!(alone, [Format::Jsonl]);

    let (msgs, errors) = read_all(&root, Format::Auto);
    assert!(errors.is_empty());
    let seen: Vec<(String, usize)> = msgs
        .iter()
        .map(|m| {
            let rel = Path::new(&*m.source.path).strip_prefix(&root).unwrap();
            (rel.to_string_lossy().into_owned(), m.source.index)
        })
        .collect();
    let seen: Vec<(&str, usize)> =
        seen.iter().map(|(p, i)| (&p[..], *i)).collect();
    assert_eq!(
        seen,
        [
            ("a.eml", 0),
            ("b/sub/c.txt", 0),
            ("b/y.mbox.txt", 0),
            ("b/z.mbox", 0),
            ("b/z.mbox", 1),
            ("d.jsonl", 0),
        ]
    );
}

#[test]
fn mbox_escapes_come_off_exactly_once() {
    let dir = TempDir::new("mail-escapes");
    let path = dir.join("escaped.mbox");
    let mbox = "\u{FEFF}From a@example.com Thu Jan  1 00:00:00 1970\n\
                Subject: quoting\n\n\
                >From the top\n\
                >>From two deep\n\
                >>>From three deep\n\
                > From not an escape\n\
                From_ is no separator\n\n\
                From b@example.com Thu Jan  1 00:00:00 1970\n\
                Subject: second\n\nbye\n";
    fs::write(&path, mbox).unwrap();
    let (msgs, errors) = read_all(&path, Format::Auto);
    assert!(errors.is_empty());
    assert_eq!(msgs.len(), 2);
    assert_eq!(
        fields(&msgs[0])[1].2,
        "From the top\n>From two deep\n>>From three deep\n\
         > From not an escape\nFrom_ is no separator\n"
    );
    assert_eq!(fields(&msgs[1])[1].2, "bye\n");
    assert_eq!(msgs[1].source.index, 1);
    // Each message's share of the file, the byte-order mark aside.
    let lens: usize = msgs.iter().map(|m| m.raw_len).sum();
    assert_eq!(lens, mbox.len() - 3);
}

#[test]
fn stdin_format_sniffing() {
    let cases: [(&[u8], Format); 10] = [
        (b"{\"id\": 1}", Format::Jsonl),
        (b"{", Format::Jsonl),
        (b"\xEF\xBB\xBF{\"id\"", Format::Jsonl),
        (b"From a@example.com Thu", Format::Mbox),
        (b"\xEF\xBB\xBFFrom a", Format::Mbox),
        (b"From: a@example.com", Format::Eml),
        (b"From", Format::Eml),
        (b" {\"id\": 1}", Format::Eml),
        (b"Subject: x", Format::Eml),
        (b"", Format::Eml),
    ];
    for (prefix, want) in cases {
        assert_eq!(
            sniff(prefix),
            want,
            "{:?}",
            String::from_utf8_lossy(prefix)
        );
    }
}

#[test]
fn jsonl_bad_line_is_kept_and_named() {
    let dir = TempDir::new("mail-jsonl");
    let path = dir.join("export.jsonl");
    fs::write(
        &path,
        "{\"id\": \"m-1\", \"subject\": \"hi\", \
         \"body\": \"SSN 536-90-1234\", \
         \"sender_email\": \"ana@example.com\", \"folder\": \"inbox\"}\n\
         \n\
         {\"id\": 2, \"body\": \"card 4111 1111 1111 1111\" oops}\n\
         {\"id\": 3, \"body\": \"fine\"}\n",
    )
    .unwrap();
    let (msgs, errors) = read_all(&path, Format::Auto);
    assert!(errors.is_empty());
    assert_eq!(msgs.len(), 3);
    let indexes: Vec<usize> = msgs.iter().map(|m| m.source.index).collect();
    assert_eq!(indexes, [0, 2, 3]);
    let first: Vec<(String, FieldRole, String)> = fields(&msgs[0]);
    assert_eq!(
        first,
        [
            ("body".into(), FieldRole::Body, "SSN 536-90-1234".into()),
            ("subject".into(), FieldRole::Subject, "hi".into()),
            (
                "sender_email".into(),
                FieldRole::Address,
                "ana@example.com".into()
            ),
        ]
    );
    assert_eq!(msgs[0].id.as_deref(), Some("m-1"));
    assert_eq!(msgs[0].extra["folder"], "inbox");
    let bad = &msgs[1];
    assert!(!bad.complete && bad.fields.is_empty());
    assert_eq!(
        bad.errors,
        ["line 3: not valid JSON (a syntax error at column 46)"]
    );
    assert!(!bad.errors[0].contains("4111"));
    assert_eq!(msgs[2].id.as_deref(), Some("3"));
    assert!(msgs[2].complete);
}

#[test]
fn unreadable_paths_are_errors_naming_the_path() {
    let dir = TempDir::new("mail-errors");
    let missing = dir.join("missing.eml");
    let err = open(&missing, Format::Auto, Limits::default()).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!("{}: no such file or directory", missing.display())
    );
    assert_eq!(err.path(), missing.to_string_lossy());
    let plain = dir.join("plain");
    fs::create_dir(&plain).unwrap();
    let err = open(&plain, Format::Maildir, Limits::default()).err().unwrap();
    assert!(
        err.to_string()
            .ends_with(": not a maildir (it has neither cur/ nor new/)")
    );
    let file = dir.join("a.eml");
    fs::write(&file, "Subject: x\n\nx\n").unwrap();
    let err = open(&file, Format::Maildir, Limits::default()).err().unwrap();
    assert!(err.to_string().ends_with("a.eml: not a directory"));
    // A run goes on past a path that is not there.
    let items: Vec<_> =
        inputs(&[missing, file.clone()], Format::Auto).collect();
    assert!(items[0].is_err());
    assert_eq!(items[1].as_ref().unwrap().path, file);
}

#[test]
fn readers_can_move_between_threads() {
    fn is_send<T: Send>() {}
    is_send::<mailshield::mail::Reader>();
    is_send::<mailshield::mail::Inputs>();
    is_send::<Message>();
}

/// Runs `f` on a thread with a small stack: a recursion that follows the
/// input's depth would overflow it (and abort the test binary).
fn small_stack<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    std::thread::Builder::new()
        .stack_size(512 << 10)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn multipart_nesting_bomb_is_cut_at_max_depth() {
    // HOSTILE-INPUTS 26: 10,000 nested multipart/mixed levels.
    let mut raw = String::from("From: a@example.com\r\nSubject: bomb\r\n");
    for i in 0..10_000 {
        raw += &format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n\
             --b{i}\r\n"
        );
    }
    raw += "Content-Type: text/plain\r\n\r\nSSN 536-90-1234\r\n";
    for i in (0..10_000).rev() {
        raw += &format!("--b{i}--\r\n");
    }
    let start = Instant::now();
    let parsed =
        small_stack(move || parse(raw.as_bytes(), &Limits::default()));
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(
        parsed.warnings,
        ["MIME parts nested deeper than 32 levels were skipped"]
    );
    let names: Vec<&str> = parsed.fields.iter().map(|f| &*f.name).collect();
    assert_eq!(names, ["from", "subject"]);

    // Within the limit, the deepest part is read.
    let mut raw = String::new();
    for i in 0..31 {
        raw += &format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n\
             --b{i}\r\n"
        );
    }
    raw += "Content-Type: text/plain\r\n\r\ndeep\r\n";
    let parsed = parse(raw.as_bytes(), &Limits::default());
    assert_eq!(parsed.fields.len(), 1);
    assert_eq!(&*parsed.fields[0].text, b"deep\r\n");
    let tight = Limits { max_depth: 30, ..Limits::default() };
    assert!(parse(raw.as_bytes(), &tight).fields.is_empty());
}

#[test]
fn message_nesting_bombs_are_scanned_raw() {
    // 10,000 plain nested message/rfc822 levels, then the same hidden
    // in one base64 part, where no look at the raw bytes can count them.
    let level = "Content-Type: message/rfc822\r\n\r\n";
    let inner = format!(
        "{}Subject: x\r\n\r\nSSN 536-90-1234\r\n",
        level.repeat(10_000)
    );
    let plain = format!("Subject: bomb\r\n{inner}");
    let hidden = format!(
        "Subject: bomb\r\nContent-Type: message/rfc822\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        base64_lines(inner.as_bytes())
    );
    for raw in [plain, hidden] {
        let start = Instant::now();
        let len = raw.len();
        let parsed =
            small_stack(move || parse(raw.as_bytes(), &Limits::default()));
        assert!(start.elapsed() < Duration::from_secs(2));
        // A partial scan: encoded parts are not decoded.
        assert!(parsed.warnings.is_empty() && !parsed.complete);
        assert_eq!(
            parsed.errors,
            ["too many nested MIME messages to parse; scanned as raw \
                 bytes, encoded parts undecoded"]
        );
        assert_eq!(parsed.fields.len(), 1);
        assert_eq!(
            (&*parsed.fields[0].name, parsed.fields[0].text.len()),
            ("raw", len)
        );
    }
    // A few levels parse, plain or encoded.
    let few =
        format!("{}Subject: x\r\n\r\nSSN 536-90-1234\r\n", level.repeat(40));
    let encoded = format!(
        "Content-Type: message/rfc822\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        base64_lines(few.as_bytes())
    );
    let parsed = parse(
        encoded.as_bytes(),
        &Limits { max_depth: 64, ..Limits::default() },
    );
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(
        fields_of(&parsed.fields),
        pairs(&[("body", "SSN 536-90-1234\r\n")])
    );
}

fn fields_of(fields: &[mailshield::scan::Field<'_>]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|f| {
            (f.name.to_string(), String::from_utf8_lossy(&f.text).into_owned())
        })
        .collect()
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter().map(|&(a, b)| (a.to_owned(), b.to_owned())).collect()
}

/// Base64 in lines of 76 characters.
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

#[test]
fn encoded_attached_messages_are_decoded_three_levels_deep() {
    // HOSTILE-INPUTS 27: a message in base64 in base64 ...
    let mut msg = "Subject: core\r\n\r\nSSN 536-90-1234\r\n".to_string();
    let wrap = |m: &str| {
        format!(
            "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: \
             base64\r\n\r\n{}\r\n",
            base64_lines(m.as_bytes())
        )
    };
    for _ in 0..3 {
        msg = wrap(&msg);
    }
    let parsed = parse(msg.as_bytes(), &Limits::default());
    assert_eq!(
        fields_of(&parsed.fields),
        pairs(&[("body", "SSN 536-90-1234\r\n")])
    );
    assert!(parsed.complete);
    let parsed = parse(wrap(&msg).as_bytes(), &Limits::default());
    assert!(parsed.fields.is_empty());
    assert!(!parsed.complete);
    assert_eq!(
        parsed.errors,
        ["attached message encoded more than 3 levels deep; not scanned"]
    );
}

#[test]
fn undecodable_and_truncated_base64_are_flagged() {
    // HOSTILE-INPUTS 24: base64 corrupted in the middle. Nothing is lost:
    // the part is scanned decoded and as written, with a warning.
    let good = base64_lines(b"SSN 536-90-1234\r\nmore text here\r\n");
    let bad = format!("{}*{}", &good[..12], &good[12..]);
    let raw = format!(
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
         Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {bad}\r\n--b--\r\n"
    );
    let parsed = parse(raw.as_bytes(), &Limits::default());
    assert!(parsed.complete);
    assert!(parsed.errors.is_empty());
    assert_eq!(
        parsed.warnings,
        ["body: base64 with 1 invalid bytes; scanned decoded and as written"]
    );
    let names: Vec<&str> =
        parsed.fields.iter().map(|f| f.name.as_ref()).collect();
    assert_eq!(names, ["raw", "body"]);
    assert!(String::from_utf8_lossy(&parsed.fields[0].text).contains(&bad));
    assert_eq!(
        &parsed.fields[1].text[..],
        b"SSN 536-90-1234\r\nmore text here\r\n"
    );

    // HOSTILE-INPUTS 77: a message cut inside a base64 part.
    let whole = format!(
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
         Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {good}\r\n--b--\r\n"
    );
    let cut = &whole.as_bytes()[..whole.find("\r\n--b--").unwrap() - 5];
    let parsed = parse(cut, &Limits::default());
    assert!(!parsed.complete);
    assert_eq!(
        parsed.errors,
        [format!(
            "truncated message at byte {}: body base64 cut short",
            cut.len()
        )]
    );
    assert_eq!(
        parsed.warnings,
        [format!(
            "no closing MIME boundary; the message may be truncated at \
             byte {}",
            cut.len()
        )]
    );
    assert!(parsed.fields[0].text.starts_with(b"SSN 536-90-1234\r\n"));
}

#[test]
fn size_and_decoded_limits() {
    let raw = b"Subject: big\r\n\r\n0123456789abcdef\r\n";
    let small = Limits { max_message: 20, ..Limits::default() };
    let parsed = parse(raw, &small);
    assert!(!parsed.complete);
    assert_eq!(
        parsed.errors,
        ["message larger than 20 bytes; only the first 20 were read"]
    );
    assert_eq!(
        fields_of(&parsed.fields),
        pairs(&[("subject", "big"), ("body", "0123")])
    );

    let raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n\
                first part\r\n--b\r\n\r\nsecond part\r\n--b--\r\n";
    let capped = Limits { max_decoded: 15, ..Limits::default() };
    let parsed = parse(raw, &capped);
    assert!(!parsed.complete);
    assert_eq!(fields_of(&parsed.fields), pairs(&[("body", "first part")]));
    assert_eq!(
        parsed.errors,
        ["decoded text over 15 bytes; later parts not scanned"]
    );

    // A single file is read up to the limit and no further.
    let dir = TempDir::new("mail-big");
    let path = dir.join("big.eml");
    fs::write(&path, raw).unwrap();
    let reader = open(
        &path,
        Format::Auto,
        Limits { max_message: 50, ..Limits::default() },
    );
    let msgs: Vec<Message> = reader.unwrap().map(Result::unwrap).collect();
    assert_eq!(
        (msgs.len(), msgs[0].raw_len, msgs[0].complete),
        (1, 51, false)
    );
}

#[test]
fn inputs_that_are_not_mail_are_scanned_raw() {
    let parsed = parse(b"just some words, 536-90-1234", &Limits::default());
    assert_eq!(
        parsed.warnings,
        ["not an RFC 5322 message; scanned as raw bytes"]
    );
    assert_eq!(
        fields_of(&parsed.fields),
        pairs(&[("raw", "just some words, 536-90-1234")])
    );
    let parsed = parse(b"", &Limits::default());
    assert_eq!(
        (parsed.fields.len(), &parsed.warnings[..]),
        (0, &["empty message".to_string()][..])
    );
    // Stray lines in a header block are scanned as they are, and the
    // message is still MIME-decoded.
    let raw = b"Subject: hi\r\n536-90-1234 hidden here\r\n\
                Content-Transfer-Encoding: base64\r\n\r\n\
                U1NOIDUzNi05MC0xMjM0\r\n";
    let parsed = parse(raw, &Limits::default());
    assert_eq!(
        fields_of(&parsed.fields),
        pairs(&[
            ("subject", "hi"),
            ("body", "SSN 536-90-1234"),
            (
                "raw",
                "Subject: hi\r\n536-90-1234 hidden here\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n"
            ),
        ])
    );
    assert_eq!(
        parsed.warnings,
        ["lines in the header block are not headers; the block is also \
          scanned as raw bytes (field `raw`)"]
    );

    let Some(real) = corpus() else { return };
    let raw = fs::read(real.join("enmime/mail/erroneous.raw")).unwrap();
    let parsed = parse(&raw, &Limits::default());
    assert_eq!(
        parsed.warnings,
        ["not an RFC 5322 message; scanned as raw bytes"]
    );
    assert_eq!(parsed.fields.len(), 1);
    assert_eq!(
        (&*parsed.fields[0].name, &*parsed.fields[0].text),
        ("raw", &raw[..])
    );
}

#[test]
fn corpus_oddities_still_give_their_text() {
    let Some(real) = corpus() else { return };
    let read = |rel: &str| {
        parse(&fs::read(real.join(rel)).unwrap(), &Limits::default())
    };
    // multipart/alternative with no boundary parameter: its body as text.
    let parsed = read("cpython-test-email/msg_41.txt");
    assert_eq!(
        fields_of(&parsed.fields),
        pairs(&[
            ("from", "Allison Dunlap <xxx@example.com>"),
            ("to", "yyy@example.com"),
            ("subject", "64423"),
            ("body", "Blah blah blah\n"),
        ])
    );
    assert_eq!(
        parsed.warnings,
        ["multipart without a boundary; its body is scanned as text"]
    );
    // A bounce: the delivery status report is text (it names the
    // address that failed).
    let parsed = read("mimekit/messages/delivery-status.txt");
    let got = fields_of(&parsed.fields);
    let names: Vec<&str> = got.iter().map(|f| &f.0[..]).collect();
    assert_eq!(names, ["from", "to", "cc", "subject", "body", "body.1"]);
    assert!(
        got[4].1.contains(
            "Final-Recipient: RFC822; newsletter-request@imusic.com\n"
        )
    );
    // The returned message's own text part.
    assert_eq!(got[5].1, "unsubscribe");
}
