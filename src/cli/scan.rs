//! `mailshield scan`: one JSON line per message (SPEC.md section 6.1).

use mailshield::batch::record::{
    is_complete, scanned_fields, write_scan_line,
};
use mailshield::classify::classify;
use mailshield::engine::Engine;
use mailshield::mail::Message;
use mailshield::rules::Level;
use mailshield::scan::Field;

use super::output::Sink;
use super::pipeline::{self, Outcome};
use super::sarif::{Hit, Sarif};
use super::{Fatal, ScanArgs, Status};

/// Scans `m`, whose fields are `given`, appending its record to `out`.
fn line(
    engine: &Engine,
    m: &Message,
    given: &[Field<'_>],
    sarif: bool,
    out: &mut Vec<u8>,
) -> Outcome {
    let fields = scanned_fields(engine, given);
    let scan = engine.scan_fields(&fields);
    let c = classify(engine, &fields, &scan);
    write_scan_line(out, engine, m, &fields, &scan, &c);
    out.push(b'\n');
    let pack = engine.pack();
    let mut side = Vec::new();
    if sarif {
        for f in &scan.findings {
            let hit = Hit {
                path: &m.source.path,
                index: m.source.index,
                field: &fields[f.field].name,
                ty: &pack.entities[f.entity].name,
                start: f.span.start,
                end: f.span.end,
            };
            Sarif::result(&hit, &mut side);
        }
    }
    let mut errors = m.errors.clone();
    errors.extend(scan.errors.iter().cloned());
    Outcome {
        level: Some(c.level),
        counts: scan.counts(engine),
        warnings: m.warnings.clone(),
        errors,
        complete: is_complete(m, &scan),
        side,
    }
}

/// Runs `mailshield scan`.
///
/// # Errors
///
/// A pack that does not load, an output that cannot be written.
pub(crate) fn run(args: ScanArgs) -> Result<Status, Fatal> {
    let engine = super::engine(&args.input.pack)?;
    let mut sink = Sink::open(args.input.out.as_deref())?;
    let mut sarif = match &args.sarif {
        Some(path) => Some(Sarif::create(path, engine.pack())?),
        None => None,
    };
    let with_hits = sarif.is_some();
    let result = pipeline::run(
        &args.input,
        &mut sink,
        super::type_names(&engine),
        |m, fields, out| line(&engine, m, fields, with_hits, out),
        |o| match sarif.as_mut() {
            Some(s) => s.add(&o.side),
            None => Ok(()),
        },
    );
    let run = match result {
        Ok(run) => run,
        Err(e) => {
            sink.abandon();
            return Err(e);
        }
    };
    if let Some(s) = sarif {
        s.finish()?;
    }
    match sink.finish() {
        Ok(()) | Err(super::output::WriteError::Closed) => {}
        Err(super::output::WriteError::Failed(e)) => return Err(Fatal(e)),
    }
    let mut status = run.status;
    if let (Some(fail), Some(worst)) = (args.fail_on, run.worst) {
        if worst >= Level::from(fail) {
            status = status.max(Status::FailOn);
        }
    }
    Ok(status)
}
