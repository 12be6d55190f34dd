//! `leadscore features`: the feature matrix of a lead file, computed by the
//! same library code the components run — training and serving share one
//! implementation.
//!
//! CSV: `lead_id,as_of,<feature names>`; each value is the exact f32 the
//! model sees (shortest round-trip text), categories as their code (index in
//! `features.toml`), missing values empty.

use std::io::{BufRead, Write};

use anyhow::{Context, Result, bail};
use guest_model::features::{self, FeatureDef, Source};
use guest_model::load::lead_json;

/// Writes the feature matrix of every lead in `input` to `out`. A lead that
/// cannot be read stops the export with its line and field: training data
/// must not silently lose rows.
pub fn write(spec: &[FeatureDef], input: impl BufRead, mut out: impl Write) -> Result<usize> {
    let header: Vec<String> = ["lead_id".to_string(), "as_of".to_string()]
        .into_iter()
        .chain(spec.iter().map(|f| f.name.to_string()))
        .collect();
    writeln!(out, "{}", header.join(","))?;
    let mut rows = 0;
    for (number, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let lead = lead_json::parse(&line).with_context(|| format!("line {}", number + 1))?;
        let (row, _) = match features::compute(spec, &lead) {
            Ok(computed) => computed,
            Err(e) => bail!("line {} (lead {}): {e}", number + 1, lead.id),
        };
        let as_of = chrono::DateTime::from_timestamp_millis(lead.as_of).unwrap_or_default();
        let mut cells = vec![csv_text(&lead.id), as_of.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)];
        cells.extend(row.iter().zip(spec).map(|(&v, def)| cell(v, def)));
        writeln!(out, "{}", cells.join(","))?;
        rows += 1;
    }
    out.flush()?;
    Ok(rows)
}

fn cell(v: f32, def: &FeatureDef) -> String {
    match (&def.source, v.is_nan()) {
        (_, true) => String::new(),
        (Source::Category { .. }, false) => format!("{}", v as u32),
        (_, false) => format!("{v}"),
    }
}

/// Quotes a text cell when CSV needs it.
fn csv_text(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}
