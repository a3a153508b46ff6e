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
mod requests;
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

const GDPR_HELP: &str = "\
Exit codes: 0 done; 1 the request is refused (receive, verify, and access,
export, erase or rectify with --request: its record is printed, the reason
is in its history); 2 usage error, an unknown request or one pending
identity verification, an error that stops the run, or an input that
cannot be read.

The store is --store FILE, else MAILSHIELD_STORE, else ./mailshield.db.";

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
    #[command(after_help = GDPR_HELP)]
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
        /// Write the user as a keyed pseudonym (`p-` and 16 hex digits),
        /// its key in the store, shredded by `gdpr erase --request`.
        #[arg(long)]
        pseudonymize: bool,
        /// The store of pseudonym keys (else MAILSHIELD_STORE, else
        /// ./mailshield.db).
        #[arg(long, requires = "pseudonymize")]
        store: Option<PathBuf>,
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
        /// Show users and alert keys as keyed pseudonyms (`u-` and 16 hex
        /// digits), keyed by the key set, so the report names no one.
        #[arg(long)]
        pseudonymize: bool,
        /// The key set file (else MAILSHIELD_KEY), for --pseudonymize.
        #[arg(long, requires = "pseudonymize")]
        key_file: Option<PathBuf>,
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

/// The store of subject requests.
#[derive(Args, Debug)]
struct GdprStore {
    /// The store (else MAILSHIELD_STORE, else ./mailshield.db).
    #[arg(long)]
    store: Option<PathBuf>,
}

/// Answering a request of the store instead of a bare copy.
#[derive(Args, Debug)]
struct RequestArgs {
    /// The request answered (see `gdpr receive`), which must be of this
    /// kind and verified; its subject's address is an identifier.
    #[arg(long)]
    request: Option<String>,
    /// The store (else MAILSHIELD_STORE, else ./mailshield.db).
    #[arg(long, requires = "request")]
    store: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum RequestKind {
    Access,
    Portability,
    Erasure,
    Rectification,
}

impl RequestKind {
    fn as_str(self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Portability => "portability",
            RequestKind::Erasure => "erasure",
            RequestKind::Rectification => "rectification",
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
        /// Answer this request of the store (see `gdpr receive`): refused
        /// until verified, dated from its receipt, then marked answered.
        #[arg(long, conflicts_with = "received")]
        request: Option<String>,
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
        /// Write chunks and a SHA-256 manifest here instead (the manifest
        /// also on stdout); run again to resume an interrupted export.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Input messages per chunk, with --dir.
        #[arg(long, default_value_t = 10_000, requires = "dir")]
        chunk_messages: usize,
        #[command(flatten)]
        request: RequestArgs,
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
    /// Copy an mbox with the subject's identifiers redacted; with
    /// --request, answered once (a repeat prints the first answer).
    Erase {
        #[command(flatten)]
        subject: SubjectArgs,
        #[command(flatten)]
        request: RequestArgs,
        /// Message ids under a legal hold: `<id><TAB><basis>` lines.
        #[arg(long)]
        hold: Option<PathBuf>,
        /// The redacted copy (must not exist).
        #[arg(long)]
        out: PathBuf,
        input: PathBuf,
    },
    /// Copy an mbox with the subject's identifiers replaced; with
    /// --request, exit 1 when the new value refuses the request.
    Rectify {
        #[command(flatten)]
        subject: SubjectArgs,
        #[command(flatten)]
        request: RequestArgs,
        /// The new value.
        #[arg(long = "to", required_unless_present = "statement")]
        new_value: Option<String>,
        /// Instead of a new value, the subject's supplementary statement
        /// (Art. 16), kept with the request.
        #[arg(
            long,
            requires = "request",
            conflicts_with_all = ["new_value", "out", "input"]
        )]
        statement: Option<String>,
        /// The rectified copy (must not exist).
        #[arg(long, required_unless_present = "statement")]
        out: Option<PathBuf>,
        #[arg(required_unless_present = "statement")]
        input: Option<PathBuf>,
    },
    /// Record a subject request: verified when it came authenticated as
    /// the subject, else pending verification; exit 1 when refused as
    /// excessive (more than 2 of a kind in 30 days).
    Receive {
        #[command(flatten)]
        store: GdprStore,
        /// The request's id (yours).
        id: String,
        #[arg(long, value_enum)]
        kind: RequestKind,
        /// The subject's address.
        #[arg(long)]
        subject: String,
        /// The user whose session sent it (else it is unauthenticated).
        #[arg(long)]
        authenticated_as: Option<String>,
    },
    /// Confirm a pending requester's identity (checked by you); exit 1
    /// when the request is refused as excessive by now.
    Verify {
        #[command(flatten)]
        store: GdprStore,
        id: String,
    },
    /// A request's state, history, answer and deadline.
    Status {
        #[command(flatten)]
        store: GdprStore,
        id: String,
        /// When the subject was told of an extension (YYYY-MM-DD).
        #[arg(long)]
        extension_notice: Option<String>,
    },
    /// Add a backup: erasures mark the subject's data in it beyond use
    /// until it expires.
    Backup {
        #[command(flatten)]
        store: GdprStore,
        /// Its name.
        name: String,
        /// When it is destroyed (YYYY-MM-DD or RFC 3339).
        #[arg(long)]
        expires: String,
    },
    /// The Art. 19 notifications queued for you to send, a JSON line
    /// each.
    Notifications {
        #[command(flatten)]
        store: GdprStore,
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

/// The names of an engine's entity types, by index: what the counts of
/// a pipeline's outcomes refer to.
pub(crate) fn type_names(engine: &Engine) -> Vec<String> {
    (0..engine.pack().entities.len())
        .map(|e| engine.entity_name(e).to_string())
        .collect()
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
            pseudonymize,
            store,
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
                pseudonyms: pseudonymize.then_some(store.as_deref()),
            };
            audit::log(&log, key_file.as_deref(), &args)
        }
        AuditCommand::Verify { log, key_file, no_head } => {
            audit::check(&log, key_file.as_deref(), no_head)
        }
        AuditCommand::Report {
            log,
            days,
            table,
            utc_offset,
            pseudonymize,
            key_file,
        } => {
            let args = audit::ReportArgs {
                days,
                table,
                utc_offset_minutes: utc_offset,
                pseudonyms: pseudonymize.then_some(key_file.as_deref()),
            };
            audit::report(&log, &args)
        }
    }
}

fn run_gdpr(command: GdprCommand) -> Result<Status, Fatal> {
    match command {
        GdprCommand::Access {
            subject,
            store,
            extension_notice,
            request: Some(id),
            inputs,
            ..
        } => requests::access(
            store.as_deref(),
            &id,
            &subject.subject(),
            &inputs,
            extension_notice.as_deref(),
        ),
        GdprCommand::Access {
            subject,
            store,
            received,
            extension_notice,
            request: None,
            inputs,
        } => {
            let request = gdpr::Request {
                store: store.as_deref(),
                received: received.as_deref(),
                extension_notice: extension_notice.as_deref(),
            };
            gdpr::access(&subject.subject(), &inputs, Some(&request))
        }
        GdprCommand::Export {
            subject,
            dir,
            chunk_messages,
            request,
            inputs,
        } => {
            let subject = subject.subject();
            let chunks = dir.as_deref().map(|d| (d, chunk_messages));
            match (request.request, chunks) {
                (Some(id), chunks) => requests::export(
                    request.store.as_deref(),
                    &id,
                    &subject,
                    &inputs,
                    chunks,
                ),
                (None, Some((dir, per))) => {
                    gdpr::export_dir(&subject, &inputs, dir, per)
                }
                (None, None) => gdpr::access(&subject, &inputs, None),
            }
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
        GdprCommand::Erase { subject, request, hold, out, input } => {
            match request.request {
                Some(id) => requests::erase(
                    request.store.as_deref(),
                    &id,
                    &subject.subject(),
                    hold.as_deref(),
                    &input,
                    &out,
                ),
                None => gdpr::rewrite(
                    &subject.subject(),
                    &input,
                    &out,
                    hold.as_deref(),
                    None,
                ),
            }
        }
        GdprCommand::Rectify {
            subject,
            request,
            new_value,
            statement,
            out,
            input,
        } => run_rectify(subject, request, new_value, statement, out, input),
        GdprCommand::Receive {
            store,
            id,
            kind,
            subject,
            authenticated_as,
        } => requests::receive(
            store.store.as_deref(),
            &id,
            kind.as_str(),
            &subject,
            authenticated_as.as_deref(),
        ),
        GdprCommand::Verify { store, id } => {
            requests::verify(store.store.as_deref(), &id)
        }
        GdprCommand::Status { store, id, extension_notice } => {
            requests::status(
                store.store.as_deref(),
                &id,
                extension_notice.as_deref(),
            )
        }
        GdprCommand::Backup { store, name, expires } => {
            requests::backup(store.store.as_deref(), &name, &expires)
        }
        GdprCommand::Notifications { store } => {
            requests::notifications(store.store.as_deref())
        }
    }
}

/// `gdpr rectify`, bare or for a request.
fn run_rectify(
    subject: SubjectArgs,
    request: RequestArgs,
    new_value: Option<String>,
    statement: Option<String>,
    out: Option<PathBuf>,
    input: Option<PathBuf>,
) -> Result<Status, Fatal> {
    let subject = subject.subject();
    // N.B. clap requires --to, --out and the input unless --statement.
    let (to, out, input) = (
        new_value.as_deref().unwrap_or_default(),
        out.unwrap_or_default(),
        input.unwrap_or_default(),
    );
    let change = match &statement {
        Some(text) => requests::Rectify::Statement(text),
        None => requests::Rectify::Address { to, input: &input, out: &out },
    };
    match (request.request, change) {
        (Some(id), change) => {
            requests::rectify(request.store.as_deref(), &id, &subject, change)
        }
        (None, requests::Rectify::Address { .. }) => {
            gdpr::rewrite(&subject, &input, &out, None, Some(to))
        }
        (None, requests::Rectify::Statement(_)) => {
            Err(Fatal("--statement: needs --request".into()))
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
