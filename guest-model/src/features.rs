//! The feature pipeline: turns a lead into the model's input row, as
//! declared in `features.toml`. The same code computes training data
//! (natively) and serving data (in the component): no training/serving skew.

use std::borrow::Cow;

use crate::lead::{Activity, Lead, Millis, Value, lookup};
use crate::value::beyond_f32;
pub use crate::value::{FeatureValue, Matching, category_key};
use crate::wording::{Direction, Wording};

const MILLIS_PER_DAY: f64 = 86_400_000.0;

/// One model input, in model column order.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FeatureDef {
    /// The feature's name (the model's column name).
    pub name: Cow<'static, str>,
    /// How it reads to a rep: label, value format and reason sentences.
    pub wording: Wording,
    /// Where the value comes from.
    pub source: Source,
}

/// Where a feature's value comes from.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Source {
    /// A numeric lead field (booleans count as 1 and 0); absent → missing.
    Field(Cow<'static, str>),
    /// A text field coded by its position in `categories`; unseen → missing.
    /// A value matches a category when their [`category_key`]s are equal.
    Category {
        /// The lead field.
        field: Cow<'static, str>,
        /// Known categories; the code is the index.
        categories: Cow<'static, [Cow<'static, str>]>,
        /// `category_key(categories[i], matching)` for each category, all distinct.
        keys: Cow<'static, [Cow<'static, str>]>,
        /// How a lead's value is compared with the categories.
        matching: Matching,
    },
    /// An aggregate over the lead's activities.
    Activity(ActivityAggregate),
}

/// An aggregate over activities of one kind in a window ending at `as_of`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Filter {
    /// Equal text.
    Text(Cow<'static, str>),
    /// Equal number.
    Number(f64),
    /// Equal boolean.
    Bool(bool),
}

/// The aggregate functions.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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

/// Says that `v` is beyond the model's input range.
fn beyond_f32_message(v: f64) -> String {
    format!("{v:e} is beyond the range of the model's input (32-bit floats: at most {:e} in magnitude)", f32::MAX)
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
        row.push(value.model_input(code).map_err(|v| def.source.out_of_range(v))?);
        values.push(value);
    }
    Ok((row, values))
}

impl Source {
    /// Where the value comes from, in a few words (for `model-info`).
    pub fn describe(&self) -> String {
        match self {
            Source::Field(field) => format!("field {field}"),
            Source::Category { field, categories, matching, .. } => {
                let case = if *matching == Matching::Casefold { " (any case)" } else { "" };
                format!("field {field}, one of{case}: {}", categories.join(", "))
            }
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

    /// The error for a value beyond f32's range (the model's input type).
    fn out_of_range(&self, value: f64) -> FeatureError {
        let message = beyond_f32_message(value);
        let field = match self {
            Source::Field(field) | Source::Category { field, .. } => format!("fields.{field}"),
            Source::Activity(a) => match &a.aggregate {
                Aggregate::Sum { attribute } => {
                    return FeatureError {
                        field: format!("activities.{attribute}"),
                        message: format!("the sum of {attribute} over the {} activities, {message}", a.kind),
                    };
                }
                _ => "activities".into(),
            },
        };
        FeatureError { field, message }
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
            Source::Category { field, categories, keys, matching } => {
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
                let key = category_key(text, *matching);
                Ok(match keys.iter().position(|k| *k == key) {
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
                        Some(Value::Number(v)) if beyond_f32(*v) => {
                            return Err(FeatureError {
                                field: format!("activities[{i}].{attribute}"),
                                message: beyond_f32_message(*v),
                            });
                        }
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

impl FeatureDef {
    /// The reason sentence for the lead's `value` of this feature when it
    /// pushed the score `direction`.
    pub fn reason(&self, value: &FeatureValue, direction: Direction) -> String {
        self.wording.sentence(value, direction, self.matching())
    }

    /// The lead's `value` of this feature as a rep reads it outside a
    /// sentence (see [`Wording::display_value`]).
    pub fn display_value(&self, value: &FeatureValue) -> String {
        self.wording.display_value(value, self.matching())
    }

    /// How the lead's value of this feature moved from `from` to `to`, in
    /// words (see [`Wording::change`]); `None` when it reads the same.
    pub fn change(&self, from: &FeatureValue, to: &FeatureValue) -> Option<String> {
        self.wording.change(from, to, self.matching())
    }

    /// The lead field the value is read from, for a field or a category;
    /// `None` for an aggregate over activities.
    pub fn field(&self) -> Option<&str> {
        match &self.source {
            Source::Field(field) | Source::Category { field, .. } => Some(field),
            Source::Activity(_) => None,
        }
    }

    fn matching(&self) -> Matching {
        match &self.source {
            Source::Category { matching, .. } => *matching,
            _ => Matching::Exact,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_keys_ignore_whitespace_and_normalisation_and_with_casefold_case() {
        let exact = |s| category_key(s, Matching::Exact).into_owned();
        let fold = |s| category_key(s, Matching::Casefold).into_owned();
        assert_eq!(exact(" retail\t"), "retail");
        assert_eq!(exact("Ba\u{308}ckerei"), "B\u{e4}ckerei");
        assert_eq!(exact("B\u{e4}ckerei"), "B\u{e4}ckerei");
        assert_ne!(exact("Retail"), exact("retail"));
        assert_eq!(fold("  RETAIL "), "retail");
        assert_eq!(fold("STRASSE"), fold("Stra\u{df}e"));
        assert_eq!(fold("BA\u{308}CKEREI"), fold("b\u{e4}ckerei"));
        assert_eq!(fold("\u{212a}elvin"), "kelvin"); // KELVIN SIGN
        assert_eq!(fold("\u{3a3}\u{39f}\u{3a3}"), fold("\u{3c3}\u{3bf}\u{3c2}")); // ΣΟΣ = σος
        // Plain ASCII needs no copy.
        assert!(matches!(category_key("retail", Matching::Exact), Cow::Borrowed(_)));
        assert!(matches!(category_key("retail", Matching::Casefold), Cow::Borrowed(_)));
    }

    fn category(categories: &[&str], matching: Matching) -> Source {
        let keys: Vec<Cow<'static, str>> =
            categories.iter().map(|c| Cow::Owned(category_key(c, matching).into_owned())).collect();
        Source::Category {
            field: "industry".into(),
            categories: categories.iter().map(|c| Cow::Owned(c.to_string())).collect::<Vec<_>>().into(),
            keys: keys.into(),
            matching,
        }
    }

    fn lead(fields: Vec<(&str, Value)>) -> Lead {
        Lead {
            id: "a".into(),
            as_of: 0,
            fields: fields.into_iter().map(|(n, v)| (n.to_string(), v)).collect(),
            activities: vec![],
        }
    }

    #[test]
    fn a_leads_text_is_coded_by_its_key_and_shown_as_the_category() {
        let source = category(&["Finance", "Stra\u{df}e"], Matching::Casefold);
        let value = |text: &str| source.value(&lead(vec![("industry", Value::Text(text.into()))])).unwrap();
        assert_eq!(value(" FINANCE "), (FeatureValue::Category("Finance".into()), Some(0)));
        assert_eq!(value("strasse"), (FeatureValue::Category("Stra\u{df}e".into()), Some(1)));
        assert_eq!(value("mining"), (FeatureValue::Missing, None));
        let exact = category(&["Finance"], Matching::Exact);
        let value = |text: &str| exact.value(&lead(vec![("industry", Value::Text(text.into()))])).unwrap().1;
        assert_eq!((value("Finance "), value("finance")), (Some(0), None));
    }

    #[test]
    fn numbers_beyond_f32_are_errors_and_numbers_within_are_not() {
        let defs = [FeatureDef {
            name: "employees".into(),
            wording: Wording::plain("employees", "{value}"),
            source: Source::Field("employees".into()),
        }];
        let row = |v: f64| compute(&defs, &lead(vec![("employees", Value::Number(v))])).map(|(row, _)| row[0]);
        for v in [1e39, -1e39, 3.5e38, 1e308, f64::INFINITY, f64::NEG_INFINITY] {
            let e = row(v).unwrap_err();
            assert_eq!(e.field, "fields.employees", "{v}");
        }
        assert_eq!(row(3.4e38), Ok(3.4e38f32));
        assert_eq!(row(-0.0).map(f32::to_bits), Ok((-0.0f32).to_bits()));
        assert_eq!(row(1e-46), Ok(0.0));
        assert_eq!(row(9007199254740993.0), Ok(9007199254740992.0));
        assert!(row(f64::NAN).unwrap().is_nan(), "NaN is missing");
    }
}
