//! One message's raw bytes into fields: MIME decoded, limits applied,
//! parser panics contained.
//!
//! [`parse`] gives the fields of SPEC section 5 (`from`, `to`, `cc`,
//! `reply-to`, `subject`, then one per text part) from an RFC 5322
//! message. `mail-parser` does the MIME work (headers, RFC 2047 words,
//! boundaries, base64 and quoted-printable, charsets); this module walks
//! the part tree with an explicit stack, so that no recursion here
//! follows the input's depth, and decides which parts are text.
//!
//! Which parts are fields:
//! - every `text/*` part (inline or attached), and every `message/*` part
//!   that is not an attached message (`delivery-status` and the other
//!   reports, where bounces name addresses; `partial`, a piece of a
//!   message; `external-body`); HTML parts through the HTML converter; a
//!   part with no `Content-Type` is `text/plain`, as MIME says; a
//!   `multipart/*` with no boundary parameter is its body as one text,
//!   with a warning;
//! - of a `multipart/alternative`, only the first alternative that holds
//!   a `text/plain` part; when none does, the last alternative that holds
//!   text (the richest, by MIME's order);
//! - the text parts of attached messages (`message/rfc822`,
//!   `message/global`, the parts of a `multipart/digest`), in place, as
//!   text parts of this message;
//! - nothing else: images, audio, video, applications are not fields.
//!
//! A message with no text part has no `body` field. A leading U+FEFF
//! (a byte-order mark that a charset decoder kept) is dropped from a
//! text part.
//!
//! [`parse_borrowing`] gives the same fields, some of them borrowing the
//! message's bytes where they are the field's text as it is (the body of
//! a plain message, a plain subject); which ones do is not a promise,
//! only that the text is the same.

use std::borrow::Cow;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::LazyLock;

use mail_parser::{
    ContentType, Encoding, HeaderName, HeaderValue, Message, MessageParser,
    MessagePart, PartType,
};

use super::decode;
use super::guard;
use super::headers::{
    Block, NOT_MAIL, check_header_block, header_text, message_id,
};
use super::html;
use super::simple;
use super::{Limits, field_sizes};
use crate::rules::FieldRole;
use crate::scan::Field;

/// How many attached messages deep, each decoded from base64 or
/// quoted-printable inside the one above it, are parsed.
pub(crate) const MAX_DECODE_DEPTH: usize = 3;

/// What [`parse`] made of one message; with [`parse_borrowing`], its
/// fields may borrow the message's bytes (`'a`).
///
/// `Debug` shows field names and sizes, never their text.
#[derive(Clone, Default)]
pub struct Parsed<'a> {
    /// The Message-ID without its angle brackets, when there is one.
    pub id: Option<String>,
    /// The fields, in SPEC section 5 order.
    pub fields: Vec<Field<'a>>,
    /// Problems that did not stop the message from being scanned (a
    /// parser failure, skipped deep parts), one line each, never content.
    pub warnings: Vec<String>,
    /// Problems that left part of the message unscanned.
    pub errors: Vec<String>,
    /// Every byte was decoded into fields (no limit was hit, no part was
    /// undecodable).
    pub complete: bool,
}

/// The parser for the real parse: MIME headers, the headers that become
/// fields, and nothing else.
static PARSER: LazyLock<MessageParser> = LazyLock::new(|| {
    MessageParser::new()
        .with_mime_headers()
        .header_address(HeaderName::From)
        .header_address(HeaderName::To)
        .header_address(HeaderName::Cc)
        .header_address(HeaderName::ReplyTo)
        .header_text(HeaderName::Subject)
        .header_id(HeaderName::MessageId)
        .default_header_ignore()
});

/// The address headers that become fields, with their field names.
const ADDRESS_FIELDS: [(HeaderName<'static>, &str); 4] = [
    (HeaderName::From, "from"),
    (HeaderName::To, "to"),
    (HeaderName::Cc, "cc"),
    (HeaderName::ReplyTo, "reply-to"),
];

/// Turns one raw RFC 5322 message into fields.
///
/// Transfer encodings, RFC 2047 words and charsets are decoded; HTML
/// becomes text; the fields are `from`, `to`, `cc`, `reply-to` (the
/// addresses as text, role `Address`), `subject` (role `Subject`), each
/// only when the header is there, then `body`, `body.1`, ... (role `Body`)
/// for the text parts in message order (see the module docs for which
/// parts those are).
///
/// Never panics and never drops the message: when `mail-parser` panics,
/// or the input is not a message at all, the result is one field `raw`
/// with the bytes as they are, and a warning. Lines of the header block
/// that are not headers (which `mail-parser` skips) are scanned too, as a
/// field `raw` holding the header block, after the text parts, with a
/// warning. Limits (see [`Limits`]): bytes past `max_message` are not
/// read (`complete: false`); parts deeper than `max_depth` are skipped
/// with a warning; fields past `max_decoded` bytes are left out
/// (`complete: false`). A base64 part that cannot be decoded whole
/// is decoded as far as it goes: with invalid bytes it is also scanned as
/// written (a `raw` field) and warned about; cut short, it says
/// `complete: false`. A message declaring more than 512 nested messages
/// (in its bytes or in what decoding them reveals) is not MIME-parsed:
/// it is scanned as raw bytes and says `complete: false`.
///
/// Linear in the message. A message that declares an attached message
/// or a digest somewhere costs one more lenient decoding pass, to count
/// the nesting its encoded parts hide.
///
/// # Example
///
/// ```
/// use mailshield::mail::{Limits, parse};
///
/// let raw = b"From: Ana Li <ana@example.com>\r\n\
///             Subject: =?utf-8?q?caf=C3=A9?=\r\n\
///             Content-Transfer-Encoding: quoted-printable\r\n\r\n\
///             SSN 536-90-=\r\n1234\r\n";
/// let parsed = parse(raw, &Limits::default());
/// let fields: Vec<(&str, &[u8])> =
///     parsed.fields.iter().map(|f| (&*f.name, &*f.text)).collect();
/// assert_eq!(
///     fields,
///     [
///         ("from", &b"Ana Li <ana@example.com>"[..]),
///         ("subject", "café".as_bytes()),
///         ("body", b"SSN 536-90-1234\r\n"),
///     ]
/// );
/// assert!(parsed.complete && parsed.warnings.is_empty());
/// ```
pub fn parse(raw: &[u8], limits: &Limits) -> Parsed<'static> {
    parse_with(raw, limits, Route::Simple, Part::owned)
}

/// [`parse`], with the text of a field that is the message's bytes as
/// they are borrowed from `raw` rather than copied: the body of a plain
/// message in UTF-8 (the shape of most mail), and its subject and
/// address lists when the header block has them as the fields keep
/// them. The fields, their order and their text are those of [`parse`];
/// which of them borrow is not a promise.
///
/// # Example
///
/// ```
/// use std::borrow::Cow;
///
/// use mailshield::mail::{Limits, parse_borrowing};
/// use mailshield::scan::Field;
///
/// let raw = b"Subject: hi\n\nSSN 536-90-1234\n";
/// let parsed = parse_borrowing(raw, &Limits::default());
/// let fields: Vec<(&str, &[u8])> =
///     parsed.fields.iter().map(|f| (&*f.name, &*f.text)).collect();
/// assert_eq!(fields, [("subject", &b"hi"[..]), ("body", &raw[13..])]);
/// let borrowed = |f: &Field| matches!(f.text, Cow::Borrowed(_));
/// assert!(parsed.fields.iter().all(borrowed));
/// ```
pub fn parse_borrowing<'a>(raw: &'a [u8], limits: &Limits) -> Parsed<'a> {
    parse_with(raw, limits, Route::Simple, Part::borrowing)
}

/// Which ways of reading a plain message [`parse_with`] may take before
/// the full walk; each gives what the full walk gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    /// The full walk only.
    Full,
    /// Headers by `mail-parser`, body as it is ([`Walk::plain`]); taken
    /// alone only in tests.
    #[cfg(test)]
    Headers,
    /// Headers by [`simple::read`] when it can, else as `Headers`.
    Simple,
}

/// A field as a walk makes it: its name static or made, its text owned
/// or borrowed from the message.
struct Part<'a> {
    name: Cow<'static, str>,
    role: FieldRole,
    text: Cow<'a, [u8]>,
}

impl<'a> Part<'a> {
    /// The field, owning its text.
    fn owned(self) -> Field<'static> {
        let text = Cow::Owned(self.text.into_owned());
        Field { name: self.name, role: self.role, text }
    }

    /// The field, its text borrowed when it was.
    fn borrowing(self) -> Field<'a> {
        Field { name: self.name, role: self.role, text: self.text }
    }
}

/// [`parse`], taking `route`, making fields with `field`; the routes are
/// compared in tests.
fn parse_with<'a, 'f>(
    raw: &'a [u8],
    limits: &Limits,
    route: Route,
    field: fn(Part<'a>) -> Field<'f>,
) -> Parsed<'f> {
    let mut out = Parsed { complete: true, ..Parsed::default() };
    let raw = if raw.len() > limits.max_message {
        out.fail(too_large(limits.max_message));
        &raw[..limits.max_message]
    } else {
        raw
    };
    if raw.is_empty() {
        out.warnings.push("empty message".into());
        return out;
    }
    let mut walk = Walk::new(limits);
    let caught =
        catch_unwind(AssertUnwindSafe(|| walk.top(raw, &mut out.id, route)));
    match caught {
        Ok(Ok(())) => {
            out.fields = walk.fields.into_iter().map(field).collect();
            out.warnings.append(&mut walk.warnings);
            out.errors.append(&mut walk.errors);
            out.complete &= walk.complete;
        }
        Ok(Err(Fallback::Warn(why))) => out.raw(raw, why, limits),
        Ok(Err(Fallback::Fail(why))) => {
            out.raw(raw, why, limits);
            out.warnings.retain(|w| w != why);
            out.fail(why.into());
        }
        Err(_) => {
            out.id = None;
            out.raw(raw, "MIME parser failed; scanned as raw bytes", limits);
        }
    }
    out
}

/// The error of a message cut at `max` bytes.
pub(crate) fn too_large(max: usize) -> String {
    format!("message larger than {max} bytes; only the first {max} were read")
}

impl Parsed<'_> {
    fn fail(&mut self, error: String) {
        self.errors.push(error);
        self.complete = false;
    }

    /// The message as raw bytes in one field, with the reason; cut at
    /// `limits.max_decoded`, as every message's fields are.
    fn raw(&mut self, raw: &[u8], why: &str, limits: &Limits) {
        self.warnings.push(why.into());
        let kept = if raw.len() > limits.max_decoded {
            self.fail(format!(
                "decoded text over {} bytes; later parts not scanned",
                limits.max_decoded
            ));
            &raw[..limits.max_decoded]
        } else {
            raw
        };
        self.fields = vec![owned("raw", FieldRole::Body, kept.to_vec())];
    }
}

/// Shows field names and sizes, never their text.
impl fmt::Debug for Parsed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields = field_sizes(&self.fields);
        f.debug_struct("Parsed")
            .field("has_id", &self.id.is_some())
            .field("fields", &fields)
            .field("warnings", &self.warnings)
            .field("errors", &self.errors)
            .field("complete", &self.complete)
            .finish()
    }
}

/// Text as bytes, borrowed or owned as it was.
fn cow_bytes(text: Cow<'_, str>) -> Cow<'_, [u8]> {
    match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.into_bytes()),
    }
}

fn owned(name: &str, role: FieldRole, text: Vec<u8>) -> Field<'static> {
    Field { name: name.to_owned().into(), role, text: text.into() }
}

/// The state of one message's walk, whose fields may borrow `'a`.
struct Walk<'l, 'a> {
    limits: &'l Limits,
    fields: Vec<Part<'a>>,
    bodies: usize,
    decoded: usize,
    warnings: Vec<String>,
    errors: Vec<String>,
    complete: bool,
    deep_warned: bool,
    full_warned: bool,
}

/// A part waiting to be walked: its message, its index there, its depth.
type Pending<'m, 'x> = (&'m Message<'x>, usize, usize);

impl<'l, 'a> Walk<'l, 'a> {
    fn new(limits: &'l Limits) -> Walk<'l, 'a> {
        Walk {
            limits,
            fields: Vec::new(),
            bodies: 0,
            decoded: 0,
            warnings: Vec::new(),
            errors: Vec::new(),
            complete: true,
            deep_warned: false,
            full_warned: false,
        }
    }

    /// The top-level message: header fields, then its parts.
    fn top(
        &mut self,
        raw: &'a [u8],
        id: &mut Option<String>,
        route: Route,
    ) -> Result<(), Fallback> {
        if route != Route::Full && self.plain(raw, id, route) {
            return Ok(());
        }
        guard::check(raw).map_err(|_| Fallback::Fail(TOO_NESTED))?;
        let msg = PARSER.parse(raw).ok_or(Fallback::Warn(NOT_MAIL))?;
        let stray = match check_header_block(raw, &msg.parts[0]) {
            Ok(()) => false,
            Err(Block::Stray) => true,
            Err(Block::NotMail) => {
                guard::dismantle(msg);
                return Err(Fallback::Warn(NOT_MAIL));
            }
        };
        *id = self.header_fields(&msg.parts[0].headers, raw);
        self.parts(&msg, 0, 0);
        self.check_end(&msg, raw);
        // Lines `mail-parser` skipped in the header block are scanned as
        // they are, after the text parts.
        if stray {
            let end = (msg.parts[0].offset_body as usize).min(raw.len());
            self.warnings.push(STRAY_LINES.into());
            self.push("raw".into(), FieldRole::Body, raw[..end].to_vec());
        }
        guard::dismantle(msg);
        Ok(())
    }

    /// A message that is one `text/plain` part in UTF-8 (or ASCII), not
    /// transfer-encoded, the shape of most mail in an archive, read
    /// without `mail-parser` touching its body: the header block is
    /// parsed alone and the body is the bytes after it, validated and
    /// borrowed (copied only by an owned parse). The nesting guard is not
    /// needed, since such a body is never parsed for parts. Returns false,
    /// having changed nothing, for any other message, which then takes the
    /// full walk.
    ///
    /// With [`Route::Simple`], a header block [`simple::read`] can read
    /// is not given to `mail-parser` at all.
    ///
    /// The fields, id, warnings and errors are those of the full walk (a
    /// test compares the two on every message of the shared corpora).
    fn plain(
        &mut self,
        raw: &'a [u8],
        id: &mut Option<String>,
        route: Route,
    ) -> bool {
        let Some(end) = header_end(raw) else { return false };
        let (head, body) = raw.split_at(end);
        if route == Route::Simple
            && let Some(headers) = simple::read(head)
        {
            return self.simple(headers, body, id);
        }
        let Some(msg) = PARSER.parse(head) else { return false };
        let root = &msg.parts[0];
        if root.offset_body as usize != end
            || check_header_block(head, root).is_err()
            || !is_plain_utf8(root, body)
        {
            return false;
        }
        *id = self.header_fields(&root.headers, head);
        let text = body.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(body);
        self.push_body_text(Cow::Borrowed(text));
        true
    }

    /// A plain message whose headers [`simple::read`] read.
    fn simple(
        &mut self,
        headers: simple::Headers<'a>,
        body: &'a [u8],
        id: &mut Option<String>,
    ) -> bool {
        if headers.encoded || !is_text_in(headers.charset, body) {
            return false;
        }
        // The headers' text borrowed where the block has it as it is.
        let names = ADDRESS_FIELDS.iter().map(|(_, field)| field);
        for (field, text) in names.zip(headers.addresses) {
            if let Some(text) = text {
                let text = cow_bytes(text);
                self.push_text((*field).into(), FieldRole::Address, text);
            }
        }
        if let Some(text) = headers.subject {
            let text = Cow::Borrowed(text.as_bytes());
            self.push_text("subject".into(), FieldRole::Subject, text);
        }
        *id = headers.id.map(str::to_owned);
        let text = body.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(body);
        self.push_body_text(Cow::Borrowed(text));
        true
    }

    /// Pushes the address and subject fields of a message's headers;
    /// gives its Message-ID.
    fn header_fields(
        &mut self,
        headers: &[mail_parser::Header<'_>],
        raw: &[u8],
    ) -> Option<String> {
        for (name, field) in &ADDRESS_FIELDS {
            if let Some(text) = header_text(headers, name, raw, ", ") {
                self.push((*field).into(), FieldRole::Address, text.into());
            }
        }
        if let Some(text) =
            header_text(headers, &HeaderName::Subject, raw, " ")
        {
            self.push("subject".into(), FieldRole::Subject, text.into());
        }
        message_id(headers, raw)
    }

    /// The parts of one parsed message, in order, with an explicit stack.
    ///
    /// `dd` counts the attached messages above that were decoded here
    /// (see [`Walk::attached`]).
    fn parts(&mut self, root: &Message<'_>, depth: usize, dd: usize) {
        let mut stack: Vec<Pending<'_, '_>> = vec![(root, 0, depth)];
        while let Some((msg, id, depth)) = stack.pop() {
            let Some(part) = msg.parts.get(id) else { continue };
            if depth > self.limits.max_depth {
                self.too_deep();
                continue;
            }
            // Offsets of a part are into its own message's bytes.
            let buf = &msg.raw_message[..];
            match &part.body {
                PartType::Multipart(children) if children.is_empty() => {
                    self.partless(part, buf);
                }
                PartType::Multipart(children) => {
                    let ct = part.content_type();
                    let chosen: Vec<usize> = if subtype_is(ct, "alternative") {
                        pick_alternative(msg, children).into_iter().collect()
                    } else {
                        children.iter().map(|&c| c as usize).collect()
                    };
                    for &c in chosen.iter().rev() {
                        stack.push((msg, c, depth + 1));
                    }
                }
                PartType::Message(inner) => {
                    stack.push((inner, 0, depth + 1));
                }
                PartType::Text(_) | PartType::Html(_)
                    if is_message(part) && needs_recovery(part) =>
                {
                    let bytes = self.recover(part, buf, "attached message");
                    self.attached(&bytes, depth + 1, dd + 1);
                }
                PartType::Text(_) | PartType::Html(_) => self.text(part, buf),
                PartType::Binary(b) | PartType::InlineBinary(b) => {
                    if is_message(part) {
                        self.unparsed_message(b);
                    } else if is_type(part.content_type(), "multipart") {
                        // No boundary parameter: its body as one text.
                        self.warnings.push(
                            "multipart without a boundary; its body is \
                             scanned as text"
                                .into(),
                        );
                        self.text(part, buf);
                    } else if is_text_leaf(part) {
                        self.text(part, buf);
                    }
                }
            }
        }
    }

    /// A multipart in which `mail-parser` found no part (a close delimiter
    /// before any other, mid-line): its body is scanned as text.
    fn partless(&mut self, part: &MessagePart<'_>, buf: &[u8]) {
        let start = (part.offset_body as usize).min(buf.len());
        let end = (part.offset_end as usize).clamp(start, buf.len());
        let body = &buf[start..end];
        if body.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        self.warnings.push(
            "multipart with no parts; its body is scanned as text".into(),
        );
        self.push_body(String::from_utf8_lossy(body).into_owned().into());
    }

    /// An attached message `mail-parser` left as bytes: encoded deeper
    /// than it decodes, or not a message at all.
    fn unparsed_message(&mut self, bytes: &[u8]) {
        if PARSER.parse_headers(bytes).is_some() {
            self.fail(format!(
                "attached message encoded more than {MAX_DECODE_DEPTH} \
                 levels deep; not scanned"
            ));
        } else {
            self.warnings.push(
                "attached message is not RFC 5322; scanned as text".into(),
            );
            self.push_body(String::from_utf8_lossy(bytes).into_owned().into());
        }
    }

    /// An attached message whose encoding `mail-parser` rejected, decoded
    /// here ([`Walk::recover`]) and parsed, counting the levels.
    ///
    /// N.B. This recursion is bounded by [`MAX_DECODE_DEPTH`], not by the
    /// input.
    fn attached(&mut self, bytes: &[u8], depth: usize, dd: usize) {
        if dd > MAX_DECODE_DEPTH {
            self.fail(format!(
                "attached message encoded more than {MAX_DECODE_DEPTH} \
                 levels deep; not scanned"
            ));
            return;
        }
        if depth > self.limits.max_depth {
            self.too_deep();
            return;
        }
        if guard::check(bytes).is_err() {
            self.fail(format!("attached message: {TOO_NESTED}"));
            self.push_body(bytes.to_vec());
            return;
        }
        let parsed = PARSER.parse(bytes);
        match parsed {
            Some(msg) => {
                self.parts(&msg, depth, dd);
                guard::dismantle(msg);
            }
            None => {
                self.warnings.push(
                    "attached message could not be parsed; scanned as text"
                        .into(),
                );
                self.push_body(
                    String::from_utf8_lossy(bytes).into_owned().into(),
                );
            }
        }
    }

    /// A text part as a body field.
    fn text(&mut self, part: &MessagePart<'_>, buf: &[u8]) {
        let charset = part.content_type().and_then(|c| c.attribute("charset"));
        let text = if needs_recovery(part) {
            let name = self.next_body_name();
            let bytes = self.recover(part, buf, &name);
            let text = decode::text(&bytes, charset);
            if subtype_is(part.content_type(), "html") {
                html::to_text(&text)
            } else {
                text
            }
        } else {
            let text = match &part.body {
                PartType::Text(t) | PartType::Html(t) => t.to_string(),
                PartType::Binary(b) | PartType::InlineBinary(b) => {
                    decode::text(b, charset)
                }
                _ => String::new(),
            };
            // The declared type decides: mail-parser reads the last part
            // of an unterminated multipart as plain text whatever it is.
            let html = matches!(part.body, PartType::Html(_))
                || subtype_is(part.content_type(), "html");
            if html { html::to_text(&text) } else { text }
        };
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
        self.push_body(text.as_bytes().to_vec());
    }

    /// The bytes of a part that `mail-parser` kept encoded (it could not
    /// decode them), decoded here leniently; the message is flagged when
    /// that lost anything.
    fn recover(
        &mut self,
        part: &MessagePart<'_>,
        buf: &[u8],
        label: &str,
    ) -> Vec<u8> {
        let start = (part.offset_body as usize).min(buf.len());
        let end = (part.offset_end as usize).clamp(start, buf.len());
        let raw = &buf[start..end];
        if declared_encoding(part) == Encoding::QuotedPrintable {
            self.warnings.push(format!(
                "{label}: quoted-printable the MIME parser rejected; \
                 decoded leniently"
            ));
            return decode::quoted_printable(raw);
        }
        let (bytes, faults) = decode::base64(raw);
        if faults.invalid > 0 {
            // Nothing is lost: the part is scanned both as decoded and as
            // written (a `raw` field), so a warning is enough.
            self.warnings.push(format!(
                "{label}: base64 with {} invalid bytes; scanned decoded and \
                 as written",
                faults.invalid
            ));
            self.push("raw".into(), FieldRole::Body, raw.to_vec());
        } else if faults.cut {
            self.fail(format!(
                "truncated message at byte {end}: {label} base64 cut short"
            ));
        } else {
            self.warnings.push(format!(
                "{label}: base64 part without its closing boundary"
            ));
        }
        bytes
    }

    /// A root multipart whose closing boundary is missing: the message
    /// may have been cut.
    fn check_end(&mut self, msg: &Message<'_>, buf: &[u8]) {
        let Some(boundary) = msg.parts[0]
            .content_type()
            .filter(|ct| ct.c_type.eq_ignore_ascii_case("multipart"))
            .and_then(|ct| ct.attribute("boundary"))
        else {
            return;
        };
        let close = [b"--", boundary.as_bytes(), b"--"].concat();
        if memchr::memmem::find(buf, &close).is_none() {
            self.warnings.push(format!(
                "no closing MIME boundary; the message may be truncated at \
                 byte {}",
                buf.len()
            ));
        }
    }

    fn next_body_name(&self) -> Cow<'static, str> {
        match self.bodies {
            0 => Cow::Borrowed("body"),
            n => Cow::Owned(format!("body.{n}")),
        }
    }

    fn push_body(&mut self, text: Vec<u8>) {
        self.push_body_text(Cow::Owned(text));
    }

    fn push_body_text(&mut self, text: Cow<'a, [u8]>) {
        let name = self.next_body_name();
        if self.push_text(name, FieldRole::Body, text) {
            self.bodies += 1;
        }
    }

    fn push(
        &mut self,
        name: Cow<'static, str>,
        role: FieldRole,
        text: Vec<u8>,
    ) -> bool {
        self.push_text(name, role, Cow::Owned(text))
    }

    /// Adds a field unless it would take the decoded bytes past the limit.
    fn push_text(
        &mut self,
        name: Cow<'static, str>,
        role: FieldRole,
        text: Cow<'a, [u8]>,
    ) -> bool {
        if self.decoded.saturating_add(text.len()) > self.limits.max_decoded {
            if !self.full_warned {
                self.full_warned = true;
                self.fail(format!(
                    "decoded text over {} bytes; later parts not scanned",
                    self.limits.max_decoded
                ));
            }
            return false;
        }
        self.decoded += text.len();
        self.fields.push(Part { name, role, text });
        true
    }

    fn too_deep(&mut self) {
        if !self.deep_warned {
            self.deep_warned = true;
            self.warnings.push(format!(
                "MIME parts nested deeper than {} levels were skipped",
                self.limits.max_depth
            ));
        }
    }

    fn fail(&mut self, error: String) {
        self.errors.push(error);
        self.complete = false;
    }
}

/// The error of a message [`guard::check`] refused: its encoded parts
/// are not decoded, so the scan is partial.
const TOO_NESTED: &str = "too many nested MIME messages to parse; scanned \
                          as raw bytes, encoded parts undecoded";

/// The warning of a header block with lines that are not headers.
const STRAY_LINES: &str = "lines in the header block are not headers; \
                           the block is also scanned as raw bytes (field \
                           `raw`)";

/// Why a message is scanned as raw bytes: a warning, or an error when
/// that leaves part of it unscanned.
enum Fallback {
    Warn(&'static str),
    Fail(&'static str),
}

/// Where the header block of `raw` ends: just after its first empty
/// line (`\n` or `\r\n`), or `None` when it has none.
fn header_end(raw: &[u8]) -> Option<usize> {
    let mut at = 0;
    for nl in memchr::memchr_iter(b'\n', raw) {
        let line = &raw[at..nl];
        if line.is_empty() || line == b"\r" {
            return Some(nl + 1);
        }
        at = nl + 1;
    }
    None
}

/// Whether a top-level part with `body` is one plain text in UTF-8 that
/// `mail-parser` would give unchanged: at most one `Content-Type`, none
/// or `text/plain` with no charset, `utf-8` or an ASCII one over ASCII
/// bytes; no base64 or quoted-printable transfer encoding.
fn is_plain_utf8(root: &MessagePart<'_>, body: &[u8]) -> bool {
    let count = |name: HeaderName<'_>| {
        root.headers.iter().filter(|h| h.name == name).count()
    };
    if count(HeaderName::ContentType) > 1
        || count(HeaderName::ContentTransferEncoding) > 1
        || declared_encoding(root) != Encoding::None
    {
        return false;
    }
    let ct = root.content_type();
    if ct
        .is_some_and(|c| !is_type(Some(c), "text") || !subtype_is(ct, "plain"))
    {
        return false;
    }
    is_text_in(ct.and_then(|c| c.attribute("charset")), body)
}

/// Whether `body` in `charset` (none meaning UTF-8) reads unchanged as
/// UTF-8: valid UTF-8 under `utf-8`, ASCII under an ASCII charset.
fn is_text_in(charset: Option<&str>, body: &[u8]) -> bool {
    let is =
        |name: &str| charset.is_some_and(|c| c.eq_ignore_ascii_case(name));
    if charset.is_none() || is("utf-8") || is("utf8") {
        // PERF: std's validation was 2.5% of the command line's time,
        // simdutf8's 1.3-1.8% (perf, BENCHMARKS.md).
        simdutf8::basic::from_utf8(body).is_ok()
    } else {
        (is("us-ascii") || is("ascii")) && body.is_ascii()
    }
}

/// Whether `mail-parser` kept a part's bytes encoded because it could
/// not decode them.
fn needs_recovery(part: &MessagePart<'_>) -> bool {
    part.is_encoding_problem && declared_encoding(part) != Encoding::None
}

/// The transfer encoding a part declares.
fn declared_encoding(part: &MessagePart<'_>) -> Encoding {
    let cte = part
        .headers
        .iter()
        .filter(|h| h.name == HeaderName::ContentTransferEncoding)
        .find_map(|h| match &h.value {
            HeaderValue::Text(t) => Some(t.trim().to_ascii_lowercase()),
            _ => None,
        });
    match cte.as_deref() {
        Some("base64") => Encoding::Base64,
        Some("quoted-printable") => Encoding::QuotedPrintable,
        _ => Encoding::None,
    }
}

fn subtype_is(ct: Option<&ContentType<'_>>, subtype: &str) -> bool {
    ct.and_then(|c| c.c_subtype.as_deref())
        .is_some_and(|s| s.eq_ignore_ascii_case(subtype))
}

/// Whether a part is an attached message (`message/rfc822` or
/// `message/global`).
fn is_message(part: &MessagePart<'_>) -> bool {
    let ct = part.content_type();
    ct.is_some_and(|c| c.c_type.eq_ignore_ascii_case("message"))
        && (subtype_is(ct, "rfc822") || subtype_is(ct, "global"))
}

/// Whether a part `mail-parser` left as bytes is text to scan: a
/// `message/*` that is not an attached message, or a part with a
/// `text/*` type among several `Content-Type` headers.
fn is_text_leaf(part: &MessagePart<'_>) -> bool {
    is_type(part.content_type(), "message")
        || part
            .headers
            .iter()
            .filter(|h| h.name == HeaderName::ContentType)
            .filter_map(|h| h.value.as_content_type())
            .any(|ct| ct.c_type.eq_ignore_ascii_case("text"))
}

/// Whether a content type is of `type` (`multipart`, `message`, ...).
fn is_type(ct: Option<&ContentType<'_>>, ty: &str) -> bool {
    ct.is_some_and(|c| c.c_type.eq_ignore_ascii_case(ty))
}

/// Which alternative of a `multipart/alternative` to read: the first that
/// holds plain text, else the last that holds any text.
fn pick_alternative(msg: &Message<'_>, children: &[u32]) -> Option<usize> {
    let kinds: Vec<(usize, TextKind)> = children
        .iter()
        .map(|&c| (c as usize, text_kind(msg, c as usize)))
        .collect();
    kinds
        .iter()
        .find(|(_, k)| *k == TextKind::Plain)
        .or_else(|| kinds.iter().rev().find(|(_, k)| *k != TextKind::None))
        .map(|&(c, _)| c)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TextKind {
    None,
    Other,
    Plain,
}

/// Whether a part (with what is under it) holds plain text, other text,
/// or none. Walks the subtree with an explicit stack.
fn text_kind(msg: &Message<'_>, id: usize) -> TextKind {
    let mut kind = TextKind::None;
    let mut stack = vec![(msg, id)];
    while let Some((msg, id)) = stack.pop() {
        let Some(part) = msg.parts.get(id) else { continue };
        match &part.body {
            PartType::Multipart(children) => {
                stack.extend(children.iter().map(|&c| (msg, c as usize)));
            }
            PartType::Message(inner) => stack.push((inner, 0)),
            PartType::Text(_) => {
                let ct = part.content_type();
                if ct.is_none() || subtype_is(ct, "plain") {
                    return TextKind::Plain;
                }
                kind = TextKind::Other;
            }
            PartType::Html(_) => kind = TextKind::Other,
            PartType::Binary(_) | PartType::InlineBinary(_)
                if !is_message(part) && is_text_leaf(part) =>
            {
                kind = TextKind::Other;
            }
            _ => {}
        }
    }
    kind
}

/// `MimeHeaders::content_type` without importing the trait everywhere.
trait ContentTypeOf {
    fn content_type(&self) -> Option<&ContentType<'_>>;
}

impl ContentTypeOf for MessagePart<'_> {
    fn content_type(&self) -> Option<&ContentType<'_>> {
        self.headers
            .iter()
            .filter(|h| h.name == HeaderName::ContentType)
            .find_map(|h| h.value.as_content_type())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// `mail-parser` 0.11 fails a debug assertion on this input (the
    /// minimized fuzzer case `malformed/023.eml` of its 1.0 test data).
    const PANICS: &[u8] = b"d\nContent-Type:multipart;boundary=b5\n\n\
        --b5Content-Type:message/rfc822\n\n5\n\
        Content-Type:message/rfc822\n\n\n--b5--";

    #[test]
    fn regression_mail_parser_023_panic_is_contained() {
        let parsed = parse(PANICS, &Limits::default());
        if cfg!(debug_assertions) {
            assert_eq!(
                parsed.warnings,
                ["MIME parser failed; scanned as raw bytes"]
            );
            assert_eq!(parsed.fields.len(), 1);
            assert_eq!(&*parsed.fields[0].name, "raw");
            assert_eq!(&*parsed.fields[0].text, PANICS);
        }
        assert!(parsed.complete);
    }

    /// What a parse gave, in a form to compare.
    fn summary(p: &Parsed) -> String {
        let fields: Vec<(&str, FieldRole, &[u8])> =
            p.fields.iter().map(|f| (&*f.name, f.role, &*f.text)).collect();
        let notes = (&p.id, &p.warnings, &p.errors, p.complete);
        format!("{fields:?} {notes:?}")
    }

    #[test]
    fn fields_borrow_where_they_are_the_bytes_as_they_are() {
        // Each field of each message: borrowed or not.
        let borrowed = |raw: &[u8]| -> Vec<(String, bool)> {
            parse_borrowing(raw, &Limits::default())
                .fields
                .iter()
                .map(|f| {
                    let b = matches!(f.text, Cow::Borrowed(_));
                    (f.name.to_string(), b)
                })
                .collect()
        };
        let names = |list: &[(&str, bool)]| -> Vec<(String, bool)> {
            list.iter().map(|&(n, b)| (n.to_string(), b)).collect()
        };
        let simple = b"From: Ana Li <a@example.com>\nTo: b@example.org, \
                       c@example.org\nSubject: hi\n\nbody\n";
        assert_eq!(
            borrowed(simple),
            names(&[
                ("from", true),
                ("to", true),
                ("subject", true),
                ("body", true)
            ])
        );
        let untidy = b"To: a@example.com ,b@example.org\n\nbody\n";
        assert_eq!(borrowed(untidy), names(&[("to", false), ("body", true)]));
        // An encoded word: headers by mail-parser, the body still as it
        // is.
        let encoded = b"Subject: =?utf-8?q?caf=C3=A9?=\n\nbody\n";
        assert_eq!(
            borrowed(encoded),
            names(&[("subject", false), ("body", true)])
        );
        let base64 = b"Content-Transfer-Encoding: base64\n\nYm9keQ==\n";
        assert_eq!(borrowed(base64), names(&[("body", false)]));
        // The owned parse copies them all.
        let owned = parse(simple, &Limits::default());
        assert!(owned.fields.iter().all(|f| matches!(f.text, Cow::Owned(_))));
    }

    /// Whether the fast path takes `raw`.
    fn is_fast(raw: &[u8]) -> bool {
        let limits = Limits::default();
        Walk::new(&limits).plain(raw, &mut None, Route::Headers)
    }

    /// Parses `raw` with and without the fast path; fails when they
    /// differ. Returns whether the fast path took it.
    fn same_both_ways(raw: &[u8], at: &str) -> bool {
        let limits = Limits::default();
        let full =
            summary(&parse_with(raw, &limits, Route::Full, Part::owned));
        for route in [Route::Headers, Route::Simple] {
            let fast = summary(&parse_with(raw, &limits, route, Part::owned));
            assert_eq!(fast, full, "{at}: {route:?}");
        }
        let borrowing = summary(&parse_borrowing(raw, &limits));
        assert_eq!(borrowing, full, "{at}: borrowing");
        is_fast(raw)
    }

    #[test]
    fn plain_messages_parse_the_same_fast_and_in_full() {
        let cases: &[(&[u8], bool)] = &[
            (b"From: a@b.example\nSubject: hi\n\nbody 536-90-1234\n", true),
            (b"From: a@b.example\r\n\r\nbody\r\nmore\r\n", true),
            (
                b"Content-Type: TEXT/Plain; charset=\"UTF-8\"\n\
                  Content-Transfer-Encoding: 8BIT\n\n\xc3\xa9t\xc3\xa9\n",
                true,
            ),
            (b"Subject: =?utf-8?q?caf=C3=A9?=\n\n\xef\xbb\xbfbom\n", true),
            (b"Content-Type: text/plain; charset=us-ascii\n\nascii\n", true),
            (b"To: x@y.example\n\n", true),
            (
                b"From: \"Li, Ana\" <ana@example.com>, (c) bo@example.org\n\
                  Subject: folded\n  line\n\nhello\n",
                true,
            ),
            // Taken by the full walk: another charset, invalid UTF-8, an
            // ASCII charset over 8-bit bytes, transfer encodings, HTML,
            // multipart, two Content-Types, no blank line, stray lines.
            (b"Content-Type: text/plain; charset=latin1\n\ncaf\xe9\n", false),
            (b"From: a@b.example\n\ncaf\xe9\n", false),
            (
                b"Content-Type: text/plain; charset=us-ascii\n\n\xc3\xa9\n",
                false,
            ),
            (
                b"Content-Transfer-Encoding: base64\n\nNTM2LTkwLTEyMzQ=\n",
                false,
            ),
            (
                b"Content-Transfer-Encoding: Quoted-Printable\n\na=\n b\n",
                false,
            ),
            (b"Content-Type: text/html\n\n<p>a&amp;b</p>\n", false),
            (
                b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\n\
                  x\n--b--\n",
                false,
            ),
            (
                b"Content-Type: text/plain\nContent-Type: text/html\n\nx\n",
                false,
            ),
            (b"From: a@b.example\nSubject: no body", false),
            (b"From: a@b.example\nnot a header\n\nbody\n", false),
            (b"just text\n\nmore text\n", false),
        ];
        for (i, &(raw, fast)) in cases.iter().enumerate() {
            let took = same_both_ways(raw, &format!("case {i}"));
            assert_eq!(took, fast, "case {i}: fast path taken");
        }
    }

    /// A header line near the edge of what [`simple::read`] reads.
    fn header_line() -> impl Strategy<Value = String> {
        let word = "[A-Za-z0-9]{1,6}";
        // Mostly nothing odd, so that many blocks are simple.
        let odd = prop_oneof![
            12 => Just(""),
            1 => prop::sample::select(vec![
                " ", "  ", "\t", ".", "\"", ",", "(c)", "<", ">", "@", "=?",
                ";", ":", "\\", "\u{e9}", "_", "+", "\u{a0}", "\u{2003}",
                "\u{1F600}", "\r",
            ]),
        ];
        let piece = (word, odd.clone(), word)
            .prop_map(|(a, o, b)| format!("{a}{o}{b}"));
        let addr = (piece.clone(), piece.clone(), word)
            .prop_map(|(l, d, t)| format!("{l}@{d}.{t}"));
        let mailbox = prop_oneof![
            addr.clone(),
            (piece.clone(), addr.clone())
                .prop_map(|(n, a)| format!("{n} <{a}>")),
            (word, word, addr).prop_map(|(n, m, a)| format!("{n} {m} <{a}>")),
        ];
        let list =
            prop::collection::vec(mailbox, 1..3).prop_map(|v| v.join(", "));
        let words = prop::collection::vec(piece.clone(), 0..4)
            .prop_map(|v| v.join(" "));
        let sample = |v: Vec<&'static str>| prop::sample::select(v);
        let header = prop_oneof![
            4 => (sample(vec!["From", "to", "CC", "Reply-To"]), list),
            2 => (Just("Subject"), words.clone()),
            1 => (Just("Message-ID"), piece.prop_map(|p| format!("<{p}>"))),
            2 => (
                Just("Content-Type"),
                sample(vec![
                    "text/plain", "text/plain; charset=utf-8",
                    "TEXT/PLAIN; charset=\"US-ASCII\"; format=flowed",
                    "text/plain; charset=latin1", "text/html",
                    "multipart/mixed", "text/plain; charset=\"a b\"",
                ]),
            )
                .prop_map(|(n, v)| (n, v.to_owned())),
            1 => (
                Just("Content-Transfer-Encoding"),
                sample(vec!["8bit", "base64", "Quoted-Printable", "7bit "]),
            )
                .prop_map(|(n, v)| (n, v.to_owned())),
            2 => (
                sample(vec!["X-Note", "MIME-Version", "Content-Disposition"]),
                words,
            ),
        ];
        let fold = prop_oneof![
            8 => Just(""),
            1 => sample(vec!["\n folded", "\n\tmore"]),
        ];
        (header, fold).prop_map(|((n, v), f)| format!("{n}: {v}{f}"))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(
            3000
        ))]

        #[test]
        fn header_blocks_read_simply_or_by_the_parser_agree(
            lines in prop::collection::vec(header_line(), 0..6),
            crlf in proptest::bool::ANY,
            body in "[a-z \u{e9}\n]{0,20}",
        ) {
            let nl = if crlf { "\r\n" } else { "\n" };
            let mut raw = String::new();
            for line in &lines {
                raw.push_str(&line.replace('\n', nl));
                raw.push_str(nl);
            }
            raw.push_str(nl);
            raw.push_str(&body);
            same_both_ways(raw.as_bytes(), &format!("{raw:?}"));
        }
    }

    #[test]
    fn every_shared_message_parses_the_same_fast_and_in_full() {
        let root =
            concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/real");
        let root = std::path::Path::new(root);
        if !root.is_dir() {
            assert!(
                std::env::var("MAILSHIELD_CI").as_deref() != Ok("1"),
                "../shared/corpus/real is absent, and MAILSHIELD_CI=1 \
                 requires it"
            );
            eprintln!("skipping: ../shared/corpus/real is absent");
            return;
        }
        let (mut seen, mut fast) = (0, 0);
        let reader = crate::mail::open(root, crate::mail::Format::Auto, {
            Limits::default()
        })
        .unwrap();
        for pending in reader.pending().flatten() {
            let Some(raw) = &pending.raw else { continue };
            let at = format!("{:?}", pending.source());
            seen += 1;
            fast += usize::from(same_both_ways(raw, &at));
        }
        // The corpora hold messages of both kinds.
        eprintln!("{fast} of {seen} messages took the fast path");
        assert!(seen > 1500, "{seen} messages");
        assert!(fast > seen / 10 && fast < seen, "{fast} of {seen} fast");
    }

    #[test]
    fn the_raw_fallback_keeps_to_the_decoded_limit() {
        // Not mail: scanned raw, and no more than max_decoded of it.
        let limits = Limits { max_decoded: 8, ..Limits::default() };
        let parsed = parse(b"no headers at all, just text", &limits);
        assert_eq!(&*parsed.fields[0].name, "raw");
        assert_eq!(&*parsed.fields[0].text, b"no heade");
        assert!(!parsed.complete);
        assert_eq!(
            parsed.errors,
            ["decoded text over 8 bytes; later parts not scanned"]
        );
    }

    #[test]
    fn html_is_text_even_in_an_unterminated_multipart() {
        let raw = b"Content-Type: multipart/mixed; boundary=b1\n\n\
            --b1\nContent-Type: text/plain\n\nhello\n\
            --b1\nContent-Type: text/html\n\n\
            <p>Call <b>415-555-0134</b> &amp; bye</p>\n";
        let parsed = parse(raw, &Limits::default());
        let texts: Vec<&[u8]> =
            parsed.fields.iter().map(|f| f.text.as_ref()).collect();
        assert_eq!(texts, [&b"hello"[..], b"Call 415-555-0134 & bye"]);
    }

    #[test]
    fn alternatives_prefer_plain_then_the_richest() {
        let body = |alts: &str| {
            let raw = format!(
                "Content-Type: multipart/alternative; boundary=a\n\n{alts}\
                 --a--\n"
            );
            let parsed = parse(raw.as_bytes(), &Limits::default());
            let texts: Vec<String> = parsed
                .fields
                .iter()
                .map(|f| String::from_utf8_lossy(&f.text).into_owned())
                .collect();
            texts
        };
        let html = "--a\nContent-Type: text/html\n\n<p>rich</p>\n";
        let plain = "--a\nContent-Type: text/plain\n\nplain\n";
        let enriched = "--a\nContent-Type: text/enriched\n\n<b>e</b>\n";
        assert_eq!(body(&format!("{html}{plain}")), ["plain"]);
        assert_eq!(body(&format!("{enriched}{html}")), ["rich"]);
        let mixed = "--a\nContent-Type: multipart/mixed; boundary=m\n\n\
                     --m\nContent-Type: text/plain\n\ninner plain\n--m--\n";
        assert_eq!(body(&format!("{html}{mixed}")), ["inner plain"]);
    }
}
