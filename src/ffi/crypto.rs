//! Opening sealed bodies, and the byte buffer handle that carries them.

use super::{
    Bytes, Error, KeysetHandle, Status, bytes, call, clear, crypto_error,
    free, give, handle, input, need_out, put,
};
use crate::crypto::{aead, fernet, unix_now};
use crate::protect::Cipher;

/// Bytes the library made for the caller: read with
/// [`mailshield_buffer_data`], free with [`mailshield_buffer_free`]. The
/// bytes are wiped when freed.
#[derive(Debug)]
pub struct BufferHandle {
    data: zeroize::Zeroizing<Vec<u8>>,
}

impl BufferHandle {
    pub(crate) fn new(data: Vec<u8>) -> BufferHandle {
        BufferHandle { data: data.into() }
    }
}

/// Seals bytes on their own, without scanning: an `ms1:` AES-256-GCM
/// envelope bound to `message_id`, or a Fernet token (which binds no id),
/// as `cipher` (`MAILSHIELD_CIPHER_AES_256_GCM` or `_FERNET`) says.
///
/// On success `*out` is a new buffer holding the sealed text (ASCII); on
/// failure it is null.
///
/// # Errors
///
/// `NULL_ARGUMENT`; `INVALID_ARGUMENT` for an unknown cipher or
/// `MAILSHIELD_CIPHER_NONE`; `KEY` when the set has no key for the cipher
/// (Fernet needs a Fernet key); `CRYPTO` when the random generator fails.
///
/// # Safety
///
/// `keys` is a live key set; `data` points to `len` readable bytes and
/// `message_id` to `id_len`; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_encrypt(
    keys: *const KeysetHandle,
    data: *const u8,
    len: usize,
    cipher: u32,
    message_id: *const u8,
    id_len: usize,
    out: *mut *mut BufferHandle,
) -> Status {
    call("mailshield_encrypt", || {
        need_out(out)?;
        // SAFETY: `out` is writable; the caller promises a live key set
        // and readable buffers.
        unsafe { clear(out) };
        let keys = &unsafe { handle(keys, "keys") }?.keys;
        let data = unsafe { input(data, len, "data") }?;
        let sealed = match super::cipher(cipher)? {
            Cipher::Aes256Gcm => {
                let id = unsafe { input(message_id, id_len, "message_id") }?;
                aead::seal(keys, id, data)
            }
            Cipher::Fernet => fernet::encrypt_with_keys(keys, data),
            Cipher::None => {
                return Err(Error::new(
                    Status::InvalidArgument,
                    "MAILSHIELD_CIPHER_NONE does not seal",
                ));
            }
        }
        .map_err(|e| crypto_error(&e))?;
        let buffer = BufferHandle { data: sealed.into_bytes().into() };
        unsafe { give(out, buffer) }
    })
}

/// Opens a sealed body: an `ms1:` AES-256-GCM envelope, bound to
/// `message_id` (the result's id when it was protected), or a Fernet
/// token (`g...`), which binds no id (`message_id` is then not read).
///
/// On success `*out` is a new buffer holding the clear body; on failure
/// it is null.
///
/// # Errors
///
/// `NULL_ARGUMENT`; `KEY` when the set holds no key for it; `CRYPTO` when
/// it does not open: a wrong key or message id, or a damaged value (which
/// of those is deliberately not said).
///
/// # Safety
///
/// `keys` is a live key set; `sealed` points to `len` readable bytes and
/// `message_id` to `id_len`; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_decrypt(
    keys: *const KeysetHandle,
    sealed: *const u8,
    len: usize,
    message_id: *const u8,
    id_len: usize,
    out: *mut *mut BufferHandle,
) -> Status {
    call("mailshield_decrypt", || {
        need_out(out)?;
        // SAFETY: `out` is writable; the caller promises a live key set
        // and readable buffers.
        unsafe { clear(out) };
        let keys = &unsafe { handle(keys, "keys") }?.keys;
        let sealed = unsafe { input(sealed, len, "sealed") }?;
        // The prefix decides: a damaged envelope is still an envelope.
        let clear_body = if sealed.starts_with(b"ms1:") {
            let id = unsafe { input(message_id, id_len, "message_id") }?;
            aead::open(keys, id, sealed)
        } else if sealed.starts_with(b"g") {
            fernet::decrypt_with_keys(keys, sealed, None, unix_now())
        } else {
            return Err(Error::new(
                Status::Crypto,
                "`sealed` is neither an ms1 envelope nor a Fernet token",
            ));
        }
        .map_err(|e| crypto_error(&e))?;
        let buffer = BufferHandle { data: clear_body.into() };
        unsafe { give(out, buffer) }
    })
}

/// The bytes of a buffer, owned by it.
///
/// # Errors
///
/// `NULL_ARGUMENT`.
///
/// # Safety
///
/// `buffer` is a live buffer; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_buffer_data(
    buffer: *const BufferHandle,
    out: *mut Bytes,
) -> Status {
    call("mailshield_buffer_data", || {
        // SAFETY: the caller promises a live buffer and a writable out.
        let b = unsafe { handle(buffer, "buffer") }?;
        unsafe { put(out, bytes(&b.data), "out") }
    })
}

/// Frees a buffer, wiping its bytes; null is ignored.
///
/// # Safety
///
/// `buffer` is null or a live buffer, not used by any other thread during
/// the call, and not used after it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_buffer_free(buffer: *mut BufferHandle) {
    // SAFETY: the caller promises it came from this library.
    unsafe { free(buffer) }
}
