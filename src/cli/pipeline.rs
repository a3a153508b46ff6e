//! The bulk pipeline: read, process in parallel, write in order.
//!
//! One thread reads the inputs message by message (mail files are streamed,
//! never read whole) and hands batches of a few megabytes on through a
//! channel of two slots. A second thread starts each batch on rayon's
//! pool, every core by default, keeping four or five batches there at
//! once so that no core waits at the end of a batch, and passes the
//! results on in input order through a channel of four slots; the main
//! thread writes them. At most fourteen batches are in memory (one being
//! read, two waiting, five on the pool, five waiting to be written, one
//! being written), however large the archive. The reader
//! only splits inputs into messages; their MIME parsing, most of the work
//! of reading, is done on the pool with the rest.
//!
//! On the pool a batch is worked on in pieces of [`PIECE`] messages,
//! whose records are written into one buffer: a message costs no
//! allocation of its own for its record, and the writer copies a piece's
//! records in a few large writes.
//!
//! Each message's raw bytes are freed by the reader, which allocated
//! them: the pool sends the spent buffers back. Freed on the pool, they
//! made its threads wait on the reader thread's allocator lock (with
//! glibc's allocator, about a tenth of the pool's time went idle so).

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use mailshield::mail::{self, Limits, Message, Pending};
use mailshield::rules::Level;
use rayon::prelude::*;

use super::output::{Sink, WriteError};
use super::report::Summary;
use super::{Fatal, InputArgs, Status};

/// A batch closes at this many messages or bytes.
const BATCH_MESSAGES: usize = 512;
const BATCH_BYTES: usize = 8 << 20;

/// How many messages of a batch are worked on together, their records
/// in one buffer.
const PIECE: usize = 16;

/// How many spent buffers wait to be freed by the reader, at most, and
/// the largest one sent back; others are freed where they are.
const SPENT: usize = 2 * BATCH_MESSAGES;
const SPENT_MAX: usize = 1 << 16;

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
                        bytes += m.raw_len();
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
    /// Each message's source, length and outcome, and where its record
    /// ends in `text`.
    messages: Vec<(mail::Source, usize, Outcome, usize)>,
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
    W: Fn(&Message, &mut Vec<u8>) -> Outcome + Sync,
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
const IN_FLIGHT: usize = 4;

/// Every message of `batch` resolved and worked on, on the pool, in
/// pieces of [`PIECE`]; the raw bytes' buffers go to `spent`.
fn process_batch<W>(
    batch: Vec<Pending>,
    spent: &SyncSender<Vec<u8>>,
    work: &W,
) -> Done
where
    W: Fn(&Message, &mut Vec<u8>) -> Outcome + Sync,
{
    batch
        .into_par_iter()
        .chunks(PIECE)
        .map(|pendings| {
            // Records run to about a quarter of the input.
            let bytes: usize = pendings.iter().map(Pending::raw_len).sum();
            let mut piece = Piece {
                text: Vec::with_capacity(bytes / 2),
                messages: Vec::with_capacity(pendings.len()),
            };
            for p in pendings {
                let (m, raw) = p.resolve_giving_back();
                if raw.capacity() > 0 && raw.capacity() <= SPENT_MAX {
                    // A full channel: freed here.
                    let _ = spent.try_send(raw);
                }
                let o = work(&m, &mut piece.text);
                let end = piece.text.len();
                piece.messages.push((m.source, m.raw_len, o, end));
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
/// `sink` in input order, and reporting on stderr. `work` appends the
/// message's record to the buffer it is given; `types` names the entity
/// types its counts refer to.
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
    W: Fn(&Message, &mut Vec<u8>) -> Outcome + Sync,
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
        let (tx, done) = sync_channel(4);
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
        for (source, raw_len, o, text) in batch.iter().flat_map(records) {
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
            summary.message(*raw_len);
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
fn records(
    piece: &Piece,
) -> impl Iterator<Item = (&mail::Source, &usize, &Outcome, &[u8])> {
    let starts = std::iter::once(0).chain(piece.messages.iter().map(|m| m.3));
    piece.messages.iter().zip(starts).map(|((source, len, o, end), start)| {
        (source, len, o, &piece.text[start..*end])
    })
}
