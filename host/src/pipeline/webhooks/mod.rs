//! Signed webhooks: the delivery loop that sends the outbox
//! (`db::webhooks`) to tenants' endpoints, following the Standard Webhooks
//! specification (`webhook-id`, `webhook-timestamp`, `webhook-signature`:
//! HMAC-SHA256 with the endpoint's secret, by the `standardwebhooks` crate).
//! At least once, with a stable id: a delivery is retried with exponential
//! backoff and jitter for the retry period (24 h by default), then given up
//! (dead-lettered, replayable). Outbound requests have a timeout, never
//! follow redirects, and refuse private and loopback addresses unless the
//! operator allows them.

pub mod events;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use rand::Rng;

use super::Pipeline;
use super::db::now_ms;
use super::db::webhooks::{Attempt, DueDelivery};

/// How deliveries are sent and retried (`serve --webhook-*`).
#[derive(Clone, Copy, Debug)]
pub struct WebhookSettings {
    /// The first retry's delay; each next one doubles it (up to an hour),
    /// with jitter.
    pub retry_base: Duration,
    /// How long a delivery is retried before it is given up.
    pub retry_for: Duration,
    /// One attempt's time limit.
    pub timeout: Duration,
    /// Deliver to private and loopback addresses (development, tests).
    pub allow_private: bool,
}

impl Default for WebhookSettings {
    fn default() -> WebhookSettings {
        WebhookSettings {
            retry_base: Duration::from_secs(5),
            retry_for: Duration::from_secs(24 * 3600),
            timeout: Duration::from_secs(10),
            allow_private: false,
        }
    }
}

/// How long a claimed delivery is someone's: past it, another host may send
/// it again. Its attempt takes at most the request timeout; the rest is
/// room for recording it.
fn lease(settings: &WebhookSettings) -> Duration {
    settings.timeout * 2 + Duration::from_secs(5)
}
/// Deliveries sent at once by one host.
const CONCURRENCY: usize = 16;

/// Sends due deliveries, on every host (each delivery is claimed by one).
pub async fn deliver(pipeline: Arc<Pipeline>) {
    let settings = pipeline.config.webhooks;
    let client = match client(&settings) {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "webhooks: no HTTP client; nothing will be delivered");
            return;
        }
    };
    loop {
        let due = match pipeline.db.due_deliveries(256).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "webhooks: database unavailable");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let idle = due.is_empty();
        futures_util::stream::iter(due)
            .for_each_concurrent(CONCURRENCY, |delivery| {
                let (pipeline, client) = (&pipeline, &client);
                async move {
                    let lease_until = now_ms() + lease(&settings).as_millis() as i64;
                    if !pipeline.db.claim_delivery(&delivery, lease_until).await.unwrap_or(false) {
                        return;
                    }
                    let attempt = attempt(client, &delivery, &settings).await;
                    if let Err(e) = pipeline.db.record_attempt(&delivery.delivery_id, &attempt).await {
                        // The lease ends and the delivery is sent again: at least once.
                        tracing::warn!(delivery_id = delivery.delivery_id, error = %format!("{e:#}"), "webhooks: attempt not recorded");
                    }
                }
            })
            .await;
        if idle {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// One attempt: signed, sent, and what to do next.
async fn attempt(client: &reqwest::Client, delivery: &DueDelivery, settings: &WebhookSettings) -> Attempt {
    let (Some(url), Some(secret)) = (&delivery.url, &delivery.secret) else {
        return Attempt::Failed { status: None, error: "the endpoint was deleted".into(), retry_at: None };
    };
    let failed = |status: Option<i64>, error: String| Attempt::Failed {
        status,
        error,
        retry_at: retry_at(delivery.attempts + 1, delivery.created_at, now_ms(), settings),
    };
    if let Err(e) = check_url(url, settings.allow_private) {
        return failed(None, e);
    }
    let timestamp = chrono::Utc::now().timestamp();
    let signature = match sign(secret, &delivery.delivery_id, timestamp, &delivery.payload) {
        Ok(signature) => signature,
        Err(e) => return Attempt::Failed { status: None, error: e, retry_at: None },
    };
    let sent = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &delivery.delivery_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(delivery.payload.clone())
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => Attempt::Delivered(i64::from(response.status().as_u16())),
        Ok(response) => {
            let status = response.status();
            failed(Some(i64::from(status.as_u16())), format!("the endpoint answered {status}"))
        }
        Err(e) => failed(None, format!("{e}")),
    }
}

/// The `webhook-signature` header of a delivery: `v1,<base64 HMAC-SHA256>`
/// over `id.timestamp.body`, with the endpoint's `whsec_` secret.
pub fn sign(secret: &str, delivery_id: &str, timestamp: i64, payload: &str) -> Result<String, String> {
    let webhook = standardwebhooks::Webhook::new(secret).map_err(|e| format!("the endpoint's secret: {e}"))?;
    webhook.sign(delivery_id, timestamp, payload.as_bytes()).map_err(|e| format!("signing: {e}"))
}

/// A new endpoint secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    use base64::Engine;
    let key: [u8; 32] = rand::rng().random();
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key))
}

/// When to try again after `attempts` failed attempts (ms), or `None` once
/// the retry period since `created_at` is over: `base × 2^(attempts−1)`,
/// at most an hour, times a random factor in [0.5, 1] (jitter spreads
/// the retries of many deliveries that failed together).
pub fn retry_at(attempts: i64, created_at: i64, now: i64, settings: &WebhookSettings) -> Option<i64> {
    if now >= created_at + settings.retry_for.as_millis() as i64 {
        return None;
    }
    let exponent = attempts.clamp(1, 30) - 1;
    let delay = (settings.retry_base.as_millis() as f64 * 2f64.powi(exponent as i32)).min(3_600_000.0);
    let jitter = rand::rng().random_range(0.5..=1.0);
    Some(now + (delay * jitter) as i64)
}

/// The HTTP client of deliveries: a timeout, no redirects, and (unless
/// allowed) no private or loopback addresses, however the name resolves.
fn client(settings: &WebhookSettings) -> reqwest::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .timeout(settings.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("leadscore-webhooks/", env!("CARGO_PKG_VERSION")));
    if !settings.allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    builder.build()
}

/// Checks an endpoint URL: http(s) with a host; with `allow_private`
/// false, https only, and no literal private or loopback address nor
/// `localhost` (names are checked again when they resolve). The error
/// says why.
pub fn check_url(url: &str, allow_private: bool) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("url {url:?}: {e}"))?;
    match (parsed.scheme(), allow_private) {
        ("https", _) | ("http", true) => {}
        ("http", false) => return Err("url: https only (http needs --webhook-allow-private)".into()),
        (other, _) => return Err(format!("url: {other}: is not http(s)")),
    }
    if allow_private {
        return parsed.host().map(|_| ()).ok_or_else(|| "url: no host".into());
    }
    let private = match parsed.host() {
        None => return Err("url: no host".into()),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost") || name.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => is_private(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_private(IpAddr::V6(ip)),
    };
    match private {
        true => Err("url: a private or loopback address (allowed only with --webhook-allow-private)".into()),
        false => Ok(()),
    }
}

/// Loopback, private, link-local, shared (CGNAT), unspecified or broadcast.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_private(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                v6.is_loopback() || v6.is_unspecified() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
            }
        },
    }
}

/// Resolves names to their public addresses only: a name that resolves to
/// a private one (DNS rebinding, an internal host) is refused.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = addrs.into_iter().filter(|a| !is_private(a.ip())).collect();
            if public.is_empty() {
                let message = format!("{host} resolves to no public address");
                return Err(Box::new(std::io::Error::other(message)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_addresses() {
        assert!(check_url("https://hooks.example.com/leadscore", false).is_ok());
        assert!(check_url("http://hooks.example.com/", false).unwrap_err().contains("https only"));
        assert!(check_url("https://127.0.0.1/", false).unwrap_err().contains("private"));
        assert!(check_url("https://[::1]/", false).is_err());
        assert!(check_url("https://10.1.2.3/", false).is_err());
        assert!(check_url("https://169.254.169.254/", false).is_err());
        assert!(check_url("https://localhost:8080/", false).is_err());
        assert!(check_url("ftp://example.com/", true).is_err());
        assert!(check_url("http://127.0.0.1:9000/", true).is_ok());
        assert!(!is_private("93.184.216.34".parse().unwrap()));
        assert!(is_private("::ffff:192.168.1.1".parse().unwrap()));
        assert!(is_private("fd00::1".parse().unwrap()));
        assert!(is_private("100.100.0.1".parse().unwrap()));
    }

    #[test]
    fn retries_back_off_with_jitter_until_the_period_ends() {
        let settings = WebhookSettings::default();
        for attempts in 1..=12 {
            let at = retry_at(attempts, 0, 1_000, &settings).unwrap() - 1_000;
            let full = (5_000.0 * 2f64.powi(attempts as i32 - 1)).min(3_600_000.0);
            assert!((full * 0.5..=full).contains(&(at as f64)), "{attempts}: {at}");
        }
        assert_eq!(retry_at(3, 0, 24 * 3_600_000, &settings), None);
    }

    #[test]
    fn signatures_verify_with_the_standard_library() {
        let secret = new_secret();
        let now = chrono::Utc::now().timestamp();
        let signature = sign(&secret, "msg_1", now, "{\"a\":1}").unwrap();
        assert!(signature.starts_with("v1,"));
        let webhook = standardwebhooks::Webhook::new(&secret).unwrap();
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("webhook-id", "msg_1".parse().unwrap());
        headers.insert("webhook-timestamp", now.to_string().parse().unwrap());
        headers.insert("webhook-signature", signature.parse().unwrap());
        assert!(webhook.verify(b"{\"a\":1}", &headers).is_ok());
        assert!(webhook.verify(b"{\"a\":2}", &headers).is_err());
    }
}
