//! The C ABI on arbitrary data, called as a C caller would: an engine from
//! TOML bytes; scan, protect and batch over pieces of the input with every
//! length up to each piece's size, zero, and NULL with zero; a stream fed
//! the pieces one by one; decrypt of the input; the result accessors
//! (`mailshield_result_read`, the JSON line); everything freed.
//!
//! Checks: every call returns a status and never `INTERNAL` (a caught
//! panic); an output is non-null exactly on `OK`; the findings of every
//! result equal the library's own for the same bytes (the stream's equal
//! one scan of the whole, SPEC section 3); protect's body equals
//! `protect::protect`'s; the JSON line is valid JSON; a sealed body opens
//! to the body; the input never opens as a sealed value.
#![no_main]

#[path = "common.rs"]
mod common;

use std::ptr::{null, null_mut};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mailshield::batch::body_field;
use mailshield::batch::record::with_scanned_fields;
use mailshield::crypto::KeySet;
use mailshield::ffi::*;
use mailshield::mail::{Limits, Message, Source};
use mailshield::protect::{Cipher, Options, protect};
use mailshield::rules::Pack;
use mailshield::scan::Scan;

/// A fixed Fernet key of the crate's own documentation.
const KEY: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";

/// Handles made once: the `default` engine and the key set.
struct Handles {
    engine: *mut EngineHandle,
    keys: *mut KeysetHandle,
    lib_keys: KeySet,
}

// SAFETY: the header says engines and key sets may be shared.
unsafe impl Send for Handles {}
unsafe impl Sync for Handles {}

fn handles() -> &'static Handles {
    static H: OnceLock<Handles> = OnceLock::new();
    H.get_or_init(|| {
        let mut engine = null_mut();
        let mut keys = null_mut();
        // SAFETY: a NUL-terminated name and writable outs.
        unsafe {
            assert_eq!(
                mailshield_engine_new(c"default".as_ptr(), &mut engine),
                Status::Ok
            );
            assert_eq!(
                mailshield_keyset_from_fernet_key(
                    KEY.as_ptr(),
                    KEY.len(),
                    &mut keys
                ),
                Status::Ok
            );
        }
        let lib_keys = KeySet::from_fernet_key(KEY).unwrap();
        Handles { engine, keys, lib_keys }
    })
}

/// Asserts the status is a real answer, and the output set exactly on OK.
fn answered<T>(status: Status, out: *const T) -> bool {
    assert_ne!(status, Status::Internal, "a caught panic");
    assert_eq!(status == Status::Ok, !out.is_null(), "{status:?}");
    status == Status::Ok
}

/// The input cut into pieces: each led by a length byte, the last one
/// what is left.
fn pieces(mut rest: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while out.len() < 4 {
        let Some((&n, tail)) = rest.split_first() else { break };
        let n = usize::from(n).min(tail.len());
        out.push(&tail[..n]);
        rest = &tail[n..];
    }
    out.push(rest);
    out
}

/// What the library finds in `data` read as `kind`.
fn library_scan(data: &[u8], kind: u32) -> Scan {
    let engine = common::default_engine();
    if kind == MAILSHIELD_INPUT_MESSAGE {
        let source = Source { path: "-".into(), index: 0 };
        let m = Message::from_raw(data, source, &Limits::default());
        let m = with_scanned_fields(engine, m);
        engine.scan_fields(&m.fields)
    } else {
        engine.scan(data)
    }
}

/// Reads a result and compares its findings with `expected`.
fn check_result(result: *const ResultHandle, expected: &Scan) {
    // SAFETY: a live result and a writable view; the views point into it.
    unsafe {
        let mut view = std::mem::zeroed::<ResultView>();
        assert_eq!(mailshield_result_read(result, &mut view), Status::Ok);
        let found: &[FindingView] = if view.findings_len == 0 {
            &[]
        } else {
            std::slice::from_raw_parts(view.findings, view.findings_len)
        };
        let got: Vec<_> = found
            .iter()
            .map(|f| {
                (f.entity as usize, f.field as usize, f.span.start, f.span.end)
            })
            .collect();
        let want: Vec<_> = expected
            .findings
            .iter()
            .map(|f| (f.entity, f.field, f.span.start, f.span.end))
            .collect();
        assert_eq!(got, want, "the ABI's findings differ from the library's");

        let mut json = Text { ptr: null(), len: 0 };
        assert_eq!(mailshield_result_json(result, &mut json), Status::Ok);
        let line =
            std::slice::from_raw_parts(json.ptr.cast::<u8>(), json.len + 1);
        assert_eq!(line[json.len], 0, "the JSON line is not NUL-terminated");
        let parsed: Result<serde_json::Value, _> =
            serde_json::from_slice(&line[..json.len]);
        assert!(parsed.is_ok(), "the JSON line is not JSON");
    }
}

fn scan(piece: &[u8], len: usize, kind: u32) {
    let h = handles();
    let ptr =
        if len == 0 && piece.is_empty() { null() } else { piece.as_ptr() };
    let mut out = null_mut();
    // SAFETY: `ptr` holds `len` readable bytes (or is null with 0).
    let status =
        unsafe { mailshield_scan(h.engine, ptr, len, kind, &mut out) };
    if kind > MAILSHIELD_INPUT_RECORD {
        assert_eq!(status, Status::InvalidArgument);
        assert!(out.is_null());
        return;
    }
    assert!(answered(status, out));
    check_result(out, &library_scan(&piece[..len], kind));
    // SAFETY: a result of this library, freed once.
    unsafe { mailshield_result_free(out) };
}

fn protect_piece(piece: &[u8], kind: u32, cipher: u32) {
    let h = handles();
    let engine = common::default_engine();
    let id = b"fuzz@example.com";
    let options = ProtectOptions {
        cipher,
        message_id: Bytes { ptr: id.as_ptr(), len: id.len() },
        use_level: false,
        level: 0,
    };
    let mut out = null_mut();
    // SAFETY: live handles, readable buffers, a writable out.
    let status = unsafe {
        mailshield_protect(
            h.engine,
            h.keys,
            piece.as_ptr(),
            piece.len(),
            kind,
            &options,
            &mut out,
        )
    };
    assert!(answered(status, out));

    // The library's protected body.
    let source = Source { path: "-".into(), index: 0 };
    let m = if kind == MAILSHIELD_INPUT_MESSAGE {
        with_scanned_fields(
            engine,
            Message::from_raw(piece, source, &Limits::default()),
        )
    } else {
        Message {
            fields: body_field(piece)
                .into_iter()
                .map(|f| f.into_owned())
                .collect(),
            ..Message::from_text(b"", source)
        }
    };
    let opts = Options {
        cipher: Cipher::None,
        keys: Some(&h.lib_keys),
        message_id: id,
        level: None,
    };
    let want = protect(engine, &m.fields, &opts).unwrap();
    check_result(out, &want.scan);

    // SAFETY: a live result; the view points into it until it is freed.
    unsafe {
        let mut view = std::mem::zeroed::<ProtectedView>();
        assert_eq!(mailshield_result_protected(out, &mut view), Status::Ok);
        let body = if view.body.len == 0 {
            &[][..]
        } else {
            std::slice::from_raw_parts(view.body.ptr, view.body.len)
        };
        assert_eq!(body, &want.body[..], "the ABI's protected body differs");
        if !view.sealed.ptr.is_null() {
            let mut opened = null_mut();
            let status = mailshield_decrypt(
                h.keys,
                view.sealed.ptr.cast(),
                view.sealed.len,
                id.as_ptr(),
                id.len(),
                &mut opened,
            );
            assert!(answered(status, opened), "the sealed body does not open");
            let mut clear = Bytes { ptr: null(), len: 0 };
            assert_eq!(mailshield_buffer_data(opened, &mut clear), Status::Ok);
            let clear = if clear.len == 0 {
                &[][..]
            } else {
                std::slice::from_raw_parts(clear.ptr, clear.len)
            };
            assert_eq!(clear, body, "sealed body opens to another text");
            mailshield_buffer_free(opened);
        }
        mailshield_result_free(out);
    }
}

fn batch(parts: &[&[u8]], kind: u32) {
    let h = handles();
    let mut inputs: Vec<Bytes> = parts
        .iter()
        .map(|p| Bytes { ptr: p.as_ptr(), len: p.len() })
        .collect();
    inputs.push(Bytes { ptr: null(), len: 0 });
    let mut out = null_mut();
    // SAFETY: `inputs` holds readable buffers; a writable out.
    unsafe {
        let status = mailshield_scan_batch(
            h.engine,
            inputs.as_ptr(),
            inputs.len(),
            kind,
            &mut out,
        );
        assert!(answered(status, out));
        let mut n = 0;
        assert_eq!(mailshield_batch_len(out, &mut n), Status::Ok);
        assert_eq!(n, inputs.len());
        for (i, p) in parts.iter().chain([&&[][..]]).enumerate() {
            let mut r = null();
            assert_eq!(mailshield_batch_get(out, i, &mut r), Status::Ok);
            check_result(r, &library_scan(p, kind));
        }
        let mut r = null();
        assert_eq!(
            mailshield_batch_get(out, n, &mut r),
            Status::InvalidArgument
        );
        mailshield_batch_free(out);
    }
}

fn stream(parts: &[&[u8]]) {
    let h = handles();
    let mut s = null_mut();
    // SAFETY: a live engine; the stream is used by this thread only.
    unsafe {
        let status = mailshield_stream_new(h.engine, &mut s);
        assert!(answered(status, s));
        for p in parts {
            assert_eq!(
                mailshield_stream_feed(s, p.as_ptr(), p.len()),
                Status::Ok
            );
            assert_eq!(mailshield_stream_feed(s, null(), 0), Status::Ok);
        }
        let mut out = null_mut();
        let status = mailshield_stream_finish(s, &mut out);
        assert!(answered(status, out));
        let whole = parts.concat();
        check_result(out, &common::default_engine().scan(&whole));
        mailshield_result_free(out);
        assert_eq!(mailshield_stream_feed(s, null(), 0), Status::State);
        mailshield_stream_free(s);
    }
}

fn engine_from(toml: &[u8]) {
    let mut out = null_mut();
    // SAFETY: readable bytes and a writable out.
    let status = unsafe {
        mailshield_engine_from_toml(toml.as_ptr(), toml.len(), &mut out)
    };
    answered(status, out);
    let lib = std::str::from_utf8(toml)
        .ok()
        .and_then(|t| Pack::from_toml("fuzz.toml", t).ok())
        .and_then(|p| mailshield::engine::Engine::new(p).ok());
    assert_eq!(
        status == Status::Ok,
        lib.is_some(),
        "engine_from_toml disagrees"
    );
    // SAFETY: null or an engine of this library, freed once.
    unsafe { mailshield_engine_free(out) };
}

fn decrypt(data: &[u8]) {
    let h = handles();
    let mut out = null_mut();
    for id in [&b""[..], b"fuzz@example.com"] {
        // SAFETY: readable buffers and a writable out.
        let status = unsafe {
            mailshield_decrypt(
                h.keys,
                data.as_ptr(),
                data.len(),
                id.as_ptr(),
                id.len(),
                &mut out,
            )
        };
        answered(status, out);
        assert_ne!(status, Status::Ok, "a forged sealed value opens");
    }
}

fn round_trip(piece: &[u8], cipher: u32) {
    let h = handles();
    let id = b"fuzz@example.com";
    // SAFETY: readable buffers and writable outs; buffers freed once.
    unsafe {
        let mut sealed = null_mut();
        let status = mailshield_encrypt(
            h.keys,
            piece.as_ptr(),
            piece.len(),
            cipher,
            id.as_ptr(),
            id.len(),
            &mut sealed,
        );
        assert!(answered(status, sealed));
        let mut s = Bytes { ptr: null(), len: 0 };
        assert_eq!(mailshield_buffer_data(sealed, &mut s), Status::Ok);
        let mut opened = null_mut();
        let status = mailshield_decrypt(
            h.keys,
            s.ptr,
            s.len,
            id.as_ptr(),
            id.len(),
            &mut opened,
        );
        assert!(answered(status, opened));
        let mut c = Bytes { ptr: null(), len: 0 };
        assert_eq!(mailshield_buffer_data(opened, &mut c), Status::Ok);
        let clear = if c.len == 0 {
            &[][..]
        } else {
            std::slice::from_raw_parts(c.ptr, c.len)
        };
        assert_eq!(clear, piece, "decrypt(encrypt(x)) != x");
        mailshield_buffer_free(opened);
        mailshield_buffer_free(sealed);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, rest)) = data.split_first() else {
        scan(&[], 0, MAILSHIELD_INPUT_TEXT);
        return;
    };
    let parts = pieces(rest);
    let kind = u32::from(ctl & 1);

    if ctl & 2 != 0 {
        engine_from(parts[0]);
    }
    for p in &parts {
        // Every length up to the piece's size: the whole, a cut, zero.
        let cut = usize::from(ctl >> 2) % (p.len() + 1);
        for len in [p.len(), cut, 0] {
            scan(p, len, kind);
        }
    }
    scan(&[], 0, MAILSHIELD_INPUT_RECORD + 1 + u32::from(ctl >> 7));
    protect_piece(parts[parts.len() - 1], kind, MAILSHIELD_CIPHER_NONE);
    protect_piece(parts[0], kind, MAILSHIELD_CIPHER_AES_256_GCM);
    batch(&parts, kind);
    stream(&parts);
    decrypt(data);
    round_trip(parts[0], u32::from(ctl >> 6 & 1));
});
