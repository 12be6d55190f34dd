//! A scored lead as the host keeps it: the explanation contract of
//! DESIGN.md as types. One `Score` travels from the scorer through the cache
//! and the database to the API; its JSON is the contract's.

use guest_model::explanation::Direction;
use guest_model::model::Band;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::bindings;

/// One lead's score, band, confidence and explanation, and the version
/// that gave them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Score {
    /// The lead.
    pub lead_id: String,
    /// 0–100: the margin's percentile among the training population.
    pub final_score: u8,
    /// Calibrated conversion probability.
    pub probability: f64,
    /// The badge.
    pub band: Band,
    /// Share of global importance carried by the features the lead has
    /// (0–1): how complete the lead's data is, not how sure the model is.
    /// Kept under its first name for compatibility; `data_completeness`
    /// says what it is.
    pub confidence: f64,
    /// The same number as `confidence`, named for what it measures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_completeness: Option<f64>,
    /// Conversion rate of the model's held-out leads: the average lead's
    /// chance to close. Null when the model shipped without its metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_rate: Option<f64>,
    /// `probability / base_rate`: how many times the average lead's chance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_base_rate: Option<f64>,
    /// What in the lead's data the model could not use, or used without:
    /// never a quiet guess (empty when nothing is to note).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<DataNote>,
    /// Raw model output (margin units).
    pub margin: f64,
    /// Expected margin; null when the explanation is unavailable.
    pub base_value: Option<f64>,
    /// Every feature's signed SHAP value, largest |shap| first;
    /// `base_value + Σ shap = margin`. Null when the explanation is unavailable.
    pub contributions: Option<Vec<Contribution>>,
    /// Feature → |shap| share (the shares sum to 1), in model order.
    #[serde(with = "ordered_map")]
    #[schema(value_type = Option<std::collections::HashMap<String, f64>>)]
    pub feature_importance: Option<Vec<(String, f64)>>,
    /// The largest contributions as sentences for the rep.
    pub reasons: Option<Vec<Reason>>,
    /// Why the explanation is unavailable (absent when it is available):
    /// the score stands either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation_unavailable: Option<String>,
    /// The model version that scored the lead.
    pub model_version: String,
}

/// One feature's signed SHAP value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Contribution {
    /// The feature.
    pub feature: String,
    /// The lead's value for it.
    pub value: FeatureValue,
    /// Its SHAP value (margin units).
    pub shap: f64,
    /// The feature's display name, as the reasons name it
    /// (`features.toml`'s `label`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The value as a rep reads it (`5 views`, `Yes`, `North America`,
    /// `3 days ago`, `Unknown`), written as the reasons write it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// The lead field the value is read from (absent for an aggregate over
    /// activities): the lead details show that field by `label` and `display`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Something about the lead's data that the score could not use, or had to
/// do without, said once per score: never a quiet guess.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DataNote {
    /// What kind of note.
    pub kind: NoteKind,
    /// The model feature it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    /// The lead field it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The value received, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The note in words, for admins and reps.
    pub text: String,
}

/// The kinds of [`DataNote`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// A category the model does not know: scored as missing.
    UnseenCategory,
    /// Activities after the lead's `as_of`: ignored.
    ActivitiesAfterAsOf,
    /// A field the model leans on (≥ 10 % of its global importance) is missing.
    MissingImportant,
}

impl NoteKind {
    /// Its name in JSON and in `/metrics`.
    pub fn name(self) -> &'static str {
        match self {
            NoteKind::UnseenCategory => "unseen_category",
            NoteKind::ActivitiesAfterAsOf => "activities_after_as_of",
            NoteKind::MissingImportant => "missing_important",
        }
    }
}

/// A lead's value for one feature, as a rep would read it: a number, a
/// category, or null when the lead has none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum FeatureValue {
    /// A number.
    Number(f64),
    /// A known category.
    Category(String),
    /// The lead has no value (JSON null).
    Missing,
}

/// A sentence for the rep about one feature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Reason {
    /// The feature.
    pub feature: String,
    /// The sentence, with the lead's value filled in.
    pub text: String,
    /// Which way it pushed the score.
    pub direction: Direction,
    /// The SHAP value behind it (margin units).
    pub shap: f64,
}

impl From<bindings::ScoredLead> for Score {
    fn from(s: bindings::ScoredLead) -> Score {
        let (mut base_value, mut contributions, mut feature_importance, mut reasons, mut unavailable) =
            (None, None, None, None, None);
        match s.explanation {
            Err(why) => unavailable = Some(why),
            Ok(e) => {
                base_value = Some(e.base_value);
                contributions = Some(
                    e.contributions
                        .into_iter()
                        .map(|c| Contribution {
                            feature: c.feature,
                            value: c.value.into(),
                            shap: c.shap,
                            label: None,
                            display: None,
                            field: None,
                        })
                        .collect(),
                );
                feature_importance = Some(e.feature_importance.into_iter().map(|i| (i.feature, i.share)).collect());
                reasons = Some(
                    e.reasons
                        .into_iter()
                        .map(|r| Reason {
                            feature: r.feature,
                            text: r.text,
                            direction: r.direction.into(),
                            shap: r.shap,
                        })
                        .collect(),
                );
            }
        }
        Score {
            lead_id: s.lead_id,
            final_score: s.final_score,
            probability: s.probability,
            band: s.band.into(),
            confidence: s.confidence,
            data_completeness: Some(s.confidence),
            base_rate: None,
            vs_base_rate: None,
            notes: Vec::new(),
            margin: s.margin,
            base_value,
            contributions,
            feature_importance,
            reasons,
            explanation_unavailable: unavailable,
            model_version: s.model_version,
        }
    }
}

impl From<bindings::FeatureValue> for FeatureValue {
    fn from(v: bindings::FeatureValue) -> FeatureValue {
        match v {
            bindings::FeatureValue::Missing => FeatureValue::Missing,
            bindings::FeatureValue::Number(n) => FeatureValue::Number(n),
            bindings::FeatureValue::Category(c) => FeatureValue::Category(c),
        }
    }
}

impl From<bindings::Band> for Band {
    fn from(b: bindings::Band) -> Band {
        match b {
            bindings::Band::Hot => Band::Hot,
            bindings::Band::Warm => Band::Warm,
            bindings::Band::Cold => Band::Cold,
        }
    }
}

impl From<bindings::Direction> for Direction {
    fn from(d: bindings::Direction) -> Direction {
        match d {
            bindings::Direction::Up => Direction::Up,
            bindings::Direction::Down => Direction::Down,
        }
    }
}

impl From<bindings::Link> for guest_model::tree::Link {
    fn from(l: bindings::Link) -> guest_model::tree::Link {
        match l {
            bindings::Link::Logistic => guest_model::tree::Link::Logistic,
            bindings::Link::Identity => guest_model::tree::Link::Identity,
        }
    }
}

/// `Option<Vec<(String, f64)>>` as a JSON object (or null) that keeps the
/// pairs' order, whatever map type serde_json is built with.
mod ordered_map {
    use serde::de::{MapAccess, Visitor};
    use serde::ser::SerializeMap;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(pairs: &Option<Vec<(String, f64)>>, serializer: S) -> Result<S::Ok, S::Error> {
        let Some(pairs) = pairs else { return serializer.serialize_none() };
        let mut map = serializer.serialize_map(Some(pairs.len()))?;
        for (k, v) in pairs {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<(String, f64)>>, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = Option<Vec<(String, f64)>>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of feature → share, or null")
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_map(self)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(Some(pairs))
            }
        }
        deserializer.deserialize_option(Pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_score_survives_its_json_exactly() {
        let score = Score {
            lead_id: "l1".into(),
            final_score: 87,
            probability: 0.1 + 0.2,
            band: Band::Hot,
            confidence: 0.75,
            data_completeness: Some(0.75),
            base_rate: Some(0.05),
            vs_base_rate: Some(6.0),
            notes: vec![DataNote {
                kind: NoteKind::UnseenCategory,
                feature: Some("industry".into()),
                field: Some("industry".into()),
                value: Some("Saas".into()),
                text: "Industry".into(),
            }],
            margin: -1.234_567_890_123_456_7,
            base_value: Some(-2.5),
            contributions: Some(vec![
                Contribution {
                    feature: "visits".into(),
                    value: FeatureValue::Number(3.0),
                    shap: 0.7,
                    label: Some("Visits".into()),
                    display: Some("3 visits".into()),
                    field: None,
                },
                Contribution {
                    feature: "industry".into(),
                    value: FeatureValue::Category("saas".into()),
                    shap: 0.3,
                    label: None,
                    display: None,
                    field: None,
                },
                Contribution {
                    feature: "title".into(),
                    value: FeatureValue::Missing,
                    shap: -0.1,
                    label: None,
                    display: None,
                    field: None,
                },
            ]),
            feature_importance: Some(vec![("visits".into(), 0.6), ("industry".into(), 0.3), ("title".into(), 0.1)]),
            reasons: Some(vec![Reason {
                feature: "visits".into(),
                text: "Visited 3 times".into(),
                direction: Direction::Up,
                shap: 0.7,
            }]),
            explanation_unavailable: None,
            model_version: "v12".into(),
        };
        let text = serde_json::to_string(&score).unwrap();
        assert!(text.contains(r#""band":"hot""#), "{text}");
        assert!(text.contains(r#""feature_importance":{"visits":0.6,"industry":0.3,"title":0.1}"#), "{text}");
        assert!(text.contains(r#""value":null"#) && text.contains(r#""direction":"up""#), "{text}");
        assert!(!text.contains("explanation_unavailable"), "{text}");
        assert_eq!(serde_json::from_str::<Score>(&text).unwrap(), score);
        let unavailable = Score {
            contributions: None,
            feature_importance: None,
            reasons: None,
            base_value: None,
            explanation_unavailable: Some("no tables".into()),
            ..score
        };
        let text = serde_json::to_string(&unavailable).unwrap();
        assert!(text.contains(r#""feature_importance":null"#), "{text}");
        assert_eq!(serde_json::from_str::<Score>(&text).unwrap(), unavailable);
    }
}
