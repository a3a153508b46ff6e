//! The crypto layer against the Fernet specification's vectors and against
//! Python's `cryptography.fernet`.
//!
//! Both need something outside the crate: the vectors live in `../shared`
//! (absent from a user's clone) and the interop tests need `python3` with
//! `cryptography`. A test without its resource prints why it skips and
//! passes, except under `MAILSHIELD_CI=1`, where it fails.

use std::fs;
use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use mailshield::crypto::{CryptoErrorKind, FernetKey, KeySet, fernet};
use ring::rand::SecureRandom;
use serde_json::Value;

use crate::support::{SHARED, TempDir, python_has, require};

const VECTORS: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/vectors/fernet");

/// One of the spec's vector files, or `None` (after a skip message) when
/// `../shared` is absent.
fn vectors(name: &str) -> Option<Vec<Value>> {
    let present = Path::new(SHARED).is_dir();
    if !require(present, "../shared is absent (a user's clone has none)") {
        return None;
    }
    let path = Path::new(VECTORS).join(name);
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let Value::Array(cases) = serde_json::from_str(&text).unwrap() else {
        panic!("{}: not a JSON array", path.display());
    };
    assert!(!cases.is_empty(), "{}: no cases", path.display());
    Some(cases)
}

fn str_field<'a>(case: &'a Value, name: &str) -> &'a str {
    case[name].as_str().unwrap_or_else(|| panic!("no string {name}"))
}

/// Unix seconds of an RFC 3339 date-time with a `Z` or `+HH:MM` offset
/// (fractions not needed by the vectors).
fn rfc3339(text: &str) -> u64 {
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> i64 { text[r].parse().unwrap() };
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    let (hh, mm, ss) = (num(11..13), num(14..16), num(17..19));
    let offset = match b[19] {
        b'Z' => 0,
        sign => {
            let off = num(20..22) * 3600 + num(23..25) * 60;
            if sign == b'-' { -off } else { off }
        }
    };
    // Days from civil (proleptic Gregorian).
    let yy = if m <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss - offset;
    u64::try_from(secs).unwrap()
}

#[test]
fn rfc3339_helper_reads_offsets() {
    assert_eq!(rfc3339("1985-10-26T01:20:00-07:00"), 499_162_800);
    assert_eq!(rfc3339("1985-10-26T08:20:00Z"), 499_162_800);
    assert_eq!(rfc3339("2000-03-01T00:00:00+00:00"), 951_868_800);
}

#[test]
fn fernet_generate_vectors() {
    let Some(cases) = vectors("generate.json") else { return };
    for case in &cases {
        let key = FernetKey::from_base64(str_field(case, "secret")).unwrap();
        let iv: Vec<u8> = case["iv"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| u8::try_from(v.as_u64().unwrap()).unwrap())
            .collect();
        let iv: [u8; 16] = iv.try_into().unwrap();
        let now = rfc3339(str_field(case, "now"));
        let src = str_field(case, "src").as_bytes();
        let token = fernet::encrypt_with(&key, src, now, iv);
        assert_eq!(token, str_field(case, "token"));
    }
}

#[test]
fn fernet_verify_vectors() {
    let Some(cases) = vectors("verify.json") else { return };
    for case in &cases {
        let secret = str_field(case, "secret");
        let key = FernetKey::from_base64(secret).unwrap();
        let token = str_field(case, "token").as_bytes();
        let now = rfc3339(str_field(case, "now"));
        let ttl = case["ttl_sec"].as_u64();
        assert!(ttl.is_some());
        let src = str_field(case, "src").as_bytes();
        assert_eq!(fernet::decrypt(&key, token, ttl, now).unwrap(), src);
        let keys = KeySet::from_fernet_key(secret).unwrap();
        let plain = fernet::decrypt_with_keys(&keys, token, ttl, now);
        assert_eq!(plain.unwrap(), src);
    }
}

/// Whether a token's HMAC is right under `secret`, computed here with ring
/// directly, to show which invalid cases only the later checks catch.
fn hmac_is_valid(secret: &str, token: &str) -> bool {
    let Ok(data) = URL_SAFE.decode(token) else { return false };
    let Ok(key) = URL_SAFE.decode(secret) else { return false };
    if data.len() < 32 {
        return false;
    }
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key[..16]);
    let (signed, mac) = data.split_at(data.len() - 32);
    ring::hmac::verify(&key, signed, mac).is_ok()
}

#[test]
fn fernet_invalid_vectors() {
    let Some(cases) = vectors("invalid.json") else { return };
    assert_eq!(cases.len(), 8);
    let mut hmac_valid = Vec::new();
    for case in &cases {
        let desc = str_field(case, "desc");
        let secret = str_field(case, "secret");
        let token = str_field(case, "token");
        let key = FernetKey::from_base64(secret).unwrap();
        let now = rfc3339(str_field(case, "now"));
        let ttl = case["ttl_sec"].as_u64();
        assert!(ttl.is_some(), "{desc}");
        let err =
            fernet::decrypt(&key, token.as_bytes(), ttl, now).expect_err(desc);
        assert_eq!(err.kind(), CryptoErrorKind::InvalidToken, "{desc}");
        assert_eq!(err.to_string(), "invalid fernet token", "{desc}");
        let keys = KeySet::from_fernet_key(secret).unwrap();
        let err = fernet::decrypt_with_keys(&keys, token.as_bytes(), ttl, now)
            .expect_err(desc);
        assert_eq!(err.kind(), CryptoErrorKind::InvalidToken, "{desc}");
        if hmac_is_valid(secret, token) {
            hmac_valid.push(desc);
        }
    }

    // Five of the eight carry a correct HMAC and are refused by the later
    // checks: block size, padding, skew, ttl and IV.
    hmac_valid.sort_unstable();
    assert_eq!(
        hmac_valid,
        [
            "expired TTL",
            "far-future TS (unacceptable clock skew)",
            "incorrect IV (causes padding error)",
            "payload padding error",
            "payload size not multiple of block size",
        ]
    );
}

#[test]
fn fernet_far_future_is_refused_without_ttl() {
    // Python accepts this one without a ttl; mailshield refuses it (its
    // documented, stricter policy).
    let Some(cases) = vectors("invalid.json") else { return };
    let case = cases
        .iter()
        .find(|c| str_field(c, "desc").starts_with("far-future"))
        .unwrap();
    let key = FernetKey::from_base64(str_field(case, "secret")).unwrap();
    let now = rfc3339(str_field(case, "now"));
    let token = str_field(case, "token").as_bytes();
    let err = fernet::decrypt(&key, token, None, now).unwrap_err();
    assert_eq!(err.kind(), CryptoErrorKind::InvalidToken);
}

fn random_key_text() -> String {
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new().fill(&mut bytes).unwrap();
    URL_SAFE.encode(bytes)
}

fn random_iv() -> [u8; 16] {
    let mut iv = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut iv).unwrap();
    iv
}

/// The interop matrix's plaintexts: name and bytes.
fn plaintexts() -> Vec<(String, Vec<u8>)> {
    let text = |n: usize| -> Vec<u8> {
        b"Synthetic body for alice@example.com, call 555-0100. "
            .iter()
            .copied()
            .cycle()
            .take(n)
            .collect()
    };
    let mut cases: Vec<(String, Vec<u8>)> = [0, 1, 15, 16, 17, 4096, 1 << 20]
        .into_iter()
        .map(|n| (format!("text{n}"), text(n)))
        .collect();
    let mut binary: Vec<u8> = (0..=255u8).collect();
    binary.extend_from_slice(b"\0\0x\0y\0\xff\xfe\0");
    binary.extend(std::iter::repeat_n(0u8, 100));
    cases.push(("binary".to_string(), binary));
    cases
}

/// The Python side of the interop test; `job.json` says what to check.
const PYTHON: &str = r#"
import json, os, sys
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

d = sys.argv[1]
job = json.load(open(os.path.join(d, "job.json")))
old, new = Fernet(job["old"]), Fernet(job["new"])
multi = MultiFernet([new, old])

def read(name):
    with open(os.path.join(d, name), "rb") as f:
        return f.read()

def write(name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

for name in job["names"]:
    pt = read(name + ".bin")
    ms, ms_new = read(name + ".ms"), read(name + ".msnew")
    ms_rot = read(name + ".msrot")
    assert old.decrypt(ms) == pt, name
    assert old.decrypt(ms, ttl=3600) == pt, name
    assert multi.decrypt(ms, ttl=3600) == pt, name
    assert new.decrypt(ms_new, ttl=3600) == pt, name
    assert multi.decrypt(ms_new) == pt, name
    assert new.decrypt(ms_rot) == pt, name
    assert new.extract_timestamp(ms_rot) == old.extract_timestamp(ms), name
    try:
        old.decrypt(ms_rot)
        raise AssertionError(name + ": rotated token opened under old key")
    except InvalidToken:
        pass
    write(name + ".py", old.encrypt(pt))
    write(name + ".pynew", multi.encrypt(pt))
    write(name + ".pyrot", multi.rotate(ms))

verdicts = []
for variant in job["lenient"]:
    try:
        old.decrypt(variant.encode())
        verdicts.append(True)
    except InvalidToken:
        verdicts.append(False)
write("lenient.json", json.dumps(verdicts).encode())
print("ok")
"#;

/// A key-set file of two Fernet keys, `new` primary, for the rotated list.
fn two_key_file(dir: &TempDir, new: &str, old: &str) -> KeySet {
    let id = |k: &str| {
        KeySet::from_fernet_key(k).unwrap().primary().id().to_string()
    };
    let (new_id, old_id) = (id(new), id(old));
    let text = format!(
        r#"{{"version": 1, "primary": "{new_id}", "keys": [
  {{"id": "{old_id}", "algorithm": "fernet", "key": "{old}",
   "created": "2020-01-01T00:00:00Z"}},
  {{"id": "{new_id}", "algorithm": "fernet", "key": "{new}",
   "created": "2024-01-01T00:00:00Z"}}]}}"#
    );
    let path = dir.join("keys.json");
    fs::write(&path, text).unwrap();
    let keys = KeySet::load(&path).unwrap();
    assert_eq!(keys.primary().id(), new_id);
    keys
}

fn token_timestamp(token: &[u8]) -> u64 {
    let data = URL_SAFE.decode(token.trim_ascii()).unwrap();
    u64::from_be_bytes(data[1..9].try_into().unwrap())
}

/// A token under `key` whose text holds both `-` and `_`, so that the
/// standard-alphabet variant differs from it.
fn token_with_urlsafe_chars(key: &FernetKey) -> String {
    let now = mailshield::crypto::unix_now();
    (0..=255u8)
        .map(|b| fernet::encrypt_with(key, b"lenient", now, [b; 16]))
        .find(|t| t.contains('-') && t.contains('_'))
        .unwrap()
}

#[test]
fn fernet_interop_with_python() {
    let present = python_has(&["cryptography.fernet"]);
    let missing = "python3 with the cryptography package is not available \
                   (pip install cryptography)";
    if !require(present, missing) {
        return;
    }
    let dir = TempDir::new("fernet-interop");
    let (old_text, new_text) = (random_key_text(), random_key_text());
    let old = FernetKey::from_base64(&old_text).unwrap();
    let new = FernetKey::from_base64(&new_text).unwrap();
    let keys = two_key_file(&dir, &new_text, &old_text);
    let now = mailshield::crypto::unix_now();

    // mailshield's side first: tokens under the old key, under the set's
    // primary, and old-key tokens rotated to the primary.
    let cases = plaintexts();
    for (name, pt) in &cases {
        // Stamped 100 s ago, so that keeping the timestamp shows.
        let ms = fernet::encrypt_with(&old, pt, now - 100, random_iv());
        let rotated = fernet::rotate_token(&keys, ms.as_bytes(), now).unwrap();
        assert_eq!(token_timestamp(rotated.as_bytes()), now - 100);
        fs::write(dir.join(&format!("{name}.bin")), pt).unwrap();
        fs::write(dir.join(&format!("{name}.ms")), ms).unwrap();
        let ms_new = fernet::encrypt_with_keys(&keys, pt).unwrap();
        fs::write(dir.join(&format!("{name}.msnew")), ms_new).unwrap();
        fs::write(dir.join(&format!("{name}.msrot")), rotated).unwrap();
    }
    let t = token_with_urlsafe_chars(&old);
    let lenient = [
        format!("{t}\n"),
        format!("{} {}", &t[..30], &t[30..]),
        t.replace('-', "+").replace('_', "/"),
        t.trim_end_matches('=').to_string(),
    ];
    let names: Vec<&str> = cases.iter().map(|(n, _)| n.as_str()).collect();
    let job = serde_json::json!({
        "old": old_text, "new": new_text, "names": names, "lenient": lenient,
    });
    fs::write(dir.join("job.json"), job.to_string()).unwrap();
    fs::write(dir.join("interop.py"), PYTHON).unwrap();

    // Python checks mailshield's tokens and makes its own.
    let out = Command::new("python3")
        .arg(dir.join("interop.py"))
        .arg(&dir.0)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python side failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");

    // mailshield opens Python's tokens, alone and through the key set.
    let only_new = KeySet::from_fernet_key(&new_text).unwrap();
    for (name, pt) in &cases {
        let read =
            |ext: &str| fs::read(dir.join(&format!("{name}.{ext}"))).unwrap();
        let (py, py_new, py_rot) = (read("py"), read("pynew"), read("pyrot"));
        for ttl in [None, Some(3600)] {
            assert_eq!(&fernet::decrypt(&old, &py, ttl, now).unwrap(), pt);
            let got = fernet::decrypt_with_keys(&keys, &py, ttl, now).unwrap();
            assert_eq!(&got, pt, "{name}");
            assert_eq!(&fernet::decrypt(&new, &py_new, ttl, now).unwrap(), pt);
        }
        let ms = read("ms");
        assert_eq!(&fernet::decrypt(&new, &py_rot, None, now).unwrap(), pt);
        assert_eq!(token_timestamp(&py_rot), token_timestamp(&ms));

        // Rotating Python's token moves it to the new key.
        let err = fernet::decrypt_with_keys(&only_new, &py, None, now);
        assert_eq!(err.unwrap_err().kind(), CryptoErrorKind::InvalidToken);
        let rotated = fernet::rotate_token(&keys, &py, now).unwrap();
        let got = fernet::decrypt_with_keys(
            &only_new,
            rotated.as_bytes(),
            None,
            now,
        );
        assert_eq!(&got.unwrap(), pt, "{name}");
    }

    // Lenient decoding, both ways: Python accepts a trailing newline, an
    // inner space and the standard alphabet, and refuses missing padding;
    // mailshield accepts only the first.
    let verdicts: Vec<bool> =
        serde_json::from_slice(&fs::read(dir.join("lenient.json")).unwrap())
            .unwrap();
    assert_eq!(verdicts, [true, true, true, false]);
    let ours: Vec<bool> = lenient
        .iter()
        .map(|v| fernet::decrypt(&old, v.as_bytes(), None, now).is_ok())
        .collect();
    assert_eq!(ours, [true, false, false, false]);
}

#[test]
fn key_set_file_round_trip_through_the_public_api() {
    let dir = TempDir::new("keyset");
    let path = dir.join("keys.json");
    let mut keys = KeySet::generate().unwrap();
    keys.write_new(&path).unwrap();
    let first = mailshield::crypto::aead::seal(&keys, b"m1", b"one").unwrap();
    keys.rotate().unwrap();
    assert_eq!(
        keys.write_new(&path).unwrap_err().kind(),
        CryptoErrorKind::KeyFile
    );
    keys.save(&path).unwrap();
    let loaded = KeySet::load(&path).unwrap();
    assert_eq!(loaded.primary().id(), keys.primary().id());
    let opened =
        mailshield::crypto::aead::open(&loaded, b"m1", first.as_bytes());
    assert_eq!(opened.unwrap(), b"one");
}
