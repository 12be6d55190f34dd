//! `leadscore`: the command line. Parses arguments and calls the library.

use std::io::{self, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use leadscore::component::ScorerComponent;
use leadscore::{model_build, score_cmd};

/// Lead scoring with explainable XGBoost models compiled to WebAssembly.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Model components: build them from model directories.
    Model {
        #[command(subcommand)]
        command: ModelCommand,
    },
    /// Score leads (JSON lines) with a model component; one result line per lead.
    Score {
        /// The model component (`<name>-<version>.wasm`).
        #[arg(long)]
        model: PathBuf,
        /// Lead JSON lines; `-` or nothing reads standard input.
        leads: Option<PathBuf>,
        /// Print badges and top reasons for people instead of JSON lines.
        #[arg(long)]
        pretty: bool,
    },
}

#[derive(Subcommand)]
enum ModelCommand {
    /// Build `<model-dir>` (model.json, features.toml, calibration.json) into a
    /// component and its manifest.
    Build {
        /// Directory holding model.json, features.toml and optionally calibration.json.
        model_dir: PathBuf,
        /// Where to write `<name>-<version>.wasm` and `<name>-<version>.manifest.json`.
        #[arg(long)]
        out: PathBuf,
        /// The leadscore source tree (holds guest-model/).
        #[arg(long, env = "LEADSCORE_WORKSPACE", default_value = default_workspace())]
        workspace: PathBuf,
    },
}

fn default_workspace() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/..")
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Model { command: ModelCommand::Build { model_dir, out, workspace } } => {
            let built = model_build::build(&model_dir, &out, &workspace)?;
            println!("{}", built.wasm.display());
            println!("{}", built.manifest.display());
            Ok(())
        }
        Command::Score { model, leads, pretty } => {
            let component = ScorerComponent::load(&model)?;
            let format = if pretty { score_cmd::Format::Text } else { score_cmd::Format::Json };
            let stdout = io::stdout().lock();
            match leads.filter(|p| p.as_os_str() != "-") {
                Some(path) => {
                    let file = std::fs::File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
                    score_cmd::run(&component, BufReader::new(file), stdout, format)
                }
                None => score_cmd::run(&component, io::stdin().lock(), stdout, format),
            }
        }
    }
}
