//! The adapters host applications call per request: checking an API key
//! and appending to the audit log.

use std::ffi::c_char;
use std::sync::Arc;

use super::{
    BufferHandle, EngineHandle, Error, KeysetHandle, Status, c_str, call,
    clear, free, give, handle, input, need_out, put,
};
use crate::audit::{AuditLog, CHECKPOINT_KEY_LABEL, Event};
use crate::auth::{ApiKeys, Reason};
use crate::crypto::unix_now;
use crate::engine::Engine;
use crate::store::SqliteStore;

/// The key is valid.
pub const MAILSHIELD_KEY_VALID: i32 = 0;
/// Not a key of the grammar, or no key has its id.
pub const MAILSHIELD_KEY_UNKNOWN: i32 = 1;
/// A known id with a wrong secret.
pub const MAILSHIELD_KEY_FORGED: i32 = 2;
/// Past its expiry.
pub const MAILSHIELD_KEY_EXPIRED: i32 = 3;
/// Revoked.
pub const MAILSHIELD_KEY_REVOKED: i32 = 4;
/// Locked for this source after failed attempts.
pub const MAILSHIELD_KEY_LOCKED: i32 = 5;

/// API keys in a SQLite store. Shared by any number of threads at once.
#[derive(Debug)]
pub struct ApiKeysHandle {
    keys: ApiKeys<SqliteStore>,
}

/// An audit log open for appending. Shared by any number of threads at
/// once.
#[derive(Debug)]
pub struct AuditHandle {
    log: AuditLog,
}

fn io_error(e: impl std::fmt::Display) -> Error {
    Error::new(Status::Io, e.to_string())
}

/// Opens the API key store at `path` (a SQLite file, created if needed),
/// with hashes peppered by `keys` as `mailshield keys` does, so keys made
/// by the command line check here.
///
/// # Errors
///
/// `NULL_ARGUMENT`, `INVALID_ARGUMENT` for a path that is not UTF-8, `IO`
/// when the store cannot be opened.
///
/// # Safety
///
/// `path` is a NUL-terminated string, `keys` a live key set, `out` null
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_apikeys_open(
    path: *const c_char,
    keys: *const KeysetHandle,
    out: *mut *mut ApiKeysHandle,
) -> Status {
    call("mailshield_apikeys_open", || {
        need_out(out)?;
        // SAFETY: `out` is writable; the caller promises a string and a
        // live key set.
        unsafe { clear(out) };
        let path = unsafe { c_str(path, "path") }?;
        let keys = &unsafe { handle(keys, "keys") }?.keys;
        let store = SqliteStore::open(path).map_err(io_error)?;
        let handle =
            ApiKeysHandle { keys: ApiKeys::with_key_set(store, keys) };
        unsafe { give(out, handle) }
    })
}

/// Checks the API key in `key` presented from `source` now: `*reason`
/// gets a `MAILSHIELD_KEY_` value (`VALID` when accepted), and, when
/// `verdict` is not null, `*verdict` a new buffer with the verdict as
/// JSON: `{"valid", "reason", "user_id", "permissions"}`. A refused key
/// is not an error.
///
/// # Errors
///
/// `NULL_ARGUMENT`, `INVALID_ARGUMENT` for a source that is not UTF-8,
/// `IO` when the store fails.
///
/// # Safety
///
/// `keys` is a live store handle, `key` points to `len` readable bytes,
/// `source` is a NUL-terminated string, `reason` is writable and
/// `verdict` null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_apikeys_check(
    keys: *const ApiKeysHandle,
    key: *const u8,
    len: usize,
    source: *const c_char,
    reason: *mut i32,
    verdict: *mut *mut BufferHandle,
) -> Status {
    call("mailshield_apikeys_check", || {
        // SAFETY: the caller promises live handles and readable buffers.
        unsafe { clear(verdict) };
        let k = unsafe { handle(keys, "keys") }?;
        let bytes = unsafe { input(key, len, "key") }?;
        let source = unsafe { c_str(source, "source") }?;
        if reason.is_null() {
            return Err(super::null("reason"));
        }
        // Bytes that are not UTF-8 are no key of the grammar.
        let text = std::str::from_utf8(bytes).unwrap_or("");
        let v = k.keys.check(text, source, unix_now()).map_err(io_error)?;
        let code = match v.reason {
            None => MAILSHIELD_KEY_VALID,
            Some(Reason::Unknown) => MAILSHIELD_KEY_UNKNOWN,
            Some(Reason::Forged) => MAILSHIELD_KEY_FORGED,
            Some(Reason::Expired) => MAILSHIELD_KEY_EXPIRED,
            Some(Reason::Revoked) => MAILSHIELD_KEY_REVOKED,
            Some(Reason::Locked) => MAILSHIELD_KEY_LOCKED,
        };
        unsafe { put(reason, code, "reason") }?;
        if !verdict.is_null() {
            let json = serde_json::to_vec(&v).unwrap_or_default();
            unsafe { give(verdict, BufferHandle::new(json)) }?;
        }
        Ok(())
    })
}

/// Frees a store handle; null is ignored.
///
/// # Safety
///
/// `keys` is null or a live store handle, not used by any other thread
/// during the call, and not used after it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_apikeys_free(keys: *mut ApiKeysHandle) {
    // SAFETY: the caller promises it came from this library.
    unsafe { free(keys) }
}

/// Opens the audit log at `path` for appending (created if needed), its
/// links and checkpoints keyed by `keys` as `mailshield audit` keys them,
/// and the strings of event details redacted by `engine` (null: the
/// built-in `default` pack), so no message text reaches the log.
///
/// # Errors
///
/// `NULL_ARGUMENT`, `INVALID_ARGUMENT` for a path that is not UTF-8, `IO`
/// when the log cannot be opened or its last line is torn.
///
/// # Safety
///
/// `path` is a NUL-terminated string, `keys` a live key set, `engine`
/// null or a live engine, `out` null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_audit_open(
    path: *const c_char,
    keys: *const KeysetHandle,
    engine: *const EngineHandle,
    out: *mut *mut AuditHandle,
) -> Status {
    call("mailshield_audit_open", || {
        need_out(out)?;
        // SAFETY: `out` is writable; the caller promises a string and
        // live handles.
        unsafe { clear(out) };
        let path = unsafe { c_str(path, "path") }?;
        let keys = &unsafe { handle(keys, "keys") }?.keys;
        let engine = match unsafe { engine.as_ref() } {
            Some(e) => Arc::clone(&e.engine),
            None => Arc::new(
                Engine::builtin("default")
                    .map_err(|e| Error::new(Status::Rules, e.to_string()))?,
            ),
        };
        let key = keys.derive_secret(CHECKPOINT_KEY_LABEL);
        let log =
            AuditLog::open(path, &key, Some(engine)).map_err(io_error)?;
        unsafe { give(out, AuditHandle { log }) }
    })
}

/// Appends one event, given as a JSON object with `event_type` and any of
/// `event_id`, `timestamp` (RFC 3339; default now), `user_id`,
/// `resource`, `details` (an object), `risk_level` (`low` to
/// `critical`), `source_ip`, `user_agent`, `session_id`. When this returns
/// `OK` the line is on disk and `*seq` (when not null) holds its number.
///
/// # Errors
///
/// `NULL_ARGUMENT`, `INVALID_ARGUMENT` when the JSON is not such an
/// event, `IO` when the write fails: then nothing was logged and the
/// audited operation should fail too.
///
/// # Safety
///
/// `log` is a live audit handle, `event` points to `len` readable bytes,
/// `seq` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_audit_append(
    log: *const AuditHandle,
    event: *const u8,
    len: usize,
    seq: *mut u64,
) -> Status {
    call("mailshield_audit_append", || {
        // SAFETY: the caller promises a live handle and readable bytes.
        let a = unsafe { handle(log, "log") }?;
        let bytes = unsafe { input(event, len, "event") }?;
        let e = Event::from_json(bytes, unix_now())
            .map_err(|m| Error::new(Status::InvalidArgument, m))?;
        let n = a.log.append(e).map_err(io_error)?;
        if !seq.is_null() {
            unsafe { put(seq, n, "seq") }?;
        }
        Ok(())
    })
}

/// Writes a checkpoint now, sealing what was appended so far (nothing
/// when nothing was appended since the last one).
///
/// # Errors
///
/// `NULL_ARGUMENT`, `IO` when the write fails.
///
/// # Safety
///
/// `log` is a live audit handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_audit_checkpoint(
    log: *const AuditHandle,
) -> Status {
    call("mailshield_audit_checkpoint", || {
        // SAFETY: the caller promises a live handle.
        let a = unsafe { handle(log, "log") }?;
        a.log.checkpoint().map_err(io_error)
    })
}

/// Closes an audit log with a final checkpoint and frees it, whatever the
/// status; null is ignored.
///
/// # Errors
///
/// `IO` when the final checkpoint cannot be written: the events were on
/// disk already, but the log's tail is not sealed.
///
/// # Safety
///
/// `log` is null or a live audit handle, not used by any other thread
/// during the call, and not used after it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_audit_close(
    log: *mut AuditHandle,
) -> Status {
    if log.is_null() {
        return Status::Ok;
    }
    // SAFETY: the caller promises a live handle, used by no one else.
    let status = call("mailshield_audit_close", || {
        unsafe { &*log }.log.checkpoint().map_err(io_error)
    });
    unsafe { free(log) };
    status
}

/// Frees an audit log with a final checkpoint; null is ignored. A
/// checkpoint that cannot be written is lost:
/// [`mailshield_audit_close`] reports it.
///
/// # Safety
///
/// `log` is null or a live audit handle, not used by any other thread
/// during the call, and not used after it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_audit_free(log: *mut AuditHandle) {
    if log.is_null() {
        return;
    }
    // SAFETY: the caller promises a live handle, used by no one else.
    let _ = call("mailshield_audit_free", || {
        unsafe { &*log }.log.checkpoint().map_err(io_error)
    });
    unsafe { free(log) }
}
