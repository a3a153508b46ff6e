//! Many buffers in one call, scanned in parallel inside the library.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;

use super::{
    Bytes, EngineHandle, Error, ResultHandle, Status, call, check_kind, clear,
    clear_const, free, give, handle, input, need_out, put, scan_buffer,
    scan_message,
};
use crate::engine::Engine;
use crate::mail::Message;

/// The results of a batch, one per buffer in input order. Read it from
/// any number of threads at once; free it with [`mailshield_batch_free`].
#[derive(Debug)]
pub struct BatchHandle {
    results: Vec<ResultHandle>,
}

impl Drop for BatchHandle {
    /// Frees the results on the pool, in the background: a batch holds
    /// many small allocations, and freeing them is a fair part of its
    /// cost, which the caller need not wait for.
    fn drop(&mut self) {
        let results = std::mem::take(&mut self.results);
        if results.is_empty() {
            return;
        }
        rayon::spawn(move || {
            // A panic in a spawned job would abort the process; so would
            // one in dropping a panic's payload.
            let freed = catch_unwind(AssertUnwindSafe(|| drop(results)));
            if let Err(payload) = freed {
                std::mem::forget(payload);
            }
        });
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
        let texts = unsafe { buffers(inputs, count) }?;
        check_kind(input_kind)?;
        unsafe { give(out, scan_all(&e.engine, &texts, input_kind, 0)) }
    })
}

/// The buffers of a batch call, checked.
///
/// # Errors
///
/// `NULL_ARGUMENT` for null `inputs` with a `count` other than 0, or a
/// null pointer inside them with a length other than 0 (naming its
/// index); `INVALID_ARGUMENT` for a length over `PTRDIFF_MAX`.
///
/// # Safety
///
/// `inputs` points to `count` readable `mailshield_bytes`, each pointing
/// to its readable bytes, unchanged for as long as `'a`.
unsafe fn buffers<'a>(
    inputs: *const Bytes,
    count: usize,
) -> Result<Vec<&'a [u8]>, Error> {
    let buffers = if count == 0 {
        &[][..]
    } else if inputs.is_null() {
        return Err(super::null("inputs"));
    } else {
        // SAFETY: not null, and the caller promises `count` entries.
        unsafe { std::slice::from_raw_parts(inputs, count) }
    };
    buffers
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (b.ptr.is_null() && b.len != 0) || b.len > isize::MAX as usize {
                let what = format!("inputs[{i}]");
                // SAFETY: checked by `input`, which names the entry.
                return unsafe { input(b.ptr, b.len, &what) };
            }
            // SAFETY: the caller promises each entry's bytes.
            unsafe { input(b.ptr, b.len, "inputs") }
        })
        .collect()
}

/// The most buffers one job of a batch scans before others can take the
/// rest (see [`scan_all`]).
const PIECE: usize = 16;

/// Scans `texts` on the pool, the `i`-th numbered `first + i`.
fn scan_all(
    engine: &Arc<Engine>,
    texts: &[&[u8]],
    kind: u32,
    first: usize,
) -> BatchHandle {
    // PERF: pieces of at most PIECE buffers, so that when the caller's
    // own threads take a core from a worker, the other worker finds the
    // rest of its share to steal instead of waiting for it (the Python
    // batch of BENCHMARKS.md).
    let results = texts
        .par_iter()
        .with_max_len(PIECE)
        .enumerate()
        .map(|(i, data)| one(engine, data, kind, first.saturating_add(i)))
        .collect();
    BatchHandle { results }
}

/// A batch being scanned on the library's pool while the caller goes on:
/// made by [`mailshield_scan_batch_start`]. Wait for it with
/// [`mailshield_pending_wait`] from any thread (a second wait at the same
/// time returns once the scan is over); free it with
/// [`mailshield_pending_free`], which waits for the scan first.
pub struct PendingHandle {
    /// The scan's outcome, until a wait takes it: a batch, or `None`
    /// when the scan itself hit a bug. The receiver leaves the lock only
    /// once it has received, so that whoever finds it gone knows the
    /// scan is over.
    outcome: Mutex<Option<Receiver<Option<BatchHandle>>>>,
}

impl std::fmt::Debug for PendingHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingHandle").finish_non_exhaustive()
    }
}

impl Drop for PendingHandle {
    /// Waits for a scan not waited on: its inputs are the caller's, and
    /// must not be read once the handle is gone.
    fn drop(&mut self) {
        let outcome =
            self.outcome.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(rx) = outcome.take() {
            drop(rx.recv());
        }
    }
}

/// Starts scanning `count` buffers on the library's pool and returns at
/// once: `*out` is a new pending batch, whose results are those of
/// [`mailshield_scan_batch`] numbered from `first` (the `i`-th result's id
/// is `-#` followed by `first + i` unless the message has a Message-ID,
/// and its JSON line's source index is `first + i`).
///
/// This lets a caller prepare the next part of a long list, or read the
/// results of the last, while the library scans this one. It is the one
/// call that keeps pointers it was given after it returns: the array
/// `inputs` is read during the call only, but the bytes its entries
/// point to are read until [`mailshield_pending_wait`] or
/// [`mailshield_pending_free`] returns. On failure `*out` is null and
/// nothing was started.
///
/// Limit: in a process forked after the library's pool started, the
/// pool has no threads: a pending batch there is never scanned, and its
/// wait and free block for ever (as a batch call would).
///
/// # Errors
///
/// As [`mailshield_scan_batch`].
///
/// # Safety
///
/// `engine` is a live engine; `inputs` points to `count` readable
/// `mailshield_bytes`, each pointing to its readable bytes, which stay
/// unchanged and allocated until the pending batch has been waited on
/// or freed; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_scan_batch_start(
    engine: *const EngineHandle,
    inputs: *const Bytes,
    count: usize,
    input_kind: u32,
    first: usize,
    out: *mut *mut PendingHandle,
) -> Status {
    call("mailshield_scan_batch_start", || {
        need_out(out)?;
        // SAFETY: `out` is writable; the caller promises a live engine and
        // inputs that stay readable until the pending batch is waited on
        // or freed, whose drop waits for the scan: `'static` here stands
        // for that.
        unsafe { clear(out) };
        let e = unsafe { handle(engine, "engine") }?;
        let texts: Vec<&'static [u8]> = unsafe { buffers(inputs, count) }?;
        check_kind(input_kind)?;

        // The scan, on the pool; a bug outside one buffer's scan is
        // reported by the wait. The engine is dropped inside the guard
        // too: it may be the last reference, and a panic out of a
        // spawned job would abort the process.
        let engine = Arc::clone(&e.engine);
        let (tx, rx) = sync_channel(1);
        rayon::spawn(move || {
            let batch = catch_unwind(AssertUnwindSafe(move || {
                let batch = scan_all(&engine, &texts, input_kind, first);
                drop(engine);
                batch
            }));
            drop(tx.send(batch.map_err(std::mem::forget).ok()));
        });
        let pending = PendingHandle { outcome: Mutex::new(Some(rx)) };
        unsafe { give(out, pending) }
    })
}

/// Waits for a pending batch's scan to end; on success `*out` is its
/// batch, for the caller to free with [`mailshield_batch_free`]. The
/// pending batch is still to be freed with [`mailshield_pending_free`];
/// it no longer reads its inputs.
///
/// A wait on another thread at the same time blocks until the scan is
/// over and then fails with `STATE`: after any wait returns, the inputs
/// are no longer read.
///
/// # Errors
///
/// `NULL_ARGUMENT`; `STATE` when it was waited on before; `INTERNAL` when
/// the scan hit a bug outside any one buffer (then there is no batch, and
/// the pending batch is used up). On failure `*out` is null.
///
/// # Safety
///
/// `pending` is a live pending batch; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_pending_wait(
    pending: *const PendingHandle,
    out: *mut *mut BatchHandle,
) -> Status {
    call("mailshield_pending_wait", || {
        need_out(out)?;
        // SAFETY: `out` is writable; the caller promises a live handle.
        unsafe { clear(out) };
        let p = unsafe { handle(pending, "pending") }?;

        // Received under the lock, then let go of: see `outcome`.
        let mut outcome =
            p.outcome.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(rx) = outcome.as_ref() else {
            return Err(Error::new(
                Status::State,
                "the batch was waited on before",
            ));
        };
        let received = rx.recv();
        *outcome = None;
        drop(outcome);
        match received {
            Ok(Some(batch)) => unsafe { give(out, batch) },
            Ok(None) | Err(_) => Err(Error::new(
                Status::Internal,
                "internal error while scanning the batch (a bug in \
                 mailshield, please report it)",
            )),
        }
    })
}

/// Frees a pending batch, first waiting for its scan when it was not
/// waited on (the results of that scan are freed too); null is ignored.
///
/// # Safety
///
/// `pending` is null or a live pending batch, not used by any other
/// thread during the call, nor after it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_pending_free(pending: *mut PendingHandle) {
    // SAFETY: the caller promises it came from this library.
    unsafe { free(pending) }
}

/// Scans one buffer of a batch, containing a panic to that buffer.
fn one(
    engine: &Arc<Engine>,
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
/// Returns at once: the results are freed on the library's pool in the
/// background, after the scans already started there.
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;

    /// Waits on `pending` from a new thread; the flag is set when the
    /// wait returns.
    fn waiter(
        pending: &'static PendingHandle,
        done: &'static AtomicBool,
    ) -> std::thread::JoinHandle<(Status, usize)> {
        std::thread::spawn(move || {
            let mut batch = std::ptr::null_mut();
            let status =
                unsafe { mailshield_pending_wait(pending, &mut batch) };
            done.store(true, Ordering::SeqCst);
            let len = unsafe { batch.as_ref() }.map_or(0, |b| b.results.len());
            unsafe { mailshield_batch_free(batch) };
            (status, len)
        })
    }

    #[test]
    fn a_second_wait_returns_only_once_the_scan_is_over() {
        // A pending batch whose "scan" ends when the test says.
        let (tx, rx) = sync_channel(1);
        let pending: &'static PendingHandle =
            Box::leak(Box::new(PendingHandle {
                outcome: Mutex::new(Some(rx)),
            }));
        static FIRST: AtomicBool = AtomicBool::new(false);
        static SECOND: AtomicBool = AtomicBool::new(false);

        let first = waiter(pending, &FIRST);
        std::thread::sleep(Duration::from_millis(50));
        let second = waiter(pending, &SECOND);
        std::thread::sleep(Duration::from_millis(50));
        assert!(!FIRST.load(Ordering::SeqCst));
        assert!(!SECOND.load(Ordering::SeqCst), "returned mid-scan");

        tx.send(Some(BatchHandle { results: Vec::new() })).unwrap();
        let mut got = [first.join().unwrap(), second.join().unwrap()];
        got.sort_by_key(|(s, _)| *s as u32);
        assert_eq!(got, [(Status::Ok, 0), (Status::State, 0)]);
    }
}
