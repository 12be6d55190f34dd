//! Lead JSON → [`Lead`], with errors that name the offending field:
//! `{"id": str, "as_of": RFC 3339, "fields": {name: number | string | bool |
//! null}, "activities": [{"kind": str, "at": RFC 3339, ...attributes}]}`.

use serde_json::{Map, Value as Json};

use crate::lead::{Activity, Lead, Millis, Value};

/// What is wrong with a lead, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct LeadError {
    /// Path of the offending field (`as_of`, `activities[2].at`, ...).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> LeadError {
    LeadError { field: field.into(), message: message.into() }
}

/// Parses one lead from JSON text.
pub fn parse(text: &str) -> Result<Lead, LeadError> {
    let json: Json = serde_json::from_str(text).map_err(|e| invalid("lead", format!("not valid JSON: {e}")))?;
    from_json(&json)
}

/// The `id` of a lead JSON object, if it has a usable one (for error lines).
pub fn id_of(text: &str) -> Option<String> {
    let json: Json = serde_json::from_str(text).ok()?;
    json.get("id")?.as_str().map(str::to_string)
}

/// Converts a parsed JSON value into a lead.
pub fn from_json(json: &Json) -> Result<Lead, LeadError> {
    let object = json.as_object().ok_or_else(|| invalid("lead", "must be a JSON object"))?;
    for key in object.keys() {
        if !["id", "as_of", "fields", "activities"].contains(&key.as_str()) {
            return Err(invalid(key.as_str(), "unknown key (expected id, as_of, fields, activities)"));
        }
    }
    let id = match object.get("id") {
        Some(Json::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Json::String(_)) => return Err(invalid("id", "must not be empty")),
        Some(_) => return Err(invalid("id", "must be a string")),
        None => return Err(invalid("id", "is required")),
    };
    let as_of = timestamp(object.get("as_of"), "as_of")?;
    let fields = match object.get("fields") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Object(map)) => values(map, "fields", &[])?,
        Some(_) => return Err(invalid("fields", "must be an object of name → number | string | bool | null")),
    };
    let activities = match object.get("activities") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(items)) => items.iter().enumerate().map(|(i, a)| activity(a, i)).collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid("activities", "must be an array")),
    };
    Ok(Lead { id, as_of, fields, activities })
}

fn activity(json: &Json, index: usize) -> Result<Activity, LeadError> {
    let path = format!("activities[{index}]");
    let object = json.as_object().ok_or_else(|| invalid(&path, "must be an object"))?;
    let kind = match object.get("kind") {
        Some(Json::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(invalid(format!("{path}.kind"), "is required and must be a non-empty string")),
    };
    let at = timestamp(object.get("at"), &format!("{path}.at"))?;
    let attributes = values(object, &path, &["kind", "at"])?;
    Ok(Activity { kind, at, attributes })
}

/// Name → scalar pairs; null means absent; objects and arrays are refused.
fn values(map: &Map<String, Json>, path: &str, skip: &[&str]) -> Result<Vec<(String, Value)>, LeadError> {
    let mut out = Vec::with_capacity(map.len());
    for (name, json) in map {
        if skip.contains(&name.as_str()) {
            continue;
        }
        let value = match json {
            Json::Null => continue,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => {
                Value::Number(n.as_f64().ok_or_else(|| invalid(format!("{path}.{name}"), "number out of range"))?)
            }
            Json::String(s) => Value::Text(s.clone()),
            Json::Array(_) | Json::Object(_) => {
                return Err(invalid(format!("{path}.{name}"), "must be a number, string, bool or null"));
            }
        };
        out.push((name.clone(), value));
    }
    Ok(out)
}

fn timestamp(json: Option<&Json>, field: &str) -> Result<Millis, LeadError> {
    match json {
        Some(Json::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp_millis())
            .map_err(|e| invalid(field, format!("{s:?} is not an RFC 3339 timestamp ({e})"))),
        Some(_) => Err(invalid(field, "must be an RFC 3339 timestamp string")),
        None => Err(invalid(field, "is required (an RFC 3339 timestamp)")),
    }
}
