//! The OpenAPI document of the service, generated from the handlers: the
//! operations, the error responses they share, the links between them and
//! the bearer-token scheme. Only this module names every handler; the
//! handlers import nothing from it.

use utoipa::OpenApi;

use super::routes;

/// The OpenAPI document of the service.
#[derive(OpenApi)]
#[openapi(
    info(title = "leadscore", description = "Lead scoring with explainable XGBoost models in sandboxed WebAssembly"),
    paths(
        routes::me::whoami,
        routes::score::score_lead,
        routes::score::score_batch,
        routes::models::list_models,
        routes::models::install_model,
        routes::routing::get_routing,
        routes::routing::set_routing,
        routes::routing::clear_routing,
        routes::requests::request_score,
        routes::requests::request_status,
        routes::leads::latest_score,
        routes::leads::work_queue,
        routes::leads::lead_detail,
        routes::history::history,
        routes::history::changes,
        routes::activities::append_activities,
        routes::activities::patch_lead,
        routes::leads::report_outcome,
        routes::leads::report_touch,
        routes::routing::promote_shadow,
        routes::integrations::get_mapping,
        routes::integrations::put_mapping,
        routes::integrations::get_integration_settings,
        routes::integrations::put_integration_settings,
        routes::imports::import_leads,
        routes::imports::list_jobs,
        routes::imports::get_job,
        routes::webhooks::add_endpoint,
        routes::webhooks::list_endpoints,
        routes::webhooks::delete_endpoint,
        routes::webhooks::delivery_log,
        routes::webhooks::replay_delivery,
        routes::learning::get_settings,
        routes::learning::set_settings,
        routes::learning::lift_report,
        routes::learning::shadow_report,
        routes::retrain::get_policy,
        routes::retrain::put_policy,
        routes::retrain::run_now,
        routes::retrain::list_jobs,
        routes::retrain::history,
        routes::retrain::promote,
        routes::retrain::retire,
        routes::probes::healthz,
        routes::probes::readyz,
        routes::probes::metrics,
        openapi_json,
    ),
    modifiers(&BearerAuth, &CommonResponses, &Links),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// The endpoints anyone may call, without a token.
pub const PUBLIC_PATHS: [&str; 4] = ["/healthz", "/readyz", "/metrics", "/openapi.json"];

/// The document served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", responses((status = 200, description = "The OpenAPI document", body = Object)))]
pub async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(openapi())
}

/// Documents the error responses every operation shares instead of
/// repeating them on each: 401 and 403 (token and scope) on every one that
/// needs a token, 400 on every one with parameters or a body (a query, path
/// or body that does not parse), and 413 on every one with a body.
struct CommonResponses;

impl utoipa::Modify for CommonResponses {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Ref, RefOr, ResponseBuilder, content::ContentBuilder, security::SecurityRequirement};
        let error = |description: &str| {
            let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
            RefOr::T(ResponseBuilder::new().description(description).content("application/json", content).build())
        };
        for (path, item) in doc.paths.paths.iter_mut() {
            let public = PUBLIC_PATHS.contains(&path.as_str());
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                let mut add = |status: &str, description: &str| {
                    responses.entry(status.to_string()).or_insert_with(|| error(description));
                };
                if public {
                    // No token needed: override the document-wide requirement.
                    operation.security = Some(vec![SecurityRequirement::default()]);
                } else {
                    add("401", "No token, or a token that is malformed, expired or wrongly signed");
                    add("403", "The token lacks the scope, or the tenant may not do this");
                }
                let has_params = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
                if has_params || operation.request_body.is_some() {
                    add("400", "A parameter or the body is malformed (the message names it)");
                }
                if operation.request_body.is_some() {
                    add("413", "The body is larger than the limit");
                }
            }
        }
    }
}

/// OpenAPI links: where the ids a queued request's answer carries lead (its
/// status, its lead's badge, detail and outcome), so that a client, or a
/// test tool walking the API, can follow them.
struct Links;

impl utoipa::Modify for Links {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, link::LinkBuilder};
        let links: [(&str, &str, &str, &str); 4] = [
            ("status", "request_status", "request_id", "$response.body#/request_id"),
            ("badge", "latest_score", "lead_id", "$request.body#/lead_id"),
            ("lead", "lead_detail", "lead_id", "$request.body#/lead_id"),
            ("outcome", "report_outcome", "lead_id", "$request.body#/lead_id"),
        ];
        for (name, operation_id, key, value) in links {
            let accepted = doc.paths.paths.get_mut("/leads/score").and_then(|item| item.post.as_mut());
            let Some(RefOr::T(response)) = accepted.and_then(|o| o.responses.responses.get_mut("202")) else {
                continue;
            };
            let link = LinkBuilder::new().operation_id(operation_id).parameter(key, value).build();
            response.links.insert(name.to_string(), RefOr::T(link));
        }
    }
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

#[cfg(test)]
mod tests {
    /// Clients are generated from the document (web/src/lib/api-schema.ts):
    /// two operations with one id (utoipa names them after the handler
    /// function) would collide there.
    #[test]
    fn every_operation_has_its_own_id() {
        let doc = serde_json::to_value(super::openapi()).unwrap();
        let mut ids: Vec<String> = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no id"));
                assert!(!ids.contains(&id.to_string()), "operationId {id} appears twice ({method} {path})");
                ids.push(id.to_string());
            }
        }
        assert!(ids.len() > 40);
    }
}
