//! Which model version scores a lead, and what to try when it fails.
//!
//! A routing has an active version, an optional A/B split (sticky: a lead id
//! always lands on the same version) and a fallback chain (v12 → v11 →
//! rules-v1), tried in order when a version traps, runs out of time or
//! errs. A request may name a version, which then goes first.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use guest_model::model::Bands;

use super::component::ScorerComponent;
use super::lead::crm::ModelField;
use crate::bindings::{Lead, ScoreError, ScoredLead};

/// One version's share of an A/B split.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Weighted {
    /// The version.
    pub version: String,
    /// Its weight (shares are weight / Σ weights).
    pub weight: u32,
}

/// Which versions score leads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Routing {
    /// The version that answers when no split is set.
    pub active: String,
    /// An A/B split, replacing `active` when not empty.
    #[serde(default)]
    pub split: Vec<Weighted>,
    /// Tried in order when the chosen version fails.
    #[serde(default)]
    pub fallback: Vec<String>,
    /// Scores every lead beside the shown version, for comparison; its
    /// results are logged and never shown.
    #[serde(default)]
    pub shadow: Option<String>,
    /// The tenant's own Hot/Cold thresholds, replacing the model's: every
    /// badge the tenant's reps see follows them, already-scored leads too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bands: Option<Bands>,
}

/// A routing that cannot be applied.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    /// It names a version that is not installed.
    #[error("version {0:?} is not installed")]
    Unknown(String),
    /// The split's weights add up to zero.
    #[error("the split's weights add up to 0")]
    NoWeight,
    /// A version appears twice in the split.
    #[error("version {0:?} appears twice in the split")]
    Duplicate(String),
    /// A version appears twice in the fallback chain.
    #[error("fallback: version {0:?} appears twice")]
    DuplicateFallback(String),
    /// The active version is its own fallback.
    #[error("fallback: {0:?} is the active version (a fallback is tried after it fails)")]
    ActiveInFallback(String),
    /// Thresholds that leave no room for a band, or lie beyond 0–100.
    #[error("bands: cold ({cold}) must be at most hot ({hot}), and hot at most 100")]
    Bands {
        /// score > hot is Hot.
        hot: u8,
        /// score < cold is Cold.
        cold: u8,
    },
    /// The shadow version is also shown.
    #[error("shadow: {0:?} is shown already (active or in the split): a shadow is scored beside the shown version")]
    ShadowShown(String),
}

impl Routing {
    /// Every version the routing names: active, split and fallback.
    pub fn names(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.active)
            .chain(self.split.iter().map(|w| &w.version))
            .chain(&self.fallback)
            .chain(&self.shadow)
    }

    /// The shadow version made active: the old active version goes first in
    /// the fallback chain, the split is dropped (it would hide the promoted
    /// version) and no shadow remains. `None` without a shadow.
    pub fn promoted(&self) -> Option<Routing> {
        let shadow = self.shadow.clone()?;
        let fallback = std::iter::once(&self.active).chain(&self.fallback).filter(|v| **v != shadow).fold(
            Vec::new(),
            |mut chain: Vec<String>, v| {
                if !chain.contains(v) {
                    chain.push(v.clone());
                }
                chain
            },
        );
        Some(Routing { active: shadow, split: vec![], fallback, shadow: None, bands: self.bands })
    }

    /// Checks that every named version is installed and the split is usable.
    pub fn check(&self, installed: &[&str]) -> Result<(), RoutingError> {
        if let Some(Bands { hot, cold }) = self.bands
            && (cold > hot || hot > 100)
        {
            return Err(RoutingError::Bands { hot, cold });
        }
        if let Some(unknown) = self.names().find(|v| !installed.contains(&v.as_str())) {
            return Err(RoutingError::Unknown(unknown.clone()));
        }
        if !self.split.is_empty() && self.split.iter().map(|w| w.weight as u64).sum::<u64>() == 0 {
            return Err(RoutingError::NoWeight);
        }
        for (i, w) in self.split.iter().enumerate() {
            if self.split[..i].iter().any(|other| other.version == w.version) {
                return Err(RoutingError::Duplicate(w.version.clone()));
            }
        }
        for (i, v) in self.fallback.iter().enumerate() {
            if self.fallback[..i].contains(v) {
                return Err(RoutingError::DuplicateFallback(v.clone()));
            }
        }
        if self.split.is_empty() && self.fallback.contains(&self.active) {
            return Err(RoutingError::ActiveInFallback(self.active.clone()));
        }
        if let Some(shadow) = &self.shadow {
            let shown = match self.split.is_empty() {
                true => *shadow == self.active,
                false => self.split.iter().any(|w| w.version == *shadow),
            };
            if shown {
                return Err(RoutingError::ShadowShown(shadow.clone()));
            }
        }
        Ok(())
    }

    /// The version a lead is scored by, before any fallback.
    pub fn primary(&self, lead_id: &str) -> &str {
        let total: u64 = self.split.iter().map(|w| w.weight as u64).sum();
        if total == 0 {
            return &self.active;
        }
        // A stable hash, so that a lead keeps its side of the split across
        // restarts and hosts.
        let digest = Sha256::digest(lead_id.as_bytes());
        let mut bucket = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes")) % total;
        for w in &self.split {
            if bucket < w.weight as u64 {
                return &w.version;
            }
            bucket -= w.weight as u64;
        }
        &self.active
    }

    /// The versions to try for a lead, in order, each once: the requested
    /// version (if any) or the primary, then the fallback chain.
    pub fn plan<'a>(&'a self, lead_id: &str, requested: Option<&'a str>) -> Vec<&'a str> {
        let mut plan = vec![requested.unwrap_or_else(|| self.primary(lead_id))];
        for v in &self.fallback {
            if !plan.contains(&v.as_str()) {
                plan.push(v);
            }
        }
        plan
    }
}

/// One version's try at a lead.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The version tried.
    pub version: String,
    /// How long the call took (instance included).
    pub took: Duration,
    /// Why it failed: the [`CallError::kind`] and the message; `None` when it answered.
    pub failure: Option<(&'static str, String)>,
}

/// A lead's result and who produced it.
#[derive(Debug)]
pub struct Routed<T = ScoredLead> {
    /// The score, or the lead's own error (bad input: no fallback helps).
    pub result: Result<T, ScoreError>,
    /// The version that answered.
    pub version: String,
    /// The sha256 of its component (hex).
    pub sha256: String,
    /// Whether an earlier version in the plan failed first.
    pub fell_back: bool,
    /// Every version tried, in order; the last one answered.
    pub attempts: Vec<Attempt>,
}

impl<T> Routed<T> {
    /// The same answer with its score turned into a `U` by `f`.
    pub fn map<U>(self, f: impl FnOnce(T, &str) -> U) -> Routed<U> {
        let Routed { result, version, sha256, fell_back, attempts } = self;
        Routed { result: result.map(|r| f(r, &version)), version, sha256, fell_back, attempts }
    }
}

/// Every version in the plan failed.
#[derive(Debug, thiserror::Error)]
#[error("no model version could score the lead: {}", describe(.0))]
pub struct AllFailed(pub Vec<Attempt>);

fn describe(attempts: &[Attempt]) -> String {
    let failures = attempts.iter().filter_map(|a| a.failure.as_ref().map(|(_, why)| format!("{}: {why}", a.version)));
    failures.collect::<Vec<_>>().join("; ")
}

/// Loaded components and the routing between them: the default routing and
/// tenants' own.
#[derive(Clone)]
pub struct Router {
    /// Components by version.
    pub components: HashMap<String, Arc<ScorerComponent>>,
    /// The routing of tenants without their own.
    pub routing: Routing,
    /// Tenants' own routings, by tenant (organisation) id.
    pub tenants: BTreeMap<String, Routing>,
}

impl Router {
    /// A router with one routing for every tenant.
    pub fn new(components: HashMap<String, Arc<ScorerComponent>>, routing: Routing) -> Router {
        Router { components, routing, tenants: BTreeMap::new() }
    }

    /// The routing that applies to a tenant.
    pub fn routing_for(&self, tenant: Option<&str>) -> &Routing {
        tenant.and_then(|t| self.tenants.get(t)).unwrap_or(&self.routing)
    }

    /// The lead fields the versions a tenant's routing names read, and what
    /// each must be (a field two versions read differently: as the first in
    /// the routing reads it, the active version first). Versions whose
    /// manifests record no feature definitions add nothing.
    pub fn model_fields(&self, tenant: Option<&str>) -> BTreeMap<String, ModelField> {
        let mut fields = BTreeMap::new();
        for version in self.routing_for(tenant).names() {
            let Some(component) = self.components.get(version) else { continue };
            for def in component.presentation.definitions() {
                if let Some((field, needs)) = ModelField::of(def) {
                    fields.entry(field.to_string()).or_insert(needs);
                }
            }
        }
        fields
    }

    /// The installed versions.
    pub fn versions(&self) -> Vec<&str> {
        let mut versions: Vec<&str> = self.components.keys().map(String::as_str).collect();
        versions.sort();
        versions
    }

    /// Scores one lead for a tenant, falling back along the plan when a version fails.
    pub fn score(&self, lead: &Lead, tenant: Option<&str>, requested: Option<&str>) -> Result<Routed, AllFailed> {
        self.score_plan(lead, self.routing_for(tenant).plan(&lead.id, requested))
    }

    /// Scores one lead with the first version of `plan` that answers.
    pub fn score_plan(&self, lead: &Lead, plan: Vec<&str>) -> Result<Routed, AllFailed> {
        let mut attempts: Vec<Attempt> = Vec::new();
        for version in plan {
            let started = Instant::now();
            let outcome = match self.components.get(version) {
                None => Err(("other", "not loaded".to_string())),
                Some(component) => match component.score(std::slice::from_ref(lead)).map(|mut r| r.pop()) {
                    Ok(Some(result)) => Ok((result, component.sha256().to_string())),
                    Ok(None) => Err(("other", "returned no result".to_string())),
                    Err(e) => Err((e.kind(), e.to_string())),
                },
            };
            let took = started.elapsed();
            match outcome {
                Ok((result, sha256)) => {
                    let fell_back = !attempts.is_empty();
                    attempts.push(Attempt { version: version.to_string(), took, failure: None });
                    return Ok(Routed { result, version: version.to_string(), sha256, fell_back, attempts });
                }
                Err(failure) => attempts.push(Attempt { version: version.to_string(), took, failure: Some(failure) }),
            }
        }
        Err(AllFailed(attempts))
    }
}
