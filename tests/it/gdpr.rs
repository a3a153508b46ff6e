//! Subject requests over a small mbox: exact matching, access,
//! portability, erasure with legal holds, rectification.

use std::collections::HashMap;

use mailshield::engine::Engine;
use mailshield::gdpr::{
    Kind, Matcher, Subject, erase, mentions, read_holds, rectify,
};
use mailshield::mail::{Limits, Message, Source, mbox_messages};
use mailshield::rules::FieldRole;
use mailshield::scan::Field;

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
    assert_eq!(err.to_string(), "the new value is not a mail address");
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
