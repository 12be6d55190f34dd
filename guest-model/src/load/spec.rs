//! Reads `features.toml` (the feature pipeline, names, wording, bands, how
//! many reasons to give) and `calibration.json` (score quantiles,
//! probability calibration, importance).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::wording::WordingSection;
use crate::explanation::ReasonCounts;
use crate::features::{ActivityAggregate, Aggregate, FeatureDef, Filter, Matching, Source, category_key};
use crate::model::{Bands, Calibration};
use crate::tree::{Link, TreeRule};

/// `features.toml`, checked.
#[derive(Debug)]
pub struct Spec {
    /// Model family name.
    pub name: String,
    /// Model version.
    pub version: String,
    /// Declared link, if any.
    pub link: Option<Link>,
    /// Band thresholds.
    pub bands: Bands,
    /// How many reasons to give each way (`[explanation]`).
    pub reasons: ReasonCounts,
    /// The features, in model column order.
    pub features: Vec<FeatureDef>,
    /// Which saved trees to score with (`[model] trees`).
    pub trees: TreeRule,
    /// How each feature's category codes relate to the category names the
    /// model saved (`category_codes`), in feature order; meaningful for
    /// categorical features only.
    pub category_codes: Vec<CategoryCodes>,
}

/// How a categorical feature's codes are found when the model file saved
/// its category names (XGBoost ≥ 3.1): `category_codes` in `features.toml`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CategoryCodes {
    /// `"as_listed"`: the code is the position in `features.toml`'s list,
    /// which must be the model's list (same names, same order) or the model
    /// is refused.
    #[default]
    AsListed,
    /// `"by_name"`: the code is the position of the name in the model's own
    /// list, as XGBoost re-codes by name; `features.toml` may list the names
    /// in any order, and every name it lists must be in the model.
    ByName,
}

impl CategoryCodes {
    /// The name used in `features.toml`.
    pub fn name(self) -> &'static str {
        match self {
            CategoryCodes::AsListed => "as_listed",
            CategoryCodes::ByName => "by_name",
        }
    }

    fn parse(what: &str, value: Option<&str>) -> Result<Option<CategoryCodes>, String> {
        match value {
            None => Ok(None),
            Some("as_listed") => Ok(Some(CategoryCodes::AsListed)),
            Some("by_name") => Ok(Some(CategoryCodes::ByName)),
            Some(other) => Err(format!("{what} = {other:?}: expected \"as_listed\" or \"by_name\"")),
        }
    }
}

/// The match keys of `names` ([`category_key`]), or an error naming two
/// names that are the same category under `matching`.
pub fn category_keys<S: AsRef<str>>(names: &[S], matching: Matching) -> Result<Vec<String>, String> {
    let mut keys: Vec<String> = Vec::with_capacity(names.len());
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(names.len());
    for name in names {
        let key = category_key(name.as_ref(), matching).into_owned();
        if let Some(&j) = seen.get(&key) {
            return Err(format!(
                "the categories {:?} and {:?} are the same under match = {:?} (surrounding whitespace and Unicode NFC{} are ignored)",
                names[j].as_ref(),
                name.as_ref(),
                matching.name(),
                if matching == Matching::Casefold { ", and case" } else { "" }
            ));
        }
        seen.insert(key.clone(), keys.len());
        keys.push(key);
    }
    Ok(keys)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    model: ModelSection,
    #[serde(default)]
    bands: Option<BandsSection>,
    #[serde(default)]
    explanation: Option<ExplanationSection>,
    #[serde(default)]
    feature: Vec<FeatureSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelSection {
    name: String,
    version: String,
    link: Option<String>,
    trees: Option<String>,
    category_codes: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BandsSection {
    hot: u8,
    cold: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExplanationSection {
    reasons_up: Option<u8>,
    reasons_down: Option<u8>,
}

/// More reasons than this would not fit beside a badge.
const MAX_REASONS_PER_DIRECTION: u8 = 10;

// Not deny_unknown_fields: the wording collects the keys left over and
// refuses those that are not sentences (serde cannot do both).
#[derive(Deserialize)]
struct FeatureSection {
    name: String,
    field: Option<String>,
    categories: Option<Vec<String>>,
    activity: Option<String>,
    #[serde(rename = "where", default)]
    filters: BTreeMap<String, toml::Value>,
    window_days: Option<f64>,
    agg: Option<String>,
    half_life_days: Option<f64>,
    attribute: Option<String>,
    category_codes: Option<String>,
    #[serde(rename = "match")]
    matching: Option<String>,
    #[serde(flatten)]
    wording: WordingSection,
}

/// Parses and checks `features.toml`.
pub fn parse_spec(text: &str) -> Result<Spec, String> {
    let file: SpecFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let link = match file.model.link.as_deref() {
        None => None,
        Some("logistic") => Some(Link::Logistic),
        Some("identity") => Some(Link::Identity),
        Some(other) => return Err(format!("[model] link = {other:?}: expected \"logistic\" or \"identity\"")),
    };
    let trees = match file.model.trees.as_deref() {
        None | Some("best") => TreeRule::Best,
        Some("all") => TreeRule::All,
        Some(other) => return Err(format!("[model] trees = {other:?}: expected \"best\" or \"all\"")),
    };
    let default_codes = CategoryCodes::parse("[model] category_codes", file.model.category_codes.as_deref())?;
    check_name("[model] name", &file.model.name)?;
    check_name("[model] version", &file.model.version)?;
    let bands = match file.bands {
        None => Bands::default(),
        Some(b) if b.cold <= b.hot && b.hot <= 100 => Bands { hot: b.hot, cold: b.cold },
        Some(b) => {
            return Err(format!("[bands] need 0 <= cold <= hot <= 100, got cold = {} and hot = {}", b.cold, b.hot));
        }
    };
    let reasons = match file.explanation {
        None => ReasonCounts::default(),
        Some(e) => {
            let default = ReasonCounts::default();
            let counts =
                ReasonCounts { up: e.reasons_up.unwrap_or(default.up), down: e.reasons_down.unwrap_or(default.down) };
            if counts.up.max(counts.down) > MAX_REASONS_PER_DIRECTION {
                return Err(format!(
                    "[explanation] reasons_up and reasons_down are at most {MAX_REASONS_PER_DIRECTION}, got {} and {}",
                    counts.up, counts.down
                ));
            }
            counts
        }
    };
    if file.feature.is_empty() {
        return Err("no [[feature]] declared".into());
    }
    let mut features = Vec::new();
    let mut category_codes = Vec::new();
    for (i, section) in file.feature.into_iter().enumerate() {
        let name = section.name.clone();
        let codes = CategoryCodes::parse("category_codes", section.category_codes.as_deref())
            .map_err(|e| format!("feature {i} ({name}): {e}"))?;
        let def = section.into_def().map_err(|e| format!("feature {i} ({name}): {e}"))?;
        if features.iter().any(|f: &FeatureDef| f.name == def.name) {
            return Err(format!("feature {i}: the name {name:?} is used twice"));
        }
        features.push(def);
        category_codes.push(codes.or(default_codes).unwrap_or_default());
    }
    Ok(Spec {
        name: file.model.name,
        version: file.model.version,
        link,
        bands,
        reasons,
        features,
        trees,
        category_codes,
    })
}

/// Names and versions end up in file names: keep them plain.
fn check_name(what: &str, value: &str) -> Result<(), String> {
    let plain = !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if plain { Ok(()) } else { Err(format!("{what} = {value:?}: use letters, digits, '-', '_' and '.' only")) }
}

impl FeatureSection {
    fn into_def(self) -> Result<FeatureDef, String> {
        let source = match (self.field, self.activity) {
            (Some(_), Some(_)) => return Err("give either field or activity, not both".into()),
            (None, None) => return Err("give a field or an activity".into()),
            (Some(field), None) => {
                if self.agg.is_some() || self.window_days.is_some() || !self.filters.is_empty() {
                    return Err("agg, window_days and where apply to activity features only".into());
                }
                match self.categories {
                    None if self.matching.is_some() || self.category_codes.is_some() => {
                        return Err("match and category_codes apply to features with categories only".into());
                    }
                    None => Source::Field(field.into()),
                    Some(categories) if categories.is_empty() => return Err("categories is empty".into()),
                    Some(categories) => {
                        let matching = match self.matching.as_deref() {
                            None | Some("exact") => Matching::Exact,
                            Some("casefold") => Matching::Casefold,
                            Some(other) => {
                                return Err(format!("match = {other:?}: expected \"exact\" or \"casefold\""));
                            }
                        };
                        let keys = category_keys(&categories, matching)?;
                        Source::Category {
                            field: field.into(),
                            categories: categories.into_iter().map(Cow::Owned).collect::<Vec<_>>().into(),
                            keys: keys.into_iter().map(Cow::Owned).collect::<Vec<_>>().into(),
                            matching,
                        }
                    }
                }
            }
            (None, Some(kind)) => {
                if self.categories.is_some() || self.matching.is_some() || self.category_codes.is_some() {
                    return Err("categories, match and category_codes apply to field features only".into());
                }
                if let Some(days) = self.window_days
                    && !(days > 0.0 && days.is_finite())
                {
                    return Err(format!("window_days must be positive, got {days}"));
                }
                let aggregate = match self.agg.as_deref() {
                    None => return Err("an activity feature needs agg".into()),
                    Some("count") => Aggregate::Count,
                    Some("days_since_last") => Aggregate::DaysSinceLast,
                    Some("decayed_count") => match self.half_life_days {
                        Some(h) if h > 0.0 && h.is_finite() => Aggregate::DecayedCount { half_life_days: h },
                        _ => return Err("agg \"decayed_count\" needs a positive half_life_days".into()),
                    },
                    Some("sum") => match self.attribute {
                        Some(a) => Aggregate::Sum { attribute: a.into() },
                        None => return Err("agg \"sum\" needs attribute = \"<numeric attribute>\"".into()),
                    },
                    Some(other) => {
                        return Err(format!(
                            "unknown agg {other:?}: expected count, days_since_last, decayed_count or sum"
                        ));
                    }
                };
                let filters = self
                    .filters
                    .into_iter()
                    .map(|(name, value)| {
                        let filter = match value {
                            toml::Value::String(s) => Filter::Text(s.into()),
                            toml::Value::Integer(i) => Filter::Number(i as f64),
                            toml::Value::Float(f) => Filter::Number(f),
                            toml::Value::Boolean(b) => Filter::Bool(b),
                            other => {
                                return Err(format!("where.{name}: expected text, a number or a boolean, got {other}"));
                            }
                        };
                        Ok((Cow::Owned(name), filter))
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                Source::Activity(ActivityAggregate {
                    kind: kind.into(),
                    filters: filters.into(),
                    window_days: self.window_days,
                    aggregate,
                })
            }
        };
        if self.half_life_days.is_some()
            && !matches!(&source, Source::Activity(a) if matches!(a.aggregate, Aggregate::DecayedCount { .. }))
        {
            return Err("half_life_days applies to agg = \"decayed_count\" only".into());
        }
        let wording = self.wording.into_wording(&self.name, &source)?;
        Ok(FeatureDef { name: self.name.into(), wording, source })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalibrationFile {
    #[serde(default)]
    score_quantiles: Vec<f64>,
    probability: Option<ProbabilityTable>,
    #[serde(default)]
    global_importance: BTreeMap<String, f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProbabilityTable {
    margin: Vec<f64>,
    value: Vec<f64>,
}

/// Parses and checks `calibration.json` against the feature names.
pub fn parse_calibration(text: &str, features: &[FeatureDef]) -> Result<Calibration, String> {
    let file: CalibrationFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let q = file.score_quantiles;
    if !q.is_empty() && (q.len() != 101 || q.windows(2).any(|w| w[0] > w[1]) || q.iter().any(|v| !v.is_finite())) {
        return Err(format!(
            "score_quantiles must be 101 finite ascending margins (percentiles 0..100), got {} values",
            q.len()
        ));
    }
    let probability = match file.probability {
        None => Vec::new(),
        Some(t) => {
            let ok = t.margin.len() == t.value.len()
                && t.margin.len() >= 2
                && t.margin.windows(2).all(|w| w[0] < w[1])
                && t.value.windows(2).all(|w| w[0] <= w[1])
                && t.value.iter().all(|p| (0.0..=1.0).contains(p));
            if !ok {
                return Err("probability needs margin (strictly ascending) and value (non-decreasing, in [0, 1]) of the same length >= 2".into());
            }
            t.margin.into_iter().zip(t.value).collect()
        }
    };
    let importance = if file.global_importance.is_empty() {
        Vec::new()
    } else {
        if let Some(unknown) = file.global_importance.keys().find(|k| !features.iter().any(|f| f.name == k.as_str())) {
            return Err(format!("global_importance names {unknown:?}, which is not a feature"));
        }
        let values: Vec<f64> =
            features.iter().map(|f| file.global_importance.get(f.name.as_ref()).copied().unwrap_or(0.0)).collect();
        if values.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
            return Err("global_importance values must be finite and >= 0".into());
        }
        values
    };
    Ok(Calibration { score_quantiles: q.into(), probability: probability.into(), importance: importance.into() })
}
