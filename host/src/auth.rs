//! JWT bearer authentication: who is calling (the `org` claim, which scopes
//! every read and write) and what they may do (the `scope` claim).
//!
//! Tokens are HS256 with a shared secret or RS256 checked with a public key;
//! nothing else is accepted (`alg: none` included). `--dev` lets requests
//! without a token through as the demo tenant with every scope, and only
//! then.

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

/// What a tenant id may be.
pub const TENANT_RULE: &str = "a tenant id is 1–64 letters, digits, '-', '_' or '.'";

/// Whether `id` is a well-formed tenant id.
pub fn is_tenant_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// A token's claims.
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
    /// The signature does not verify.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// Signed with an algorithm this service does not accept.
    #[error("the token's algorithm is not accepted (expected {0})")]
    Algorithm(&'static str),
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
}

impl Auth {
    /// HS256 with a shared secret.
    pub fn hs256(secret: &[u8], dev: bool) -> Auth {
        Auth { key: DecodingKey::from_secret(secret), algorithm: Algorithm::HS256, dev }
    }

    /// RS256 with a PEM public key.
    pub fn rs256(public_key_pem: &[u8], dev: bool) -> Result<Auth> {
        let key = DecodingKey::from_rsa_pem(public_key_pem).context("the RS256 public key is not a PEM RSA key")?;
        Ok(Auth { key, algorithm: Algorithm::RS256, dev })
    }

    /// Whether `--dev` is on.
    pub fn dev(&self) -> bool {
        self.dev
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
        let mut validation = Validation::new(self.algorithm);
        validation.set_required_spec_claims(&["exp", "org"]);
        validation.leeway = 5;
        let claims =
            jsonwebtoken::decode::<Claims>(token.trim(), &self.key, &validation).map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
                ErrorKind::InvalidSignature => AuthError::BadSignature,
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                    AuthError::Algorithm(if self.algorithm == Algorithm::HS256 { "HS256" } else { "RS256" })
                }
                _ => AuthError::Malformed(e.to_string()),
            })?;
        let org = claims.claims.org;
        if !is_tenant_id(&org) {
            return Err(AuthError::Malformed(format!("org claim: {}", TENANT_RULE)));
        }
        Ok(Caller { org, scopes: claims.claims.scope.split_whitespace().map(String::from).collect() })
    }
}

/// Mints an HS256 token (`leadscore token`, tests, scripts).
pub fn mint(secret: &[u8], org: &str, scopes: &[&str], valid_for: Duration) -> Result<String> {
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
    };
    Ok(jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test-secret";

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
        let claims = Claims { sub: "x".into(), org: "acme".into(), scope: READ_LEADS.into(), iat: 0, exp: 1_000 };
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
}
