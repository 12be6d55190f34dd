//! `leadscore features`: the feature matrix of lead JSON lines as CSV.

use std::io;
use std::path::PathBuf;

use anyhow::{Context, Result};
use leadscore::tools::features_csv;

/// Export the feature matrix (CSV) of lead JSON lines, as a model's
/// features.toml defines it.
#[derive(clap::Args)]
pub struct Args {
    /// The features.toml.
    #[arg(long)]
    spec: PathBuf,
    /// Lead JSON lines; `-` or nothing reads standard input.
    leads: Option<PathBuf>,
    /// Write the CSV here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Writes the CSV to `--out` or standard output.
pub fn run(args: Args) -> Result<()> {
    let spec = super::read_spec(&args.spec)?;
    let input = super::open_input(args.leads)?;
    match args.out {
        Some(path) => {
            let file = std::fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
            features_csv::write(&spec.features, input, io::BufWriter::new(file))?;
        }
        None => {
            features_csv::write(&spec.features, input, io::stdout().lock())?;
        }
    }
    Ok(())
}
