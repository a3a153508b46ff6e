//! Argument parsing, dispatch and exit codes.

mod apikeys;
mod audit;
mod decrypt;
mod gdpr;
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
    /// API keys: create, check, revoke (in the store).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// The hash-chained audit log: append, verify, report.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Data subject requests over mail archives.
    Gdpr {
        #[command(subcommand)]
        command: GdprCommand,
    },
}

/// Where API keys live, and the key set their pepper comes from.
#[derive(Args, Debug)]
struct StoreArgs {
    /// The SQLite store (else MAILSHIELD_STORE, else ./mailshield.db).
    #[arg(long)]
    store: Option<PathBuf>,
    /// The key set file (else MAILSHIELD_KEY).
    #[arg(long)]
    key_file: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// Make a key; it is printed once on stdout, only its hash is kept.
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// Its owner.
        #[arg(long)]
        user: String,
        /// A permission (repeat for more).
        #[arg(long = "permission")]
        permissions: Vec<String>,
    },
    /// Read a key from stdin; exit 0 when valid, 1 when refused.
    Check {
        #[command(flatten)]
        store: StoreArgs,
        /// Where the attempt comes from (lockouts are per key and source).
        #[arg(long, default_value = "cli")]
        source: String,
    },
    /// Revoke a key by its id (the 16 hex digits after `eb_`).
    Revoke {
        #[command(flatten)]
        store: StoreArgs,
        key_id: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum RiskArg {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Append one event (details redacted) and seal the log.
    Log {
        /// The log file.
        #[arg(long)]
        log: PathBuf,
        /// The key set file (else MAILSHIELD_KEY).
        #[arg(long)]
        key_file: Option<PathBuf>,
        /// The event type (`authentication_failed`, `data_access`, ...).
        #[arg(long = "type")]
        event_type: String,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        resource: Option<String>,
        #[arg(long, value_enum, default_value_t = RiskArg::Low)]
        risk: RiskArg,
        #[arg(long)]
        source_ip: Option<String>,
        /// A JSON object of details.
        #[arg(long)]
        details: Option<String>,
    },
    /// Check the chain, the checkpoints and the head; exit 1 when broken.
    Verify {
        #[arg(long)]
        log: PathBuf,
        /// The key set file (else MAILSHIELD_KEY).
        #[arg(long)]
        key_file: Option<PathBuf>,
        /// Accept a missing head file (it is kept elsewhere).
        #[arg(long)]
        no_head: bool,
    },
    /// The security report of the last days.
    Report {
        #[arg(long)]
        log: PathBuf,
        #[arg(long, default_value_t = 30)]
        days: u64,
        /// A text table instead of JSON.
        #[arg(long)]
        table: bool,
        /// Local time for business hours, minutes east of UTC.
        #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
        utc_offset: i32,
    },
}

/// A data subject's identifiers.
#[derive(Args, Debug)]
struct SubjectArgs {
    /// An address of the subject (repeat for more).
    #[arg(long = "email")]
    emails: Vec<String>,
    /// A phone number (repeat for more).
    #[arg(long = "phone")]
    phones: Vec<String>,
    /// A full name (repeat for more).
    #[arg(long = "name")]
    names: Vec<String>,
}

impl SubjectArgs {
    fn subject(&self) -> mailshield::gdpr::Subject {
        mailshield::gdpr::Subject {
            emails: self.emails.clone(),
            phones: self.phones.clone(),
            names: self.names.clone(),
        }
    }
}

#[derive(Subcommand, Debug)]
enum GdprCommand {
    /// Every message that mentions the subject, as JSON, with what the
    /// processing records of the subject say and the answer's deadline.
    Access {
        #[command(flatten)]
        subject: SubjectArgs,
        /// The store with processing records (else MAILSHIELD_STORE, else
        /// ./mailshield.db when it exists).
        #[arg(long)]
        store: Option<PathBuf>,
        /// When the request was received (YYYY-MM-DD): adds its deadline.
        #[arg(long)]
        received: Option<String>,
        /// When the subject was told of an extension (YYYY-MM-DD).
        #[arg(long)]
        extension_notice: Option<String>,
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
    /// Add a processing record about a subject to the store.
    Record {
        /// The store (else MAILSHIELD_STORE, else ./mailshield.db).
        #[arg(long)]
        store: Option<PathBuf>,
        /// The subject's address.
        #[arg(long)]
        subject: String,
        #[arg(long)]
        purpose: String,
        /// The legal basis (Art. 6).
        #[arg(long)]
        basis: String,
        /// A category of data (repeat for more).
        #[arg(long = "category")]
        categories: Vec<String>,
        /// A recipient (repeat for more).
        #[arg(long = "recipient")]
        recipients: Vec<String>,
        /// How long the data is kept, or the criteria.
        #[arg(long)]
        retention: String,
        /// Where the data came from, when not from the subject.
        #[arg(long)]
        source: Option<String>,
    },
    /// The messages the subject sent, others' data redacted, as JSON.
    Export {
        #[command(flatten)]
        subject: SubjectArgs,
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
    /// Copy an mbox with the subject's identifiers redacted.
    Erase {
        #[command(flatten)]
        subject: SubjectArgs,
        /// Message ids under a legal hold: `<id><TAB><basis>` lines.
        #[arg(long)]
        hold: Option<PathBuf>,
        /// The redacted copy (must not exist).
        #[arg(long)]
        out: PathBuf,
        input: PathBuf,
    },
    /// Copy an mbox with the subject's identifiers replaced.
    Rectify {
        #[command(flatten)]
        subject: SubjectArgs,
        /// The new value.
        #[arg(long = "to")]
        new_value: String,
        /// The rectified copy (must not exist).
        #[arg(long)]
        out: PathBuf,
        input: PathBuf,
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

fn run_keys(command: KeysCommand) -> Result<Status, Fatal> {
    match command {
        KeysCommand::Create { store, user, permissions } => apikeys::create(
            store.store.as_deref(),
            store.key_file.as_deref(),
            &user,
            &permissions,
        ),
        KeysCommand::Check { store, source } => apikeys::check(
            store.store.as_deref(),
            store.key_file.as_deref(),
            &source,
        ),
        KeysCommand::Revoke { store, key_id } => apikeys::revoke(
            store.store.as_deref(),
            store.key_file.as_deref(),
            &key_id,
        ),
    }
}

fn run_audit(command: AuditCommand) -> Result<Status, Fatal> {
    use mailshield::audit::Risk;
    match command {
        AuditCommand::Log {
            log,
            key_file,
            event_type,
            user,
            resource,
            risk,
            source_ip,
            details,
        } => {
            let risk = match risk {
                RiskArg::Low => Risk::Low,
                RiskArg::Medium => Risk::Medium,
                RiskArg::High => Risk::High,
                RiskArg::Critical => Risk::Critical,
            };
            let args = audit::LogArgs {
                event_type: &event_type,
                user: user.as_deref(),
                resource: resource.as_deref(),
                risk,
                source_ip: source_ip.as_deref(),
                details: details.as_deref(),
            };
            audit::log(&log, key_file.as_deref(), &args)
        }
        AuditCommand::Verify { log, key_file, no_head } => {
            audit::check(&log, key_file.as_deref(), no_head)
        }
        AuditCommand::Report { log, days, table, utc_offset } => {
            audit::report(&log, days, table, utc_offset)
        }
    }
}

fn run_gdpr(command: GdprCommand) -> Result<Status, Fatal> {
    match command {
        GdprCommand::Access {
            subject,
            store,
            received,
            extension_notice,
            inputs,
        } => {
            let request = gdpr::Request {
                store: store.as_deref(),
                received: received.as_deref(),
                extension_notice: extension_notice.as_deref(),
            };
            gdpr::access(&subject.subject(), &inputs, Some(&request))
        }
        GdprCommand::Export { subject, inputs } => {
            gdpr::access(&subject.subject(), &inputs, None)
        }
        GdprCommand::Record {
            store,
            subject,
            purpose,
            basis,
            categories,
            recipients,
            retention,
            source,
        } => {
            let record = mailshield::store::ProcessingRecord {
                subject,
                purpose,
                legal_basis: basis,
                categories,
                recipients,
                retention,
                source,
                recorded_at: mailshield::crypto::unix_now(),
            };
            gdpr::record(store.as_deref(), &record)
        }
        GdprCommand::Erase { subject, hold, out, input } => gdpr::rewrite(
            &subject.subject(),
            &input,
            &out,
            hold.as_deref(),
            None,
        ),
        GdprCommand::Rectify { subject, new_value, out, input } => {
            gdpr::rewrite(
                &subject.subject(),
                &input,
                &out,
                None,
                Some(&new_value),
            )
        }
    }
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
        Command::Keys { command } => run_keys(command),
        Command::Audit { command } => run_audit(command),
        Command::Gdpr { command } => run_gdpr(command),
    };
    match result {
        Ok(status) => status.code(),
        Err(Fatal(msg)) => {
            report::line(&msg);
            Status::Error.code()
        }
    }
}
