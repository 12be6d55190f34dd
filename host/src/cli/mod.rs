//! The command line: one module per subcommand, each with its arguments
//! (clap) and a `run`. They call the `leadscore` library (and, for the
//! simulations, `leadscore-sim`).

pub mod auth;
pub mod export_training;
pub mod features;
pub mod model;
pub mod openapi;
pub mod score;
pub mod serve;
pub mod simulate;
pub mod token;

use std::io::{self, BufReader};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A file, or standard input for `-` or nothing.
pub fn open_input(path: Option<PathBuf>) -> Result<Box<dyn io::BufRead>> {
    match path.filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            let file = std::fs::File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
            Ok(Box::new(BufReader::new(file)))
        }
        None => Ok(Box::new(BufReader::new(io::stdin()))),
    }
}

/// A features.toml.
pub fn read_spec(path: &Path) -> Result<guest_model::load::spec::Spec> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    guest_model::load::spec::parse_spec(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Logs to standard error; `RUST_LOG` chooses what (default: `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(io::stderr).init();
}
