//! The leadscore host: builds model components, loads them into wasmtime and
//! scores leads with them.

pub mod auth;
pub mod bindings;
pub mod component;
pub mod export_training;
pub mod features_cmd;
pub mod leads;
pub mod learning;
pub mod metrics;
pub mod model_build;
pub mod model_store;
pub mod pipeline;
pub mod report;
pub mod rollout;
pub mod routing;
pub mod score_cmd;
pub mod serve;
pub mod simulate;
