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

/// One input line: a lead ready to score, or the error line it gets.
enum Line {
    Lead(Lead),
    Invalid(serde_json::Value),
}

/// Scores every lead read from `input`, writing results to `out`.
pub fn run(component: &ScorerComponent, input: impl BufRead, mut out: impl Write, format: Format) -> Result<()> {
    let mut pending: Vec<Line> = Vec::with_capacity(BATCH);
    for (number, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        pending.push(match leads::parse(&line) {
            Ok(lead) => Line::Lead(lead),
            Err(e) => {
                let id = guest_model::load::lead_json::id_of(&line);
                Line::Invalid(report::error_json(id.as_deref(), "invalid_lead", &format!("line {}: {e}", number + 1)))
            }
        });
        if pending.len() == BATCH {
            flush(component, &mut pending, &mut out, format)?;
        }
    }
    flush(component, &mut pending, &mut out, format)?;
    out.flush()?;
    Ok(())
}

fn flush(component: &ScorerComponent, pending: &mut Vec<Line>, out: &mut impl Write, format: Format) -> Result<()> {
    let leads: Vec<Lead> = pending
        .iter()
        .filter_map(|l| match l {
            Line::Lead(lead) => Some(lead.clone()),
            Line::Invalid(_) => None,
        })
        .collect();
    // A call that fails (deadline, memory, trap) fails its leads, not the command.
    let (mut results, failure) = match component.score(&leads) {
        Ok(results) => (results.into_iter(), None),
        Err(e) => (Vec::new().into_iter(), Some(e.to_string())),
    };
    for line in pending.drain(..) {
        let text = match line {
            Line::Invalid(error) => error.to_string() + "\n",
            Line::Lead(lead) if failure.is_some() => {
                report::error_json(Some(&lead.id), "model_failed", failure.as_deref().unwrap_or_default()).to_string()
                    + "\n"
            }
            Line::Lead(lead) => match results.next() {
                Some(Ok(scored)) if format == Format::Text => report::text(&scored, 3),
                Some(Ok(scored)) => serde_json::to_string(&ScoreJson::from(&scored))? + "\n",
                Some(Err(e)) => report::score_error_json(&e).to_string() + "\n",
                None => {
                    report::error_json(Some(&lead.id), "internal", "the component returned too few results").to_string()
                        + "\n"
                }
            },
        };
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}
