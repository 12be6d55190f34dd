//! What a CRM tells us about a lead between scorings: activity events
//! (`POST /leads/{lead_id}/activities`, each applied once, by its
//! `event_id`) and field updates (`PATCH /leads/{lead_id}`), kept in the
//! stored lead, each optionally asking for a rescore (debounced per lead).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::api::error::{ApiError, ErrorBody};
use crate::api::routes::leads::LeadPath;
use crate::api::state::AppState;
use crate::api::validate::{check_id, check_lead, parse_body};
use crate::auth::{Caller, WRITE_LEADS};
use crate::pipeline::db::now_ms;
use crate::pipeline::db::stored::Stored;
use crate::runtime::lead::rfc3339;
use guest_model::load::lead_json;

/// The body of `POST /leads/{lead_id}/activities`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivitiesRequest {
    /// One or more events: an activity (`kind`, `at`, attributes) with the
    /// CRM's `event_id` (1–200 characters), unique per lead: an event whose
    /// id the lead has seen is ignored, so a redelivered webhook counts once.
    #[schema(value_type = Vec<ActivityEvent>)]
    activities: Vec<Map<String, Value>>,
    /// Rescore the lead (at `as_of` = now) once the burst is over: events
    /// within the debounce window (`serve --rescore-debounce-ms`) cause one
    /// rescore.
    #[serde(default)]
    rescore: bool,
}

/// One activity event (for the OpenAPI document): an activity of the lead
/// JSON (`kind`, `at`, attributes such as `page`) with the CRM's id.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ActivityEvent {
    /// The CRM's id of the event: 1–200 characters, unique per lead.
    #[schema(max_length = 200)]
    event_id: String,
    /// page_view, email_open, demo_request, ...
    #[schema(min_length = 1)]
    kind: String,
    /// When it happened (not in the future).
    #[schema(format = DateTime)]
    at: String,
}

/// The body of `PATCH /leads/{lead_id}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadPatch {
    /// Field name → its new value (number, text or boolean); null removes it.
    #[schema(value_type = Object)]
    fields: Map<String, Value>,
    /// Rescore the lead (debounced, as for activities).
    #[serde(default)]
    rescore: bool,
}

/// What the stored lead became.
#[derive(Serialize, ToSchema)]
pub struct StoredLead {
    /// The lead.
    lead_id: String,
    /// Events in the request.
    received: usize,
    /// Events new to the lead, now in its activities.
    new: usize,
    /// Events seen before, ignored.
    duplicates: usize,
    /// The stored lead's activities.
    activities: usize,
    /// When its rescore is due (ms since the epoch), if one is pending.
    rescore_due_at: Option<i64>,
}

/// Appends activity events to the stored lead (created if the tenant has
/// none), each once: a repeated `event_id` changes nothing.
#[utoipa::path(
    post, path = "/leads/{lead_id}/activities", params(LeadPath), request_body = ActivitiesRequest,
    responses(
        (status = 200, description = "Stored (new events) or ignored (repeated ids)", body = StoredLead),
        (status = 400, description = "A malformed event (the message names it), or the lead would exceed its size limits (lead_too_large; nothing is stored)", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn append_activities(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(lead_id): Path<String>,
    body: Bytes,
) -> Result<Json<StoredLead>, ApiError> {
    caller.require(WRITE_LEADS)?;
    check_id("lead_id", &lead_id)?;
    let request: ActivitiesRequest = parse_body(&body, "invalid_activities")?;
    if request.activities.is_empty() {
        return Err(ApiError::invalid("invalid_activities", "activities: at least one event"));
    }
    state.lead_limits.check_activities(request.activities.len(), "")?;
    // Each event's id, then the activity itself, read as a lead's activity is.
    let mut event_ids = Vec::with_capacity(request.activities.len());
    for (i, event) in request.activities.iter().enumerate() {
        match event.get("event_id") {
            Some(Value::String(id)) => {
                check_id(&format!("activities[{i}].event_id"), id)?;
                event_ids.push(id.as_str());
            }
            _ => {
                let message = format!("activities[{i}].event_id: required, the CRM's id of the event (text)");
                return Err(ApiError::invalid("invalid_activities", message));
            }
        }
    }
    let now = now_ms();
    let probe = json!({"id": lead_id, "as_of": rfc3339(now), "activities": request.activities});
    let lead = lead_json::from_json(&probe).map_err(|e| ApiError::invalid("invalid_activities", e.to_string()))?;
    let lead = check_lead(lead, "", &state.bounds, &state.lead_limits)?;
    for (i, activity) in lead.activities.iter().enumerate() {
        state
            .bounds
            .check_not_future(activity.at, now)
            .map_err(|e| ApiError::invalid("invalid_activities", format!("activities[{i}].{e}")))?;
    }
    let newest = lead.activities.iter().map(|a| a.at).max();

    let seed = seed(&state, &caller.org, &lead_id, newest.unwrap_or(now)).await?;
    let limits = state.lead_limits;
    let append = |context: &str, new: &[usize]| -> Result<Option<String>, ApiError> {
        if new.is_empty() {
            return Ok(None);
        }
        let mut stored = stored_json(context)?;
        let activities = stored.entry("activities").or_insert_with(|| Value::Array(Vec::new()));
        let Value::Array(activities) = activities else {
            return Err(ApiError::Internal("the stored lead's activities are not a list".into()));
        };
        activities.extend(new.iter().map(|&i| Value::Object(request.activities[i].clone())));
        limits.check_activities(activities.len(), "")?;
        if let Some(newest) = newest {
            advance_as_of(&mut stored, newest);
        }
        let text = Value::Object(stored).to_string();
        limits.check_bytes(text.len(), "")?;
        Ok(Some(text))
    };
    let db = &state.pipeline.db;
    let debounce = request.rescore.then(|| state.pipeline.config.rescore_debounce.as_millis() as i64);
    let stored = state
        .stored("storing the activities", || {
            db.change_stored_lead(&caller.org, &lead_id, &event_ids, &seed, debounce, &append)
        })
        .await??;
    Ok(answer(lead_id, event_ids.len(), stored))
}

/// Updates fields of the stored lead (null removes one).
#[utoipa::path(
    patch, path = "/leads/{lead_id}", params(LeadPath), request_body = LeadPatch,
    responses(
        (status = 200, description = "Stored", body = StoredLead),
        (status = 400, description = "A field that is not a number, text or boolean (the message names it)", body = ErrorBody),
        (status = 404, description = "The tenant has no such lead", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn patch_lead(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(lead_id): Path<String>,
    body: Bytes,
) -> Result<Json<StoredLead>, ApiError> {
    caller.require(WRITE_LEADS)?;
    check_id("lead_id", &lead_id)?;
    let patch: LeadPatch = parse_body(&body, "invalid_lead")?;
    // The fields read as a lead's fields are (names, values, U+0000).
    let probe = json!({"id": lead_id, "as_of": rfc3339(now_ms()), "fields": patch.fields});
    let lead = lead_json::from_json(&probe).map_err(|e| ApiError::invalid("invalid_lead", e.to_string()))?;
    check_lead(lead, "", &state.bounds, &state.lead_limits)?;
    let db = &state.pipeline.db;
    let Some(seed) = state.stored("reading the lead", || db.stored_lead(&caller.org, &lead_id)).await? else {
        return Err(ApiError::NotFound(format!("no lead {lead_id:?} for this tenant")));
    };
    let limits = state.lead_limits;
    let update = |context: &str, _: &[usize]| -> Result<Option<String>, ApiError> {
        let mut stored = stored_json(context)?;
        let fields = stored.entry("fields").or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(fields) = fields else {
            return Err(ApiError::Internal("the stored lead's fields are not an object".into()));
        };
        let before = fields.clone();
        for (name, value) in &patch.fields {
            match value {
                Value::Null => fields.remove(name),
                value => fields.insert(name.clone(), value.clone()),
            };
        }
        if *fields == before {
            return Ok(None);
        }
        let text = Value::Object(stored).to_string();
        limits.check_bytes(text.len(), "")?;
        Ok(Some(text))
    };
    let debounce = patch.rescore.then(|| state.pipeline.config.rescore_debounce.as_millis() as i64);
    let stored = state
        .stored("storing the fields", || db.change_stored_lead(&caller.org, &lead_id, &[], &seed, debounce, &update))
        .await??;
    Ok(answer(lead_id, 0, stored))
}

/// The lead JSON a lead's stored state starts from: the context of its
/// latest scoring, or a lead with no fields yet as of `as_of` (ms).
async fn seed(state: &AppState, org: &str, lead_id: &str, as_of: i64) -> Result<String, ApiError> {
    let db = &state.pipeline.db;
    match state.stored("reading the lead", || db.stored_lead(org, lead_id)).await? {
        Some(context) => Ok(context),
        None => Ok(json!({"id": lead_id, "as_of": rfc3339(as_of), "fields": {}, "activities": []}).to_string()),
    }
}

fn answer(lead_id: String, received: usize, stored: Stored) -> Json<StoredLead> {
    let activities = serde_json::from_str::<Value>(&stored.context)
        .ok()
        .and_then(|v| v.get("activities").and_then(Value::as_array).map(Vec::len))
        .unwrap_or(0);
    Json(StoredLead {
        lead_id,
        received,
        new: stored.new_events.len(),
        duplicates: received - stored.new_events.len(),
        activities,
        rescore_due_at: stored.rescore_due_at,
    })
}

fn stored_json(context: &str) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_str(context) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ApiError::Internal("the stored lead is not a JSON object".into())),
    }
}

/// The stored lead's `as_of` moves forward to its newest activity (ms), so
/// that it reads whole on its own; it never moves back.
fn advance_as_of(stored: &mut Map<String, Value>, newest: i64) {
    let current = stored
        .get("as_of")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis());
    if current.is_none_or(|c| c < newest) {
        stored.insert("as_of".into(), Value::String(rfc3339(newest)));
    }
}
