//! The export layer: the library as the `scorer-template` world of
//! `wit/scorer.wit`. Built once; `leadscore model build` pre-initialises it
//! with one model (see [`Guest::wizer_initialize`]).

wit_bindgen::generate!({ path: "../wit", world: "scorer-template" });

use std::io::Read;
use std::sync::OnceLock;

use crate::explanation::{Direction as D, Explanation as E};
use crate::features::FeatureValue as V;
use crate::lead as l;
use crate::model::{Band as B, Model};
use crate::shap::Scratch;
use crate::tables;
use crate::tree::Link as K;

/// The model, set once while the component is pre-initialised; the snapshot
/// keeps it, so every instance starts with it decoded.
static MODEL: OnceLock<Model> = OnceLock::new();

fn model() -> &'static Model {
    MODEL.get().expect("this is the scorer template, which holds no model: build one with `leadscore model build`")
}

struct Scorer;

impl Guest for Scorer {
    fn wizer_initialize() {
        // Header first, so the body is read into one allocation: the snapshot
        // then holds the decoded model and little else.
        let mut stdin = std::io::stdin().lock();
        let mut header = [0; tables::HEADER_LEN];
        stdin.read_exact(&mut header).expect("reading the model tables' header from stdin");
        let len = tables::body_len(&header).unwrap_or_else(|e| panic!("{e}"));
        let mut body = vec![0; len];
        stdin.read_exact(&mut body).expect("reading the model tables from stdin");
        let model = tables::decode_body(&body).unwrap_or_else(|e| panic!("{e}"));
        // Zeroed before it is freed: zero pages cost nothing in the snapshot.
        body.fill(0);
        drop(std::hint::black_box(body));
        assert!(MODEL.set(model).is_ok(), "the scorer template was initialised twice");
    }

    fn model_info() -> ModelInfo {
        let m = model();
        ModelInfo {
            name: m.info.name.to_string(),
            version: m.info.version.to_string(),
            objective: m.info.objective.to_string(),
            link: match m.info.link {
                K::Logistic => Link::Logistic,
                K::Identity => Link::Identity,
            },
            features: m
                .features
                .iter()
                .map(|f| FeatureInfo {
                    name: f.name.to_string(),
                    description: f.wording.description(),
                    source: f.source.describe(),
                })
                .collect(),
            bands: Bands { hot: m.bands.hot, cold: m.bands.cold },
            num_trees: m.ensemble().num_trees() as u32,
            base_value: m.explainer.base_value(),
        }
    }

    fn score(leads: Vec<Lead>) -> Vec<Result<ScoredLead, ScoreError>> {
        let leads: Vec<l::Lead> = leads.into_iter().map(into_lead).collect();
        let results = model().score_batch(&leads, &mut Scratch::default());
        leads
            .into_iter()
            .zip(results)
            .map(|(lead, scored)| {
                let scored = scored.map_err(|e| ScoreError {
                    lead_id: lead.id.clone(),
                    code: if e.field.starts_with("activities") {
                        ErrorCode::InvalidActivity
                    } else {
                        ErrorCode::InvalidField
                    },
                    field: e.field,
                    message: e.message,
                })?;
                Ok(ScoredLead {
                    lead_id: lead.id,
                    final_score: scored.final_score,
                    probability: scored.probability,
                    band: match scored.band {
                        B::Hot => Band::Hot,
                        B::Warm => Band::Warm,
                        B::Cold => Band::Cold,
                    },
                    confidence: scored.confidence,
                    margin: scored.margin,
                    model_version: model().info.version.to_string(),
                    explanation: scored.explanation.map(from_explanation),
                })
            })
            .collect()
    }
}

fn into_lead(lead: Lead) -> l::Lead {
    l::Lead {
        id: lead.id,
        as_of: lead.as_of_ms,
        fields: into_pairs(lead.fields),
        activities: lead
            .activities
            .into_iter()
            .map(|a| l::Activity { kind: a.kind, at: a.at_ms, attributes: into_pairs(a.attributes) })
            .collect(),
    }
}

fn into_pairs(fields: Vec<Field>) -> Vec<(String, l::Value)> {
    fields
        .into_iter()
        .map(|f| {
            let value = match f.value {
                FieldValue::Number(v) => l::Value::Number(v),
                FieldValue::Text(t) => l::Value::Text(t),
                FieldValue::Boolean(b) => l::Value::Bool(b),
            };
            (f.name, value)
        })
        .collect()
}

fn from_explanation(e: E) -> Explanation {
    let name = |i: usize| model().features[i].name.to_string();
    Explanation {
        base_value: e.base_value,
        contributions: e
            .contributions
            .into_iter()
            .map(|c| Contribution {
                feature: name(c.feature),
                value: match c.value {
                    V::Missing => FeatureValue::Missing,
                    V::Number(v) => FeatureValue::Number(v),
                    V::Category(c) => FeatureValue::Category(c.to_string()),
                },
                shap: c.shap,
            })
            .collect(),
        feature_importance: e
            .importance
            .iter()
            .enumerate()
            .map(|(i, &share)| Importance { feature: name(i), share })
            .collect(),
        reasons: e
            .reasons
            .into_iter()
            .map(|r| Reason {
                feature: name(r.feature),
                text: r.text,
                direction: match r.direction {
                    D::Up => Direction::Up,
                    D::Down => Direction::Down,
                },
                shap: r.shap,
            })
            .collect(),
    }
}

export!(Scorer);
