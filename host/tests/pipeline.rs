//! The async pipeline over real HTTP, on both configurations: the embedded
//! default (SQLite, in-process queue and cache) and the shared one (real
//! Postgres and Redis). Request → 202 → poll → SUCCESS; idempotency; the
//! badge, work queue and lead detail; tenant isolation; every bad token;
//! malformed input refused at the API; a trapping version answered by the
//! fallback chain; a request every version fails ends FAILED; ids with
//! control characters and absurd times refused alike on both backends; the
//! Redis stream kept to what is unacknowledged; permanent database errors
//! answered at once.

mod common;

use common::Backend;

use serde_json::{Value, json};

/// A running service; returns its URL (and the store, kept alive).
async fn spawn_app(backend: Backend) -> (String, tempfile::TempDir) {
    let store = tempfile::tempdir().unwrap();
    let settings = common::settings(common::v12_dir(), store.path(), backend.backends().await, 2);
    (common::spawn(settings).await, store)
}

fn sample_lead(n: usize) -> Value {
    serde_json::from_str(&common::sample_line("models/sample-leads.jsonl", n)).unwrap()
}

/// Posts a scoring request for `lead`; returns (status, body).
async fn request(client: &reqwest::Client, url: &str, body: Value) -> (u16, Value) {
    let response = client.post(format!("{url}/leads/score")).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn score_body(lead: &Value) -> Value {
    json!({"lead_id": lead["id"], "context": lead})
}

on_both_backends!(
    a_request_is_accepted_then_scored_and_readable_everywhere,
    an_idempotency_key_returns_the_same_request_and_the_cache_answers_repeats,
    one_tenant_never_sees_another_tenants_requests_or_leads,
    every_kind_of_bad_token_is_refused,
    malformed_requests_are_refused_at_the_api,
    a_trapping_version_falls_back_and_a_request_nothing_can_score_ends_failed,
    outcomes_are_recorded_for_the_tenants_scored_leads_and_checked,
    control_characters_and_padded_ids_are_refused_alike,
    absurd_times_are_refused_before_they_reach_the_learning_loop,
);

async fn a_request_is_accepted_then_scored_and_readable_everywhere(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let client = common::client_as("acme");
    let mut request_ids = Vec::new();
    for n in 0..6 {
        let (status, body) = request(&client, &url, score_body(&sample_lead(n))).await;
        assert_eq!((status, body["status"].as_str()), (202, Some("PENDING")), "{body}");
        assert_eq!(body["status_url"], format!("/leads/score/{}/status", body["request_id"].as_str().unwrap()));
        request_ids.push(body["request_id"].as_str().unwrap().to_string());
    }
    let mut scores = Vec::new();
    for (n, request_id) in request_ids.iter().enumerate() {
        let status = common::finished(&client, &url, request_id).await;
        assert_eq!(status["status"], "SUCCESS", "{status}");
        let result = &status["result"];
        assert_eq!(result["lead_id"], sample_lead(n)["id"]);
        assert_eq!(result["model_version"], "v12");
        assert!(result["explanation"]["reasons"].as_array().is_some_and(|r| !r.is_empty()), "{result}");
        scores.push(result["score"].as_i64().unwrap());

        let badge: Value = client
            .get(format!("{url}/leads/{}/score", sample_lead(n)["id"].as_str().unwrap()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!((&badge["score"], &badge["band"]), (&result["score"], &result["band"]));
    }

    let queue: Value = client.get(format!("{url}/leads?limit=4")).send().await.unwrap().json().await.unwrap();
    assert_eq!(queue["total"], 6);
    let listed: Vec<i64> = queue["leads"].as_array().unwrap().iter().map(|l| l["score"].as_i64().unwrap()).collect();
    let mut hottest = scores.clone();
    hottest.sort_by(|a, b| b.cmp(a));
    assert_eq!(listed, hottest[..4], "hottest first, one page");
    let page2: Value = client.get(format!("{url}/leads?limit=4&offset=4")).send().await.unwrap().json().await.unwrap();
    assert_eq!(page2["leads"].as_array().unwrap().len(), 2);

    let band = queue["leads"][0]["band"].as_str().unwrap().to_string();
    let filtered: Value = client.get(format!("{url}/leads?band={band}")).send().await.unwrap().json().await.unwrap();
    assert!(filtered["leads"].as_array().unwrap().iter().all(|l| l["band"] == band.as_str()));
    let company = sample_lead(2)["fields"]["company"].as_str().unwrap().to_string();
    let search = &company[..company.len().min(6)].to_lowercase();
    let found: Value = client.get(format!("{url}/leads?q={search}")).send().await.unwrap().json().await.unwrap();
    assert!(found["leads"].as_array().unwrap().iter().any(|l| l["company"] == company.as_str()), "{found}");
    let wildcard: Value = client.get(format!("{url}/leads?q=%25")).send().await.unwrap().json().await.unwrap();
    assert_eq!(wildcard["total"], 0, "a % in the search is a literal %");

    let lead_id = sample_lead(1)["id"].as_str().unwrap().to_string();
    let detail: Value = client.get(format!("{url}/leads/{lead_id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(detail["context"]["fields"], sample_lead(1)["fields"]);
    assert_eq!(detail["score"]["lead_id"], lead_id.as_str());
}

async fn an_idempotency_key_returns_the_same_request_and_the_cache_answers_repeats(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let client = common::client_as("acme");
    let lead = sample_lead(7);
    let post = |key: &'static str, body: Value| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let response = client.post(format!("{url}/leads/score")).header("Idempotency-Key", key).json(&body).send();
            response.await.unwrap().json::<Value>().await.unwrap()
        }
    };
    let first = post("order-1", score_body(&lead)).await;
    let again = post("order-1", score_body(&lead)).await;
    assert_eq!(first["request_id"], again["request_id"], "a retried call is the same request");
    let a = common::finished(&client, &url, first["request_id"].as_str().unwrap()).await;
    // Only once the first is scored is the cache warm: two requests for one
    // lead in the same worker batch are scored side by side and both miss.
    let other = post("order-2", score_body(&lead)).await;
    assert_ne!(first["request_id"], other["request_id"]);
    let b = common::finished(&client, &url, other["request_id"].as_str().unwrap()).await;
    assert_eq!(a["result"]["score"], b["result"]["score"]);

    let forced =
        post("order-3", json!({"lead_id": lead["id"], "context": lead, "overrides": {"force_refresh": true}})).await;
    common::finished(&client, &url, forced["request_id"].as_str().unwrap()).await;
    let metrics = client.get(format!("{url}/metrics")).send().await.unwrap().text().await.unwrap();
    let count = |outcome: &str| {
        let prefix = format!("leadscore_score_cache_total{{outcome=\"{outcome}\"}} ");
        metrics.lines().find_map(|l| l.strip_prefix(&prefix)).map_or(0, |n| n.parse::<u64>().unwrap())
    };
    // The first request missed, the repeat hit, the forced one did not look.
    assert_eq!((count("miss"), count("hit")), (1, 1), "{metrics}");
}

async fn one_tenant_never_sees_another_tenants_requests_or_leads(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let (acme, globex) = (common::client_as("acme"), common::client_as("globex"));
    let lead = sample_lead(3);
    let lead_id = lead["id"].as_str().unwrap();
    let (_, accepted) = request(&acme, &url, score_body(&lead)).await;
    let request_id = accepted["request_id"].as_str().unwrap();
    common::finished(&acme, &url, request_id).await;

    for path in
        [format!("/leads/score/{request_id}/status"), format!("/leads/{lead_id}/score"), format!("/leads/{lead_id}")]
    {
        let response = globex.get(format!("{url}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path} is invisible to another tenant");
    }
    let queue: Value = globex.get(format!("{url}/leads")).send().await.unwrap().json().await.unwrap();
    assert_eq!(queue["total"], 0);
    // The same lead id scored by globex is globex's own lead.
    let mut theirs = lead.clone();
    theirs["fields"]["company"] = json!("Globex Corporation");
    let (_, accepted) = request(&globex, &url, score_body(&theirs)).await;
    common::finished(&globex, &url, accepted["request_id"].as_str().unwrap()).await;
    let mine: Value = acme.get(format!("{url}/leads/{lead_id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(mine["context"]["fields"]["company"], lead["fields"]["company"]);
}

async fn every_kind_of_bad_token_is_refused(backend: Backend) {
    use base64::Engine;
    let (url, _store) = spawn_app(backend).await;
    let body = score_body(&sample_lead(0));
    let claims = |exp: u64| json!({"sub": "x", "org": "acme", "scope": "crm.write.leads", "iat": 0, "exp": exp});
    let sign = |secret: &[u8], claims: Value| {
        let key = jsonwebtoken::EncodingKey::from_secret(secret);
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap()
    };
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let cases: Vec<(&str, Option<String>, u16)> = vec![
        ("missing", None, 401),
        ("expired", Some(sign(common::SECRET, claims(1_000))), 401),
        ("badly signed", Some(sign(b"someone-else", claims(9_999_999_999))), 401),
        (
            "alg none",
            Some(format!("{}.{}.", b64(json!({"alg": "none", "typ": "JWT"})), b64(claims(9_999_999_999)))),
            401,
        ),
        ("garbage", Some("not-a-jwt".into()), 401),
        ("wrong scope", Some(common::token("acme", &[leadscore::auth::READ_LEADS])), 403),
    ];
    for (what, token, status) in cases {
        let mut post = reqwest::Client::new().post(format!("{url}/leads/score")).json(&body);
        if let Some(token) = token {
            post = post.bearer_auth(token);
        }
        let response = post.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{what}");
        let error: Value = response.json().await.unwrap();
        assert!(error["error"]["message"].is_string(), "{what}: JSON error {error}");
    }
    let writer = common::token("acme", &[leadscore::auth::WRITE_LEADS]);
    let response = reqwest::Client::new().get(format!("{url}/leads")).bearer_auth(writer).send().await.unwrap();
    assert_eq!(response.status(), 403, "reading needs crm.read.leads");
}

async fn malformed_requests_are_refused_at_the_api(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let client = common::client_as("acme");
    let lead = sample_lead(0);
    let mut bad_activity = lead.clone();
    bad_activity["activities"][0]["at"] = json!("yesterday");
    let cases = [
        (json!({"context": lead}), "lead_id"),
        (json!({"lead_id": lead["id"], "context": "a lead"}), "context"),
        (json!({"lead_id": "someone-else", "context": lead}), "context.id"),
        (json!({"lead_id": lead["id"], "context": bad_activity}), "context.activities[0].at"),
        (json!({"lead_id": lead["id"], "context": lead, "overrides": {"model_version": "v99"}}), "v99"),
        (json!({"lead_id": lead["id"], "context": lead, "colour": "red"}), "colour"),
    ];
    for (body, names) in cases {
        let (status, error) = request(&client, &url, body).await;
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert_eq!(status, 400, "{error}");
        assert!(message.contains(names), "the message names {names}: {message}");
    }
    for query in ["band=lukewarm", "limit=0", "limit=1000", "offset=-1"] {
        let response = client.get(format!("{url}/leads?{query}")).send().await.unwrap();
        assert_eq!(response.status(), 400, "{query}");
    }
    let queue: Value = client.get(format!("{url}/leads")).send().await.unwrap().json().await.unwrap();
    assert_eq!(queue["total"], 0, "nothing malformed was queued or stored");
}

async fn a_trapping_version_falls_back_and_a_request_nothing_can_score_ends_failed(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let operator = common::operator();
    let bytes = common::hostile("panics-on-boom");
    let manifest = common::services::hostile_manifest("hostile", &bytes);
    let form = reqwest::multipart::Form::new()
        .part("component", reqwest::multipart::Part::bytes(bytes))
        .text("manifest", manifest);
    let response = operator.post(format!("{url}/models")).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());

    let client = common::client_as("acme");
    let routing = json!({"active": "hostile", "fallback": ["v12"]});
    assert_eq!(client.put(format!("{url}/models/routing")).json(&routing).send().await.unwrap().status(), 200);
    let mut lead = sample_lead(4);
    lead["id"] = json!("boom-1");
    let (_, accepted) = request(&client, &url, score_body(&lead)).await;
    let done = common::finished(&client, &url, accepted["request_id"].as_str().unwrap()).await;
    assert_eq!((&done["status"], &done["result"]["model_version"]), (&json!("SUCCESS"), &json!("v12")), "{done}");

    let alone = json!({"active": "hostile", "fallback": []});
    assert_eq!(client.put(format!("{url}/models/routing")).json(&alone).send().await.unwrap().status(), 200);
    lead["id"] = json!("boom-2");
    let (_, accepted) = request(&client, &url, score_body(&lead)).await;
    let done = common::finished(&client, &url, accepted["request_id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "FAILED", "{done}");
    assert_eq!(done["attempts"], 3, "retried, then given up: {done}");
    assert!(done["error"].as_str().unwrap().contains("trapped"), "{done}");
}

async fn outcomes_are_recorded_for_the_tenants_scored_leads_and_checked(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let (acme, globex) = (common::client_as("acme"), common::client_as("globex"));
    let lead = sample_lead(5);
    let lead_id = lead["id"].as_str().unwrap().to_string();
    let (_, accepted) = request(&acme, &url, score_body(&lead)).await;
    common::finished(&acme, &url, accepted["request_id"].as_str().unwrap()).await;
    let report = |client: &reqwest::Client, id: &str, body: Value| {
        let post = client.post(format!("{url}/leads/{id}/outcome")).json(&body).send();
        async move {
            let response = post.await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };

    let (status, body) = report(&acme, &lead_id, json!({"outcome": "lost", "at": "2026-10-01T09:00:00Z"})).await;
    assert_eq!((status, &body["outcome"]), (200, &json!("lost")), "{body}");
    let (status, _) = report(&acme, &lead_id, json!({"outcome": "won", "at": "2026-10-20T09:00:00+02:00"})).await;
    assert_eq!(status, 200);
    let detail: Value = acme.get(format!("{url}/leads/{lead_id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(detail["outcome"], json!({"outcome": "won", "at": 1_792_479_600_000_i64}), "the latest report wins");

    for (body, says) in [
        (json!({"outcome": "maybe", "at": "2026-10-01T09:00:00Z"}), "won, lost, disqualified"),
        (json!({"outcome": "won", "at": "last week"}), "RFC 3339"),
        (json!({"outcome": "won", "at": "2099-01-01T00:00:00Z"}), "future"),
        (json!({"outcome": "won"}), "at"),
    ] {
        let (status, error) = report(&acme, &lead_id, body).await;
        assert_eq!(status, 400, "{error}");
        assert!(error["error"]["message"].as_str().unwrap().contains(says), "{says}: {error}");
    }
    let ok = json!({"outcome": "won", "at": "2026-10-01T09:00:00Z"});
    assert_eq!(report(&acme, "never-scored", ok.clone()).await.0, 404);
    assert_eq!(report(&globex, &lead_id, ok.clone()).await.0, 404, "another tenant's lead is unknown to globex");
    let reader = common::token("acme", &[leadscore::auth::READ_LEADS]);
    let response = reqwest::Client::new()
        .post(format!("{url}/leads/{lead_id}/outcome"))
        .bearer_auth(reader)
        .json(&ok)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

/// Postgres cannot store U+0000 and SQLite can: both refuse it, and every
/// control character in an id or the search, at the API (before, Postgres
/// retried its permanent error for 30 s and answered 503).
async fn control_characters_and_padded_ids_are_refused_alike(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let client = common::client_as("acme");
    let mut lead = sample_lead(3);
    lead.as_object_mut().unwrap().remove("id");
    let mut nul_name = lead.clone();
    nul_name["fields"]["name"] = json!("Ann\u{0}Lee");
    let cases = [
        (json!({"lead_id": "lead\u{0}1", "context": lead}), "lead_id"),
        (json!({"lead_id": "lead\u{7}1", "context": lead}), "lead_id"),
        (json!({"lead_id": " lead-1 ", "context": lead}), "lead_id"),
        (json!({"lead_id": "é".repeat(201), "context": lead}), "lead_id"),
        (json!({"lead_id": "lead-1", "context": nul_name}), "context.fields.name"),
    ];
    for (body, names) in cases {
        let (status, error) = request(&client, &url, body).await;
        assert_eq!(status, 400, "{error}");
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(names), "the message names {names}: {message}");
    }
    // 200 characters of two bytes each: the limit counts characters.
    let (status, body) = request(&client, &url, json!({"lead_id": "é".repeat(200), "context": lead})).await;
    assert_eq!(status, 202, "{body}");
    for path in ["/leads?q=%00", "/leads?q=a%0Ab", "/leads/a%00b", "/leads/a%00b/score", "/leads/score/req%01/status"] {
        let response = client.get(format!("{url}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 400, "{path}");
        let error: Value = response.json().await.unwrap();
        assert!(error["error"]["message"].as_str().unwrap().contains("control character"), "{path}: {error}");
    }
    let touch = client.post(format!("{url}/leads/a%00b/touch")).json(&json!({"at": "2026-10-01T00:00:00Z"}));
    assert_eq!(touch.send().await.unwrap().status(), 400);
}

/// A lead as of year 9999 would be the newest weekly cohort for good, and a
/// touch dated year 1 would make its time to first touch 0 h for good.
async fn absurd_times_are_refused_before_they_reach_the_learning_loop(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let client = common::client_as("acme");
    let lead = sample_lead(4);
    for as_of in ["9999-12-27T00:00:00Z", "0001-01-01T00:00:00Z", "2019-01-01T00:00:00Z"] {
        let mut absurd = lead.clone();
        absurd["as_of"] = json!(as_of);
        let (status, error) = request(&client, &url, score_body(&absurd)).await;
        assert_eq!(status, 400, "{as_of}: {error}");
        assert!(error["error"]["message"].as_str().unwrap().starts_with("context.as_of"), "{error}");
        let sync = client.post(format!("{url}/score-lead")).json(&absurd).send().await.unwrap();
        assert_eq!(sync.status(), 400, "{as_of} on the sync API");
    }
    let (_, accepted) = request(&client, &url, score_body(&lead)).await;
    common::finished(&client, &url, accepted["request_id"].as_str().unwrap()).await;
    let lead_id = lead["id"].as_str().unwrap();
    let arrived = chrono::DateTime::parse_from_rfc3339(lead["as_of"].as_str().unwrap()).unwrap();
    let at = |hours: i64| (arrived + chrono::Duration::hours(hours)).to_rfc3339();
    let post = |what: &str, body: Value| client.post(format!("{url}/leads/{lead_id}/{what}")).json(&body).send();
    for (what, body, says) in [
        ("touch", json!({"at": "0001-01-01T00:00:00Z"}), "before the lead arrived"),
        ("touch", json!({"at": at(-48)}), "before the lead arrived"),
        ("outcome", json!({"outcome": "won", "at": at(-48)}), "before the lead arrived"),
        ("touch", json!({"at": (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339()}), "future"),
    ] {
        let response = post(what, body).await.unwrap();
        assert_eq!(response.status(), 400, "{what}");
        let error: Value = response.json().await.unwrap();
        assert!(error["error"]["message"].as_str().unwrap().contains(says), "{says}: {error}");
    }
    // Within the day of slack before arrival, and after it: accepted.
    assert_eq!(post("touch", json!({"at": at(-2)})).await.unwrap().status(), 200);
    assert_eq!(post("outcome", json!({"outcome": "won", "at": at(24)})).await.unwrap().status(), 200);
}

/// Every accepted request's lead JSON used to stay in the stream after its
/// acknowledgement (10,098 entries, 797 MB after 10,000 requests). Now an
/// acknowledged entry is deleted; one read but not acknowledged (its worker
/// died) stays until another worker claims and acknowledges it.
#[tokio::test(flavor = "multi_thread")]
async fn the_redis_stream_keeps_only_what_is_not_yet_acknowledged() {
    use leadscore::pipeline::queue::Lane;
    use leadscore::pipeline::{Job, Queue};
    use std::time::Duration;
    let namespace = format!("test-{}:", uuid::Uuid::new_v4().simple());
    let queue = Queue::redis(&common::services::redis_url(), &namespace).await.unwrap();
    let job = |n: usize| Job {
        request_id: format!("req-{n}"),
        org_id: "acme".into(),
        lead_id: format!("lead-{n}"),
        lead: guest_model::load::lead_json::from_json(&sample_lead(n % 12)).unwrap(),
        model_version: None,
        force_refresh: false,
    };
    let mut reader = queue.reader("worker-1", true).await.unwrap();
    let mut longest = 0;
    for round in 0..20 {
        for n in 0..500 {
            queue.enqueue(&job(round * 500 + n), Lane::Live).await.unwrap();
        }
        longest = longest.max(queue.len(None).await.unwrap());
        let mut handled = 0;
        while handled < 500 {
            let deliveries = reader.next(100, Duration::from_secs(60), Duration::from_millis(200)).await.unwrap();
            handled += deliveries.len();
            queue.ack(&deliveries).await.unwrap();
        }
        assert_eq!(queue.len(None).await.unwrap(), 0, "round {round}: every acknowledged entry is gone");
    }
    assert_eq!(longest, 500, "the stream never held more than one round's backlog");

    queue.enqueue(&job(10_000), Lane::Live).await.unwrap();
    let read = reader.next(10, Duration::from_secs(60), Duration::from_millis(200)).await.unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(queue.len(None).await.unwrap(), 1, "read but not acknowledged: kept");
    let mut other = queue.reader("worker-2", true).await.unwrap();
    let claimed = other.next(10, Duration::ZERO, Duration::from_millis(200)).await.unwrap();
    assert_eq!(claimed.iter().map(|d| d.job.request_id.as_str()).collect::<Vec<_>>(), ["req-10000"]);
    queue.ack(&claimed).await.unwrap();
    assert_eq!(queue.len(None).await.unwrap(), 0);

    forget_namespace(&namespace).await;
}

/// Deletes every Redis key of a test's namespace.
async fn forget_namespace(namespace: &str) {
    let client = redis::Client::open(common::services::redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{namespace}*")).query_async(&mut conn).await.unwrap();
    if !keys.is_empty() {
        let _: i64 = redis::AsyncCommands::del(&mut conn, keys).await.unwrap();
    }
}

/// One tenant's burst must not queue another tenant's request behind it,
/// and background work waits for live work: on Redis streams and in process.
#[tokio::test(flavor = "multi_thread")]
async fn the_queue_reads_live_before_bulk_and_shares_each_lane_between_tenants() {
    use leadscore::pipeline::queue::Lane;
    use leadscore::pipeline::{Job, Queue};
    use std::time::Duration;
    let namespace = format!("test-{}:", uuid::Uuid::new_v4().simple());
    let job = |org: &str, n: usize| Job {
        request_id: format!("req-{org}-{n}"),
        org_id: org.into(),
        lead_id: format!("lead-{n}"),
        lead: guest_model::load::lead_json::from_json(&sample_lead(n % 12)).unwrap(),
        model_version: None,
        force_refresh: false,
    };
    for queue in [Queue::redis(&common::services::redis_url(), &namespace).await.unwrap(), Queue::local()] {
        let mut reader = queue.reader("worker-1", true).await.unwrap();
        for n in 0..300 {
            queue.enqueue(&job("bulky", n), Lane::Bulk).await.unwrap();
        }
        let mut live_only = queue.reader("worker-live", false).await.unwrap();
        assert!(
            live_only.next(10, Duration::from_secs(60), Duration::from_millis(100)).await.unwrap().is_empty(),
            "a reader kept for live requests leaves bulk work alone"
        );
        for n in 0..1000 {
            queue.enqueue(&job("a", n), Lane::Live).await.unwrap();
        }
        queue.enqueue(&job("b", 0), Lane::Live).await.unwrap();
        assert_eq!(queue.len(Some(Lane::Bulk)).await.unwrap(), 300);
        assert_eq!(queue.len(Some(Lane::Live)).await.unwrap(), 1001);
        let first = reader.next(32, Duration::from_secs(60), Duration::from_millis(200)).await.unwrap();
        let ids: Vec<&str> = first.iter().map(|d| d.job.request_id.as_str()).collect();
        assert!(ids.contains(&"req-b-0"), "b's one request is in the first read, not behind a's 1,000: {ids:?}");
        assert!(first.iter().all(|d| d.lane == Lane::Live), "no bulk work while live work waits");
        queue.ack(&first).await.unwrap();
        // Live work drains before bulk work starts.
        let mut lanes = Vec::new();
        loop {
            let read = reader.next(100, Duration::from_secs(60), Duration::from_millis(200)).await.unwrap();
            if read.is_empty() {
                break;
            }
            lanes.extend(read.iter().map(|d| d.lane));
            queue.ack(&read).await.unwrap();
        }
        assert_eq!(lanes.len(), 1001 - first.len() + 300);
        let first_bulk = lanes.iter().position(|l| *l == Lane::Bulk).unwrap();
        assert!(lanes[first_bulk..].iter().all(|l| *l == Lane::Bulk), "live requests never wait behind bulk ones");
        assert_eq!(queue.len(None).await.unwrap(), 0);
    }
    forget_namespace(&namespace).await;
}

/// A value the database refuses fails the same way every time: it is not
/// retried. A connection that cannot be made may come back: it is.
#[tokio::test(flavor = "multi_thread")]
async fn a_permanent_database_error_is_answered_at_once_and_a_lost_connection_is_retried() {
    use sqlx::Connection;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    let url = common::services::fresh_database().await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let attempts = AtomicUsize::new(0);
    let stored = leadscore::pipeline::with_retry("storing a NUL", Duration::from_secs(30), || async {
        attempts.fetch_add(1, Ordering::SeqCst);
        sqlx::query("SELECT $1::text").bind("a\u{0}b").execute(&pool).await?;
        Ok(())
    })
    .await;
    let error = stored.unwrap_err();
    assert!(!leadscore::pipeline::is_transient(&error), "{error:#}");
    assert_eq!(attempts.load(Ordering::SeqCst), 1, "tried once: {error:#}");

    let attempts = AtomicUsize::new(0);
    let connected = leadscore::pipeline::with_retry("connecting", Duration::from_millis(600), || async {
        attempts.fetch_add(1, Ordering::SeqCst);
        sqlx::PgConnection::connect("postgres://postgres@127.0.0.1:1/nowhere").await?;
        Ok(())
    })
    .await;
    let error = connected.unwrap_err();
    assert!(leadscore::pipeline::is_transient(&error), "{error:#}");
    assert!(attempts.load(Ordering::SeqCst) > 1, "retried");
}
