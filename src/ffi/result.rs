//! Scanning and protecting one buffer, and the result object read through
//! accessors.

use std::sync::{Arc, OnceLock};

use super::{
    Arena, Bytes, Converter, EngineHandle, Error, FieldView, FindingView,
    Frozen, KeysetHandle, KeywordView, NO_TEXT, Offsets, Outcome,
    ProtectedView, ResultView, Status, Summary, Text, bytes, call, clear,
    free, give, handle, input, need_out, put,
};
use crate::batch::body_field;
use crate::batch::record::{
    is_complete, masked_values, message_id, rounded, scan_line,
    with_scanned_fields,
};
use crate::classify::{Classification, classify};
use crate::engine::Engine;
use crate::mail::{Limits, Message, Source};
use crate::protect::{Cipher, Options, protect};
use crate::rules::Level;
use crate::scan::{Field, Scan};

/// The buffer is plain text: one field, `body`.
pub const MAILSHIELD_INPUT_TEXT: u32 = 0;
/// The buffer is a raw RFC 5322 message, decoded into fields as the
/// command line decodes a message file.
pub const MAILSHIELD_INPUT_MESSAGE: u32 = 1;
/// The buffer is one JSONL record (a JSON object, without its newline),
/// read as the command line reads a line of a JSONL file: fields `body`,
/// `subject` and `sender_email`, the record's `id` as the result's id.
pub const MAILSHIELD_INPUT_RECORD: u32 = 2;

/// Level 0: may be shared freely.
pub const MAILSHIELD_LEVEL_PUBLIC: i32 = 0;
/// Level 1: the default for business mail.
pub const MAILSHIELD_LEVEL_INTERNAL: i32 = 1;
/// Level 2: personal data.
pub const MAILSHIELD_LEVEL_CONFIDENTIAL: i32 = 2;
/// Level 3: high-sensitivity personal data, secrets.
pub const MAILSHIELD_LEVEL_RESTRICTED: i32 = 3;

/// Seal with AES-256-GCM (`ms1:` envelopes), the default.
pub const MAILSHIELD_CIPHER_AES_256_GCM: u32 = 0;
/// Seal with Fernet, readable by Python's `cryptography`; needs a Fernet
/// key.
pub const MAILSHIELD_CIPHER_FERNET: u32 = 1;
/// Do not seal: the redacted body in clear.
pub const MAILSHIELD_CIPHER_NONE: u32 = 2;

/// Options of [`mailshield_protect`]; a null pointer means the defaults
/// (AES-256-GCM, the message's own id).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ProtectOptions {
    /// One of the `MAILSHIELD_CIPHER_` values.
    pub cipher: u32,
    /// The id the sealed body is bound to, UTF-8; when `ptr` is null, the
    /// message's own (the Message-ID, else `-#0`). An empty id needs a
    /// non-null `ptr` with `len` 0.
    pub message_id: Bytes,
    /// When true, protect as at `level` (0 public to 3 restricted)
    /// instead of the message's own level: what is redacted, where the
    /// body is cut and whether it is sealed follow that level's policy,
    /// as the guide's `sanitize_content(content, classification)` does.
    pub use_level: bool,
    /// The level used when `use_level` is true.
    pub level: i32,
}

/// The level of a number, 0 public to 3 restricted.
pub(crate) fn level(value: i32) -> Result<Level, Error> {
    Ok(match value {
        MAILSHIELD_LEVEL_PUBLIC => Level::Public,
        MAILSHIELD_LEVEL_INTERNAL => Level::Internal,
        MAILSHIELD_LEVEL_CONFIDENTIAL => Level::Confidential,
        MAILSHIELD_LEVEL_RESTRICTED => Level::Restricted,
        _ => {
            return Err(Error::new(
                Status::InvalidArgument,
                format!("unknown level {value}"),
            ));
        }
    })
}

/// What a scan (or protect) found in one message. Read it from any
/// number of threads at once; free it with [`mailshield_result_free`].
pub struct ResultHandle {
    engine: Arc<Engine>,
    /// The message, with the fields as scanned.
    message: Message,
    scan: Scan,
    class: Classification,
    masked: Vec<String>,
    /// Every string the views below point to.
    _arena: Frozen,
    summary: Summary,
    findings: Vec<FindingView>,
    keywords: Vec<KeywordView>,
    fields: Vec<FieldView>,
    risk_factors: Vec<Text>,
    actions: Vec<Text>,
    warnings: Vec<Text>,
    errors: Vec<Text>,
    protected: Option<Sealing>,
    json: OnceLock<Box<[u8]>>,
}

/// The protected copy kept by a result of [`mailshield_protect`].
struct Sealing {
    _body: Vec<u8>,
    _subject: Option<Vec<u8>>,
    log: Vec<Text>,
    view: ProtectedView,
}

// SAFETY: every pointer in the views points into buffers the handle owns
// (`_arena`, the message's fields, `Sealing`), which are never changed or
// moved after the handle is built; the lazily built JSON is behind a
// `OnceLock`.
unsafe impl Send for ResultHandle {}
// SAFETY: as for Send; shared access only reads.
unsafe impl Sync for ResultHandle {}

impl std::fmt::Debug for ResultHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultHandle")
            .field("message", &self.message)
            .field("findings", &self.findings.len())
            .finish_non_exhaustive()
    }
}

/// Spans and masked values of a scan's findings and keywords, in scan
/// order.
pub(crate) struct Measured {
    pub(crate) findings: Vec<Offsets>,
    pub(crate) keywords: Vec<Offsets>,
    pub(crate) masked: Vec<String>,
}

/// Measures the findings and keywords of `scan` over the texts of
/// `fields`.
pub(crate) fn measure(
    engine: &Engine,
    fields: &[Field<'_>],
    scan: &Scan,
) -> Measured {
    let mut findings = Vec::with_capacity(scan.findings.len());
    let mut keywords = Vec::with_capacity(scan.keywords.len());
    for (i, field) in fields.iter().enumerate() {
        let found = scan.findings.iter().filter(|f| f.field == i);
        let words = scan.keywords.iter().filter(|k| k.field == i);
        let spans =
            found.clone().map(|f| f.span).chain(words.clone().map(|k| k.span));
        let units = Converter::new(&field.text, spans);
        findings.extend(found.map(|f| units.offsets(f.span)));
        keywords.extend(words.map(|k| units.offsets(k.span)));
    }
    let masked = masked_values(engine, fields, scan);
    Measured { findings, keywords, masked }
}

/// Index conversion for the views: counts here are far below `u32::MAX`
/// (fields per message, entity types per pack).
fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

impl ResultHandle {
    /// Assembles a result. `measured` follows the scan's order.
    pub(crate) fn build(
        engine: &Arc<Engine>,
        message: Message,
        scan: Scan,
        class: Classification,
        measured: Measured,
        protected: Option<crate::protect::Protected>,
    ) -> ResultHandle {
        let pack = engine.pack();
        let mut arena = Arena::with_capacity(512);

        // Every string into the arena, remembering where.
        let level = arena.add(class.level.as_str());
        let id = arena.add(&message_id(&message));
        let names: Vec<_> =
            message.fields.iter().map(|f| arena.add(&f.name)).collect();
        let found: Vec<_> = scan
            .findings
            .iter()
            .zip(&measured.masked)
            .map(|(f, masked)| {
                (arena.add(&pack.entities[f.entity].name), arena.add(masked))
            })
            .collect();
        let words: Vec<_> = scan
            .keywords
            .iter()
            .map(|k| arena.add(&pack.keywords[k.list].words[k.word]))
            .collect();
        let risks = arena.add_all(&class.risk_factors);
        let actions = arena.add_all(&class.recommended_actions);
        let warnings = arena.add_all(&message.warnings);
        let errors = arena.add_all(message.errors.iter().chain(&scan.errors));
        let (sealed, log) = match &protected {
            Some(p) => (
                p.sealed.as_deref().map(|s| arena.add(s)),
                arena.add_all(&p.log),
            ),
            None => (None, Vec::new()),
        };
        let arena = arena.freeze();
        let texts = |marks: Vec<_>| -> Vec<Text> {
            marks.into_iter().map(|m| arena.text(m)).collect()
        };

        // The views, pointing into the arena and the message.
        let findings = scan
            .findings
            .iter()
            .zip(&measured.findings)
            .zip(found)
            .map(|((f, span), (ty, masked))| FindingView {
                entity_type: arena.text(ty),
                entity: index(f.entity),
                field: index(f.field),
                span: *span,
                score: rounded(f.score),
                validated: f.validated,
                masked: arena.text(masked),
            })
            .collect();
        let keywords = scan
            .keywords
            .iter()
            .zip(&measured.keywords)
            .zip(words)
            .map(|((k, span), word)| KeywordView {
                keyword: arena.text(word),
                field: index(k.field),
                span: *span,
                in_footer: k.in_footer,
            })
            .collect();
        let fields = message
            .fields
            .iter()
            .zip(names)
            .map(|(f, name)| FieldView {
                name: arena.text(name),
                text: bytes(&f.text),
            })
            .collect();
        let summary = Summary {
            level: class.level as i32,
            classification: arena.text(level),
            confidence: class.confidence,
            complete: is_complete(&message, &scan),
            id: arena.text(id),
        };
        let protected = protected.map(|p| {
            let log = texts(log);
            let subject = p.subject;
            let view = ProtectedView {
                body: bytes(&p.body),
                sealed: sealed.map_or(NO_TEXT, |m| arena.text(m)),
                subject: subject
                    .as_deref()
                    .map_or(Bytes { ptr: std::ptr::null(), len: 0 }, bytes),
                log: log.as_ptr(),
                log_len: log.len(),
            };
            Sealing { _body: p.body, _subject: subject, log, view }
        });
        ResultHandle {
            engine: Arc::clone(engine),
            risk_factors: texts(risks),
            actions: texts(actions),
            warnings: texts(warnings),
            errors: texts(errors),
            message,
            scan,
            class,
            masked: measured.masked,
            _arena: arena,
            summary,
            findings,
            keywords,
            fields,
            protected,
            json: OnceLock::new(),
        }
    }

    /// The JSON line of SPEC section 6.1, built on first use, with a NUL.
    fn json(&self) -> &[u8] {
        self.json.get_or_init(|| {
            let m = &self.message;
            let (scan, class) = (&self.scan, &self.class);
            let mut line = scan_line(
                &self.engine,
                m,
                &m.fields,
                scan,
                class,
                &self.masked,
            );
            line.push(0);
            line.into_boxed_slice()
        })
    }
}

/// Rejects an input kind that is not a `MAILSHIELD_INPUT_` value.
pub(crate) fn check_kind(kind: u32) -> Outcome {
    match kind {
        MAILSHIELD_INPUT_TEXT
        | MAILSHIELD_INPUT_MESSAGE
        | MAILSHIELD_INPUT_RECORD => Ok(()),
        _ => Err(Error::new(
            Status::InvalidArgument,
            format!("unknown input kind {kind}"),
        )),
    }
}

/// The message in one buffer, as its input kind says.
pub(crate) fn message(
    data: &[u8],
    kind: u32,
    index: usize,
) -> Result<Message, Error> {
    check_kind(kind)?;
    let source = Source { path: "-".into(), index };
    Ok(match kind {
        MAILSHIELD_INPUT_MESSAGE => {
            Message::from_raw(data, source, &Limits::default())
        }
        MAILSHIELD_INPUT_RECORD => {
            crate::mail::jsonl::record(source, data, data.len())
        }
        _ => Message::from_text(data, source),
    })
}

/// Scans and classifies one message into a result.
pub(crate) fn scan_message(
    engine: &Arc<Engine>,
    message: Message,
) -> ResultHandle {
    let message = with_scanned_fields(engine, message);
    let scan = engine.scan_fields(&message.fields);
    let class = classify(engine, &message.fields, &scan);
    let measured = measure(engine, &message.fields, &scan);
    ResultHandle::build(engine, message, scan, class, measured, None)
}

/// Scans one buffer of `kind` as the `index`-th of its call.
///
/// Plain text is scanned where it lies, not copied: its result's field
/// has no text (the caller holds it, and the spans index it).
pub(crate) fn scan_buffer(
    engine: &Arc<Engine>,
    data: &[u8],
    kind: u32,
    index: usize,
) -> Result<ResultHandle, Error> {
    check_kind(kind)?;
    if kind != MAILSHIELD_INPUT_TEXT {
        return Ok(scan_message(engine, message(data, kind, index)?));
    }
    let fields = body_field(data);
    let scan = engine.scan_fields(&fields);
    let class = classify(engine, &fields, &scan);
    let measured = measure(engine, &fields, &scan);
    let source = Source { path: "-".into(), index };
    let mut message = Message::from_text(&[], source);
    message.raw_len = data.len();
    Ok(ResultHandle::build(engine, message, scan, class, measured, None))
}

/// Scans one buffer: findings, keywords, level, the JSON line.
///
/// `input` is a `MAILSHIELD_INPUT_` value (text, message, record). On
/// success `*out` is a new result for the caller to free with
/// [`mailshield_result_free`]; on failure it is null. A message that
/// cannot be fully decoded still gives a result, whose summary says
/// `complete` false and whose errors say why.
///
/// # Errors
///
/// `NULL_ARGUMENT`, `INVALID_ARGUMENT` for an unknown input kind.
///
/// # Safety
///
/// `engine` is a live engine; `data` points to `len` readable bytes; `out`
/// is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_scan(
    engine: *const EngineHandle,
    data: *const u8,
    len: usize,
    input_kind: u32,
    out: *mut *mut ResultHandle,
) -> Status {
    call("mailshield_scan", || {
        need_out(out)?;
        // SAFETY: `out` is writable; the caller promises a live engine
        // and `len` readable bytes.
        unsafe { clear(out) };
        let e = unsafe { handle(engine, "engine") }?;
        let data = unsafe { input(data, len, "data") }?;
        let result = scan_buffer(&e.engine, data, input_kind, 0)?;
        // SAFETY: as above.
        unsafe { give(out, result) }
    })
}

/// The cipher named by a `MAILSHIELD_CIPHER_` value.
pub(crate) fn cipher(value: u32) -> Result<Cipher, Error> {
    match value {
        MAILSHIELD_CIPHER_AES_256_GCM => Ok(Cipher::Aes256Gcm),
        MAILSHIELD_CIPHER_FERNET => Ok(Cipher::Fernet),
        MAILSHIELD_CIPHER_NONE => Ok(Cipher::None),
        _ => Err(Error::new(
            Status::InvalidArgument,
            format!("unknown cipher {value}"),
        )),
    }
}

/// Scans, classifies and protects one buffer in one pass: the redacted
/// body, sealed when the level's policy requires encryption.
///
/// `keys` may be null when nothing needs them: the body is not sealed
/// (`MAILSHIELD_CIPHER_NONE`, or a level that needs no encryption) and no
/// finding of this message uses the `token` operator; else the call fails
/// with `KEY`. `options` may be null for the defaults. On
/// success `*out` is a new result, also holding the protected copy
/// ([`mailshield_result_protected`]); on failure it is null.
///
/// # Errors
///
/// `NULL_ARGUMENT`; `INVALID_ARGUMENT` for an unknown input kind, cipher
/// or level, or a message id that is not UTF-8; `KEY` when sealing needs
/// a key and none was given or the key does not fit the cipher; `CRYPTO`
/// when sealing fails.
///
/// # Safety
///
/// `engine` is a live engine, `keys` null or a live key set, `data` points
/// to `len` readable bytes, `options` is null or readable, and its
/// `message_id` points to readable bytes; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_protect(
    engine: *const EngineHandle,
    keys: *const KeysetHandle,
    data: *const u8,
    len: usize,
    input_kind: u32,
    options: *const ProtectOptions,
    out: *mut *mut ResultHandle,
) -> Status {
    call("mailshield_protect", || {
        need_out(out)?;
        // SAFETY: `out` is writable; the caller promises live handles and
        // readable buffers.
        unsafe { clear(out) };
        let e = unsafe { handle(engine, "engine") }?;
        let keys = unsafe { keys.as_ref() }.map(|k| &k.keys);
        let data = unsafe { input(data, len, "data") }?;
        let options = unsafe { options.as_ref() };
        let cipher = cipher(options.map_or(0, |o| o.cipher))?;
        let given = match options {
            Some(o) if !o.message_id.ptr.is_null() => {
                let id = unsafe {
                    input(o.message_id.ptr, o.message_id.len, "message_id")
                }?;
                Some(std::str::from_utf8(id).map_err(|_| {
                    Error::new(
                        Status::InvalidArgument,
                        "`message_id` is not UTF-8",
                    )
                })?)
            }
            _ => None,
        };
        let forced = match options {
            Some(o) if o.use_level => Some(level(o.level)?),
            _ => None,
        };
        let mut m = message(data, input_kind, 0)?;
        if let Some(id) = given {
            m.id = Some(id.to_string());
        }
        let result = protect_message(&e.engine, keys, cipher, forced, m)?;
        // SAFETY: as above.
        unsafe { give(out, result) }
    })
}

/// Protects one message into a result.
fn protect_message(
    engine: &Arc<Engine>,
    keys: Option<&crate::crypto::KeySet>,
    cipher: Cipher,
    level: Option<Level>,
    m: Message,
) -> Result<ResultHandle, Error> {
    let m = with_scanned_fields(engine, m);
    let id = message_id(&m).into_owned();
    let opts = Options { cipher, keys, message_id: id.as_bytes(), level };
    let mut p = protect(engine, &m.fields, &opts).map_err(|e| {
        let status = if keys.is_none() { Status::Key } else { Status::Crypto };
        let status = match std::error::Error::source(&e) {
            Some(c) => match c.downcast_ref() {
                Some(c) => super::crypto_error(c).status,
                None => status,
            },
            None => status,
        };
        Error::new(status, e.to_string())
    })?;
    let scan = std::mem::take(&mut p.scan);
    let class = p.classification.clone();
    let measured = measure(engine, &m.fields, &scan);
    Ok(ResultHandle::build(engine, m, scan, class, measured, Some(p)))
}

/// Reads the level, confidence, completeness and id of a result.
///
/// # Errors
///
/// `NULL_ARGUMENT`.
///
/// # Safety
///
/// `result` is a live result; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_result_summary(
    result: *const ResultHandle,
    out: *mut Summary,
) -> Status {
    call("mailshield_result_summary", || {
        // SAFETY: the caller promises a live result and a writable out.
        let r = unsafe { handle(result, "result") }?;
        unsafe { put(out, r.summary, "out") }
    })
}

/// Reads every part of a result at once: what the summary and the list
/// accessors give, in one call.
///
/// # Errors
///
/// `NULL_ARGUMENT`.
///
/// # Safety
///
/// `result` is a live result; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_result_read(
    result: *const ResultHandle,
    out: *mut ResultView,
) -> Status {
    call("mailshield_result_read", || {
        // SAFETY: the caller promises a live result and a writable out.
        let r = unsafe { handle(result, "result") }?;
        let view = ResultView {
            summary: r.summary,
            findings: r.findings.as_ptr(),
            findings_len: r.findings.len(),
            keywords: r.keywords.as_ptr(),
            keywords_len: r.keywords.len(),
            fields: r.fields.as_ptr(),
            fields_len: r.fields.len(),
            risk_factors: r.risk_factors.as_ptr(),
            risk_factors_len: r.risk_factors.len(),
            recommended_actions: r.actions.as_ptr(),
            recommended_actions_len: r.actions.len(),
            warnings: r.warnings.as_ptr(),
            warnings_len: r.warnings.len(),
            errors: r.errors.as_ptr(),
            errors_len: r.errors.len(),
        };
        unsafe { put(out, view, "out") }
    })
}

/// Hands out one of a result's lists: `*items` gets a pointer to `*count`
/// views owned by the result.
///
/// # Safety
///
/// `result` is a live result; `items` and `count` are null or writable.
unsafe fn list<T>(
    name: &str,
    result: *const ResultHandle,
    items: *mut *const T,
    count: *mut usize,
    pick: fn(&ResultHandle) -> &[T],
) -> Status {
    call(name, || {
        // SAFETY: the caller promises a live result and writable outs.
        let r = unsafe { handle(result, "result") }?;
        if items.is_null() {
            return Err(super::null("items"));
        }
        let list = pick(r);
        unsafe {
            put(count, list.len(), "count")?;
            put(items, list.as_ptr(), "items")
        }
    })
}

/// The findings, sorted by field and start: `*count` views at `*items`.
///
/// # Errors
///
/// `NULL_ARGUMENT`.
///
/// # Safety
///
/// `result` is a live result; `items` and `count` are null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_result_findings(
    result: *const ResultHandle,
    items: *mut *const FindingView,
    count: *mut usize,
) -> Status {
    // SAFETY: forwarded.
    unsafe {
        list("mailshield_result_findings", result, items, count, |r| {
            &r.findings
        })
    }
}

/// The keyword hits, sorted by field and start.
///
/// # Errors
///
/// `NULL_ARGUMENT`.
///
/// # Safety
///
/// As [`mailshield_result_findings`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_result_keywords(
    result: *const ResultHandle,
    items: *mut *const KeywordView,
    count: *mut usize,
) -> Status {
    // SAFETY: forwarded.
    unsafe {
        list("mailshield_result_keywords", result, items, count, |r| {
            &r.keywords
        })
    }
}

/// The fields of the message as scanned, with their decoded text.
///
/// # Errors
///
/// `NULL_ARGUMENT`.
///
/// # Safety
///
/// As [`mailshield_result_findings`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_result_fields(
    result: *const ResultHandle,
    items: *mut *const FieldView,
    count: *mut usize,
) -> Status {
    // SAFETY: forwarded.
    unsafe {
        list("mailshield_result_fields", result, items, count, |r| &r.fields)
    }
}

/// The risk factors behind the level, in rule order.
///
/// # Errors
///
/// `NULL_ARGUMENT`.
///
/// # Safety
///
/// As [`mailshield_result_findings`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_result_risk_factors(
    result: *const ResultHandle,
    items: *mut *const Text,
    count: *mut usize,
) -> Status {
    // SAFETY: forwarded.
    unsafe {
        list("mailshield_result_risk_factors", result, items, count, |r| {
            &r.risk_factors
        })
    }
}

/// The actions the level's policy recommends.
///
/// # Errors
///
/// `NULL_ARGUMENT`.
///
/// # Safety
///
/// As [`mailshield_result_findings`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_result_recommended_actions(
    result: *const ResultHandle,
    items: *mut *const Text,
    count: *mut usize,
) -> Status {
    // SAFETY: forwarded.
    unsafe {
        list(
            "mailshield_result_recommended_actions",
            result,
            items,
            count,
            |r| &r.actions,
        )
    }
}

/// Warnings of decoding (a skipped part, a parser fallback).
///
/// # Errors
///
/// `NULL_ARGUMENT`.
///
/// # Safety
///
/// As [`mailshield_result_findings`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_result_warnings(
    result: *const ResultHandle,
    items: *mut *const Text,
    count: *mut usize,
) -> Status {
    // SAFETY: forwarded.
    unsafe {
        list("mailshield_result_warnings", result, items, count, |r| {
            &r.warnings
        })
    }
}

/// Errors that left part of the message unread or unscanned (then the
/// summary says `complete` false).
///
/// # Errors
///
/// `NULL_ARGUMENT`.
///
/// # Safety
///
/// As [`mailshield_result_findings`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_result_errors(
    result: *const ResultHandle,
    items: *mut *const Text,
    count: *mut usize,
) -> Status {
    // SAFETY: forwarded.
    unsafe {
        list("mailshield_result_errors", result, items, count, |r| &r.errors)
    }
}

/// The JSON line of SPEC section 6.1 for this message, without a line
/// break: what `mailshield scan` prints for it (the source path is `-`).
/// Built on the first call; safe to call from several threads at once.
///
/// # Errors
///
/// `NULL_ARGUMENT`.
///
/// # Safety
///
/// `result` is a live result; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_result_json(
    result: *const ResultHandle,
    out: *mut Text,
) -> Status {
    call("mailshield_result_json", || {
        // SAFETY: the caller promises a live result and a writable out.
        let r = unsafe { handle(result, "result") }?;
        need_out(out)?;
        let json = r.json();
        let text = Text { ptr: json.as_ptr().cast(), len: json.len() - 1 };
        unsafe { put(out, text, "out") }
    })
}

/// The protected copy of a result of [`mailshield_protect`].
///
/// # Errors
///
/// `NULL_ARGUMENT`; `STATE` for a result of a scan, which has none.
///
/// # Safety
///
/// `result` is a live result; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_result_protected(
    result: *const ResultHandle,
    out: *mut ProtectedView,
) -> Status {
    call("mailshield_result_protected", || -> Outcome {
        // SAFETY: the caller promises a live result and a writable out.
        let r = unsafe { handle(result, "result") }?;
        let Some(p) = &r.protected else {
            return Err(Error::new(
                Status::State,
                "this result comes from a scan and has no protected copy",
            ));
        };
        debug_assert_eq!(p.view.log_len, p.log.len());
        unsafe { put(out, p.view, "out") }
    })
}

/// Frees a result; null is ignored. Results from a batch belong to the
/// batch and are not freed this way.
///
/// # Safety
///
/// `result` is null or a result from [`mailshield_scan`],
/// [`mailshield_protect`] or [`mailshield_stream_finish`], not used by any
/// other thread during the call, and not used after it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_result_free(result: *mut ResultHandle) {
    // SAFETY: the caller promises it came from this library.
    unsafe { free(result) }
}
