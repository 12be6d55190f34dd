//! `leadscore score`: lead JSON lines in, one result line per lead out, in
//! input order. A bad lead gets an error line; only a model that cannot be
//! loaded stops the command.

use std::io::{BufRead, Write};

use anyhow::Result;

use crate::bindings::Lead;
use crate::component::ScorerComponent;
use crate::leads;
use crate::report::{self, ScoreJson};

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Json,
    /// A badge and the top reasons, for people.
    Text,
}

/// Leads per component call: enough to fill the SHAP kernel's lanes many
/// times over, few enough to stay far inside the per-call deadline.
const BATCH: usize = 64;

/// One input line: a lead ready to score (its id; the lead itself waits in
/// the batch), or the error line it gets.
enum Line {
    Lead(String),
    Invalid(serde_json::Value),
}

/// Lines read since the last flush, and the leads among them.
#[derive(Default)]
struct Batch {
    lines: Vec<Line>,
    leads: Vec<Lead>,
}

/// Scores every lead read from `input`, writing results to `out`.
pub fn run(component: &ScorerComponent, input: impl BufRead, mut out: impl Write, format: Format) -> Result<()> {
    let mut pending = Batch::default();
    for (number, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match leads::parse(&line) {
            Ok(lead) => {
                pending.lines.push(Line::Lead(lead.id.clone()));
                pending.leads.push(lead);
            }
            Err(e) => {
                let id = guest_model::load::lead_json::id_of(&line);
                let error = report::error_json(id.as_deref(), "invalid_lead", &format!("line {}: {e}", number + 1));
                pending.lines.push(Line::Invalid(error));
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
            Line::Invalid(error) => error.to_string() + "\n",
            Line::Lead(id) if failure.is_some() => {
                report::error_json(Some(&id), "model_failed", failure.as_deref().unwrap_or_default()).to_string() + "\n"
            }
            Line::Lead(id) => match results.next() {
                Some(Ok(scored)) if format == Format::Text => report::text(&scored, 3),
                Some(Ok(scored)) => serde_json::to_string(&ScoreJson::from(&scored))? + "\n",
                Some(Err(e)) => report::score_error_json(&e).to_string() + "\n",
                None => {
                    report::error_json(Some(&id), "internal", "the component returned too few results").to_string()
                        + "\n"
                }
            },
        };
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}
