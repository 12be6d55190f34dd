//! The handlers, one file per resource. Each is thin: it checks the caller
//! and the input, calls the layer below, and maps the result or the error.

pub mod activities;
pub mod history;
pub mod imports;
pub mod integrations;
pub mod leads;
pub mod learning;
pub mod me;
pub mod models;
pub mod probes;
pub mod requests;
pub mod retrain;
pub mod routing;
pub mod score;
pub mod webhooks;
