//! A streaming scanner: one message fed in pieces, in bounded memory.

use std::sync::Arc;

use super::{
    EngineHandle, Error, Measured, Offsets, ResultHandle, Status, call, clear,
    count_units, give, handle, handle_mut, input, need_out,
};
use crate::classify::classify;
use crate::engine::Engine;
use crate::mail::{Message, Source};
use crate::protect::mask;
use crate::rules::FieldRole;
use crate::scan::{Span, StreamScanner};

/// One message being scanned piece by piece. One thread at a time; free
/// it with [`mailshield_stream_free`].
///
/// Offsets are global to the message. The stream keeps the bytes from
/// its final point on, to measure code points and UTF-16 units and to
/// mask values; what comes before is forgotten.
#[derive(Debug)]
pub struct StreamHandle {
    engine: Arc<Engine>,
    scanner: Option<StreamScanner<Arc<Engine>>>,
    /// Set while a call works on the stream: still set afterwards means
    /// that call panicked and the stream cannot go on.
    busy: bool,
    /// Bytes fed from global offset `tail_at` on.
    tail: Vec<u8>,
    tail_at: usize,
    /// Code points and UTF-16 units before `tail_at`.
    units_before: (usize, usize),
    /// Offsets and masked values of the final findings so far.
    findings: Vec<Offsets>,
    masked: Vec<String>,
    keywords: Vec<Offsets>,
}

impl StreamHandle {
    /// The offsets of `span`, which starts at or after `tail_at`.
    fn offsets(&self, span: Span) -> Offsets {
        let at = |p: usize| {
            let inside = p.saturating_sub(self.tail_at).min(self.tail.len());
            let (c, u) = count_units(&self.tail[..inside]);
            (self.units_before.0 + c, self.units_before.1 + u)
        };
        let (start_char, start_utf16) = at(span.start);
        let (end_char, end_utf16) = at(span.end);
        Offsets {
            start: span.start,
            end: span.end,
            start_char,
            end_char,
            start_utf16,
            end_utf16,
        }
    }

    /// The bytes of `span`, as far as the tail holds them.
    fn value(&self, span: Span) -> &[u8] {
        let from =
            span.start.saturating_sub(self.tail_at).min(self.tail.len());
        let to = span.end.saturating_sub(self.tail_at).min(self.tail.len());
        &self.tail[from..to]
    }

    /// Measures the findings and keywords that became final, then forgets
    /// the bytes before the final point.
    fn settle(
        &mut self,
        findings: &[crate::scan::Finding],
        words: &[crate::scan::KeywordHit],
        done: usize,
    ) {
        let pack = self.engine.pack();
        for f in &findings[self.findings.len()..] {
            let masked =
                mask(pack.entities[f.entity].mask, self.value(f.span));
            self.findings.push(self.offsets(f.span));
            self.masked.push(masked);
        }
        for k in &words[self.keywords.len()..] {
            self.keywords.push(self.offsets(k.span));
        }

        // Keep from the final point, moved back to a character start.
        let mut keep = done.saturating_sub(self.tail_at).min(self.tail.len());
        while keep > 0 && self.tail.get(keep).is_some_and(|b| b & 0xC0 == 0x80)
        {
            keep -= 1;
        }
        let (c, u) = count_units(&self.tail[..keep]);
        self.units_before = (self.units_before.0 + c, self.units_before.1 + u);
        self.tail.drain(..keep);
        self.tail_at += keep;
    }
}

/// Starts a stream over one message's body text.
///
/// On success `*out` is a new stream; on failure it is null.
///
/// # Errors
///
/// `NULL_ARGUMENT`; `STATE` when the engine's pack cannot stream (the
/// `seed` pack scans whole bodies, as the guide does).
///
/// # Safety
///
/// `engine` is a live engine; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_stream_new(
    engine: *const EngineHandle,
    out: *mut *mut StreamHandle,
) -> Status {
    call("mailshield_stream_new", || {
        need_out(out)?;
        // SAFETY: `out` is writable; the caller promises a live engine.
        unsafe { clear(out) };
        let e = unsafe { handle(engine, "engine") }?;
        let engine = Arc::clone(&e.engine);
        let scanner = StreamScanner::new(Arc::clone(&engine), FieldRole::Body)
            .map_err(|err| Error::new(Status::State, err.to_string()))?;
        let stream = StreamHandle {
            engine,
            scanner: Some(scanner),
            busy: false,
            tail: Vec::new(),
            tail_at: 0,
            units_before: (0, 0),
            findings: Vec::new(),
            masked: Vec::new(),
            keywords: Vec::new(),
        };
        unsafe { give(out, stream) }
    })
}

/// Feeds the next piece of the message. Pieces may cut anywhere, inside
/// a value or a UTF-8 sequence: the result is that of one scan of the
/// whole message.
///
/// # Errors
///
/// `NULL_ARGUMENT`; `STATE` after [`mailshield_stream_finish`], or after a
/// call on this stream failed with `INTERNAL`.
///
/// # Safety
///
/// `stream` is a live stream used by no other thread during the call;
/// `data` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_stream_feed(
    stream: *mut StreamHandle,
    data: *const u8,
    len: usize,
) -> Status {
    call("mailshield_stream_feed", || {
        // SAFETY: the caller promises a live stream, used by this thread
        // only, and `len` readable bytes.
        let s = unsafe { handle_mut(stream, "stream") }?;
        let piece = unsafe { input(data, len, "data") }?;
        let Some(mut scanner) = s.scanner.take() else {
            return Err(finished());
        };
        s.tail.extend_from_slice(piece);
        scanner.feed(piece);
        s.settle(
            scanner.findings(),
            scanner.keywords(),
            scanner.final_offset(),
        );
        s.scanner = Some(scanner);
        Ok(())
    })
}

fn finished() -> Error {
    Error::new(Status::State, "the stream is already finished")
}

impl StreamHandle {
    /// Marks the stream busy, refusing one that an earlier call left
    /// broken by an internal error.
    fn start(&mut self) -> Result<(), Error> {
        if self.busy {
            return Err(Error::new(
                Status::State,
                "the stream stopped at an internal error and cannot go on",
            ));
        }
        self.busy = true;
        Ok(())
    }
}

/// Ends the stream: scans what is left and gives the whole result, as
/// [`mailshield_scan`](super::mailshield_scan) would for the whole text.
/// The result's field `body` has no text (the stream does not keep it).
///
/// On success `*out` is a new result for the caller to free with
/// [`mailshield_result_free`](super::mailshield_result_free); the stream
/// must still be freed.
///
/// # Errors
///
/// `NULL_ARGUMENT`; `STATE` when already finished.
///
/// # Safety
///
/// As [`mailshield_stream_feed`]; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_stream_finish(
    stream: *mut StreamHandle,
    out: *mut *mut ResultHandle,
) -> Status {
    call("mailshield_stream_finish", || {
        need_out(out)?;
        // SAFETY: `out` is writable; the caller promises a live stream
        // used by this thread only.
        unsafe { clear(out) };
        let s = unsafe { handle_mut(stream, "stream") }?;
        s.start()?;
        let Some(scanner) = s.scanner.take() else {
            s.busy = false;
            return Err(finished());
        };
        let scan = scanner.finish();
        s.settle(&scan.findings, &scan.keywords, usize::MAX);
        let measured = Measured {
            findings: std::mem::take(&mut s.findings),
            keywords: std::mem::take(&mut s.keywords),
            masked: std::mem::take(&mut s.masked),
        };
        let source = Source { path: "-".into(), index: 0 };
        let mut message = Message::from_text(&[], source);
        message.raw_len = s.tail_at + s.tail.len();
        let class = classify(&s.engine, &message.fields, &scan);
        let result = ResultHandle::build(
            &s.engine, message, scan, class, measured, None,
        );
        s.busy = false;
        unsafe { give(out, result) }
    })
}

/// Frees a stream, finished or not; null is ignored.
///
/// # Safety
///
/// `stream` is null or a live stream, not used by any other thread during
/// the call, and not used after it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mailshield_stream_free(stream: *mut StreamHandle) {
    // SAFETY: the caller promises it came from this library.
    unsafe { super::free(stream) }
}
