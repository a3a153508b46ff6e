//! Many buffers in one call, scanned in parallel inside the library.

use std::panic::{AssertUnwindSafe, catch_unwind};

use rayon::prelude::*;

use super::{
    Bytes, EngineHandle, Error, ResultHandle, Status, call, check_kind, clear,
    clear_const, free, give, handle, input, need_out, put, scan_buffer,
    scan_message,
};
use crate::mail::Message;

/// The results of a batch, one per buffer in input order. Read it from
/// any number of threads at once; free it with [`mailshield_batch_free`].
#[derive(Debug)]
pub struct BatchHandle {
    results: Vec<ResultHandle>,
}

impl Drop for BatchHandle {
    /// Frees the results on the pool too: a batch holds many small
    /// allocations, and freeing them is a fair part of its cost.
    fn drop(&mut self) {
        std::mem::take(&mut self.results).into_par_iter().for_each(drop);
    }
}

/// Scans `count` buffers on every core of the library's thread pool (the
/// process-wide rayon pool) and waits for all of them.
///
/// Each buffer is read as `input` says; the `i`-th result's id is `-#i`
/// unless the message has a Message-ID. A buffer whose scan hits a bug is
/// still in the batch, with `complete` false and an error. On success
/// `*out` is a new batch; on failure it is null and nothing was scanned.
///
/// # Errors
///
/// `NULL_ARGUMENT` (also for a null pointer inside `inputs` with a length
/// other than 0, naming its index), `INVALID_ARGUMENT` for an unknown input
/// kind.
///
/// # Safety
///
/// `engine` is a live engine; `inputs` points to `count` readable
/// `mailshield_bytes`, each pointing to its readable bytes, unchanged
/// until the call returns; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_scan_batch(
    engine: *const EngineHandle,
    inputs: *const Bytes,
    count: usize,
    input_kind: u32,
    out: *mut *mut BatchHandle,
) -> Status {
    call("mailshield_scan_batch", || {
        need_out(out)?;
        // SAFETY: `out` is writable; the caller promises a live engine,
        // `count` readable entries and the bytes each points to.
        unsafe { clear(out) };
        let e = unsafe { handle(engine, "engine") }?;
        let buffers = if count == 0 {
            &[][..]
        } else if inputs.is_null() {
            return Err(super::null("inputs"));
        } else {
            unsafe { std::slice::from_raw_parts(inputs, count) }
        };
        check_kind(input_kind)?;
        let texts = buffers
            .iter()
            .enumerate()
            .map(|(i, b)| {
                if (b.ptr.is_null() && b.len != 0)
                    || b.len > isize::MAX as usize
                {
                    let what = format!("inputs[{i}]");
                    return unsafe { input(b.ptr, b.len, &what) };
                }
                unsafe { input(b.ptr, b.len, "inputs") }
            })
            .collect::<Result<Vec<&[u8]>, Error>>()?;
        let results = texts
            .par_iter()
            .enumerate()
            .map(|(i, data)| one(&e.engine, data, input_kind, i))
            .collect();
        unsafe { give(out, BatchHandle { results }) }
    })
}

/// Scans one buffer of a batch, containing a panic to that buffer.
fn one(
    engine: &std::sync::Arc<crate::engine::Engine>,
    data: &[u8],
    kind: u32,
    index: usize,
) -> ResultHandle {
    let attempt = catch_unwind(AssertUnwindSafe(|| {
        scan_buffer(engine, data, kind, index)
    }));
    match attempt {
        Ok(Ok(result)) => result,
        // The kind was checked before the batch started.
        Ok(Err(_)) | Err(_) => {
            let source = crate::mail::Source { path: "-".into(), index };
            let mut m = Message::from_text(&[], source);
            m.errors.push("internal error while scanning this message".into());
            m.complete = false;
            scan_message(engine, m)
        }
    }
}

/// The number of results in a batch.
///
/// # Errors
///
/// `NULL_ARGUMENT`.
///
/// # Safety
///
/// `batch` is a live batch; `count` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_batch_len(
    batch: *const BatchHandle,
    count: *mut usize,
) -> Status {
    call("mailshield_batch_len", || {
        // SAFETY: the caller promises a live batch and a writable out.
        let b = unsafe { handle(batch, "batch") }?;
        unsafe { put(count, b.results.len(), "count") }
    })
}

/// The `index`-th result of a batch. It belongs to the batch: read it
/// with the `mailshield_result_` accessors until the batch is freed, and
/// never free it on its own.
///
/// # Errors
///
/// `NULL_ARGUMENT`, `INVALID_ARGUMENT` when `index` is past the end; then
/// `*out` is null.
///
/// # Safety
///
/// `batch` is a live batch; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_batch_get(
    batch: *const BatchHandle,
    index: usize,
    out: *mut *const ResultHandle,
) -> Status {
    call("mailshield_batch_get", || {
        need_out(out)?;
        // SAFETY: the caller promises a live batch and a writable out.
        unsafe { clear_const(out) };
        let b = unsafe { handle(batch, "batch") }?;
        let r = b.results.get(index).ok_or_else(|| {
            Error::new(
                Status::InvalidArgument,
                format!(
                    "index {index} is past the end of a batch of {}",
                    b.results.len()
                ),
            )
        })?;
        unsafe { put(out, r as *const ResultHandle, "out") }
    })
}

/// Frees a batch and every result in it; null is ignored.
///
/// # Safety
///
/// `batch` is null or a live batch, not used by any other thread during
/// the call; neither it nor its results are used after it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_batch_free(batch: *mut BatchHandle) {
    // SAFETY: the caller promises it came from this library.
    unsafe { free(batch) }
}
