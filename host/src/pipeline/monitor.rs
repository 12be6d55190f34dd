//! The learning loop at work: the lift report of a tenant as of now (with
//! its guardrail and drift), and the monitor that checks every tenant
//! periodically — it keeps `/metrics` current, and when a guardrail trips it
//! records the trip and, if the tenant asked for it, routes the tenant to
//! the rules model through the registry.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;

use super::Pipeline;
use super::db::now_ms;
use super::tenants::Tenants;
use crate::learning::drift::{self, DriftReport};
use crate::learning::lift::{self, LiftReport};
use crate::learning::{LearningSettings, RULES_VERSION, TenantLearning};
use crate::runtime::routing::Routing;
use crate::runtime::scorer::Scorer;

const DAY_MS: i64 = 86_400_000;
/// Drift compares the inferences of this many recent days...
const DRIFT_WINDOW_DAYS: u32 = 7;
/// ...at most the newest this many: plenty for ten bins per feature, and
/// parsing the logged features is most of the report's time.
const DRIFT_MAX_LEADS: i64 = 5_000;

/// Drift of the tenant's recent inferences by `version` against `reference`
/// (a training population): the lift report's, and the retrain gate's PSI check.
pub async fn recent_drift(
    pipeline: &Pipeline,
    org: &str,
    version: &str,
    reference: &drift::Reference,
    threshold: f64,
) -> Result<DriftReport> {
    let since = now_ms() - i64::from(DRIFT_WINDOW_DAYS) * DAY_MS;
    let recent = pipeline.db.recent_inferences(org, version, since, DRIFT_MAX_LEADS).await?;
    Ok(drift::drift(reference, version, DRIFT_WINDOW_DAYS, threshold, &recent))
}

/// What the reports and the monitor read and act on.
#[derive(Clone)]
pub struct Monitor {
    /// The backends.
    pub pipeline: Arc<Pipeline>,
    /// The registry (routing) and the metrics.
    pub scorer: Arc<Scorer>,
    /// The tenants' settings.
    pub tenants: Arc<Tenants>,
}

impl Monitor {
    /// A tenant's lift report as of now, over the last `weeks` weekly cohorts.
    pub async fn report(&self, org: &str, weeks: usize) -> Result<LiftReport> {
        let tenant = self.tenants.get(org);
        let (facts, started) = self.pipeline.db.lead_facts(org).await?;
        let days_running = started.map_or(0.0, |start| (now_ms() - start) as f64 / DAY_MS as f64);
        let mut report = lift::report(org, tenant.settings.clone(), &facts, weeks, days_running);
        report.guardrail.tripped_at = tenant.tripped_at;
        report.guardrail.routed_to_rules =
            tenant.tripped_at.is_some() && self.scorer.registry.router().routing_for(Some(org)).active == RULES_VERSION;
        report.drift = self.drift_of(org, &tenant.settings).await?;
        Ok(report)
    }

    /// Drift of the version the tenant's routing shows, when its manifest
    /// carries the training distribution.
    async fn drift_of(&self, org: &str, settings: &LearningSettings) -> Result<Option<DriftReport>> {
        let version = self.scorer.registry.router().routing_for(Some(org)).active.clone();
        // A manifest that cannot be read leaves the report without drift rather
        // than failing it (the caller retries only database errors).
        let manifests = self.scorer.registry.manifests().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot read installed manifests: no drift");
            vec![]
        });
        let Some(reference) = manifests.into_iter().find(|m| m.version == version).and_then(|m| m.reference) else {
            return Ok(None);
        };
        Ok(Some(recent_drift(&self.pipeline, org, &version, &reference, settings.drift_threshold).await?))
    }

    /// Checks every tenant every `every`: refreshes the learning metrics and
    /// trips guardrails.
    pub async fn run(self, every: Duration) {
        loop {
            tokio::time::sleep(every).await;
            let tenants = match self.pipeline.db.tenants_with_leads().await {
                Ok(tenants) => tenants,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "learning monitor: database unavailable");
                    continue;
                }
            };
            for org in tenants {
                if let Err(e) = self.check(&org).await {
                    tracing::warn!(org, error = %format!("{e:#}"), "learning monitor: check failed");
                }
            }
        }
    }

    async fn check(&self, org: &str) -> Result<()> {
        let report = self.report(org, 12).await?;
        self.scorer.metrics.learning(&report);
        if report.drift.as_ref().is_some_and(|d| d.alert) {
            tracing::warn!(org, drift = ?report.drift, "drift above the threshold");
        }
        if report.guardrail.status == "alert" && report.guardrail.tripped_at.is_none() {
            self.trip_guardrail(org, &report).await?;
        }
        Ok(())
    }

    /// Records the trip (once: saving the settings re-arms it) and, when the
    /// tenant asked for it, routes the tenant to the rules model, keeping the
    /// model it replaces in shadow: its scores stay comparable, and promoting
    /// it brings it back.
    async fn trip_guardrail(&self, org: &str, report: &LiftReport) -> Result<()> {
        let tenant = self.tenants.get(org);
        let at = now_ms();
        self.pipeline.db.trip_guardrail(org, &tenant.settings, at).await?;
        self.tenants.set(org, TenantLearning { tripped_at: Some(at), ..tenant.clone() });
        tracing::warn!(org, message = report.guardrail.message, "guardrail tripped");
        if tenant.settings.guardrail_to_rules {
            let registry = &self.scorer.registry;
            let current = registry.router().routing_for(Some(org)).clone();
            if !registry.router().components.contains_key(RULES_VERSION) {
                tracing::error!(org, "the guardrail cannot route to {RULES_VERSION}: it is not installed");
            } else if current.active != RULES_VERSION {
                let rules = Routing {
                    active: RULES_VERSION.into(),
                    split: vec![],
                    fallback: vec![],
                    shadow: Some(current.active),
                    bands: current.bands,
                };
                registry.set_routing(self.pipeline.as_ref(), Some(org), rules).await?;
                tracing::warn!(org, "guardrail: tenant routed to {RULES_VERSION}");
            }
        }
        self.pipeline.announce_change().await;
        Ok(())
    }
}
