//! Lead JSON → the component's `lead` record; [`locate`] finds the field and
//! the id in lead text that does not read; [`crm`] reads a CRM's own object
//! into lead JSON.

pub mod crm;
pub mod locate;

use guest_model::lead::{self, Value};
use guest_model::load::lead_json::{self, LeadError};

use crate::bindings::{Activity, Field, FieldValue, Lead};

/// Milliseconds since the epoch as lead JSON and the API write times:
/// RFC 3339, UTC, with milliseconds (`2026-06-15T12:27:37.000Z`).
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Parses lead JSON text into the record the component takes.
pub fn parse(text: &str) -> Result<Lead, LeadError> {
    lead_json::parse(text).map(to_wit)
}

/// The library's lead as the WIT record.
pub fn to_wit(lead: lead::Lead) -> Lead {
    Lead {
        id: lead.id,
        as_of_ms: lead.as_of,
        fields: fields(lead.fields),
        activities: lead
            .activities
            .into_iter()
            .map(|a| Activity { kind: a.kind, at_ms: a.at, attributes: fields(a.attributes) })
            .collect(),
    }
}

fn fields(pairs: Vec<(String, Value)>) -> Vec<Field> {
    pairs
        .into_iter()
        .map(|(name, value)| Field {
            name,
            value: match value {
                Value::Number(v) => FieldValue::Number(v),
                Value::Text(t) => FieldValue::Text(t),
                Value::Bool(b) => FieldValue::Boolean(b),
            },
        })
        .collect()
}
