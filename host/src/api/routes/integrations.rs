//! Connecting a CRM: `GET/PUT /integrations/mapping` (how the tenant's CRM
//! objects become leads), `GET/PUT /integrations/settings` (how often its
//! leads are rescored), and [`crm_lead`], which the scoring paths use to
//! read a `crm_object` through the mapping.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use guest_model::lead::Lead;
use guest_model::load::lead_json;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::api::error::{ApiError, ErrorBody};
use crate::api::state::AppState;
use crate::api::validate::parse_body;
use crate::auth::{ADMIN_MODELS, Caller, READ_LEADS};
use crate::pipeline::db::now_ms;
use crate::runtime::lead::crm::{Mapping, ModelField, Preset};

/// The body of `PUT /integrations/mapping`: a preset, or a mapping.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum MappingRequest {
    /// `{"preset": "hubspot"}`: the mapping we ship for that CRM.
    Preset(PresetRequest),
    /// A mapping of the tenant's own.
    Mapping(Mapping),
}

/// A preset by name.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresetRequest {
    /// hubspot or salesforce.
    preset: Preset,
}

/// A tenant's mapping, and what the models it is routed to read.
#[derive(Serialize, ToSchema)]
pub struct MappingView {
    /// The preset the mapping is, when it is one.
    preset: Option<Preset>,
    /// The mapping (null: none set; `crm_object` requests are refused).
    mapping: Option<Mapping>,
    /// When it was set (ms since the epoch).
    updated_at: Option<i64>,
    /// Lead field → what the tenant's model versions need of it.
    model_fields: BTreeMap<String, ModelField>,
    /// Lead fields the models read that the mapping leaves out: they are
    /// missing in every lead read through it.
    unmapped: Vec<String>,
}

/// The tenant's CRM mapping.
#[utoipa::path(
    get, path = "/integrations/mapping",
    responses(
        (status = 200, body = MappingView),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn get_mapping(State(state): State<Arc<AppState>>, caller: Caller) -> Result<Json<MappingView>, ApiError> {
    caller.require(READ_LEADS)?;
    let db = &state.pipeline.db;
    let row = state.stored("reading the CRM mapping", || db.mapping(&caller.org)).await?;
    let (preset, mapping, updated_at) = match row {
        None => (None, None, None),
        Some(row) => {
            let preset = row.preset.and_then(|p| serde_json::from_value(Value::String(p)).ok());
            (preset, serde_json::from_str(&row.mapping).ok(), Some(row.updated_at))
        }
    };
    Ok(Json(view(&state, &caller.org, preset, mapping, updated_at)))
}

/// Sets the tenant's CRM mapping: a preset (`{"preset": "hubspot"}`) or its
/// own (`{"id", "as_of", "fields"}`).
#[utoipa::path(
    put, path = "/integrations/mapping", request_body = MappingRequest,
    responses(
        (status = 200, description = "The mapping as set", body = MappingView),
        (status = 400, description = "Not a mapping (the message names the field)", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn put_mapping(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<MappingView>, ApiError> {
    caller.require(ADMIN_MODELS)?;
    // An untagged enum's error names no field: read the preset form when
    // the body names a preset, the mapping otherwise.
    let names_preset = serde_json::from_slice::<Map<String, Value>>(&body).is_ok_and(|m| m.contains_key("preset"));
    let request = match names_preset {
        true => MappingRequest::Preset(parse_body(&body, "invalid_mapping")?),
        false => MappingRequest::Mapping(parse_body(&body, "invalid_mapping")?),
    };
    let (preset, mapping) = match request {
        MappingRequest::Preset(p) => (Some(p.preset), p.preset.mapping()),
        MappingRequest::Mapping(m) => (None, m),
    };
    mapping.check().map_err(|e| ApiError::invalid("invalid_mapping", e.to_string()))?;
    let json = serde_json::to_string(&mapping).map_err(|e| ApiError::Internal(e.to_string()))?;
    let preset_name = preset.map(|p| p.name());
    let db = &state.pipeline.db;
    let updated_at =
        state.stored("saving the CRM mapping", || db.save_mapping(&caller.org, preset_name, &json)).await?;
    Ok(Json(view(&state, &caller.org, preset, Some(mapping), Some(updated_at))))
}

fn view(
    state: &AppState,
    org: &str,
    preset: Option<Preset>,
    mapping: Option<Mapping>,
    updated_at: Option<i64>,
) -> MappingView {
    let model_fields = state.scorer.registry.router().model_fields(Some(org));
    let unmapped = match &mapping {
        None => Vec::new(),
        Some(m) => model_fields.keys().filter(|f| !m.fields.contains_key(*f)).cloned().collect(),
    };
    MappingView { preset, mapping, updated_at, model_fields, unmapped }
}

/// The lead JSON a tenant's `crm_object` reads as, through its mapping,
/// each value coerced to what its model versions read. `lead_id`, when the
/// request gives one, is the id when the object has none and must agree
/// when it has. A 400 names the CRM field and the lead field
/// (`invalid_crm_object`), or says that the tenant has no mapping
/// (`no_mapping`).
pub async fn crm_lead(
    state: &AppState,
    org: &str,
    lead_id: Option<&str>,
    object: &Value,
) -> Result<Map<String, Value>, ApiError> {
    if !object.is_object() {
        return Err(ApiError::invalid("invalid_crm_object", "crm_object: expected the CRM's object (JSON object)"));
    }
    let db = &state.pipeline.db;
    let Some(row) = state.stored("reading the CRM mapping", || db.mapping(org)).await? else {
        let message = "crm_object: this tenant has no CRM mapping; set one with PUT /integrations/mapping";
        return Err(ApiError::invalid("no_mapping", message));
    };
    let mapping: Mapping = serde_json::from_str(&row.mapping)
        .map_err(|e| ApiError::Internal(format!("the stored CRM mapping does not read: {e}")))?;
    let fields = state.scorer.registry.router().model_fields(Some(org));
    mapping
        .lead_json(object, &fields, lead_id, now_ms())
        .map_err(|e| ApiError::invalid("invalid_crm_object", e.to_string()))
}

/// A lead read from a CRM object with the activities of the tenant's stored
/// lead of that id (a CRM object holds fields, not activity history: that
/// arrives as events, `POST /leads/{lead_id}/activities`).
pub async fn with_stored_activities(
    state: &AppState,
    org: &str,
    mut lead: Map<String, Value>,
) -> Result<Map<String, Value>, ApiError> {
    let id = lead.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
    let db = &state.pipeline.db;
    let stored = state.stored("reading the lead", || db.stored_lead(org, &id)).await?;
    let activities = stored
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|mut v| v.get_mut("activities").map(Value::take));
    if let Some(activities) = activities {
        lead.insert("activities".into(), activities);
    }
    Ok(lead)
}

/// A CRM object as a lead to score: read through the tenant's mapping, with
/// the stored lead's activities (a CRM object holds fields, not history);
/// the lead and its lead JSON.
pub async fn crm_lead_with_activities(
    state: &AppState,
    org: &str,
    lead_id: Option<&str>,
    object: &Value,
) -> Result<(Lead, String), ApiError> {
    let lead = Value::Object(with_stored_activities(state, org, crm_lead(state, org, lead_id, object).await?).await?);
    let parsed = lead_json::from_json(&lead).map_err(|e| ApiError::invalid("invalid_lead", e.to_string()))?;
    Ok((parsed, lead.to_string()))
}

/// The stored lead takes the fields and `as_of` a CRM object gave
/// (`lead`: lead JSON with its id), keeping its activities.
pub async fn store_crm_fields(state: &AppState, org: &str, lead: &Map<String, Value>) -> Result<(), ApiError> {
    let id = lead.get("id").and_then(Value::as_str).unwrap_or_default();
    let seed = Value::Object(lead.clone()).to_string();
    let update = |context: &str, _: &[usize]| -> Result<Option<String>, ApiError> {
        let mut stored: Map<String, Value> = serde_json::from_str(context).unwrap_or_default();
        for key in ["fields", "as_of"] {
            if let Some(value) = lead.get(key) {
                stored.insert(key.into(), value.clone());
            }
        }
        let text = Value::Object(stored).to_string();
        Ok((text != context).then_some(text))
    };
    let db = &state.pipeline.db;
    state.stored("storing the lead", || db.change_stored_lead(org, id, &[], &seed, None, &update)).await?.map(|_| ())
}

/// A tenant's integration settings.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationSettings {
    /// A lead whose latest score is older than this is rescored at as_of =
    /// now (windowed features decay; the trend shows it), in hours, 0–8760;
    /// 0: never. The service's default (`serve --rescore-every-hours`, 24)
    /// until the tenant sets one.
    #[schema(minimum = 0, maximum = 8760)]
    rescore_every_hours: f64,
}

/// The tenant's integration settings.
#[utoipa::path(
    get, path = "/integrations/settings",
    responses(
        (status = 200, body = IntegrationSettings),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn get_integration_settings(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<IntegrationSettings>, ApiError> {
    caller.require(READ_LEADS)?;
    let db = &state.pipeline.db;
    let hours = state.stored("reading the settings", || db.rescore_every_hours(&caller.org)).await?;
    Ok(Json(IntegrationSettings { rescore_every_hours: hours.unwrap_or(state.pipeline.config.rescore_every_hours) }))
}

/// Sets the tenant's integration settings.
#[utoipa::path(
    put, path = "/integrations/settings", request_body = IntegrationSettings,
    responses(
        (status = 200, description = "As set", body = IntegrationSettings),
        (status = 400, description = "Out of range (the message names the field)", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn put_integration_settings(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<IntegrationSettings>, ApiError> {
    caller.require(ADMIN_MODELS)?;
    let settings: IntegrationSettings = parse_body(&body, "invalid_settings")?;
    let hours = settings.rescore_every_hours;
    if !(hours.is_finite() && (0.0..=8760.0).contains(&hours)) {
        return Err(ApiError::invalid("invalid_settings", format!("rescore_every_hours {hours}: expected 0 – 8760")));
    }
    let db = &state.pipeline.db;
    state.stored("saving the settings", || db.save_rescore_every_hours(&caller.org, hours)).await?;
    Ok(Json(settings))
}
