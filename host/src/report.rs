//! A scored lead as JSON (the explanation contract of DESIGN.md) and as text
//! for a person at a terminal.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::bindings::{Band, Direction, FeatureValue, ScoreError, ScoredLead};

/// The JSON object of one scored lead: `lead_id` plus the explanation contract.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ScoreJson {
    /// The lead.
    pub lead_id: String,
    /// 0–100.
    pub final_score: u8,
    /// Calibrated conversion probability.
    pub probability: f64,
    /// "hot", "warm" or "cold".
    pub band: &'static str,
    /// Share of global importance carried by the features the lead has.
    pub confidence: f64,
    /// Raw model output.
    pub margin: f64,
    /// Expected margin; null when the explanation is unavailable.
    pub base_value: Option<f64>,
    /// `{feature, value, shap}`, largest |shap| first.
    pub contributions: Option<Vec<Value>>,
    /// feature → |shap| share (sums to 1).
    pub feature_importance: Option<Map<String, Value>>,
    /// `{feature, text, direction, shap}`.
    pub reasons: Option<Vec<Value>>,
    /// Why the explanation is unavailable (absent when it is available).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation_unavailable: Option<String>,
    /// The model version that scored the lead.
    pub model_version: String,
}

/// The band's name.
pub fn band_name(band: Band) -> &'static str {
    match band {
        Band::Hot => "hot",
        Band::Warm => "warm",
        Band::Cold => "cold",
    }
}

impl From<&ScoredLead> for ScoreJson {
    fn from(s: &ScoredLead) -> ScoreJson {
        let mut out = ScoreJson {
            lead_id: s.lead_id.clone(),
            final_score: s.final_score,
            probability: s.probability,
            band: band_name(s.band),
            confidence: s.confidence,
            margin: s.margin,
            base_value: None,
            contributions: None,
            feature_importance: None,
            reasons: None,
            explanation_unavailable: None,
            model_version: s.model_version.clone(),
        };
        match &s.explanation {
            Err(why) => out.explanation_unavailable = Some(why.clone()),
            Ok(e) => {
                out.base_value = Some(e.base_value);
                out.contributions = Some(
                    e.contributions
                        .iter()
                        .map(|c| json!({"feature": c.feature, "value": feature_value(&c.value), "shap": c.shap}))
                        .collect(),
                );
                out.feature_importance =
                    Some(e.feature_importance.iter().map(|i| (i.feature.clone(), json!(i.share))).collect());
                out.reasons = Some(
                    e.reasons
                        .iter()
                        .map(|r| json!({"feature": r.feature, "text": r.text, "direction": direction(r.direction), "shap": r.shap}))
                        .collect(),
                );
            }
        }
        out
    }
}

/// The link's name.
pub fn link_name(link: crate::bindings::Link) -> &'static str {
    match link {
        crate::bindings::Link::Logistic => "logistic",
        crate::bindings::Link::Identity => "identity",
    }
}

fn feature_value(v: &FeatureValue) -> Value {
    match v {
        FeatureValue::Missing => Value::Null,
        FeatureValue::Number(n) => json!(n),
        FeatureValue::Category(c) => json!(c),
    }
}

fn direction(d: Direction) -> &'static str {
    match d {
        Direction::Up => "up",
        Direction::Down => "down",
    }
}

/// `{"lead_id", "error": {code, message}}` for a lead that could not be scored.
pub fn error_json(lead_id: Option<&str>, code: &str, message: &str) -> Value {
    json!({"lead_id": lead_id, "error": {"code": code, "message": message}})
}

/// The component's per-lead error as the JSON error line.
pub fn score_error_json(e: &ScoreError) -> Value {
    let code = match e.code {
        crate::bindings::ErrorCode::InvalidField => "invalid_field",
        crate::bindings::ErrorCode::InvalidActivity => "invalid_activity",
    };
    error_json(Some(&e.lead_id), code, &format!("{}: {}", e.field, e.message))
}

/// A few lines for a person: the badge, score, confidence and top reasons.
pub fn text(s: &ScoredLead, reasons: usize) -> String {
    let badge = match s.band {
        Band::Hot => "HOT ",
        Band::Warm => "WARM",
        Band::Cold => "COLD",
    };
    let mut out = format!(
        "{:<12} {badge} {:>3}/100  p={:.1}%  confidence {:.0}%  ({})\n",
        s.lead_id,
        s.final_score,
        100.0 * s.probability,
        100.0 * s.confidence,
        s.model_version
    );
    match &s.explanation {
        Ok(e) => {
            for r in e.reasons.iter().take(reasons) {
                let arrow = if r.direction == Direction::Up { "↑" } else { "↓" };
                out += &format!("    {arrow} {}\n", r.text);
            }
        }
        Err(why) => out += &format!("    (explanation unavailable: {why})\n"),
    }
    out
}
