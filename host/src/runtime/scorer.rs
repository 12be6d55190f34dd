//! The scorer: one lead through the router current at this moment, within
//! the scoring slots, with its metrics recorded. The sync API, the workers
//! and the shadow scoring all score through it.

use std::time::Instant;

use super::component::RuntimeConfig;
use super::metrics::Metrics;
use super::registry::Registry;
use super::routing::AllFailed;
use super::score::Score;
use super::slots::FairSlots;
use crate::bindings::Lead;

/// Which versions may answer.
#[derive(Clone, Debug)]
pub enum Plan {
    /// The tenant's routing (with its fallbacks), the requested version first.
    Routed {
        /// The tenant (`None`: the default routing).
        tenant: Option<String>,
        /// A version the caller asked for.
        requested: Option<String>,
    },
    /// This version alone (a shadow: no fallback answers in its name).
    Only(String),
}

/// A version's answer for one lead.
#[derive(Debug)]
pub struct Answer {
    /// The score, or why the component refused the lead (bad input: no
    /// other version would do better).
    pub result: Result<Score, Refused>,
    /// The version that answered.
    pub version: String,
    /// The sha256 of its component (hex).
    pub sha256: String,
    /// Whether an earlier version in the plan failed first.
    pub fell_back: bool,
    /// Time from the call to the answer (waiting for a slot included), in µs.
    pub latency_us: i64,
}

/// The component refused a lead: what was wrong, naming the field.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Refused {
    /// The offending field (`fields.employees`, `activities[2].page`, ...).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// No version could answer.
#[derive(Debug, thiserror::Error)]
pub enum ScoringError {
    /// Every version in the plan failed (trapped, ran out of time or memory).
    #[error(transparent)]
    AllFailed(#[from] AllFailed),
    /// The scoring task itself stopped (it panicked).
    #[error("the scoring task stopped: {0}")]
    Task(String),
}

/// The registry's versions, the slots that bound concurrent calls, and the metrics.
pub struct Scorer {
    /// The loaded versions and their routing.
    pub registry: Registry,
    /// Model calls, latency, failures, the pool, the cache and the learning loop.
    pub metrics: Metrics,
    /// Scoring calls that may run at once. Requests beyond it wait here:
    /// never more than the instance pool holds (a failed instantiation would
    /// look like a failing version; one slot stays free for installs'
    /// checks), and a few per core, since more threads only thrash.
    slots: FairSlots,
}

impl Scorer {
    /// A scorer over `registry`, with 4 slots per core within the runtime's instance pool.
    pub fn new(registry: Registry, metrics: Metrics, runtime: &RuntimeConfig) -> Scorer {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let slots = (4 * cores).min(runtime.max_instances.saturating_sub(1) as usize).max(1);
        Scorer { registry, metrics, slots: FairSlots::new(slots) }
    }

    /// Scores a lead of `tenant`'s as `plan` says, falling back along it
    /// when a version fails. Waits for a slot in the tenant's turn.
    pub async fn score(&self, tenant: &str, lead: Lead, plan: Plan) -> Result<Answer, ScoringError> {
        let router = self.registry.router_arc();
        let lead_id = lead.id.clone();
        let started = Instant::now();
        let _slot = self.slots.acquire(tenant).await;
        let routed = tokio::task::spawn_blocking(move || {
            let routed = match plan {
                Plan::Routed { tenant, requested } => router.score(&lead, tenant.as_deref(), requested.as_deref()),
                Plan::Only(version) => router.score_plan(&lead, vec![&version]),
            }?;
            // The version's manifest adds labels, the base rate and notes.
            Ok::<_, AllFailed>(routed.map(|scored, version| {
                let mut score = Score::from(scored);
                if let Some(component) = router.components.get(version) {
                    component.presentation.present(&mut score, &lead);
                }
                score
            }))
        })
        .await
        .map_err(|e| ScoringError::Task(e.to_string()))?;
        let latency_us = started.elapsed().as_micros() as i64;
        let routed = match routed {
            Ok(routed) => routed,
            Err(failed) => {
                self.metrics.record(&failed.0);
                tracing::error!(lead_id, error = %failed, "no version could score the lead");
                return Err(failed.into());
            }
        };
        self.metrics.record(&routed.attempts);
        for failed in routed.attempts.iter().filter(|a| a.failure.is_some()) {
            let (kind, why) = failed.failure.as_ref().map(|(k, w)| (*k, w.as_str())).unwrap_or_default();
            tracing::warn!(lead_id, version = %failed.version, kind, why, "version failed; falling back");
        }
        if let Ok(score) = &routed.result {
            self.metrics.data_notes(&routed.version, &score.notes);
        }
        Ok(Answer {
            result: routed.result.map_err(|e| Refused { field: e.field, message: e.message }),
            version: routed.version,
            sha256: routed.sha256,
            fell_back: routed.fell_back,
            latency_us,
        })
    }
}
