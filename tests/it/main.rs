//! The integration test binary: one module per layer.

mod accuracy;
mod audit;
mod cli;
mod cli_adapters;
mod crypto;
mod default_pack;
mod ffi;
mod gdpr;
mod header;
mod hostile;
mod jwt;
mod mail;
mod properties;
mod seed_parity;
mod store;
mod support;
