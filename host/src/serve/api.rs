//! What every endpoint shares: the JSON error shape, the authenticated
//! caller, and the OpenAPI document generated from the handlers.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use crate::auth::{AuthError, Caller, TENANT_RULE, is_tenant_id};

/// An error response: `{"error": {"code", "message"}}` with its status.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub &'static str, pub String);

impl ApiError {
    /// A 400 with a code and a message naming what was wrong.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError(StatusCode::BAD_REQUEST, code, message.into())
    }
}

/// The body of every error response.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

/// What went wrong.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `invalid_lead`, `unknown_version`, ...
    pub code: String,
    /// For people: names the field or the check that failed.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.1.into(), message: self.2 } };
        let mut response = (self.0, Json(body)).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Caller, ApiError> {
        let header = parts.headers.get(AUTHORIZATION).map(|v| v.to_str().unwrap_or("(not text)"));
        state.auth.caller(header).map_err(ApiError::from)
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        match e.status() {
            403 => ApiError(StatusCode::FORBIDDEN, "forbidden", e.to_string()),
            _ => ApiError(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string()),
        }
    }
}

/// The request body limits, named in a 413.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    /// Any JSON body, in bytes.
    pub json: usize,
    /// A component upload (`POST /models`), in bytes.
    pub upload: usize,
}

/// Gives every error response the one JSON shape, `{"error": {"code",
/// "message"}}`, including the ones axum writes itself as plain text or
/// with no body: a body over its limit (413), a query string or path that
/// does not parse, a malformed multipart form, no such route (404) and a
/// method the route does not take (405).
pub async fn json_errors(
    State(limits): State<BodyLimits>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let response = next.run(request).await;
    let status = response.status();
    let json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 << 10).await.map(|b| String::from_utf8_lossy(&b).trim().to_string());
    let text = text.unwrap_or_default();
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            let limit = if path == "/models" { limits.upload } else { limits.json };
            ("payload_too_large", format!("the request body is larger than the limit of {} for {path}", size(limit)))
        }
        StatusCode::NOT_FOUND => ("not_found", format!("no route {method} {path}")),
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed = parts.headers.get(axum::http::header::ALLOW).and_then(|v| v.to_str().ok()).unwrap_or("");
            let takes = match allowed {
                "" => "see /openapi.json for the methods it takes".to_string(),
                allowed => format!("it takes {allowed}"),
            };
            ("method_not_allowed", format!("{path} does not take {method}: {takes}"))
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", text),
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => ("invalid_request", text),
        _ => ("error", if text.is_empty() { status.canonical_reason().unwrap_or("error").to_string() } else { text }),
    };
    let mut rewritten = ApiError(status, code, message).into_response();
    if let Some(allow) = parts.headers.get(axum::http::header::ALLOW) {
        rewritten.headers_mut().insert(axum::http::header::ALLOW, allow.clone());
    }
    rewritten
}

/// Bytes for people: `1 MiB`, `64 MiB`, `256 KiB`, `512 bytes`.
pub fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// The caller as the service sees them.
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// Their tenant.
    org: String,
    /// Their scopes.
    scopes: Vec<String>,
    /// Whether the service runs in development mode (requests without a
    /// token act as the demo tenant).
    dev: bool,
}

/// Who the caller is: their tenant and scopes, as the service sees them
/// (the UI shows it; a token-less `--dev` request is the demo tenant).
#[utoipa::path(get, path = "/me", responses((status = 200, body = Me)))]
pub async fn whoami(State(state): State<Arc<AppState>>, caller: Caller) -> Json<Me> {
    Json(Me { org: caller.org, scopes: caller.scopes, dev: state.auth.dev() })
}

/// Checks a tenant id given as a parameter.
pub fn check_tenant_id(id: &str) -> Result<(), ApiError> {
    if is_tenant_id(id) {
        Ok(())
    } else {
        Err(ApiError::bad_request("invalid_tenant", format!("tenant: {TENANT_RULE}")))
    }
}

/// The longest id (lead, request) the API takes, in characters.
pub const MAX_ID_CHARS: usize = 200;

/// Checks an id given in a path or a body (`field` names it): 1–200
/// characters (not bytes), no control characters (Postgres cannot store
/// U+0000 and SQLite can: refusing them keeps both backends alike, and no CRM
/// id has one), and no whitespace around it (a padded id would be another
/// lead than the one the CRM means).
pub fn check_id(field: &str, id: &str) -> Result<(), ApiError> {
    let chars = id.chars().count();
    if chars == 0 || chars > MAX_ID_CHARS {
        return Err(ApiError::bad_request("invalid_request", format!("{field}: 1–{MAX_ID_CHARS} characters")));
    }
    if id.trim() != id {
        return Err(ApiError::bad_request("invalid_request", format!("{field}: whitespace before or after the id")));
    }
    check_text(field, id, "invalid_request")
}

/// Refuses text with control characters (U+0000–U+001F, U+007F–U+009F).
pub fn check_text(field: &str, text: &str, code: &'static str) -> Result<(), ApiError> {
    match text.chars().find(|c| c.is_control()) {
        Some(c) => {
            Err(ApiError::bad_request(code, format!("{field}: control character U+{:04X} not allowed", c as u32)))
        }
        None => Ok(()),
    }
}

/// The first field of a lead holding U+0000 (`fields.name`,
/// `activities[2].page`), which Postgres cannot store in text: refused on
/// every path alike, the sync one too, though it stores nothing. The lead's
/// id is checked by [`check_id`].
pub fn nul_field(lead: &crate::bindings::Lead) -> Option<String> {
    use crate::bindings::{Field, FieldValue};
    let has_nul = |f: &Field| f.name.contains('\0') || matches!(&f.value, FieldValue::Text(t) if t.contains('\0'));
    if let Some(f) = lead.fields.iter().find(|f| has_nul(f)) {
        return Some(format!("fields.{}", f.name.escape_debug()));
    }
    lead.activities.iter().enumerate().find_map(|(i, a)| {
        let attribute = a.attributes.iter().find(|f| has_nul(f));
        match (a.kind.contains('\0'), attribute) {
            (true, _) => Some(format!("activities[{i}].kind")),
            (false, Some(f)) => Some(format!("activities[{i}].{}", f.name.escape_debug())),
            (false, None) => None,
        }
    })
}

/// How far from now the times the API takes may lie: a lead's `as_of`, and
/// the touches and outcomes reported for it. A lead scored as of year 9999
/// would be the newest weekly cohort for good, and a touch dated year 1
/// would make its lead's time to first touch 0 for good.
#[derive(Clone, Debug)]
pub struct TimeBounds {
    /// A lead's `as_of` lies at most this long before now (default 5 years).
    pub as_of_max_age: Duration,
    /// Any time lies at most this far after now: clocks differ (default 1 day).
    pub future_slack: Duration,
    /// A touch or outcome lies at most this long before the `as_of` its lead
    /// was first scored with (its arrival; default 1 day).
    pub report_slack: Duration,
}

impl Default for TimeBounds {
    fn default() -> TimeBounds {
        const DAY: Duration = Duration::from_secs(86_400);
        TimeBounds { as_of_max_age: 1826 * DAY, future_slack: DAY, report_slack: DAY }
    }
}

impl TimeBounds {
    /// Checks a lead's `as_of` (ms) against `now` (ms); the error is the message.
    pub fn check_as_of(&self, as_of: i64, now: i64) -> Result<(), String> {
        let earliest = now.saturating_sub(self.as_of_max_age.as_millis() as i64);
        let latest = now.saturating_add(self.future_slack.as_millis() as i64);
        if as_of < earliest {
            return Err(format!(
                "as_of: {} lies more than {} days before now",
                rfc3339(as_of),
                self.as_of_max_age.as_secs() / 86_400
            ));
        }
        if as_of > latest {
            return Err(format!("as_of: {} lies in the future", rfc3339(as_of)));
        }
        Ok(())
    }

    /// Checks that a reported time (ms) is not in the future (beyond the
    /// clocks' slack); the error is the message.
    pub fn check_not_future(&self, at: i64, now: i64) -> Result<(), String> {
        match at > now.saturating_add(self.future_slack.as_millis() as i64) {
            true => Err(format!("at {} lies in the future", rfc3339(at))),
            false => Ok(()),
        }
    }

    /// Checks a reported time (ms) of a lead that arrived at `arrived` (ms,
    /// the `as_of` it was first scored with); the error is the message.
    pub fn check_report(&self, at: i64, arrived: i64, now: i64) -> Result<(), String> {
        self.check_not_future(at, now)?;
        let earliest = arrived.saturating_sub(self.report_slack.as_millis() as i64);
        if at < earliest {
            return Err(format!(
                "at {} lies before the lead arrived ({}, the as_of it was first scored with)",
                rfc3339(at),
                rfc3339(arrived)
            ));
        }
        Ok(())
    }
}

/// Milliseconds since the epoch as RFC 3339 text.
fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(|| format!("{ms} ms"), |t| t.to_rfc3339())
}

/// A 500 for a backend that failed (after its retries); the message says which.
pub fn unavailable(what: &str, e: anyhow::Error) -> ApiError {
    tracing::error!(error = %format!("{e:#}"), what, "backend unavailable");
    ApiError(StatusCode::SERVICE_UNAVAILABLE, "backend_unavailable", format!("{what}: {e:#}"))
}

/// A JSON request body as `T`; a 400 with `code` naming the field that is
/// wrong otherwise (`holdout_share: invalid type: ...`).
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8], code: &'static str) -> Result<T, ApiError> {
    // serde reads a struct from a JSON array too (`[[]]` would be a batch):
    // every body this API takes is an object.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::bad_request(code, "the body must be a JSON object"));
    }
    let mut json = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let message = match e.path().to_string().as_str() {
            "." => e.inner().to_string(),
            path => format!("{path}: {}", e.inner()),
        };
        ApiError::bad_request(code, message)
    })
}

/// A lead, as the lead JSON of the README (for the OpenAPI document; the
/// lead reader in `guest-model` is what checks it).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Lead)]
#[allow(dead_code)]
pub struct LeadDoc {
    /// The CRM's lead id (in `POST /leads/score`'s context it may be left out).
    #[schema(max_length = 200)]
    id: String,
    /// When the lead is scored: activity windows end here and later
    /// activities are ignored. Within 5 years before now and a day after (the
    /// service's bounds).
    #[schema(format = DateTime)]
    as_of: String,
    /// Field name → number, string, boolean or null (null: absent).
    #[schema(value_type = Option<Object>)]
    fields: Option<serde_json::Map<String, serde_json::Value>>,
    /// What the lead did, in any order.
    activities: Option<Vec<ActivityDoc>>,
}

/// One activity of a lead: its kind, when, and any attributes (name →
/// number, string, boolean or null), such as `page` or `campaign`.
#[derive(Deserialize, ToSchema)]
#[schema(as = Activity)]
#[allow(dead_code)]
pub struct ActivityDoc {
    /// page_view, email_open, demo_request, ...
    #[schema(min_length = 1)]
    kind: String,
    /// When it happened.
    #[schema(format = DateTime)]
    at: String,
}
