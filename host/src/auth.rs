//! JWT bearer authentication: who is calling (the `org` claim, which scopes
//! every read and write) and what they may do (the `scope` claim).
//!
//! Tokens are HS256 with a shared secret or RS256 checked with a public key;
//! nothing else is accepted (`alg: none` included). `exp` is required and
//! `nbf`, when present, is checked (both with [`LEEWAY_SECS`] of clock skew).
//! With an audience configured ([`Auth::with_audience`]) a token must carry
//! an `aud` naming one of them; without one, a token carrying `aud` is
//! refused (it was minted for some service, and nothing says it is this one).
//! With an issuer configured ([`Auth::with_issuer`]) a token must carry that
//! `iss`. `--dev` lets requests without a token through as the demo tenant
//! with every scope, and only then.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Request scores and report outcomes.
pub const WRITE_LEADS: &str = "crm.write.leads";
/// Read scores and leads.
pub const READ_LEADS: &str = "crm.read.leads";
/// Install models and change routing.
pub const ADMIN_MODELS: &str = "crm.admin.models";
/// Every scope, for development tokens.
pub const ALL_SCOPES: [&str; 3] = [WRITE_LEADS, READ_LEADS, ADMIN_MODELS];
/// The tenant of `--dev` requests without a token.
pub const DEV_ORG: &str = "demo";
/// The HS256 secret `--dev` uses when none is configured.
pub const DEV_SECRET: &str = "leadscore-development-secret-not-for-production";
/// The shortest HS256 secret the command line accepts, in bytes: the size of
/// HS256's hash (RFC 7518 §3.2 asks for a key at least that long). A shorter
/// secret can be guessed offline from a single token, and whoever guesses it
/// mints operator tokens.
pub const MIN_SECRET_BYTES: usize = 32;
/// Clock skew allowed on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: u64 = 5;

/// What a tenant id may be.
pub const TENANT_RULE: &str = "a tenant id is 1–64 letters, digits, '-', '_' or '.'";

/// Whether `id` is a well-formed tenant id.
pub fn is_tenant_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// Refuses a configured HS256 secret shorter than [`MIN_SECRET_BYTES`] (an
/// empty one included: a blank `LEADSCORE_JWT_SECRET=` is a bad secret, not
/// a missing one).
pub fn check_secret(secret: &[u8]) -> Result<()> {
    anyhow::ensure!(
        secret.len() >= MIN_SECRET_BYTES,
        "the token secret (--jwt-secret or LEADSCORE_JWT_SECRET) is {}: it must be at least {MIN_SECRET_BYTES} bytes \
         (e.g. `openssl rand -hex 32`), or anyone could guess it and mint tokens",
        match secret.len() {
            0 => "empty".to_string(),
            1 => "only 1 byte".to_string(),
            n => format!("only {n} bytes"),
        }
    );
    anyhow::ensure!(
        !secret.iter().all(u8::is_ascii_whitespace),
        "the token secret (--jwt-secret or LEADSCORE_JWT_SECRET) is only whitespace: use random bytes (e.g. `openssl rand -hex 32`)"
    );
    Ok(())
}

/// Refuses `--dev` on an address other hosts can reach unless
/// `allow_remote` (`--dev-allow-remote`): development mode trusts a public
/// secret ([`DEV_SECRET`]) and lets requests without a token in as
/// [`DEV_ORG`] with every scope.
pub fn check_dev_addr(addr: SocketAddr, allow_remote: bool) -> Result<()> {
    anyhow::ensure!(
        allow_remote || addr.ip().to_canonical().is_loopback(),
        "--dev listens only on a loopback address (127.0.0.1 or [::1]), not {addr}: development mode lets requests \
         without a token in as tenant {DEV_ORG:?} with every scope and trusts the public development secret; pass \
         --dev-allow-remote to listen on {addr} anyway"
    );
    Ok(())
}

/// Refuses an empty `--jwt-audience` or `--jwt-issuer` value (a blank
/// environment variable included): it would not mean "no check".
pub fn check_claim_values(audience: &[String], issuer: Option<&str>) -> Result<()> {
    anyhow::ensure!(
        audience.iter().all(|a| !a.trim().is_empty()),
        "--jwt-audience (LEADSCORE_JWT_AUDIENCE) has an empty value: name the audience(s) tokens are minted for, \
         comma-separated, or leave it unset"
    );
    anyhow::ensure!(
        issuer.is_none_or(|i| !i.trim().is_empty()),
        "--jwt-issuer (LEADSCORE_JWT_ISSUER) is empty: name the issuer tokens come from, or leave it unset"
    );
    Ok(())
}

/// A token's claims (the ones this service reads; others, such as `aud`,
/// `iss`, `nbf`, `azp` or `kid` in the header, are checked or ignored).
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// Who the token was issued to.
    pub sub: String,
    /// The tenant (organisation).
    pub org: String,
    /// Space-separated scopes (OAuth 2 style).
    pub scope: String,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Expires at, seconds since the epoch.
    pub exp: u64,
    /// The audience, read here whatever its JSON type: jsonwebtoken checks a
    /// string or a list of strings only, and with no audience configured a
    /// token carrying any `aud` (a number, an object) must be refused too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<serde_json::Value>,
}

/// The authenticated caller.
#[derive(Clone, Debug)]
pub struct Caller {
    /// Their tenant.
    pub org: String,
    /// Their scopes.
    pub scopes: Vec<String>,
}

impl Caller {
    /// Refuses a caller without `scope`.
    pub fn require(&self, scope: &'static str) -> Result<(), AuthError> {
        if self.scopes.iter().any(|s| s == scope) { Ok(()) } else { Err(AuthError::MissingScope(scope)) }
    }
}

/// Why a request was not authenticated (401) or not allowed (403).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    #[error("missing bearer token: send `Authorization: Bearer <jwt>`")]
    Missing,
    /// Not a JWT, or claims missing.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// Past its `exp`.
    #[error("the token has expired")]
    Expired,
    /// Before its `nbf`.
    #[error("the token is not valid yet (its nbf claim is in the future)")]
    NotYetValid,
    /// The signature does not verify.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// Signed with an algorithm this service does not accept.
    #[error("the token's algorithm is not accepted (expected {0})")]
    Algorithm(&'static str),
    /// An audience is configured and the token has no `aud`.
    #[error("the token has no audience (aud claim): this service accepts only tokens minted for it")]
    MissingAudience,
    /// An audience is configured and the token's `aud` names none of it.
    #[error("the token's audience (aud claim) is not this service")]
    WrongAudience,
    /// No audience is configured and the token has an `aud`: it was minted
    /// for some service, and nothing says which.
    #[error(
        "the token has an audience (aud claim) but this service is configured with none, so it cannot tell whether \
         the token was minted for it: the operator must set --jwt-audience (LEADSCORE_JWT_AUDIENCE)"
    )]
    AudienceNotConfigured,
    /// An issuer is configured and the token has no `iss`.
    #[error("the token has no issuer (iss claim): this service accepts only tokens from its issuer")]
    MissingIssuer,
    /// An issuer is configured and the token's `iss` is another.
    #[error("the token's issuer (iss claim) is not the one this service trusts")]
    WrongIssuer,
    /// Valid, but without the scope the endpoint needs.
    #[error("the token lacks the scope {0}")]
    MissingScope(&'static str),
}

impl AuthError {
    /// 403 for a missing scope, 401 otherwise.
    pub fn status(&self) -> u16 {
        if matches!(self, AuthError::MissingScope(_)) { 403 } else { 401 }
    }
}

/// How tokens are checked.
#[derive(Debug)]
pub struct Auth {
    key: DecodingKey,
    algorithm: Algorithm,
    dev: bool,
    /// Accepted `aud` values; empty: none configured (a token with `aud` is refused).
    audience: Vec<String>,
    /// The required `iss`, if configured.
    issuer: Option<String>,
}

impl Auth {
    /// HS256 with a shared secret (any length: the command line checks it
    /// with [`check_secret`], or use [`Auth::hs256_checked`]).
    pub fn hs256(secret: &[u8], dev: bool) -> Auth {
        Auth {
            key: DecodingKey::from_secret(secret),
            algorithm: Algorithm::HS256,
            dev,
            audience: Vec::new(),
            issuer: None,
        }
    }

    /// HS256 with a configured secret: refuses one shorter than
    /// [`MIN_SECRET_BYTES`].
    pub fn hs256_checked(secret: &[u8], dev: bool) -> Result<Auth> {
        check_secret(secret)?;
        Ok(Auth::hs256(secret, dev))
    }

    /// RS256 with a PEM public key.
    pub fn rs256(public_key_pem: &[u8], dev: bool) -> Result<Auth> {
        let key = DecodingKey::from_rsa_pem(public_key_pem).context("the RS256 public key is not a PEM RSA key")?;
        Ok(Auth { key, algorithm: Algorithm::RS256, dev, audience: Vec::new(), issuer: None })
    }

    /// Accepts only tokens whose `aud` (a string or a list) names one of
    /// `audience`; a token without `aud` is refused. An empty `audience`
    /// configures none: then a token carrying `aud` is refused.
    pub fn with_audience<S: AsRef<str>>(mut self, audience: &[S]) -> Auth {
        self.audience = audience.iter().map(|a| a.as_ref().to_string()).collect();
        self
    }

    /// Accepts only tokens whose `iss` is `issuer`; a token without `iss` is
    /// refused. `None`: `iss` is not checked (the key says who signed).
    pub fn with_issuer(mut self, issuer: Option<&str>) -> Auth {
        self.issuer = issuer.map(String::from);
        self
    }

    /// Whether `--dev` is on.
    pub fn dev(&self) -> bool {
        self.dev
    }

    /// Whether tokens are RS256 (a public key, typically an identity provider's).
    pub fn is_rs256(&self) -> bool {
        self.algorithm == Algorithm::RS256
    }

    /// What a token must satisfy besides its signature.
    fn validation(&self) -> Validation {
        let mut validation = Validation::new(self.algorithm);
        let mut required = vec!["exp", "org"];
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        // `validate_aud` stays on: with no audience configured, jsonwebtoken
        // refuses any token that carries one (AudienceNotConfigured).
        if !self.audience.is_empty() {
            validation.set_audience(&self.audience);
            required.push("aud");
        }
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        validation
    }

    /// The caller named by an `Authorization` header value (or its absence).
    pub fn caller(&self, authorization: Option<&str>) -> Result<Caller, AuthError> {
        let Some(value) = authorization else {
            if self.dev {
                return Ok(Caller { org: DEV_ORG.into(), scopes: ALL_SCOPES.map(String::from).to_vec() });
            }
            return Err(AuthError::Missing);
        };
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(|| AuthError::Malformed("the Authorization header is not `Bearer <jwt>`".into()))?;
        let claims =
            jsonwebtoken::decode::<Claims>(token.trim(), &self.key, &self.validation()).map_err(|e| {
                match e.kind() {
                    ErrorKind::ExpiredSignature => AuthError::Expired,
                    ErrorKind::ImmatureSignature => AuthError::NotYetValid,
                    ErrorKind::InvalidSignature => AuthError::BadSignature,
                    ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                        AuthError::Algorithm(if self.algorithm == Algorithm::HS256 { "HS256" } else { "RS256" })
                    }
                    ErrorKind::InvalidAudience if self.audience.is_empty() => AuthError::AudienceNotConfigured,
                    ErrorKind::InvalidAudience => AuthError::WrongAudience,
                    ErrorKind::MissingRequiredClaim(claim) if claim == "aud" => AuthError::MissingAudience,
                    ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
                    ErrorKind::MissingRequiredClaim(claim) if claim == "iss" => AuthError::MissingIssuer,
                    _ => AuthError::Malformed(e.to_string()),
                }
            })?;
        if self.audience.is_empty() && claims.claims.aud.as_ref().is_some_and(|aud| !aud.is_null()) {
            return Err(AuthError::AudienceNotConfigured);
        }
        let org = claims.claims.org;
        if !is_tenant_id(&org) {
            return Err(AuthError::Malformed(format!("org claim: {}", TENANT_RULE)));
        }
        Ok(Caller { org, scopes: claims.claims.scope.split_whitespace().map(String::from).collect() })
    }
}

/// Mints an HS256 token (`leadscore token`, tests, scripts).
pub fn mint(secret: &[u8], org: &str, scopes: &[&str], valid_for: Duration) -> Result<String> {
    mint_for(secret, org, scopes, valid_for, &[], None)
}

/// Mints an HS256 token with `aud` (a string for one audience, a list for
/// several; none if `audience` is empty) and `iss` (if given), for a service
/// configured with `--jwt-audience` / `--jwt-issuer`.
pub fn mint_for(
    secret: &[u8],
    org: &str,
    scopes: &[&str],
    valid_for: Duration,
    audience: &[String],
    issuer: Option<&str>,
) -> Result<String> {
    #[derive(Serialize)]
    struct Minted<'a> {
        #[serde(flatten)]
        claims: Claims,
        #[serde(skip_serializing_if = "Option::is_none")]
        aud: Option<serde_json::Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        iss: Option<&'a str>,
    }
    anyhow::ensure!(is_tenant_id(org), "--org: {}", TENANT_RULE);
    for scope in scopes {
        anyhow::ensure!(
            ALL_SCOPES.contains(scope),
            "unknown scope {scope:?}: the scopes are {}",
            ALL_SCOPES.join(", ")
        );
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let claims = Claims {
        sub: format!("{org}-token"),
        org: org.into(),
        scope: scopes.join(" "),
        iat: now,
        exp: now + valid_for.as_secs(),
        aud: None,
    };
    let aud = match audience {
        [] => None,
        [one] => Some(serde_json::Value::from(one.as_str())),
        many => Some(serde_json::Value::from(many.to_vec())),
    };
    let minted = Minted { claims, aud, iss: issuer };
    Ok(jsonwebtoken::encode(&Header::new(Algorithm::HS256), &minted, &EncodingKey::from_secret(secret))?)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    const SECRET: &[u8] = b"test-secret";
    /// Test-only key pair (host/tests/fixtures/README.md).
    const PRIVATE_PEM: &[u8] = include_bytes!("../tests/fixtures/test-only-rsa-private.pem");
    const PUBLIC_PEM: &[u8] = include_bytes!("../tests/fixtures/test-only-rsa-public.pem");
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
        assert_eq!(
            auth.caller(Some(&format!("Bearer {}", hs384.unwrap()))).unwrap_err(),
            AuthError::Algorithm("HS256")
        );
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
        assert_eq!(
            auth.caller(Some(&format!("Bearer {}", forged.unwrap()))).unwrap_err(),
            AuthError::Algorithm("RS256")
        );
    }

    #[test]
    fn without_a_configured_audience_a_token_carrying_one_is_refused() {
        let auth = Auth::rs256(PUBLIC_PEM, false).unwrap();
        let odd =
            [json!(5), json!(true), json!({"0": "other-api"}), json!(["other-api", 5]), json!(["other-api", null])];
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
}
