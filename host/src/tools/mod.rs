//! Offline tools the command line runs: building a model directory into a
//! component with its manifest, and exporting a tenant's scored leads for
//! retraining. Not part of the service.

pub mod export_training;
pub mod features_csv;
pub mod model_build;
