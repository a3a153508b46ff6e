//! Argument parsing, dispatch and exit codes.

mod decrypt;
mod keys;
mod output;
mod pipeline;
mod protect;
mod report;
mod rules;
mod sarif;
mod scan;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use mailshield::engine::Engine;
use mailshield::mail::Format;
use mailshield::rules::{Level, Pack};

/// Exit status, highest wins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Status {
    #[default]
    Ok = 0,
    FailOn = 1,
    Error = 2,
    Incomplete = 3,
}

impl Status {
    fn code(self) -> ExitCode {
        ExitCode::from(self as u8)
    }
}

/// An error that stops the run, already worded for the user.
#[derive(Debug)]
pub(crate) struct Fatal(pub String);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(e: E) -> Fatal {
        Fatal(e.to_string())
    }
}

const AFTER_HELP: &str = "\
Exit codes: 0 every message has a complete result; 1 --fail-on LEVEL was
given and some message is at that level or above; 2 usage error, an error
that stops the run, or an input that cannot be read; 3 some message is
incomplete or a record could not be decrypted. The highest applicable code
wins. A closed stdout ends the run quietly with 0.

Keys come from --key-file FILE or the MAILSHIELD_KEY environment variable
(one Fernet-style key), never from an argument.";

/// Find personal data, secrets and sensitive keywords in mail, classify
/// each message and write protected copies.
#[derive(Parser, Debug)]
#[command(name = "mailshield", version, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scan messages: one JSON line per message.
    Scan(ScanArgs),
    /// Write the protected storage record of each message.
    Protect(ProtectArgs),
    /// Open protected records (or Fernet-token bodies) again.
    Decrypt(DecryptArgs),
    /// Create a new key set file (mode 0600).
    Keygen {
        /// Where to write it; an existing file is not overwritten.
        #[arg(long)]
        out: PathBuf,
    },
    /// List or check rule packs.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Subcommand, Debug)]
enum RulesCommand {
    /// The built-in packs, or one pack's TOML with --show NAME.
    List {
        #[arg(long)]
        show: Option<String>,
    },
    /// Load and compile a pack file; errors name the detector.
    Check { file: PathBuf },
}

/// Options every reading command shares.
#[derive(Args, Debug)]
pub(crate) struct InputArgs {
    /// Pack: `default`, `seed` or a TOML file.
    #[arg(long, default_value = "default")]
    pub pack: String,
    /// Input format.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    pub format: FormatArg,
    /// Worker threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Write results here instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Files, directories or `-` for stdin.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum FormatArg {
    Auto,
    Jsonl,
    Eml,
    Mbox,
    Maildir,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Auto => Format::Auto,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Eml => Format::Eml,
            FormatArg::Mbox => Format::Mbox,
            FormatArg::Maildir => Format::Maildir,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LevelArg {
    Public,
    Internal,
    Confidential,
    Restricted,
}

impl From<LevelArg> for Level {
    fn from(l: LevelArg) -> Level {
        match l {
            LevelArg::Public => Level::Public,
            LevelArg::Internal => Level::Internal,
            LevelArg::Confidential => Level::Confidential,
            LevelArg::Restricted => Level::Restricted,
        }
    }
}

#[derive(Args, Debug)]
pub(crate) struct ScanArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Also write SARIF 2.1.0 here (locations only, no values).
    #[arg(long)]
    sarif: Option<PathBuf>,
    /// Exit 1 when a message is at this level or above.
    #[arg(long, value_enum)]
    fail_on: Option<LevelArg>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum CipherArg {
    #[value(name = "aes-256-gcm")]
    Aes256Gcm,
    Fernet,
    None,
}

#[derive(Args, Debug)]
pub(crate) struct ProtectArgs {
    #[command(flatten)]
    input: InputArgs,
    /// The key set file (else MAILSHIELD_KEY).
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// How bodies are sealed.
    #[arg(long, value_enum, default_value_t = CipherArg::Aes256Gcm)]
    cipher: CipherArg,
}

#[derive(Args, Debug)]
pub(crate) struct DecryptArgs {
    /// The key set file (else MAILSHIELD_KEY).
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// Write records here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// JSONL files or `-` for stdin.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

/// Loads the pack a `--pack` value names and compiles it.
pub(crate) fn engine(name: &str) -> Result<Engine, Fatal> {
    let pack = if Pack::BUILTIN.contains(&name) {
        Pack::builtin(name)?
    } else {
        Pack::load(std::path::Path::new(name))?
    };
    Ok(Engine::new(pack)?)
}

/// Runs the command line; the process exit code.
pub(crate) fn main() -> ExitCode {
    report::install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let usage = e.use_stderr();
            let _ = e.print();
            return if usage {
                Status::Error.code()
            } else {
                Status::Ok.code()
            };
        }
    };
    let result = match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Protect(args) => protect::run(args),
        Command::Decrypt(args) => decrypt::run(args),
        Command::Keygen { out } => keys::keygen(&out),
        Command::Rules { command } => match command {
            RulesCommand::List { show } => rules::list(show.as_deref()),
            RulesCommand::Check { file } => rules::check(&file),
        },
    };
    match result {
        Ok(status) => status.code(),
        Err(Fatal(msg)) => {
            report::line(&msg);
            Status::Error.code()
        }
    }
}
