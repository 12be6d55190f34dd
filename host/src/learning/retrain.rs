//! The closed loop's rules: a tenant's retrain policy, the offline gate a
//! candidate must pass before it shadows, and the verdict on its shadow.
//! Pure: the retrain runner (`pipeline::retrain`) gathers the figures.
//!
//! The defaults follow the anchors: Einstein builds a model per org from
//! about 1,000 leads and 120 conversions and refits every 10 days;
//! Dynamics 365 publishes only above an accuracy gate.

use serde::{Deserialize, Serialize};

use super::stats::PairedAuc;
use super::within;

/// A tenant's retrain policy (`GET/PUT /learning/retrain`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetrainPolicy {
    /// Retrain on schedule (a job can still be started by hand when off).
    pub enabled: bool,
    /// Days between retrains (from the last job's start).
    pub every_days: f64,
    /// Labelled leads (scored, with an outcome) needed to train.
    pub min_leads: u32,
    /// ...of which won.
    pub min_wins: u32,
    /// Train on leads that qualified in the last this many months (the
    /// last `holdout_months` of them held out for the gate).
    pub window_months: u32,
    /// Days a candidate shadows before its verdict.
    pub shadow_days: f64,
    /// Leads both versions scored whose outcome is known, needed for the verdict.
    pub min_compared_outcomes: u32,
    /// Promote or retire on the verdict; when off, the candidate shadows
    /// until an admin decides.
    pub auto_promote: bool,
    /// The candidate may have an AUC lower than the active version's by at
    /// most this, offline and in shadow.
    pub max_auc_drop: f64,
    /// Confidence of the shadow verdict (one-sided, DeLong): promote when
    /// the candidate is not worse by more than `max_auc_drop` at this confidence.
    pub confidence: f64,
}

impl Default for RetrainPolicy {
    fn default() -> RetrainPolicy {
        RetrainPolicy {
            enabled: true,
            every_days: 10.0,
            min_leads: 1_000,
            min_wins: 120,
            window_months: 24,
            shadow_days: 7.0,
            min_compared_outcomes: 200,
            auto_promote: true,
            max_auc_drop: 0.02,
            confidence: 0.9,
        }
    }
}

/// Months at the end of the window held out from training: the gate's
/// test months. The training scripts also validate (early stopping,
/// calibration) on the 3 months before them.
pub const HOLDOUT_MONTHS: u32 = 3;
/// ...and the validation months before them.
pub const VALIDATION_MONTHS: u32 = 3;

impl RetrainPolicy {
    /// What is out of range, naming the field.
    pub fn check(&self) -> Result<(), String> {
        within("every_days", self.every_days, 0.0, 3650.0)?;
        within("min_leads", f64::from(self.min_leads), 10.0, 1e8)?;
        within("min_wins", f64::from(self.min_wins), 2.0, 1e8)?;
        let least = f64::from(HOLDOUT_MONTHS + VALIDATION_MONTHS + 1);
        within("window_months", f64::from(self.window_months), least, 120.0)?;
        within("shadow_days", self.shadow_days, 0.0, 365.0)?;
        within("min_compared_outcomes", f64::from(self.min_compared_outcomes), 4.0, 1e8)?;
        within("max_auc_drop", self.max_auc_drop, 0.0, 0.5)?;
        within("confidence", self.confidence, 0.5, 0.999)?;
        Ok(())
    }

    /// What the tenant lacks to train, or `None` when it has enough.
    pub fn shortfall(&self, labelled: &Labelled) -> Option<String> {
        let short = labelled.leads < u64::from(self.min_leads) || labelled.wins < u64::from(self.min_wins);
        short.then(|| {
            format!(
                "{} of {} leads, {} of {} wins (labelled leads in the last {} months)",
                group(labelled.leads),
                group(u64::from(self.min_leads)),
                group(labelled.wins),
                group(u64::from(self.min_wins)),
                self.window_months
            )
        })
    }
}

/// 1234 → "1,234" (the explanations' own integer wording).
fn group(n: u64) -> String {
    guest_model::wording::Format::Integer.write(n as f64)
}

/// A tenant's labelled leads in the policy's window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Labelled {
    /// Scored leads with an outcome.
    pub leads: u64,
    /// ...won.
    pub wins: u64,
}

/// Where a retrain job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a host to take it.
    Queued,
    /// A host is exporting, training, building or gating it.
    Running,
    /// The candidate failed the offline gate: kept, never routed.
    GatedOut,
    /// The candidate scores in the tenant's shadow.
    Shadowing,
    /// The candidate is the tenant's active version.
    Promoted,
    /// The shadow verdict (or an admin) retired it.
    Retired,
    /// Something went wrong; the message says what.
    Failed,
}

impl JobState {
    /// A job in these states blocks another for the tenant.
    pub const OPEN: [JobState; 3] = [JobState::Queued, JobState::Running, JobState::Shadowing];
    const ALL: [JobState; 7] = [
        JobState::Queued,
        JobState::Running,
        JobState::GatedOut,
        JobState::Shadowing,
        JobState::Promoted,
        JobState::Retired,
        JobState::Failed,
    ];

    /// The name stored and shown (`gated_out`).
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::GatedOut => "gated_out",
            JobState::Shadowing => "shadowing",
            JobState::Promoted => "promoted",
            JobState::Retired => "retired",
            JobState::Failed => "failed",
        }
    }

    /// The state named `name`.
    pub fn named(name: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// How a version did on the held-out months.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Offline {
    /// ROC-AUC on the held-out leads.
    pub auc: f64,
    /// Mean predicted probability over them...
    pub predicted_rate: f64,
    /// ...and the share actually won.
    pub observed_rate: f64,
    /// (wins − predicted wins) / its standard deviation Σ p(1 − p): how
    /// surprising the gap is, given how few wins a few months hold.
    pub calibration_z: f64,
}

/// The offline gate's figures and what failed (nothing: passed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GateResult {
    /// The candidate on the held-out months.
    pub candidate: Offline,
    /// The active version on the same leads.
    pub active: Offline,
    /// Features whose PSI between the training and the recent scoring
    /// population is above the tenant's drift threshold: (feature, PSI).
    pub psi_alarms: Vec<(String, f64)>,
    /// Why it failed; empty when it passed.
    pub failures: Vec<String>,
}

/// Calibration bounds: the candidate's mean predicted probability over the
/// held-out leads within this factor of the observed win rate, or the gap
/// within [`CALIBRATION_Z`] standard deviations of chance (a few months
/// hold few wins: 22 wins where 37 were predicted is 2.5 σ).
pub const CALIBRATION_FACTOR: f64 = 1.5;
/// See [`CALIBRATION_FACTOR`].
pub const CALIBRATION_Z: f64 = 3.0;

/// The offline gate (issue 17): not worse than the active version by more
/// than `max_auc_drop` in ROC-AUC, calibrated within [`CALIBRATION_FACTOR`]
/// (or chance), no PSI alarm.
pub fn offline_gate(
    policy: &RetrainPolicy,
    candidate: Offline,
    active: Offline,
    psi_alarms: Vec<(String, f64)>,
) -> GateResult {
    let mut failures = Vec::new();
    if candidate.auc < active.auc - policy.max_auc_drop {
        failures.push(format!(
            "ROC-AUC {:.3} is below the active version's {:.3} by more than {}",
            candidate.auc, active.auc, policy.max_auc_drop
        ));
    }
    let ratio = candidate.predicted_rate / candidate.observed_rate;
    let within_factor = ratio.is_finite() && (1.0 / CALIBRATION_FACTOR..=CALIBRATION_FACTOR).contains(&ratio);
    if !within_factor && candidate.calibration_z.abs() > CALIBRATION_Z {
        failures.push(format!(
            "predicts {:.1} % wins where {:.1} % were won (more than {CALIBRATION_FACTOR}× apart, {:.1} σ)",
            100.0 * candidate.predicted_rate,
            100.0 * candidate.observed_rate,
            candidate.calibration_z.abs()
        ));
    }
    for (feature, psi) in &psi_alarms {
        failures.push(format!("{feature}: PSI {psi:.2} between training and recent scoring"));
    }
    GateResult { candidate, active, psi_alarms, failures }
}

/// The shadow's outcome.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Not enough time or compared outcomes yet.
    Wait,
    /// Not worse at the configured confidence.
    Promote(PairedAuc),
    /// Worse.
    Retire(PairedAuc),
}

/// Decides a shadow: after `shadow_days` and `min_compared_outcomes`,
/// promote when the one-sided lower bound of (candidate − active) AUC at
/// `confidence` is at least −`max_auc_drop` (non-inferiority), else retire.
/// `paired` is DeLong's comparison with the active version as `a`.
pub fn shadow_verdict(policy: &RetrainPolicy, days: f64, paired: Option<PairedAuc>) -> Verdict {
    let Some(paired) = paired else { return Verdict::Wait };
    let compared = (paired.positives + paired.negatives) as u64;
    if days < policy.shadow_days || compared < u64::from(policy.min_compared_outcomes) {
        return Verdict::Wait;
    }
    match paired.lower_bound(policy.confidence) >= -policy.max_auc_drop {
        true => Verdict::Promote(paired),
        false => Verdict::Retire(paired),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offline(auc: f64, predicted_rate: f64) -> Offline {
        // 2,000 held-out leads: the gap's standard deviation is about √(2000 p (1 − p)).
        let sd = (2000.0 * predicted_rate * (1.0 - predicted_rate)).sqrt();
        Offline { auc, predicted_rate, observed_rate: 0.05, calibration_z: 2000.0 * (0.05 - predicted_rate) / sd }
    }

    #[test]
    fn the_policy_names_what_is_out_of_range_and_what_is_short() {
        let policy = RetrainPolicy::default();
        assert_eq!(policy.check(), Ok(()));
        let bad = RetrainPolicy { window_months: 5, ..policy.clone() };
        assert!(bad.check().unwrap_err().starts_with("window_months 5"));
        let bad = RetrainPolicy { confidence: 1.0, ..policy.clone() };
        assert!(bad.check().unwrap_err().starts_with("confidence"));
        let short = policy.shortfall(&Labelled { leads: 312, wins: 41 });
        assert_eq!(short.as_deref(), Some("312 of 1,000 leads, 41 of 120 wins (labelled leads in the last 24 months)"));
        assert_eq!(policy.shortfall(&Labelled { leads: 1_000, wins: 120 }), None);
        assert!(policy.shortfall(&Labelled { leads: 5_000, wins: 119 }).is_some());
    }

    #[test]
    fn the_gate_refuses_a_worse_a_miscalibrated_or_a_drifting_candidate() {
        let policy = RetrainPolicy::default();
        let pass = offline_gate(&policy, offline(0.80, 0.06), offline(0.81, 0.05), vec![]);
        assert!(pass.failures.is_empty(), "{:?}", pass.failures);
        let worse = offline_gate(&policy, offline(0.78, 0.05), offline(0.81, 0.05), vec![]);
        assert!(worse.failures[0].starts_with("ROC-AUC 0.780 is below"), "{:?}", worse.failures);
        let miscalibrated = offline_gate(&policy, offline(0.85, 0.08), offline(0.81, 0.05), vec![]);
        assert!(miscalibrated.failures[0].contains("8.0 % wins where 5.0 %"), "{:?}", miscalibrated.failures);
        // As far apart, but on a few leads: chance.
        let few = Offline { calibration_z: -2.5, ..offline(0.85, 0.08) };
        assert!(offline_gate(&policy, few, offline(0.81, 0.05), vec![]).failures.is_empty());
        let drifting = offline_gate(&policy, offline(0.85, 0.05), offline(0.81, 0.05), vec![("industry".into(), 0.31)]);
        assert_eq!(drifting.failures, vec!["industry: PSI 0.31 between training and recent scoring"]);
    }

    #[test]
    fn a_shadow_waits_for_time_and_outcomes_then_is_judged_on_the_lower_bound() {
        let policy = RetrainPolicy { shadow_days: 7.0, min_compared_outcomes: 100, ..RetrainPolicy::default() };
        let paired =
            |auc_b: f64, se: f64| PairedAuc { auc_a: 0.8, auc_b, se_difference: se, positives: 20, negatives: 180 };
        assert_eq!(shadow_verdict(&policy, 3.0, Some(paired(0.9, 0.01))), Verdict::Wait);
        assert_eq!(shadow_verdict(&policy, 8.0, None), Verdict::Wait);
        let few = PairedAuc { positives: 5, negatives: 50, ..paired(0.9, 0.01) };
        assert_eq!(shadow_verdict(&policy, 8.0, Some(few)), Verdict::Wait);
        // Equal, with little doubt: not worse by more than 0.02.
        assert!(matches!(shadow_verdict(&policy, 8.0, Some(paired(0.8, 0.01))), Verdict::Promote(_)));
        // Equal but very uncertain: the lower bound is below −0.02.
        assert!(matches!(shadow_verdict(&policy, 8.0, Some(paired(0.8, 0.05))), Verdict::Retire(_)));
        assert!(matches!(shadow_verdict(&policy, 8.0, Some(paired(0.75, 0.01))), Verdict::Retire(_)));
    }
}
