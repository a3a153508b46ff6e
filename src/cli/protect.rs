//! `mailshield protect`: the guide's storage record per message.

use serde::Serialize;
use serde_json::{Map, Value};

use mailshield::batch::record::{counts, message_id, scanned_fields};
use mailshield::crypto::KeySet;
use mailshield::engine::Engine;
use mailshield::mail::Message;
use mailshield::protect::{Cipher, Options, mask, protect};
use mailshield::rules::{FieldRole, LevelPolicy};
use mailshield::scan::Field;

use super::output::{Sink, WriteError};
use super::pipeline::{self, Outcome};
use super::{CipherArg, Fatal, ProtectArgs, Status};

/// The guide's handling policy of a level, with the keys its dicts have.
#[derive(Serialize)]
struct PolicyOut {
    encryption_required: bool,
    access_logging: bool,
    retention_days: u32,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    approval_required: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    audit_trail: bool,
}

impl From<&LevelPolicy> for PolicyOut {
    fn from(p: &LevelPolicy) -> PolicyOut {
        PolicyOut {
            encryption_required: p.encryption_required,
            access_logging: p.access_logging,
            retention_days: p.retention_days,
            approval_required: p.approval_required,
            audit_trail: p.audit_trail,
        }
    }
}

#[derive(Serialize)]
struct Pii {
    #[serde(rename = "type")]
    ty: String,
    count: usize,
    examples: Vec<String>,
}

/// Text for a JSON string, or `None` when the bytes are not UTF-8.
fn utf8(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok()
}

fn text_or_base64(obj: &mut Map<String, Value>, key: &str, bytes: &[u8]) {
    use base64::Engine as _;
    match utf8(bytes) {
        Some(s) => {
            obj.insert(key.into(), Value::String(s.into()));
        }
        None => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
            obj.insert(format!("{key}_base64"), Value::String(b64));
        }
    }
}

/// Protects `m`, whose fields are `given`, appending its storage record
/// to `out`.
fn record(
    engine: &Engine,
    keys: &KeySet,
    cipher: Cipher,
    m: &Message,
    given: &[Field<'_>],
    out: &mut Vec<u8>,
) -> Outcome {
    let id = message_id(m).into_owned();
    let fields = scanned_fields(engine, given);
    let opts = Options {
        cipher,
        keys: Some(keys),
        message_id: id.as_bytes(),
        level: None,
    };
    let fail = |e: String| Outcome {
        level: None,
        counts: Vec::new(),
        warnings: m.warnings.clone(),
        errors: vec![e],
        complete: false,
        side: Vec::new(),
    };
    let p = match protect(engine, &fields, &opts) {
        Ok(p) => p,
        Err(e) => {
            let o = fail(e.to_string());
            out.extend_from_slice(&error_record(&id, m, &o.errors));
            return o;
        }
    };
    let pack = engine.pack();

    // Masked examples: the first two of each type.
    let pii: Vec<Pii> = counts(engine, &p.scan)
        .into_iter()
        .map(|(ty, count)| {
            let e = pack.entity_index(&ty).unwrap_or(0);
            let examples = p
                .scan
                .findings
                .iter()
                .filter(|f| f.entity == e)
                .take(2)
                .map(|f| {
                    mask(
                        pack.entities[e].mask,
                        &fields[f.field].text[f.span.start..f.span.end],
                    )
                })
                .collect();
            Pii { ty, count, examples }
        })
        .collect();

    let field = |role: FieldRole, name: &str| {
        fields
            .iter()
            .find(|f| f.role == role && (name.is_empty() || f.name == name))
    };
    let sender = field(FieldRole::Address, "sender_email")
        .or(field(FieldRole::Address, "from"));
    let subject = match &p.subject {
        Some(s) => Some(s.clone()),
        None => field(FieldRole::Subject, "").map(|f| f.text.to_vec()),
    };

    let mut obj = Map::new();
    obj.insert("email_id".into(), Value::String(id.clone()));
    match sender {
        Some(f) => text_or_base64(&mut obj, "sender_email", &f.text),
        None => {
            obj.insert("sender_email".into(), Value::Null);
        }
    }
    match &subject {
        Some(s) => text_or_base64(&mut obj, "subject", s),
        None => {
            obj.insert("subject".into(), Value::Null);
        }
    }
    match &p.sealed {
        Some(sealed) => {
            obj.insert("body".into(), Value::String(sealed.clone()));
        }
        None => text_or_base64(&mut obj, "body", &p.body),
    }
    let level = p.classification.level;
    obj.insert("classification".into(), Value::String(level.as_str().into()));
    obj.insert(
        "pii_detected".into(),
        serde_json::to_value(&pii).unwrap_or_default(),
    );
    obj.insert(
        "sanitization_log".into(),
        serde_json::to_value(&p.log).unwrap_or_default(),
    );
    obj.insert(
        "created_at".into(),
        Value::String(
            humantime::format_rfc3339_seconds(std::time::SystemTime::now())
                .to_string(),
        ),
    );
    obj.insert(
        "access_policy".into(),
        serde_json::to_value(PolicyOut::from(pack.policy(level)))
            .unwrap_or_default(),
    );
    obj.insert(
        "source".into(),
        serde_json::json!({"path": &*m.source.path, "index": m.source.index}),
    );
    for (k, v) in &m.extra {
        obj.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let mut errors = m.errors.clone();
    errors.extend(p.scan.errors.iter().cloned());
    if !errors.is_empty() {
        obj.insert(
            "errors".into(),
            serde_json::to_value(&errors).unwrap_or_default(),
        );
    }
    out.extend_from_slice(
        &serde_json::to_vec(&Value::Object(obj)).unwrap_or_default(),
    );
    out.push(b'\n');
    Outcome {
        level: Some(level),
        counts: p.scan.counts(engine),
        warnings: m.warnings.clone(),
        complete: m.complete && p.scan.complete,
        errors,
        side: Vec::new(),
    }
}

/// The record of a message that could not be protected: its id, its
/// source and the errors, and no body.
fn error_record(id: &str, m: &Message, errors: &[String]) -> Vec<u8> {
    let v = serde_json::json!({
        "email_id": id,
        "source": {"path": &*m.source.path, "index": m.source.index},
        "errors": errors,
    });
    let mut line = serde_json::to_vec(&v).unwrap_or_default();
    line.push(b'\n');
    line
}

/// Runs `mailshield protect`.
///
/// # Errors
///
/// A pack or key set that does not load, an output that cannot be written.
pub(crate) fn run(args: ProtectArgs) -> Result<Status, Fatal> {
    let engine = super::engine(&args.input.pack)?;
    let keys = super::keys::load(args.key_file.as_deref())?;
    let cipher = match args.cipher {
        CipherArg::Aes256Gcm => Cipher::Aes256Gcm,
        CipherArg::Fernet => Cipher::Fernet,
        CipherArg::None => Cipher::None,
    };
    if cipher == Cipher::Fernet {
        // Refuse before reading anything: Fernet needs a Fernet key.
        mailshield::crypto::fernet::encrypt_with_keys(&keys, b"")
            .map_err(|e| Fatal(format!("--cipher fernet: {e}")))?;
    }
    let mut sink = Sink::open(args.input.out.as_deref())?;
    let result = pipeline::run(
        &args.input,
        &mut sink,
        super::type_names(&engine),
        |m, fields, out| record(&engine, &keys, cipher, m, fields, out),
        |_| Ok(()),
    );
    let run = match result {
        Ok(run) => run,
        Err(e) => {
            sink.abandon();
            return Err(e);
        }
    };
    match sink.finish() {
        Ok(()) | Err(WriteError::Closed) => {}
        Err(WriteError::Failed(e)) => return Err(Fatal(e)),
    }
    Ok(run.status)
}
