//! The C ABI called from Rust: the same answers as the library, statuses
//! and last errors, and the parity table every binding checks.
//!
//! `tests/data/parity/expected.tsv` lists the findings of each parity
//! input, in bytes, code points and UTF-16 units, as the Rust engine
//! finds them; the C, Python and C# tests read the same inputs and check
//! their own unit against it. `MAILSHIELD_BLESS=1` rewrites it.

use std::ffi::CStr;
use std::path::Path;
use std::ptr;

use mailshield::batch::record::{fields_for, masked_values};
use mailshield::engine::Engine;
use mailshield::ffi::*;
use mailshield::mail::{Limits, Message, Source};

const PARITY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/parity");

/// The parity inputs: file name and input kind.
const INPUTS: [(&str, u32); 3] = [
    ("plain.txt", MAILSHIELD_INPUT_TEXT),
    ("emoji.txt", MAILSHIELD_INPUT_TEXT),
    ("message.eml", MAILSHIELD_INPUT_MESSAGE),
];

fn text(t: Text) -> String {
    assert!(!t.ptr.is_null());
    // SAFETY: views point to `len` bytes of UTF-8 followed by a NUL.
    let bytes = unsafe { std::slice::from_raw_parts(t.ptr.cast(), t.len) };
    assert_eq!(unsafe { *t.ptr.add(t.len) }, 0, "text ends with a NUL");
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn last_error() -> String {
    // SAFETY: never null, NUL-terminated.
    unsafe { CStr::from_ptr(mailshield_last_error()) }
        .to_string_lossy()
        .into_owned()
}

fn engine(pack: &CStr) -> *mut EngineHandle {
    let mut e = ptr::null_mut();
    let status = unsafe { mailshield_engine_new(pack.as_ptr(), &mut e) };
    assert_eq!(status, Status::Ok, "{}", last_error());
    e
}

fn scan(e: *const EngineHandle, data: &[u8], kind: u32) -> *mut ResultHandle {
    let mut r = ptr::null_mut();
    let status =
        unsafe { mailshield_scan(e, data.as_ptr(), data.len(), kind, &mut r) };
    assert_eq!(status, Status::Ok, "{}", last_error());
    r
}

fn findings<'a>(r: *const ResultHandle) -> &'a [FindingView] {
    let (mut items, mut n) = (ptr::null(), 0);
    let status = unsafe { mailshield_result_findings(r, &mut items, &mut n) };
    assert_eq!(status, Status::Ok);
    if n == 0 {
        return &[];
    }
    unsafe { std::slice::from_raw_parts(items, n) }
}

fn field_names(r: *const ResultHandle) -> Vec<String> {
    let (mut items, mut n) = (ptr::null(), 0);
    let status = unsafe { mailshield_result_fields(r, &mut items, &mut n) };
    assert_eq!(status, Status::Ok);
    let fields = unsafe { std::slice::from_raw_parts(items, n) };
    fields.iter().map(|f| text(f.name)).collect()
}

fn json(r: *const ResultHandle) -> String {
    let mut t = Text { ptr: ptr::null(), len: 0 };
    assert_eq!(unsafe { mailshield_result_json(r, &mut t) }, Status::Ok);
    text(t)
}

/// The parity table as the ABI reports it: one line per finding.
fn parity_rows(e: *const EngineHandle) -> String {
    let mut out = String::from(
        "# input\tfield\ttype\tstart\tend\tstart_char\tend_char\t\
         start_utf16\tend_utf16\tmasked\tclassification\n",
    );
    for (name, kind) in INPUTS {
        let data = std::fs::read(Path::new(PARITY).join(name)).unwrap();
        let r = scan(e, &data, kind);
        let names = field_names(r);
        let mut summary = std::mem::MaybeUninit::<Summary>::uninit();
        let status =
            unsafe { mailshield_result_summary(r, summary.as_mut_ptr()) };
        assert_eq!(status, Status::Ok);
        let level = text(unsafe { summary.assume_init() }.classification);
        for f in findings(r) {
            let s = f.span;
            out.push_str(&format!(
                "{name}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{level}\n",
                names[f.field as usize],
                text(f.entity_type),
                s.start,
                s.end,
                s.start_char,
                s.end_char,
                s.start_utf16,
                s.end_utf16,
                text(f.masked),
            ));
        }
        unsafe { mailshield_result_free(r) };
    }
    out
}

#[test]
fn parity_table_is_what_the_abi_reports() {
    let e = engine(c"default");
    let rows = parity_rows(e);
    unsafe { mailshield_engine_free(e) };
    let path = Path::new(PARITY).join("expected.tsv");
    if std::env::var_os("MAILSHIELD_BLESS").is_some() {
        std::fs::write(&path, &rows).unwrap();
        return;
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), rows);
}

#[test]
fn parity_offsets_match_rust_strings() {
    // Code points and UTF-16 units computed here from Rust's own
    // strings, against the ABI's.
    let e = engine(c"default");
    let data = std::fs::read(Path::new(PARITY).join("emoji.txt")).unwrap();
    let s = std::str::from_utf8(&data).unwrap();
    let r = scan(e, &data, MAILSHIELD_INPUT_TEXT);
    let found = findings(r);
    assert_eq!(found.len(), 3);
    for f in found {
        let o = f.span;
        assert_eq!(s[..o.start].chars().count(), o.start_char);
        assert_eq!(s[..o.end].chars().count(), o.end_char);
        assert_eq!(s[..o.start].encode_utf16().count(), o.start_utf16);
        assert_eq!(s[..o.end].encode_utf16().count(), o.end_utf16);
    }
    let email = &found[0];
    assert_eq!(text(email.entity_type), "EMAIL");
    assert_eq!(&s[email.span.start..email.span.end], "üser.näme@example.org");
    assert_eq!((email.span.start_char, email.span.start_utf16), (12, 14));
    unsafe {
        mailshield_result_free(r);
        mailshield_engine_free(e);
    }
}

#[test]
fn abi_results_equal_the_library_for_text_and_mail() {
    let e = engine(c"default");
    let lib = Engine::builtin("default").unwrap();
    for (name, kind) in INPUTS {
        let data = std::fs::read(Path::new(PARITY).join(name)).unwrap();
        let source = Source { path: "-".into(), index: 0 };
        let m = match kind {
            MAILSHIELD_INPUT_TEXT => Message::from_text(&data, source),
            _ => Message::from_raw(&data, source, &Limits::default()),
        };
        let fields = fields_for(&lib, &m);
        let want = lib.scan_fields(&fields);
        let masked = masked_values(&lib, &fields, &want);
        let r = scan(e, &data, kind);
        let got = findings(r);
        assert_eq!(got.len(), want.findings.len(), "{name}");
        for ((g, w), m) in got.iter().zip(&want.findings).zip(&masked) {
            assert_eq!((g.span.start, g.span.end), (w.span.start, w.span.end));
            assert_eq!(g.field as usize, w.field);
            assert_eq!(g.entity as usize, w.entity);
            assert_eq!(g.validated, w.validated);
            assert_eq!(&text(g.masked), m);
        }
        unsafe { mailshield_result_free(r) };
    }
    unsafe { mailshield_engine_free(e) };
}

#[test]
fn json_line_is_the_cli_record() {
    let e = engine(c"default");
    let r = scan(e, b"write to a@example.com", MAILSHIELD_INPUT_TEXT);
    assert_eq!(
        json(r),
        r#"{"id":"-#0","source":{"path":"-","index":0},"classification":"confidential","confidence":0.85,"findings":[{"type":"EMAIL","field":"body","start":9,"end":22,"score":0.9,"validated":true,"masked":"***@example.com"}],"keywords":[],"counts":{"EMAIL":1},"risk_factors":["PII detected"],"recommended_actions":["Apply encryption","Enable access logging","Require approval for access"],"complete":true,"warnings":[],"errors":[]}"#
    );
    unsafe {
        mailshield_result_free(r);
        mailshield_engine_free(e);
    }
}

#[test]
fn errors_name_the_call_and_the_cause() {
    let mut e = ptr::null_mut();
    let status = unsafe { mailshield_engine_new(c"nope".as_ptr(), &mut e) };
    assert_eq!(status, Status::Rules);
    assert!(e.is_null());
    assert!(last_error().starts_with("mailshield_engine_new: "));
    assert!(last_error().contains("nope"), "{}", last_error());

    let e = engine(c"default");
    let mut r = ptr::null_mut();
    let status = unsafe { mailshield_scan(e, ptr::null(), 5, 0, &mut r) };
    assert_eq!(status, Status::NullArgument);
    assert_eq!(last_error(), "mailshield_scan: `data` is null");
    let status = unsafe { mailshield_scan(e, b"x".as_ptr(), 1, 9, &mut r) };
    assert_eq!(status, Status::InvalidArgument);
    assert_eq!(last_error(), "mailshield_scan: unknown input kind 9");
    let status =
        unsafe { mailshield_scan(ptr::null(), ptr::null(), 0, 0, &mut r) };
    assert_eq!(status, Status::NullArgument);
    assert_eq!(last_error(), "mailshield_scan: `engine` is null");
    // An empty buffer may have a null pointer.
    let status = unsafe { mailshield_scan(e, ptr::null(), 0, 0, &mut r) };
    assert_eq!(status, Status::Ok);
    assert!(findings(r).is_empty());
    let mut view = std::mem::MaybeUninit::<ProtectedView>::uninit();
    let status = unsafe { mailshield_result_protected(r, view.as_mut_ptr()) };
    assert_eq!(status, Status::State);
    unsafe {
        mailshield_result_free(r);
        mailshield_engine_free(e);
        // Null is accepted by every free.
        mailshield_result_free(ptr::null_mut());
        mailshield_batch_free(ptr::null_mut());
        mailshield_stream_free(ptr::null_mut());
        mailshield_keyset_free(ptr::null_mut());
        mailshield_buffer_free(ptr::null_mut());
    }
}

#[test]
fn protect_then_decrypt_round_trips_with_both_ciphers() {
    let e = engine(c"default");
    let key = b"cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
    let mut keys = ptr::null_mut();
    let status = unsafe {
        mailshield_keyset_from_fernet_key(key.as_ptr(), key.len(), &mut keys)
    };
    assert_eq!(status, Status::Ok);
    let body = b"Card 4111 1111 1111 1111, mail a@example.com";
    for cipher in [MAILSHIELD_CIPHER_AES_256_GCM, MAILSHIELD_CIPHER_FERNET] {
        let opts = ProtectOptions {
            cipher,
            message_id: Bytes { ptr: b"m-1".as_ptr(), len: 3 },
            use_level: false,
            level: 0,
        };
        let mut r = ptr::null_mut();
        let status = unsafe {
            mailshield_protect(
                e,
                keys,
                body.as_ptr(),
                body.len(),
                0,
                &opts,
                &mut r,
            )
        };
        assert_eq!(status, Status::Ok, "{}", last_error());
        let mut v = std::mem::MaybeUninit::<ProtectedView>::uninit();
        let status = unsafe { mailshield_result_protected(r, v.as_mut_ptr()) };
        assert_eq!(status, Status::Ok);
        let v = unsafe { v.assume_init() };
        let clear =
            unsafe { std::slice::from_raw_parts(v.body.ptr, v.body.len) };
        assert_eq!(
            clear,
            b"Card [CREDIT_CARD_REDACTED], mail [EMAIL_REDACTED]"
        );
        let sealed = text(v.sealed);
        assert_eq!(sealed.starts_with("ms1:"), cipher == 0, "{cipher}");
        let mut buf = ptr::null_mut();
        let status = unsafe {
            mailshield_decrypt(
                keys,
                sealed.as_ptr(),
                sealed.len(),
                b"m-1".as_ptr(),
                3,
                &mut buf,
            )
        };
        assert_eq!(status, Status::Ok, "{}", last_error());
        let mut b = Bytes { ptr: ptr::null(), len: 0 };
        assert_eq!(unsafe { mailshield_buffer_data(buf, &mut b) }, Status::Ok);
        assert_eq!(unsafe { std::slice::from_raw_parts(b.ptr, b.len) }, clear);
        unsafe { mailshield_buffer_free(buf) };
        if cipher == 0 {
            // Bound to its id: another id does not open it.
            let status = unsafe {
                mailshield_decrypt(
                    keys,
                    sealed.as_ptr(),
                    sealed.len(),
                    b"m-2".as_ptr(),
                    3,
                    &mut buf,
                )
            };
            assert_eq!(status, Status::Crypto);
            assert!(buf.is_null());
        }
        unsafe { mailshield_result_free(r) };
    }
    // Sealing without keys is a key error.
    let mut r = ptr::null_mut();
    let status = unsafe {
        mailshield_protect(
            e,
            ptr::null(),
            body.as_ptr(),
            body.len(),
            0,
            ptr::null(),
            &mut r,
        )
    };
    assert_eq!(status, Status::Key);
    assert!(r.is_null());
    unsafe {
        mailshield_keyset_free(keys);
        mailshield_engine_free(e);
    }
}

#[test]
fn batch_equals_one_call_per_buffer_in_order() {
    let e = engine(c"default");
    let texts: Vec<String> = (0..64)
        .map(|i| format!("n{i}: user{i}@example.com or 415-555-{:04}", i * 3))
        .collect();
    let inputs: Vec<Bytes> = texts
        .iter()
        .map(|t| Bytes { ptr: t.as_ptr(), len: t.len() })
        .collect();
    let mut b = ptr::null_mut();
    let status = unsafe {
        mailshield_scan_batch(e, inputs.as_ptr(), inputs.len(), 0, &mut b)
    };
    assert_eq!(status, Status::Ok);
    let mut n = 0;
    assert_eq!(unsafe { mailshield_batch_len(b, &mut n) }, Status::Ok);
    assert_eq!(n, 64);
    for (i, t) in texts.iter().enumerate() {
        let mut r = ptr::null();
        assert_eq!(unsafe { mailshield_batch_get(b, i, &mut r) }, Status::Ok);
        let one = scan(e, t.as_bytes(), 0);
        let spans = |r| {
            findings(r).iter().map(|f| (f.span, f.entity)).collect::<Vec<_>>()
        };
        assert_eq!(spans(r), spans(one));
        assert!(json(r).starts_with(&format!("{{\"id\":\"-#{i}\"")));
        unsafe { mailshield_result_free(one) };
    }
    let mut r = ptr::null();
    assert_eq!(
        unsafe { mailshield_batch_get(b, 64, &mut r) },
        Status::InvalidArgument
    );
    assert_eq!(
        last_error(),
        "mailshield_batch_get: index 64 is past the end of a batch of 64"
    );
    unsafe {
        mailshield_batch_free(b);
        mailshield_engine_free(e);
    }
}

#[test]
fn stream_in_pieces_equals_one_scan_with_unit_offsets() {
    let e = engine(c"default");
    let data = std::fs::read(Path::new(PARITY).join("emoji.txt")).unwrap();
    let mut text_all = Vec::new();
    for _ in 0..200 {
        text_all.extend_from_slice(&data);
    }
    let whole = scan(e, &text_all, 0);
    for piece in [1, 3, 7, 1000, 4096] {
        let mut s = ptr::null_mut();
        assert_eq!(unsafe { mailshield_stream_new(e, &mut s) }, Status::Ok);
        for chunk in text_all.chunks(piece) {
            let status = unsafe {
                mailshield_stream_feed(s, chunk.as_ptr(), chunk.len())
            };
            assert_eq!(status, Status::Ok);
        }
        let mut r = ptr::null_mut();
        assert_eq!(unsafe { mailshield_stream_finish(s, &mut r) }, Status::Ok);
        let got: Vec<_> =
            findings(r).iter().map(|f| (f.span, text(f.masked))).collect();
        let want: Vec<_> =
            findings(whole).iter().map(|f| (f.span, text(f.masked))).collect();
        assert_eq!(got.len(), 600);
        assert_eq!(got, want, "pieces of {piece}");
        assert_eq!(json(r), json(whole));
        // Finished: feeding again is a state error.
        let status = unsafe { mailshield_stream_feed(s, b"x".as_ptr(), 1) };
        assert_eq!(status, Status::State);
        unsafe {
            mailshield_result_free(r);
            mailshield_stream_free(s);
        }
    }
    unsafe {
        mailshield_result_free(whole);
        mailshield_engine_free(e);
    }
}

#[test]
fn protect_at_a_given_level_sanitizes_as_the_guide() {
    // The guide's sanitize_content(content, classification): seed pack,
    // placeholders only at confidential and restricted, cut at 5000
    // characters when restricted.
    let e = engine(c"seed");
    let mut body = String::from("mail a@example.com now. ");
    body.push_str(&"\u{e9}".repeat(6000));
    let run = |level: i32| {
        let opts = ProtectOptions {
            cipher: MAILSHIELD_CIPHER_NONE,
            message_id: Bytes { ptr: ptr::null(), len: 0 },
            use_level: true,
            level,
        };
        let mut r = ptr::null_mut();
        let status = unsafe {
            mailshield_protect(
                e,
                ptr::null(),
                body.as_ptr(),
                body.len(),
                MAILSHIELD_INPUT_TEXT,
                &opts,
                &mut r,
            )
        };
        assert_eq!(status, Status::Ok, "{}", last_error());
        let mut v = std::mem::MaybeUninit::<ProtectedView>::uninit();
        let status = unsafe { mailshield_result_protected(r, v.as_mut_ptr()) };
        assert_eq!(status, Status::Ok);
        let v = unsafe { v.assume_init() };
        let out =
            unsafe { std::slice::from_raw_parts(v.body.ptr, v.body.len) };
        let log = unsafe { std::slice::from_raw_parts(v.log, v.log_len) };
        let got = (
            String::from_utf8(out.to_vec()).unwrap(),
            log.iter().map(|t| text(*t)).collect::<Vec<_>>(),
        );
        unsafe { mailshield_result_free(r) };
        got
    };
    let (public, log) = run(0);
    assert_eq!(public, body);
    assert!(log.is_empty());
    let (restricted, log) = run(3);
    let want = format!(
        "mail [EMAIL_REDACTED] now. {}[TRUNCATED]",
        "\u{e9}".repeat(5000 - 27)
    );
    assert_eq!(restricted, want);
    assert_eq!(
        log,
        ["Replaced 1 EMAIL instances", "Content truncated to 5000 characters"]
    );
    let mut r = ptr::null_mut();
    let opts = ProtectOptions {
        cipher: MAILSHIELD_CIPHER_NONE,
        message_id: Bytes { ptr: ptr::null(), len: 0 },
        use_level: true,
        level: 7,
    };
    let status = unsafe {
        mailshield_protect(e, ptr::null(), b"x".as_ptr(), 1, 0, &opts, &mut r)
    };
    assert_eq!(status, Status::InvalidArgument);
    assert_eq!(last_error(), "mailshield_protect: unknown level 7");
    unsafe { mailshield_engine_free(e) };
}

#[test]
fn decrypt_tells_damaged_envelopes_from_missing_keys() {
    let mut keys = ptr::null_mut();
    assert_eq!(unsafe { mailshield_keyset_generate(&mut keys) }, Status::Ok);
    let cases: [(&[u8], Status); 4] = [
        // A damaged envelope is an envelope that does not open.
        (b"ms1:zzz", Status::Crypto),
        (b"ms1:", Status::Crypto),
        // Neither kind.
        (b"hello", Status::Crypto),
        // A Fernet token with a key set that has no Fernet key.
        (b"gAAAAABfakefakefake", Status::Key),
    ];
    for (sealed, want) in cases {
        let mut buf = ptr::null_mut();
        let status = unsafe {
            mailshield_decrypt(
                keys,
                sealed.as_ptr(),
                sealed.len(),
                b"id".as_ptr(),
                2,
                &mut buf,
            )
        };
        assert_eq!(status, want, "{:?}: {}", sealed, last_error());
        assert!(buf.is_null());
    }
    assert_eq!(mailshield_abi_version(), MAILSHIELD_ABI_VERSION);
    unsafe { mailshield_keyset_free(keys) };
}

#[test]
fn one_read_gives_every_part_and_the_report_order() {
    let e = engine(c"seed");
    let r = scan(e, b"SSN 536-90-1234, mail a@example.com", 0);
    let mut v = std::mem::MaybeUninit::<ResultView>::uninit();
    assert_eq!(
        unsafe { mailshield_result_read(r, v.as_mut_ptr()) },
        Status::Ok
    );
    let v = unsafe { v.assume_init() };
    let found = findings(r);
    assert_eq!((v.findings, v.findings_len), (found.as_ptr(), found.len()));
    assert_eq!(text(v.summary.classification), "restricted");

    let (mut order, mut n) = (ptr::null(), 0);
    let status =
        unsafe { mailshield_engine_entity_order(e, &mut order, &mut n) };
    assert_eq!(status, Status::Ok);
    let order = unsafe { std::slice::from_raw_parts(order, n) };
    let (mut names, mut m) = (ptr::null(), 0);
    unsafe { mailshield_engine_entities(e, &mut names, &mut m) };
    let names = unsafe { std::slice::from_raw_parts(names, m) };
    let first: Vec<String> =
        order[..5].iter().map(|&i| text(names[i as usize])).collect();
    assert_eq!(first, ["SSN", "CREDIT_CARD", "EMAIL", "PHONE", "IP_ADDRESS"]);
    unsafe {
        mailshield_result_free(r);
        mailshield_engine_free(e);
    }
}

#[test]
fn key_checks_and_audit_appends_through_the_abi() {
    use mailshield::audit::{CHECKPOINT_KEY_LABEL, verify};
    use mailshield::auth::ApiKeys;
    use mailshield::crypto::{KeySet, unix_now};
    use mailshield::store::SqliteStore;

    let dir = crate::support::TempDir::new("ffi-adapters");
    let fernet = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
    let store = dir.join("s.db");
    // A key made the command line's way, checked through the ABI.
    let set = KeySet::from_fernet_key(fernet).unwrap();
    let made = ApiKeys::with_key_set(SqliteStore::open(&store).unwrap(), &set);
    let key = made.create("alice", &["scan".into()], unix_now()).unwrap();
    drop(made);

    let mut keys = ptr::null_mut();
    let status = unsafe {
        mailshield_keyset_from_fernet_key(
            fernet.as_ptr(),
            fernet.len(),
            &mut keys,
        )
    };
    assert_eq!(status, Status::Ok);
    let path = std::ffi::CString::new(store.to_str().unwrap()).unwrap();
    let mut api = ptr::null_mut();
    let status =
        unsafe { mailshield_apikeys_open(path.as_ptr(), keys, &mut api) };
    assert_eq!(status, Status::Ok, "{}", last_error());
    let check = |k: &str| {
        let (mut reason, mut buf) = (-1, ptr::null_mut());
        let status = unsafe {
            mailshield_apikeys_check(
                api,
                k.as_ptr(),
                k.len(),
                c"10.0.0.1".as_ptr(),
                &mut reason,
                &mut buf,
            )
        };
        assert_eq!(status, Status::Ok, "{}", last_error());
        let mut b = Bytes { ptr: ptr::null(), len: 0 };
        unsafe { mailshield_buffer_data(buf, &mut b) };
        let json = String::from_utf8(
            unsafe { std::slice::from_raw_parts(b.ptr, b.len) }.to_vec(),
        )
        .unwrap();
        unsafe { mailshield_buffer_free(buf) };
        (reason, json)
    };
    assert_eq!(
        check(&key),
        (MAILSHIELD_KEY_VALID, r#"{"valid":true,"reason":null,"user_id":"alice","permissions":["scan"]}"#.into())
    );
    let forged = format!("{}{}", &key[..20], "A".repeat(43));
    assert_eq!(check(&forged).0, MAILSHIELD_KEY_FORGED);
    assert_eq!(check("eb_nonsense").0, MAILSHIELD_KEY_UNKNOWN);

    let log_path = dir.join("audit.log");
    let lp = std::ffi::CString::new(log_path.to_str().unwrap()).unwrap();
    let e = engine(c"default");
    let mut log = ptr::null_mut();
    let status =
        unsafe { mailshield_audit_open(lp.as_ptr(), keys, e, &mut log) };
    assert_eq!(status, Status::Ok, "{}", last_error());
    let event = br#"{"event_type":"authentication_failed","user_id":"bob","details":{"why":"bad pw for bob@example.com"}}"#;
    let mut seq = 99;
    let status = unsafe {
        mailshield_audit_append(log, event.as_ptr(), event.len(), &mut seq)
    };
    assert_eq!((status, seq), (Status::Ok, 0));
    let bad = br#"{"event_type":"x","risk_level":"secret-value"}"#;
    let status = unsafe {
        mailshield_audit_append(log, bad.as_ptr(), bad.len(), &mut seq)
    };
    assert_eq!(status, Status::InvalidArgument);
    assert!(!last_error().contains("secret-value"), "{}", last_error());
    unsafe { mailshield_audit_free(log) };
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(text.contains("bad pw for [EMAIL_REDACTED]"));
    let key = set.derive_secret(CHECKPOINT_KEY_LABEL);
    let v = verify(&log_path, &key, None).unwrap();
    assert_eq!((v.events, v.broken), (1, None));
    unsafe {
        mailshield_apikeys_free(api);
        mailshield_keyset_free(keys);
        mailshield_engine_free(e);
    }
}
