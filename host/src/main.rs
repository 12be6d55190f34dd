//! `leadscore`: the command line. Parses the arguments and hands each
//! subcommand to its module in `cli/`.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Lead scoring with explainable XGBoost models compiled to WebAssembly.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once, at start
enum Command {
    /// Model components: build them from model directories.
    Model {
        #[command(subcommand)]
        command: cli::model::Command,
    },
    Score(cli::score::Args),
    Serve(cli::serve::Args),
    Token(cli::token::Args),
    Simulate(cli::simulate::Args),
    Features(cli::features::Args),
    SimulateRollout(cli::simulate::RolloutArgs),
    ExportTraining(cli::export_training::Args),
    Openapi(cli::openapi::Args),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Model { command } => cli::model::run(command),
        Command::Score(args) => cli::score::run(args),
        Command::Serve(args) => cli::serve::run(args),
        Command::Token(args) => cli::token::run(args),
        Command::Simulate(args) => cli::simulate::run(args),
        Command::Features(args) => cli::features::run(args),
        Command::SimulateRollout(args) => cli::simulate::run_rollout(args),
        Command::ExportTraining(args) => cli::export_training::run(args),
        Command::Openapi(args) => cli::openapi::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
