//! `leadscore export-training`: a tenant's scored leads with known outcomes,
//! as training data.

use std::path::PathBuf;

use anyhow::Result;
use leadscore::pipeline::database_url;
use leadscore::secret::Secret;
use leadscore::tools::export_training;

/// Export a tenant's scored leads with known outcomes for retraining:
/// leads.jsonl, outcomes.jsonl and simulation.json (as `simulate` writes
/// them), and with --spec the feature CSV.
#[derive(clap::Args)]
pub struct Args {
    /// The tenant.
    #[arg(long)]
    org: String,
    /// Leads scored from this date (YYYY-MM-DD) or RFC 3339 time on.
    #[arg(long)]
    since: String,
    /// The directory to write.
    #[arg(long)]
    out: PathBuf,
    /// Also write features.csv for this features.toml.
    #[arg(long)]
    spec: Option<PathBuf>,
    /// The service's Postgres; without it, the embedded SQLite file in --store.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<Secret>,
    /// The service's model store (where the embedded database lives).
    #[arg(long, env = "LEADSCORE_STORE", default_value = "target/store")]
    store: PathBuf,
}

/// Writes the export.
pub fn run(args: Args) -> Result<()> {
    let since = export_training::parse_since(&args.since)?;
    let spec = args.spec.map(|path| super::read_spec(&path)).transpose()?;
    let url = database_url(args.database_url.as_ref(), &args.store);
    let features = spec.as_ref().map(|s| s.features.as_slice());
    let exported = tokio::runtime::Runtime::new()?.block_on(export_training::run(
        url.expose(),
        &args.org,
        since,
        &args.out,
        features,
    ))?;
    eprintln!(
        "exported {} leads ({} won) spanning {} months into {}",
        exported.leads,
        exported.won,
        exported.months,
        args.out.display()
    );
    Ok(())
}
