//! The integration test binary: one module per layer.

mod crypto;
