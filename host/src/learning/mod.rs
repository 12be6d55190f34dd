//! The learning loop: a holdout (control) group that measures what the
//! scores are worth, the lift report and its guardrail, drift against the
//! training population, shadow versions compared on real outcomes, and
//! each lead's trend.

pub mod drift;
pub mod lift;
pub mod retrain;
pub mod shadow;
pub mod stats;
pub mod trend;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A tenant's experiment settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LearningSettings {
    /// Share of leads in the control group, whose reps see no score (0–0.5).
    pub holdout_share: f64,
    /// The guardrail alerts when lift falls below this (0.05 = +5 %).
    pub lift_floor: f64,
    /// ...once the experiment has run this many days.
    pub guardrail_after_days: f64,
    /// ...and each group has this many leads with an outcome.
    pub guardrail_min_outcomes: u32,
    /// On alert, route the tenant to the rules model (`rules-v1`).
    pub guardrail_to_rules: bool,
    /// A PSI above this is a drift alert.
    pub drift_threshold: f64,
}

impl Default for LearningSettings {
    fn default() -> LearningSettings {
        // The brief's guardrail: rules if lift is under 5 % after 30 days.
        LearningSettings {
            holdout_share: 0.1,
            lift_floor: 0.05,
            guardrail_after_days: 30.0,
            guardrail_min_outcomes: 50,
            guardrail_to_rules: false,
            drift_threshold: 0.2,
        }
    }
}

impl LearningSettings {
    /// What is out of range, naming the field.
    pub fn check(&self) -> Result<(), String> {
        within("holdout_share", self.holdout_share, 0.0, 0.5)?;
        within("lift_floor", self.lift_floor, -1.0, 10.0)?;
        within("guardrail_after_days", self.guardrail_after_days, 0.0, 3650.0)?;
        within("guardrail_min_outcomes", f64::from(self.guardrail_min_outcomes), 1.0, 1e7)?;
        within("drift_threshold", self.drift_threshold, 0.001, 10.0)?;
        Ok(())
    }
}

/// `Ok` when `value` is a number in `lo..=hi`; else what is wrong, naming the field.
pub(crate) fn within(name: &str, value: f64, lo: f64, hi: f64) -> Result<(), String> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(format!("{name} {value}: expected {lo} – {hi}"))
    }
}

/// A tenant's settings and when its guardrail tripped (once tripped, it
/// stays so until the settings are saved again).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TenantLearning {
    /// The settings (the defaults until saved).
    pub settings: LearningSettings,
    /// When the guardrail tripped (ms).
    pub tripped_at: Option<i64>,
}

/// The version the guardrail routes a tenant to.
pub const RULES_VERSION: &str = "rules-v1";

/// Whether a lead falls in the control group of a tenant holding out
/// `share`: a stable hash of tenant and lead, so every host agrees, and a
/// larger share only adds leads to the group. The first scoring records the
/// answer; later changes of the share do not move a lead.
pub fn in_control_group(org: &str, lead_id: &str, share: f64) -> bool {
    let digest = Sha256::digest(format!("holdout\0{org}\0{lead_id}").as_bytes());
    let bucket = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    (bucket as f64 / u64::MAX as f64) < share
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_control_group_has_the_configured_share_and_grows_monotonically() {
        let ids: Vec<String> = (0..20_000).map(|i| format!("lead-{i}")).collect();
        let share = |s: f64| ids.iter().filter(|id| in_control_group("acme", id, s)).count() as f64 / 20_000.0;
        assert!((share(0.1) - 0.1).abs() < 0.01, "{}", share(0.1));
        assert!((share(0.3) - 0.3).abs() < 0.015, "{}", share(0.3));
        assert_eq!(share(0.0), 0.0);
        for id in &ids {
            if in_control_group("acme", id, 0.1) {
                assert!(in_control_group("acme", id, 0.2), "{id} left the group when it grew");
            }
        }
        // Tenants are assigned independently.
        let both = ids.iter().filter(|id| in_control_group("acme", id, 0.5) == in_control_group("globex", id, 0.5));
        assert!((both.count() as f64 / 20_000.0 - 0.5).abs() < 0.02);
    }

    #[test]
    fn settings_out_of_range_name_the_field() {
        assert_eq!(LearningSettings::default().check(), Ok(()));
        let bad = LearningSettings { holdout_share: 0.7, ..LearningSettings::default() };
        assert!(bad.check().unwrap_err().starts_with("holdout_share"));
        let bad = LearningSettings { drift_threshold: f64::NAN, ..LearningSettings::default() };
        assert!(bad.check().unwrap_err().starts_with("drift_threshold"));
    }
}
