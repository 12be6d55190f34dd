//! Where token secrets and keys come from, and what tokens must claim:
//! the flags `serve` and `token` share.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use leadscore::auth;
use leadscore::secret::Secret;

/// Where token secrets and keys come from, and what tokens must claim.
#[derive(clap::Args)]
pub struct AuthArgs {
    /// HS256 secret for bearer tokens, at least 32 bytes (`openssl rand -hex 32`).
    #[arg(long, env = "LEADSCORE_JWT_SECRET", hide_env_values = true, conflicts_with = "jwt_public_key")]
    jwt_secret: Option<Secret>,
    /// RS256 public key (PEM file) for bearer tokens.
    #[arg(long, env = "LEADSCORE_JWT_PUBLIC_KEY")]
    jwt_public_key: Option<PathBuf>,
    /// Accept only tokens whose `aud` claim names one of these (comma-separated).
    /// Without it, a token carrying `aud` is refused.
    #[arg(long, env = "LEADSCORE_JWT_AUDIENCE", value_delimiter = ',')]
    jwt_audience: Vec<String>,
    /// Accept only tokens whose `iss` claim is this issuer.
    #[arg(long, env = "LEADSCORE_JWT_ISSUER")]
    jwt_issuer: Option<String>,
    /// Development: requests without a token act as the demo tenant with
    /// every scope, and the development secret is used if none is given.
    #[arg(long)]
    pub dev: bool,
}

impl AuthArgs {
    fn secret(&self) -> Result<Vec<u8>> {
        match (&self.jwt_secret, self.dev) {
            (Some(secret), _) => {
                auth::check_secret(secret.expose().as_bytes())?;
                Ok(secret.expose().as_bytes().to_vec())
            }
            (None, true) => Ok(auth::DEV_SECRET.as_bytes().to_vec()),
            (None, false) => anyhow::bail!("no token secret: set --jwt-secret or LEADSCORE_JWT_SECRET (or pass --dev)"),
        }
    }

    pub fn auth(&self) -> Result<auth::Auth> {
        auth::check_claim_values(&self.jwt_audience, self.jwt_issuer.as_deref())?;
        if let Some(secret) = &self.jwt_secret {
            auth::check_secret(secret.expose().as_bytes())?; // even beside a public key: a bad secret is a mistake
        }
        let auth = match &self.jwt_public_key {
            Some(path) => {
                let pem = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
                auth::Auth::rs256(&pem, self.dev)?
            }
            None => auth::Auth::hs256_checked(&self.secret().context("tokens cannot be checked")?, self.dev)?,
        };
        if auth.is_rs256() && self.jwt_audience.is_empty() {
            eprintln!(
                "warning: RS256 without --jwt-audience: tokens carrying an `aud` claim (every identity provider's) \
                 are refused; set --jwt-audience to this service's audience"
            );
        }
        Ok(auth.with_audience(&self.jwt_audience).with_issuer(self.jwt_issuer.as_deref()))
    }

    /// An HS256 token with the configured secret, audience and issuer.
    pub fn mint(&self, org: &str, scopes: &[&str], valid_for: Duration) -> Result<String> {
        auth::check_claim_values(&self.jwt_audience, self.jwt_issuer.as_deref())?;
        auth::mint_for(&self.secret()?, org, scopes, valid_for, &self.jwt_audience, self.jwt_issuer.as_deref())
    }
}
