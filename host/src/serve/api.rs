//! What every endpoint shares: the JSON error shape, the tenant a request
//! speaks for, and the OpenAPI document generated from the handlers.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

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
        (self.0, Json(body)).into_response()
    }
}

/// The header naming the tenant (organisation) a request speaks for, which
/// selects the tenant's own routing when it has one.
pub const TENANT_HEADER: &str = "x-leadscore-org";

/// The tenant a request speaks for, if it names one.
pub struct Tenant(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Tenant, ApiError> {
        let Some(value) = parts.headers.get(TENANT_HEADER) else {
            return Ok(Tenant(None));
        };
        match value.to_str() {
            Ok(org) if is_tenant_id(org) => Ok(Tenant(Some(org.to_string()))),
            _ => Err(ApiError::bad_request("invalid_tenant", format!("{TENANT_HEADER}: {}", TENANT_RULE))),
        }
    }
}

const TENANT_RULE: &str = "a tenant id is 1–64 letters, digits, '-', '_' or '.'";

/// Whether `id` is a well-formed tenant id.
pub fn is_tenant_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// Checks a tenant id given as a parameter.
pub fn check_tenant_id(id: &str) -> Result<(), ApiError> {
    if is_tenant_id(id) {
        Ok(())
    } else {
        Err(ApiError::bad_request("invalid_tenant", format!("tenant: {TENANT_RULE}")))
    }
}

/// The OpenAPI document of the service.
#[derive(OpenApi)]
#[openapi(
    info(title = "leadscore", description = "Lead scoring with explainable XGBoost models in sandboxed WebAssembly"),
    paths(
        super::scoring::score_lead,
        super::scoring::score_batch,
        super::models::list_models,
        super::models::install_model,
        super::models::get_routing,
        super::models::set_routing,
        super::models::clear_routing,
    )
)]
pub struct ApiDoc;

/// The document served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
