//! The runtime layer: model versions as sandboxed WebAssembly components.
//!
//! - [`component`]: the wasmtime host (one engine, a fresh instance per call);
//! - [`template`] and [`build`]: the prebuilt scorer component in this
//!   binary, and a model's package (component + manifest) made from it;
//! - [`manifest`]: the package contract (manifest, golden leads, self-test);
//! - [`store`]: the model store on disk, which admits only checked components;
//! - [`routing`]: which version scores a lead, and what to try when it fails;
//! - [`registry`]: the loaded versions and their routing, the one place that
//!   installs, changes routing and catches up with other hosts;
//! - [`scorer`]: one lead through the registry, within the scoring
//!   [`slots`], shared between tenants in turn ([`fair`]);
//! - [`lead`] and [`score`]: the lead going in and the typed score coming out;
//! - [`metrics`]: what `/metrics` shows;
//! - [`writes`]: keeps a re-read of shared settings from undoing a local change.
//!
//! It imports nothing from the layers above it (`pipeline`, `api`).

pub mod build;
pub mod changes;
pub mod component;
pub mod fair;
pub mod lead;
pub mod manifest;
pub mod metrics;
pub mod presentation;
pub mod registry;
pub mod routing;
pub mod score;
pub mod scorer;
pub mod slots;
pub mod store;
pub mod template;
pub mod writes;
