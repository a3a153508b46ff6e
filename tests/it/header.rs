//! `include/mailshield.h` is what cbindgen makes of `src/ffi` today.
//!
//! Run with `MAILSHIELD_BLESS=1` to write the header instead of checking
//! it.

use std::path::Path;

#[test]
fn header_is_what_cbindgen_generates() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml"))
        .expect("cbindgen.toml parses");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen reads src/ffi");
    let mut fresh = Vec::new();
    bindings.write(&mut fresh);
    let path = root.join("include/mailshield.h");
    if std::env::var_os("MAILSHIELD_BLESS").is_some() {
        std::fs::create_dir_all(root.join("include")).unwrap();
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let current = std::fs::read(&path).unwrap_or_default();
    assert!(
        current == fresh,
        "include/mailshield.h is stale: regenerate it with \
         `MAILSHIELD_BLESS=1 cargo test --test it header` and commit it"
    );
}
