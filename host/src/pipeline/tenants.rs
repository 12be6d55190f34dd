//! The tenants' learning-loop settings and guardrail state, as this host
//! knows them: read from the database at start and on every announced
//! change, so that every host holds out the same share of leads.

use std::collections::BTreeMap;
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::db::Db;
use crate::learning::{LearningSettings, TenantLearning};
use crate::runtime::writes::LocalWrites;

/// Every tenant's learning settings (a tenant not here has the defaults).
pub struct Tenants {
    saved: ArcSwap<BTreeMap<String, TenantLearning>>,
    defaults: LearningSettings,
    /// Local `set`s, so that a `sync` read before one does not undo it.
    sets: LocalWrites,
}

impl Tenants {
    /// No tenant's settings yet; `defaults` for every tenant until it saves its own.
    pub fn new(defaults: LearningSettings) -> Tenants {
        Tenants { saved: ArcSwap::from_pointee(BTreeMap::new()), defaults, sets: LocalWrites::default() }
    }

    /// A tenant's settings and guardrail state.
    pub fn get(&self, org: &str) -> TenantLearning {
        let defaults = || TenantLearning { settings: self.defaults.clone(), tripped_at: None };
        self.saved.load().get(org).cloned().unwrap_or_else(defaults)
    }

    /// Replaces a tenant's settings and guardrail state here (the caller has
    /// saved them to the database first).
    pub fn set(&self, org: &str, tenant: TenantLearning) {
        let _writing = self.sets.write();
        self.saved.rcu(|current| {
            let mut next = BTreeMap::clone(current);
            next.insert(org.to_string(), tenant.clone());
            next
        });
    }

    /// Reads every tenant's saved settings; a database that does not answer
    /// is logged (the next sync catches up). A local `set` during the read
    /// means the read may predate it: read again.
    pub async fn sync(&self, db: &Db) {
        loop {
            let mark = self.sets.mark();
            match db.learning_settings().await {
                Ok(saved) => {
                    let Some(_unchanged) = self.sets.unchanged_since(mark) else { continue };
                    let tenants = saved
                        .into_iter()
                        .map(|(org, settings, tripped_at)| (org, TenantLearning { settings, tripped_at }));
                    self.saved.store(Arc::new(tenants.collect()));
                    return;
                }
                Err(e) => return tracing::warn!(error = %format!("{e:#}"), "cannot read learning settings"),
            }
        }
    }
}
