//! Subject requests over a small mbox: exact matching, access,
//! portability, erasure with legal holds, rectification.

use std::collections::HashMap;

use mailshield::engine::Engine;
use mailshield::gdpr::export::{Manifest, Options, export};
use mailshield::gdpr::requests::{
    Change, Channel, EXCESSIVE, Requests, Started, erasure, rectification,
};
use mailshield::gdpr::{
    Kind, Matcher, Subject, address_problem, erase, mentions, read_holds,
    rectify,
};
use mailshield::mail::{Limits, Message, Source, mbox_messages};
use mailshield::rules::FieldRole;
use mailshield::scan::Field;
use mailshield::store::{
    Backup, ProcessingRecord, RequestState, SqliteStore, Store,
};

fn alice() -> Subject {
    Subject {
        emails: vec!["alice@example.com".into()],
        phones: vec!["415-555-0134".into()],
        names: vec!["Alice Example".into()],
    }
}

fn hits_in(m: &Matcher, text: &str) -> Vec<(usize, usize, Kind)> {
    let field = [Field::new("body", FieldRole::Body, text.as_bytes())];
    m.hits(&field).iter().map(|h| (h.start, h.end, h.kind)).collect()
}

#[test]
fn identifiers_match_exactly() {
    let m = Matcher::new(&alice()).unwrap();
    let text = "Alice@Example.com, malice@example.com, bob.alice@example.com, \
                alice+news@example.com, alice@example.community and \
                alice@example.com.";
    let found: Vec<&str> =
        hits_in(&m, text).iter().map(|&(s, e, _)| &text[s..e]).collect();
    assert_eq!(found, ["Alice@Example.com", "alice@example.com"]);

    // Every character a local part may hold makes a longer address.
    let text = "bounce=alice@example.com o'alice@example.com \
                x/alice@example.com a&alice@example.com ~alice@example.com \
                {alice@example.com";
    assert!(hits_in(&m, text).is_empty(), "{:?}", hits_in(&m, text));

    let text = "call (415) 555-0134, 1415 555 0134, 4155550134 or 94155550134";
    let found: Vec<&str> =
        hits_in(&m, text).iter().map(|&(s, e, _)| &text[s..e]).collect();
    assert_eq!(found, ["(415) 555-0134", "4155550134"]);

    let text = "Dear alice\n  EXAMPLE, from Malice Example and Alice Examples";
    let found: Vec<&str> =
        hits_in(&m, text).iter().map(|&(s, e, _)| &text[s..e]).collect();
    assert_eq!(found, ["alice\n  EXAMPLE"]);

    // A letter of any script touching the name makes another word.
    let text = "\u{c9}Alice Example, Alice Example\u{e9}, (Alice Example)";
    let found: Vec<&str> =
        hits_in(&m, text).iter().map(|&(s, e, _)| &text[s..e]).collect();
    assert_eq!(found, ["Alice Example"]);
}

#[test]
fn a_name_given_with_odd_spacing_still_matches() {
    let s = Subject {
        names: vec![" Alice \t Example ".into()],
        ..Subject::default()
    };
    let m = Matcher::new(&s).unwrap();
    let found: Vec<_> = hits_in(&m, "Dear Alice Example,")
        .iter()
        .map(|h| (h.0, h.1))
        .collect();
    assert_eq!(found, [(5, 18)]);
}

#[test]
fn bad_identifiers_are_refused_without_quoting_them() {
    let bad = [
        Subject { emails: vec!["not-an-email".into()], ..Subject::default() },
        Subject { phones: vec!["12".into()], ..Subject::default() },
        Subject { names: vec!["  ".into()], ..Subject::default() },
        Subject::default(),
    ];
    for s in bad {
        let err = Matcher::new(&s).unwrap_err().to_string();
        assert!(!err.contains("not-an-email"), "{err}");
    }
}

/// Five messages: from Alice; to Alice in a base64 body; about malice@;
/// unrelated; from Alice, under a legal hold in the erasure test.
fn archive() -> Vec<u8> {
    let messages = [
        "From: Alice Example <alice@example.com>\nTo: bob@example.org\n\
         Subject: lunch\nMessage-ID: <m1@example.com>\n\n\
         Bob, call me on (415) 555-0134. Carol is carol@example.net.\n",
        "From: bob@example.org\nTo: team@example.org\n\
         Subject: notes\nMessage-ID: <m2@example.com>\nMIME-Version: 1.0\n\
         Content-Type: text/plain; charset=utf-8\n\
         Content-Transfer-Encoding: base64\n\n\
         V3JpdGUgdG8gYWxpY2VAZXhhbXBsZS5jb20gYWJvdXQgaXQu\n",
        "From: bob@example.org\nTo: malice@example.com\n\
         Subject: hi\nMessage-ID: <m3@example.com>\n\nHi Malice Example.\n",
        "From: dan@example.org\nTo: bob@example.org\n\
         Subject: build\nMessage-ID: <m4@example.com>\n\nThe build is green.\n",
        "From: alice@example.com\nTo: legal@example.org\n\
         Subject: contract\nMessage-ID: <m5@example.com>\n\nSigned. Alice\n",
    ];
    let mut mbox = Vec::new();
    for m in messages {
        mbox.extend_from_slice(b"From sender Thu Dec  3 10:00:00 2026\n");
        mbox.extend_from_slice(m.as_bytes());
        mbox.push(b'\n');
    }
    mbox
}

fn messages(mbox: &[u8]) -> Vec<Message> {
    mbox_messages(mbox, Limits::default())
        .unwrap()
        .enumerate()
        .map(|(i, raw)| {
            let source = Source { path: "a.mbox".into(), index: i };
            Message::from_raw(&raw.unwrap().bytes, source, &Limits::default())
        })
        .collect()
}

#[test]
fn access_returns_exactly_the_messages_that_mention_the_subject() {
    let m = Matcher::new(&alice()).unwrap();
    let got = mentions(&m, messages(&archive()).into_iter(), None);
    let ids: Vec<&str> = got.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(ids, ["m1@example.com", "m2@example.com", "m5@example.com"]);
    assert_eq!(got[0].hits.len(), 3);
    let json = serde_json::to_value(&got[1]).unwrap();
    assert_eq!(
        json["fields"][3]["text"],
        "Write to alice@example.com about it."
    );
}

#[test]
fn portability_exports_what_the_subject_sent_without_others_data() {
    let m = Matcher::new(&alice()).unwrap();
    let engine = Engine::builtin("default").unwrap();
    let got = mentions(&m, messages(&archive()).into_iter(), Some(&engine));
    let ids: Vec<&str> = got.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(ids, ["m1@example.com", "m5@example.com"]);
    let body = &got[0].fields.iter().find(|f| f.name == "body").unwrap().text;
    assert_eq!(
        body,
        "Bob, call me on (415) 555-0134. Carol is [EMAIL_REDACTED].\n"
    );
    let to = &got[0].fields.iter().find(|f| f.name == "to").unwrap().text;
    assert_eq!(to, "[EMAIL_REDACTED]");
}

#[test]
fn erasure_leaves_no_identifier_outside_holds_and_lists_the_holds() {
    let m = Matcher::new(&alice()).unwrap();
    let holds =
        read_holds("# id\tbasis\n<m5@example.com>\tlitigation hold 2026-17\n")
            .unwrap();
    let mut out = Vec::new();
    let report = erase(&m, archive().as_slice(), &holds, &mut out).unwrap();
    assert_eq!(report.messages, 5);
    assert_eq!(report.changed, ["m1@example.com"]);
    assert_eq!(report.rebuilt, ["m2@example.com"]);
    assert_eq!(report.held.len(), 1);
    assert_eq!(report.held[0].basis, "litigation hold 2026-17");

    let after = messages(&out);
    assert_eq!(after.len(), 5);
    for msg in &after[..4] {
        assert!(m.hits(&msg.fields).is_empty(), "{:?}", msg.id);
    }
    // The held message is kept as it was; the unrelated ones too.
    let before = messages(&archive());
    assert_eq!(after[4].fields[0].text, before[4].fields[0].text);
    assert!(!m.hits(&after[4].fields).is_empty());
    assert_eq!(
        after[3].fields.last().unwrap().text,
        before[3].fields.last().unwrap().text
    );
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.contains(
            "Bob, call me on [REDACTED]. Carol is carol@example.net."
        )
    );
}

#[test]
fn rectification_replaces_the_address_with_a_valid_one_only() {
    let only_email = Subject {
        emails: vec!["alice@example.com".into()],
        ..Subject::default()
    };
    let m = Matcher::new(&only_email).unwrap();
    let mut out = Vec::new();
    let err = rectify(&m, archive().as_slice(), "not-an-email", &mut out)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the new value is not a mail address: it has no @"
    );
    let report =
        rectify(&m, archive().as_slice(), "alice@new.example", &mut out)
            .unwrap();
    assert_eq!(report.changed, ["m1@example.com", "m5@example.com"]);
    assert!(
        String::from_utf8_lossy(&out)
            .contains("From: Alice Example <alice@new.example>")
    );
}

#[test]
fn hold_files_name_their_bad_lines() {
    let err = read_holds("m1@example.com litigation\n").unwrap_err();
    assert_eq!(err.to_string(), "holds line 1: no tab between id and basis");
    let err = read_holds("\n\tbasis\n").unwrap_err();
    assert_eq!(err.to_string(), "holds line 2: empty id or basis");
    let ok = read_holds("<a@b>\tbasis\r\n").unwrap();
    assert_eq!(ok, HashMap::from([("a@b".to_string(), "basis".to_string())]));
}

const T0: u64 = 1_780_000_000;
const DAY: u64 = 86_400;

/// Requests in a fresh store, where Alice's data goes to two recipients
/// and two backups exist, one of them expired.
fn requests() -> Requests<SqliteStore> {
    let store = SqliteStore::in_memory().unwrap();
    for (purpose, recipients) in [
        ("billing", vec!["payroll provider (EU)", "tax office"]),
        ("support", vec!["payroll provider (EU)", "helpdesk vendor (US)"]),
    ] {
        store
            .record_processing(&ProcessingRecord {
                subject: "alice@example.com".into(),
                purpose: purpose.into(),
                legal_basis: "contract".into(),
                categories: vec!["contact details".into()],
                recipients: recipients.into_iter().map(String::from).collect(),
                retention: "6 years".into(),
                source: None,
                recorded_at: T0 - DAY,
            })
            .unwrap();
    }
    for (id, expires_at) in
        [("nightly-1", T0 + 30 * DAY), ("weekly-1", T0 + 90 * DAY)]
    {
        store.add_backup(&Backup { id: id.into(), expires_at }).unwrap();
    }
    store
        .add_backup(&Backup { id: "old".into(), expires_at: T0 - 1 })
        .unwrap();
    Requests::new(store)
}

const ALICE: Channel<'static> = Channel::Authenticated("Alice@Example.com");

// HOSTILE 121: nothing is released before the requester is verified, and
// the pending state is kept with its time.
// Regression: a request's Debug form printed the subject's address, the
// authenticated user's, and a rectification's new address.
#[test]
fn debug_forms_of_requests_name_no_address() {
    let r = requests();
    let record = r
        .receive(
            "r1",
            "access",
            "alice@example.com",
            Channel::Authenticated("bob@example.org"),
            T0,
        )
        .unwrap();
    let m = Matcher::new(&alice()).unwrap();
    let (mut out, input) = (Vec::<u8>::new(), std::io::empty());
    let new = "alice@example.net";
    let change = Change::Address { new, matcher: &m, input, out: &mut out };
    let texts = [
        format!("{record:?}"),
        format!("{:?}", Started::Now(record.clone())),
        format!("{change:?}"),
        format!("{:?}", Change::<std::io::Empty, Vec<u8>>::Statement(new)),
    ];
    for text in &texts {
        assert!(!text.contains('@'), "{text}");
    }
    assert!(texts[0].starts_with("RequestRecord { id: \"r1\""));
    assert_eq!(texts[2], "Change::Address");
}

#[test]
fn a_request_from_an_unverified_channel_waits_for_verification() {
    let r = requests();
    let anon = r
        .receive(
            "r1",
            "access",
            "alice@example.com",
            Channel::Unauthenticated,
            T0,
        )
        .unwrap();
    let other = r
        .receive(
            "r2",
            "access",
            "alice@example.com",
            Channel::Authenticated("bob@example.org"),
            T0 + 5,
        )
        .unwrap();
    for (req, at, channel) in [
        (&anon, T0, "unauthenticated"),
        (&other, T0 + 5, "authenticated:bob@example.org"),
    ] {
        assert_eq!(req.state, RequestState::PendingVerification);
        assert_eq!(req.channel, channel);
        assert_eq!(req.history[0].at, at);
        let err = r.release(&req.id).unwrap_err().to_string();
        assert_eq!(
            err,
            "the request is pending identity verification: nothing is \
             released"
        );
        assert!(r.begin(&req.id, at + 1).is_err());
    }
    // The deadline runs from receipt, pending or not.
    let due = r.deadline(&anon, None).due.to_string();
    assert_eq!(due, "2026-06-28");
    // Verified by the host: released, with both decisions kept.
    let v = r.verify_identity("r1", T0 + DAY).unwrap();
    assert_eq!(v.state, RequestState::Verified);
    let states: Vec<_> = v.history.iter().map(|d| (d.state, d.at)).collect();
    assert_eq!(
        states,
        [
            (RequestState::PendingVerification, T0),
            (RequestState::Verified, T0 + DAY)
        ]
    );
    assert!(r.release("r1").is_ok());
    assert_eq!(r.deadline(&v, None).due.to_string(), "2026-06-28");
    // The subject's own session is verified on receipt.
    let own =
        r.receive("r3", "access", "alice@example.com", ALICE, T0).unwrap();
    assert_eq!(own.state, RequestState::Verified);
}

// HOSTILE 125: the third access request in 30 days is refused as
// excessive, with the right to complain; every decision is kept.
#[test]
fn repeated_requests_are_refused_as_excessive_and_recorded() {
    let r = requests();
    let mut states = Vec::new();
    for i in 0..50u64 {
        let req = r
            .receive(
                &format!("a{i}"),
                "access",
                "alice@example.com",
                ALICE,
                T0 + i * 60,
            )
            .unwrap();
        states.push(req.state);
    }
    assert_eq!(&states[..2], [RequestState::Verified; 2]);
    assert!(states[2..].iter().all(|s| *s == RequestState::Refused));
    let refused = r.store().request("a2").unwrap().unwrap();
    assert_eq!(refused.history[0].reason.as_deref(), Some(EXCESSIVE));
    assert!(EXCESSIVE.contains("complaint with a supervisory authority"));
    assert!(r.release("a2").is_err());
    // All fifty decisions are on record.
    let kept = r.store().requests_of("alice@example.com", T0).unwrap();
    assert_eq!(kept.len(), 50);
    // Another kind is counted apart; a month later access is open again.
    let e =
        r.receive("e1", "erasure", "alice@example.com", ALICE, T0).unwrap();
    assert_eq!(e.state, RequestState::Verified);
    let later = r
        .receive("a50", "access", "alice@example.com", ALICE, T0 + 31 * DAY)
        .unwrap();
    assert_eq!(later.state, RequestState::Verified);
    // The same id again is the same request, not a new one.
    let again = r
        .receive("a0", "access", "alice@example.com", ALICE, T0 + 99)
        .unwrap();
    assert_eq!(again.received_at, T0);
    // Requests in Alice's name that nobody verified do not use up hers.
    let r = requests();
    for i in 0..10 {
        let id = format!("x{i}");
        let anon = Channel::Unauthenticated;
        r.receive(&id, "access", "alice@example.com", anon, T0).unwrap();
    }
    let own = r.receive("own", "access", "alice@example.com", ALICE, T0);
    assert_eq!(own.unwrap().state, RequestState::Verified);
}

// HOSTILE 118: held records retained with their basis, the rest erased;
// backups beyond use until they expire; a notification per recipient;
// the answer lists both.
#[test]
fn an_erasure_marks_backups_notifies_recipients_and_lists_what_it_kept() {
    let r = requests();
    r.receive("e1", "erasure", "alice@example.com", ALICE, T0).unwrap();
    let m = Matcher::new(&alice()).unwrap();
    let holds =
        read_holds("m5@example.com\tlitigation hold 2026-17\n").unwrap();
    let mut out = Vec::new();
    let answer =
        erasure(&r, "e1", &m, archive().as_slice(), &holds, &mut out, T0 + 60)
            .unwrap();
    assert_eq!(answer.status, "completed");
    assert_eq!(answer.erased, ["m1@example.com", "m2@example.com"]);
    assert_eq!(answer.retained.len(), 1);
    assert_eq!(
        (answer.retained[0].id.as_str(), answer.retained[0].basis.as_str()),
        ("m5@example.com", "litigation hold 2026-17")
    );
    let backups: Vec<_> = answer
        .backups_beyond_use
        .iter()
        .map(|b| (b.backup.as_str(), b.marked_at, b.expires_at))
        .collect();
    assert_eq!(
        backups,
        [
            ("nightly-1", T0 + 60, T0 + 30 * DAY),
            ("weekly-1", T0 + 60, T0 + 90 * DAY)
        ]
    );
    let to: Vec<_> =
        answer.notifications.iter().map(|n| n.recipient.as_str()).collect();
    assert_eq!(
        to,
        ["payroll provider (EU)", "tax office", "helpdesk vendor (US)"]
    );
    assert!(answer.notifications.iter().all(|n| n.kind == "erasure"));
    assert_eq!(r.store().notifications().unwrap(), answer.notifications);
    // The store no longer holds what it processed about her.
    assert_eq!(answer.processing_records_removed, 2);
    assert!(r.store().processing_of("alice@example.com").unwrap().is_empty());
    let done = r.store().request("e1").unwrap().unwrap();
    assert_eq!(done.state, RequestState::Completed);
}

// HOSTILE 124: a duplicate erasure answers "already completed" and does
// nothing again.
#[test]
fn a_duplicate_erasure_returns_already_completed() {
    let r = requests();
    r.receive("e1", "erasure", "alice@example.com", ALICE, T0).unwrap();
    let m = Matcher::new(&alice()).unwrap();
    let holds = HashMap::new();
    let mut out = Vec::new();
    let first =
        erasure(&r, "e1", &m, archive().as_slice(), &holds, &mut out, T0)
            .unwrap();
    let mut again_out = Vec::new();
    let again = erasure(
        &r,
        "e1",
        &m,
        archive().as_slice(),
        &holds,
        &mut again_out,
        T0 + 10,
    )
    .unwrap();
    assert_eq!(again.status, "already_completed");
    assert_eq!(again.erased, first.erased);
    assert!(again_out.is_empty());
    assert_eq!(r.store().notifications().unwrap().len(), 3);
    // A worker that finds it taken is told so, not let in.
    r.receive("e2", "erasure", "alice@example.com", ALICE, T0).unwrap();
    assert!(matches!(r.begin("e2", T0), Ok(Started::Now(_))));
    let err = r.begin("e2", T0).unwrap_err().to_string();
    assert_eq!(err, "the request is being answered already");
}

// Regression: erasure and rectification answered a request of any kind:
// an access request's id erased the subject and recorded the erasure on
// it.
#[test]
fn a_request_of_another_kind_is_not_answered() {
    let r = requests();
    r.receive("a1", "access", "alice@example.com", ALICE, T0).unwrap();
    let m = Matcher::new(&alice()).unwrap();
    let mut out = Vec::new();
    let holds = HashMap::new();
    let err =
        erasure(&r, "a1", &m, archive().as_slice(), &holds, &mut out, T0)
            .unwrap_err()
            .to_string();
    assert_eq!(err, "the request is not of erasure");
    let change = Change::<std::io::Empty, Vec<u8>>::Statement("a note");
    let err = rectification(&r, "a1", change, T0).unwrap_err().to_string();
    assert_eq!(err, "the request is not of rectification");
    assert!(out.is_empty());
    let record = r.store().request("a1").unwrap().unwrap();
    assert_eq!(
        (record.state, record.history.len()),
        (RequestState::Verified, 1)
    );
    assert_eq!(r.store().notifications().unwrap(), []);
}

// HOSTILE 124: an export that opened the archive before the erased copy
// was renamed over it reads the old archive whole; one that opens it
// after reads none of the erased data. Never a mixture.
#[test]
fn an_export_racing_an_erasure_sees_one_archive_or_the_other() {
    let dir = crate::support::TempDir::new("gdpr");
    let path = dir.join("a.mbox");
    std::fs::write(&path, archive()).unwrap();
    let m = Matcher::new(&alice()).unwrap();
    let read = |file: std::fs::File| {
        let reader = std::io::BufReader::new(file);
        let msgs: Vec<Message> = mbox_messages(reader, Limits::default())
            .unwrap()
            .enumerate()
            .map(|(i, raw)| {
                let source = Source { path: "a.mbox".into(), index: i };
                Message::from_raw(
                    &raw.unwrap().bytes,
                    source,
                    &Limits::default(),
                )
            })
            .collect();
        mentions(&m, msgs.into_iter(), None).len()
    };
    // The export opens first; the erasure writes its copy and swaps it in.
    let before = std::fs::File::open(&path).unwrap();
    let copy = dir.join("a.mbox.partial");
    let mut out = std::fs::File::create(&copy).unwrap();
    let holds = HashMap::new();
    let input = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
    erase(&m, input, &holds, &mut out).unwrap();
    std::fs::rename(&copy, &path).unwrap();
    assert_eq!(read(before), 3);
    assert_eq!(read(std::fs::File::open(&path).unwrap()), 0);
}

// HOSTILE 120: a valid new address replaces the old in the archive and
// the store, recipients are told; an invalid one is refused with the
// reason, and the refusal recorded; a supplementary statement is kept.
#[test]
fn rectification_updates_the_store_notifies_and_refuses_bad_values() {
    let r = requests();
    let only_email = Subject {
        emails: vec!["alice@example.com".into()],
        ..Subject::default()
    };
    let m = Matcher::new(&only_email).unwrap();
    // Invalid values, each with its reason, none quoted.
    for (value, problem) in [
        ("not-an-email", "it has no @"),
        ("@example.com", "nothing comes before the @"),
        ("alice@localhost", "its domain has no dot"),
        ("alice@example.com.", "its domain starts or ends with a dot"),
        (
            "al ice@example.com",
            "its local part holds a character an address cannot",
        ),
    ] {
        assert_eq!(address_problem(value), Some(problem), "{value}");
    }
    r.receive("c1", "rectification", "alice@example.com", ALICE, T0).unwrap();
    let mbox = archive();
    let mut out = Vec::new();
    let change = Change::Address {
        new: "not-an-email",
        matcher: &m,
        input: mbox.as_slice(),
        out: &mut out,
    };
    let err = rectification(&r, "c1", change, T0).unwrap_err().to_string();
    assert_eq!(err, "the new value is not a mail address: it has no @");
    let refused = r.store().request("c1").unwrap().unwrap();
    assert_eq!(refused.state, RequestState::Refused);
    assert_eq!(
        refused.history.last().unwrap().reason.as_deref(),
        Some(err.as_str())
    );

    // A valid one.
    r.receive("c2", "rectification", "alice@example.com", ALICE, T0).unwrap();
    let change = Change::Address {
        new: "alice@new.example",
        matcher: &m,
        input: mbox.as_slice(),
        out: &mut out,
    };
    let answer = rectification(&r, "c2", change, T0 + 1).unwrap();
    // m2 mentions the address in base64: rebuilt.
    assert_eq!(
        answer.rectified,
        ["m1@example.com", "m5@example.com", "m2@example.com"]
    );
    assert_eq!(answer.records_moved, 2);
    assert!(r.store().processing_of("alice@example.com").unwrap().is_empty());
    let moved = r.store().processing_of("alice@new.example").unwrap();
    assert_eq!(moved[0].subject, "alice@new.example");
    let to: Vec<_> =
        answer.notifications.iter().map(|n| n.recipient.as_str()).collect();
    assert_eq!(
        to,
        ["payroll provider (EU)", "tax office", "helpdesk vendor (US)"]
    );
    assert!(answer.notifications.iter().all(|n| n.kind == "rectification"));
    // Answered within the deadline.
    let done = r.store().request("c2").unwrap().unwrap();
    let due = r.deadline(&done, None).due.to_string();
    assert!(mailshield::crypto::format_rfc3339(T0 + 1)[..10] <= *due);

    // By supplementary statement.
    r.receive(
        "c3",
        "rectification",
        "alice@new.example",
        Channel::Authenticated("alice@new.example"),
        T0,
    )
    .unwrap();
    let change: Change<'_, &[u8], Vec<u8>> =
        Change::Statement("My employer changed on 2026-04-01.");
    let answer = rectification(&r, "c3", change, T0 + 2).unwrap();
    assert_eq!(
        answer.statement.as_deref(),
        Some("My employer changed on 2026-04-01.")
    );
    let stored = r.store().request("c3").unwrap().unwrap();
    assert_eq!(
        stored.outcome.unwrap()["statement"],
        "My employer changed on 2026-04-01."
    );
}

/// 150 messages: Alice sent 100 (each naming Bob), Bob sent 50 to her.
fn sent_and_received() -> Vec<Message> {
    let mut mbox = Vec::new();
    for i in 0..150 {
        let text = if i % 3 == 2 {
            format!(
                "From: bob@example.org\nTo: alice@example.com\n\
                 Subject: re {i}\nMessage-ID: <r{i}@example.com>\n\n\
                 Bob's reply {i}, from bob@example.org.\n"
            )
        } else {
            format!(
                "From: Alice Example <alice@example.com>\n\
                 To: bob@example.org\nSubject: note {i}\n\
                 Message-ID: <s{i}@example.com>\n\n\
                 Note {i} for Bob: bob@example.org, call 415-555-0134.\n"
            )
        };
        mbox.extend_from_slice(b"From sender Thu Dec  3 10:00:00 2026\n");
        mbox.extend_from_slice(text.as_bytes());
        mbox.push(b'\n');
    }
    messages(&mbox)
}

fn chunk_text(dir: &std::path::Path, manifest: &Manifest) -> String {
    manifest
        .chunks
        .iter()
        .map(|c| std::fs::read_to_string(dir.join(&c.file)).unwrap())
        .collect()
}

// HOSTILE 117: what the subject provided, others' data redacted, UTF-8
// JSON lines with a SHA-256 manifest dated in ISO 8601.
#[test]
fn a_portability_export_covers_what_the_subject_sent_with_a_manifest() {
    let dir = crate::support::TempDir::new("gdpr");
    let out = dir.join("export");
    let m = Matcher::new(&alice()).unwrap();
    let engine = Engine::builtin("default").unwrap();
    let options = Options { chunk_messages: 40 };
    let manifest = export(
        &out,
        &m,
        sent_and_received().into_iter(),
        Some(&engine),
        options,
        T0,
    )
    .unwrap();
    assert_eq!(manifest.format, "mailshield-gdpr-export");
    assert_eq!(manifest.created_at, "2026-05-28T20:26:40Z");
    assert!(manifest.complete);
    assert_eq!(manifest.messages_read, 150);
    // The 100 Alice sent, none of the 50 she received.
    let sent: u64 = manifest.chunks.iter().map(|c| c.mentions).sum();
    assert_eq!(sent, 100);
    let counts: Vec<_> = manifest
        .chunks
        .iter()
        .map(|c| (c.file.as_str(), c.first_message, c.messages, c.mentions))
        .collect();
    assert_eq!(
        counts,
        [
            ("part-000000.jsonl", 0, 40, 27),
            ("part-000001.jsonl", 40, 40, 27),
            ("part-000002.jsonl", 80, 40, 26),
            ("part-000003.jsonl", 120, 30, 20),
        ]
    );
    // Every file matches its hash; every line is a JSON object.
    for c in &manifest.chunks {
        let bytes = std::fs::read(out.join(&c.file)).unwrap();
        let sha = ring::digest::digest(&ring::digest::SHA256, &bytes);
        let hex: String =
            sha.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!((hex, bytes.len() as u64), (c.sha256.clone(), c.bytes));
    }
    let text = chunk_text(&out, &manifest);
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["id"].as_str().unwrap().starts_with('s'));
    }
    assert!(!text.contains("bob@example.org"));
    assert!(text.contains("call 415-555-0134"));
    let on_disk = std::fs::read(out.join("manifest.json")).unwrap();
    let read: Manifest = serde_json::from_slice(&on_disk).unwrap();
    assert_eq!(read, manifest);
}

/// Messages that stop the export (a panic, as a killed process would)
/// after `n` of them.
fn interrupted(all: Vec<Message>, n: usize) -> impl Iterator<Item = Message> {
    all.into_iter()
        .enumerate()
        .map(move |(i, m)| if i == n { panic!("interrupted") } else { m })
}

// HOSTILE 123: chunked, resumable: an export stopped half-way and
// resumed equals one run whole, byte for byte; a damaged chunk is made
// again; a finished export is not redone.
#[test]
fn an_interrupted_export_resumes_where_it_stopped() {
    let dir = crate::support::TempDir::new("gdpr");
    let m = Matcher::new(&alice()).unwrap();
    let options = Options { chunk_messages: 16 };
    let whole = export(
        &dir.join("whole"),
        &m,
        sent_and_received().into_iter(),
        None,
        options,
        T0,
    )
    .unwrap();
    assert_eq!(whole.chunks.len(), 10);

    // Stopped inside the fifth chunk: four are recorded.
    let out = dir.join("resumed");
    let stopped = std::panic::catch_unwind(|| {
        let msgs = interrupted(sent_and_received(), 70);
        export(&out, &m, msgs, None, options, T0)
    });
    assert!(stopped.is_err());
    let partial: Manifest = serde_json::from_slice(
        &std::fs::read(out.join("manifest.partial.json")).unwrap(),
    )
    .unwrap();
    assert_eq!((partial.chunks.len(), partial.messages_read), (4, 64));
    assert!(!out.join("manifest.json").exists());

    // A chunk damaged meanwhile is written again, and those after it.
    std::fs::write(out.join("part-000002.jsonl"), b"{}\n").unwrap();
    let resumed =
        export(&out, &m, sent_and_received().into_iter(), None, options, T0)
            .unwrap();
    assert_eq!(resumed, whole);
    assert_eq!(
        chunk_text(&out, &resumed),
        chunk_text(&dir.join("whole"), &whole)
    );
    assert!(!out.join("manifest.partial.json").exists());

    // Done: called again, it reads nothing and returns the manifest.
    let again =
        export(&out, &m, interrupted(Vec::new(), 0), None, options, T0 + 5);
    assert_eq!(again.unwrap(), whole);
}

// Regression: a partial manifest was trusted as read from disk: counts
// that overflowed their sum panicked, and a chunk's file could name one
// outside the export directory. Such chunks are now written again.
#[test]
fn a_partial_manifest_with_forged_chunks_is_not_trusted() {
    let dir = crate::support::TempDir::new("gdpr");
    let m = Matcher::new(&alice()).unwrap();
    let options = Options { chunk_messages: 16 };
    let whole = export(
        &dir.join("whole"),
        &m,
        sent_and_received().into_iter(),
        None,
        options,
        T0,
    )
    .unwrap();
    let forgeries: [fn(&mut Manifest); 2] = [
        |p| {
            p.chunks[2].messages = u64::MAX;
            p.chunks[3].messages = u64::MAX;
        },
        |p| p.chunks[1].file = "../part-000001.jsonl".into(),
    ];
    for (i, forge) in forgeries.into_iter().enumerate() {
        let out = dir.join(&format!("forged{i}"));
        let stopped = std::panic::catch_unwind(|| {
            let msgs = interrupted(sent_and_received(), 70);
            export(&out, &m, msgs, None, options, T0)
        });
        assert!(stopped.is_err());
        let partial_path = out.join("manifest.partial.json");
        let mut partial: Manifest =
            serde_json::from_slice(&std::fs::read(&partial_path).unwrap())
                .unwrap();
        forge(&mut partial);
        let chunk1 = std::fs::read(out.join("part-000001.jsonl")).unwrap();
        std::fs::write(dir.join("part-000001.jsonl"), chunk1).unwrap();
        std::fs::write(&partial_path, serde_json::to_vec(&partial).unwrap())
            .unwrap();
        let resumed = export(
            &out,
            &m,
            sent_and_received().into_iter(),
            None,
            options,
            T0,
        )
        .unwrap();
        assert_eq!(resumed, whole, "forgery {i}");
    }
}

// HOSTILE 119: the audit log names subjects by keyed pseudonyms; erasure
// shreds the subject's key: the chain still verifies, and the subject's
// id no longer leads to their events.
#[test]
fn erasure_shreds_the_audit_pseudonym_and_the_chain_still_verifies() {
    use mailshield::audit::{
        AuditLog, Event, Pseudonyms, read_events, verify,
    };
    let dir = crate::support::TempDir::new("gdpr");
    let log_path = dir.join("audit.log");
    let key = [4; 32];
    let store =
        std::sync::Arc::new(SqliteStore::open(dir.join("s.db")).unwrap());
    let pseudonyms = Pseudonyms::new(store.clone());
    let log = AuditLog::open(&log_path, &key, None)
        .unwrap()
        .pseudonymize(pseudonyms.clone());
    for (i, user) in
        ["alice@example.com", "bob@example.org", "Alice@Example.com"]
            .iter()
            .enumerate()
    {
        let mut e = Event::new("data_access", T0 + i as u64);
        e.user_id = Some(user.to_string());
        log.append(e).unwrap();
    }
    log.close().unwrap();
    let users = || -> Vec<String> {
        read_events(&log_path)
            .unwrap()
            .map(|e| e.unwrap().user_id.unwrap())
            .collect()
    };
    let before = users();
    let alice_p = pseudonyms.of("alice@example.com").unwrap();
    let bob = pseudonyms.of("bob@example.org").unwrap();
    assert_eq!(before, [alice_p.clone(), bob.clone(), alice_p.clone()]);
    assert!(alice_p.starts_with("p-") && alice_p.len() == 18);
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(!text.contains("example.com") && !text.contains("example.org"));

    // Erasure through a request in the same store.
    // A second connection to the same store, as another process would.
    let r = Requests::new(SqliteStore::open(dir.join("s.db")).unwrap());
    r.receive("e1", "erasure", "alice@example.com", ALICE, T0).unwrap();
    let m = Matcher::new(&alice()).unwrap();
    let mut out = Vec::new();
    let answer = erasure(
        &r,
        "e1",
        &m,
        archive().as_slice(),
        &HashMap::new(),
        &mut out,
        T0 + 10,
    )
    .unwrap();
    assert!(answer.pseudonym_key_shredded);

    // The log is as it was and verifies; Alice's id maps elsewhere now.
    assert_eq!(users(), before);
    let v = verify(&log_path, &key, None).unwrap();
    assert_eq!((v.events, v.broken), (3, None));
    let after = pseudonyms.of("alice@example.com").unwrap();
    assert_ne!(after, alice_p);
    assert!(!users().contains(&after));
    assert_eq!(pseudonyms.of("bob@example.org").unwrap(), bob);
}

// HOSTILE 124: an erasure whose archive cannot be read gives the request
// back: it is not left "being answered" for ever, and a retry completes.
#[test]
fn a_failed_erasure_can_be_tried_again() {
    let r = requests();
    r.receive("e1", "erasure", "alice@example.com", ALICE, T0).unwrap();
    let m = Matcher::new(&alice()).unwrap();
    let holds = HashMap::new();
    // One message over the size limit cannot be copied whole.
    let mut big =
        b"From sender Thu Dec  3 10:00:00 2026\nSubject: x\n\n".to_vec();
    big.resize(big.len() + (65 << 20), b'a');
    let mut out = Vec::new();
    let err = erasure(&r, "e1", &m, big.as_slice(), &holds, &mut out, T0);
    assert!(err.is_err());
    let back = r.store().request("e1").unwrap().unwrap();
    assert_eq!(back.state, RequestState::Verified);
    assert!(r.store().notifications().unwrap().is_empty());
    let mut out = Vec::new();
    let answer =
        erasure(&r, "e1", &m, archive().as_slice(), &holds, &mut out, T0 + 1)
            .unwrap();
    assert_eq!(answer.status, "completed");
}
