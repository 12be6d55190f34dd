//! `leadscore score`: lead JSON lines in, one result line per lead out, in
//! input order. A bad lead gets an error line; only a model that cannot be
//! loaded stops the command.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use guest_model::explanation::Direction;
use guest_model::model::Band;
use leadscore::bindings::{ErrorCode, Lead, ScoreError};
use leadscore::runtime::component::{Runtime, RuntimeConfig, ScorerComponent};
use leadscore::runtime::lead;
use leadscore::runtime::score::Score;
use serde::Serialize;

/// Score leads (JSON lines) with a model component; one result line per lead.
#[derive(clap::Args)]
pub struct Args {
    /// The model component (`<name>-<version>.wasm`).
    #[arg(long)]
    model: PathBuf,
    /// Lead JSON lines; `-` or nothing reads standard input.
    leads: Option<PathBuf>,
    /// Print badges and top reasons for people instead of JSON lines.
    #[arg(long)]
    pretty: bool,
    /// Wall-clock time one call into the component may take (64 leads per
    /// call; offline batches get more room than the service's 100 ms).
    #[arg(long, env = "LEADSCORE_DEADLINE_MS", default_value_t = 1000)]
    deadline_ms: u64,
    /// Linear memory one instance may use.
    #[arg(long, env = "LEADSCORE_MEMORY_MIB", default_value_t = 64)]
    memory_mib: usize,
    /// Keep compiled components here so that the next run does not recompile.
    #[arg(long, env = "LEADSCORE_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
}

/// Loads the component and scores the leads to standard output.
pub fn run(args: Args) -> Result<()> {
    let runtime = Runtime::new(RuntimeConfig {
        deadline: Duration::from_millis(args.deadline_ms),
        memory_limit: args.memory_mib << 20,
        cache_dir: args.cache_dir,
        ..RuntimeConfig::default()
    })?;
    let bytes = std::fs::read(&args.model).with_context(|| format!("cannot read {}", args.model.display()))?;
    let component =
        runtime.load(&bytes).with_context(|| format!("{} is not a usable scorer component", args.model.display()))?;
    let format = if args.pretty { Format::Text } else { Format::Json };
    score(&component, super::open_input(args.leads)?, io::stdout().lock(), format)
}

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// One JSON object per line.
    Json,
    /// A badge and the top reasons, for people.
    Text,
}

/// The line of a lead that could not be scored.
#[derive(Serialize)]
struct ErrorLine<'a> {
    lead_id: Option<&'a str>,
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

fn error_line(lead_id: Option<&str>, code: &str, message: &str) -> Result<String> {
    Ok(serde_json::to_string(&ErrorLine { lead_id, error: ErrorDetail { code, message } })? + "\n")
}

/// Leads per component call: enough to fill the SHAP kernel's lanes many
/// times over, few enough to stay far inside the per-call deadline.
const BATCH: usize = 64;

/// One input line: a lead ready to score (its id; the lead itself waits in
/// the batch), or the error line it gets.
enum Line {
    Lead(String),
    Invalid(String),
}

/// Lines read since the last flush, and the leads among them.
#[derive(Default)]
struct Batch {
    lines: Vec<Line>,
    leads: Vec<Lead>,
}

/// Scores every lead read from `input`, writing results to `out`.
fn score(component: &ScorerComponent, input: impl BufRead, mut out: impl Write, format: Format) -> Result<()> {
    let mut pending = Batch::default();
    for (number, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match lead::parse(&line) {
            Ok(lead) => {
                pending.lines.push(Line::Lead(lead.id.clone()));
                pending.leads.push(lead);
            }
            Err(e) => {
                let id = guest_model::load::lead_json::id_of(&line);
                let message = format!("line {}: {e}", number + 1);
                pending.lines.push(Line::Invalid(error_line(id.as_deref(), "invalid_lead", &message)?));
            }
        }
        if pending.leads.len() == BATCH {
            flush(component, &mut pending, &mut out, format)?;
        }
    }
    flush(component, &mut pending, &mut out, format)?;
    out.flush()?;
    Ok(())
}

fn flush(component: &ScorerComponent, pending: &mut Batch, out: &mut impl Write, format: Format) -> Result<()> {
    // A call that fails (deadline, memory, trap) fails its leads, not the command.
    let (mut results, failure) = match component.score(&pending.leads) {
        Ok(results) => (results.into_iter(), None),
        Err(e) => (Vec::new().into_iter(), Some(e.to_string())),
    };
    pending.leads.clear();
    for line in pending.lines.drain(..) {
        let text = match line {
            Line::Invalid(error) => error,
            Line::Lead(id) if failure.is_some() => {
                error_line(Some(&id), "model_failed", failure.as_deref().unwrap_or_default())?
            }
            Line::Lead(id) => match results.next() {
                Some(Ok(scored)) if format == Format::Text => text(&Score::from(scored), 3),
                Some(Ok(scored)) => serde_json::to_string(&Score::from(scored))? + "\n",
                Some(Err(e)) => refused_line(&e)?,
                None => error_line(Some(&id), "internal", "the component returned too few results")?,
            },
        };
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}

/// The component's per-lead error as the JSON error line.
fn refused_line(e: &ScoreError) -> Result<String> {
    let code = match e.code {
        ErrorCode::InvalidField => "invalid_field",
        ErrorCode::InvalidActivity => "invalid_activity",
    };
    error_line(Some(&e.lead_id), code, &format!("{}: {}", e.field, e.message))
}

/// A few lines for a person: the badge, score, confidence and top reasons.
fn text(s: &Score, reasons: usize) -> String {
    let badge = match s.band {
        Band::Hot => "HOT ",
        Band::Warm => "WARM",
        Band::Cold => "COLD",
    };
    let mut out = format!(
        "{:<12} {badge} {:>3}/100  p={:.1}%  confidence {:.0}%  ({})\n",
        s.lead_id,
        s.final_score,
        100.0 * s.probability,
        100.0 * s.confidence,
        s.model_version
    );
    match (&s.reasons, &s.explanation_unavailable) {
        (Some(list), _) => {
            for r in list.iter().take(reasons) {
                let arrow = if r.direction == Direction::Up { "↑" } else { "↓" };
                out += &format!("    {arrow} {}\n", r.text);
            }
        }
        (None, why) => out += &format!("    (explanation unavailable: {})\n", why.as_deref().unwrap_or_default()),
    }
    out
}
