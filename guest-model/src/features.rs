//! The feature pipeline: turns a lead into the model's input row, as
//! declared in `features.toml`. The same code computes training data
//! (natively) and serving data (in the component): no training/serving skew.

use std::borrow::Cow;

use crate::lead::{Activity, Lead, Millis, Value, lookup};

const MILLIS_PER_DAY: f64 = 86_400_000.0;

/// One model input, in model column order.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureDef {
    /// The feature's name (the model's column name).
    pub name: Cow<'static, str>,
    /// Sentence explaining it to a rep; `{value}` is replaced by the lead's value.
    pub reason: Cow<'static, str>,
    /// Sentence used when the lead has no value for it.
    pub reason_missing: Option<Cow<'static, str>>,
    /// Where the value comes from.
    pub source: Source,
}

/// Where a feature's value comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// A numeric lead field (booleans count as 1 and 0); absent → missing.
    Field(Cow<'static, str>),
    /// A text field coded by its position in `categories`; unseen → missing.
    Category {
        /// The lead field.
        field: Cow<'static, str>,
        /// Known categories; the code is the index.
        categories: Cow<'static, [Cow<'static, str>]>,
    },
    /// An aggregate over the lead's activities.
    Activity(ActivityAggregate),
}

/// An aggregate over activities of one kind in a window ending at `as_of`.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityAggregate {
    /// Activity kind to count.
    pub kind: Cow<'static, str>,
    /// Attribute equality filters, all of which must hold.
    pub filters: Cow<'static, [(Cow<'static, str>, Filter)]>,
    /// Only activities with `as_of - window < at <= as_of`; `None`: all up to `as_of`.
    pub window_days: Option<f64>,
    /// What to compute.
    pub aggregate: Aggregate,
}

/// A value an attribute must equal.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// Equal text.
    Text(Cow<'static, str>),
    /// Equal number.
    Number(f64),
    /// Equal boolean.
    Bool(bool),
}

/// The aggregate functions.
#[derive(Clone, Debug, PartialEq)]
pub enum Aggregate {
    /// Number of matching activities (0 if none).
    Count,
    /// Days since the latest matching activity (missing if none).
    DaysSinceLast,
    /// Σ 0.5^(age in days / half-life): recent activity counts more.
    DecayedCount {
        /// Days after which an activity counts half.
        half_life_days: f64,
    },
    /// Sum of a numeric attribute (0 if none).
    Sum {
        /// The attribute summed.
        attribute: Cow<'static, str>,
    },
}

/// The value of one feature for one lead, as a rep would read it.
#[derive(Clone, Debug, PartialEq)]
pub enum FeatureValue {
    /// The lead has no value.
    Missing,
    /// A number.
    Number(f64),
    /// A known category.
    Category(Cow<'static, str>),
}

impl FeatureValue {
    /// The model's input value (categories as codes, missing as NaN).
    fn model_input(&self, code: Option<usize>) -> f32 {
        match (self, code) {
            (FeatureValue::Number(v), _) => *v as f32,
            (FeatureValue::Category(_), Some(code)) => code as f32,
            _ => f32::NAN,
        }
    }
}

/// Why a lead's features could not be computed.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureError {
    /// The lead field or attribute at fault.
    pub field: String,
    /// What was wrong with it.
    pub message: String,
}

impl std::fmt::Display for FeatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FeatureError {}

/// Computes every feature of `lead`: the model row and the readable values.
pub fn compute(features: &[FeatureDef], lead: &Lead) -> Result<(Vec<f32>, Vec<FeatureValue>), FeatureError> {
    let mut row = Vec::with_capacity(features.len());
    let mut values = Vec::with_capacity(features.len());
    for def in features {
        let (value, code) = def.source.value(lead)?;
        row.push(value.model_input(code));
        values.push(value);
    }
    Ok((row, values))
}

impl Source {
    /// Where the value comes from, in a few words (for `model-info`).
    pub fn describe(&self) -> String {
        match self {
            Source::Field(field) => format!("field {field}"),
            Source::Category { field, categories } => format!("field {field}, one of: {}", categories.join(", ")),
            Source::Activity(a) => {
                let mut text = format!("activity {}", a.kind);
                for (i, (name, filter)) in a.filters.iter().enumerate() {
                    let value = match filter {
                        Filter::Text(t) => t.to_string(),
                        Filter::Number(v) => v.to_string(),
                        Filter::Bool(b) => b.to_string(),
                    };
                    text += &format!("{}{name}={value}", if i == 0 { " where " } else { ", " });
                }
                if let Some(days) = a.window_days {
                    text += &format!(", last {days} days");
                }
                text += match &a.aggregate {
                    Aggregate::Count => ": count".to_string(),
                    Aggregate::DaysSinceLast => ": days since the latest".to_string(),
                    Aggregate::DecayedCount { half_life_days } => {
                        format!(": count decayed with a {half_life_days}-day half-life")
                    }
                    Aggregate::Sum { attribute } => format!(": sum of {attribute}"),
                }
                .as_str();
                text
            }
        }
    }

    fn value(&self, lead: &Lead) -> Result<(FeatureValue, Option<usize>), FeatureError> {
        match self {
            Source::Field(field) => {
                let value = match lookup(&lead.fields, field) {
                    None => FeatureValue::Missing,
                    Some(Value::Number(v)) if v.is_nan() => FeatureValue::Missing,
                    Some(Value::Number(v)) => FeatureValue::Number(*v),
                    Some(Value::Bool(b)) => FeatureValue::Number(if *b { 1.0 } else { 0.0 }),
                    Some(Value::Text(t)) => {
                        return Err(FeatureError {
                            field: format!("fields.{field}"),
                            message: format!("must be a number, got the text {t:?}"),
                        });
                    }
                };
                Ok((value, None))
            }
            Source::Category { field, categories } => {
                let text = match lookup(&lead.fields, field) {
                    None => return Ok((FeatureValue::Missing, None)),
                    Some(Value::Text(t)) => t.as_str(),
                    Some(Value::Bool(b)) => {
                        if *b {
                            "true"
                        } else {
                            "false"
                        }
                    }
                    Some(Value::Number(v)) => {
                        return Err(FeatureError {
                            field: format!("fields.{field}"),
                            message: format!("must be one of the categories as text, got the number {v}"),
                        });
                    }
                };
                Ok(match categories.iter().position(|c| c == text) {
                    Some(code) => (FeatureValue::Category(categories[code].clone()), Some(code)),
                    None => (FeatureValue::Missing, None),
                })
            }
            Source::Activity(aggregate) => Ok((aggregate.value(lead)?, None)),
        }
    }
}

impl ActivityAggregate {
    fn matches(&self, activity: &Activity, as_of: Millis) -> bool {
        if activity.kind != self.kind || activity.at > as_of {
            return false;
        }
        if let Some(days) = self.window_days
            && (as_of - activity.at) as f64 >= days * MILLIS_PER_DAY
        {
            return false;
        }
        self.filters.iter().all(|(name, want)| match (lookup(&activity.attributes, name), want) {
            (Some(Value::Text(have)), Filter::Text(want)) => have == want,
            (Some(Value::Number(have)), Filter::Number(want)) => have == want,
            (Some(Value::Bool(have)), Filter::Bool(want)) => have == want,
            _ => false,
        })
    }

    fn value(&self, lead: &Lead) -> Result<FeatureValue, FeatureError> {
        let age_days = |a: &Activity| (lead.as_of - a.at) as f64 / MILLIS_PER_DAY;
        let matching = || lead.activities.iter().enumerate().filter(|(_, a)| self.matches(a, lead.as_of));
        let number = match &self.aggregate {
            Aggregate::Count => matching().count() as f64,
            Aggregate::DaysSinceLast => match matching().map(|(_, a)| age_days(a)).reduce(f64::min) {
                Some(days) => days,
                None => return Ok(FeatureValue::Missing),
            },
            Aggregate::DecayedCount { half_life_days } => {
                matching().fold(0.0, |sum, (_, a)| sum + 0.5f64.powf(age_days(a) / half_life_days))
            }
            Aggregate::Sum { attribute } => {
                let mut total = 0.0;
                for (i, activity) in matching() {
                    match lookup(&activity.attributes, attribute) {
                        None => {}
                        Some(Value::Number(v)) => total += v,
                        Some(_) => {
                            return Err(FeatureError {
                                field: format!("activities[{i}].{attribute}"),
                                message: "must be a number".into(),
                            });
                        }
                    }
                }
                total
            }
        };
        Ok(FeatureValue::Number(number))
    }
}
