//! The `mailshield` command: scan and protect mail archives.
//!
//! Data goes to stdout (or `--out`), one JSON line per message in input
//! order; stderr carries one line per warning or error,
//! `mailshield: <input>[#index]: <cause>`, then a summary line. See
//! `mailshield --help` and SPEC.md section 6.1.
//!
//! Exit codes: 0 when every message has a complete result, 1 when
//! `--fail-on LEVEL` was given and some message is at that level or above,
//! 2 for usage errors, errors that stop the run and inputs that cannot be
//! read, 3 when some message is incomplete or a record could not be
//! decrypted. When several apply the highest wins; a closed stdout ends
//! the run quietly with 0.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
