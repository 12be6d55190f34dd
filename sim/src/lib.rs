//! Tools around the service, not part of it: the CRM simulator that makes
//! leads, activity histories and outcomes to train and judge models on
//! (`leadscore simulate`), and the rollout simulation that replays them
//! through a running service (`leadscore simulate-rollout`). See
//! docs/simulator.md.

pub mod rollout;
pub mod simulate;
