//! Scheduled rescoring with a clock the test controls
//! (`leadscore::pipeline::db::advance_clock`), over real HTTP on both
//! backends: a lead whose score is older than its tenant's period is
//! rescored at as_of = now; as its recent activity leaves the feature
//! windows its score decays, the trend turns Declining and a verified
//! `lead.trend_changed` webhook arrives; a tenant that turned rescoring off
//! keeps its score. The clock is process-wide: this binary holds one test,
//! which runs the backends one after the other.

mod common;

use std::time::Duration;

use common::Backend;
use common::receiver::{Receiver, free_port};
use leadscore::pipeline::db::advance_clock;

use serde_json::{Value, json};

const HOUR: Duration = Duration::from_secs(3600);

fn unique(name: &str) -> String {
    format!("{name}-{}", uuid::Uuid::new_v4().simple())
}

use common::send_json as send;

/// A lead as of now that was very busy in the last two days.
fn busy_lead(id: &str) -> Value {
    let mut lead: Value = serde_json::from_str(&common::sample_line("models/sample-leads.jsonl", 0)).unwrap();
    let now = chrono::Utc::now();
    lead["id"] = json!(id);
    lead["as_of"] = json!(now.to_rfc3339());
    let mut activities = Vec::new();
    for hour in 1..=40 {
        let at = (now - chrono::Duration::hours(hour)).to_rfc3339();
        let page = ["/pricing", "/docs", "/case-studies/acme", "/pricing"][hour as usize % 4];
        activities.push(json!({"kind": "page_view", "at": at, "page": page}));
        if hour % 8 == 0 {
            activities.push(json!({"kind": "email_click", "at": at, "campaign": "pricing-update"}));
        }
    }
    activities.push(json!({"kind": "demo_request", "at": (now - chrono::Duration::hours(3)).to_rfc3339()}));
    lead["activities"] = json!(activities);
    lead
}

async fn points(client: &reqwest::Client, url: &str, id: &str) -> (Vec<Value>, Value) {
    let history = common::get_json(client, &format!("{url}/leads/{id}/history")).await;
    (history["points"].as_array().unwrap().clone(), history["trend"].clone())
}

/// Waits until the lead has `n` scorings (or 20 s pass).
async fn until_scorings(client: &reqwest::Client, url: &str, id: &str, n: usize) -> (Vec<Value>, Value) {
    for _ in 0..200 {
        let (points, trend) = points(client, url, id).await;
        if points.len() >= n {
            return (points, trend);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    points(client, url, id).await
}

#[tokio::test(flavor = "multi_thread")]
async fn scores_decay_on_schedule_the_trend_turns_declining_and_a_webhook_says_so() {
    for backend in [Backend::Embedded, Backend::Shared] {
        decay_on(backend).await;
    }
}

async fn decay_on(backend: Backend) {
    let store = tempfile::tempdir().unwrap();
    let mut settings = common::settings(common::all_versions_dir(), store.path(), backend.backends().await, 2);
    settings.pipeline.rescore_scan_every = Duration::from_millis(100);
    settings.pipeline.webhooks.allow_private = true;
    settings.pipeline.webhooks.retry_base = Duration::from_millis(200);
    let url = common::spawn(settings).await;
    let client = common::client_as(&unique("acme"));
    let idle = common::client_as(&unique("idle"));
    let (status, _) =
        send(client.put(format!("{url}/integrations/settings")).json(&json!({"rescore_every_hours": 24}))).await;
    assert_eq!(status, 200);
    let (status, _) =
        send(idle.put(format!("{url}/integrations/settings")).json(&json!({"rescore_every_hours": 0}))).await;
    assert_eq!(status, 200);
    let (_, shown) = send(client.get(format!("{url}/integrations/settings"))).await;
    assert_eq!(shown["rescore_every_hours"], 24.0);
    let port = free_port();
    let body = json!({"url": format!("http://127.0.0.1:{port}/"), "events": ["lead.trend_changed"]});
    let (status, endpoint) = send(client.post(format!("{url}/integrations/webhooks")).json(&body)).await;
    assert_eq!(status, 201, "{endpoint}");
    let receiver = Receiver::start(port, endpoint["secret"].as_str().unwrap());

    let id = unique("lead");
    let lead = busy_lead(&id);
    for (who, lead) in [(&client, &lead), (&idle, &lead)] {
        let (status, accepted) =
            send(who.post(format!("{url}/leads/score")).json(&json!({"lead_id": id, "context": lead}))).await;
        assert_eq!(status, 202, "{accepted}");
        common::finished(who, &url, accepted["request_id"].as_str().unwrap()).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(points(&client, &url, &id).await.0.len(), 1, "not due yet");

    // A day later: due, rescored at the new now.
    advance_clock(25 * HOUR);
    let (after_a_day, _) = until_scorings(&client, &url, &id, 2).await;
    assert_eq!(after_a_day.len(), 2, "rescored once the period passed: {after_a_day:?}");
    // Then every eight days for a month: the week's pricing visits, the demo
    // request, then the month's activity leave their windows.
    let mut trends = Vec::new();
    for step in 0..4 {
        advance_clock(8 * 24 * HOUR);
        let (scored, trend) = until_scorings(&client, &url, &id, 3 + step).await;
        assert_eq!(scored.len(), 3 + step, "{scored:?}");
        trends.push(trend);
    }
    let (month, _) = points(&client, &url, &id).await;
    let score = |p: &Value| p["score"].as_i64().unwrap();
    let scores: Vec<i64> = month.iter().map(score).collect();
    assert!(scores.last().unwrap() + 5 <= scores[0], "the score decayed: {scores:?}");
    // Declining while the fall is in the trend's 30-day window.
    assert!(trends.iter().any(|t| t == "declining"), "{scores:?} {trends:?}");
    let as_of = |p: &Value| chrono::DateTime::parse_from_rfc3339(p["as_of"].as_str().unwrap()).unwrap();
    assert!(as_of(month.last().unwrap()) - as_of(&month[0]) >= chrono::Duration::days(33));

    // The CRM was told, with a signature its library verifies.
    let seen = receiver.wait_for(1).await;
    let declined = seen["verified"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["body"]["data"]["lead_id"] == id.as_str() && d["body"]["data"]["trend"] == "declining");
    assert!(declined.is_some(), "{seen}");
    assert_eq!(declined.unwrap()["body"]["type"], "lead.trend_changed");

    // The tenant that turned rescoring off kept its one score.
    assert_eq!(points(&idle, &url, &id).await.0.len(), 1);
}
