//! The closed loop's motor: every tenant's closed deals retrain its own
//! model, proven offline and then in shadow before it is shown.
//!
//! Every host runs [`run`]. Each round it
//! 1. makes a job for each tenant whose policy is due and who has enough
//!    labelled leads (one open job per tenant: a unique index);
//! 2. takes a queued job, or one whose host stopped renewing its lease, and
//!    runs it ([`job`]): export, train (the pinned XGBoost trainer in
//!    `models/training/`, as a subprocess of the service), build, offline
//!    gate, install, shadow;
//! 3. judges the shadows: after `shadow_days` and `min_compared_outcomes`,
//!    promotes a candidate that is not worse at the configured confidence
//!    (DeLong, paired on the leads both versions scored), or retires it.
//!
//! The service trains, rather than a separate `leadscore trainer` worker:
//! training a tenant's model takes seconds to minutes on one core, jobs are
//! rare (every 10 days per tenant), and any host can take over a job whose
//! host died, so there is nothing more to deploy or keep running. The
//! trainer runs at the lowest CPU priority (`nice`), one job per host at a
//! time, so scoring keeps the cores it needs.

pub mod job;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use serde_json::json;

use super::Pipeline;
use super::db::now_ms;
use super::db::retrain::{NewJobError, RetrainJob};
use crate::learning::retrain::{JobState, RetrainPolicy, Verdict, shadow_verdict};
use crate::learning::stats;
use crate::runtime::scorer::Scorer;

/// How retrain jobs run.
#[derive(Clone, Debug)]
pub struct RetrainSettings {
    /// How often each host schedules due jobs, takes queued ones and judges
    /// shadows.
    pub check_every: Duration,
    /// How long a host holds a job without renewing its lease (it renews
    /// every third of it): a host that dies loses its job this long after.
    pub lease: Duration,
    /// The Python that has the trainer's pinned packages (`.venv/bin/python`).
    pub python: PathBuf,
    /// The training scripts (`models/training/`).
    pub scripts: PathBuf,
    /// The model source a tenant's model is retrained from: its
    /// `features.toml` (features, wording, bands).
    pub source: PathBuf,
    /// The trainer's settings for a tenant's model (`models/training/retrain.toml`).
    pub params: PathBuf,
    /// Where jobs write their exports and models.
    pub work_dir: PathBuf,
    /// The trainer's time limit.
    pub timeout: Duration,
}

/// A month as the simulator and the training split count it (365.25 / 12 days), in ms.
pub const MONTH_MS: i64 = 2_629_800_000;
const DAY_MS: f64 = 86_400_000.0;

/// Runs the closed loop on this host, forever.
pub async fn run(pipeline: Arc<Pipeline>, scorer: Arc<Scorer>, host_id: String) {
    let every = pipeline.config.retrain.check_every;
    loop {
        if let Err(e) = round(&pipeline, &scorer, &host_id).await {
            tracing::warn!(error = %format!("{e:#}"), "retrain: database unavailable");
        }
        tokio::time::sleep(every).await;
    }
}

/// One round: schedule, run what is queued, judge the shadows.
async fn round(pipeline: &Arc<Pipeline>, scorer: &Arc<Scorer>, host_id: &str) -> Result<()> {
    for org in pipeline.db.tenants_with_outcomes().await? {
        schedule(pipeline, &org).await?;
    }
    let lease = pipeline.config.retrain.lease;
    while let Some(job) = pipeline.db.take_retrain_job(host_id, now_ms() + lease.as_millis() as i64).await? {
        job::run(pipeline.clone(), scorer.clone(), host_id, job).await;
    }
    for job in pipeline.db.retrain_jobs_in(JobState::Shadowing).await? {
        if let Err(e) = judge(pipeline, scorer, &job).await {
            tracing::warn!(job_id = job.job_id, error = %format!("{e:#}"), "retrain: cannot judge the shadow");
        }
    }
    Ok(())
}

/// A tenant's policy: its own, or the defaults.
pub async fn policy_of(pipeline: &Pipeline, org: &str) -> Result<RetrainPolicy> {
    Ok(pipeline.db.retrain_policy(org).await?.unwrap_or_default())
}

/// Since when leads count for a policy's window (ms).
pub fn window_start(policy: &RetrainPolicy) -> i64 {
    now_ms() - i64::from(policy.window_months) * MONTH_MS
}

/// Makes a scheduled job for `org` when its policy is on and due and it
/// has enough labelled leads.
async fn schedule(pipeline: &Pipeline, org: &str) -> Result<()> {
    let policy = policy_of(pipeline, org).await?;
    if !policy.enabled {
        return Ok(());
    }
    let due = match pipeline.db.last_retrain_at(org).await? {
        None => true,
        Some(at) => (now_ms() - at) as f64 >= policy.every_days * DAY_MS,
    };
    if !due || policy.shortfall(&pipeline.db.labelled(org, window_start(&policy)).await?).is_some() {
        return Ok(());
    }
    match pipeline.db.new_retrain_job(org, "schedule").await {
        Ok(job) => tracing::info!(org, job_id = job.job_id, candidate = job.candidate_version, "retrain scheduled"),
        Err(NewJobError::Open(_)) => {}
        Err(NewJobError::Db(e)) => return Err(e),
    }
    Ok(())
}

/// Judges a shadowing candidate by its policy (auto-promotion on), or
/// leaves it for an admin.
async fn judge(pipeline: &Pipeline, scorer: &Scorer, job: &RetrainJob) -> Result<()> {
    let policy = policy_of(pipeline, &job.org_id).await?;
    if !policy.auto_promote {
        return Ok(());
    }
    let Some(active) = job.active_version.as_deref() else { return Ok(()) };
    let pairs = pipeline.db.shadow_pairs(&job.org_id, active, &job.candidate_version).await?;
    // The leads both versions scored whose outcome is known: each one's probability, and won.
    let (mut a, mut b, mut won) = (Vec::new(), Vec::new(), Vec::new());
    for pair in &pairs {
        if let Some(outcome) = &pair.outcome {
            a.push(pair.active.1);
            b.push(pair.shadow.1);
            won.push(outcome == "won");
        }
    }
    let days = job.shadow_from_ms.map_or(0.0, |from| (now_ms() - from) as f64 / DAY_MS);
    let (to, paired) = match shadow_verdict(&policy, days, stats::delong(&a, &b, &won)) {
        Verdict::Wait => return Ok(()),
        Verdict::Promote(paired) => (JobState::Promoted, paired),
        Verdict::Retire(paired) => (JobState::Retired, paired),
    };
    let message = format!(
        "{}: AUC {:.3} against {active}'s {:.3} on {} compared outcomes (lower bound of the difference {:+.3} at \
         {:.0} %; the tolerance is −{})",
        to.as_str(),
        paired.auc_b,
        paired.auc_a,
        paired.positives + paired.negatives,
        paired.lower_bound(policy.confidence),
        100.0 * policy.confidence,
        policy.max_auc_drop
    );
    Ok(decide(pipeline, scorer, job, to, &message, json!({"shadow": paired, "days": days})).await?)
}

/// What deciding a shadow by hand can fail on.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    /// The job is not shadowing (anymore).
    #[error("job {0} is {1}, not shadowing")]
    NotShadowing(String, &'static str),
    /// The database or the routing change failed.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Promotes (`to` Promoted) or retires a shadowing candidate: the job
/// moves first (once, whichever host gets there), then the tenant's
/// routing changes: promoted, the candidate becomes active with the old
/// active version first in its fallback; retired, the shadow is removed.
pub async fn decide(
    pipeline: &Pipeline,
    scorer: &Scorer,
    job: &RetrainJob,
    to: JobState,
    message: &str,
    figures: serde_json::Value,
) -> Result<(), DecideError> {
    let mut metrics = job.metrics.clone();
    if let (Some(all), Some(new)) = (metrics.as_object_mut(), figures.as_object()) {
        all.extend(new.clone());
    }
    if !pipeline.db.move_retrain_job(job, JobState::Shadowing, None, to, message, &metrics, None).await? {
        let now = pipeline.db.retrain_job(&job.job_id).await?.map_or(JobState::Failed, |j| j.state);
        return Err(DecideError::NotShadowing(job.job_id.clone(), now.as_str()));
    }
    let registry = &scorer.registry;
    let routing = registry.router().routing_for(Some(&job.org_id)).clone();
    if routing.shadow.as_deref() != Some(job.candidate_version.as_str()) {
        tracing::warn!(job_id = job.job_id, "the tenant's routing no longer shadows the candidate; left as it is");
        return Ok(());
    }
    let changed = match to {
        JobState::Promoted => registry.promote(pipeline, Some(&job.org_id)).await,
        _ => {
            registry
                .set_routing(pipeline, Some(&job.org_id), crate::runtime::routing::Routing { shadow: None, ..routing })
                .await
        }
    };
    changed.map_err(|e| anyhow::anyhow!("changing the routing: {e}"))?;
    tracing::info!(
        org = job.org_id,
        job_id = job.job_id,
        candidate = job.candidate_version,
        message,
        "retrain decided"
    );
    Ok(())
}
