//! Nothing accepted is lost, on real Postgres and Redis: three processes
//! share the work and one is killed with SIGKILL under load; Postgres goes
//! away for a few seconds under load; Redis loses the queue under load;
//! Redis drops every connection. Every accepted request ends SUCCESS, with
//! exactly one score. A host killed while it delivers webhooks loses none:
//! every score's `lead.scored` reaches the receiver.

mod common;

use common::host::Host;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use leadscore::pipeline::Backends;
use serde_json::{Value, json};
use sqlx::Connection;

fn leads() -> Vec<Value> {
    let text = std::fs::read_to_string(common::workspace().join("models/sample-leads.jsonl")).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Posts scoring requests to `urls` in turn, `rate` per second whether or
/// not earlier ones have answered, until `stop`; returns the ids of the
/// accepted ones and the number refused (or never answered).
async fn load(urls: Vec<String>, rate: u64, stop: Arc<AtomicBool>) -> (Vec<String>, usize) {
    let client = common::client_as("acme");
    let leads = leads();
    let mut sent = Vec::new();
    let mut n = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let lead = &leads[n % leads.len()];
        let body = json!({"lead_id": lead["id"], "context": lead, "overrides": {"force_refresh": true}});
        let post = client.post(format!("{}/leads/score", urls[n % urls.len()])).json(&body);
        sent.push(tokio::spawn(async move {
            match post.timeout(Duration::from_secs(60)).send().await {
                Ok(r) if r.status() == 202 => {
                    r.json::<Value>().await.ok().map(|b| b["request_id"].as_str().unwrap().to_string())
                }
                _ => None, // a killed host: never accepted
            }
        }));
        n += 1;
        tokio::time::sleep(Duration::from_micros(1_000_000 / rate)).await;
    }
    let mut accepted = Vec::new();
    let mut refused = 0;
    for request in sent {
        match request.await.unwrap() {
            Some(id) => accepted.push(id),
            None => refused += 1,
        }
    }
    (accepted, refused)
}

/// Waits until every accepted request has left PENDING; then checks that
/// each ended SUCCESS with exactly one score and one inference log.
async fn every_request_succeeded_once(database_url: &str, accepted: &[String]) {
    let mut db = sqlx::PgConnection::connect(database_url).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let pending: i64 =
            sqlx::query_scalar("SELECT count(*) FROM score_requests WHERE status = 'PENDING' AND request_id = ANY($1)")
                .bind(accepted)
                .fetch_one(&mut db)
                .await
                .unwrap();
        if pending == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{pending} accepted requests still PENDING after 90 s");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT r.request_id, r.status, \
         (SELECT count(*) FROM lead_scores s WHERE s.request_id = r.request_id), \
         (SELECT count(*) FROM lead_scoring_logs l WHERE l.request_id = r.request_id) \
         FROM score_requests r WHERE r.request_id = ANY($1)",
    )
    .bind(accepted)
    .fetch_all(&mut db)
    .await
    .unwrap();
    assert_eq!(rows.len(), accepted.len(), "every accepted request was recorded");
    for (id, status, scores, logs) in rows {
        assert_eq!((status.as_str(), scores, logs), ("SUCCESS", 1, 1), "request {id}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn three_hosts_one_killed_under_load_every_accepted_request_succeeds_once() {
    let backends = common::services::shared_backends().await;
    let hosts: Vec<Host> = (0..3).map(|_| Host::start(&backends)).collect();
    let urls: Vec<String> = hosts.iter().map(|h| h.url.clone()).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let sender = tokio::spawn(load(urls, 150, stop.clone()));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut hosts = hosts;
    let mut victim = hosts.remove(1);
    victim.child.kill().unwrap(); // SIGKILL: no goodbye, deliveries left unacknowledged
    victim.child.wait().unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let (accepted, refused) = sender.await.unwrap();
    assert!(accepted.len() > 300, "the load ran: {} accepted, {refused} refused", accepted.len());
    every_request_succeeded_once(backends.database_url.as_ref().unwrap().expose(), &accepted).await;
}

/// A TCP proxy in front of Postgres or Redis that can be cut: while down it drops
/// every connection and refuses new ones, like a database that went away.
struct Outage {
    port: u16,
    down: Arc<AtomicBool>,
}

impl Outage {
    async fn in_front_of(target: &str) -> Outage {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let down = Arc::new(AtomicBool::new(false));
        let (target, flag) = (target.to_string(), down.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else { continue };
                if flag.load(Ordering::Relaxed) {
                    continue; // dropped: refused
                }
                let (target, flag) = (target.clone(), flag.clone());
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else { return };
                    let copy = tokio::io::copy_bidirectional(&mut inbound, &mut outbound);
                    let cut = async {
                        while !flag.load(Ordering::Relaxed) {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    };
                    tokio::select! { _ = copy => {}, _ = cut => {} }
                });
            }
        });
        Outage { port, down }
    }
}

async fn spawn_app(backends: Backends, workers: usize) -> (String, tempfile::TempDir) {
    let store = tempfile::tempdir().unwrap();
    (common::spawn(common::settings(common::v12_dir(), store.path(), backends, workers)).await, store)
}

/// Two hosts deliver a tenant's `lead.scored` webhooks to a slow receiver
/// (it answers 300 ms after it recorded a delivery); one is killed with
/// SIGKILL under load, with deliveries in flight whose attempts it never
/// recorded. Every accepted request's event still arrives, verified: the
/// survivor sends what the dead host held once its lease ends.
#[tokio::test(flavor = "multi_thread")]
async fn a_host_killed_mid_delivery_leaves_no_webhook_undelivered() {
    use common::receiver::{Receiver, free_port};
    let backends = common::services::shared_backends().await;
    // No holdout: a control-group lead's score causes no event.
    let flags = [
        "--webhook-allow-private",
        "--webhook-timeout-ms",
        "2000",
        "--webhook-retry-base-ms",
        "500",
        "--holdout-share",
        "0",
    ];
    let hosts: Vec<Host> = (0..2).map(|_| Host::start_with(&backends, &flags)).collect();
    let port = free_port();
    let admin = common::client_as("acme");
    let endpoint = json!({"url": format!("http://127.0.0.1:{port}/"), "events": ["lead.scored"]});
    let response = admin.post(format!("{}/integrations/webhooks", hosts[0].url)).json(&endpoint).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let registered: Value = response.json().await.unwrap();
    let receiver = Receiver::slow(port, registered["secret"].as_str().unwrap(), Duration::from_millis(300));

    let urls: Vec<String> = hosts.iter().map(|h| h.url.clone()).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let sender = tokio::spawn(load(urls, 50, stop.clone()));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut hosts = hosts;
    hosts[1].child.kill().unwrap(); // SIGKILL mid-delivery: claimed, sent, never recorded
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    let (accepted, _) = sender.await.unwrap();
    assert!(accepted.len() > 100, "{} accepted", accepted.len());
    let database_url = backends.database_url.clone().unwrap().expose().to_string();
    every_request_succeeded_once(&database_url, &accepted).await;

    // Every score's event arrives (the dead host's after its lease: 9 s).
    let deadline = Instant::now() + Duration::from_secs(60);
    let missing = loop {
        let seen = receiver.seen().await;
        assert_eq!(seen["refused"], json!([]), "every delivery verified");
        let delivered: std::collections::HashSet<&str> = seen["verified"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["body"]["data"]["request_id"].as_str().unwrap())
            .collect();
        let missing: Vec<&String> = accepted.iter().filter(|id| !delivered.contains(id.as_str())).collect();
        if missing.is_empty() || Instant::now() > deadline {
            break missing.len();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(missing, 0, "lead.scored events never delivered");
    // And every delivery ends recorded as delivered: the ones the dead host
    // sent but never recorded are sent again by the survivor after its lease.
    let mut db = sqlx::PgConnection::connect(&database_url).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let open: i64 = sqlx::query_scalar("SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'")
            .fetch_one(&mut db)
            .await
            .unwrap();
        if open == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{open} deliveries still not recorded as delivered after 60 s");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let seen = receiver.seen().await;
    let ids: Vec<&str> =
        seen["verified"].as_array().unwrap().iter().map(|d| d["webhook_id"].as_str().unwrap()).collect();
    let distinct: std::collections::HashSet<&str> = ids.iter().copied().collect();
    println!(
        "{} deliveries, {} received twice (sent by the killed host, then again)",
        distinct.len(),
        ids.len() - distinct.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_away_for_seconds_under_load_makes_requests_wait_not_fail() {
    let mut backends = common::services::shared_backends().await;
    let direct = backends.database_url.clone().unwrap().expose().to_string();
    let outage = Outage::in_front_of("127.0.0.1:5432").await;
    backends.database_url = Some(direct.replace("127.0.0.1:5432", &format!("127.0.0.1:{}", outage.port)).into());
    let (url, _store) = spawn_app(backends, 2).await;
    let stop = Arc::new(AtomicBool::new(false));
    let sender = tokio::spawn(load(vec![url], 100, stop.clone()));
    tokio::time::sleep(Duration::from_secs(2)).await;
    outage.down.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(4)).await;
    outage.down.store(false, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let (accepted, refused) = sender.await.unwrap();
    assert_eq!(refused, 0, "requests waited for the database instead of failing");
    assert!(accepted.len() > 200, "{} accepted", accepted.len());
    every_request_succeeded_once(&direct, &accepted).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_losing_the_queue_under_load_leaves_the_sweeper_to_finish_every_request() {
    let backends = common::services::shared_backends().await;
    let streams = format!("{}{}*", backends.redis_namespace, leadscore::pipeline::queue::STREAM);
    let redis = redis::Client::open(backends.redis_url.clone().unwrap().expose().to_string()).unwrap();
    let mut conn = redis.get_multiplexed_async_connection().await.unwrap();
    let database_url = backends.database_url.clone().unwrap().expose().to_string();
    // A host that only accepts (no workers): everything it queues in the
    // first two seconds is still in the stream when the stream is lost.
    let (api, _api_store) = spawn_app(backends.clone(), 0).await;
    let stop = Arc::new(AtomicBool::new(false));
    let sender = tokio::spawn(load(vec![api], 100, stop.clone()));
    tokio::time::sleep(Duration::from_secs(2)).await;
    // As if Redis restarted empty: the streams, their groups and every entry are gone.
    lose(&mut conn, &streams).await;
    let (_worker, _worker_store) = spawn_app(backends, 2).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    lose(&mut conn, &streams).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    let (accepted, refused) = sender.await.unwrap();
    assert_eq!(refused, 0);
    assert!(accepted.len() > 300, "{} accepted", accepted.len());
    every_request_succeeded_once(&database_url, &accepted).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_install_and_a_routing_change_on_one_host_reach_the_others() {
    let backends = common::services::shared_backends().await;
    let (a, _a_store) = spawn_app(backends.clone(), 1).await;
    let (b, _b_store) = spawn_app(backends, 1).await;
    let bytes = common::hostile("panics-on-boom");
    let form = reqwest::multipart::Form::new()
        .part("component", reqwest::multipart::Part::bytes(bytes.clone()))
        .text("manifest", common::services::hostile_manifest("hostile", &bytes));
    let response = common::operator().post(format!("{a}/models")).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let routing = json!({"active": "hostile", "split": [], "fallback": ["v12"], "shadow": null});
    let acme = common::client_as("acme");
    assert_eq!(acme.put(format!("{a}/models/routing")).json(&routing).send().await.unwrap().status(), 200);

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let seen: Value = acme.get(format!("{b}/models/routing")).send().await.unwrap().json().await.unwrap();
        if seen == routing {
            break;
        }
        assert!(Instant::now() < deadline, "host b still routes acme by {seen}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let lead: Value = leads()[0].clone();
    let body: Value = acme.post(format!("{b}/score-lead")).json(&lead).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["model_version"], "hostile", "host b loaded the version installed on host a");
}

/// Redis dropping every connection (a restart, a failover) leaves the
/// workers reconnecting, not reading from a dead connection for ever (the
/// requests stayed PENDING and the sweeper re-queued them again and again).
#[tokio::test(flavor = "multi_thread")]
async fn workers_reconnect_after_redis_drops_their_connections() {
    let mut backends = common::services::shared_backends().await;
    let outage = Outage::in_front_of("127.0.0.1:6379").await;
    backends.redis_url = Some(format!("redis://127.0.0.1:{}", outage.port).into());
    let (url, _store) = spawn_app(backends, 2).await;
    let client = common::client_as("acme");
    for (n, lead) in leads().into_iter().take(2).enumerate() {
        if n == 1 {
            outage.down.store(true, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_secs(1)).await;
            outage.down.store(false, Ordering::Relaxed);
        }
        let body = json!({"lead_id": lead["id"], "context": lead});
        let accepted: Value =
            client.post(format!("{url}/leads/score")).json(&body).send().await.unwrap().json().await.unwrap();
        let status = common::finished(&client, &url, accepted["request_id"].as_str().unwrap()).await;
        assert_eq!(status["status"], "SUCCESS", "lead {n}: {status}");
    }
}

/// A host that can neither record nor queue a request is not ready:
/// `/readyz` answers 503 while the database or the queue is unreachable,
/// naming which, and 200 again once it is back.
#[tokio::test(flavor = "multi_thread")]
async fn readyz_is_503_while_the_database_or_the_queue_is_unreachable() {
    let mut backends = common::services::shared_backends().await;
    let database = Outage::in_front_of("127.0.0.1:5432").await;
    let queue = Outage::in_front_of("127.0.0.1:6379").await;
    let direct = backends.database_url.clone().unwrap().expose().to_string();
    backends.database_url = Some(direct.replace("127.0.0.1:5432", &format!("127.0.0.1:{}", database.port)).into());
    backends.redis_url = Some(format!("redis://127.0.0.1:{}", queue.port).into());
    let (url, _store) = spawn_app(backends, 1).await;
    let client = reqwest::Client::new();
    let ready = || async {
        let response = client.get(format!("{url}/readyz")).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap())
    };
    // Eventually: a cut connection is noticed when it is next used.
    let settle = |want: u16| async move {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (status, body) = ready().await;
            if status == want || Instant::now() > deadline {
                return (status, body);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let (status, body) = settle(200).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["database"].as_bool(), body["queue"].as_bool()), (Some(true), Some(true)), "{body}");

    database.down.store(true, Ordering::Relaxed);
    let (status, body) = settle(503).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!((body["ready"].as_bool(), body["database"].as_bool()), (Some(false), Some(false)), "{body}");
    database.down.store(false, Ordering::Relaxed);
    let (status, body) = settle(200).await;
    assert_eq!(status, 200, "{body}");

    queue.down.store(true, Ordering::Relaxed);
    let (status, body) = settle(503).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!((body["queue"].as_bool(), body["database"].as_bool()), (Some(false), Some(true)), "{body}");
    queue.down.store(false, Ordering::Relaxed);
    let (status, body) = settle(200).await;
    assert_eq!(status, 200, "{body}");
}

/// Deletes every key matching `pattern`.
async fn lose(conn: &mut redis::aio::MultiplexedConnection, pattern: &str) {
    let keys: Vec<String> = redis::cmd("KEYS").arg(pattern).query_async(conn).await.unwrap();
    if !keys.is_empty() {
        let _: i64 = redis::cmd("DEL").arg(keys).query_async(conn).await.unwrap();
    }
}
