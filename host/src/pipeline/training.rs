//! Training data: a tenant's scored leads whose outcome is known, read from
//! the database the service writes, in the files `models/training/` reads —
//! the same layout `leadscore simulate` writes. `leadscore export-training`
//! and the retrain jobs (`pipeline::retrain`) write it:
//!
//! - `leads.jsonl`: the lead JSON each lead was last scored with (shown
//!   inferences only, never a shadow's);
//! - `outcomes.jsonl`: `{lead_id, outcome, closed_at}`; a disqualified lead
//!   is a loss (`lost`), since training learns won against everything else;
//! - `simulation.json`: the months the leads span, which the training
//!   scripts split by time (the last `test_months` are held out for
//!   evaluation, the `valid_months` before them validate);
//! - with `--spec`, `features.csv`: the feature matrix, computed by the
//!   code the components run (`leadscore features`).

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Datelike, SecondsFormat, TimeZone, Utc};
use guest_model::features::FeatureDef;
use serde_json::json;

use leadscore_sim::simulate::MONTH_DAYS;

use super::Db;
use crate::tools::features_csv;

/// What to export.
#[derive(Clone, Copy, Debug)]
pub struct Export<'a> {
    /// The tenant.
    pub org: &'a str,
    /// Leads scored at or after this (ms).
    pub scored_since: i64,
    /// ...that qualified (`as_of`) at or after this (ms).
    pub qualified_since: i64,
    /// Months held out at the end for evaluation...
    pub test_months: u32,
    /// ...and the months before them that validate (early stopping, calibration).
    pub valid_months: u32,
    /// With a spec, also `features.csv`.
    pub spec: Option<&'a [FeatureDef]>,
}

impl Export<'_> {
    /// The split `models/training/` makes by default: 6 test months, 3 validation.
    pub const TEST_MONTHS: u32 = 6;
    /// ...
    pub const VALID_MONTHS: u32 = 3;
}

/// What an export wrote.
#[derive(Debug)]
pub struct Exported {
    /// Leads written.
    pub leads: usize,
    /// ...of them won.
    pub won: usize,
    /// Months they span...
    pub months: u32,
    /// ...from this moment (ms; month 0 of the split).
    pub start_ms: i64,
}

impl Exported {
    /// Whether any month is left to fit on after the held-out ones.
    pub fn leaves_months_to_fit(&self, export: &Export) -> bool {
        self.months > export.test_months + export.valid_months
    }
}

/// Writes `export` into `out`; fails when no lead qualifies.
pub async fn export(db: &Db, export: Export<'_>, out: &Path) -> Result<Exported> {
    let Export { org, scored_since: since, .. } = export;
    let rows = db.training_rows(org, since).await?;
    // Each lead's `as_of`, for the time split.
    let mut leads = Vec::with_capacity(rows.len());
    for row in &rows {
        let lead = guest_model::load::lead_json::parse(&row.context)
            .with_context(|| format!("the stored lead JSON of {} does not parse", row.lead_id))?;
        if lead.as_of >= export.qualified_since {
            leads.push((lead.as_of, row));
        }
    }
    if leads.is_empty() {
        bail!("tenant {org:?} has no labelled lead that qualified in the window: nothing to export");
    }
    leads.sort_by(|a, b| (a.0, &a.1.lead_id).cmp(&(b.0, &b.1.lead_id)));
    let first = DateTime::from_timestamp_millis(leads[0].0).unwrap_or_default();
    let start = Utc.with_ymd_and_hms(first.year(), first.month(), 1, 0, 0, 0).single().unwrap_or(first);
    let month_ms = MONTH_DAYS * 86_400_000.0;
    let last = leads[leads.len() - 1].0;
    let months = ((last - start.timestamp_millis()) as f64 / month_ms).floor() as u32 + 1;

    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let create = |name: &str| -> Result<BufWriter<std::fs::File>> {
        let path = out.join(name);
        Ok(BufWriter::new(std::fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?))
    };
    let (mut leads_out, mut outcomes_out) = (create("leads.jsonl")?, create("outcomes.jsonl")?);
    let mut won = 0;
    for (_, row) in &leads {
        writeln!(leads_out, "{}", row.context.trim())?;
        let label = if row.outcome == "won" { "won" } else { "lost" };
        won += usize::from(label == "won");
        let closed_at = DateTime::from_timestamp_millis(row.at).unwrap_or_default();
        let outcome = json!({
            "lead_id": row.lead_id, "outcome": label, "closed_at": closed_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        });
        writeln!(outcomes_out, "{outcome}")?;
    }
    leads_out.flush()?;
    outcomes_out.flush()?;
    let summary = json!({
        "source": "export-training", "org": org,
        "since": DateTime::from_timestamp_millis(since).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Secs, true),
        "seed": null, "leads": leads.len(), "months": months,
        "start": start.to_rfc3339_opts(SecondsFormat::Secs, true),
        "won": won, "conversion_rate": won as f64 / leads.len() as f64,
        "test_months": export.test_months, "valid_months": export.valid_months,
    });
    std::fs::write(out.join("simulation.json"), serde_json::to_string_pretty(&summary)? + "\n")?;
    if let Some(spec) = export.spec {
        let text = std::fs::read_to_string(out.join("leads.jsonl"))?;
        features_csv::write(spec, text.as_bytes(), create("features.csv")?)?;
    }
    Ok(Exported { leads: leads.len(), won, months, start_ms: start.timestamp_millis() })
}

/// `--since`: a date (YYYY-MM-DD, midnight UTC) or an RFC 3339 time, in ms.
pub fn parse_since(text: &str) -> Result<i64> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.timestamp_millis());
    }
    match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(day) => Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp_millis()),
        Err(_) => bail!("--since {text:?}: expected a date (2026-01-31) or an RFC 3339 time"),
    }
}
