//! One retrain job, on the host holding its lease: export the tenant's
//! labelled leads, train a candidate with the pinned trainer, build its
//! component, compare it offline with the tenant's active version on the
//! held-out months, install it, and put it in the tenant's shadow when it
//! passes (or keep it, unrouted, when it does not).
//!
//! A host that stops mid-job loses its lease; the next host to take the job
//! starts it again from the export. A candidate already installed by the
//! stopped host is reused, not trained again, so a restart installs nothing twice.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use super::{Pipeline, policy_of, window_start};
use crate::learning::drift;
use crate::learning::retrain::{GateResult, HOLDOUT_MONTHS, JobState, Offline, VALIDATION_MONTHS, offline_gate};
use crate::learning::stats;
use crate::pipeline::db::now_ms;
use crate::pipeline::db::retrain::RetrainJob;
use crate::pipeline::training::{self, Export};
use crate::runtime::build::Package;
use crate::runtime::component::ScorerComponent;
use crate::runtime::manifest::{CalibrationDecile, Manifest, ModelQuality};
use crate::runtime::routing::Routing;
use crate::runtime::scorer::Scorer;
use crate::tools::model_build;

/// A job taken more often than this (its hosts kept stopping) fails.
const MAX_ATTEMPTS: i64 = 3;
/// How much of the trainer's output a job keeps.
const LOG_TAIL: usize = 16 * 1024;

/// How an attempt ended.
enum Ended {
    /// Passed the gate: shadowing.
    Shadowing { message: String, metrics: Value },
    /// Failed the gate: installed, never routed.
    GatedOut { message: String, metrics: Value },
    /// Passed, but cannot be routed: installed, never routed.
    Unrouted { message: String, metrics: Value },
}

/// Runs `job` (taken by `host_id`) to its next resting state, renewing the
/// lease meanwhile; stops quietly when the lease is lost to another host.
pub async fn run(pipeline: Arc<Pipeline>, scorer: Arc<Scorer>, host_id: &str, job: RetrainJob) {
    let lease = pipeline.config.retrain.lease;
    tracing::info!(org = job.org_id, job_id = job.job_id, attempt = job.attempts, "retrain job started");
    if job.attempts > MAX_ATTEMPTS {
        let message = format!("stopped: its host stopped during each of {} attempts", job.attempts - 1);
        finish(&pipeline, &job, host_id, JobState::Failed, &message, job.metrics.clone(), None).await;
        return;
    }
    let renew = async {
        loop {
            tokio::time::sleep(lease / 3).await;
            match pipeline.db.renew_retrain_lease(&job.job_id, host_id, now_ms() + lease.as_millis() as i64).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => tracing::warn!(job_id = job.job_id, error = %format!("{e:#}"), "cannot renew the lease"),
            }
        }
    };
    let mut log = String::new();
    let ended = tokio::select! {
        ended = attempt(&pipeline, &scorer, &job, &mut log) => ended,
        () = renew => {
            tracing::warn!(job_id = job.job_id, "retrain: the lease went to another host; stopping here");
            return;
        }
    };
    let log = Some(tail(&log));
    match ended {
        Ok(Ended::Shadowing { message, metrics }) => {
            finish(&pipeline, &job, host_id, JobState::Shadowing, &message, metrics, log.as_deref()).await
        }
        Ok(Ended::GatedOut { message, metrics }) => {
            finish(&pipeline, &job, host_id, JobState::GatedOut, &message, metrics, log.as_deref()).await
        }
        Ok(Ended::Unrouted { message, metrics }) => {
            finish(&pipeline, &job, host_id, JobState::Failed, &message, metrics, log.as_deref()).await
        }
        Err(e) => {
            let message = format!("{e:#}");
            finish(&pipeline, &job, host_id, JobState::Failed, &message, job.metrics.clone(), log.as_deref()).await
        }
    }
    let _ = std::fs::remove_dir_all(pipeline.config.retrain.work_dir.join(&job.job_id));
}

async fn finish(
    pipeline: &Pipeline,
    job: &RetrainJob,
    host_id: &str,
    to: JobState,
    message: &str,
    metrics: Value,
    log: Option<&str>,
) {
    match pipeline.db.move_retrain_job(job, JobState::Running, Some(host_id), to, message, &metrics, log).await {
        Ok(true) => tracing::info!(org = job.org_id, job_id = job.job_id, state = to.as_str(), message, "retrain job"),
        Ok(false) => tracing::warn!(job_id = job.job_id, "retrain: the job moved on without this host"),
        Err(e) => tracing::warn!(job_id = job.job_id, error = %format!("{e:#}"), "retrain: cannot record the end"),
    }
}

/// The last [`LOG_TAIL`] bytes of `log`, on a character boundary.
fn tail(log: &str) -> String {
    let mut from = log.len().saturating_sub(LOG_TAIL);
    while !log.is_char_boundary(from) {
        from += 1;
    }
    log[from..].to_string()
}

async fn attempt(pipeline: &Pipeline, scorer: &Scorer, job: &RetrainJob, log: &mut String) -> Result<Ended> {
    let settings = &pipeline.config.retrain;
    let policy = policy_of(pipeline, &job.org_id).await?;
    let active = match &job.active_version {
        Some(active) => active.clone(),
        None => {
            let active = scorer.registry.router().routing_for(Some(&job.org_id)).active.clone();
            pipeline.db.set_retrain_active(&job.job_id, &active).await?;
            active
        }
    };
    let dir = settings.work_dir.join(&job.job_id);
    let _ = std::fs::remove_dir_all(&dir);
    let (data, model_dir) = (dir.join("data"), dir.join("model"));
    std::fs::create_dir_all(&model_dir).with_context(|| format!("cannot create {}", model_dir.display()))?;

    // The features the ML team defined: the retraining source's features.toml.
    let spec_path = settings.source.join("features.toml");
    let spec_text =
        std::fs::read_to_string(&spec_path).with_context(|| format!("cannot read {}", spec_path.display()))?;
    let spec = guest_model::load::spec::parse_spec(&spec_text).map_err(|e| anyhow!("{}: {e}", spec_path.display()))?;

    // 1. The tenant's labelled leads in the window.
    let export = Export {
        org: &job.org_id,
        scored_since: i64::MIN,
        qualified_since: window_start(&policy),
        test_months: HOLDOUT_MONTHS,
        valid_months: VALIDATION_MONTHS,
        spec: Some(&spec.features),
    };
    let exported = training::export(&pipeline.db, export, &data).await?;
    let labelled = crate::learning::retrain::Labelled { leads: exported.leads as u64, wins: exported.won as u64 };
    if let Some(short) = policy.shortfall(&labelled) {
        bail!("not enough labelled leads: {short}");
    }
    if !exported.leaves_months_to_fit(&export) {
        bail!(
            "the labelled leads span {} months; {} are held out ({HOLDOUT_MONTHS} for the gate, \
             {VALIDATION_MONTHS} to validate), which leaves none to train on",
            exported.months,
            HOLDOUT_MONTHS + VALIDATION_MONTHS
        );
    }

    // 2. The candidate: the one a stopped attempt installed, or trained and built now.
    let installed = scorer.registry.router().components.get(&job.candidate_version).cloned();
    let (candidate, mut package) = match installed {
        Some(component) => (component, None),
        None => {
            write_source(&spec_text, &job.candidate_version, &settings.params, &model_dir)?;
            train(settings, &data, &model_dir, log).await?;
            let package = build(&model_dir).await?;
            let component = load(&package.wasm).await?;
            (Arc::new(component), Some(package))
        }
    };

    // 3. Both versions on the held-out months.
    let held_out = held_out_leads(&data, exported.start_ms, exported.months)?;
    let active_component = scorer
        .registry
        .router()
        .components
        .get(&active)
        .cloned()
        .ok_or_else(|| anyhow!("the active version {active} is not loaded here"))?;
    let (candidate_offline, candidate_cases) = offline(&candidate, &held_out).await?;
    let (active_offline, _) = offline(&active_component, &held_out).await?;

    // 4. The gate.
    let reference = match &package {
        Some(package) => package.manifest.reference.clone(),
        None => installed_manifest(scorer, &job.candidate_version)?.reference,
    };
    let psi_alarms = psi_alarms(pipeline, &job.org_id, &active, reference).await?;
    let gate = offline_gate(&policy, candidate_offline, active_offline, psi_alarms);
    let metrics = metrics(&gate, &exported, &held_out);

    // 5. Install (kept even when gated out, for inspection).
    if let Some(package) = package.as_mut() {
        package.manifest.quality = Some(quality(&gate, &candidate_cases, &exported));
        let manifest = serde_json::to_string_pretty(&package.manifest)?;
        scorer
            .registry
            .install(pipeline, std::mem::take(&mut package.wasm), manifest)
            .await
            .map_err(|e| anyhow!("installing {}: {e}", job.candidate_version))?;
    }
    if !gate.failures.is_empty() {
        let message = format!("gated out: {}", gate.failures.join("; "));
        return Ok(Ended::GatedOut { message, metrics });
    }

    // 6. The shadow: routed first, so that a stop before the job moves on
    // leaves nothing to undo (the next attempt routes it again).
    let routing = scorer.registry.router().routing_for(Some(&job.org_id)).clone();
    if let Some(other) = routing.shadow.as_ref().filter(|v| **v != job.candidate_version) {
        // Never displace a shadow someone else set: its comparison would be lost.
        let message = format!(
            "passed the gate, but the tenant's routing already shadows {other}: promote or remove that shadow, \
             then retrain ({} stays installed, unrouted)",
            job.candidate_version
        );
        return Ok(Ended::Unrouted { message, metrics });
    }
    let shadowed = Routing { shadow: Some(job.candidate_version.clone()), ..routing };
    scorer
        .registry
        .set_routing(pipeline, Some(&job.org_id), shadowed)
        .await
        .map_err(|e| anyhow!("routing the shadow: {e}"))?;
    let message = format!(
        "shadowing: held-out ROC-AUC {:.3} against {active}'s {:.3} on {} leads",
        gate.candidate.auc,
        gate.active.auc,
        held_out.len()
    );
    Ok(Ended::Shadowing { message, metrics })
}

/// Writes the candidate's model source: the retraining source's
/// `features.toml` under the candidate's version, and the trainer's settings
/// (`params`) as its `training.toml`.
fn write_source(spec_text: &str, version: &str, params: &Path, model_dir: &Path) -> Result<()> {
    let mut spec: toml::Table = toml::from_str(spec_text)?;
    let model =
        spec.get_mut("model").and_then(|m| m.as_table_mut()).ok_or_else(|| anyhow!("features.toml has no [model]"))?;
    model.insert("version".into(), toml::Value::String(version.into()));
    std::fs::write(model_dir.join("features.toml"), toml::to_string(&spec)?)?;
    let text = std::fs::read_to_string(params).with_context(|| format!("cannot read {}", params.display()))?;
    std::fs::write(model_dir.join("training.toml"), text)?;
    Ok(())
}

/// Runs the pinned trainer (`models/training/train.py`) at the lowest CPU
/// priority, within the time limit, appending its output to `log`.
async fn train(settings: &super::RetrainSettings, data: &Path, model_dir: &Path, log: &mut String) -> Result<()> {
    let script = settings.scripts.join("train.py");
    let mut command = tokio::process::Command::new("nice");
    command
        .arg("-n19")
        .arg(&settings.python)
        .arg(&script)
        .arg("--spec")
        .arg(model_dir.join("features.toml"))
        .arg("--features")
        .arg(data.join("features.csv"))
        .arg("--outcomes")
        .arg(data.join("outcomes.jsonl"))
        .arg("--sim")
        .arg(data.join("simulation.json"))
        .arg("--params")
        .arg(model_dir.join("training.toml"))
        .arg("--out")
        .arg(model_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start the trainer ({} {})", settings.python.display(), script.display()))?;
    let (mut stdout, mut stderr) = (child.stdout.take().expect("piped"), child.stderr.take().expect("piped"));
    let run = async {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let (_, _, status) = tokio::join!(stdout.read_to_end(&mut out), stderr.read_to_end(&mut err), child.wait());
        out.extend(err);
        (String::from_utf8_lossy(&out).into_owned(), status)
    };
    let (output, status) = tokio::time::timeout(settings.timeout, run)
        .await
        .map_err(|_| anyhow!("the trainer ran longer than {} s and was stopped", settings.timeout.as_secs()))?;
    log.push_str(&output);
    let status = status?;
    if !status.success() {
        let last = output.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output");
        bail!("the trainer failed ({status}): {last}");
    }
    Ok(())
}

/// Builds the candidate's package from its model directory (on a blocking thread).
async fn build(model_dir: &Path) -> Result<Package> {
    let dir = model_dir.to_path_buf();
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(model_build::package(&dir)))
        .await
        .map_err(|e| anyhow!("building stopped: {e}"))?
        .context("building the candidate")
}

async fn load(wasm: &[u8]) -> Result<ScorerComponent> {
    let wasm = wasm.to_vec();
    tokio::task::spawn_blocking(move || ScorerComponent::from_bytes(&wasm))
        .await
        .map_err(|e| anyhow!("loading stopped: {e}"))?
}

fn installed_manifest(scorer: &Scorer, version: &str) -> Result<Manifest> {
    let manifests = scorer.registry.manifests().map_err(|e| anyhow!("reading the installed manifests: {e}"))?;
    manifests
        .into_iter()
        .find(|m| m.version == version)
        .ok_or_else(|| anyhow!("{version} is loaded but has no manifest"))
}

/// A held-out lead: its JSON and whether it was won.
struct HeldOut {
    lead: String,
    won: bool,
}

/// The exported leads of the last [`HOLDOUT_MONTHS`] (the trainer never saw them).
fn held_out_leads(data: &Path, start_ms: i64, months: u32) -> Result<Vec<HeldOut>> {
    let from = start_ms + i64::from(months.saturating_sub(HOLDOUT_MONTHS)) * super::MONTH_MS;
    let leads = std::fs::read_to_string(data.join("leads.jsonl"))?;
    let outcomes = std::fs::read_to_string(data.join("outcomes.jsonl"))?;
    let mut held_out = Vec::new();
    // The export writes both files in the same order, one line per lead.
    for (lead, outcome) in leads.lines().zip(outcomes.lines()) {
        let as_of = guest_model::load::lead_json::parse(lead).map_err(|e| anyhow!("an exported lead: {e}"))?.as_of;
        if as_of >= from {
            let outcome: Value = serde_json::from_str(outcome)?;
            held_out.push(HeldOut { lead: lead.to_string(), won: outcome["outcome"] == "won" });
        }
    }
    if held_out.iter().filter(|h| h.won).count() < 2 || held_out.iter().filter(|h| !h.won).count() < 2 {
        bail!("the {HOLDOUT_MONTHS} held-out months have fewer than 2 wins or 2 losses: nothing to compare on");
    }
    Ok(held_out)
}

/// A version's ROC-AUC and calibration on the held-out leads, through its
/// component; also each (probability, won).
async fn offline(component: &Arc<ScorerComponent>, held_out: &[HeldOut]) -> Result<(Offline, Vec<(f64, bool)>)> {
    let component = component.clone();
    let leads: Vec<(String, bool)> = held_out.iter().map(|h| (h.lead.clone(), h.won)).collect();
    let cases = tokio::task::spawn_blocking(move || -> Result<Vec<(f64, bool)>> {
        let mut cases = Vec::with_capacity(leads.len());
        for chunk in leads.chunks(200) {
            let parsed = chunk.iter().map(|(l, _)| crate::runtime::lead::parse(l)).collect::<Result<Vec<_>, _>>()?;
            let scored = component.score(&parsed).map_err(|e| anyhow!("scoring the held-out leads: {e}"))?;
            for (result, (_, won)) in scored.into_iter().zip(chunk) {
                let scored = result.map_err(|e| anyhow!("a held-out lead was refused: {}: {}", e.field, e.message))?;
                cases.push((scored.probability, *won));
            }
        }
        Ok(cases)
    })
    .await
    .map_err(|e| anyhow!("scoring stopped: {e}"))??;
    let auc = stats::auc(&cases).ok_or_else(|| anyhow!("no AUC without wins and losses"))?;
    let n = cases.len() as f64;
    let (predicted, won) = (cases.iter().map(|c| c.0).sum::<f64>(), cases.iter().filter(|c| c.1).count() as f64);
    let sd = cases.iter().map(|c| c.0 * (1.0 - c.0)).sum::<f64>().sqrt();
    let offline = Offline {
        auc,
        predicted_rate: predicted / n,
        observed_rate: won / n,
        calibration_z: if sd > 0.0 { (won - predicted) / sd } else { 0.0 },
    };
    Ok((offline, cases))
}

/// Features whose PSI between the candidate's training population and the
/// tenant's recent scoring is above the tenant's drift threshold.
async fn psi_alarms(
    pipeline: &Pipeline,
    org: &str,
    active: &str,
    reference: Option<drift::Reference>,
) -> Result<Vec<(String, f64)>> {
    let Some(reference) = reference else { return Ok(vec![]) };
    let threshold = pipeline.db.learning_settings_of(org).await?.unwrap_or_default().drift_threshold;
    let report = crate::pipeline::monitor::recent_drift(pipeline, org, active, &reference, threshold).await?;
    Ok(report.features.into_iter().filter(|f| f.alert).map(|f| (f.feature, f.psi)).collect())
}

/// The job's figures: the contract's `auc` and `active_auc`, and the rest of the gate.
fn metrics(gate: &GateResult, exported: &training::Exported, held_out: &[HeldOut]) -> Value {
    json!({
        "auc": gate.candidate.auc,
        "active_auc": gate.active.auc,
        "predicted_rate": gate.candidate.predicted_rate,
        "observed_rate": gate.candidate.observed_rate,
        "active_predicted_rate": gate.active.predicted_rate,
        "held_out_leads": held_out.len(),
        "held_out_wins": held_out.iter().filter(|h| h.won).count(),
        "labelled_leads": exported.leads,
        "labelled_wins": exported.won,
        "months": exported.months,
        "psi_alarms": gate.psi_alarms,
        "failures": gate.failures,
    })
}

/// The candidate's held-out quality, for its manifest and the model admin page.
fn quality(gate: &GateResult, cases: &[(f64, bool)], exported: &training::Exported) -> ModelQuality {
    let calibration = stats::calibration(cases, 10)
        .into_iter()
        .map(|bin| CalibrationDecile { leads: bin.leads as u64, predicted: bin.predicted, observed: bin.observed })
        .collect();
    let day = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().format("%Y-%m-%d").to_string();
    let trained_until = exported.start_ms + i64::from(exported.months - HOLDOUT_MONTHS) * super::MONTH_MS - 86_400_000;
    ModelQuality {
        roc_auc: gate.candidate.auc,
        base_rate: gate.candidate.observed_rate,
        leads: cases.len() as u64,
        won: cases.iter().filter(|c| c.1).count() as u64,
        calibration,
        window: Some([day(exported.start_ms), day(trained_until)]),
    }
}
