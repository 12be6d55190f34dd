//! Lead JSON → [`Lead`], with errors that name the offending field:
//! `{"id": str, "as_of": RFC 3339, "fields": {name: number | string | bool |
//! null}, "activities": [{"kind": str, "at": RFC 3339, ...attributes}]}`.

use std::collections::BTreeMap;

use serde_json::value::RawValue;
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

/// Parses one lead from JSON text (a leading byte order mark is skipped).
/// A value JSON allows but no lead can hold — a number beyond f64's range
/// such as `1e400`, or a lone UTF-16 surrogate escape — is an error naming
/// its field (`fields.employees`).
pub fn parse(text: &str) -> Result<Lead, LeadError> {
    let text = skip_bom(text);
    let json: Json = match serde_json::from_str(text) {
        Ok(json) => json,
        Err(e) => return Err(locate(text).unwrap_or_else(|| invalid("lead", format!("not valid JSON: {e}")))),
    };
    from_json(&json)
}

/// The `id` of a lead JSON object, if it has a usable one (for error lines),
/// even when another of its values cannot be read.
pub fn id_of(text: &str) -> Option<String> {
    let text = skip_bom(text);
    match serde_json::from_str::<Json>(text) {
        Ok(json) => json.get("id")?.as_str().map(str::to_string),
        Err(_) => {
            let object: BTreeMap<String, Box<RawValue>> = serde_json::from_str(text).ok()?;
            serde_json::from_str::<String>(object.get("id")?.get()).ok()
        }
    }
}

fn skip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// For a lead that is well-formed JSON but has a value serde_json cannot
/// represent (a number out of range, a lone surrogate): the error at the
/// first such value, named by its path. `None` if that is not the problem.
fn locate(text: &str) -> Option<LeadError> {
    type Raw = Box<RawValue>;
    let bad = |raw: &RawValue| serde_json::from_str::<Json>(raw.get()).err();
    let error = |path: String, e: serde_json::Error| {
        let message = e.to_string();
        // serde_json ends its messages with " at line 1 column 5": the
        // position inside the value alone would mislead.
        let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m);
        let message = match message {
            "number out of range" => "number out of range (beyond what a 64-bit float can hold)",
            other => other,
        };
        invalid(path, message)
    };
    let object: BTreeMap<String, Raw> = serde_json::from_str(text).ok()?;
    for (key, raw) in &object {
        let Some(e) = bad(raw) else { continue };
        let fields = |map: &BTreeMap<String, Raw>, path: &str| {
            map.iter().find_map(|(name, raw)| Some(error(format!("{path}.{name}"), bad(raw)?)))
        };
        let inner = match key.as_str() {
            "fields" => {
                serde_json::from_str::<BTreeMap<String, Raw>>(raw.get()).ok().and_then(|m| fields(&m, "fields"))
            }
            "activities" => serde_json::from_str::<Vec<Raw>>(raw.get()).ok().and_then(|items| {
                items.iter().enumerate().find_map(|(i, item)| {
                    let map = serde_json::from_str::<BTreeMap<String, Raw>>(item.get()).ok()?;
                    fields(&map, &format!("activities[{i}]"))
                })
            }),
            _ => None,
        };
        return Some(inner.unwrap_or_else(|| error(key.clone(), e)));
    }
    None
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
    let as_of = timestamp(object.get("as_of"), "as_of", Rounding::Down)?;
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
    let at = timestamp(object.get("at"), &format!("{path}.at"), Rounding::Up)?;
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

/// Which way a timestamp finer than a millisecond goes.
#[derive(Clone, Copy, PartialEq)]
enum Rounding {
    Down,
    Up,
}

/// Leads carry whole milliseconds. `as_of` is rounded down and activity
/// times up, so an activity a fraction of a millisecond after `as_of` stays
/// after it (ignored) and one a fraction after a window opens stays inside
/// (`as_of − window < at ≤ as_of` holds exactly when `as_of` is a whole
/// millisecond).
fn timestamp(json: Option<&Json>, field: &str, rounding: Rounding) -> Result<Millis, LeadError> {
    match json {
        Some(Json::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| {
                let fraction = t.timestamp_subsec_nanos() % 1_000_000 != 0;
                t.timestamp_millis() + i64::from(rounding == Rounding::Up && fraction)
            })
            .map_err(|e| invalid(field, format!("{s:?} is not an RFC 3339 timestamp ({e})"))),
        Some(_) => Err(invalid(field, "must be an RFC 3339 timestamp string")),
        None => Err(invalid(field, "is required (an RFC 3339 timestamp)")),
    }
}
