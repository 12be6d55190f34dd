//! `leadscore export-training`: a tenant's scored leads with known outcomes,
//! as training data.

use std::path::PathBuf;

use anyhow::Result;
use leadscore::pipeline::training::{self, Export};
use leadscore::pipeline::{Db, database_url};
use leadscore::secret::Secret;

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
    let since = training::parse_since(&args.since)?;
    let spec = args.spec.map(|path| super::read_spec(&path)).transpose()?;
    let url = database_url(args.database_url.as_ref(), &args.store);
    let export = Export {
        org: &args.org,
        scored_since: since,
        qualified_since: i64::MIN,
        test_months: Export::TEST_MONTHS,
        valid_months: Export::VALID_MONTHS,
        spec: spec.as_ref().map(|s| s.features.as_slice()),
    };
    let exported = tokio::runtime::Runtime::new()?.block_on(async {
        let db = Db::connect(url.expose()).await?;
        training::export(&db, export, &args.out).await
    })?;
    if !exported.leaves_months_to_fit(&export) {
        eprintln!(
            "warning: the leads span {} months; training holds out the last {} ({} test, {} validation) \
             and has none left to fit on",
            exported.months,
            export.test_months + export.valid_months,
            export.test_months,
            export.valid_months
        );
    }
    eprintln!(
        "exported {} leads ({} won) spanning {} months into {}",
        exported.leads,
        exported.won,
        exported.months,
        args.out.display()
    );
    Ok(())
}
