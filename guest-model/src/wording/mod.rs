//! How a feature reads to a rep: its label, how its value is written, and
//! the reason sentence for each case, picked by the value and by which way
//! the feature pushed the score.
//!
//! A sentence is picked in two steps. First the value's [`Case`]: missing,
//! zero, one, true, false, or any other value ([`Case::Value`]); zero and
//! one are judged on the number as written, so 0.04 written as `0` is zero.
//! Then the direction: a sentence declared for the case and the direction
//! (`reason_zero_up`) wins over the case's own (`reason_zero`). Zero and
//! one fall back to `reason` when a feature does not need them (the model
//! build insists on them where a count would read wrong, see
//! `load::wording`). Every sentence starts with a capital letter.

mod format;

use std::borrow::Cow;

pub use format::Format;

use crate::value::{FeatureValue, Matching, category_key};

/// Which way a feature pushed the score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// Serialisable everywhere: reason templates in the model's tables name it.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub enum Direction {
    /// Raised it.
    Up,
    /// Lowered it.
    Down,
}

/// Everything a feature needs to be read: it travels with the model's
/// tables, so the component writes exactly what the native library writes.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Wording {
    /// Display name (`Pricing page views, last 7 days`).
    pub label: Cow<'static, str>,
    /// Word after a number where there is no sentence around it.
    pub unit: Option<Unit>,
    /// How the value is written.
    pub format: Format,
    /// The value is multiplied by this before it is written (`1e6` for a
    /// revenue in millions written as money).
    pub scale: f64,
    /// Display names of categories, by [`category_key`] under the feature's
    /// matching; others read as their name with `_` and `-` as spaces.
    pub display: Cow<'static, [DisplayName]>,
    /// The reason sentences; `{value}` is replaced by the written value.
    pub templates: Cow<'static, [Template]>,
}

/// A category's match key and its display name.
pub type DisplayName = (Cow<'static, str>, Cow<'static, str>);

/// A unit after a number (`3 employees`, `1 employee`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Unit {
    /// After a number written as 1.
    pub one: Cow<'static, str>,
    /// After any other number.
    pub many: Cow<'static, str>,
}

/// Which sentence a value calls for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Case {
    /// Any value without a sentence of its own (`reason`).
    Value,
    /// The lead has no value (`reason_missing`).
    Missing,
    /// A number written as 0 (`reason_zero`).
    Zero,
    /// A number written as 1 (`reason_one`).
    One,
    /// A boolean that holds (`reason_true`).
    True,
    /// A boolean that does not (`reason_false`).
    False,
}

impl Case {
    /// Every case, in the order of [`Case::key`]'s names.
    pub const ALL: [Case; 6] = [Case::Value, Case::Missing, Case::Zero, Case::One, Case::True, Case::False];

    /// The key of its sentence in `features.toml` (`reason_zero`).
    pub fn key(self) -> &'static str {
        ["reason", "reason_missing", "reason_zero", "reason_one", "reason_true", "reason_false"][self as usize]
    }

    /// Whether its sentence may show the value: a missing value has none,
    /// and zero and the booleans are said in words.
    pub fn shows_value(self) -> bool {
        matches!(self, Case::Value | Case::One)
    }
}

/// One reason sentence.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Template {
    /// The values it is for.
    pub case: Case,
    /// Only when the feature pushed the score this way; `None`: either way.
    pub direction: Option<Direction>,
    /// The sentence; `{value}` is the written value.
    pub text: Cow<'static, str>,
}

impl Template {
    /// Its key in `features.toml` (`reason_zero_up`).
    pub fn key(&self) -> String {
        match self.direction {
            None => self.case.key().to_string(),
            Some(Direction::Up) => format!("{}_up", self.case.key()),
            Some(Direction::Down) => format!("{}_down", self.case.key()),
        }
    }
}

impl Wording {
    /// One sentence for every value (`reason`), the label made from the
    /// name: what tests and hand-built models need.
    pub fn plain(name: &str, reason: &str) -> Wording {
        Wording {
            label: label_of(name).into(),
            unit: None,
            format: Format::Number,
            scale: 1.0,
            display: Cow::Borrowed(&[]),
            templates: vec![Template { case: Case::Value, direction: None, text: reason.to_string().into() }].into(),
        }
    }

    /// The sentence declared for exactly this case and direction (`None`:
    /// either way), if any.
    pub fn template(&self, case: Case, direction: Option<Direction>) -> Option<&str> {
        self.templates.iter().find(|t| t.case == case && t.direction == direction).map(|t| t.text.as_ref())
    }

    /// The sentence for `case` when the feature pushed the score `direction`.
    fn pick(&self, case: Case, direction: Direction) -> Option<&str> {
        self.template(case, Some(direction)).or_else(|| self.template(case, None))
    }

    /// Which sentence `value` calls for.
    pub fn case(&self, value: &FeatureValue) -> Case {
        match (value, self.format) {
            (FeatureValue::Missing, _) => Case::Missing,
            (FeatureValue::Category(c), Format::Boolean) => match c.trim().eq_ignore_ascii_case("true") {
                true => Case::True,
                false => Case::False,
            },
            (FeatureValue::Category(_), _) | (FeatureValue::Number(_), Format::DaysAgo) => Case::Value,
            (FeatureValue::Number(v), Format::Boolean) => {
                if *v != 0.0 {
                    Case::True
                } else {
                    Case::False
                }
            }
            (FeatureValue::Number(v), format) => {
                let shown = format.shown(v * self.scale);
                if shown == 0.0 {
                    Case::Zero
                } else if shown == 1.0 && matches!(format, Format::Number | Format::Integer) {
                    Case::One
                } else {
                    Case::Value
                }
            }
        }
    }

    /// The value as it appears inside a sentence (no unit, category
    /// display names as written mid-sentence).
    fn written<'a>(&'a self, value: &'a FeatureValue, matching: Matching) -> Cow<'a, str> {
        match value {
            FeatureValue::Missing => "unknown".into(),
            FeatureValue::Category(_) if self.format == Format::Boolean => {
                if self.case(value) == Case::True { "yes" } else { "no" }.into()
            }
            FeatureValue::Category(c) => self.display_name(c, matching),
            FeatureValue::Number(v) => self.format.write(v * self.scale).into(),
        }
    }

    /// A category's display name.
    pub fn display_name<'a>(&'a self, category: &'a str, matching: Matching) -> Cow<'a, str> {
        let key = category_key(category, matching);
        match self.display.iter().find(|(k, _)| *k == key) {
            Some((_, name)) => name.as_ref().into(),
            None => humanise(category),
        }
    }

    /// The reason sentence for `value` when it pushed the score `direction`.
    pub fn sentence(&self, value: &FeatureValue, direction: Direction, matching: Matching) -> String {
        let case = self.case(value);
        let template = match self.pick(case, direction) {
            Some(t) => Some(t),
            // Zero and one are special cases of a number: without their own
            // sentence they read as any other value.
            None if matches!(case, Case::Zero | Case::One) => self.pick(Case::Value, direction),
            None => None,
        };
        let text = match template {
            Some(t) if t.contains("{value}") => t.replace("{value}", &self.written(value, matching)),
            Some(t) => t.to_string(),
            // Only hand-built wordings get here: the model build checks
            // that every case has a sentence.
            None if case == Case::Missing => format!("{} unknown", self.label),
            None => format!("{}: {}", self.label, self.written(value, matching)),
        };
        capitalised(text)
    }

    /// The value as a rep reads it outside a sentence (lead details, chart
    /// labels): with its unit, categories by display name, `Yes`/`No`,
    /// `Unknown`; capitalised like the sentences.
    pub fn display_value(&self, value: &FeatureValue, matching: Matching) -> String {
        let text = match (value, &self.unit) {
            (FeatureValue::Number(v), Some(unit)) if self.format != Format::Boolean => {
                let word = if self.case(value) == Case::One { &unit.one } else { &unit.many };
                format!("{} {word}", self.format.write(v * self.scale))
            }
            _ => self.written(value, matching).into_owned(),
        };
        capitalised(text)
    }

    /// How the feature's value moved between two scorings, in words, or
    /// `None` when it reads the same: `Pricing page views, last 7 days: 2
    /// → 5 (+3)`, `Industry: Software → Retail`, `Requested a demo: No →
    /// Yes`, `Last email click: 10 days ago → yesterday`. Numbers are
    /// compared as written, so a change too small to show is no change.
    pub fn change(&self, from: &FeatureValue, to: &FeatureValue, matching: Matching) -> Option<String> {
        let (was, is) = (self.changed_value(from, matching), self.changed_value(to, matching));
        if was == is {
            return None;
        }
        let difference = match (from, to, self.format) {
            (FeatureValue::Number(a), FeatureValue::Number(b), Format::Number | Format::Integer | Format::Decimal) => {
                let step = self.format.shown(b * self.scale) - self.format.shown(a * self.scale);
                let written = self.format.write(step.abs());
                Some(if step > 0.0 { format!(" (+{written})") } else { format!(" (−{written})") })
            }
            _ => None,
        };
        Some(format!("{}: {was} → {is}{}", self.label, difference.unwrap_or_default()))
    }

    /// A value as [`Wording::change`] writes it: as in the lead details,
    /// without a unit (the label says what is counted); days stay lower
    /// case, as both sides of the arrow read alike (`10 days ago → yesterday`).
    fn changed_value(&self, value: &FeatureValue, matching: Matching) -> String {
        let written = self.written(value, matching).into_owned();
        match (value, self.format) {
            (FeatureValue::Number(_), Format::DaysAgo) => written,
            _ => capitalised(written),
        }
    }

    /// What the feature says, for `model-info`: its usual sentence, or
    /// both sentences of a boolean.
    pub fn description(&self) -> String {
        match (self.template(Case::True, None), self.template(Case::False, None)) {
            (Some(yes), Some(no)) => format!("{yes} / {no}"),
            _ => self.template(Case::Value, None).unwrap_or(&self.label).to_string(),
        }
    }
}

/// A name as words: `north_america` → `north america`.
pub fn humanise(name: &str) -> Cow<'_, str> {
    match name.contains(['_', '-']) {
        true => name.replace(['_', '-'], " ").into(),
        false => name.into(),
    }
}

/// A label made from a feature's name: `page_views` → `Page views`.
pub fn label_of(name: &str) -> String {
    capitalised(humanise(name).into_owned())
}

/// `text` with its first letter upper-case.
fn capitalised(text: String) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if first.is_lowercase() => first.to_uppercase().chain(chars).collect(),
        _ => text,
    }
}

#[cfg(test)]
mod tests;
