//! `leadscore openapi`: the service's OpenAPI document, as `/openapi.json`
//! serves it (the web UI's API types are generated from it).

use anyhow::Result;

/// Print the service's OpenAPI document (JSON) to standard output.
#[derive(clap::Args)]
pub struct Args {}

/// Prints the document.
pub fn run(_: Args) -> Result<()> {
    println!("{}", leadscore::api::openapi::openapi().to_pretty_json()?);
    Ok(())
}
