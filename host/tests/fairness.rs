//! One tenant's flood must not starve another, on both backends: tenant A
//! posts 5,000 requests as fast as it can (16 at a time, honouring
//! `429 Retry-After`) while tenant B posts 20 at 2 a second. B's requests
//! reach SUCCESS within a second (p90), and while each of B's waited, A's
//! backlog moved by little more than a batch per worker: B was not queued
//! behind it. Its own test binary, so nothing else runs beside it.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::Backend;
use serde_json::{Value, json};

const A_REQUESTS: usize = 5_000;
const B_REQUESTS: usize = 20;

on_both_backends!(a_tenants_flood_does_not_starve_another_tenant);

async fn a_tenants_flood_does_not_starve_another_tenant(backend: Backend) {
    let store = tempfile::tempdir().unwrap();
    let backends = backend.backends().await;
    let database = leadscore::pipeline::database_url(backends.database_url.as_ref(), store.path());
    let mut settings = common::settings(common::all_versions_dir(), store.path(), backends, 2);
    (settings.tenant_rate, settings.tenant_burst) = (1_000, 1_000);
    let url = common::spawn(settings).await;
    let (a, b) = (format!("a-{}", uuid::Uuid::new_v4().simple()), format!("b-{}", uuid::Uuid::new_v4().simple()));
    let leads: Vec<Value> =
        (0..12).map(|n| serde_json::from_str(&common::sample_line("models/sample-leads.jsonl", n)).unwrap()).collect();

    // A: as fast as it can.
    let (a_client, sent, refused) =
        (common::client_as(&a), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut flood = Vec::new();
    for _ in 0..16 {
        let (client, url, leads, sent, refused) =
            (a_client.clone(), url.clone(), leads.clone(), sent.clone(), refused.clone());
        flood.push(tokio::spawn(async move {
            loop {
                let n = sent.fetch_add(1, Ordering::Relaxed);
                if n >= A_REQUESTS {
                    return;
                }
                let body = json!({"lead_id": format!("a-lead-{n}"), "context": without_id(&leads[n % 12])});
                loop {
                    let response = client.post(format!("{url}/leads/score")).json(&body).send().await.unwrap();
                    match response.status().as_u16() {
                        202 => break,
                        429 => {
                            refused.fetch_add(1, Ordering::Relaxed);
                            let wait: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
                            assert!(wait >= 1, "Retry-After is whole seconds, at least 1");
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                        status => panic!("A's request answered {status}: {}", response.text().await.unwrap()),
                    }
                }
            }
        }));
    }
    // Let A's backlog build first.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // B: 20 requests at 2 a second, each followed to SUCCESS.
    let b_client = common::client_as(&b);
    let mut waits = Vec::new();
    for n in 0..B_REQUESTS {
        let (client, url, lead) = (b_client.clone(), url.clone(), without_id(&leads[n % 12]));
        waits.push(tokio::spawn(async move {
            let started = Instant::now();
            let body = json!({"lead_id": format!("b-lead-{n}"), "context": lead});
            let (status, accepted) = common::send_json(client.post(format!("{url}/leads/score")).json(&body)).await;
            assert_eq!(status, 202, "{accepted}");
            let request_id = accepted["request_id"].as_str().unwrap().to_string();
            loop {
                let status = common::get_json(&client, &format!("{url}/leads/score/{request_id}/status")).await;
                if status["status"] == "SUCCESS" {
                    return (
                        started.elapsed(),
                        status["created_at"].as_i64().unwrap(),
                        status["updated_at"].as_i64().unwrap(),
                    );
                }
                assert_eq!(status["status"], "PENDING", "{status}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let mut b_done = Vec::new();
    for wait in waits {
        b_done.push(wait.await.unwrap());
    }
    for task in flood {
        task.await.unwrap();
    }
    common::wait_for_queue(&a_client, &url, A_REQUESTS as u64).await;

    // While each of B's requests waited, how many of A's finished?
    let pool = sqlx::AnyPool::connect(database.expose()).await.unwrap();
    let mut overtaken = Vec::new();
    for (_, created, finished) in &b_done {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM score_requests WHERE org_id = $1 AND status = 'SUCCESS' \
             AND updated_at > $2 AND updated_at < $3",
        )
        .bind(&a)
        .bind(created)
        .bind(finished)
        .fetch_one(&pool)
        .await
        .unwrap();
        overtaken.push(n);
    }
    let mut latencies: Vec<Duration> = b_done.iter().map(|(elapsed, _, _)| *elapsed).collect();
    latencies.sort();
    let p90 = latencies[latencies.len() * 9 / 10 - 1];
    println!(
        "{backend:?}: B p90 to SUCCESS {p90:?} (max {:?}); A's requests finished while one of B's waited: \
         max {}; A refused 429 {} times",
        latencies.last().unwrap(),
        overtaken.iter().max().unwrap(),
        refused.load(Ordering::Relaxed),
    );
    assert!(p90 < Duration::from_secs(1), "B's p90 to SUCCESS is {p90:?}: {latencies:?}");
    // Two workers, each with a batch of 32 in hand (plus the one it reads
    // next): a request that had to wait behind A's backlog would see thousands.
    assert!(*overtaken.iter().max().unwrap() < 300, "B waited behind A's backlog: {overtaken:?}");

    a_tenant_past_its_rate_is_answered_429_with_retry_after(backend).await;
}

/// The rate limit itself, over HTTP: a bucket of two at one lead a second.
async fn a_tenant_past_its_rate_is_answered_429_with_retry_after(backend: Backend) {
    let store = tempfile::tempdir().unwrap();
    let mut settings = common::settings(common::all_versions_dir(), store.path(), backend.backends().await, 1);
    (settings.tenant_rate, settings.tenant_burst) = (1, 2);
    let url = common::spawn(settings).await;
    let lead: Value = serde_json::from_str(&common::sample_line("models/sample-leads.jsonl", 0)).unwrap();
    let (c, d) = (common::client_as("rate-c"), common::client_as("rate-d"));
    for _ in 0..2 {
        assert_eq!(c.post(format!("{url}/score-lead")).json(&lead).send().await.unwrap().status(), 200);
    }
    let response = c.post(format!("{url}/leads/score")).json(&json!({"lead_id": "x", "context": without_id(&lead)}));
    let response = response.send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("1 lead a second"), "{body}");
    assert_eq!(d.post(format!("{url}/score-lead")).json(&lead).send().await.unwrap().status(), 200, "d has its own");
}

/// A lead's JSON without its `id` (the request's `lead_id` names it).
fn without_id(lead: &Value) -> Value {
    let mut lead = lead.clone();
    lead.as_object_mut().unwrap().remove("id");
    lead
}
