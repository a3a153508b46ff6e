//! The C ABI: `include/mailshield.h`, generated from this module by
//! cbindgen (SPEC section 6.2). Nothing else in the crate calls into it.
//!
//! # Conventions
//!
//! - Every function returns a [`Status`], except the `_free` functions
//!   (which return nothing), [`mailshield_last_error`],
//!   [`mailshield_version`] and [`mailshield_abi_version`]. On an error
//!   the thread's last error holds the detailed message, until the next
//!   failing call on the same thread;
//!   [`mailshield_last_error`] reads it. Messages name the argument and
//!   the cause, never a value from the input or a key.
//! - Every pointer is checked: a null pointer where one is required gives
//!   `MAILSHIELD_STATUS_NULL_ARGUMENT`. A buffer is a pointer and a length;
//!   with a length of 0 the pointer may be null.
//! - Handles (`mailshield_engine`, `mailshield_keyset`, `mailshield_result`,
//!   `mailshield_batch`, `mailshield_pending`, `mailshield_stream`,
//!   `mailshield_buffer`, `mailshield_apikeys`, `mailshield_audit`) are
//!   opaque. The caller frees each one it receives with its own `_free`
//!   function, which accepts null. Results, streams and pending batches
//!   keep what they need of their engine alive: an engine may be freed
//!   before them.
//! - Views (`mailshield_text`, `mailshield_bytes` and the structs holding
//!   them) point into the handle they came from and stay valid, unchanged,
//!   until that handle is freed. Text is UTF-8 and followed by a NUL byte
//!   not counted in its length.
//! - Threads: engines, key sets, key stores and audit logs may be shared
//!   by any number of threads at once; results and batches may be read,
//!   and a pending batch waited on, from many threads at once.
//!   A stream is used by one thread at a time. No call keeps a pointer it
//!   was given after it returns, except `mailshield_scan_batch_start`,
//!   whose input bytes are read until its pending batch is waited on or
//!   freed.
//! - No panic crosses the boundary: a panic inside a call is caught and
//!   returned as `MAILSHIELD_STATUS_INTERNAL`.
//!
//! Offsets: every span is given three ways, in bytes of the field's UTF-8
//! text, in Unicode code points and in UTF-16 code units, so that a binding
//! hands its users the unit of its own string type. For text that is not
//! valid UTF-8, each maximal invalid sequence counts as one code point and
//! one UTF-16 unit (a U+FFFD), as Python's `errors="replace"` and .NET's
//! decoder read it.
#![allow(unsafe_code)]

mod adapters;
mod batch;
mod crypto;
mod engine;
mod result;
mod stream;
mod view;

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

pub use adapters::*;
pub use batch::*;
pub use crypto::*;
pub use engine::*;
pub use result::*;
pub use stream::*;
pub use view::*;

// What the header says of threads, checked by the compiler: the handles
// it lets threads share are Send + Sync, and a stream may move between
// threads (used by one at a time).
const _: () = {
    const fn shared<T: Send + Sync>() {}
    const fn movable<T: Send>() {}
    shared::<EngineHandle>();
    shared::<KeysetHandle>();
    shared::<ResultHandle>();
    shared::<BatchHandle>();
    shared::<PendingHandle>();
    shared::<BufferHandle>();
    shared::<ApiKeysHandle>();
    shared::<AuditHandle>();
    movable::<StreamHandle>();
};

/// What a call did. Every value but `OK` leaves a message in the thread's
/// last error.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// A required pointer was null.
    NullArgument = 1,
    /// An argument is out of range: an unknown input kind or cipher, an
    /// index past the end, a length over `PTRDIFF_MAX`, text that must be
    /// UTF-8 and is not.
    InvalidArgument = 2,
    /// A rule pack could not be found, parsed or compiled.
    Rules = 3,
    /// A key could not be read, or does not fit the cipher asked for, or
    /// a key is needed and none was given.
    Key = 4,
    /// Sealing failed, or a sealed value could not be opened: the wrong
    /// key or message id, or a damaged token or envelope.
    Crypto = 5,
    /// The handle is in the wrong state: a stream already finished, a
    /// result without a protected copy, a pack that cannot stream, a
    /// pending batch already waited on.
    State = 6,
    /// A bug inside mailshield (a caught panic). A stream that hits one
    /// cannot go on, nor can a pending batch whose scan hit one; every
    /// other handle is as it was before the call.
    Internal = 7,
    /// A file or database of the adapters (key store, audit log) could
    /// not be opened, read or written.
    Io = 8,
}

/// An error of one call: its status and the message for the last error.
#[derive(Debug)]
pub(crate) struct Error {
    status: Status,
    message: String,
}

impl Error {
    pub(crate) fn new(status: Status, message: impl Into<String>) -> Error {
        Error { status, message: message.into() }
    }
}

/// The result of a call's body.
pub(crate) type Outcome = Result<(), Error>;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Runs the body of the call `name`, catching panics, and turns its
/// outcome into a status, keeping the message of an error.
pub(crate) fn call(name: &str, body: impl FnOnce() -> Outcome) -> Status {
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        Err(Error::new(
            Status::Internal,
            "internal error (a bug in mailshield, please report it)",
        ))
    });
    match outcome {
        Ok(()) => Status::Ok,
        Err(e) => {
            set_last_error(&format!("{name}: {}", e.message));
            e.status
        }
    }
}

/// Keeps `message` as this thread's last error.
fn set_last_error(message: &str) {
    // Messages are ours and hold no NUL; cut at one if it ever did.
    let bytes = message.split('\0').next().unwrap_or_default();
    let text = CString::new(bytes).unwrap_or_default();
    LAST_ERROR.with(|last| *last.borrow_mut() = text);
}

/// The message of the last failed call on this thread, or an empty string
/// when none failed.
///
/// The text is UTF-8, NUL-terminated, owned by the library, and valid on
/// this thread until the next failing call here. Never null.
#[unsafe(no_mangle)]
pub extern "C" fn mailshield_last_error() -> *const c_char {
    LAST_ERROR.with(|last| last.borrow().as_ptr())
}

/// The version of this ABI: it changes whenever a function, struct or
/// constant of the header changes incompatibly; additions leave it as it
/// is (a binding that needs a newer function finds it missing, and an
/// older library refuses a newer input kind, such as
/// `MAILSHIELD_INPUT_RECORD`, with `MAILSHIELD_STATUS_INVALID_ARGUMENT`
/// naming the kind). A binding checks it against the value it was written
/// for.
pub const MAILSHIELD_ABI_VERSION: u32 = 1;

/// The ABI version of the loaded library ([`MAILSHIELD_ABI_VERSION`]).
#[unsafe(no_mangle)]
pub extern "C" fn mailshield_abi_version() -> u32 {
    MAILSHIELD_ABI_VERSION
}

/// The library's version, as `major.minor.patch`. Static; never null.
#[unsafe(no_mangle)]
pub extern "C" fn mailshield_version() -> *const c_char {
    const VERSION: &CStr = match CStr::from_bytes_with_nul(
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
    ) {
        Ok(v) => v,
        Err(_) => c"unknown",
    };
    VERSION.as_ptr()
}

/// Borrows the buffer `ptr`, `len` for the length of a call.
///
/// # Safety
///
/// When `len` is not 0 and `ptr` is not null, `ptr` must point to `len`
/// readable bytes that stay unchanged during the call.
pub(crate) unsafe fn input<'a>(
    ptr: *const u8,
    len: usize,
    what: &str,
) -> Result<&'a [u8], Error> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(null(what));
    }
    if len > isize::MAX as usize {
        return Err(Error::new(
            Status::InvalidArgument,
            format!("`{what}` is longer than PTRDIFF_MAX"),
        ));
    }
    // SAFETY: not null, and the caller promises `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows a NUL-terminated UTF-8 string for the length of a call.
///
/// # Safety
///
/// A non-null `ptr` must point to a NUL-terminated string.
pub(crate) unsafe fn c_str<'a>(
    ptr: *const c_char,
    what: &str,
) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(null(what));
    }
    // SAFETY: not null, and the caller promises a NUL terminator.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str().map_err(|_| {
        Error::new(Status::InvalidArgument, format!("`{what}` is not UTF-8"))
    })
}

/// Borrows a handle the caller passed in.
///
/// # Safety
///
/// A non-null `ptr` must come from this library and not be freed.
pub(crate) unsafe fn handle<'a, T>(
    ptr: *const T,
    what: &str,
) -> Result<&'a T, Error> {
    // SAFETY: the caller promises a live handle of this type, or null.
    unsafe { ptr.as_ref() }.ok_or_else(|| null(what))
}

/// Borrows a handle the caller passed in to be changed.
///
/// # Safety
///
/// As [`handle`], and no other thread may use it during the call.
pub(crate) unsafe fn handle_mut<'a, T>(
    ptr: *mut T,
    what: &str,
) -> Result<&'a mut T, Error> {
    // SAFETY: the caller promises a live handle used by this thread only.
    unsafe { ptr.as_mut() }.ok_or_else(|| null(what))
}

/// Writes `value` through the out-pointer `out`.
///
/// # Safety
///
/// A non-null `out` must be valid for a write of `T`.
pub(crate) unsafe fn put<T>(out: *mut T, value: T, what: &str) -> Outcome {
    if out.is_null() {
        return Err(null(what));
    }
    // SAFETY: not null, and the caller promises it is writable.
    unsafe { out.write(value) };
    Ok(())
}

/// Clears an out-pointer for a borrowed handle, so that a failed call
/// leaves null.
///
/// # Safety
///
/// As [`put`].
pub(crate) unsafe fn clear_const<T>(out: *mut *const T) {
    if !out.is_null() {
        // SAFETY: the caller promises it is writable.
        unsafe { out.write(std::ptr::null()) };
    }
}

/// Clears an out-pointer for a handle, so that a failed call leaves null.
///
/// # Safety
///
/// As [`put`].
pub(crate) unsafe fn clear<T>(out: *mut *mut T) {
    if !out.is_null() {
        // SAFETY: the caller promises it is writable.
        unsafe { out.write(std::ptr::null_mut()) };
    }
}

/// Hands a new handle to the caller through `out`.
///
/// # Safety
///
/// As [`put`].
pub(crate) unsafe fn give<T>(out: *mut *mut T, value: T) -> Outcome {
    // SAFETY: forwarded; the caller checked `out` before the work.
    unsafe { put(out, Box::into_raw(Box::new(value)), "out") }
}

/// Frees a handle made by [`give`].
///
/// # Safety
///
/// A non-null `ptr` must come from [`give`] for this `T` and not be freed
/// yet.
pub(crate) unsafe fn free<T>(ptr: *mut T) {
    if ptr.is_null() {
        return;
    }
    // A panic in a destructor must not unwind into C either.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the caller promises it came from `Box::into_raw`.
        drop(unsafe { Box::from_raw(ptr) });
    }));
}

/// The error for a null pointer.
pub(crate) fn null(what: &str) -> Error {
    Error::new(Status::NullArgument, format!("`{what}` is null"))
}

/// Rejects a null out-pointer before any work is done.
pub(crate) fn need_out<T>(out: *mut T) -> Outcome {
    if out.is_null() { Err(null("out")) } else { Ok(()) }
}
