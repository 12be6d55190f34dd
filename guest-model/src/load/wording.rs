//! The wording keys of a `[[feature]]` in `features.toml` (label, unit,
//! format, scale, display, and the `reason*` sentences), checked so that
//! every value the feature can take has a sentence that reads right.
//!
//! What the model build insists on, by kind of feature:
//! - every feature: a sentence for any value it can take, placeholders
//!   limited to `{value}`, and none in sentences for missing, zero, true
//!   and false (those say it in words);
//! - a boolean (categories exactly `"false"` and `"true"`, or
//!   `format = "boolean"`): `reason_true` and `reason_false`, and no
//!   `reason`, `reason_zero` or `reason_one`;
//! - a count, a sum or a decayed count of activities: `reason_zero` (no
//!   activity must read as an absence, not as "0 times"), and, written as
//!   whole numbers, `reason_one` (no "1 times");
//! - days since the last activity: `reason_missing` (it never happened),
//!   written with `format = "days_ago"` (the default), so `reason` says
//!   "Last visited {value}" and the format says "3 days ago";
//! - money: no `$` before `{value}` (the format writes it).
//!
//! Each sentence may have direction variants (`reason_up`,
//! `reason_zero_down`, …) used when the feature pushed the score that way;
//! a case counts as covered by its plain key or by both variants.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;

use crate::explanation::Direction;
use crate::features::{Aggregate, Source, category_key};
use crate::wording::{Case, DisplayName, Format, Template, Unit, Wording, label_of};

/// The wording keys of one `[[feature]]`; the sentences (`reason*`) are
/// collected with any other key left over, which must name a sentence.
#[derive(Debug, Default, Deserialize)]
pub struct WordingSection {
    label: Option<String>,
    unit: Option<String>,
    unit_one: Option<String>,
    format: Option<String>,
    scale: Option<f64>,
    display: Option<BTreeMap<String, String>>,
    #[serde(flatten)]
    sentences: BTreeMap<String, toml::Value>,
}

/// What kind of value a feature holds, as far as wording goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Boolean,
    Category,
    /// Zero means no activity at all; `whole`: written as whole numbers.
    Tally {
        whole: bool,
    },
    DaysSince,
    Number,
}

impl WordingSection {
    /// The feature's [`Wording`], or what is missing or wrong, naming the key.
    pub fn into_wording(self, name: &str, source: &Source) -> Result<Wording, String> {
        let templates = parse_templates(self.sentences)?;
        let format = self.format.as_deref().map(|f| {
            Format::parse(f).ok_or_else(|| format!("format = {f:?}: expected one of {}", Format::NAMES.join(", ")))
        });
        let format = format.transpose()?;
        let (kind, format) = kind_and_format(source, format)?;
        let scale = self.scale.unwrap_or(1.0);
        if !(scale.is_finite() && scale > 0.0) {
            return Err(format!("scale must be a positive number, got {scale}"));
        }
        if self.scale.is_some() && matches!(kind, Kind::Boolean | Kind::Category | Kind::DaysSince) {
            return Err("scale applies to numbers written as numbers or money only".into());
        }
        let unit = match (self.unit, self.unit_one) {
            (None, None) => None,
            (None, Some(_)) => return Err("unit_one needs unit (the word after any other number)".into()),
            (Some(_), _)
                if matches!(format, Format::Boolean | Format::DaysAgo | Format::Money) || kind == Kind::Category =>
            {
                return Err(format!(
                    "unit applies to plain numbers, not to format = {:?} or categories",
                    format.name()
                ));
            }
            (Some(many), one) => Some(Unit { one: one.unwrap_or_else(|| many.clone()).into(), many: many.into() }),
        };
        let display = display_names(self.display, source, kind)?;
        let label: Cow<'static, str> = self.label.unwrap_or_else(|| label_of(name)).into();
        if label.trim().is_empty() {
            return Err("label is empty".into());
        }
        check_templates(&templates, kind, format)?;
        Ok(Wording { label, unit, format, scale, display: display.into(), templates: templates.into() })
    }
}

/// The `reason*` keys as templates; any other leftover key is unknown.
fn parse_templates(sentences: BTreeMap<String, toml::Value>) -> Result<Vec<Template>, String> {
    let mut templates = Vec::with_capacity(sentences.len());
    for (key, value) in sentences {
        let (base, direction) = match (key.strip_suffix("_up"), key.strip_suffix("_down")) {
            (Some(base), _) => (base, Some(Direction::Up)),
            (_, Some(base)) => (base, Some(Direction::Down)),
            _ => (key.as_str(), None),
        };
        let Some(case) = Case::ALL.into_iter().find(|c| c.key() == base) else {
            return Err(format!("unknown field `{key}`"));
        };
        let toml::Value::String(text) = value else { return Err(format!("{key} must be text, got {value}")) };
        templates.push(Template { case, direction, text: text.into() });
    }
    Ok(templates)
}

/// The feature's kind and its format (explicit, or the kind's default).
fn kind_and_format(source: &Source, format: Option<Format>) -> Result<(Kind, Format), String> {
    let is_boolean = |names: &[Cow<'static, str>]| {
        let mut keys: Vec<String> = names.iter().map(|n| n.trim().to_ascii_lowercase()).collect();
        keys.sort();
        keys == ["false", "true"]
    };
    let (kind, default) = match source {
        Source::Category { categories, .. } if is_boolean(categories) => (Kind::Boolean, Format::Boolean),
        Source::Category { .. } => (Kind::Category, Format::Number),
        Source::Field(_) if format == Some(Format::Boolean) => (Kind::Boolean, Format::Boolean),
        Source::Field(_) => (Kind::Number, Format::Number),
        Source::Activity(a) => match a.aggregate {
            Aggregate::Count => (Kind::Tally { whole: true }, Format::Integer),
            Aggregate::Sum { .. } => (Kind::Tally { whole: true }, Format::Number),
            Aggregate::DecayedCount { .. } => (Kind::Tally { whole: false }, Format::Decimal),
            Aggregate::DaysSinceLast => (Kind::DaysSince, Format::DaysAgo),
        },
    };
    let format = match (format, kind) {
        (None, _) => default,
        (Some(f), Kind::Boolean) if f == default => f,
        (Some(f), Kind::Category | Kind::Boolean) => {
            return Err(format!("format = {:?} does not apply to a feature with categories", f.name()));
        }
        (Some(Format::Boolean), _) => return Err("format = \"boolean\" applies to field features only".into()),
        (Some(f), _) => f,
    };
    // A tally's one case depends on how it is written: "1.0" needs none.
    let kind = match kind {
        Kind::Tally { .. } => Kind::Tally { whole: matches!(format, Format::Number | Format::Integer) },
        other => other,
    };
    Ok((kind, format))
}

/// `display`, checked against the categories and keyed by their match keys.
fn display_names(
    display: Option<BTreeMap<String, String>>,
    source: &Source,
    kind: Kind,
) -> Result<Vec<DisplayName>, String> {
    let Some(display) = display else { return Ok(Vec::new()) };
    let Source::Category { categories, keys, matching, .. } = source else {
        return Err("display applies to features with categories only".into());
    };
    if kind == Kind::Boolean {
        return Err("display does not apply to a boolean: its reason_true and reason_false say it".into());
    }
    display
        .into_iter()
        .map(|(category, name)| {
            let key: Cow<'static, str> = Cow::Owned(category_key(&category, *matching).into_owned());
            if !keys.contains(&key) {
                return Err(format!("display.{category}: not one of the categories {categories:?}"));
            }
            if name.trim().is_empty() {
                return Err(format!("display.{category} is empty"));
            }
            Ok((key, Cow::Owned(name)))
        })
        .collect()
}

/// Every case the kind can take has a sentence, no sentence is for a case
/// it cannot take, and every sentence can be filled in.
fn check_templates(templates: &[Template], kind: Kind, format: Format) -> Result<(), String> {
    let (needed, allowed): (&[Case], &[Case]) = match kind {
        Kind::Boolean => (&[Case::True, Case::False], &[Case::True, Case::False, Case::Missing]),
        Kind::Category => (&[Case::Value], &[Case::Value, Case::Missing]),
        Kind::Tally { whole: true } => (&[Case::Value, Case::Zero, Case::One], &[Case::Value, Case::Zero, Case::One]),
        Kind::Tally { whole: false } => (&[Case::Value, Case::Zero], &[Case::Value, Case::Zero]),
        Kind::DaysSince => (&[Case::Value, Case::Missing], &[Case::Value, Case::Missing]),
        Kind::Number if format == Format::DaysAgo => (&[Case::Value], &[Case::Value, Case::Missing]),
        Kind::Number => (&[Case::Value], &[Case::Value, Case::Missing, Case::Zero, Case::One]),
    };
    let why = |case: Case| match (kind, case) {
        (Kind::Boolean, _) => "a boolean feature needs a sentence for true and for false",
        (Kind::Tally { .. }, Case::Zero) => "a count needs a sentence for none (\"Has not …\"), not \"0 times\"",
        (Kind::Tally { .. }, Case::One) => {
            "a count written as a whole number needs a sentence for one, not \"1 times\""
        }
        (Kind::DaysSince, Case::Missing) => "days since the last activity are missing when it never happened",
        _ => "every value needs a sentence",
    };
    for &case in needed {
        let has = |d| templates.iter().any(|t| t.case == case && t.direction == d);
        let covered = has(None) || (has(Some(Direction::Up)) && has(Some(Direction::Down)));
        if !covered {
            return Err(format!("needs {key} (or both {key}_up and {key}_down): {}", why(case), key = case.key()));
        }
    }
    for t in templates {
        let key = t.key();
        if t.case == Case::One && allowed.contains(&Case::One) && !matches!(format, Format::Number | Format::Integer) {
            return Err(format!("{key} does not apply to format = {:?}, which never writes 1", format.name()));
        }
        if !allowed.contains(&t.case) {
            let not_for = match kind {
                Kind::Boolean => "a boolean feature (it reads as reason_true or reason_false)",
                Kind::Category => "a feature with categories",
                Kind::Tally { .. } => "an activity count, which is never missing",
                _ if format == Format::DaysAgo => "format = \"days_ago\", which writes 0 and 1 as today and yesterday",
                _ => "a number",
            };
            return Err(format!("{key} does not apply to {not_for}"));
        }
        check_text(&key, &t.text, t.case, format)?;
    }
    Ok(())
}

/// One sentence can be filled in and reads right once it is.
fn check_text(key: &str, text: &str, case: Case, format: Format) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err(format!("{key} is empty"));
    }
    let mut rest = text;
    while let Some(at) = rest.find(['{', '}']) {
        let tail = &rest[at..];
        if !tail.starts_with("{value}") {
            let end = tail.find('}').map_or(tail.len(), |e| e + 1);
            return Err(format!("{key} = {text:?}: unknown placeholder {:?}, the only one is {{value}}", &tail[..end]));
        }
        if !case.shows_value() {
            return Err(format!(
                "{key} = {text:?}: say it in words, without {{value}} (the value is {})",
                match case {
                    Case::Missing => "missing",
                    Case::Zero => "zero",
                    _ => "a yes or no",
                }
            ));
        }
        rest = &tail["{value}".len()..];
    }
    if format == Format::DaysAgo && (text.contains("{value} day") || text.contains("{value} ago")) {
        return Err(format!(
            "{key} = {text:?}: format = \"days_ago\" writes {{value}} as \"3 days ago\", \"yesterday\" or \"today\": drop the words after {{value}}"
        ));
    }
    if format == Format::Money && text.contains("${value}") {
        return Err(format!("{key} = {text:?}: format = \"money\" writes the $: drop the $ before {{value}}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
