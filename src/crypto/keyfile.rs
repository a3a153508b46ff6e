//! Reading and writing the key-set file (its format is documented in
//! [`crate::crypto::keyset`]).
//!
//! The parser reads the file into a buffer that is wiped afterwards, parses
//! it as a JSON value and walks the value by hand, so that every error can
//! name its field without quoting the file: `serde_json`'s own messages can
//! echo input. Key strings are moved out of the value into wiped buffers.
//! The writer formats the JSON itself into a wiped buffer; every string it
//! writes (ids, algorithm names, base64, timestamps) needs no escaping.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::crypto::keyset::{
    Algorithm, Key, KeySet, decode_key_text, is_valid_key_id,
};
use crate::crypto::{CryptoError, hex, time};

/// The largest key-set file [`KeySet::load`] reads: 1 MiB.
pub const MAX_KEY_FILE_LEN: u64 = 1 << 20;

const TOP_FIELDS: &[&str] = &["version", "primary", "keys"];
const KEY_FIELDS: &[&str] = &["id", "algorithm", "key", "created"];

impl KeySet {
    /// Loads a key-set file.
    ///
    /// The file format is described in the [`keyset`] module docs. The
    /// file's mode is not checked; [`KeySet::write_new`] and
    /// [`KeySet::save`] write it 0600.
    ///
    /// [`keyset`]: crate::crypto::keyset
    ///
    /// # Errors
    ///
    /// `KeyFile` if the file cannot be read, is over 1 MiB, is not JSON,
    /// or breaks the format (a missing, mistyped, duplicated or unknown
    /// field; a bad key id, algorithm, key or timestamp; a `primary` that
    /// names no key). The message names the file and the field, never the
    /// key.
    ///
    /// # Example
    ///
    /// ```
    /// use mailshield::crypto::KeySet;
    ///
    /// let path = std::env::temp_dir()
    ///     .join(format!("mailshield-doc-load-{}.json", std::process::id()));
    /// let keys = KeySet::generate()?;
    /// keys.write_new(&path)?;
    /// let loaded = KeySet::load(&path)?;
    /// assert_eq!(loaded.primary().id(), keys.primary().id());
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), mailshield::crypto::CryptoError>(())
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<KeySet, CryptoError> {
        let path = path.as_ref();
        let text = read_limited(path)?;
        let root: Value = serde_json::from_slice(&text).map_err(|e| {
            let reason = format!(
                "not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            );
            CryptoError::key_file(path, None, reason)
        })?;
        Parser { path }.key_set(root)
    }

    /// Writes the key set to a new file with mode 0600, refusing to
    /// overwrite an existing one (`mailshield keygen --out FILE`).
    ///
    /// The file is flushed to disk before this returns; if writing fails
    /// part-way the partial file is removed.
    ///
    /// # Errors
    ///
    /// `KeyFile` if the file exists already or cannot be created or
    /// written.
    pub fn write_new(
        &self,
        path: impl AsRef<Path>,
    ) -> Result<(), CryptoError> {
        let path = path.as_ref();
        let text = self.to_json();
        let file = create_private(path).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                let reason = "already exists; refusing to overwrite it";
                CryptoError::key_file(path, None, reason)
            } else {
                CryptoError::key_file_io(path, "cannot create", e)
            }
        })?;
        write_all_synced(file, &text).map_err(|e| {
            // Best effort: the write error is the one to report.
            let _ = fs::remove_file(path);
            CryptoError::key_file_io(path, "cannot write", e)
        })
    }

    /// Writes the key set to `path` with mode 0600, replacing the file if
    /// it exists (after [`KeySet::rotate`], say).
    ///
    /// The set is written to a new temporary file beside `path`, flushed,
    /// then renamed over it, so a crash leaves either the old file or the
    /// new one. A replaced file's other links and ownership are not kept.
    ///
    /// # Errors
    ///
    /// `KeyFile` if the temporary file cannot be created or written, or the
    /// rename fails.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CryptoError> {
        let path = path.as_ref();
        let text = self.to_json();
        let tmp = temp_path(path)?;
        // Errors name `path`, the file the caller asked for.
        const TEMP: &str = "cannot write a temporary file beside it";
        let file = create_private(&tmp)
            .map_err(|e| CryptoError::key_file_io(path, TEMP, e))?;
        let written = write_all_synced(file, &text)
            .map_err(|e| CryptoError::key_file_io(path, TEMP, e))
            .and_then(|()| {
                fs::rename(&tmp, path).map_err(|e| {
                    CryptoError::key_file_io(path, "cannot replace", e)
                })
            });
        if written.is_err() {
            // Best effort: the first error is the one to report.
            let _ = fs::remove_file(&tmp);
        }
        written
    }

    /// The key-set file text, in a buffer wiped on drop.
    fn to_json(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(256));
        out.push_str("{\n  \"version\": 1,\n  \"primary\": \"");
        out.push_str(self.primary().id());
        out.push_str("\",\n  \"keys\": [");
        for (i, key) in self.iter().enumerate() {
            out.push_str(if i == 0 { "\n" } else { ",\n" });
            out.push_str("    {\n      \"id\": \"");
            out.push_str(key.id());
            out.push_str("\",\n      \"algorithm\": \"");
            out.push_str(key.algorithm().name());
            out.push_str("\",\n      \"key\": \"");
            URL_SAFE.encode_string(key.material(), &mut out);
            out.push_str("\",\n      \"created\": \"");
            out.push_str(&time::format_utc(key.created()));
            out.push_str("\"\n    }");
        }
        out.push_str("\n  ]\n}\n");
        out
    }
}

/// Reads at most [`MAX_KEY_FILE_LEN`] bytes into a wiped buffer.
fn read_limited(path: &Path) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let file = File::open(path)
        .map_err(|e| CryptoError::key_file_io(path, "cannot open", e))?;
    let mut text = Zeroizing::new(Vec::new());
    file.take(MAX_KEY_FILE_LEN + 1)
        .read_to_end(&mut text)
        .map_err(|e| CryptoError::key_file_io(path, "cannot read", e))?;
    if text.len() as u64 > MAX_KEY_FILE_LEN {
        let reason = "larger than 1 MiB; not a key-set file";
        return Err(CryptoError::key_file(path, None, reason));
    }
    Ok(text)
}

/// Creates a new file readable and writable by its owner only.
fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn write_all_synced(mut file: File, text: &str) -> io::Result<()> {
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// A fresh name beside `path` for the file that will replace it.
fn temp_path(path: &Path) -> Result<PathBuf, CryptoError> {
    let Some(name) = path.file_name() else {
        let reason = "names no file";
        return Err(CryptoError::key_file(path, None, reason));
    };
    let mut raw = [0u8; 8];
    crate::crypto::Random::fill(&ring::rand::SystemRandom::new(), &mut raw)?;
    let mut tmp = std::ffi::OsString::from(".");
    tmp.push(name);
    tmp.push(format!(".{}.tmp", hex(&raw)));
    Ok(path.with_file_name(tmp))
}

/// Walks a parsed key-set file; errors name `path` and the field.
struct Parser<'p> {
    path: &'p Path,
}

impl Parser<'_> {
    fn error(&self, field: impl Into<String>, reason: &str) -> CryptoError {
        CryptoError::key_file(self.path, Some(field.into()), reason)
    }

    fn key_set(&self, root: Value) -> Result<KeySet, CryptoError> {
        let Value::Object(mut top) = root else {
            let reason = "not a JSON object";
            return Err(CryptoError::key_file(self.path, None, reason));
        };
        self.no_unknown_fields(&top, TOP_FIELDS, "")?;
        match top.get("version") {
            Some(v) if v.as_u64() == Some(1) => {}
            Some(_) => return Err(self.error("version", "must be 1")),
            None => return Err(self.error("version", "missing")),
        }
        let primary = self.string(&mut top, "primary", "primary")?;
        let Some(Value::Array(list)) = top.remove("keys") else {
            return Err(self.error("keys", "missing or not an array"));
        };
        if list.is_empty() {
            return Err(self.error("keys", "holds no key"));
        }

        let mut keys: Vec<Key> = Vec::with_capacity(list.len());
        for (i, value) in list.into_iter().enumerate() {
            let key = self.key(i, value)?;
            if keys.iter().any(|k| k.id() == key.id()) {
                return Err(
                    self.error(format!("keys[{i}].id"), "duplicate id")
                );
            }
            keys.push(key);
        }
        let Some(index) = keys.iter().position(|k| k.id() == *primary) else {
            return Err(self.error("primary", "names no key in keys"));
        };
        Ok(KeySet::from_parts(keys, index))
    }

    fn key(&self, i: usize, value: Value) -> Result<Key, CryptoError> {
        let at = |name: &str| format!("keys[{i}].{name}");
        let Value::Object(mut fields) = value else {
            return Err(self.error(format!("keys[{i}]"), "not a JSON object"));
        };
        self.no_unknown_fields(&fields, KEY_FIELDS, &format!("keys[{i}]."))?;

        let id = self.string(&mut fields, "id", &at("id"))?;
        if !is_valid_key_id(&id) {
            let reason = "not 1 to 64 of A-Z a-z 0-9 _ -";
            return Err(self.error(at("id"), reason));
        }
        let name = self.string(&mut fields, "algorithm", &at("algorithm"))?;
        let Some(algorithm) = Algorithm::from_name(&name) else {
            let reason = "not \"aes-256-gcm\" or \"fernet\"";
            return Err(self.error(at("algorithm"), reason));
        };
        let text = self.string(&mut fields, "key", &at("key"))?;
        let material = decode_key_text(&text).map_err(|_| {
            self.error(at("key"), "not urlsafe base64 of 32 bytes")
        })?;
        let created = self.string(&mut fields, "created", &at("created"))?;
        let Some(created) = time::parse(&created) else {
            let reason = "not an RFC 3339 date-time from 1970 on";
            return Err(self.error(at("created"), reason));
        };
        Ok(Key::from_parts(id.to_string(), algorithm, material, created))
    }

    /// Moves a string field out of `fields` into a wiped buffer.
    fn string(
        &self,
        fields: &mut Map<String, Value>,
        name: &str,
        field: &str,
    ) -> Result<Zeroizing<String>, CryptoError> {
        match fields.remove(name) {
            Some(Value::String(s)) => Ok(Zeroizing::new(s)),
            Some(_) => Err(self.error(field, "not a string")),
            None => Err(self.error(field, "missing")),
        }
    }

    /// Refuses fields outside `known`, naming one only if its name is a
    /// plain identifier (so that no arbitrary text is printed).
    fn no_unknown_fields(
        &self,
        fields: &Map<String, Value>,
        known: &[&str],
        prefix: &str,
    ) -> Result<(), CryptoError> {
        let Some(name) = fields.keys().find(|k| !known.contains(&k.as_str()))
        else {
            return Ok(());
        };
        let printable = name.len() <= 32
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        let field = if printable {
            format!("{prefix}{name}")
        } else {
            format!("{prefix}<unnamed>")
        };
        Err(self.error(field, "unknown field"))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::json;

    use super::*;
    use crate::crypto::CryptoErrorKind;
    use crate::crypto::aead;

    const SPEC_KEY: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";

    /// A unique path under the temporary directory, removed on drop.
    struct TempPath(PathBuf);

    impl TempPath {
        fn new(tag: &str) -> TempPath {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let name = format!(
                "mailshield-keyfile-{tag}-{}-{n}-{}.json",
                std::process::id(),
                time::now()
            );
            TempPath(std::env::temp_dir().join(name))
        }
    }

    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = fs::remove_file(&self.0);
        }
    }

    fn load_text(text: &str) -> Result<KeySet, CryptoError> {
        let path = TempPath::new("text");
        fs::write(&path.0, text).unwrap();
        KeySet::load(&path.0)
    }

    fn file(primary: &str, keys: &[(&str, &str, &str, &str)]) -> Value {
        let keys: Vec<Value> = keys
            .iter()
            .map(|(id, algorithm, key, created)| {
                json!({
                    "id": id,
                    "algorithm": algorithm,
                    "key": key,
                    "created": created,
                })
            })
            .collect();
        json!({"version": 1, "primary": primary, "keys": keys})
    }

    #[test]
    fn write_new_then_load_round_trips() {
        let path = TempPath::new("roundtrip");
        let mut keys = KeySet::generate().unwrap();
        keys.rotate_with(Algorithm::Fernet).unwrap();
        keys.rotate().unwrap();
        keys.write_new(&path.0).unwrap();

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path.0).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let loaded = KeySet::load(&path.0).unwrap();
        assert_eq!(loaded.primary().id(), keys.primary().id());
        let pairs = keys.iter().zip(loaded.iter());
        for (a, b) in pairs {
            assert_eq!(a.id(), b.id());
            assert_eq!(a.algorithm(), b.algorithm());
            assert_eq!(a.material(), b.material());
            assert_eq!(a.created(), b.created());
        }
        assert_eq!(loaded.iter().count(), 3);
        let env = aead::seal(&keys, b"m", b"persisted").unwrap();
        assert_eq!(
            aead::open(&loaded, b"m", env.as_bytes()).unwrap(),
            b"persisted"
        );
    }

    #[test]
    fn write_new_refuses_to_overwrite_and_save_replaces() {
        let path = TempPath::new("overwrite");
        fs::write(&path.0, "precious").unwrap();
        let keys = KeySet::generate().unwrap();
        let err = keys.write_new(&path.0).unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::KeyFile);
        assert!(err.to_string().contains("refusing to overwrite"));
        assert_eq!(fs::read_to_string(&path.0).unwrap(), "precious");

        keys.save(&path.0).unwrap();
        let loaded = KeySet::load(&path.0).unwrap();
        assert_eq!(loaded.primary().id(), keys.primary().id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path.0).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // No temporary file is left beside it.
        let dir = path.0.parent().unwrap();
        let stem = path.0.file_name().unwrap().to_string_lossy().into_owned();
        let leftovers = fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.starts_with(&format!(".{stem}"))
            })
            .count();
        assert_eq!(leftovers, 0);
    }

    #[test]
    fn written_file_has_the_documented_shape() {
        let path = TempPath::new("shape");
        let keys = KeySet::from_fernet_key(SPEC_KEY).unwrap();
        keys.write_new(&path.0).unwrap();
        let text = fs::read_to_string(&path.0).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["primary"], keys.primary().id());
        let key = &v["keys"][0];
        assert_eq!(key["id"], keys.primary().id());
        assert_eq!(key["algorithm"], "fernet");
        assert_eq!(key["key"], SPEC_KEY);
        let created = key["created"].as_str().unwrap();
        assert!(created.ends_with('Z') && created.len() == 20, "{created}");
        assert_eq!(v.as_object().unwrap().len(), 3);
        assert_eq!(key.as_object().unwrap().len(), 4);
    }

    #[test]
    fn loads_a_hand_written_file() {
        let text = file(
            "old",
            &[
                ("old", "fernet", SPEC_KEY, "2020-01-01T00:00:00+01:00"),
                ("new", "aes-256-gcm", SPEC_KEY, "2021-06-30T12:00:00.5Z"),
            ],
        );
        let keys = load_text(&text.to_string()).unwrap();
        assert_eq!(keys.primary().id(), "old");
        assert_eq!(keys.primary().created(), 1_577_833_200);
        assert_eq!(keys.get("new").unwrap().algorithm(), Algorithm::Aes256Gcm);
    }

    #[test]
    fn errors_name_file_and_field_never_the_key() {
        let k = SPEC_KEY;
        let t = "2020-01-01T00:00:00Z";
        let bad_key = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4";
        let good = || file("a", &[("a", "fernet", k, t)]);
        let edit = |f: &dyn Fn(&mut Value)| {
            let mut v = good();
            f(&mut v);
            v
        };
        let cases: Vec<(Value, &str)> = vec![
            (file("a", &[("a", "fernet", bad_key, t)]), "keys[0].key"),
            (file("a", &[("a", "des", k, t)]), "keys[0].algorithm"),
            (file("a", &[("a b", "fernet", k, t)]), "keys[0].id"),
            (file("a", &[("a", "fernet", k, "yesterday")]), "keys[0].created"),
            (file("b", &[("a", "fernet", k, t)]), "primary"),
            (
                file("a", &[("a", "fernet", k, t), ("a", "fernet", k, t)]),
                "keys[1].id",
            ),
            (edit(&|v| v["version"] = json!(k)), "version"),
            (edit(&|v| v["version"] = json!(2)), "version"),
            (edit(&|v| v["keys"] = json!([])), "keys"),
            (edit(&|v| v["keys"] = json!(k)), "keys"),
            (edit(&|v| v["keys"] = json!([1])), "keys[0]"),
            (edit(&|v| v["primary"] = json!([k])), "primary"),
            (edit(&|v| v["keys"][0]["key"] = json!([k])), "keys[0].key"),
            (edit(&|v| v["keys"][0]["note"] = json!("x")), "keys[0].note"),
            (edit(&|v| v[k] = json!(1)), "<unnamed>"),
            (
                edit(&|v| {
                    v["keys"][0].as_object_mut().unwrap().remove("key");
                }),
                "keys[0].key",
            ),
            (
                edit(&|v| {
                    v.as_object_mut().unwrap().remove("primary");
                }),
                "primary",
            ),
        ];
        // The unedited file loads, so each case fails for its one edit.
        assert!(load_text(&good().to_string()).is_ok());
        for (value, field) in &cases {
            let text = value.to_string();
            let err = load_text(&text).unwrap_err();
            assert_eq!(err.kind(), CryptoErrorKind::KeyFile, "{text}");
            assert!(err.field().unwrap().contains(field), "{err} / {field}");
            let shown = format!("{err} {err:?}");
            assert!(shown.contains("mailshield-keyfile-text"), "{shown}");
            assert!(!shown.contains(&k[..12]), "{shown}");
        }
    }

    #[test]
    fn not_json_and_missing_file_are_reported() {
        let err =
            load_text(&format!("{{\"key\": \"{SPEC_KEY}\" oops")).unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::KeyFile);
        assert!(err.to_string().contains("not valid JSON (line 1"), "{err}");
        assert!(!err.to_string().contains(&SPEC_KEY[..12]));
        let err = load_text("[]").unwrap_err();
        assert!(err.to_string().ends_with("not a JSON object"), "{err}");

        let nowhere = Path::new("/nonexistent-mailshield-dir/keys.json");
        let err = KeySet::generate().unwrap().save(nowhere).unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::KeyFile);
        assert_eq!(err.path(), Some(nowhere));
        assert!(err.to_string().contains("temporary file"), "{err}");

        let path = TempPath::new("missing");
        let err = KeySet::load(&path.0).unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::KeyFile);
        assert!(err.to_string().contains("cannot open"), "{err}");
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn oversized_file_is_refused() {
        let text = " ".repeat(MAX_KEY_FILE_LEN as usize + 1);
        let err = load_text(&text).unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::KeyFile);
        assert!(err.to_string().contains("larger than 1 MiB"), "{err}");
    }
}
