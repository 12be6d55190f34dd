//! What every endpoint shares: the JSON error shape, the authenticated
//! caller, and the OpenAPI document generated from the handlers.

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

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
    code: String,
    /// For people: names the field or the check that failed.
    message: String,
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

/// Who the caller is: their tenant and scopes, as the service sees them
/// (the UI shows it; a token-less `--dev` request is the demo tenant).
#[utoipa::path(get, path = "/me", responses((status = 200, description = "{org, scopes, dev}"), (status = 401, body = ErrorBody)))]
pub async fn whoami(State(state): State<Arc<AppState>>, caller: Caller) -> Json<serde_json::Value> {
    Json(serde_json::json!({"org": caller.org, "scopes": caller.scopes, "dev": state.auth.dev()}))
}

/// Checks a tenant id given as a parameter.
pub fn check_tenant_id(id: &str) -> Result<(), ApiError> {
    if is_tenant_id(id) {
        Ok(())
    } else {
        Err(ApiError::bad_request("invalid_tenant", format!("tenant: {TENANT_RULE}")))
    }
}

/// A 500 for a backend that failed (after its retries); the message says which.
pub fn unavailable(what: &str, e: anyhow::Error) -> ApiError {
    tracing::error!(error = %format!("{e:#}"), what, "backend unavailable");
    ApiError(StatusCode::SERVICE_UNAVAILABLE, "backend_unavailable", format!("{what}: {e:#}"))
}

/// A JSON request body as `T`; a 400 with `code` naming the field that is
/// wrong otherwise (`holdout_share: invalid type: ...`).
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8], code: &'static str) -> Result<T, ApiError> {
    let mut json = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let message = match e.path().to_string().as_str() {
            "." => e.inner().to_string(),
            path => format!("{path}: {}", e.inner()),
        };
        ApiError::bad_request(code, message)
    })
}

/// The OpenAPI document of the service.
#[derive(OpenApi)]
#[openapi(
    info(title = "leadscore", description = "Lead scoring with explainable XGBoost models in sandboxed WebAssembly"),
    paths(
        whoami,
        super::scoring::score_lead,
        super::scoring::score_batch,
        super::models::list_models,
        super::models::install_model,
        super::models::get_routing,
        super::models::set_routing,
        super::models::clear_routing,
        super::leads::request_score,
        super::leads::request_status,
        super::leads::latest_score,
        super::leads::work_queue,
        super::leads::lead_detail,
        super::leads::report_outcome,
        super::leads::report_touch,
        super::models::promote_shadow,
        super::learning::get_settings,
        super::learning::set_settings,
        super::learning::lift_report,
        super::learning::shadow_report,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// The document served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// Declares the bearer-token scheme every endpoint uses.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build();
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}
