//! What `/metrics` reports, in the Prometheus text format: calls into each
//! model version, their latency, failures by kind, deadline hits, fallbacks
//! and how full the instance pool is; and the learning loop's lift,
//! guardrail and drift (as of the last check): per tenant only when
//! `--metrics-tenant-labels` asks for it (`/metrics` needs no token, and
//! tenants' names are not for everyone who can reach it), otherwise as
//! counts of tenants alerting.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

use super::routing::Attempt;
use super::score::DataNote;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FailureLabels {
    version: String,
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FallbackLabels {
    from: String,
    to: String,
}

type LatencyFamily = Family<VersionLabels, Histogram, fn() -> Histogram>;

/// The service's metrics.
pub struct Metrics {
    registry: Registry,
    calls: Family<VersionLabels, Counter>,
    latency: LatencyFamily,
    failures: Family<FailureLabels, Counter>,
    deadline_hits: Family<VersionLabels, Counter>,
    fallbacks: Family<FallbackLabels, Counter>,
    pool_in_use: Gauge,
    cache: Family<CacheLabels, Counter>,
    data_notes: Family<NoteLabels, Counter>,
    lift: Family<OrgLabels, Gauge<f64, AtomicU64>>,
    guardrail_alert: Family<OrgLabels, Gauge>,
    drift_psi: Family<DriftLabels, Gauge<f64, AtomicU64>>,
    drift_alert: Family<OrgLabels, Gauge>,
    /// Whether the per-tenant families above are registered.
    tenant_labels: bool,
    /// Without tenant labels: each tenant's latest (guardrail, drift) alerts,
    /// counted into the two gauges below.
    alerts: std::sync::Mutex<std::collections::HashMap<String, (bool, bool)>>,
    guardrail_alerts: Gauge,
    drift_alerts: Gauge,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OrgLabels {
    org: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DriftLabels {
    org: String,
    version: String,
    feature: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NoteLabels {
    version: String,
    kind: String,
    /// Empty for a note about no one feature.
    feature: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    outcome: String,
}

fn latency_histogram() -> Histogram {
    // 50 µs to about 0.8 s: a lead takes about a millisecond, a deadline 100 ms.
    Histogram::new(exponential_buckets(50e-6, 2.0, 15))
}

impl Metrics {
    /// Registers every metric; `pool_capacity` is the runtime's instance
    /// limit; `tenant_labels`: report the learning loop per tenant.
    pub fn new(pool_capacity: u32, tenant_labels: bool) -> Metrics {
        let mut registry = Registry::with_prefix("leadscore");
        let calls = Family::<VersionLabels, Counter>::default();
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        let failures = Family::<FailureLabels, Counter>::default();
        let deadline_hits = Family::<VersionLabels, Counter>::default();
        let fallbacks = Family::<FallbackLabels, Counter>::default();
        let pool_in_use = Gauge::default();
        let capacity = Gauge::<i64>::default();
        capacity.set(pool_capacity as i64);
        registry.register("model_calls", "Calls into a model version (one lead each)", calls.clone());
        registry.register("model_call_seconds", "Time of one call, fresh instance included", latency.clone());
        registry.register("model_failures", "Failed calls by kind: deadline, memory, trap, other", failures.clone());
        registry.register("model_deadline_hits", "Calls stopped at their wall-clock deadline", deadline_hits.clone());
        registry.register("fallbacks", "Leads answered by a later version after one failed", fallbacks.clone());
        registry.register("pool_instances_in_use", "Component instances alive now", pool_in_use.clone());
        registry.register("pool_instances_capacity", "Instances the pool can hold", capacity);
        let cache = Family::<CacheLabels, Counter>::default();
        registry.register("score_cache", "Score cache lookups of the async pipeline: hit or miss", cache.clone());
        let data_notes = Family::<NoteLabels, Counter>::default();
        registry.register(
            "data_notes",
            "Notes on lead data a score could not use (unseen category, activity after as_of, missing important field), by version, kind and feature",
            data_notes.clone(),
        );
        let lift = Family::<OrgLabels, Gauge<f64, AtomicU64>>::default();
        let guardrail_alert = Family::<OrgLabels, Gauge>::default();
        let drift_psi = Family::<DriftLabels, Gauge<f64, AtomicU64>>::default();
        let drift_alert = Family::<OrgLabels, Gauge>::default();
        let guardrail_alerts = Gauge::default();
        let drift_alerts = Gauge::default();
        if tenant_labels {
            registry.register("lift", "Win-rate lift of scored leads over the control group", lift.clone());
            registry.register("guardrail_alert", "1 when lift is below the tenant's floor", guardrail_alert.clone());
            registry.register(
                "drift_psi",
                "Population stability index against training (feature \"score\": the score)",
                drift_psi.clone(),
            );
            registry.register("drift_alert", "1 when a PSI is above the tenant's threshold", drift_alert.clone());
        } else {
            registry.register(
                "guardrail_alert_tenants",
                "Tenants whose lift is below their floor",
                guardrail_alerts.clone(),
            );
            registry.register("drift_alert_tenants", "Tenants with a PSI above their threshold", drift_alerts.clone());
        }
        Metrics {
            registry,
            calls,
            latency,
            failures,
            deadline_hits,
            fallbacks,
            pool_in_use,
            cache,
            data_notes,
            lift,
            guardrail_alert,
            drift_psi,
            drift_alert,
            tenant_labels,
            alerts: Default::default(),
            guardrail_alerts,
            drift_alerts,
        }
    }

    /// Records a tenant's latest lift report.
    pub fn learning(&self, report: &crate::learning::lift::LiftReport) {
        if !self.tenant_labels {
            let guardrail = report.guardrail.status == "alert";
            let drift = report.drift.as_ref().is_some_and(|d| d.alert);
            let mut alerts = self.alerts.lock().unwrap_or_else(|e| e.into_inner());
            alerts.insert(report.org.clone(), (guardrail, drift));
            self.guardrail_alerts.set(alerts.values().filter(|a| a.0).count() as i64);
            self.drift_alerts.set(alerts.values().filter(|a| a.1).count() as i64);
            return;
        }
        let org = OrgLabels { org: report.org.clone() };
        if let Some(lift) = report.overall.lift {
            self.lift.get_or_create(&org).set(lift);
        }
        self.guardrail_alert.get_or_create(&org).set(i64::from(report.guardrail.status == "alert"));
        if let Some(drift) = &report.drift {
            self.drift_alert.get_or_create(&org).set(i64::from(drift.alert));
            let psi = |feature: &str, value: f64| {
                let labels =
                    DriftLabels { org: report.org.clone(), version: drift.version.clone(), feature: feature.into() };
                self.drift_psi.get_or_create(&labels).set(value);
            };
            if let Some(score) = drift.score_psi {
                psi("score", score);
            }
            for feature in &drift.features {
                psi(&feature.feature, feature.psi);
            }
        }
    }

    /// Counts a score cache lookup.
    pub fn cache_lookup(&self, hit: bool) {
        let outcome = if hit { "hit" } else { "miss" };
        self.cache.get_or_create(&CacheLabels { outcome: outcome.into() }).inc();
    }

    /// Counts a score's data notes.
    pub fn data_notes(&self, version: &str, notes: &[DataNote]) {
        for note in notes {
            let labels = NoteLabels {
                version: version.to_string(),
                kind: note.kind.name().to_string(),
                feature: note.feature.clone().unwrap_or_default(),
            };
            self.data_notes.get_or_create(&labels).inc();
        }
    }

    /// Records the versions tried for one lead, in order.
    pub fn record(&self, attempts: &[Attempt]) {
        for attempt in attempts {
            let version = VersionLabels { version: attempt.version.clone() };
            self.calls.get_or_create(&version).inc();
            self.latency.get_or_create(&version).observe(attempt.took.as_secs_f64());
            if let Some((kind, _)) = &attempt.failure {
                let labels = FailureLabels { version: attempt.version.clone(), kind: kind.to_string() };
                self.failures.get_or_create(&labels).inc();
                if *kind == "deadline" {
                    self.deadline_hits.get_or_create(&version).inc();
                }
            }
        }
        if let (Some(first), Some(last)) = (attempts.first(), attempts.last())
            && attempts.len() > 1
            && last.failure.is_none()
        {
            let labels = FallbackLabels { from: first.version.clone(), to: last.version.clone() };
            self.fallbacks.get_or_create(&labels).inc();
        }
    }

    /// The text exposition, with the pool occupancy as of now.
    pub fn render(&self, pool_in_use: u32) -> String {
        self.pool_in_use.set(pool_in_use as i64);
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}
