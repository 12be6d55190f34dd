//! Unit tests of token checking and minting.

use serde_json::{Value, json};

use super::*;

const SECRET: &[u8] = b"test-secret";
/// Test-only key pair (host/tests/fixtures/README.md).
const PRIVATE_PEM: &[u8] = include_bytes!("../../tests/fixtures/test-only-rsa-private.pem");
const PUBLIC_PEM: &[u8] = include_bytes!("../../tests/fixtures/test-only-rsa-public.pem");
const ISSUER: &str = "https://idp.example.com/";
const AUDIENCE: &str = "leadscore-api";

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Claims shaped like an Auth0 / Okta / Keycloak access token's, plus our `org`.
fn idp_claims() -> Value {
    let now = now();
    json!({
        "iss": ISSUER,
        "sub": "auth0|5f7c8ec7c33c6c004bbafe82",
        "aud": [AUDIENCE, "https://idp.example.com/userinfo"],
        "iat": now - 10,
        "nbf": now - 10,
        "exp": now + 3600,
        "azp": "x3qf9Jm1WbkV2c7ZpD0aLq",
        "scope": "openid profile crm.read.leads crm.write.leads",
        "org": "acme",
    })
}

/// An RS256 token signed with the test key, its header naming a `kid` as an IdP's does.
fn idp_token(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("test-key-2024-01".into());
    let key = EncodingKey::from_rsa_pem(PRIVATE_PEM).unwrap();
    format!("Bearer {}", jsonwebtoken::encode(&header, claims, &key).unwrap())
}

fn with(mut claims: Value, claim: &str, value: Value) -> Value {
    claims[claim] = value;
    claims
}

fn without(mut claims: Value, claim: &str) -> Value {
    claims.as_object_mut().unwrap().remove(claim);
    claims
}

/// The service as configured for the identity provider.
fn idp_auth() -> Auth {
    Auth::rs256(PUBLIC_PEM, false).unwrap().with_audience(&[AUDIENCE]).with_issuer(Some(ISSUER))
}

#[test]
fn a_minted_token_names_its_org_and_scopes() {
    let token = mint(SECRET, "acme", &[READ_LEADS], Duration::from_secs(60)).unwrap();
    let caller = Auth::hs256(SECRET, false).caller(Some(&format!("Bearer {token}"))).unwrap();
    assert_eq!(caller.org, "acme");
    assert!(caller.require(READ_LEADS).is_ok());
    assert_eq!(caller.require(WRITE_LEADS), Err(AuthError::MissingScope(WRITE_LEADS)));
}

#[test]
fn only_dev_mode_lets_a_request_without_a_token_through() {
    assert_eq!(Auth::hs256(SECRET, false).caller(None).unwrap_err(), AuthError::Missing);
    assert_eq!(Auth::hs256(SECRET, true).caller(None).unwrap().org, DEV_ORG);
}

#[test]
fn bad_tokens_are_refused_with_their_reason() {
    let auth = Auth::hs256(SECRET, true);
    let other = mint(b"another-secret", "acme", &[READ_LEADS], Duration::from_secs(60)).unwrap();
    assert_eq!(auth.caller(Some(&format!("Bearer {other}"))).unwrap_err(), AuthError::BadSignature);
    assert!(matches!(auth.caller(Some("Bearer not.a.jwt")), Err(AuthError::Malformed(_))));
    assert!(matches!(auth.caller(Some("Basic abc")), Err(AuthError::Malformed(_))));
    let claims =
        Claims { sub: "x".into(), org: "acme".into(), scope: READ_LEADS.into(), iat: 0, exp: 1_000, aud: None };
    let expired = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET));
    assert_eq!(auth.caller(Some(&format!("Bearer {}", expired.unwrap()))).unwrap_err(), AuthError::Expired);
    let hs384 = jsonwebtoken::encode(&Header::new(Algorithm::HS384), &claims, &EncodingKey::from_secret(SECRET));
    assert_eq!(auth.caller(Some(&format!("Bearer {}", hs384.unwrap()))).unwrap_err(), AuthError::Algorithm("HS256"));
    // alg: none, unsigned.
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    };
    let none = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(r#"{"sub":"x","org":"acme","scope":"crm.admin.models","iat":0,"exp":9999999999}"#)
    );
    assert!(auth.caller(Some(&format!("Bearer {none}"))).is_err());
}

#[test]
fn secrets_shorter_than_32_bytes_are_refused_with_the_rule() {
    for secret in ["", "x", &"s".repeat(31)] {
        let message = format!("{:#}", check_secret(secret.as_bytes()).unwrap_err());
        for needle in ["--jwt-secret", "LEADSCORE_JWT_SECRET", "at least 32 bytes"] {
            assert!(message.contains(needle), "{secret:?}: {message}");
        }
        assert!(Auth::hs256_checked(secret.as_bytes(), false).is_err());
    }
    assert!(format!("{:#}", check_secret(b"").unwrap_err()).contains("is empty"));
    assert!(check_secret(&[b's'; 32]).is_ok());
    assert!(format!("{:#}", check_secret(&[b' '; 40]).unwrap_err()).contains("only whitespace"));
    assert!(check_secret(DEV_SECRET.as_bytes()).is_ok());
    assert!(Auth::hs256_checked(&[b's'; 32], false).is_ok());
}

#[test]
fn dev_mode_listens_on_loopback_unless_remote_is_allowed() {
    for local in ["127.0.0.1:8080", "127.0.0.1:0", "[::1]:8080", "[::ffff:127.0.0.1]:8080"] {
        assert!(check_dev_addr(local.parse().unwrap(), false).is_ok(), "{local}");
    }
    for remote in ["0.0.0.0:8080", "0.0.0.0:0", "[::]:8080", "192.168.1.20:8080"] {
        let message = format!("{:#}", check_dev_addr(remote.parse().unwrap(), false).unwrap_err());
        assert!(message.contains("--dev-allow-remote") && message.contains("loopback"), "{remote}: {message}");
        assert!(check_dev_addr(remote.parse().unwrap(), true).is_ok(), "{remote} with --dev-allow-remote");
    }
}

#[test]
fn empty_audience_or_issuer_values_are_refused() {
    assert!(check_claim_values(&[], None).is_ok());
    assert!(check_claim_values(&[AUDIENCE.into(), "other".into()], Some(ISSUER)).is_ok());
    let empty = format!("{:#}", check_claim_values(&["".into()], None).unwrap_err());
    assert!(empty.contains("--jwt-audience") && empty.contains("LEADSCORE_JWT_AUDIENCE"), "{empty}");
    let empty = format!("{:#}", check_claim_values(&[], Some(" ")).unwrap_err());
    assert!(empty.contains("--jwt-issuer") && empty.contains("LEADSCORE_JWT_ISSUER"), "{empty}");
}

#[test]
fn the_validation_requires_what_is_configured_and_checks_nbf() {
    let plain = Auth::hs256(SECRET, false).validation();
    assert!(plain.validate_exp && plain.validate_nbf && plain.validate_aud);
    assert_eq!(plain.leeway, LEEWAY_SECS);
    assert_eq!(plain.algorithms, [Algorithm::HS256]);
    assert_eq!((plain.aud.as_ref(), plain.iss.as_ref()), (None, None));
    assert!(!plain.required_spec_claims.contains("aud") && !plain.required_spec_claims.contains("iss"));
    assert!(plain.required_spec_claims.contains("exp"));
    let idp = idp_auth().validation();
    assert_eq!(idp.algorithms, [Algorithm::RS256]);
    assert!(idp.aud.as_ref().unwrap().contains(AUDIENCE));
    assert!(idp.iss.as_ref().unwrap().contains(ISSUER));
    for claim in ["exp", "aud", "iss"] {
        assert!(idp.required_spec_claims.contains(claim), "{claim}");
    }
}

#[test]
fn an_identity_providers_token_with_the_right_audience_and_issuer_is_accepted() {
    let auth = idp_auth();
    let caller = auth.caller(Some(&idp_token(&idp_claims()))).unwrap();
    assert_eq!(caller.org, "acme");
    assert!(caller.require(READ_LEADS).is_ok() && caller.require(WRITE_LEADS).is_ok());
    assert_eq!(caller.require(ADMIN_MODELS), Err(AuthError::MissingScope(ADMIN_MODELS)));
    // `aud` as a single string, and an audience among several configured.
    let single = with(idp_claims(), "aud", json!(AUDIENCE));
    assert_eq!(auth.caller(Some(&idp_token(&single))).unwrap().org, "acme");
    let several = Auth::rs256(PUBLIC_PEM, false).unwrap().with_audience(&["other-api", AUDIENCE]);
    assert_eq!(several.caller(Some(&idp_token(&single))).unwrap().org, "acme");
    // No nbf at all is fine (it is checked when present), and so is an
    // nbf within the clock-skew leeway.
    assert!(auth.caller(Some(&idp_token(&without(idp_claims(), "nbf")))).is_ok());
    assert!(auth.caller(Some(&idp_token(&with(idp_claims(), "nbf", json!(now() + 2))))).is_ok());
}

#[test]
fn an_identity_providers_token_with_the_wrong_claims_is_refused_naming_the_claim() {
    let auth = idp_auth();
    let now = now();
    let cases = [
        (
            "wrong aud",
            with(idp_claims(), "aud", json!(["another-api", "https://idp.example.com/userinfo"])),
            AuthError::WrongAudience,
            "aud",
        ),
        ("wrong aud string", with(idp_claims(), "aud", json!("another-api")), AuthError::WrongAudience, "aud"),
        ("missing aud", without(idp_claims(), "aud"), AuthError::MissingAudience, "aud"),
        ("wrong iss", with(idp_claims(), "iss", json!("https://evil.example.com/")), AuthError::WrongIssuer, "iss"),
        ("missing iss", without(idp_claims(), "iss"), AuthError::MissingIssuer, "iss"),
        ("nbf an hour ahead", with(idp_claims(), "nbf", json!(now + 3600)), AuthError::NotYetValid, "nbf"),
        ("expired", with(idp_claims(), "exp", json!(now - 60)), AuthError::Expired, "expired"),
    ];
    for (what, claims, error, needle) in cases {
        let refused = auth.caller(Some(&idp_token(&claims))).unwrap_err();
        assert_eq!(refused, error, "{what}");
        assert_eq!(refused.status(), 401, "{what}");
        assert!(refused.to_string().contains(needle), "{what}: {refused}");
    }
    // Signed by someone else's key, or an HS256 token "signed" with the
    // public key as its secret (algorithm confusion).
    let forged =
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &idp_claims(), &EncodingKey::from_secret(PUBLIC_PEM));
    assert_eq!(auth.caller(Some(&format!("Bearer {}", forged.unwrap()))).unwrap_err(), AuthError::Algorithm("RS256"));
}

#[test]
fn without_a_configured_audience_a_token_carrying_one_is_refused() {
    let auth = Auth::rs256(PUBLIC_PEM, false).unwrap();
    let odd = [json!(5), json!(true), json!({"0": "other-api"}), json!(["other-api", 5]), json!(["other-api", null])];
    let usual = [json!([AUDIENCE, "https://idp.example.com/userinfo"]), json!(AUDIENCE), json!([])];
    for aud in usual.into_iter().chain(odd) {
        let refused = auth.caller(Some(&idp_token(&with(idp_claims(), "aud", aud.clone())))).unwrap_err();
        assert_eq!(refused, AuthError::AudienceNotConfigured, "{aud}");
        assert!(refused.to_string().contains("aud") && refused.to_string().contains("--jwt-audience"));
    }
    // A token without aud is accepted, and with no issuer configured any
    // iss is (the key says who signed).
    let caller = auth.caller(Some(&idp_token(&without(idp_claims(), "aud")))).unwrap();
    assert_eq!(caller.org, "acme");
    let foreign_iss = with(without(idp_claims(), "aud"), "iss", json!("https://other.example.com/"));
    assert!(auth.caller(Some(&idp_token(&foreign_iss))).is_ok());
}

#[test]
fn minted_tokens_carry_the_configured_audience_and_issuer() {
    let secret = [b's'; 32];
    let auth = Auth::hs256(&secret, false).with_audience(&[AUDIENCE]).with_issuer(Some(ISSUER));
    let audience = vec![AUDIENCE.to_string()];
    let minted = mint_for(&secret, "acme", &[READ_LEADS], Duration::from_secs(60), &audience, Some(ISSUER));
    assert_eq!(auth.caller(Some(&format!("Bearer {}", minted.unwrap()))).unwrap().org, "acme");
    let two = vec!["other-api".to_string(), AUDIENCE.to_string()];
    let minted = mint_for(&secret, "acme", &[READ_LEADS], Duration::from_secs(60), &two, Some(ISSUER));
    assert_eq!(auth.caller(Some(&format!("Bearer {}", minted.unwrap()))).unwrap().org, "acme");
    let plain = mint(&secret, "acme", &[READ_LEADS], Duration::from_secs(60)).unwrap();
    // (Missing both, either may be named: jsonwebtoken checks required claims in no fixed order.)
    let refused = auth.caller(Some(&format!("Bearer {plain}"))).unwrap_err();
    assert!(matches!(refused, AuthError::MissingAudience | AuthError::MissingIssuer), "{refused}");
    let audience_only = Auth::hs256(&secret, false).with_audience(&[AUDIENCE]);
    assert_eq!(audience_only.caller(Some(&format!("Bearer {plain}"))).unwrap_err(), AuthError::MissingAudience);
    let aud_only = mint_for(&secret, "acme", &[READ_LEADS], Duration::from_secs(60), &audience, None).unwrap();
    assert_eq!(auth.caller(Some(&format!("Bearer {aud_only}"))).unwrap_err(), AuthError::MissingIssuer);
    // And a service without an audience refuses a token minted for one.
    let plain_auth = Auth::hs256(&secret, false);
    let minted = mint_for(&secret, "acme", &[READ_LEADS], Duration::from_secs(60), &audience, None).unwrap();
    assert_eq!(plain_auth.caller(Some(&format!("Bearer {minted}"))).unwrap_err(), AuthError::AudienceNotConfigured);
}
