//! Model tools: a lead file's feature matrix (computed by the components'
//! own code) and a model directory built into a component with its
//! manifest. The command line runs them, and so do the service's retrain
//! jobs. They import only the runtime and the learning reports.

pub mod features_csv;
pub mod model_build;
