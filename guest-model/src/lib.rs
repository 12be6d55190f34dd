//! Lead scoring as a library: an XGBoost tree ensemble, its exact SHAP
//! explainer, the feature pipeline and the reasons a rep reads.
//!
//! Natively it loads model files and is tested and benchmarked; built for
//! `wasm32-wasip2` with baked model tables (see `leadscore model build`) the
//! thin `component` module exports it as the `scorer` world of `wit/`.
#![deny(missing_docs)]

pub mod explanation;
pub mod features;
pub mod lead;
pub mod model;
pub mod shap;
pub mod tree;

#[cfg(target_arch = "wasm32")]
mod component;
#[cfg(not(target_arch = "wasm32"))]
pub mod load;

#[cfg(test)]
mod testing;
