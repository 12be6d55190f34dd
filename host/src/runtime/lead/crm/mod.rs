//! A CRM's own object (a HubSpot contact, a Salesforce Lead) → lead JSON,
//! through a tenant's [`Mapping`]: which key of the object is the lead's id,
//! its `as_of`, and each lead field, with each value coerced to what the
//! model's feature reads ([`FieldKind`]). CRMs send numbers as text
//! (HubSpot's `"numemployees": "1200"`), booleans as text, times as epoch
//! milliseconds or as ISO 8601 with an offset without a colon (Salesforce's
//! `2026-10-01T12:00:00.000+0000`), and picklist values in their own words:
//! all of that is read here. A value that cannot be read is an error naming
//! the CRM field and the lead field, never a guess; a picklist value the
//! mapping does not translate passes through as sent, and the score's data
//! notes say when the model does not know it.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use guest_model::features::{FeatureDef, Source};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

mod presets;

/// A tenant's mapping from its CRM's object to the lead. A path is
/// dot-separated keys into the object (`properties.numemployees`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Where the lead's id is (text, or a whole number).
    pub id: String,
    /// Where the lead's `as_of` is (epoch milliseconds as a number or text,
    /// an ISO 8601 date or date-time, with `Z`, `+00:00`, `+0000` or no
    /// offset, which is UTC). Left out: the time the request arrives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// Lead field → where its value is.
    pub fields: BTreeMap<String, FieldMapping>,
}

/// Where one lead field's value is, and how it is translated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum FieldMapping {
    /// Just a path: the value as the CRM sends it, coerced.
    Path(String),
    /// A path with a translation.
    Translated(Translation),
}

/// A lead field read from one or more CRM fields, translated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Translation {
    /// Where the value is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Or: several text fields joined with a space, blanks skipped (a
    /// name from first and last name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join: Option<Vec<String>>,
    /// Picklist values: the CRM's value (as text) → the lead's value. A
    /// value not listed passes through as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub map: Option<BTreeMap<String, Value>>,
    /// For a number: divide by this (a revenue in dollars for a model that
    /// reads millions: 1000000). Dividing by a power of ten gives exactly
    /// the number a person would have typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub divide_by: Option<f64>,
}

/// The mappings we ship, for the CRMs' standard objects as their REST APIs
/// return them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// A HubSpot contact (CRM API v3: `id`, `properties`, `updatedAt`).
    Hubspot,
    /// A Salesforce Lead (REST API sObject: `Id`, `NumberOfEmployees`, ...).
    Salesforce,
}

/// What a lead field must be for the model that reads it.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FieldKind {
    /// A number (a boolean counts as 1 or 0).
    Number,
    /// One of the model's categories, as text (a boolean reads as "true"/"false").
    Category {
        /// The categories the model knows.
        categories: Vec<String>,
    },
}

/// A lead field a model reads: what it must be, and the feature's label.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ModelField {
    /// The label of the feature that reads it (`Employees`).
    pub label: String,
    /// What the value must be.
    #[serde(flatten)]
    pub kind: FieldKind,
}

impl ModelField {
    /// The lead field a feature reads and what it needs, if it reads one
    /// (activity aggregates read activities).
    pub fn of(def: &FeatureDef) -> Option<(&str, ModelField)> {
        let kind = match &def.source {
            Source::Field(field) => (field, FieldKind::Number),
            Source::Category { field, categories, .. } => {
                (field, FieldKind::Category { categories: categories.iter().map(|c| c.to_string()).collect() })
            }
            Source::Activity(_) => return None,
        };
        Some((kind.0, ModelField { label: def.wording.label.to_string(), kind: kind.1 }))
    }
}

/// A CRM value that could not become the lead's: where it was, which lead
/// field it was for, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("crm_object.{crm_field} (lead field {lead_field}): {message}")]
pub struct CrmError {
    /// The path in the CRM object.
    pub crm_field: String,
    /// The lead's field (`id`, `as_of` or `fields.<name>`).
    pub lead_field: String,
    /// What is wrong.
    pub message: String,
}

/// A mapping that cannot work, whatever the object (refused when it is set).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct MappingError {
    /// Where in the mapping (`fields.industry.map`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// The longest lead field name a mapping may name, in characters.
const MAX_NAME_CHARS: usize = 64;

impl Mapping {
    /// Checks what can be checked without an object: paths with no empty
    /// key, field names that are 1–64 characters, a translation with one
    /// source, a divisor that is a positive finite number, and picklist
    /// values a lead can hold.
    pub fn check(&self) -> Result<(), MappingError> {
        check_path("id", &self.id)?;
        if let Some(path) = &self.as_of {
            check_path("as_of", path)?;
        }
        for (name, field) in &self.fields {
            let at = format!("fields.{name}");
            if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
                return Err(MappingError {
                    field: at,
                    message: format!("a lead field name is 1–{MAX_NAME_CHARS} characters, no control characters"),
                });
            }
            match field {
                FieldMapping::Path(path) => check_path(&at, path)?,
                FieldMapping::Translated(t) => t.check(&at)?,
            }
        }
        Ok(())
    }

    /// The lead JSON (`id`, `as_of`, `fields`) this mapping reads from
    /// `object`. `kinds` says what each lead field must be for the models (fields no model
    /// reads keep any number, text or boolean); `lead_id`, when the request
    /// gives one, must agree with the object's; `now` (ms) is the `as_of`
    /// when the mapping names none. An absent, null or empty value leaves
    /// the field out (missing, as the model treats it).
    pub fn lead_json(
        &self,
        object: &Value,
        kinds: &BTreeMap<String, ModelField>,
        lead_id: Option<&str>,
        now: i64,
    ) -> Result<Map<String, Value>, CrmError> {
        let id = match (lookup(object, &self.id), lead_id) {
            (None, Some(given)) => given.to_string(),
            (None, None) => return Err(error(&self.id, "id", "is missing, and the request names no lead_id")),
            (Some(value), given) => {
                let id = match value {
                    Value::String(s) if !s.is_empty() => s.clone(),
                    Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
                    other => {
                        return Err(error(&self.id, "id", format!("expected text or a whole number, got {other}")));
                    }
                };
                if let Some(given) = given
                    && given != id
                {
                    return Err(error(&self.id, "id", format!("{id:?} is not the request's lead_id {given:?}")));
                }
                id
            }
        };
        let as_of = match &self.as_of {
            None => now,
            Some(path) => match lookup(object, path) {
                None => return Err(error(path, "as_of", "is missing")),
                Some(value) => epoch_ms(value).map_err(|message| error(path, "as_of", message))?,
            },
        };
        let mut fields = Map::new();
        for (name, mapping) in &self.fields {
            let lead_field = format!("fields.{name}");
            let value = match mapping {
                FieldMapping::Path(path) => match lookup(object, path) {
                    None => continue,
                    Some(raw) => {
                        coerce(raw, kinds.get(name).map(|f| &f.kind), None).map_err(|m| error(path, &lead_field, m))?
                    }
                },
                FieldMapping::Translated(t) => t.value(object, kinds.get(name).map(|f| &f.kind), &lead_field)?,
            };
            if let Some(value) = value {
                fields.insert(name.clone(), value);
            }
        }
        let mut lead = Map::new();
        lead.insert("id".into(), Value::String(id));
        let as_of = DateTime::<Utc>::from_timestamp_millis(as_of)
            .ok_or_else(|| error(self.as_of.as_deref().unwrap_or("as_of"), "as_of", "is out of range"))?;
        lead.insert("as_of".into(), Value::String(as_of.to_rfc3339_opts(SecondsFormat::Millis, true)));
        lead.insert("fields".into(), Value::Object(fields));
        Ok(lead)
    }
}

impl Translation {
    fn check(&self, at: &str) -> Result<(), MappingError> {
        match (&self.path, &self.join) {
            (Some(path), None) => check_path(at, path)?,
            (None, Some(paths)) if !paths.is_empty() => {
                for (i, path) in paths.iter().enumerate() {
                    check_path(&format!("{at}.join[{i}]"), path)?;
                }
            }
            _ => {
                let message = "give either path or join (a non-empty list of paths)".into();
                return Err(MappingError { field: at.into(), message });
            }
        }
        if let Some(divisor) = self.divide_by
            && !(divisor.is_finite() && divisor > 0.0)
        {
            return Err(MappingError { field: format!("{at}.divide_by"), message: "a positive number".into() });
        }
        for (key, value) in self.map.iter().flatten() {
            if !matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null) {
                let message = format!("{key:?} maps to {value}: a lead value is a number, text, boolean or null");
                return Err(MappingError { field: format!("{at}.map"), message });
            }
        }
        Ok(())
    }

    /// The lead value, `None` when the CRM has none.
    fn value(&self, object: &Value, kind: Option<&FieldKind>, lead_field: &str) -> Result<Option<Value>, CrmError> {
        if let Some(paths) = &self.join {
            let mut parts = Vec::new();
            for path in paths {
                match lookup(object, path) {
                    None => {}
                    Some(Value::String(s)) if s.trim().is_empty() => {}
                    Some(Value::String(s)) => parts.push(s.trim().to_string()),
                    Some(other) => return Err(error(path, lead_field, format!("expected text to join, got {other}"))),
                }
            }
            let joined = parts.join(" ");
            return coerce(&Value::String(joined), kind, None).map_err(|m| error(&paths.join("+"), lead_field, m));
        }
        let path = self.path.as_deref().unwrap_or_default();
        let Some(raw) = lookup(object, path) else { return Ok(None) };
        let translated = match &self.map {
            Some(map) => map.get(&as_text(raw)).unwrap_or(raw),
            None => raw,
        };
        coerce(translated, kind, self.divide_by).map_err(|m| error(path, lead_field, m))
    }
}

fn error(crm_field: &str, lead_field: &str, message: impl Into<String>) -> CrmError {
    CrmError { crm_field: crm_field.into(), lead_field: lead_field.into(), message: message.into() }
}

fn check_path(at: &str, path: &str) -> Result<(), MappingError> {
    if path.is_empty() || path.split('.').any(str::is_empty) {
        let message = format!("path {path:?}: dot-separated keys, none empty");
        return Err(MappingError { field: at.into(), message });
    }
    Ok(())
}

/// The value at a dot-separated path; `None` when absent or null.
fn lookup<'a>(object: &'a Value, path: &str) -> Option<&'a Value> {
    let mut at = object;
    for key in path.split('.') {
        at = at.as_object()?.get(key)?;
    }
    (!at.is_null()).then_some(at)
}

/// A CRM value as the text a picklist map is keyed by.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value as the lead field `kind` needs; `None` for an empty value (the
/// field is missing). The error is the message.
fn coerce(value: &Value, kind: Option<&FieldKind>, divide_by: Option<f64>) -> Result<Option<Value>, String> {
    if let Value::String(s) = value
        && s.trim().is_empty()
    {
        return Ok(None);
    }
    let value = match (kind, value) {
        (_, Value::Null) => return Ok(None),
        (_, Value::Array(_) | Value::Object(_)) => {
            return Err(format!("expected a number, text or boolean, got {value}"));
        }
        (Some(FieldKind::Number), Value::String(s)) => match s.trim() {
            t if t.eq_ignore_ascii_case("true") => Value::Bool(true),
            t if t.eq_ignore_ascii_case("false") => Value::Bool(false),
            t => match t.parse::<f64>() {
                Ok(n) if n.is_finite() => number(n)?,
                _ => return Err(format!("expected a number, got the text {s:?}")),
            },
        },
        (Some(FieldKind::Category { .. }), Value::Number(n)) => match n.as_i64() {
            Some(whole) => Value::String(whole.to_string()),
            None => return Err(format!("expected one of the model's categories as text, got the number {n}")),
        },
        (_, other) => other.clone(),
    };
    match (divide_by, &value) {
        (None, _) => Ok(Some(value)),
        (Some(divisor), Value::Number(n)) => number(n.as_f64().unwrap_or(f64::NAN) / divisor).map(Some),
        (Some(_), other) => Err(format!("expected a number to divide, got {other}")),
    }
}

fn number(n: f64) -> Result<Value, String> {
    serde_json::Number::from_f64(n).map(Value::Number).ok_or_else(|| format!("{n} is not a finite number"))
}

/// A time as milliseconds since the epoch: a whole number (or its text) of
/// milliseconds, or ISO 8601 text: RFC 3339, an offset without a colon
/// (`+0000`), no offset (UTC), or a date alone (midnight UTC).
fn epoch_ms(value: &Value) -> Result<i64, String> {
    let text = match value {
        Value::Number(n) => return n.as_i64().ok_or_else(|| format!("expected epoch milliseconds, got {n}")),
        Value::String(s) => s.trim(),
        other => return Err(format!("expected a date-time, got {other}")),
    };
    if !text.is_empty() && text.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i64>().map_err(|_| format!("{text:?} is out of range as epoch milliseconds"));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_millis());
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Ok(t.timestamp_millis());
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc().timestamp_millis());
    }
    Err(format!("{text:?} is not a date-time (ISO 8601, or epoch milliseconds)"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn kinds() -> BTreeMap<String, ModelField> {
        let field = |kind| ModelField { label: String::new(), kind };
        let categories =
            |c: &[&str]| field(FieldKind::Category { categories: c.iter().map(|s| s.to_string()).collect() });
        BTreeMap::from([
            ("employees".into(), field(FieldKind::Number)),
            ("annual_revenue_musd".into(), field(FieldKind::Number)),
            ("industry".into(), categories(&["software", "finance"])),
            ("uses_competitor".into(), categories(&["false", "true"])),
        ])
    }

    #[test]
    fn times_in_the_shapes_crms_send_them() {
        let ms = |v: Value| epoch_ms(&v);
        let t = 1_790_856_000_000; // 2026-10-01T12:00:00Z
        assert_eq!(ms(json!("2026-10-01T12:00:00.000+0000")), Ok(t));
        assert_eq!(ms(json!("2026-10-01T14:00:00+0200")), Ok(t));
        assert_eq!(ms(json!("2026-10-01T12:00:00Z")), Ok(t));
        assert_eq!(ms(json!("2026-10-01T12:00:00.000Z")), Ok(t));
        assert_eq!(ms(json!("2026-10-01T12:00:00")), Ok(t));
        assert_eq!(ms(json!("2026-10-01 12:00:00")), Ok(t));
        assert_eq!(ms(json!(t.to_string())), Ok(t));
        assert_eq!(ms(json!(t)), Ok(t));
        assert_eq!(ms(json!("2026-10-01")), Ok(t - 12 * 3_600_000));
        assert!(ms(json!("01/10/2026")).unwrap_err().contains("not a date-time"));
        assert!(ms(json!(1.5)).is_err());
        assert!(ms(json!(true)).is_err());
    }

    #[test]
    fn numbers_booleans_and_categories_are_coerced_to_what_the_model_reads() {
        let kinds = kinds();
        let kind = |name: &str| kinds.get(name).map(|f| &f.kind);
        let (number, category) = (kind("employees"), kind("industry"));
        assert_eq!(coerce(&json!("1200"), number, None), Ok(Some(json!(1200.0))));
        assert_eq!(coerce(&json!(" 12.5 "), number, None), Ok(Some(json!(12.5))));
        assert_eq!(coerce(&json!("true"), number, None), Ok(Some(json!(true))));
        assert_eq!(coerce(&json!(""), number, None), Ok(None));
        assert_eq!(coerce(&json!(null), number, None), Ok(None));
        for text in ["1000+", "1,200", "NaN", "inf", "infinity"] {
            assert!(coerce(&json!(text), number, None).unwrap_err().contains("expected a number"), "{text}");
        }
        assert_eq!(coerce(&json!(12_500_000), number, Some(1e6)), Ok(Some(json!(12.5))));
        assert_eq!(coerce(&json!("12500000"), number, Some(1e6)), Ok(Some(json!(12.5))));
        assert_eq!(coerce(&json!("Software"), category, None), Ok(Some(json!("Software"))));
        assert_eq!(coerce(&json!(3), category, None), Ok(Some(json!("3"))));
        assert!(coerce(&json!(3.5), category, None).is_err());
        assert_eq!(coerce(&json!(false), kind("uses_competitor"), None), Ok(Some(json!(false))));
        assert!(coerce(&json!({"a": 1}), None, None).is_err());
    }

    #[test]
    fn a_value_that_cannot_be_read_names_the_crm_field_and_the_lead_field() {
        let object = json!({"id": "512", "updatedAt": "2026-10-01T12:00:00Z", "properties": {"numemployees": "1000+"}});
        let error = Preset::Hubspot.mapping().lead_json(&object, &kinds(), None, 0).unwrap_err();
        assert_eq!(error.crm_field, "properties.numemployees");
        assert_eq!(error.lead_field, "fields.employees");
        assert_eq!(
            error.to_string(),
            "crm_object.properties.numemployees (lead field fields.employees): expected a number, got the text \"1000+\""
        );
    }

    #[test]
    fn ids_as_of_and_picklists() {
        let mapping = Preset::Salesforce.mapping();
        let object = json!({
            "attributes": {"type": "Lead"},
            "Id": "00Q5e00000AbCdEFGH", "LastModifiedDate": "2026-10-01T12:00:00.000+0000",
            "Name": "Ada Lovelace", "NumberOfEmployees": 1200, "Industry": "Banking", "LeadSource": "Phone Inquiry",
            "Country": "Germany", "Uses_Competitor__c": true, "AnnualRevenue": null,
        });
        let lead = mapping.lead_json(&object, &kinds(), None, 0).unwrap();
        assert_eq!(lead["id"], "00Q5e00000AbCdEFGH");
        assert_eq!(lead["as_of"], "2026-10-01T12:00:00.000Z");
        let fields = lead["fields"].as_object().unwrap();
        assert_eq!(fields["industry"], "finance");
        assert_eq!(fields["lead_source"], "Phone Inquiry", "an unmapped picklist value passes through");
        assert_eq!(fields["region"], "europe");
        assert_eq!(fields["uses_competitor"], true);
        assert!(!fields.contains_key("annual_revenue_musd"), "null is missing");
        let other = mapping.lead_json(&object, &kinds(), Some("00Q-other"), 0).unwrap_err();
        assert_eq!(other.lead_field, "id");
        let no_id = json!({"LastModifiedDate": "2026-10-01T12:00:00Z"});
        assert_eq!(mapping.lead_json(&no_id, &kinds(), Some("L-1"), 0).unwrap()["id"], "L-1");
        assert!(mapping.lead_json(&json!({"Id": "x"}), &kinds(), None, 0).unwrap_err().message.contains("missing"));
    }

    #[test]
    fn a_mapping_that_cannot_work_is_refused_naming_where() {
        assert!(Preset::Hubspot.mapping().check().is_ok());
        assert!(Preset::Salesforce.mapping().check().is_ok());
        let mut mapping = Preset::Hubspot.mapping();
        mapping.id = "properties..id".into();
        assert_eq!(mapping.check().unwrap_err().field, "id");
        let mut mapping = Preset::Hubspot.mapping();
        mapping.fields.insert(
            "revenue".into(),
            FieldMapping::Translated(Translation {
                path: Some("a".into()),
                join: None,
                map: None,
                divide_by: Some(0.0),
            }),
        );
        assert_eq!(mapping.check().unwrap_err().field, "fields.revenue.divide_by");
        let parsed: Mapping = serde_json::from_value(
            json!({"id": "Id", "fields": {"industry": {"path": "Industry", "map": {"Banking": "finance"}}}}),
        )
        .unwrap();
        assert!(parsed.check().is_ok());
    }
}
