//! `GET /me`: who the caller is.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::state::AppState;
use crate::auth::Caller;

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
