//! The leadscore host: runs model versions as sandboxed WebAssembly
//! components and serves their scores and explanations.
//!
//! Layers, each importing only from those below it (docs/architecture.md):
//!
//! - [`api`]: HTTP handlers, errors, the OpenAPI document, start-up;
//! - [`pipeline`]: the async path (enqueue, workers, sweeper, monitor) and
//!   its backends (database, queue, cache);
//! - [`runtime`]: components in wasmtime, the model store, routing, the
//!   registry and the scorer;
//! - [`bindings`]: the component contract generated from `wit/`.
//!
//! Beside them: [`learning`] (pure reports: lift, drift, shadow), [`auth`]
//! (bearer tokens, scopes, tenants) and [`secret`]. [`tools`] holds what
//! the command line runs offline (build a component, export training data).

pub mod api;
pub mod auth;
pub mod bindings;
pub mod learning;
pub mod pipeline;
pub mod runtime;
pub mod secret;
pub mod tools;
