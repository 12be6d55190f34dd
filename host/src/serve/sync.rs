//! Keeping a host in step with the others: the versions they installed,
//! the routing and the tenants' learning settings stored in the database.

use std::sync::Arc;

use super::AppState;
use crate::learning::TenantLearning;
use crate::routing::{Router, Routing};

/// Loads versions other hosts installed and applies the stored routing
/// (when nothing is stored yet, stores this host's default routing) and
/// learning settings.
pub(super) async fn from_database(state: &Arc<AppState>) {
    let db = &state.pipeline.db;
    match db.learning_settings().await {
        Ok(saved) => {
            let tenants =
                saved.into_iter().map(|(org, settings, tripped_at)| (org, TenantLearning { settings, tripped_at }));
            state.learning.store(Arc::new(tenants.collect()));
        }
        Err(e) => tracing::warn!(error = %format!("{e:#}"), "cannot read learning settings"),
    }
    let known: Vec<String> = state.router.load().components.keys().cloned().collect();
    match db.models_except(&known.iter().map(String::as_str).collect::<Vec<_>>()).await {
        Ok(models) => {
            for (manifest, wasm) in models {
                let worker = state.clone();
                let installed = tokio::task::spawn_blocking(move || worker.store.install(&wasm, &manifest)).await;
                match installed {
                    Ok(Ok(installed)) => {
                        let (version, component) = (installed.manifest.version, Arc::new(installed.component));
                        tracing::info!(version, "loaded a version installed by another host");
                        state.router.rcu(|current| {
                            let mut next = Router::clone(current);
                            next.components.entry(version.clone()).or_insert_with(|| component.clone());
                            next
                        });
                    }
                    Ok(Err(e)) => tracing::error!(error = %e, "a stored model does not install here"),
                    Err(e) => tracing::error!(error = %e, "installing a stored model panicked"),
                }
            }
        }
        Err(e) => tracing::warn!(error = %format!("{e:#}"), "cannot read stored models"),
    }
    let stored = match db.routings().await {
        Ok(stored) => stored,
        Err(e) => return tracing::warn!(error = %format!("{e:#}"), "cannot read stored routing"),
    };
    if !stored.iter().any(|(tenant, _)| tenant.is_empty()) {
        let default = serde_json::json!(state.router.load().routing);
        if let Err(e) = db.save_routing(None, Some(&default)).await {
            tracing::warn!(error = %format!("{e:#}"), "cannot store the default routing");
        }
    }
    let versions: Vec<String> = state.router.load().versions().into_iter().map(String::from).collect();
    let versions: Vec<&str> = versions.iter().map(String::as_str).collect();
    let mut tenants = std::collections::BTreeMap::new();
    let mut default = None;
    for (tenant, value) in stored {
        match serde_json::from_value::<Routing>(value) {
            Ok(routing) if routing.check(&versions).is_ok() => {
                if tenant.is_empty() {
                    default = Some(routing);
                } else {
                    tenants.insert(tenant, routing);
                }
            }
            _ => tracing::warn!(tenant, "stored routing names versions not loaded here; ignored"),
        }
    }
    state.router.rcu(|current| {
        let mut next = Router::clone(current);
        if let Some(routing) = &default {
            next.routing = routing.clone();
        }
        next.tenants = tenants.clone();
        next
    });
}
