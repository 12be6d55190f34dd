//! `leadscore simulate` and `leadscore simulate-rollout`: the tools of the
//! `leadscore-sim` crate (docs/simulator.md), run from the command line.

use std::path::PathBuf;

use anyhow::Result;
use leadscore_sim::{rollout, simulate};

/// Simulate a CRM: leads with activity histories and their outcomes
/// (see docs/simulator.md).
#[derive(clap::Args)]
pub struct Args {
    /// Number of leads.
    #[arg(long, default_value_t = 48_000)]
    leads: usize,
    /// Months of history (the last 6 drift).
    #[arg(long, default_value_t = 24)]
    months: u32,
    /// Random seed: the same seed gives the same files.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Directory for leads.jsonl, outcomes.jsonl and simulation.json.
    #[arg(long)]
    out: PathBuf,
    /// What decides whether a lead is won: intent and fit (the story the
    /// shipped models learned), or fit alone (another tenant's market).
    #[arg(long, value_enum, default_value_t = simulate::Buyers::Intent)]
    buyers: simulate::Buyers,
}

/// Writes the simulated CRM.
pub fn run(args: Args) -> Result<()> {
    let settings = simulate::Settings { leads: args.leads, months: args.months, seed: args.seed, buyers: args.buyers };
    let summary = simulate::run(settings, &args.out)?;
    eprintln!(
        "{} leads, {} won ({:.2} %), {} activities → {}",
        summary.leads,
        summary.won,
        100.0 * summary.conversion_rate,
        summary.activities,
        args.out.display()
    );
    Ok(())
}

/// Replay simulated leads through a running service and compare a team
/// working its queue in arrival order with one working it by score
/// (time to first touch, win rate); see docs/simulator.md.
#[derive(clap::Args)]
pub struct RolloutArgs {
    #[command(flatten)]
    settings: rollout::RolloutSettings,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs the rollout simulation and prints its report.
pub fn run_rollout(args: RolloutArgs) -> Result<()> {
    let report = tokio::runtime::Runtime::new()?.block_on(rollout::run(&args.settings))?;
    match args.json {
        true => println!("{}", serde_json::to_string_pretty(&report)?),
        false => print!("{}", rollout::text(&report)),
    }
    Ok(())
}
