//! Bearer tokens: RS256 JWTs checked against a JWKS document.
//!
//! [`Verifier::verify`] refuses a token unless every check passes, in
//! this order: size (16 KiB, before any decoding), three base64url
//! segments, a header that is one JSON object without duplicate keys,
//! `alg` exactly `RS256` (so `none` and the HMAC algorithms never are),
//! no `jku`, `x5u`, `jwk` or `crit` (no key is fetched or taken from the
//! token), a `kid` that names an RSA signing key of the JWKS by exact
//! match, the signature (ring's PKCS#1 v1.5 SHA-256 with 2048 to 8192 bit
//! keys), then the claims: `exp` required, `exp`, `nbf` and `iat` whole
//! numbers of seconds, `exp` in the future and `nbf` and `iat` not, each
//! with the configured skew (60 seconds by default); `iss` equal to the
//! configured issuer and `aud` (a string, or an array) holding the
//! configured audience, both compared byte for byte; last the token's
//! type (RFC 8725 sections 3.11 and 3.12), so that an ID token or a
//! token of another kind is not taken for an access token:
//!
//! - the header's `typ`, when present, is `JWT` or `at+jwt` (RFC 9068;
//!   an `application/` prefix and any case allowed), or exactly the one
//!   [`Verifier::with_type`] requires, which then must be present;
//! - no ID token claim (`nonce`, `at_hash`, `c_hash`), and a grant: an
//!   access token carries `scp` or `roles` (Microsoft's) or `scope`
//!   (RFC 9068), which an ID token never does;
//! - with [`Verifier::with_version`], the `ver` claim equal to it (`1.0`
//!   and `2.0` tokens of one tenant differ in issuer and audience).
//!
//! A token of the same tenant meant for another API fails on its `aud`.
//! The guide checked no signature, compared `iss` by prefix and expected
//! Graph's audience.
//!
//! Limitations: when an API and its client share one app registration,
//! an ID token without `nonce` is told from an access token only by its
//! lack of `scp`/`roles`; an issuer that sets `typ` to `at+jwt` lets
//! [`Verifier::with_type`] make the rule explicit.
//!
//! Fetching tokens and the JWKS document stays with the host
//! application.

use std::collections::HashMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The largest token read, in bytes.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Why a token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Not a JWT of the expected shape (size, segments, base64, JSON).
    Malformed,
    /// `alg` is not RS256, or the header asks to fetch or embed a key.
    Algorithm,
    /// No RSA signing key of the JWKS has the token's `kid`.
    UnknownKey,
    /// The signature does not verify.
    Signature,
    /// `exp` is missing, not a whole number, or past.
    Expired,
    /// `nbf` or `iat` is in the future, or not a whole number.
    NotYetValid,
    /// `iss` is not the configured issuer.
    Issuer,
    /// `aud` does not hold the configured audience.
    Audience,
    /// Not an access token: `typ`, `ver`, ID token claims, or no grant.
    Type,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenError::Malformed => "malformed token",
            TokenError::Algorithm => "algorithm or key source not allowed",
            TokenError::UnknownKey => "unknown signing key",
            TokenError::Signature => "bad signature",
            TokenError::Expired => "token expired or without expiry",
            TokenError::NotYetValid => "token not valid yet",
            TokenError::Issuer => "wrong issuer",
            TokenError::Audience => "wrong audience",
            TokenError::Type => "not an access token of the expected type",
        })
    }
}

impl std::error::Error for TokenError {}

/// An error reading a JWKS document.
#[derive(Debug)]
pub struct JwksError(String);

impl fmt::Display for JwksError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JWKS document: {}", self.0)
    }
}

impl std::error::Error for JwksError {}

/// The header fields read; serde refuses duplicates of any of them.
#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
    typ: Option<String>,
    jku: Option<Value>,
    x5u: Option<Value>,
    jwk: Option<Value>,
    crit: Option<Value>,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    alg: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

/// An RSA public key: modulus and exponent, big-endian.
struct RsaKey {
    n: Vec<u8>,
    e: Vec<u8>,
}

/// Checks tokens for one issuer and audience against one key set.
pub struct Verifier {
    keys: HashMap<String, RsaKey>,
    issuer: String,
    audience: String,
    skew: u64,
    typ: Option<String>,
    version: Option<String>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("keys", &self.keys.len())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("skew", &self.skew)
            .field("typ", &self.typ)
            .field("version", &self.version)
            .finish()
    }
}

impl Verifier {
    /// A verifier with the RSA signing keys of `jwks` (a JWKS document:
    /// `{"keys": [...]}`), accepting tokens whose `iss` is `issuer` and
    /// whose `aud` holds `audience`, with 60 seconds of clock skew. Keys
    /// of other types, or marked for encryption or another algorithm, or
    /// without a `kid`, are left out.
    ///
    /// # Errors
    ///
    /// When the document is not a JWKS, or an RSA key's `n` or `e` is not
    /// base64url.
    pub fn new(
        jwks: &str,
        issuer: &str,
        audience: &str,
    ) -> Result<Verifier, JwksError> {
        let doc: Jwks = serde_json::from_str(jwks)
            .map_err(|e| JwksError(format!("not a key set ({e})")))?;
        let mut keys = HashMap::new();
        for k in doc.keys {
            let signing = k.kty == "RSA"
                && k.usage.as_deref().is_none_or(|u| u == "sig")
                && k.alg.as_deref().is_none_or(|a| a == "RS256");
            let (Some(kid), Some(n), Some(e), true) =
                (k.kid, k.n, k.e, signing)
            else {
                continue;
            };
            let decode = |v: &str| {
                URL_SAFE_NO_PAD.decode(v).map_err(|_| {
                    JwksError(format!(
                        "key `{kid}`: `n` or `e` is not base64url"
                    ))
                })
            };
            let key = RsaKey { n: decode(&n)?, e: decode(&e)? };
            keys.insert(kid, key);
        }
        Ok(Verifier {
            keys,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            skew: 60,
            typ: None,
            version: None,
        })
    }

    /// The same verifier with `seconds` of clock skew.
    pub fn with_skew(mut self, seconds: u64) -> Verifier {
        self.skew = seconds;
        self
    }

    /// The same verifier requiring the header's `typ` to be `typ` (such
    /// as `at+jwt`), compared ignoring case and an `application/` prefix.
    pub fn with_type(mut self, typ: &str) -> Verifier {
        self.typ = Some(media_type(typ));
        self
    }

    /// The same verifier requiring the `ver` claim to equal `version`
    /// (`1.0` or `2.0` for Microsoft's tokens).
    pub fn with_version(mut self, version: &str) -> Verifier {
        self.version = Some(version.to_string());
        self
    }

    /// Checks `token` at `now` (Unix seconds) and returns its claims.
    ///
    /// # Errors
    ///
    /// The first check that fails, as the module documentation orders
    /// them.
    pub fn verify(
        &self,
        token: &str,
        now: u64,
    ) -> Result<Map<String, Value>, TokenError> {
        // Shape, before anything is decoded.
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let decode = |seg: &str| {
            URL_SAFE_NO_PAD.decode(seg).map_err(|_| TokenError::Malformed)
        };
        let header: Header = serde_json::from_slice(&decode(h)?)
            .map_err(|_| TokenError::Malformed)?;

        // The algorithm and the key, from the JWKS only.
        let fetched = [&header.jku, &header.x5u, &header.jwk, &header.crit];
        if header.alg != "RS256" || fetched.iter().any(|v| v.is_some()) {
            return Err(TokenError::Algorithm);
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.keys.get(kid))
            .ok_or(TokenError::UnknownKey)?;
        let signature = decode(s)?;
        let signed = &token[..h.len() + 1 + p.len()];
        RsaPublicKeyComponents { n: &key.n, e: &key.e }
            .verify(&RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &signature)
            .map_err(|_| TokenError::Signature)?;

        // The claims.
        let claims: Map<String, Value> = serde_json::from_slice(&decode(p)?)
            .map_err(|_| TokenError::Malformed)?;
        self.check_times(&claims, now)?;
        if claims.get("iss").and_then(Value::as_str) != Some(&self.issuer) {
            return Err(TokenError::Issuer);
        }
        let audience_ok = match claims.get("aud") {
            Some(Value::String(a)) => *a == self.audience,
            Some(Value::Array(list)) => {
                list.iter().any(|a| a.as_str() == Some(&self.audience))
            }
            _ => false,
        };
        if !audience_ok {
            return Err(TokenError::Audience);
        }
        self.check_type(header.typ.as_deref(), &claims)?;
        Ok(claims)
    }

    /// The type rules of the module documentation.
    fn check_type(
        &self,
        typ: Option<&str>,
        claims: &Map<String, Value>,
    ) -> Result<(), TokenError> {
        // The header's `typ`: one of the access token types, or the one
        // required.
        let typ = typ.map(media_type);
        let typ_ok = match (&self.typ, &typ) {
            (Some(want), Some(got)) => want == got,
            (Some(_), None) => false,
            (None, Some(got)) => got == "jwt" || got == "at+jwt",
            (None, None) => true,
        };
        // No ID token claim, and a grant.
        let id_token = ["nonce", "at_hash", "c_hash"]
            .iter()
            .any(|c| claims.contains_key(*c));
        let grant =
            ["scp", "roles", "scope"].iter().any(|c| claims.contains_key(*c));
        let version_ok = self.version.as_deref().is_none_or(|v| {
            claims.get("ver").and_then(Value::as_str) == Some(v)
        });
        if typ_ok && !id_token && grant && version_ok {
            Ok(())
        } else {
            Err(TokenError::Type)
        }
    }

    fn check_times(
        &self,
        claims: &Map<String, Value>,
        now: u64,
    ) -> Result<(), TokenError> {
        let seconds = |name: &str, err: TokenError| match claims.get(name) {
            None => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or(err),
        };
        let exp =
            seconds("exp", TokenError::Expired)?.ok_or(TokenError::Expired)?;
        if now >= exp.saturating_add(self.skew) {
            return Err(TokenError::Expired);
        }
        for name in ["nbf", "iat"] {
            if let Some(t) = seconds(name, TokenError::NotYetValid)?
                && t > now.saturating_add(self.skew)
            {
                return Err(TokenError::NotYetValid);
            }
        }
        Ok(())
    }
}

/// A media type as RFC 7515 section 4.1.9 compares it: without case and
/// without an `application/` prefix.
fn media_type(typ: &str) -> String {
    let lower = typ.to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) => rest.to_string(),
        None => lower,
    }
}
