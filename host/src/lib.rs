//! The leadscore host: runs model versions as sandboxed WebAssembly
//! components and serves their scores and explanations.
//!
//! Layers, each importing only from those below it (docs/architecture.md):
//!
//! - [`api`]: HTTP handlers, errors, the OpenAPI document, start-up;
//! - [`pipeline`]: the async path (enqueue, workers, sweeper, monitor, the
//!   closed loop's retrain jobs) and its backends (database, queue, cache);
//! - [`tools`]: model tools: a lead file's feature matrix, a model directory
//!   built into a component (the command line runs them, and so do the
//!   pipeline's retrain jobs);
//! - [`runtime`]: components in wasmtime, the model store, routing, the
//!   registry and the scorer;
//! - [`bindings`]: the component contract generated from `wit/`.
//!
//! Beside them: [`learning`] (pure reports and rules: lift, drift, shadow,
//! the retrain gate and verdict), [`auth`] (bearer tokens, scopes, tenants)
//! and [`secret`].

pub mod api;
pub mod auth;
pub mod bindings;
pub mod learning;
pub mod pipeline;
pub mod runtime;
pub mod secret;
pub mod tools;
