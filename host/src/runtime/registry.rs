//! The registry: the model versions this host has loaded and the routing
//! between them. It is the one place that installs a version, changes a
//! routing and catches up with what other hosts did.
//!
//! Each request takes the router current when it arrives; an install or a
//! routing change builds a new router and swaps it in atomically, so calls in
//! flight finish on the version they started with and no request ever sees
//! half a change. What hosts share (installed components, routings) lives in
//! a [`Catalog`]: the pipeline's database, with announcements over Redis.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use arc_swap::{ArcSwap, Guard};

use super::component::Runtime;
use super::manifest::Manifest;
use super::routing::{Router, Routing, RoutingError};
use super::store::{InstallError, ModelStore};
use super::writes::LocalWrites;

/// Where hosts share installed versions and routings. The registry says
/// what to store; the implementation (the pipeline) says where, and waits out
/// short outages.
pub trait Catalog: Sync {
    /// Stores an installed component for every host to load.
    fn save_model(&self, model: &StoredModel<'_>) -> impl Future<Output = Result<()>> + Send;
    /// Stored components whose versions are not in `known`: (manifest JSON, wasm).
    fn models_except(&self, known: &[String]) -> impl Future<Output = Result<Vec<(String, Vec<u8>)>>> + Send;
    /// Saves the default routing (`tenant` None) or a tenant's; `routing`
    /// None removes a tenant's.
    fn save_routing(&self, tenant: Option<&str>, routing: Option<&Routing>) -> impl Future<Output = Result<()>> + Send;
    /// Every stored routing: (tenant, "" for the default; the routing, or
    /// `None` when what is stored does not parse).
    fn routings(&self) -> impl Future<Output = Result<Vec<(String, Option<Routing>)>>> + Send;
    /// Tells the other hosts that something changed (best effort).
    fn announce(&self) -> impl Future<Output = ()> + Send;
}

/// An installed component as the catalog stores it.
pub struct StoredModel<'a> {
    /// Its manifest.
    pub manifest: &'a Manifest,
    /// The manifest as uploaded (JSON text).
    pub manifest_json: &'a str,
    /// The component's bytes.
    pub wasm: &'a [u8],
}

/// Why the registry did not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The component was not installed.
    #[error(transparent)]
    Install(#[from] InstallError),
    /// The routing cannot be applied.
    #[error(transparent)]
    Routing(#[from] RoutingError),
    /// The routing has no shadow version to promote.
    #[error("the routing has no shadow version to promote")]
    NoShadow,
    /// The catalog (the database) stayed unavailable.
    #[error("database: {0:#}")]
    Catalog(anyhow::Error),
    /// The install task panicked.
    #[error("installing stopped: {0}")]
    Task(String),
}

/// What an install did.
pub struct Install {
    /// The version's manifest.
    pub manifest: Manifest,
    /// Whether this call installed it (false: it was there already, identical).
    pub new: bool,
}

/// The loaded versions and their routing.
pub struct Registry {
    router: ArcSwap<Router>,
    store: Arc<ModelStore>,
    runtime: Arc<Runtime>,
    /// Held while a component is installed: each compiles on every core.
    installing: tokio::sync::Mutex<()>,
    /// Local routing changes, so that a `sync` read before one does not undo it.
    routing_writes: LocalWrites,
}

impl Registry {
    /// Opens the model store in `store_dir`, installs the components in
    /// `models` it lacks (sharing them through `catalog`), loads every
    /// installed version, sets the default routing (v12, then v11, then
    /// rules-v1, as far as installed) and catches up with the catalog.
    /// Fails when no version is loaded at all.
    pub async fn open(runtime: Arc<Runtime>, store_dir: &Path, models: &Path, catalog: &impl Catalog) -> Result<Self> {
        let store = ModelStore::open(store_dir, runtime.clone())?;
        let mut components = HashMap::new();
        for manifest_path in manifests_in(models)? {
            let wasm_path = PathBuf::from(manifest_path.to_string_lossy().replace(".manifest.json", ".wasm"));
            let wasm = std::fs::read(&wasm_path).with_context(|| format!("cannot read {}", wasm_path.display()))?;
            let text = std::fs::read_to_string(&manifest_path)?;
            let installed =
                store.install(&wasm, &text).with_context(|| format!("installing {}", wasm_path.display()))?;
            let stored = StoredModel { manifest: &installed.manifest, manifest_json: &text, wasm: &wasm };
            catalog.save_model(&stored).await?;
            components.insert(installed.manifest.version.clone(), Arc::new(installed.component));
        }
        // Versions installed earlier (e.g. uploaded with `POST /models`).
        for (manifest, component) in store.load_all()? {
            components.entry(manifest.version).or_insert_with(|| Arc::new(component));
        }
        let routing = default_routing(&components.keys().map(String::as_str).collect::<Vec<_>>());
        let registry = Registry {
            router: ArcSwap::from_pointee(Router::new(components, routing)),
            store: Arc::new(store),
            runtime,
            installing: tokio::sync::Mutex::new(()),
            routing_writes: LocalWrites::default(),
        };
        // Other hosts' installs and the stored routing (a restart keeps it).
        registry.sync(catalog).await;
        let router = registry.router();
        anyhow::ensure!(
            !router.components.is_empty(),
            "no components in {}, {} or the database",
            models.display(),
            store_dir.display()
        );
        tracing::info!(versions = ?router.versions(), active = %router.routing.active, "models loaded");
        Ok(registry)
    }

    /// The router as it is now (cheap; hold it for one request at most).
    pub fn router(&self) -> Guard<Arc<Router>> {
        self.router.load()
    }

    /// The router as it is now, to keep (e.g. across a blocking call).
    pub fn router_arc(&self) -> Arc<Router> {
        self.router.load_full()
    }

    /// The runtime the versions run in.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Every installed version's manifest.
    pub fn manifests(&self) -> Result<Vec<Manifest>, InstallError> {
        self.store.list()
    }

    /// Checks a component against its manifest (sha256, world and imports,
    /// model-info, golden self-test), installs and loads it, shares it
    /// through the catalog and tells the other hosts. It serves nothing until
    /// a routing names it.
    pub async fn install(&self, catalog: &impl Catalog, wasm: Vec<u8>, text: String) -> Result<Install, RegistryError> {
        let _one_at_a_time = self.installing.lock().await;
        let (store, bytes, manifest_json) = (self.store.clone(), wasm.clone(), text.clone());
        let installed = tokio::task::spawn_blocking(move || store.install(&bytes, &manifest_json))
            .await
            .map_err(|e| RegistryError::Task(e.to_string()))??;
        let stored = StoredModel { manifest: &installed.manifest, manifest_json: &text, wasm: &wasm };
        catalog.save_model(&stored).await.map_err(RegistryError::Catalog)?;
        let version = installed.manifest.version.clone();
        let component = Arc::new(installed.component);
        self.router.rcu(|current| {
            let mut next = Router::clone(current);
            next.components.entry(version.clone()).or_insert_with(|| component.clone());
            next
        });
        catalog.announce().await;
        tracing::info!(version, sha256 = %installed.manifest.sha256, new = installed.new, "model installed");
        Ok(Install { manifest: installed.manifest, new: installed.new })
    }

    /// Replaces the default routing (`tenant` None) or sets a tenant's own,
    /// here and for every host.
    pub async fn set_routing(
        &self,
        catalog: &impl Catalog,
        tenant: Option<&str>,
        routing: Routing,
    ) -> Result<Routing, RegistryError> {
        // Versions are only ever added, so a routing valid now stays valid.
        routing.check(&self.router().versions())?;
        catalog.save_routing(tenant, Some(&routing)).await.map_err(RegistryError::Catalog)?;
        self.apply(tenant, Some(routing.clone()));
        catalog.announce().await;
        tracing::info!(tenant = tenant.unwrap_or("(default)"), ?routing, "routing changed");
        Ok(routing)
    }

    /// Removes a tenant's own routing; returns the default, which applies
    /// to the tenant again.
    pub async fn clear_routing(&self, catalog: &impl Catalog, tenant: &str) -> Result<Routing, RegistryError> {
        catalog.save_routing(Some(tenant), None).await.map_err(RegistryError::Catalog)?;
        self.apply(Some(tenant), None);
        catalog.announce().await;
        tracing::info!(tenant, "tenant routing removed");
        Ok(self.router().routing.clone())
    }

    /// Makes the shadow version active (see [`Routing::promoted`]).
    pub async fn promote(&self, catalog: &impl Catalog, tenant: Option<&str>) -> Result<Routing, RegistryError> {
        let current = self.router().routing_for(tenant).clone();
        let promoted = current.promoted().ok_or(RegistryError::NoShadow)?;
        self.set_routing(catalog, tenant, promoted).await
    }

    /// Swaps in a router with a routing changed (`None`: a tenant's removed).
    fn apply(&self, tenant: Option<&str>, routing: Option<Routing>) {
        let _writing = self.routing_writes.write();
        self.router.rcu(|current| {
            let mut next = Router::clone(current);
            match (tenant, &routing) {
                (Some(tenant), Some(routing)) => {
                    next.tenants.insert(tenant.to_string(), routing.clone());
                }
                (Some(tenant), None) => {
                    next.tenants.remove(tenant);
                }
                (None, Some(routing)) => next.routing = routing.clone(),
                (None, None) => {}
            }
            next
        });
    }

    /// Loads the versions other hosts installed and applies the stored
    /// routings (when no default is stored yet, stores this host's). A
    /// catalog that does not answer is logged: the next sync catches up.
    pub async fn sync(&self, catalog: &impl Catalog) {
        let known: Vec<String> = self.router().components.keys().cloned().collect();
        match catalog.models_except(&known).await {
            Ok(models) => {
                for (manifest, wasm) in models {
                    let store = self.store.clone();
                    match tokio::task::spawn_blocking(move || store.install(&wasm, &manifest)).await {
                        Ok(Ok(installed)) => {
                            let (version, component) = (installed.manifest.version, Arc::new(installed.component));
                            tracing::info!(version, "loaded a version installed by another host");
                            self.router.rcu(|current| {
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
        self.sync_routing(catalog).await;
    }

    /// Applies the stored routings, read again when a local change came in
    /// while they were read.
    async fn sync_routing(&self, catalog: &impl Catalog) {
        let (stored, unchanged) = loop {
            let mark = self.routing_writes.mark();
            let stored = match catalog.routings().await {
                Ok(stored) => stored,
                Err(e) => return tracing::warn!(error = %format!("{e:#}"), "cannot read stored routing"),
            };
            if let Some(unchanged) = self.routing_writes.unchanged_since(mark) {
                break (stored, unchanged);
            }
        };
        let no_default_stored = !stored.iter().any(|(tenant, _)| tenant.is_empty());
        let router = self.router();
        let versions = router.versions();
        let mut tenants = BTreeMap::new();
        let mut default = None;
        for (tenant, routing) in stored {
            match routing {
                Some(routing) if routing.check(&versions).is_ok() => match tenant.is_empty() {
                    true => default = Some(routing),
                    false => {
                        tenants.insert(tenant, routing);
                    }
                },
                _ => tracing::warn!(tenant, "stored routing names versions not loaded here; ignored"),
            }
        }
        drop(router);
        self.router.rcu(|current| {
            let mut next = Router::clone(current);
            if let Some(routing) = &default {
                next.routing = routing.clone();
            }
            next.tenants = tenants.clone();
            next
        });
        drop(unchanged);
        if no_default_stored {
            let default = self.router().routing.clone();
            if let Err(e) = catalog.save_routing(None, Some(&default)).await {
                tracing::warn!(error = %format!("{e:#}"), "cannot store the default routing");
            }
        }
    }
}

fn manifests_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".manifest.json"))
        .collect();
    found.sort();
    Ok(found)
}

/// v12 active with v11 and rules-v1 behind it, as far as they are installed;
/// otherwise the first installed version.
pub fn default_routing(installed: &[&str]) -> Routing {
    let chain: Vec<String> =
        ["v12", "v11", "rules-v1"].into_iter().filter(|v| installed.contains(v)).map(String::from).collect();
    let mut sorted = installed.to_vec();
    sorted.sort();
    // Nothing installed: no active version, and `Registry::open` refuses to start.
    let active = chain.first().cloned().or_else(|| sorted.first().map(|v| v.to_string())).unwrap_or_default();
    Routing {
        fallback: chain.into_iter().filter(|v| *v != active).collect(),
        active,
        split: vec![],
        shadow: None,
        bands: None,
    }
}
