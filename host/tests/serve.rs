//! The sync API over real HTTP: scoring with the version that answered,
//! clear errors, installs over HTTP (and refusals that change nothing),
//! routing changes (default and per tenant) that take effect at once, no
//! failed request while routing flips and a version is installed under
//! load, metrics and the OpenAPI document.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// v11's model built as a new version, v13: (component, manifest).
fn v13() -> &'static (PathBuf, PathBuf) {
    static BUILT: OnceLock<(tempfile::TempDir, (PathBuf, PathBuf))> = OnceLock::new();
    &BUILT
        .get_or_init(|| {
            let out = tempfile::tempdir().unwrap();
            let built = common::build_as("v11", "v13", out.path());
            (out, (built.wasm, built.manifest))
        })
        .1
}

/// Uploads a component and its manifest to `POST /models`.
async fn upload(url: &str, wasm: Vec<u8>, manifest: String) -> (u16, Value) {
    let form = reqwest::multipart::Form::new()
        .part("component", reqwest::multipart::Part::bytes(wasm).file_name("component.wasm"))
        .text("manifest", manifest);
    let response = common::operator().post(format!("{url}/models")).multipart(form).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// v13's manifest rewritten for other bytes (their sha256), so that the
/// check that fails is the one under test.
fn manifest_for(bytes: &[u8]) -> String {
    let mut manifest: Value = serde_json::from_str(&std::fs::read_to_string(&v13().1).unwrap()).unwrap();
    manifest["sha256"] = json!(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes)));
    manifest.to_string()
}

/// A running service on a free port, with its own store: a directory that
/// does not exist yet, as on a fresh checkout (the embedded database lives in
/// it). Returns its base URL.
async fn spawn_app() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (spawn_app_on(&dir.path().join("store")).await, dir)
}

/// A running service using `store` (a second one on the same store is a restart).
async fn spawn_app_on(store: &Path) -> String {
    common::spawn(common::settings(common::all_versions_dir(), store, Default::default(), 4)).await
}

fn sample_lead(n: usize) -> Value {
    serde_json::from_str(&common::sample_line("models/sample-leads.jsonl", n)).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lead_is_scored_by_the_active_version_with_its_explanation() {
    let (url, _store) = spawn_app().await;
    let client = common::operator();
    let response = client.post(format!("{url}/score-lead")).json(&sample_lead(0)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["model_version"], "v12");
    assert_eq!(body["fell_back"], false);
    assert!(body["final_score"].is_u64() && body["reasons"].as_array().is_some_and(|r| !r.is_empty()), "{body}");

    let response = client
        .post(format!("{url}/score-lead"))
        .query(&[("model_version", "rules-v1")])
        .json(&sample_lead(0))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["model_version"], "rules-v1");

    let models: Value = client.get(format!("{url}/models")).send().await.unwrap().json().await.unwrap();
    let states: Vec<(String, String)> = models["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["version"].as_str().unwrap().to_string(), m["state"].as_str().unwrap().to_string()))
        .collect();
    assert!(
        states.contains(&("v12".into(), "active".into())) && states.contains(&("v11".into(), "fallback".into())),
        "{states:?}"
    );
    assert_eq!(client.get(format!("{url}/healthz")).send().await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_get_json_errors_that_say_what_is_wrong() {
    let (url, _store) = spawn_app().await;
    let client = common::operator();
    let error = |body: Value| body["error"].clone();

    let response =
        client.post(format!("{url}/score-lead")).json(&json!({"id": "x", "as_of": "soon"})).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let e = error(response.json().await.unwrap());
    assert_eq!(e["code"], "invalid_lead");
    assert!(e["message"].as_str().unwrap().starts_with("as_of:"), "{e}");

    let mut lead = sample_lead(1);
    lead["fields"]["employees"] = json!("lots");
    let response = client.post(format!("{url}/score-lead")).json(&lead).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(error(response.json().await.unwrap())["message"].as_str().unwrap().starts_with("fields.employees"));

    let response = client
        .post(format!("{url}/score-lead"))
        .query(&[("model_version", "v99")])
        .json(&sample_lead(0))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (response.status().as_u16(), error(response.json().await.unwrap())["code"].clone()),
        (400, json!("unknown_version"))
    );

    let leads: Vec<Value> = (0..6).map(|i| sample_lead(i % 3)).collect();
    let response = client.post(format!("{url}/score-lead/batch")).json(&json!({"leads": leads})).send().await.unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(error(response.json().await.unwrap())["code"], "too_many_leads");

    let response =
        client.post(format!("{url}/score-lead/batch")).json(&json!({"leads": leads[..3]})).send().await.unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["results"].as_array().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn routing_changes_take_effect_at_once_and_bad_ones_change_nothing() {
    let (url, _store) = spawn_app().await;
    let client = common::operator();
    let v11 = json!({"active": "v11", "fallback": ["rules-v1"]});
    assert_eq!(client.put(format!("{url}/models/routing")).json(&v11).send().await.unwrap().status(), 200);
    let body: Value =
        client.post(format!("{url}/score-lead")).json(&sample_lead(0)).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["model_version"], "v11");

    let bad = json!({"active": "v13"});
    let response = client.put(format!("{url}/models/routing")).json(&bad).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let routing: Value = client.get(format!("{url}/models/routing")).send().await.unwrap().json().await.unwrap();
    assert_eq!(routing["active"], "v11", "a refused routing leaves the old one in place");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_version_uploaded_over_http_is_installed_and_serves_once_named() {
    let (url, _store) = spawn_app().await;
    let client = common::operator();
    let (wasm, manifest) = v13();
    let (wasm, manifest) = (std::fs::read(wasm).unwrap(), std::fs::read_to_string(manifest).unwrap());

    let (status, model) = upload(&url, wasm.clone(), manifest.clone()).await;
    assert_eq!((status, &model["version"], &model["state"]), (201, &json!("v13"), &json!("installed")), "{model}");
    let body: Value =
        client.post(format!("{url}/score-lead")).json(&sample_lead(2)).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["model_version"], "v12", "installing does not route");

    let routing = json!({"active": "v13", "fallback": ["v12"]});
    assert_eq!(client.put(format!("{url}/models/routing")).json(&routing).send().await.unwrap().status(), 200);
    let body: Value =
        client.post(format!("{url}/score-lead")).json(&sample_lead(2)).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["model_version"], "v13");

    let (status, _) = upload(&url, wasm, manifest).await;
    assert_eq!(status, 200, "the same upload again is a no-op");
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_uploads_say_why_and_leave_the_registry_unchanged() {
    let (url, store) = spawn_app().await;
    let client = common::operator();
    let listed = || async { client.get(format!("{url}/models")).send().await.unwrap().json::<Value>().await.unwrap() };
    let stored = || {
        let mut names: Vec<String> =
            std::fs::read_dir(store.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        names.sort();
        names
    };
    let (before, stored_before) = (listed().await, stored());
    let v13_wasm = std::fs::read(&v13().0).unwrap();
    let v13_manifest = std::fs::read_to_string(&v13().1).unwrap();
    // An empty core module: valid WebAssembly, but not a component.
    let core_module = b"\0asm\x01\0\0\0".to_vec();
    let wrong_world = common::hostile("wrong-world");
    let opens_socket = common::hostile("opens-socket");

    let mut tampered: Value = serde_json::from_str(&v13_manifest).unwrap();
    tampered["sha256"] = json!("00".repeat(32));
    let cases = [
        (v13_wasm.clone(), tampered.to_string(), 400, "sha256_mismatch", "sha256 mismatch"),
        (
            core_module.clone(),
            manifest_for(&core_module),
            422,
            "invalid_component",
            "not an acceptable scorer component",
        ),
        (wrong_world.clone(), manifest_for(&wrong_world), 422, "invalid_component", "scorer world"),
        (opens_socket.clone(), manifest_for(&opens_socket), 422, "invalid_component", "wasi:sockets"),
        (v13_wasm.clone(), "{\"version\": ".into(), 400, "invalid_manifest", "manifest"),
    ];
    for (wasm, manifest, status, code, says) in cases {
        let (got, body) = upload(&url, wasm, manifest).await;
        let message = body["error"]["message"].as_str().unwrap_or_default().to_string();
        assert_eq!((got, body["error"]["code"].as_str().unwrap()), (status, code), "{body}");
        assert!(message.contains(says), "{code}: {message}");
    }

    let form = reqwest::multipart::Form::new().part("component", reqwest::multipart::Part::bytes(v13_wasm));
    let response = client.post(format!("{url}/models")).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("`manifest` field"), "{body}");

    assert_eq!(listed().await, before, "GET /models is unchanged");
    assert_eq!(stored(), stored_before, "nothing was written to the store");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_with_its_own_routing_is_scored_by_it_and_others_are_not() {
    let (url, _store) = spawn_app().await;
    let version_for = |org: &'static str| {
        let url = url.clone();
        async move {
            let response = common::client_as(org).post(format!("{url}/score-lead")).json(&sample_lead(3)).send().await;
            let body: Value = response.unwrap().json().await.unwrap();
            body["model_version"].as_str().unwrap().to_string()
        }
    };
    let acme_admin = common::client_as("acme");
    let acme = json!({"active": "rules-v1", "fallback": ["v11"]});
    let response = acme_admin.put(format!("{url}/models/routing")).json(&acme).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(version_for("acme").await, "rules-v1");
    assert_eq!(version_for("globex").await, "v12");

    let response = acme_admin.put(format!("{url}/models/routing?tenant=globex")).json(&acme).send().await.unwrap();
    assert_eq!(response.status(), 403, "a tenant cannot change another's routing");
    assert_eq!(version_for("globex").await, "v12");

    let models: Value = acme_admin.get(format!("{url}/models")).send().await.unwrap().json().await.unwrap();
    assert_eq!(models["routing"]["active"], "rules-v1", "a tenant sees its own routing");
    let operator = common::operator();
    let models: Value = operator.get(format!("{url}/models")).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        (&models["routing"]["active"], &models["tenants"]["acme"]["active"]),
        (&json!("v12"), &json!("rules-v1"))
    );
    let routing: Value =
        operator.get(format!("{url}/models/routing?tenant=acme")).send().await.unwrap().json().await.unwrap();
    assert_eq!(routing["active"], "rules-v1");

    let response = operator.delete(format!("{url}/models/routing?tenant=acme")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(version_for("acme").await, "v12", "back on the default routing");
    let response = operator.delete(format!("{url}/models/routing")).send().await.unwrap();
    assert_eq!(response.status(), 400, "the default routing cannot be removed");
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_without_a_valid_token_or_scope_are_refused() {
    let (url, _store) = spawn_app().await;
    let anonymous = reqwest::Client::new();
    let response = anonymous.post(format!("{url}/score-lead")).json(&sample_lead(0)).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(anonymous.get(format!("{url}/me")).send().await.unwrap().status(), 401);
    let reader = common::token("acme", &[leadscore::auth::READ_LEADS]);
    let me: Value = anonymous.get(format!("{url}/me")).bearer_auth(&reader).send().await.unwrap().json().await.unwrap();
    assert_eq!(me, json!({"org": "acme", "scopes": ["crm.read.leads"], "dev": false}));
    let response =
        anonymous.post(format!("{url}/score-lead")).bearer_auth(&reader).json(&sample_lead(0)).send().await.unwrap();
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("crm.write.leads"), "{body}");
    let response = anonymous.get(format!("{url}/models")).bearer_auth(&reader).send().await.unwrap();
    assert_eq!(response.status(), 403, "model admin needs crm.admin.models");
    // A small upload: the refusal comes before the body is read, and a large
    // body still being written when the server closes would end in a broken pipe.
    let form = reqwest::multipart::Form::new()
        .part("component", reqwest::multipart::Part::bytes(b"\0asm".to_vec()))
        .text("manifest", "{}");
    let response = common::client_as("acme").post(format!("{url}/models")).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), 403, "only the operator installs models");
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_calls_per_version_and_the_openapi_document_lists_the_endpoints() {
    let (url, _store) = spawn_app().await;
    let client = common::operator();
    for n in 0..3 {
        client.post(format!("{url}/score-lead")).json(&sample_lead(n)).send().await.unwrap();
    }
    client.post(format!("{url}/score-lead?model_version=v11")).json(&sample_lead(0)).send().await.unwrap();
    let metrics = client.get(format!("{url}/metrics")).send().await.unwrap().text().await.unwrap();
    for line in [
        "leadscore_model_calls_total{version=\"v12\"} 3",
        "leadscore_model_calls_total{version=\"v11\"} 1",
        "leadscore_model_call_seconds_count{version=\"v12\"} 3",
        "leadscore_pool_instances_in_use 0",
        "leadscore_pool_instances_capacity 64",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }
    let ready = client.get(format!("{url}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    let doc: Value = client.get(format!("{url}/openapi.json")).send().await.unwrap().json().await.unwrap();
    for path in ["/score-lead", "/score-lead/batch", "/models", "/models/routing"] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    assert!(doc["paths"]["/models"]["post"]["requestBody"]["content"]["multipart/form-data"].is_object());
    let score = &doc["components"]["schemas"]["Score"]["properties"];
    assert!(score["final_score"].is_object() && score["reasons"].is_object(), "{score}");
}

/// A routing change as the test saw it: sent at `before`, acknowledged at
/// `after`, routing leads to `versions`.
struct Change {
    before: Instant,
    after: Instant,
    versions: Vec<&'static str>,
}

#[tokio::test(flavor = "multi_thread")]
async fn routing_and_uploaded_versions_survive_a_restart() {
    let (url, store) = spawn_app().await;
    let client = common::operator();
    let (wasm, manifest) = v13();
    let (status, _) = upload(&url, std::fs::read(wasm).unwrap(), std::fs::read_to_string(manifest).unwrap()).await;
    assert_eq!(status, 201);
    let routing = json!({"active": "v13", "split": [], "fallback": ["v11"], "shadow": "v12"});
    client.put(format!("{url}/models/routing")).json(&routing).send().await.unwrap();
    let acme = json!({"active": "rules-v1", "split": [], "fallback": [], "shadow": null});
    common::client_as("acme").put(format!("{url}/models/routing")).json(&acme).send().await.unwrap();

    let restarted = spawn_app_on(&store.path().join("store")).await;
    let now: Value = client.get(format!("{restarted}/models/routing")).send().await.unwrap().json().await.unwrap();
    assert_eq!(now, routing);
    let theirs: Value =
        client.get(format!("{restarted}/models/routing?tenant=acme")).send().await.unwrap().json().await.unwrap();
    assert_eq!(theirs, acme);
    let body: Value = client
        .post(format!("{restarted}/score-lead"))
        .json(&sample_lead(1))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["model_version"], "v13");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_request_fails_while_routing_flips_and_a_version_is_installed_under_load() {
    let (url, _store) = spawn_app().await;
    let client = common::operator();
    let start = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for worker in 0..8 {
        let (client, url, stop) = (client.clone(), url.clone(), stop.clone());
        load.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let sent = Instant::now();
                let response = client
                    .post(format!("{url}/score-lead"))
                    .json(&sample_lead((worker + i) % 12))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200, "request {i} of worker {worker}");
                let body: Value = response.json().await.unwrap();
                answers.push((sent, Instant::now(), body["model_version"].as_str().unwrap().to_string()));
                i += 1;
            }
            answers
        }));
    }
    let mut changes = vec![Change { before: start, after: start, versions: vec!["v12"] }];
    for flip in 0..20 {
        if flip == 10 {
            let (wasm, manifest) = v13();
            let (status, _) =
                upload(&url, std::fs::read(wasm).unwrap(), std::fs::read_to_string(manifest).unwrap()).await;
            assert_eq!(status, 201);
        }
        let (routing, versions) = match flip % 3 {
            0 => (json!({"active": "v11", "fallback": ["rules-v1"]}), vec!["v11"]),
            1 => (json!({"active": "v12", "fallback": ["rules-v1"]}), vec!["v12"]),
            _ if flip > 10 => (
                json!({"active": "v12", "split": [{"version": "v12", "weight": 1}, {"version": "v13", "weight": 1}], "fallback": ["rules-v1"]}),
                vec!["v12", "v13"],
            ),
            _ => (json!({"active": "rules-v1", "fallback": ["v11"]}), vec!["rules-v1"]),
        };
        let before = Instant::now();
        assert_eq!(client.put(format!("{url}/models/routing")).json(&routing).send().await.unwrap().status(), 200);
        changes.push(Change { before, after: Instant::now(), versions });
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    stop.store(true, Ordering::Relaxed);

    let mut answers = Vec::new();
    for worker in load {
        answers.extend(worker.await.unwrap());
    }
    assert!(answers.len() > 200, "the load ran throughout: {} answers", answers.len());
    // Routing i was in effect from some moment in [before_i, after_i] until
    // some moment in [before_i+1, after_i+1]: each answer must come from a
    // routing that may have been in effect while its request was open.
    let far_future = Instant::now() + Duration::from_secs(3600);
    for (sent, received, version) in &answers {
        let routable = changes.iter().enumerate().any(|(i, change)| {
            let ends = changes.get(i + 1).map_or(far_future, |next| next.after);
            change.before <= *received && *sent <= ends && change.versions.contains(&version.as_str())
        });
        assert!(routable, "{version} answered a request when no routing in effect named it");
    }
    let v13_answers = answers.iter().filter(|(_, _, v)| v == "v13").count();
    assert!(v13_answers > 0, "the version installed under load served once routed");
}

/// Every rejection, axum's own included, is `{"error": {"code", "message"}}`.
#[tokio::test(flavor = "multi_thread")]
async fn every_rejection_has_the_json_error_shape() {
    let (url, _store) = spawn_app().await;
    let client = common::operator();
    let cases = [
        (client.get(format!("{url}/no-such-route")), 404, "not_found", "/no-such-route"),
        (client.delete(format!("{url}/leads")), 405, "method_not_allowed", "DELETE"),
        (client.get(format!("{url}/leads?limit=many")), 400, "invalid_request", "limit"),
        (client.get(format!("{url}/reports/lift?weeks=-1")), 400, "invalid_request", "weeks"),
        (client.post(format!("{url}/score-lead")).body("x".repeat((1 << 20) + 1)), 413, "payload_too_large", "1 MiB"),
        (client.post(format!("{url}/score-lead/batch")).json(&json!([[]])), 400, "invalid_batch", "JSON object"),
        (client.post(format!("{url}/score-lead/batch")).json(&json!({"leads": [], "x": 1})), 400, "invalid_batch", "x"),
        (client.put(format!("{url}/models/routing")).json(&json!(["v12"])), 400, "invalid_routing", "JSON object"),
        (client.post(format!("{url}/models")).body("not a form"), 400, "invalid_request", "multipart"),
    ];
    for (request, status, code, says) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status, "{code}");
        let content_type = response.headers()[reqwest::header::CONTENT_TYPE].to_str().unwrap().to_string();
        assert!(content_type.starts_with("application/json"), "{code}: {content_type}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(says), "{says}: {body}");
    }
}

/// A lead over `--max-lead-bytes` or `--max-activities` is refused with its
/// own 400 naming the limit on every path that takes leads; in a batch it is
/// that lead's error (like a lead with a lone surrogate escape), and the
/// others are scored.
#[tokio::test(flavor = "multi_thread")]
async fn a_lead_over_the_size_limits_gets_its_own_400_naming_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = common::settings(common::v12_dir(), &dir.path().join("store"), Default::default(), 1);
    settings.lead_limits = leadscore::api::LeadLimits { max_bytes: 8192, max_activities: 20 };
    let url = common::spawn(settings).await;
    let client = common::operator();
    let lead = |id: &str, activities: usize, padding: usize| {
        let activity = json!({"kind": "page_view", "at": "2026-09-30T10:00:00Z", "page": "/pricing"});
        json!({"id": id, "as_of": "2026-10-01T12:00:00Z", "fields": {"employees": 50, "notes": "x".repeat(padding)},
               "activities": vec![activity; activities]})
    };
    let (busy, long, ok) = (lead("busy", 21, 0), lead("long", 0, 9000), lead("ok", 20, 0));
    let error = |body: &Value| (body["error"]["code"].clone(), body["error"]["message"].as_str().unwrap().to_string());

    let response = client.post(format!("{url}/score-lead")).json(&busy).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let (code, message) = error(&response.json().await.unwrap());
    assert_eq!(code, "lead_too_large");
    assert!(message.starts_with("activities: 21 activities") && message.contains("20"), "{message}");
    let response = client.post(format!("{url}/score-lead")).json(&long).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let (code, message) = error(&response.json().await.unwrap());
    assert_eq!(code, "lead_too_large");
    assert!(message.contains("the limit is 8192 bytes"), "{message}");
    let response = client.post(format!("{url}/score-lead")).json(&ok).send().await.unwrap();
    assert_eq!(response.status(), 200, "a lead at the limits is scored");

    for (context, says) in [(&busy, "context.activities: 21"), (&long, "context: the lead is")] {
        let body = json!({"lead_id": context["id"], "context": context});
        let response = client.post(format!("{url}/leads/score")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 400);
        let (code, message) = error(&response.json().await.unwrap());
        assert_eq!(code, "lead_too_large");
        assert!(message.starts_with(says), "{message}");
    }

    // One body: a lead too busy, one too long, one with a lone surrogate
    // escape (serde_json refuses the text), each its own error; the rest scored.
    let surrogate = r#"{"id": "half", "as_of": "2026-10-01T12:00:00Z", "fields": {"name": "Zo\ud83d"}}"#;
    let body = format!(r#"{{"leads": [{ok}, {busy}, {long}, {surrogate}, {ok}]}}"#);
    let response = client
        .post(format!("{url}/score-lead/batch"))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let results: Value = response.json().await.unwrap();
    let results = results["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    for (i, id, code) in [(1, "busy", "lead_too_large"), (2, "long", "lead_too_large"), (3, "half", "invalid_lead")] {
        assert_eq!(
            (&results[i]["lead_id"], &results[i]["error"]["code"]),
            (&json!(id), &json!(code)),
            "{}",
            results[i]
        );
    }
    for i in [0, 4] {
        assert!(results[i]["final_score"].is_u64(), "{}", results[i]);
    }
}

/// Install uploads: each part once, no Rust `Debug` in messages, a 413
/// naming the limit, and the same bytes with another manifest refused.
#[tokio::test(flavor = "multi_thread")]
async fn uploads_name_what_is_wrong_and_an_installed_version_never_changes_its_manifest() {
    let small = tempfile::tempdir().unwrap();
    let mut settings = common::settings(common::all_versions_dir(), small.path(), Default::default(), 2);
    settings.max_upload = 256 << 10;
    let url = common::spawn(settings).await;
    let client = common::operator();
    let post = |form: reqwest::multipart::Form| client.post(format!("{url}/models")).multipart(form).send();
    let part = |bytes: Vec<u8>| reqwest::multipart::Part::bytes(bytes).file_name("component.wasm");
    let twice = reqwest::multipart::Form::new().part("component", part(vec![0; 8])).part("component", part(vec![1; 8]));
    let evil = reqwest::multipart::Form::new().text("evil", "1");
    let huge = reqwest::multipart::Form::new().part("component", part(vec![0; 512 << 10])).text("manifest", "{}");
    for (form, status, says) in [(twice, 400, "appears twice"), (evil, 400, "\"evil\""), (huge, 413, "256 KiB")] {
        let response = post(form).await.unwrap();
        assert_eq!(response.status(), status, "{says}");
        let body: Value = response.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(says) && !message.contains("Some("), "{says}: {message}");
    }

    let (url, _store) = spawn_app().await;
    let wasm = std::fs::read(&v13().0).unwrap();
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(&v13().1).unwrap()).unwrap();
    assert_eq!(upload(&url, wasm.clone(), manifest.to_string()).await.0, 201);
    let mut rebuilt = manifest.clone();
    rebuilt["built_at"] = json!("2030-01-01T00:00:00Z");
    assert_eq!(upload(&url, wasm.clone(), rebuilt.to_string()).await.0, 200, "a rebuild at another time is identical");
    let mut other = manifest.clone();
    other["bands"]["hot"] = json!(95);
    let (status, body) = upload(&url, wasm, other.to_string()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("version_conflict")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("bands"), "{body}");
}

/// A tenant's admin sees only their own tenant among those routed to a
/// version; `/metrics` (no token) names no tenant unless asked to.
#[tokio::test(flavor = "multi_thread")]
async fn tenants_see_only_themselves_and_metrics_name_no_tenant() {
    let (url, _store) = spawn_app().await;
    for tenant in ["acme", "globex"] {
        let routing = json!({"active": "v11", "fallback": ["rules-v1"]});
        let set = common::operator().put(format!("{url}/models/routing?tenant={tenant}")).json(&routing);
        assert_eq!(set.send().await.unwrap().status(), 200);
    }
    let routed = |list: &Value| -> Vec<String> {
        let v11 = list["models"].as_array().unwrap().iter().find(|m| m["version"] == "v11").unwrap();
        v11["routed_for_tenants"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect()
    };
    let as_acme = common::get_json(&common::client_as("acme"), &format!("{url}/models")).await;
    assert_eq!(routed(&as_acme), ["acme"]);
    assert_eq!(as_acme["tenants"].as_object().unwrap().keys().collect::<Vec<_>>(), ["acme"]);
    let as_operator = common::get_json(&common::operator(), &format!("{url}/models")).await;
    assert_eq!(routed(&as_operator), ["acme", "globex"]);

    let metrics = reqwest::get(format!("{url}/metrics")).await.unwrap().text().await.unwrap();
    assert!(!metrics.contains("org=") && !metrics.contains("globex"), "{metrics}");
    assert!(metrics.contains("leadscore_guardrail_alert_tenants"), "{metrics}");
}

/// Every operation documents its success body's schema and its errors; the
/// public endpoints are there and need no token; parameters carry their
/// constraints and request bodies their schemas.
#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_describes_every_operation_completely() {
    let (url, _store) = spawn_app().await;
    let doc = common::get_json(&common::operator(), &format!("{url}/openapi.json")).await;
    let public = ["/healthz", "/readyz", "/metrics", "/openapi.json"];
    for path in public {
        assert!(doc["paths"][path]["get"].is_object(), "{path} is documented");
    }
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            let responses = operation["responses"].as_object().unwrap();
            let success: Vec<_> = responses.iter().filter(|(status, _)| status.starts_with('2')).collect();
            assert!(!success.is_empty(), "{method} {path} has a success response");
            // 204 No Content has no body to describe.
            for (status, response) in success.into_iter().filter(|(status, _)| status.as_str() != "204") {
                let content = response["content"].as_object();
                assert!(
                    content.is_some_and(|c| c.values().all(|m| m["schema"].is_object())),
                    "{method} {path} {status}"
                );
            }
            if public.contains(&path.as_str()) {
                assert_eq!(operation["security"], json!([{}]), "{path} needs no token");
            } else {
                assert!(responses.contains_key("401") && responses.contains_key("403"), "{method} {path}");
            }
            if operation["requestBody"].is_object() {
                assert!(responses.contains_key("413") && responses.contains_key("400"), "{method} {path}");
            }
        }
    }
    assert!(operations >= 24, "{operations} operations");
    // Lead JSON, or a CRM object read through the tenant's mapping.
    let lead_body = &doc["paths"]["/score-lead"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(lead_body["$ref"], "#/components/schemas/LeadInput");
    let one_of = doc["components"]["schemas"]["LeadInput"]["oneOf"].as_array().unwrap();
    assert!(one_of.iter().any(|s| s["$ref"] == "#/components/schemas/Lead"), "{one_of:?}");
    assert!(one_of.iter().any(|s| s["$ref"] == "#/components/schemas/CrmLead"), "{one_of:?}");
    assert_eq!(doc["components"]["schemas"]["Lead"]["properties"]["as_of"]["format"], "date-time");
    let params = doc["paths"]["/leads"]["get"]["parameters"].as_array().unwrap();
    let param = |name: &str| params.iter().find(|p| p["name"] == name).unwrap()["schema"].clone();
    assert_eq!((param("limit")["minimum"].as_f64(), param("limit")["maximum"].as_f64()), (Some(1.0), Some(200.0)));
    assert_eq!(param("offset")["minimum"].as_f64(), Some(0.0));
    assert!(param("band")["pattern"].as_str().unwrap().contains("warm"));
}

/// A service with no model to serve says so instead of panicking.
#[tokio::test(flavor = "multi_thread")]
async fn a_service_without_any_model_refuses_to_start_and_says_why() {
    let (models, store) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let settings = common::settings(models.path(), store.path(), Default::default(), 1);
    let error = leadscore::api::Application::build(settings).await.err().expect("no models: no service");
    assert!(format!("{error:#}").contains("no components"), "{error:#}");
}
