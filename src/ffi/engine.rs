//! Engines and key sets: the handles every scan and seal starts from.

use std::ffi::c_char;
use std::sync::Arc;

use super::{
    Arena, Error, Frozen, Status, Text, c_str, call, clear, free, give,
    handle, input, need_out, put,
};
use crate::crypto::{CryptoError, CryptoErrorKind, KeySet};
use crate::engine::Engine;
use crate::rules::Pack;

/// A compiled rule pack. Shared by any number of threads at once.
#[derive(Debug)]
pub struct EngineHandle {
    pub(crate) engine: Arc<Engine>,
    /// The entity type names, in the engine's order.
    _names: Frozen,
    name_views: Vec<Text>,
    /// Entity indexes in report order ([`Engine::entity_order`]).
    order: Vec<u32>,
}

impl EngineHandle {
    fn new(engine: Engine) -> EngineHandle {
        let mut arena = Arena::default();
        let marks: Vec<_> = engine
            .pack()
            .entities
            .iter()
            .map(|e| arena.add(&e.name))
            .collect();
        let names = arena.freeze();
        let name_views = marks.into_iter().map(|m| names.text(m)).collect();
        let order = engine
            .entity_order()
            .iter()
            .map(|&e| u32::try_from(e).unwrap_or(u32::MAX))
            .collect();
        EngineHandle {
            engine: Arc::new(engine),
            _names: names,
            name_views,
            order,
        }
    }
}

// SAFETY: the views point into `names`, which is never changed after the
// handle is built and lives as long as it; everything else is Send + Sync.
unsafe impl Send for EngineHandle {}
// SAFETY: as for Send; nothing is mutated through a shared reference.
unsafe impl Sync for EngineHandle {}

/// A set of keys for sealing and opening. Shared by any number of
/// threads at once.
#[derive(Debug)]
pub struct KeysetHandle {
    pub(crate) keys: KeySet,
}

fn rules_error(e: impl std::fmt::Display) -> Error {
    Error::new(Status::Rules, e.to_string())
}

/// The status for a crypto error: a key problem, or a seal or open that
/// failed.
pub(crate) fn crypto_error(e: &CryptoError) -> Error {
    let status = match e.kind() {
        CryptoErrorKind::InvalidKey
        | CryptoErrorKind::UnknownKey
        | CryptoErrorKind::KeyFile => Status::Key,
        _ => Status::Crypto,
    };
    Error::new(status, e.to_string())
}

/// Compiles a built-in pack, `default` or `seed`; null means `default`.
///
/// On success `*out` is a new engine for the caller to free with
/// [`mailshield_engine_free`]; on failure it is null.
///
/// # Errors
///
/// `NULL_ARGUMENT` when `out` is null, `INVALID_ARGUMENT` when `pack` is
/// not UTF-8, `RULES` when there is no built-in pack of that name.
///
/// # Safety
///
/// `pack` is null or a NUL-terminated string; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_engine_new(
    pack: *const c_char,
    out: *mut *mut EngineHandle,
) -> Status {
    call("mailshield_engine_new", || {
        need_out(out)?;
        // SAFETY: `out` is writable (checked above, promised by caller).
        unsafe { clear(out) };
        let name = if pack.is_null() {
            "default"
        } else {
            // SAFETY: the caller promises a NUL-terminated string.
            unsafe { c_str(pack, "pack") }?
        };
        let engine = Engine::builtin(name).map_err(rules_error)?;
        // SAFETY: as above.
        unsafe { give(out, EngineHandle::new(engine)) }
    })
}

/// Compiles a custom pack from its TOML text (SPEC section 2.3).
///
/// On success `*out` is a new engine for the caller to free; on failure
/// it is null.
///
/// # Errors
///
/// `NULL_ARGUMENT`, `INVALID_ARGUMENT` when the text is not UTF-8, `RULES`
/// when it does not parse or compile (the message names the detector).
///
/// # Safety
///
/// `toml` points to `len` readable bytes; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_engine_from_toml(
    toml: *const u8,
    len: usize,
    out: *mut *mut EngineHandle,
) -> Status {
    call("mailshield_engine_from_toml", || {
        need_out(out)?;
        // SAFETY: `out` is writable.
        unsafe { clear(out) };
        // SAFETY: the caller promises `len` readable bytes.
        let bytes = unsafe { input(toml, len, "toml") }?;
        let text = std::str::from_utf8(bytes).map_err(|_| {
            Error::new(Status::InvalidArgument, "`toml` is not UTF-8")
        })?;
        let pack = Pack::from_toml("<toml>", text).map_err(rules_error)?;
        let engine = Engine::new(pack).map_err(rules_error)?;
        // SAFETY: as above.
        unsafe { give(out, EngineHandle::new(engine)) }
    })
}

/// The entity table of the engine's pack (a finding's `entity` indexes
/// it): `*items` gets `*count` texts owned by the engine. It lists every
/// type the pack defines, found or not; [`mailshield_engine_entity_order`]
/// gives the order reports use.
///
/// # Errors
///
/// `NULL_ARGUMENT`.
///
/// # Safety
///
/// `engine` is a live engine; `items` and `count` are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_engine_entities(
    engine: *const EngineHandle,
    items: *mut *const Text,
    count: *mut usize,
) -> Status {
    call("mailshield_engine_entities", || {
        // SAFETY: the caller promises a live engine.
        let e = unsafe { handle(engine, "engine") }?;
        if count.is_null() {
            return Err(super::null("count"));
        }
        // SAFETY: the caller promises writable out-pointers.
        unsafe {
            put(items, e.name_views.as_ptr(), "items")?;
            put(count, e.name_views.len(), "count")
        }
    })
}

/// The order in which the guide's reports list entity types (its
/// `detected_pii`, the protect record's `pii_detected`): the types as the
/// pack's detectors first name them, then the others. (The JSON line's
/// `counts` is an object, its keys in alphabetical order.) `*items` gets
/// `*count` indexes into the entity table, owned by the engine.
///
/// # Errors
///
/// `NULL_ARGUMENT`.
///
/// # Safety
///
/// `engine` is a live engine; `items` and `count` are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_engine_entity_order(
    engine: *const EngineHandle,
    items: *mut *const u32,
    count: *mut usize,
) -> Status {
    call("mailshield_engine_entity_order", || {
        // SAFETY: the caller promises a live engine and writable outs.
        let e = unsafe { handle(engine, "engine") }?;
        if count.is_null() {
            return Err(super::null("count"));
        }
        unsafe {
            put(items, e.order.as_ptr(), "items")?;
            put(count, e.order.len(), "count")
        }
    })
}

/// Frees an engine; null is ignored. Results and streams made from it
/// stay valid.
///
/// # Safety
///
/// `engine` is null or a live engine not used by any other thread during
/// the call, and not used after it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_engine_free(engine: *mut EngineHandle) {
    // SAFETY: the caller promises it came from this library.
    unsafe { free(engine) }
}

/// A new key set with one fresh AES-256-GCM key, from the system's random
/// generator. (Fernet tokens need a Fernet key:
/// [`mailshield_keyset_from_fernet_key`].)
///
/// # Errors
///
/// `NULL_ARGUMENT`, `KEY` or `CRYPTO` when the random generator fails.
///
/// # Safety
///
/// `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_keyset_generate(
    out: *mut *mut KeysetHandle,
) -> Status {
    call("mailshield_keyset_generate", || {
        need_out(out)?;
        // SAFETY: `out` is writable.
        unsafe { clear(out) };
        let keys = KeySet::generate().map_err(|e| crypto_error(&e))?;
        // SAFETY: as above.
        unsafe { give(out, KeysetHandle { keys }) }
    })
}

/// A key set holding one Fernet key, given as Python's
/// `Fernet.generate_key()` prints it (URL-safe base64 of 32 bytes). It
/// seals Fernet tokens with the key, and AES-256-GCM envelopes with a
/// subkey derived from it (so both ciphers work with it).
///
/// # Errors
///
/// `NULL_ARGUMENT`; `KEY` when the text is not such a key (the message
/// does not quote it).
///
/// # Safety
///
/// `key` points to `len` readable bytes; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_keyset_from_fernet_key(
    key: *const u8,
    len: usize,
    out: *mut *mut KeysetHandle,
) -> Status {
    call("mailshield_keyset_from_fernet_key", || {
        need_out(out)?;
        // SAFETY: `out` is writable.
        unsafe { clear(out) };
        // SAFETY: the caller promises `len` readable bytes.
        let bytes = unsafe { input(key, len, "key") }?;
        let text = std::str::from_utf8(bytes).map_err(|_| {
            Error::new(Status::Key, "`key` is not a Fernet key (not text)")
        })?;
        let keys =
            KeySet::from_fernet_key(text).map_err(|e| crypto_error(&e))?;
        // SAFETY: as above.
        unsafe { give(out, KeysetHandle { keys }) }
    })
}

/// Loads a key-set file, as `mailshield keygen` writes it.
///
/// # Errors
///
/// `NULL_ARGUMENT`, `INVALID_ARGUMENT` when the path is not UTF-8, `KEY`
/// when the file cannot be read or is not a key set (the message names the
/// path and the cause, never a key).
///
/// # Safety
///
/// `path` is a NUL-terminated string; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_keyset_load(
    path: *const c_char,
    out: *mut *mut KeysetHandle,
) -> Status {
    call("mailshield_keyset_load", || {
        need_out(out)?;
        // SAFETY: `out` is writable.
        unsafe { clear(out) };
        // SAFETY: the caller promises a NUL-terminated string.
        let path = unsafe { c_str(path, "path") }?;
        let keys = KeySet::load(path).map_err(|e| {
            let mut err = crypto_error(&e);
            err.status = Status::Key;
            err
        })?;
        // SAFETY: as above.
        unsafe { give(out, KeysetHandle { keys }) }
    })
}

/// Frees a key set; null is ignored. Its key bytes are wiped.
///
/// # Safety
///
/// `keys` is null or a live key set not used by any other thread during
/// the call, and not used after it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_keyset_free(keys: *mut KeysetHandle) {
    // SAFETY: the caller promises it came from this library.
    unsafe { free(keys) }
}
