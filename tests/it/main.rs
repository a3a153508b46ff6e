//! The integration test binary: one module per layer.

mod crypto;
mod seed_parity;
mod support;
