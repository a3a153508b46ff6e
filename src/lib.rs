//! mailshield: a scanning engine for mail.
//!
//! mailshield finds personal data (PII), secrets and sensitive keywords in
//! large batches of messages, classifies each message and writes a
//! protected copy (redacted, truncated where a policy says so, encrypted) in
//! one pass.
//!
//! The crate is split by layer, lower layers never importing higher ones:
//!
//! | module | owns |
//! |---|---|
//! | [`rules`] | packs: detectors, validators, keyword lists, policies |
//! | [`engine`] | compiling a pack into automata; the shared [`Engine`] |
//! | [`scan`] | findings in one buffer, the normalised view, streaming |
//! | [`classify`] | level, confidence, risk factors, actions |
//! | [`crypto`] | AEAD envelopes, Fernet tokens, key sets |
//! | [`protect`] | redaction, truncation and sealing of one message |
//! | [`mail`] | reading JSONL, .eml, mbox, maildir; MIME into fields |
//! | [`batch`] | many messages on every core, in input order |
//! | [`store`] | API keys and failed attempts, SQLite by default |
//! | [`auth`] | API keys in the guide's `eb_` format, checked for real |
//! | [`audit`] | a hash-chained security log, threat rules, the report |
//! | [`gdpr`] | subject requests over an archive: access, erasure |
//! | [`ffi`] | the C ABI of `include/mailshield.h` |
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod audit;
pub mod auth;
pub mod batch;
pub mod classify;
pub mod crypto;
pub mod engine;
pub mod ffi;
pub mod gdpr;
pub mod mail;
pub mod protect;
pub mod rules;
pub mod scan;
pub mod store;
