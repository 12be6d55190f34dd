//! `GET /reports/lift`: does scoring win more deals? Leads reps saw scores
//! for (treated) against the control group, per weekly cohort and overall;
//! how each band converts; how well scores rank and are calibrated; how
//! fast reps reach leads; and the guardrail's verdict.

use chrono::{DateTime, Datelike, Duration, Utc};
use serde::Serialize;

use super::LearningSettings;
use super::drift::DriftReport;
use super::stats::{self, CalibrationBin};

/// What the report needs to know about one lead.
#[derive(Clone, Debug)]
pub struct LeadFact {
    /// In the control group.
    pub control: bool,
    /// The lead's `as_of` when first scored (ms): its weekly cohort.
    pub entered_at: i64,
    /// When a rep first touched it (ms).
    pub first_touch_at: Option<i64>,
    /// Its latest band, score and probability.
    pub band: String,
    /// 0–100.
    pub score: i64,
    /// Calibrated probability.
    pub probability: f64,
    /// won, lost or disqualified; `None` while open.
    pub outcome: Option<String>,
}

impl LeadFact {
    fn won(&self) -> bool {
        self.outcome.as_deref() == Some("won")
    }
}

/// One group's win rate.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Arm {
    /// Leads in the group.
    pub leads: u64,
    /// ...with a reported outcome.
    pub decided: u64,
    /// ...won.
    pub won: u64,
    /// won / decided.
    pub win_rate: Option<f64>,
    /// Its 95 % interval (Wilson).
    pub ci: Option<(f64, f64)>,
}

impl Arm {
    fn of<'a>(leads: impl Iterator<Item = &'a LeadFact>) -> Arm {
        let mut arm = Arm::default();
        for lead in leads {
            arm.leads += 1;
            arm.decided += u64::from(lead.outcome.is_some());
            arm.won += u64::from(lead.won());
        }
        arm.win_rate = (arm.decided > 0).then(|| arm.won as f64 / arm.decided as f64);
        arm.ci = stats::wilson(arm.won, arm.decided);
        arm
    }
}

/// Treated against control.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    /// Leads whose reps saw scores.
    pub treated: Arm,
    /// The holdout.
    pub control: Arm,
    /// treated win rate / control win rate − 1.
    pub lift: Option<f64>,
    /// Its 95 % interval (Katz log method).
    pub lift_ci: Option<(f64, f64)>,
}

impl Comparison {
    fn of(leads: &[&LeadFact]) -> Comparison {
        let treated = Arm::of(leads.iter().copied().filter(|l| !l.control));
        let control = Arm::of(leads.iter().copied().filter(|l| l.control));
        let lift = match (treated.win_rate, control.win_rate) {
            (Some(t), Some(c)) if c > 0.0 => Some(t / c - 1.0),
            _ => None,
        };
        let lift_ci = stats::lift(treated.won, treated.decided, control.won, control.decided).map(|(_, ci)| ci);
        Comparison { treated, control, lift, lift_ci }
    }
}

/// One weekly cohort.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Week {
    /// Its Monday (UTC), YYYY-MM-DD.
    pub week_start: String,
    /// The week's leads.
    #[serde(flatten)]
    pub comparison: Comparison,
}

/// How one band converts.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BandRow {
    /// hot, warm or cold.
    pub band: String,
    /// The band's leads, both groups (the control group's bands are hidden, not absent).
    #[serde(flatten)]
    pub arm: Arm,
}

/// How well scores rank won above lost.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Auc {
    /// ROC-AUC.
    pub value: f64,
    /// Leads with an outcome.
    pub leads: usize,
    /// ...won.
    pub won: usize,
}

/// How well calibrated the probabilities were: predicted against what
/// happened (not the model's calibration mapping, which is `guest_model::model::Calibration`).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CalibrationCheck {
    /// Mean squared error of the probabilities.
    pub brier: f64,
    /// Up to 10 bins of equal count.
    pub bins: Vec<CalibrationBin>,
}

/// How fast reps first touch leads, from the lead's arrival.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Touch {
    /// Leads touched.
    pub touched: usize,
    /// Median hours to the first touch.
    pub median_hours: Option<f64>,
    /// The same for hot leads.
    pub hot_median_hours: Option<f64>,
}

impl Touch {
    fn of<'a>(leads: impl Iterator<Item = &'a LeadFact>) -> Touch {
        let (mut all, mut hot) = (Vec::new(), Vec::new());
        for lead in leads {
            if let Some(at) = lead.first_touch_at {
                let hours = (at - lead.entered_at).max(0) as f64 / 3_600_000.0;
                all.push(hours);
                if lead.band == "hot" {
                    hot.push(hours);
                }
            }
        }
        Touch { touched: all.len(), median_hours: stats::median(&mut all), hot_median_hours: stats::median(&mut hot) }
    }
}

/// Time to first touch in both groups.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FirstTouch {
    /// Leads reps saw scores for.
    pub treated: Touch,
    /// The holdout.
    pub control: Touch,
}

/// The guardrail's verdict.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Guardrail {
    /// ok, waiting (too early or too few outcomes) or alert.
    pub status: &'static str,
    /// Why, in a sentence.
    pub message: String,
    /// The overall lift it judged.
    pub lift: Option<f64>,
    /// Days since the tenant's first scored lead.
    pub days_running: f64,
    /// When it last tripped (ms).
    pub tripped_at: Option<i64>,
    /// Whether tripping routed the tenant to the rules model.
    pub routed_to_rules: bool,
}

impl Guardrail {
    /// Judges the overall comparison: an alert once the experiment has run
    /// long enough, each group has enough outcomes, and lift is below the floor.
    pub fn judge(settings: &LearningSettings, overall: &Comparison, days_running: f64) -> Guardrail {
        let verdict = |status, message| Guardrail {
            status,
            message,
            lift: overall.lift,
            days_running,
            tripped_at: None,
            routed_to_rules: false,
        };
        let needed = u64::from(settings.guardrail_min_outcomes);
        let (treated, control) = (overall.treated.decided, overall.control.decided);
        if days_running < settings.guardrail_after_days {
            return verdict(
                "waiting",
                format!(
                    "The guardrail judges lift after {} days; the experiment has run {days_running:.1}.",
                    settings.guardrail_after_days
                ),
            );
        }
        if treated < needed || control < needed {
            return verdict(
                "waiting",
                format!(
                    "The guardrail needs {needed} leads with an outcome in each group; treated has {treated}, control {control}."
                ),
            );
        }
        let floor = settings.lift_floor;
        match overall.lift {
            None => verdict("waiting", "No control lead has been won yet: lift is not defined.".into()),
            Some(lift) if lift < floor => verdict(
                "alert",
                format!(
                    "Lift is {:+.1} %, below the floor of {:+.1} % after {days_running:.0} days.",
                    lift * 100.0,
                    floor * 100.0
                ),
            ),
            Some(lift) => {
                verdict("ok", format!("Lift is {:+.1} %, above the floor of {:+.1} %.", lift * 100.0, floor * 100.0))
            }
        }
    }
}

/// The whole report.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LiftReport {
    /// The tenant.
    pub org: String,
    /// When (ms).
    pub generated_at: i64,
    /// The tenant's settings.
    pub settings: LearningSettings,
    /// All leads.
    pub overall: Comparison,
    /// Weekly cohorts, oldest first.
    pub weeks: Vec<Week>,
    /// Conversion per band.
    pub bands: Vec<BandRow>,
    /// ROC-AUC of scored leads with an outcome.
    pub auc: Option<Auc>,
    /// Calibration of their probabilities.
    pub calibration: Option<CalibrationCheck>,
    /// Time to first touch.
    pub first_touch: FirstTouch,
    /// The guardrail.
    pub guardrail: Guardrail,
    /// Drift of the active version's inputs and scores.
    pub drift: Option<DriftReport>,
}

/// The comparisons of `leads`: (overall, the last `weeks` weekly cohorts).
pub fn compare(leads: &[LeadFact], weeks: usize) -> (Comparison, Vec<Week>) {
    let all: Vec<&LeadFact> = leads.iter().collect();
    let mut by_week: std::collections::BTreeMap<String, Vec<&LeadFact>> = Default::default();
    for lead in leads {
        by_week.entry(week_start(lead.entered_at)).or_default().push(lead);
    }
    let skip = by_week.len().saturating_sub(weeks);
    let weekly = by_week
        .into_iter()
        .skip(skip)
        .map(|(week_start, leads)| Week { week_start, comparison: Comparison::of(&leads) })
        .collect();
    (Comparison::of(&all), weekly)
}

/// Everything but the guardrail's state and drift, from the tenant's leads.
pub fn report(
    org: &str,
    settings: LearningSettings,
    leads: &[LeadFact],
    weeks: usize,
    days_running: f64,
) -> LiftReport {
    let (overall, weeks) = compare(leads, weeks);
    let bands = ["hot", "warm", "cold"]
        .iter()
        .map(|band| BandRow { band: band.to_string(), arm: Arm::of(leads.iter().filter(|l| l.band == *band)) })
        .collect();
    let decided: Vec<&LeadFact> = leads.iter().filter(|l| l.outcome.is_some()).collect();
    let by_score: Vec<(f64, bool)> = decided.iter().map(|l| (l.score as f64, l.won())).collect();
    let by_probability: Vec<(f64, bool)> = decided.iter().map(|l| (l.probability, l.won())).collect();
    let auc = stats::auc(&by_score).map(|value| Auc {
        value,
        leads: decided.len(),
        won: by_score.iter().filter(|c| c.1).count(),
    });
    let calibration = stats::brier(&by_probability)
        .map(|brier| CalibrationCheck { brier, bins: stats::calibration(&by_probability, 10) });
    let first_touch = FirstTouch {
        treated: Touch::of(leads.iter().filter(|l| !l.control)),
        control: Touch::of(leads.iter().filter(|l| l.control)),
    };
    let guardrail = Guardrail::judge(&settings, &overall, days_running);
    LiftReport {
        org: org.to_string(),
        generated_at: chrono::Utc::now().timestamp_millis(),
        settings,
        overall,
        weeks,
        bands,
        auc,
        calibration,
        first_touch,
        guardrail,
        drift: None,
    }
}

/// The Monday (UTC) of the week holding `ms`, as YYYY-MM-DD.
fn week_start(ms: i64) -> String {
    let day = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default().date_naive();
    (day - Duration::days(i64::from(day.weekday().num_days_from_monday()))).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(control: bool, outcome: Option<&str>, entered_at: i64) -> LeadFact {
        LeadFact {
            control,
            entered_at,
            first_touch_at: None,
            band: "warm".into(),
            score: 50,
            probability: 0.1,
            outcome: outcome.map(String::from),
        }
    }

    /// 2026-11-23 is a Monday.
    const MONDAY: i64 = 1_795_392_000_000;
    const DAY: i64 = 86_400_000;

    #[test]
    fn weeks_start_on_monday() {
        assert_eq!(week_start(MONDAY), "2026-11-23");
        assert_eq!(week_start(MONDAY + 6 * DAY + DAY - 1), week_start(MONDAY));
        assert_ne!(week_start(MONDAY + 7 * DAY), week_start(MONDAY));
        assert_eq!(week_start(0), "1969-12-29");
    }

    #[test]
    fn lift_compares_decided_leads_per_group_and_week() {
        let mut leads = Vec::new();
        // Week 1: treated 3 of 10 won, control 1 of 10. Week 2: treated 2 of 4, control none decided.
        for i in 0..10 {
            leads.push(lead(false, Some(if i < 3 { "won" } else { "lost" }), MONDAY));
            leads.push(lead(true, Some(if i < 1 { "won" } else { "disqualified" }), MONDAY + DAY));
        }
        for i in 0..4 {
            leads.push(lead(false, Some(if i < 2 { "won" } else { "lost" }), MONDAY + 7 * DAY));
        }
        leads.push(lead(true, None, MONDAY + 8 * DAY));
        let (overall, weeks) = compare(&leads, 12);
        assert_eq!(weeks.len(), 2);
        assert_eq!(weeks[0].comparison.treated.won, 3);
        assert!((weeks[0].comparison.lift.unwrap() - 2.0).abs() < 1e-12);
        assert_eq!(weeks[1].comparison.control, Arm { leads: 1, ..Arm::default() });
        assert_eq!(weeks[1].comparison.lift, None);
        assert_eq!((overall.treated.won, overall.treated.decided), (5, 14));
        assert_eq!((overall.control.leads, overall.control.decided), (11, 10));
        let (lo, hi) = overall.lift_ci.unwrap();
        assert!(lo < overall.lift.unwrap() && overall.lift.unwrap() < hi);
        assert_eq!(compare(&leads, 1).1.len(), 1, "only the last week");
    }

    #[test]
    fn the_guardrail_waits_for_time_and_outcomes_then_judges_the_floor() {
        let settings = LearningSettings { guardrail_min_outcomes: 5, ..LearningSettings::default() };
        let equal: Vec<LeadFact> =
            (0..20).map(|i| lead(i % 2 == 0, Some(if i % 4 < 2 { "won" } else { "lost" }), 0)).collect();
        let (overall, _) = compare(&equal, 1);
        assert_eq!(overall.lift, Some(0.0));
        assert_eq!(Guardrail::judge(&settings, &overall, 10.0).status, "waiting");
        assert_eq!(Guardrail::judge(&settings, &overall, 31.0).status, "alert");
        let strict = LearningSettings { guardrail_min_outcomes: 11, ..settings.clone() };
        assert_eq!(Guardrail::judge(&strict, &overall, 31.0).status, "waiting");
        let lenient = LearningSettings { lift_floor: -0.1, ..settings };
        assert_eq!(Guardrail::judge(&lenient, &overall, 31.0).status, "ok");
    }
}
