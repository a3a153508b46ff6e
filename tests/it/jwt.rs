//! Bearer tokens signed here with test-only RSA keys
//! (`tests/data/jwt/*.der`, made with `openssl genpkey`), and the ways a
//! token must fail.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mailshield::auth::jwt::{TokenError, Verifier};
use ring::rand::SystemRandom;
use ring::rsa::PublicKeyComponents;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::{Value, json};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/jwt");
const ISS: &str =
    "https://sts.windows.net/11111111-2222-3333-4444-555555555555/";
const AUD: &str = "api://mailshield";
const NOW: u64 = 1_780_000_000;

fn key_pair(name: &str) -> RsaKeyPair {
    let der = std::fs::read(format!("{DATA}/{name}")).unwrap();
    RsaKeyPair::from_der(&der).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The JWKS of the test key, as `kid` `k1`.
fn jwks() -> String {
    let pair = key_pair("test-key.der");
    let public: PublicKeyComponents<Vec<u8>> = pair.public().into();
    json!({"keys": [
        {"kty": "EC", "kid": "ec1", "crv": "P-256", "x": "AA", "y": "AA"},
        {"kty": "RSA", "kid": "k1", "use": "sig", "n": b64(&public.n), "e": b64(&public.e)},
    ]})
    .to_string()
}

fn verifier() -> Verifier {
    Verifier::new(&jwks(), ISS, AUD).unwrap()
}

/// A token with `header` and `claims`, signed by the key in `file`.
fn signed_with(file: &str, header: &str, claims: &str) -> String {
    let input =
        format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()));
    let pair = key_pair(file);
    let mut sig = vec![0; pair.public().modulus_len()];
    pair.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .unwrap();
    format!("{input}.{}", b64(&sig))
}

fn claims() -> Value {
    json!({
        "iss": ISS, "aud": AUD, "sub": "u1", "scp": "mail.scan", "ver": "1.0",
        "exp": NOW + 600, "nbf": NOW - 10, "iat": NOW - 10
    })
}

fn token(claims: &Value) -> String {
    signed_with(
        "test-key.der",
        r#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#,
        &claims.to_string(),
    )
}

fn with(name: &str, value: Value) -> Value {
    let mut c = claims();
    c[name] = value;
    c
}

#[test]
fn a_token_signed_with_the_test_key_passes() {
    let got = verifier().verify(&token(&claims()), NOW).unwrap();
    assert_eq!(got["sub"], "u1");
    // An audience array holding ours passes too.
    let list = with("aud", json!(["other", AUD]));
    assert!(verifier().verify(&token(&list), NOW).is_ok());
}

#[test]
fn a_changed_claim_breaks_the_signature() {
    let t = token(&claims());
    let parts: Vec<&str> = t.split('.').collect();
    let changed = with("sub", json!("admin")).to_string();
    let forged =
        format!("{}.{}.{}", parts[0], b64(changed.as_bytes()), parts[2]);
    assert_eq!(verifier().verify(&forged, NOW), Err(TokenError::Signature));
    // Signed by a key of another tenant, under the same kid.
    let other = signed_with(
        "other-key.der",
        r#"{"alg":"RS256","kid":"k1"}"#,
        &claims().to_string(),
    );
    assert_eq!(verifier().verify(&other, NOW), Err(TokenError::Signature));
}

#[test]
fn none_and_hmac_algorithms_are_refused() {
    let body = b64(claims().to_string().as_bytes());
    let none = format!("{}.{body}.", b64(br#"{"alg":"none","typ":"JWT"}"#));
    assert_eq!(verifier().verify(&none, NOW), Err(TokenError::Algorithm));

    // HS256 keyed with the public key's bytes (key confusion).
    let header = b64(br#"{"alg":"HS256","kid":"k1"}"#);
    let input = format!("{header}.{body}");
    let public = key_pair("test-key.der").public().as_ref().to_vec();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &public);
    let tag = ring::hmac::sign(&key, input.as_bytes());
    let hs = format!("{input}.{}", b64(tag.as_ref()));
    assert_eq!(verifier().verify(&hs, NOW), Err(TokenError::Algorithm));

    // A duplicate alg is not a header at all.
    let dup = signed_with(
        "test-key.der",
        r#"{"alg":"RS256","alg":"none","kid":"k1"}"#,
        &claims().to_string(),
    );
    assert_eq!(verifier().verify(&dup, NOW), Err(TokenError::Malformed));
}

#[test]
fn keys_come_from_the_jwks_only() {
    let c = claims().to_string();
    for header in [
        r#"{"alg":"RS256","kid":"k1","jku":"http://192.0.2.1/keys"}"#,
        r#"{"alg":"RS256","kid":"k1","x5u":"http://192.0.2.1/cert"}"#,
        r#"{"alg":"RS256","kid":"k1","jwk":{"kty":"RSA","n":"AQ","e":"AQAB"}}"#,
    ] {
        let t = signed_with("test-key.der", header, &c);
        assert_eq!(
            verifier().verify(&t, NOW),
            Err(TokenError::Algorithm),
            "{header}"
        );
    }
    let long = "x".repeat(10_000);
    for kid in ["../../dev/null", "' OR 1=1 --", "ec1", "k2", long.as_str()] {
        let header = json!({"alg": "RS256", "kid": kid}).to_string();
        let t = signed_with("test-key.der", &header, &c);
        assert_eq!(verifier().verify(&t, NOW), Err(TokenError::UnknownKey));
    }
    let no_kid = signed_with("test-key.der", r#"{"alg":"RS256"}"#, &c);
    assert_eq!(verifier().verify(&no_kid, NOW), Err(TokenError::UnknownKey));
}

#[test]
fn time_claims_are_whole_seconds_inside_the_skew() {
    let v = verifier();
    let cases = [
        (with("exp", json!(NOW - 61)), Err(TokenError::Expired)),
        (with("exp", json!(NOW - 59)), Ok(())),
        (with("exp", json!(NOW.to_string())), Err(TokenError::Expired)),
        (with("exp", json!(NOW as f64 + 600.5)), Err(TokenError::Expired)),
        (with("nbf", json!(NOW + 120)), Err(TokenError::NotYetValid)),
        (with("nbf", json!(NOW + 30)), Ok(())),
        (with("iat", json!(NOW + 86_400 * 365)), Err(TokenError::NotYetValid)),
    ];
    for (c, want) in cases {
        let got = v.verify(&token(&c), NOW).map(|_| ());
        assert_eq!(got, want, "{c}");
    }
    let mut no_exp = claims();
    no_exp.as_object_mut().unwrap().remove("exp");
    assert_eq!(v.verify(&token(&no_exp), NOW), Err(TokenError::Expired));
}

#[test]
fn issuer_and_audience_are_compared_exactly() {
    let v = verifier();
    for iss in [
        "https://sts.windows.net/99999999-2222-3333-4444-555555555555/",
        "https://sts.windows.net/11111111-2222-3333-4444-555555555555",
        " https://sts.windows.net/11111111-2222-3333-4444-555555555555/",
        "https://STS.windows.net/11111111-2222-3333-4444-555555555555/",
        "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0",
    ] {
        let t = token(&with("iss", json!(iss)));
        assert_eq!(v.verify(&t, NOW), Err(TokenError::Issuer), "{iss}");
    }
    for aud in [
        json!("00000003-0000-0000-c000-000000000000"),
        json!("https://graph.microsoft.com"),
        json!(["other"]),
        json!(null),
    ] {
        let t = token(&with("aud", aud.clone()));
        assert_eq!(v.verify(&t, NOW), Err(TokenError::Audience), "{aud}");
    }
}

#[test]
fn malformed_tokens_are_refused_before_decoding() {
    let v = verifier();
    let t = token(&claims());
    let parts: Vec<&str> = t.split('.').collect();
    let array = b64(b"[1,2]");
    let cases = [
        format!("{}.{}", parts[0], parts[1]),
        format!("{t}.x"),
        format!("{}.{}.{}", parts[0], "not*base64", parts[2]),
        format!("{}.{array}.{}", parts[0], parts[2]),
        "a".repeat(1 << 20),
        String::new(),
    ];
    for c in &cases {
        let got = v.verify(c, NOW);
        assert!(
            matches!(got, Err(TokenError::Malformed | TokenError::Signature)),
            "{got:?}"
        );
    }
    // A header in UTF-16 is not JSON here.
    let utf16: Vec<u8> = r#"{"alg":"RS256","kid":"k1"}"#
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let t16 = format!("{}.{}.{}", b64(&utf16), parts[1], parts[2]);
    assert_eq!(v.verify(&t16, NOW), Err(TokenError::Malformed));
    // The payload that is an array fails the signature first (it was not
    // signed); signed, it is malformed.
    let signed_array =
        signed_with("test-key.der", r#"{"alg":"RS256","kid":"k1"}"#, "[1,2]");
    assert_eq!(v.verify(&signed_array, NOW), Err(TokenError::Malformed));
}

/// A token with `typ` in its header (none when `None`) and `claims`.
fn typed(typ: Option<&str>, claims: &Value) -> String {
    let mut header = json!({"alg": "RS256", "kid": "k1"});
    if let Some(t) = typ {
        header["typ"] = json!(t);
    }
    signed_with("test-key.der", &header.to_string(), &claims.to_string())
}

fn without(names: &[&str]) -> Value {
    let mut c = claims();
    for n in names {
        c.as_object_mut().unwrap().remove(*n);
    }
    c
}

// HOSTILE 102: an ID token, or a token of the same tenant for another
// API, is not an access token to mailshield.
#[test]
fn id_tokens_and_tokens_for_other_apis_are_refused() {
    let v = verifier();
    // An ID token of the same tenant for the same client: no grant, and
    // a nonce when one was asked for.
    let id_token = without(&["scp"]);
    assert_eq!(v.verify(&token(&id_token), NOW), Err(TokenError::Type));
    let mut with_nonce = claims();
    with_nonce["nonce"] = json!("n-0S6_WzA2Mj");
    assert_eq!(v.verify(&token(&with_nonce), NOW), Err(TokenError::Type));
    let mut with_hash = claims();
    with_hash["at_hash"] = json!("77QmUPtjPfzWtF2AnpK9RQ");
    assert_eq!(v.verify(&token(&with_hash), NOW), Err(TokenError::Type));
    // An access token of the same tenant for another API.
    let other_api = with("aud", json!("api://payroll"));
    assert_eq!(v.verify(&token(&other_api), NOW), Err(TokenError::Audience));
    // App tokens carry roles, RFC 9068 tokens scope: both grants.
    for grant in ["roles", "scope"] {
        let mut c = without(&["scp"]);
        c[grant] = json!("mail.scan");
        assert!(v.verify(&token(&c), NOW).is_ok(), "{grant}");
    }
}

// HOSTILE 102: the header's `typ` and the `ver` claim.
#[test]
fn typ_and_ver_name_an_access_token_of_the_configured_version() {
    let v = verifier();
    let c = claims();
    for (typ, want) in [
        (None, Ok(())),
        (Some("JWT"), Ok(())),
        (Some("at+jwt"), Ok(())),
        (Some("application/AT+JWT"), Ok(())),
        (Some("id_token+jwt"), Err(TokenError::Type)),
        (Some("logout+jwt"), Err(TokenError::Type)),
        (Some("secevent+jwt"), Err(TokenError::Type)),
        (Some("dpop+jwt"), Err(TokenError::Type)),
    ] {
        let got = v.verify(&typed(typ, &c), NOW).map(|_| ());
        assert_eq!(got, want, "{typ:?}");
    }
    // Required explicitly, `typ` must be there and be that one.
    let strict = verifier().with_type("application/at+jwt");
    assert!(strict.verify(&typed(Some("at+jwt"), &c), NOW).is_ok());
    for typ in [None, Some("JWT")] {
        let got = strict.verify(&typed(typ, &c), NOW);
        assert_eq!(got, Err(TokenError::Type), "{typ:?}");
    }
    // A v1.0 API refuses v2.0 tokens and tokens without `ver`.
    let v1 = verifier().with_version("1.0");
    assert!(v1.verify(&token(&c), NOW).is_ok());
    let v2 = with("ver", json!("2.0"));
    assert_eq!(v1.verify(&token(&v2), NOW), Err(TokenError::Type));
    let none = without(&["ver"]);
    assert_eq!(v1.verify(&token(&none), NOW), Err(TokenError::Type));
    assert_eq!(
        TokenError::Type.to_string(),
        "not an access token of the expected type"
    );
}
