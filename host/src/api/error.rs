//! The one error shape of the API, `{"error": {"code", "message"}}`: every
//! handler's error is an [`ApiError`], mapped to its status and stable code
//! in one place; the errors axum writes itself are rewritten into the same
//! shape by [`json_errors`].

use axum::Json;
use axum::extract::State;
use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::AuthError;
use crate::runtime::registry::RegistryError;
use crate::runtime::scorer::ScoringError;
use crate::runtime::store::InstallError;

/// Why a request failed. The message names the field or the check.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed; `code` says which part
    /// (`invalid_lead`, `invalid_query`, `unknown_version`, ...).
    #[error("{message}")]
    Invalid {
        /// The stable code.
        code: &'static str,
        /// What was wrong, naming the field.
        message: String,
    },
    /// 401 or 403: the token is missing, invalid, or lacks the scope.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// 403: the caller's tenant may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: the tenant has no such thing.
    #[error("{0}")]
    NotFound(String),
    /// 404: the lead is in the control group; its score is not shown.
    #[error("lead {0:?} is in the control group: it is scored, but its score is not shown")]
    ControlGroup(String),
    /// 413: too many leads in a batch, or too large a body.
    #[error("{message}")]
    TooLarge {
        /// `too_many_leads` or `payload_too_large`.
        code: &'static str,
        /// Names the limit.
        message: String,
    },
    /// 422: an uploaded model source (`POST /models`) that does not load
    /// (`invalid_model`) or does not build (`build_failed`).
    #[error("{message}")]
    Unprocessable {
        /// The stable code.
        code: &'static str,
        /// What was wrong, naming the file.
        message: String,
    },
    /// 409: the request is well formed, but what it names cannot be done
    /// as things stand (e.g. `cannot_compare`).
    #[error("{message}")]
    Conflict {
        /// The stable code.
        code: &'static str,
        /// Why not.
        message: String,
    },
    /// 415: the body is not of a media type the endpoint reads.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429: the tenant sent more than its rate; `Retry-After` says when
    /// the request would be taken.
    #[error("{message}")]
    RateLimited {
        /// How long to wait, rounded up to whole seconds in `Retry-After`.
        retry_after: std::time::Duration,
        /// Names the limit.
        message: String,
    },
    /// 500: a task of the request stopped unexpectedly (a panic).
    #[error("{0}")]
    Internal(String),
    /// An install or routing change the registry refused (400, 409, 422,
    /// 500 or 503 by cause).
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// 500: the model store cannot be read.
    #[error("{0}")]
    Store(InstallError),
    /// 503: no version in the routing plan could score the lead.
    #[error(transparent)]
    ModelUnavailable(#[from] ScoringError),
    /// 503: the database stayed unavailable past the service's patience.
    #[error("database: {0:#}")]
    Database(anyhow::Error),
    /// An error axum answered itself (no route, wrong method, bad media
    /// type), in the one shape.
    #[error("{message}")]
    Http {
        /// Its status.
        status: StatusCode,
        /// The stable code.
        code: &'static str,
        /// What was wrong.
        message: String,
    },
}

impl ApiError {
    /// A 400 with a code and a message naming what was wrong.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::Invalid { code, message: message.into() }
    }

    /// A 503 for a database that stayed away (logged: operators need it).
    pub fn database(e: anyhow::Error) -> ApiError {
        tracing::error!(error = %format!("{e:#}"), "database unavailable");
        ApiError::Database(e)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    /// The stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        self.status_and_code().1
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Invalid { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::Auth(e) if e.status() == 403 => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::Auth(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::ControlGroup(_) => (StatusCode::NOT_FOUND, "control_group"),
            ApiError::TooLarge { code, .. } => (StatusCode::PAYLOAD_TOO_LARGE, code),
            ApiError::Unprocessable { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            ApiError::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            ApiError::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            ApiError::Registry(e) => registry_status(e),
            ApiError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "store"),
            ApiError::ModelUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "model_unavailable"),
            ApiError::Database(_) => (StatusCode::SERVICE_UNAVAILABLE, "backend_unavailable"),
            ApiError::Http { status, code, .. } => (*status, code),
        }
    }
}

/// What each refusal of the registry means to the caller.
fn registry_status(error: &RegistryError) -> (StatusCode, &'static str) {
    match error {
        RegistryError::Install(e) => match e {
            InstallError::Manifest(_) => (StatusCode::BAD_REQUEST, "invalid_manifest"),
            InstallError::Sha256 { .. } => (StatusCode::BAD_REQUEST, "sha256_mismatch"),
            InstallError::Component(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_component"),
            InstallError::Disagrees(_) => (StatusCode::UNPROCESSABLE_ENTITY, "manifest_disagrees"),
            InstallError::SelfTest(_) => (StatusCode::UNPROCESSABLE_ENTITY, "self_test_failed"),
            InstallError::Conflict { .. } | InstallError::ManifestConflict { .. } => {
                (StatusCode::CONFLICT, "version_conflict")
            }
            InstallError::Io(_) => (StatusCode::INTERNAL_SERVER_ERROR, "store"),
        },
        RegistryError::Routing(_) => (StatusCode::BAD_REQUEST, "invalid_routing"),
        RegistryError::NoShadow => (StatusCode::CONFLICT, "no_shadow"),
        RegistryError::Catalog(_) => (StatusCode::SERVICE_UNAVAILABLE, "backend_unavailable"),
        RegistryError::Task(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

/// The body of every error response.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `invalid_lead`, `unknown_version`, ...
    pub code: String,
    /// For people: names the field or the check that failed.
    pub message: String,
}

impl From<&ApiError> for ErrorDetail {
    fn from(e: &ApiError) -> ErrorDetail {
        ErrorDetail { code: e.code().to_string(), message: e.to_string() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Registry(RegistryError::Catalog(e)) = &self {
            tracing::error!(error = %format!("{e:#}"), "database unavailable");
        }
        let mut response = (status, Json(ErrorBody { error: ErrorDetail::from(&self) })).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let ApiError::RateLimited { retry_after, .. } = &self {
            // Whole seconds (RFC 9110 §10.2.3), rounded up: never too early.
            let seconds = retry_after.as_millis().div_ceil(1000).max(1);
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(seconds as u64));
        }
        response
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
    let mut rewritten = ApiError::Http { status, code, message }.into_response();
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
