//! What the host adds to a component's answer from the version's manifest,
//! in the model's own words: each contribution's label and value as the
//! reasons write them, the average lead's chance to close, and notes on
//! what in the lead's data the model could not use. The component computes
//! the score and its reasons; nothing here changes a number.

use guest_model::features::{FeatureDef, FeatureValue as ModelValue, Source};

use super::manifest::Manifest;
use super::score::{DataNote, FeatureValue, NoteKind, Score};
use crate::bindings::{self, FieldValue};

/// A missing feature is noted when it carries at least this share of the
/// model's global importance: one the model leans on.
pub const IMPORTANT_SHARE: f64 = 0.10;

/// One version's features as its manifest declares them, and its base rate.
#[derive(Debug, Default)]
pub struct Presentation {
    features: Vec<Presented>,
    base_rate: Option<f64>,
}

#[derive(Debug)]
struct Presented {
    name: String,
    /// `None` in manifests written before definitions were recorded.
    definition: Option<FeatureDef>,
    importance: Option<f64>,
}

impl Presentation {
    /// The presentation a manifest allows (labels and notes need the
    /// features' definitions, the ratio to the average lead its metrics).
    pub fn of(manifest: &Manifest) -> Presentation {
        Presentation {
            features: manifest
                .features
                .iter()
                .map(|f| Presented { name: f.name.clone(), definition: f.definition.clone(), importance: f.importance })
                .collect(),
            base_rate: manifest.quality.as_ref().map(|q| q.base_rate).filter(|r| *r > 0.0),
        }
    }

    /// The feature's definition, when the manifest records it.
    pub fn definition(&self, feature: &str) -> Option<&FeatureDef> {
        self.features.iter().find(|f| f.name == feature).and_then(|f| f.definition.as_ref())
    }

    /// The definitions the manifest records, in the model's column order.
    pub fn definitions(&self) -> impl Iterator<Item = &FeatureDef> {
        self.features.iter().filter_map(|f| f.definition.as_ref())
    }

    /// Adds to `score` (of `lead`, by this version) the labels and display
    /// values of its contributions, the base rate and the data notes.
    pub fn present(&self, score: &mut Score, lead: &bindings::Lead) {
        if let Some(contributions) = &mut score.contributions {
            for c in contributions.iter_mut() {
                if let Some(def) = self.definition(&c.feature) {
                    c.label = Some(def.wording.label.to_string());
                    c.display = Some(def.display_value(&model_value(&c.value)));
                    c.field = def.field().map(str::to_string);
                }
            }
        }
        if let Some(base_rate) = self.base_rate {
            score.base_rate = Some(base_rate);
            score.vs_base_rate = Some(score.probability / base_rate);
        }
        score.notes = self.notes(score, lead);
    }

    /// What the model could not use or did without: categories it does not
    /// know, activities after `as_of`, missing fields it leans on.
    fn notes(&self, score: &Score, lead: &bindings::Lead) -> Vec<DataNote> {
        let mut notes = Vec::new();
        let values = score.contributions.as_deref().unwrap_or_default();
        for presented in &self.features {
            let Some(def) = &presented.definition else { continue };
            let value = values.iter().find(|c| c.feature == presented.name).map(|c| &c.value);
            if value != Some(&FeatureValue::Missing) {
                continue;
            }
            let label = &def.wording.label;
            let field = def.field().map(str::to_string);
            let received = field.as_deref().and_then(|f| lead.fields.iter().find(|x| x.name == f));
            match (&def.source, received) {
                (Source::Category { .. }, Some(received)) => {
                    let text = written(&received.value);
                    notes.push(DataNote {
                        kind: NoteKind::UnseenCategory,
                        feature: Some(presented.name.clone()),
                        field,
                        text: format!("{label}: “{text}” is not a value this model knows, so it was scored as unknown"),
                        value: Some(text),
                    });
                }
                _ if presented.importance.is_some_and(|share| share >= IMPORTANT_SHARE) => {
                    let share = presented.importance.unwrap_or_default();
                    notes.push(DataNote {
                        kind: NoteKind::MissingImportant,
                        feature: Some(presented.name.clone()),
                        field,
                        value: None,
                        text: format!(
                            "{label} is unknown, and the model leans on it ({:.0} % of its importance)",
                            share * 100.0
                        ),
                    });
                }
                _ => {}
            }
        }
        let later = lead.activities.iter().filter(|a| a.at_ms > lead.as_of_ms).count();
        if later > 0 {
            let (count, verb) =
                if later == 1 { ("1 activity".to_string(), "was") } else { (format!("{later} activities"), "were") };
            notes.push(DataNote {
                kind: NoteKind::ActivitiesAfterAsOf,
                feature: None,
                field: None,
                value: Some(later.to_string()),
                text: format!("{count} after the scoring time (as_of) {verb} ignored"),
            });
        }
        notes
    }
}

/// The host's copy of a feature value as the model library has it.
pub fn model_value(value: &FeatureValue) -> ModelValue {
    match value {
        FeatureValue::Missing => ModelValue::Missing,
        FeatureValue::Number(n) => ModelValue::Number(*n),
        FeatureValue::Category(c) => ModelValue::Category(c.clone().into()),
    }
}

/// A lead field's value as received, as text.
fn written(value: &FieldValue) -> String {
    match value {
        FieldValue::Number(n) => n.to_string(),
        FieldValue::Text(t) => t.chars().take(200).collect(),
        FieldValue::Boolean(b) => b.to_string(),
    }
}
