//! The bulk pipeline: read, process in parallel, write in order.
//!
//! One thread reads the inputs message by message (mail files are streamed,
//! never read whole) and hands batches of a few megabytes on through a
//! channel of two slots. A second thread starts each batch on rayon's
//! pool, every core by default, keeping four or five batches there at
//! once so that no core waits at the end of a batch, and passes the
//! results on in input order through a channel of [`DONE`] slots; the
//! main thread writes them. The reader only splits inputs into messages;
//! their MIME parsing, most of the work of reading, is done on the pool
//! with the rest.
//!
//! On the pool a batch is worked on in pieces of up to [`PIECE`]
//! messages, whose records are written into one buffer: a message costs
//! no allocation of its own for its record, and the writer copies a
//! piece's records in a few large writes.
//!
//! Memory, however large the archive: at most thirteen batches (one
//! being read, two waiting, five on the pool, four waiting to be
//! written, one being written); up to [`SPENT`] spent buffers of at most
//! 64 KiB (below); and the mbox reader's 8 MiB of spare chunks. A batch
//! closes when its messages keep 8 MiB alive ([`Pending::held_len`]):
//! most messages of an mbox hold no buffer of their own but a range of
//! one of the reader's 256 KiB chunks ([`mail::Reader::pending`]), and a
//! chunk counts whole, in the batch of the first message that shares it.
//! So a batch holds at most 8 MiB, its last message, and the chunk that
//! its first message shares with the batch before.
//!
//! The raw bytes of a message that has a buffer of its own (a message
//! file, or an mbox message that runs across two chunks), once its
//! record is written (its fields borrow them until then), are sent back
//! to the reader, which allocated them, to be freed there.
//! Freed on the pool, they made its threads wait on the reader thread's
//! allocator lock (with glibc's allocator, about a tenth of the pool's
//! time went idle so). Buffers over 64 KiB, and those that find the
//! channel full, are freed on the pool: large ones are few, and a full
//! channel means the reader is waiting to hand on a batch, not
//! allocating. Chunks go back to the reader by themselves.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use mailshield::mail::{self, Limits, Message, Pending};
use mailshield::rules::Level;
use mailshield::scan::Field;
use rayon::prelude::*;

use super::output::{Sink, WriteError};
use super::report::Summary;
use super::{Fatal, InputArgs, Status};

/// A batch closes at this many messages, or when its messages keep this
/// many bytes alive ([`Pending::held_len`]).
const BATCH_MESSAGES: usize = 512;
const BATCH_BYTES: usize = 8 << 20;

/// How many messages of a batch are worked on together at most, their
/// records in one buffer; fewer when the batch would not give every
/// thread a piece.
///
/// PERF: 16 and 64 gave the same time on the 2.3 GB mbox of
/// BENCHMARKS.md; pieces amortise the record buffer and the writer's
/// copies.
const PIECE: usize = 16;

/// Room for the records of a piece, to begin with: a record of ordinary
/// mail is under 1 KiB; a larger one grows the buffer.
const PIECE_TEXT: usize = PIECE << 10;

/// How many spent buffers wait to be freed by the reader, at most, and
/// the largest one sent back; others are freed where they are.
///
/// PERF: bounded so that buffers waiting for a blocked reader hold at
/// most 16 MiB; see the module docs and BENCHMARKS.md (the command line
/// on a 2 GB mbox).
const SPENT: usize = 256;
const SPENT_MAX: usize = 64 << 10;

/// How many processed batches wait for the writer, at most.
const DONE: usize = 4;

/// What processing one message gives back, besides its record.
pub(crate) struct Outcome {
    /// The message's level, when it was classified.
    pub level: Option<Level>,
    /// Findings per entity type: the type's index in the pack, the count.
    pub counts: Vec<(usize, usize)>,
    /// `mailshield: <input>#<index>: <cause>` lines to print.
    pub warnings: Vec<String>,
    pub errors: Vec<String>,
    /// The result is complete.
    pub complete: bool,
    /// Serialized extra output for the run's side file (SARIF results).
    pub side: Vec<u8>,
}

/// The result of a whole run.
pub(crate) struct Run {
    pub status: Status,
    /// The highest level of any message.
    pub worst: Option<Level>,
}

enum Item {
    Batch(Vec<Pending>),
    /// An input that could not be opened or read on.
    Failed(String),
}

/// Reads every input on a thread of its own, in batches, freeing the
/// buffers that come back on `spent`.
fn reader(
    inputs: Vec<std::path::PathBuf>,
    format: mail::Format,
    spent: Receiver<Vec<u8>>,
) -> Receiver<Item> {
    let (tx, rx) = sync_channel::<Item>(2);
    thread::spawn(move || {
        let limits = Limits::default();
        let mut batch = Vec::new();
        let mut bytes = 0;
        for path in inputs {
            let reader = match mail::open(&path, format, limits) {
                Ok(r) => r,
                Err(e) => {
                    if tx.send(Item::Failed(e.to_string())).is_err() {
                        return;
                    }
                    continue;
                }
            };
            for item in reader.pending() {
                spent.try_iter().for_each(drop);
                match item {
                    Ok(m) => {
                        bytes += m.held_len();
                        batch.push(m);
                        if batch.len() >= BATCH_MESSAGES
                            || bytes >= BATCH_BYTES
                        {
                            bytes = 0;
                            let full = std::mem::replace(
                                &mut batch,
                                Vec::with_capacity(BATCH_MESSAGES),
                            );
                            if tx.send(Item::Batch(full)).is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => {
                        if tx.send(Item::Failed(e.to_string())).is_err() {
                            return;
                        }
                    }
                }
            }
        }
        if !batch.is_empty() {
            let _ = tx.send(Item::Batch(batch));
        }
    });
    rx
}

/// A processed batch, in pieces.
type Done = Vec<Piece>;

/// Messages worked on together.
struct Piece {
    /// Their records, one after the other.
    text: Vec<u8>,
    messages: Vec<Worked>,
}

/// One message of a [`Piece`].
struct Worked {
    source: mail::Source,
    /// How many bytes of its input it took.
    raw_len: usize,
    outcome: Outcome,
    /// Where its record ends in the piece's text.
    end: usize,
}

/// Processes the batches from `rx` on `pool`, passing on in order what
/// it gives and what the reader could not read; stops when nobody takes
/// the results.
///
/// Up to [`IN_FLIGHT`] batches are on the pool at once: while the last
/// messages of one batch are still being worked on, idle threads take
/// messages of the next, so the cores do not wait at each batch's end.
fn process<W>(
    pool: &rayon::ThreadPool,
    rx: Receiver<Item>,
    tx: SyncSender<Result<Done, String>>,
    spent: &SyncSender<Vec<u8>>,
    work: &W,
) where
    W: Fn(&Message, &[Field<'_>], &mut Vec<u8>) -> Outcome + Sync,
{
    let mut queue: VecDeque<Result<Receiver<Done>, String>> = VecDeque::new();
    pool.in_place_scope(|scope| {
        for item in rx {
            // Start the batch on the pool; its result waits in the queue.
            queue.push_back(match item {
                Item::Batch(batch) => {
                    let (done_tx, done_rx) = sync_channel(1);
                    scope.spawn(move |_| {
                        let done = process_batch(batch, spent, work);
                        let _ = done_tx.send(done);
                    });
                    Ok(done_rx)
                }
                Item::Failed(e) => Err(e),
            });
            while queue.len() > IN_FLIGHT {
                if !forward(&mut queue, &tx) {
                    return;
                }
            }
        }
        while !queue.is_empty() {
            if !forward(&mut queue, &tx) {
                return;
            }
        }
    });
}

/// How many batches [`process`] keeps on the pool at once.
///
/// PERF: with 2, a writer thread off the CPU for a moment left the pool
/// without work (rayon's sleeps in perf's sched_switch events, the
/// 300 MB slice of BENCHMARKS.md); 4 keeps it busy.
const IN_FLIGHT: usize = 4;

/// Every message of `batch` resolved and worked on, on the pool, in
/// pieces of up to [`PIECE`]; the raw bytes' buffers go to `spent`.
fn process_batch<W>(
    batch: Vec<Pending>,
    spent: &SyncSender<Vec<u8>>,
    work: &W,
) -> Done
where
    W: Fn(&Message, &[Field<'_>], &mut Vec<u8>) -> Outcome + Sync,
{
    // Pieces small enough that every thread gets one, as a batch of a
    // few large messages needs.
    let threads = rayon::current_num_threads().max(1);
    let piece = PIECE.min(batch.len().div_ceil(threads)).max(1);
    batch
        .into_par_iter()
        .chunks(piece)
        .map(|pendings| {
            let mut piece = Piece {
                text: Vec::with_capacity(PIECE_TEXT),
                messages: Vec::with_capacity(pendings.len()),
            };
            for p in pendings {
                let text = &mut piece.text;
                let ((outcome, source, raw_len), raw) =
                    p.resolve_borrowing(|m, fields| {
                        let outcome = work(&m, fields, text);
                        (outcome, m.source, m.raw_len)
                    });
                if raw.capacity() > 0 && raw.capacity() <= SPENT_MAX {
                    // When the channel is full the buffer is freed here.
                    let _ = spent.try_send(raw);
                }
                let end = piece.text.len();
                piece.messages.push(Worked { source, raw_len, outcome, end });
            }
            piece
        })
        .collect()
}

/// Waits for the oldest batch in `queue` and sends it on; false when
/// nobody takes it any more.
fn forward(
    queue: &mut VecDeque<Result<Receiver<Done>, String>>,
    tx: &SyncSender<Result<Done, String>>,
) -> bool {
    let Some(front) = queue.pop_front() else { return true };
    let done = match front {
        // N.B. a batch's sender is dropped without sending only if its
        // task panicked (a bug: nothing on the way panics on input). The
        // batch is reported as lost, not skipped silently, and the panic
        // ends the run when the pool's scope closes.
        Ok(rx) => rx
            .recv()
            .map_err(|_| "internal error: a batch was lost".to_string()),
        Err(e) => Err(e),
    };
    tx.send(done).is_ok()
}

/// Runs `work` over every message of the inputs, writing each record to
/// `sink` in input order, and reporting on stderr. `work` is given the
/// message, its fields apart from it
/// ([`Pending::resolve_borrowing`]), and the buffer to append its record
/// to; `types` names the entity types its counts refer to.
///
/// Three stages run at once: the reader, the pool working on the next
/// batches, and this thread writing the batch before them, so the pool
/// does not wait for the output.
///
/// # Errors
///
/// When the thread pool cannot be built, when `after` fails, when the
/// output cannot be written.
pub(crate) fn run<W, A>(
    args: &InputArgs,
    sink: &mut Sink,
    types: Vec<String>,
    work: W,
    mut after: A,
) -> Result<Run, Fatal>
where
    W: Fn(&Message, &[Field<'_>], &mut Vec<u8>) -> Outcome + Sync,
    A: FnMut(&Outcome) -> Result<(), Fatal>,
{
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = args.threads {
        builder = builder.num_threads(n.max(1));
    }
    let pool = builder
        .build()
        .map_err(|e| Fatal(format!("cannot start threads: {e}")))?;
    let (spent, spent_rx) = sync_channel(SPENT);
    let rx = reader(args.inputs.clone(), args.format.into(), spent_rx);
    thread::scope(|scope| {
        let (tx, done) = sync_channel(DONE);
        scope.spawn(|| process(&pool, rx, tx, &spent, &work));
        // Returning drops `done`: the stages before stop at their next
        // send.
        write(done, sink, Summary::with_types(types), &mut after)
    })
}

/// Writes the processed batches in order, reporting on stderr.
fn write<A>(
    done: Receiver<Result<Done, String>>,
    sink: &mut Sink,
    mut summary: Summary,
    after: &mut A,
) -> Result<Run, Fatal>
where
    A: FnMut(&Outcome) -> Result<(), Fatal>,
{
    let mut status = Status::Ok;
    let mut worst = None;
    for batch in done {
        let batch = match batch {
            Ok(batch) => batch,
            Err(e) => {
                summary.error_line(&e);
                status = status.max(Status::Error);
                continue;
            }
        };
        for (w, text) in batch.iter().flat_map(records) {
            let (source, o) = (&w.source, &w.outcome);
            if !o.warnings.is_empty() || !o.errors.is_empty() {
                let at = format!("{}#{}", source.path, source.index);
                for w in &o.warnings {
                    summary.report(false, &at, w);
                }
                for e in &o.errors {
                    summary.report(true, &at, e);
                }
            }
            if !o.complete {
                status = status.max(Status::Incomplete);
            }
            for &(entity, n) in &o.counts {
                summary.found(entity, n);
            }
            worst = worst.max(o.level);
            summary.message(w.raw_len);
            if let Err(e) = after(o) {
                summary.finish();
                return Err(e);
            }
            match sink.write(text) {
                Ok(()) => {}
                Err(WriteError::Closed) => {
                    return Ok(Run { status: Status::Ok, worst: None });
                }
                Err(WriteError::Failed(e)) => {
                    summary.finish();
                    return Err(Fatal(e));
                }
            }
        }
    }
    summary.finish();
    Ok(Run { status, worst })
}

/// Each message of a piece with its record.
///
/// N.B. `work` only appends to the piece's text, so the ends are in
/// order and within it; a record out of bounds would be written empty
/// rather than panic.
fn records(piece: &Piece) -> impl Iterator<Item = (&Worked, &[u8])> {
    let starts =
        std::iter::once(0).chain(piece.messages.iter().map(|w| w.end));
    piece.messages.iter().zip(starts).map(|(w, start)| {
        (w, piece.text.get(start..w.end).unwrap_or_default())
    })
}
