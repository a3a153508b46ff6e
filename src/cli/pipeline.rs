//! The bulk pipeline: read, process in parallel, write in order.
//!
//! One thread reads the inputs message by message (mail files are streamed,
//! never read whole) and hands batches of a few megabytes to the main
//! thread through a channel of two slots, so at most three batches are in
//! memory however large the archive. Each batch is processed on rayon's
//! pool, every core by default, and its records are written in input
//! order before the next batch is taken.

use std::sync::mpsc::{Receiver, sync_channel};
use std::thread;

use mailshield::mail::{self, Limits, Message};
use mailshield::rules::Level;
use rayon::prelude::*;

use super::output::{Sink, WriteError};
use super::report::Summary;
use super::{Fatal, InputArgs, Status};

/// A batch closes at this many messages or bytes.
const BATCH_MESSAGES: usize = 512;
const BATCH_BYTES: usize = 8 << 20;

/// What processing one message gives back.
pub(crate) struct Outcome {
    /// The record, one JSON line with its newline.
    pub line: Vec<u8>,
    /// The message's level, when it was classified.
    pub level: Option<Level>,
    /// Findings per entity type.
    pub counts: Vec<(String, usize)>,
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
    Batch(Vec<Message>),
    /// An input that could not be opened or read on.
    Failed(String),
}

/// Reads every input on a thread of its own, in batches.
fn reader(
    inputs: Vec<std::path::PathBuf>,
    format: mail::Format,
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
            for item in reader {
                match item {
                    Ok(m) => {
                        bytes += m.raw_len;
                        batch.push(m);
                        if batch.len() >= BATCH_MESSAGES
                            || bytes >= BATCH_BYTES
                        {
                            bytes = 0;
                            if tx
                                .send(Item::Batch(std::mem::take(&mut batch)))
                                .is_err()
                            {
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

/// Runs `work` over every message of the inputs, writing each record to
/// `sink` in input order, and reporting on stderr.
///
/// # Errors
///
/// When the thread pool cannot be built.
pub(crate) fn run<W, A>(
    args: &InputArgs,
    sink: &mut Sink,
    work: W,
    mut after: A,
) -> Result<Run, Fatal>
where
    W: Fn(&Message) -> Outcome + Sync,
    A: FnMut(&Outcome) -> Result<(), Fatal>,
{
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = args.threads {
        builder = builder.num_threads(n.max(1));
    }
    let pool = builder
        .build()
        .map_err(|e| Fatal(format!("cannot start threads: {e}")))?;
    let mut summary = Summary::new();
    let mut status = Status::Ok;
    let mut worst = None;
    let rx = reader(args.inputs.clone(), args.format.into());
    for item in rx {
        let batch = match item {
            Item::Batch(b) => b,
            Item::Failed(e) => {
                summary.error_line(&e);
                status = status.max(Status::Error);
                continue;
            }
        };
        let outcomes: Vec<Outcome> =
            pool.install(|| batch.par_iter().map(&work).collect());
        for (m, o) in batch.iter().zip(outcomes) {
            let at = format!("{}#{}", m.source.path, m.source.index);
            for w in &o.warnings {
                summary.report(false, &at, w);
            }
            for e in &o.errors {
                summary.report(true, &at, e);
            }
            if !o.complete {
                status = status.max(Status::Incomplete);
            }
            for (ty, n) in &o.counts {
                summary.findings += *n as u64;
                *summary.by_type.entry(ty.clone()).or_default() += *n as u64;
            }
            worst = worst.max(o.level);
            summary.message(m.raw_len);
            if let Err(e) = after(&o) {
                summary.finish();
                return Err(e);
            }
            match sink.write(&o.line) {
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
