//! `leadscore token`: mint a bearer token for development and scripts.

use std::time::Duration;

use anyhow::Result;

use super::auth::AuthArgs;

/// Mint a bearer token (HS256, the service's secret) for development and scripts.
#[derive(clap::Args)]
pub struct Args {
    /// The tenant.
    #[arg(long)]
    org: String,
    /// Comma-separated scopes: crm.write.leads, crm.read.leads, crm.admin.models.
    #[arg(long, value_delimiter = ',', default_value = "crm.write.leads,crm.read.leads")]
    scopes: Vec<String>,
    /// Days the token is valid, 1–3650.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3650))]
    days: u64,
    #[command(flatten)]
    auth: AuthArgs,
}

/// Prints the token.
pub fn run(args: Args) -> Result<()> {
    let scopes: Vec<&str> = args.scopes.iter().map(String::as_str).collect();
    println!("{}", args.auth.mint(&args.org, &scopes, Duration::from_secs(args.days * 86_400))?);
    Ok(())
}
