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
pub struct Auth {
    key: DecodingKey,
    algorithm: Algorithm,
    dev: bool,
    /// Accepted `aud` values; empty: none configured (a token with `aud` is refused).
    audience: Vec<String>,
    /// The required `iss`, if configured.
    issuer: Option<String>,
}

/// Without the key: an HS256 key is the secret itself, and settings that
/// hold an `Auth` get logged.
impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("algorithm", &self.algorithm)
            .field("dev", &self.dev)
            .field("audience", &self.audience)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
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
mod tests;
