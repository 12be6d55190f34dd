//! The tenants' learning-loop settings and guardrail state, as this host
//! knows them: read from the database at start and on every announced
//! change, so that every host holds out the same share of leads.

use std::collections::BTreeMap;
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::db::Db;
use crate::learning::{LearningSettings, TenantLearning};

/// Every tenant's learning settings (a tenant not here has the defaults).
pub struct Tenants {
    saved: ArcSwap<BTreeMap<String, TenantLearning>>,
    defaults: LearningSettings,
}

impl Tenants {
    /// No tenant's settings yet; `defaults` for every tenant until it saves its own.
    pub fn new(defaults: LearningSettings) -> Tenants {
        Tenants { saved: ArcSwap::from_pointee(BTreeMap::new()), defaults }
    }

    /// A tenant's settings and guardrail state.
    pub fn get(&self, org: &str) -> TenantLearning {
        let defaults = || TenantLearning { settings: self.defaults.clone(), tripped_at: None };
        self.saved.load().get(org).cloned().unwrap_or_else(defaults)
    }

    /// Replaces a tenant's settings and guardrail state here.
    pub fn set(&self, org: &str, tenant: TenantLearning) {
        self.saved.rcu(|current| {
            let mut next = BTreeMap::clone(current);
            next.insert(org.to_string(), tenant.clone());
            next
        });
    }

    /// Reads every tenant's saved settings; a database that does not answer
    /// is logged (the next sync catches up).
    pub async fn sync(&self, db: &Db) {
        match db.learning_settings().await {
            Ok(saved) => {
                let tenants =
                    saved.into_iter().map(|(org, settings, tripped_at)| (org, TenantLearning { settings, tripped_at }));
                self.saved.store(Arc::new(tenants.collect()));
            }
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "cannot read learning settings"),
        }
    }
}
