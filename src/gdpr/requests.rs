//! Subject requests as the store keeps them: who asked, whether their
//! identity is confirmed, how many they made, what was answered, and what
//! an erasure or rectification owes others (Art. 12, 16, 17, 19).
//!
//! [`Requests::receive`] records a request and decides at once:
//!
//! - identity (Art. 12(6)): a request from a channel authenticated as the
//!   subject (the same address, compared case-insensitively) is verified
//!   on receipt; any other (an unauthenticated channel, or another user)
//!   waits in [`RequestState::PendingVerification`], with its time, until
//!   [`Requests::verify_identity`]; [`Requests::release`] refuses to
//!   release anything before. The deadline runs from receipt all the
//!   same ([`Requests::deadline`]): waiting for proof of identity does
//!   not stop the clock here, which is the strict reading;
//! - excess (Art. 12(5)): more than [`Policy::per_period`] requests of one
//!   kind from one subject within [`Policy::period`] seconds (2 in 30
//!   days by default) are refused as excessive, with the reason and the
//!   subject's right to complain ([`EXCESSIVE`]). Only verified requests
//!   count toward the limit, so that requests in the subject's name from
//!   others cannot use it up; a request is checked again when verified.
//!
//! Every decision is kept in the request's history, with its time and
//! reason: that is the record of how each request was handled.
//!
//! [`Requests::begin`] takes a verified request for one worker; a request
//! answered already gives back its stored outcome
//! ([`Started::AlreadyCompleted`]), so a duplicate erasure does nothing
//! twice. [`erasure`] and [`rectification`] run the archive rewrite of
//! [`super::erase`] and [`super::rectify`] under that claim, then do what
//! the request owes: shred the subject's audit pseudonym key, mark the
//! subject's data in unexpired backups beyond use until each backup
//! expires, queue an Art. 19 notification per recipient named in the
//! subject's processing records, remove those records, and answer with
//! what was erased and what was retained.
//!
//! What the store keeps of an erased subject, on purpose: the request
//! itself (its address, to show the request was answered, Art. 5(2)),
//! and the beyond-use marks (so that a restored backup is erased again
//! before use).
//!
//! Limitations: the excess count and the insert are two store calls, so two
//! requests received at the same instant may both pass the limit.
//! Notifications are queued, not sent: the host sends them. API keys made for
//! the subject (a `user_id` of theirs) are the host's to revoke. The archive
//! copy is written beside the archive; the host swaps it in with one rename,
//! so a reader that opened the archive before reads the old one whole, and one
//! that opens it after reads the new one (never a mix).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::deadline::{Date, Deadline, deadline};
use super::{GdprError, Held, Matcher, address_problem};
use crate::crypto::format_rfc3339;
use crate::store::{
    BeyondUse, Decision, Notification, RequestRecord, RequestState, Store,
};

/// The reason given for a refused excessive request (Art. 12(5)).
pub const EXCESSIVE: &str = "refused as excessive (GDPR Art. 12(5)(b)): \
     the same request was answered recently; you may lodge a complaint \
     with a supervisory authority (Art. 77) and seek a judicial remedy \
     (Art. 79)";

/// The kinds of request.
const KINDS: [&str; 4] = ["access", "portability", "erasure", "rectification"];

/// How many requests of one kind a subject may make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Requests answered per period (2).
    pub per_period: usize,
    /// The period, in seconds (30 days).
    pub period: u64,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy { per_period: 2, period: 30 * 86_400 }
    }
}

/// Where a request came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel<'a> {
    /// No login: mail, a web form, a letter.
    Unauthenticated,
    /// A session of this user (an address).
    Authenticated(&'a str),
}

/// What [`Requests::begin`] found.
#[derive(Debug, PartialEq)]
pub enum Started {
    /// The request is this worker's to answer now.
    Now(RequestRecord),
    /// It was answered already; its outcome as stored.
    AlreadyCompleted(Value),
}

/// Subject requests in a store.
#[derive(Debug)]
pub struct Requests<S: Store> {
    store: S,
    policy: Policy,
}

fn decision(state: RequestState, at: u64, reason: &str) -> Decision {
    Decision { state, at, reason: Some(reason.to_string()) }
}

impl<S: Store> Requests<S> {
    /// Requests in `store` under the default [`Policy`].
    pub fn new(store: S) -> Requests<S> {
        Requests { store, policy: Policy::default() }
    }

    /// The same, under `policy`.
    pub fn with_policy(mut self, policy: Policy) -> Requests<S> {
        self.policy = policy;
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Records request `id` of `kind` about `subject` (an address) from
    /// `channel` at `now`, and decides on it as the module documentation
    /// says. A request with an id known already is not recorded again:
    /// the stored one is returned.
    ///
    /// # Errors
    ///
    /// An unknown kind, a subject that is not an address, a failing store.
    pub fn receive(
        &self,
        id: &str,
        kind: &str,
        subject: &str,
        channel: Channel<'_>,
        now: u64,
    ) -> Result<RequestRecord, GdprError> {
        // The request's shape.
        if !KINDS.contains(&kind) {
            return Err(GdprError("unknown kind of request".into()));
        }
        if address_problem(subject).is_some() {
            return Err(GdprError("the subject is not an address".into()));
        }
        if let Some(known) = self.store.request(id)? {
            return Ok(known);
        }

        // Excess first, then identity.
        let (state, why) = if self.excessive(subject, kind, now)? {
            (RequestState::Refused, EXCESSIVE)
        } else {
            match channel {
                Channel::Authenticated(user)
                    if user.eq_ignore_ascii_case(subject) =>
                {
                    (RequestState::Verified, "authenticated as the subject")
                }
                _ => (
                    RequestState::PendingVerification,
                    "identity not verified: nothing is released until it is",
                ),
            }
        };
        let first = decision(state, now, why);
        let record = RequestRecord {
            id: id.to_string(),
            kind: kind.to_string(),
            subject: subject.to_string(),
            channel: channel_label(channel),
            state: first.state,
            received_at: now,
            history: vec![first],
            outcome: None,
        };
        self.store.insert_request(&record)?;
        // N.B. A concurrent insert of the same id wins; read it back.
        Ok(self.store.request(id)?.unwrap_or(record))
    }

    /// Whether `subject` has had [`Policy::per_period`] requests of `kind`
    /// verified within the period before `now`. Only verified requests
    /// count: unverified ones in the subject's name, which anyone can
    /// send, must not use up the subject's own.
    fn excessive(
        &self,
        subject: &str,
        kind: &str,
        now: u64,
    ) -> Result<bool, GdprError> {
        let since = now.saturating_sub(self.policy.period);
        let counted = [
            RequestState::Verified,
            RequestState::InProgress,
            RequestState::Completed,
        ];
        let verified = self
            .store
            .requests_of(subject, since)?
            .iter()
            .filter(|r| r.kind == kind && counted.contains(&r.state))
            .count();
        Ok(verified >= self.policy.per_period)
    }

    /// Confirms the requester's identity (checked by the host) at `now`;
    /// a request that is excessive by then is refused instead.
    ///
    /// # Errors
    ///
    /// No such request, one not pending verification, a failing store.
    pub fn verify_identity(
        &self,
        id: &str,
        now: u64,
    ) -> Result<RequestRecord, GdprError> {
        let r = self
            .store
            .request(id)?
            .ok_or_else(|| GdprError("no such request".into()))?;
        let d = if self.excessive(&r.subject, &r.kind, now)? {
            decision(RequestState::Refused, now, EXCESSIVE)
        } else {
            decision(RequestState::Verified, now, "identity verified")
        };
        let pending = [RequestState::PendingVerification];
        match self.store.transition(id, &pending, &d, None)? {
            Some((r, true)) => Ok(r),
            Some(_) => Err(GdprError("the request is not pending".into())),
            None => Err(GdprError("no such request".into())),
        }
    }

    /// The request, when data may be released for it: verified, and not
    /// refused.
    ///
    /// # Errors
    ///
    /// No such request, one pending verification or refused.
    pub fn release(&self, id: &str) -> Result<RequestRecord, GdprError> {
        let r = self
            .store
            .request(id)?
            .ok_or_else(|| GdprError("no such request".into()))?;
        match r.state {
            RequestState::PendingVerification => Err(GdprError(
                "the request is pending identity verification: nothing is \
                 released"
                    .into(),
            )),
            RequestState::Refused => {
                Err(GdprError("the request was refused".into()))
            }
            _ => Ok(r),
        }
    }

    /// Takes verified request `id` for this worker at `now`.
    ///
    /// # Errors
    ///
    /// No such request, one not verified or refused, one that another
    /// worker holds, a failing store.
    pub fn begin(&self, id: &str, now: u64) -> Result<Started, GdprError> {
        self.release(id)?;
        let d = decision(RequestState::InProgress, now, "being answered");
        let verified = [RequestState::Verified];
        let Some((r, changed)) =
            self.store.transition(id, &verified, &d, None)?
        else {
            return Err(GdprError("no such request".into()));
        };
        match (changed, r.state) {
            (true, _) => Ok(Started::Now(r)),
            (false, RequestState::Completed) => {
                Ok(Started::AlreadyCompleted(r.outcome.unwrap_or(Value::Null)))
            }
            _ => {
                Err(GdprError("the request is being answered already".into()))
            }
        }
    }

    /// Marks request `id` answered at `now` with `outcome`.
    ///
    /// # Errors
    ///
    /// No such request, one not in progress, a failing store.
    pub fn complete(
        &self,
        id: &str,
        outcome: &Value,
        now: u64,
    ) -> Result<RequestRecord, GdprError> {
        let d = decision(RequestState::Completed, now, "answered");
        let taken = [RequestState::InProgress];
        match self.store.transition(id, &taken, &d, Some(outcome))? {
            Some((r, true)) => Ok(r),
            _ => Err(GdprError("the request is not in progress".into())),
        }
    }

    /// Gives request `id` back after a failed answer, so it can be tried
    /// again.
    fn abandon(&self, id: &str, now: u64) -> Result<(), GdprError> {
        let d = decision(RequestState::Verified, now, "answer failed");
        self.store.transition(id, &[RequestState::InProgress], &d, None)?;
        Ok(())
    }

    /// When `request` must be answered: one month from the day it was
    /// received (UTC), pending verification or not.
    pub fn deadline(
        &self,
        request: &RequestRecord,
        extension_notice: Option<Date>,
    ) -> Deadline {
        let day = format_rfc3339(request.received_at);
        // N.B. format_rfc3339 always starts with YYYY-MM-DD.
        let received =
            day[..10].parse().unwrap_or(Date { year: 1970, month: 1, day: 1 });
        deadline(received, extension_notice)
    }

    /// Queues an Art. 19 notification of `kind` to each recipient in the
    /// processing records of `subject`, once each.
    fn notify(
        &self,
        request: &str,
        subject: &str,
        kind: &str,
        now: u64,
    ) -> Result<Vec<Notification>, GdprError> {
        let mut recipients: Vec<String> = Vec::new();
        for r in self.store.processing_of(subject)? {
            for to in r.recipients {
                if !recipients.contains(&to) {
                    recipients.push(to);
                }
            }
        }
        let mut out = Vec::new();
        for recipient in recipients {
            let n = Notification {
                request: request.to_string(),
                recipient,
                kind: kind.to_string(),
                queued_at: now,
            };
            self.store.queue_notification(&n)?;
            out.push(n);
        }
        Ok(out)
    }
}

/// Checks that request `id` exists and is of `kind`, so that an answer
/// of one kind is never recorded on a request of another.
fn of_kind<S: Store>(
    requests: &Requests<S>,
    id: &str,
    kind: &str,
) -> Result<(), GdprError> {
    let r = requests
        .store
        .request(id)?
        .ok_or_else(|| GdprError("no such request".into()))?;
    if r.kind != kind {
        return Err(GdprError(format!("the request is not of {kind}")));
    }
    Ok(())
}

fn channel_label(channel: Channel<'_>) -> String {
    match channel {
        Channel::Unauthenticated => "unauthenticated".to_string(),
        Channel::Authenticated(user) => format!("authenticated:{user}"),
    }
}

/// The answer to an erasure request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureAnswer {
    /// The request.
    pub request: String,
    /// `completed`, or `already_completed` for a duplicate.
    pub status: String,
    /// Ids of messages from which the subject was erased.
    pub erased: Vec<String>,
    /// Messages retained under a legal hold, with the basis.
    pub retained: Vec<Held>,
    /// The subject's audit pseudonym key was destroyed now (false: there
    /// was none).
    pub pseudonym_key_shredded: bool,
    /// Backups in which the subject's data is beyond use until expiry.
    pub backups_beyond_use: Vec<BeyondUse>,
    /// Art. 19 notifications queued.
    pub notifications: Vec<Notification>,
    /// The subject's processing records removed from the store.
    pub processing_records_removed: u64,
}

/// Answers erasure request `id`: copies the mbox `input` to `out` without
/// the subject (messages under `holds` copied unchanged and listed), then
/// shreds, marks and notifies as the module documentation says. A
/// request answered already gives its first answer back, with the status
/// `already_completed`, and writes nothing.
///
/// # Errors
///
/// A request of another kind; as [`Requests::begin`] and
/// [`super::erase`]; after a failed rewrite the request can be taken
/// again.
pub fn erasure<S: Store>(
    requests: &Requests<S>,
    id: &str,
    matcher: &Matcher,
    input: impl std::io::BufRead,
    holds: &std::collections::HashMap<String, String>,
    out: &mut impl std::io::Write,
    now: u64,
) -> Result<ErasureAnswer, GdprError> {
    // N.B. A retry after a failure past the rewrite may queue a
    // notification or mark a backup twice; it never skips one.
    of_kind(requests, id, "erasure")?;
    answer_once(
        requests,
        id,
        now,
        |first: &mut ErasureAnswer| first.status = ALREADY.into(),
        |request| {
            owe_erasure(requests, request, matcher, input, holds, out, now)
        },
    )
}

/// The status of an answer given back for a duplicate request.
const ALREADY: &str = "already_completed";

/// Takes request `id` and answers it with `owe`, once: a request answered
/// already gives its first answer back, marked by `already`; a failure of
/// `owe` gives the request back, to be tried again.
fn answer_once<S: Store, A: serde::de::DeserializeOwned>(
    requests: &Requests<S>,
    id: &str,
    now: u64,
    already: impl FnOnce(&mut A),
    owe: impl FnOnce(&RequestRecord) -> Result<A, GdprError>,
) -> Result<A, GdprError> {
    // The claim: a duplicate ends here.
    let request = match requests.begin(id, now)? {
        Started::Now(r) => r,
        Started::AlreadyCompleted(outcome) => {
            let mut first: A = serde_json::from_value(outcome)
                .map_err(|_| GdprError("a stored answer is damaged".into()))?;
            already(&mut first);
            return Ok(first);
        }
    };

    // A failure gives the request back.
    owe(&request).or_else(|e| {
        requests.abandon(id, now)?;
        Err(e)
    })
}

/// The archive, then what the erasure owes, then the answer recorded.
fn owe_erasure<S: Store>(
    requests: &Requests<S>,
    request: &RequestRecord,
    matcher: &Matcher,
    input: impl std::io::BufRead,
    holds: &std::collections::HashMap<String, String>,
    out: &mut impl std::io::Write,
    now: u64,
) -> Result<ErasureAnswer, GdprError> {
    let report = super::erase(matcher, input, holds, out)?;
    let store = requests.store();
    let (id, subject) = (request.id.as_str(), request.subject.as_str());
    let answer = ErasureAnswer {
        request: id.to_string(),
        status: "completed".into(),
        erased: [report.changed, report.rebuilt].concat(),
        retained: report.held,
        pseudonym_key_shredded: store.shred_pseudonym_key(subject)?,
        backups_beyond_use: store.mark_beyond_use(subject, id, now)?,
        notifications: requests.notify(id, subject, "erasure", now)?,
        // N.B. After the recipients were read from them.
        processing_records_removed: store.remove_processing(subject)?,
    };
    let outcome =
        serde_json::to_value(&answer).map_err(|e| GdprError(e.to_string()))?;
    requests.complete(id, &outcome, now)?;
    Ok(answer)
}

/// The answer to a rectification request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RectificationAnswer {
    /// The request.
    pub request: String,
    /// `completed`, or `already_completed` for a duplicate.
    pub status: String,
    /// Ids of messages rewritten with the new address.
    pub rectified: Vec<String>,
    /// Processing records moved to the new address.
    pub records_moved: u64,
    /// A supplementary statement kept with the request (Art. 16).
    pub statement: Option<String>,
    /// Art. 19 notifications queued.
    pub notifications: Vec<Notification>,
}

/// What a rectification changes: a new address, with the archive to
/// rewrite, or a supplementary statement.
///
/// Its `Debug` form names the variant only, never the address or the
/// statement.
pub enum Change<'a, R, W> {
    /// Replace the subject's addresses by this one in `input`, written to
    /// `out`, and move the processing records to it.
    Address {
        /// The new address.
        new: &'a str,
        /// The subject's identifiers (addresses only).
        matcher: &'a Matcher,
        /// The mbox read.
        input: R,
        /// Its copy.
        out: &'a mut W,
    },
    /// Complete the data with the subject's statement, kept as given.
    Statement(&'a str),
}

impl<R, W> std::fmt::Debug for Change<'_, R, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Change::Address { .. } => "Change::Address",
            Change::Statement(_) => "Change::Statement",
        })
    }
}

/// Answers rectification request `id`. A new address that is not one is
/// refused with the reason, and the refusal is recorded.
///
/// # Errors
///
/// A request of another kind; as [`Requests::begin`] and
/// [`super::rectify`]; an invalid address, named by what is wrong with
/// it, never quoted.
pub fn rectification<S: Store, R: std::io::BufRead, W: std::io::Write>(
    requests: &Requests<S>,
    id: &str,
    change: Change<'_, R, W>,
    now: u64,
) -> Result<RectificationAnswer, GdprError> {
    // An invalid value refuses the request, with its reason.
    of_kind(requests, id, "rectification")?;
    if let Change::Address { new, .. } = &change
        && let Some(problem) = address_problem(new)
    {
        let reason = format!("the new value is not a mail address: {problem}");
        let d = decision(RequestState::Refused, now, &reason);
        let open = [RequestState::Verified, RequestState::PendingVerification];
        requests.store.transition(id, &open, &d, None)?;
        return Err(GdprError(reason));
    }
    answer_once(
        requests,
        id,
        now,
        |first: &mut RectificationAnswer| first.status = ALREADY.into(),
        |request| owe_rectification(requests, request, change, now),
    )
}

/// The change, then the notifications, then the answer recorded.
fn owe_rectification<S: Store, R: std::io::BufRead, W: std::io::Write>(
    requests: &Requests<S>,
    request: &RequestRecord,
    change: Change<'_, R, W>,
    now: u64,
) -> Result<RectificationAnswer, GdprError> {
    let store = requests.store();
    let id = request.id.as_str();
    let mut subject = request.subject.clone();
    let (rectified, records_moved, statement) = match change {
        Change::Address { new, matcher, input, out } => {
            let report = super::rectify(matcher, input, new, out)?;
            let moved = store.rename_subject(&subject, new)?;
            subject = new.to_string();
            ([report.changed, report.rebuilt].concat(), moved, None)
        }
        Change::Statement(text) => (Vec::new(), 0, Some(text.to_string())),
    };
    let answer = RectificationAnswer {
        request: id.to_string(),
        status: "completed".into(),
        rectified,
        records_moved,
        statement,
        notifications: requests.notify(id, &subject, "rectification", now)?,
    };
    let outcome =
        serde_json::to_value(&answer).map_err(|e| GdprError(e.to_string()))?;
    requests.complete(id, &outcome, now)?;
    Ok(answer)
}
