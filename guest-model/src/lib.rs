//! Lead scoring as a library: an XGBoost tree ensemble, its exact SHAP
//! explainer, the feature pipeline and the reasons a rep reads.
//!
//! Natively it loads model files and is tested and benchmarked. Built for
//! `wasm32-wasip2` it is the one prebuilt scorer component: the thin
//! `component` module exports it as the `scorer-template` world of `wit/`,
//! and `leadscore model build` pre-initialises it with one model's
//! [`tables`], which gives that model's component.
#![deny(missing_docs)]

pub mod explanation;
pub mod features;
pub mod lead;
pub mod model;
pub mod shap;
pub mod tables;
pub mod tree;
pub mod value;
pub mod wording;

#[cfg(target_arch = "wasm32")]
mod component;
#[cfg(not(target_arch = "wasm32"))]
pub mod load;

#[cfg(test)]
mod testing;
