//! Scores cached by model and lead: Redis (shared by every host) or an
//! in-process cache for the embedded default. A key names the component's
//! sha256 and the sha256 of the parsed lead in a canonical order, so a new
//! version or a changed lead never hits an old entry.

use std::time::Duration;

use anyhow::Result;
use guest_model::lead::{Lead, Value};
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use sha2::{Digest, Sha256};

use crate::runtime::score::Score;

/// Where cached scores live.
#[derive(Clone)]
pub enum Cache {
    /// Redis, with a TTL per key and a namespace before every key.
    Redis(ConnectionManager, Duration, String),
    /// In process.
    Local(moka::sync::Cache<String, String>),
}

impl Cache {
    /// A Redis cache whose entries live `ttl`.
    pub async fn redis(url: &str, ttl: Duration, namespace: &str) -> Result<Cache> {
        let client = redis::Client::open(url)?;
        Ok(Cache::Redis(ConnectionManager::new(client).await?, ttl, namespace.to_string()))
    }

    /// An in-process cache of at most `capacity` entries living `ttl`.
    pub fn local(capacity: u64, ttl: Duration) -> Cache {
        Cache::Local(moka::sync::Cache::builder().max_capacity(capacity).time_to_live(ttl).build())
    }

    /// `score:{model sha256}:{sha256 of the canonical lead}`.
    pub fn key(model_sha256: &str, lead: &Lead) -> String {
        Cache::key_for(model_sha256, &Cache::lead_digest(lead))
    }

    /// The sha256 (hex) of the canonical lead: computed once per job, it
    /// keys every version's score of that lead (the primary, a fallback, the
    /// shadow).
    pub fn lead_digest(lead: &Lead) -> String {
        let canonical = serde_json::to_vec(&canonical(lead)).expect("a lead serialises");
        hex::encode(Sha256::digest(&canonical))
    }

    /// The key of a score by the component with `model_sha256` for the lead
    /// with `lead_digest` ([`Cache::lead_digest`]).
    pub fn key_for(model_sha256: &str, lead_digest: &str) -> String {
        format!("score:{model_sha256}:{lead_digest}")
    }

    /// The cached score, if any. A cache that does not answer, or an entry
    /// that does not read as a score, is a miss.
    pub async fn get(&self, key: &str) -> Option<Score> {
        let text = match self {
            Cache::Redis(conn, _, namespace) => conn.clone().get(format!("{namespace}{key}")).await.unwrap_or(None),
            Cache::Local(cache) => cache.get(key),
        };
        serde_json::from_str(&text?).ok()
    }

    /// Caches a score; a cache that does not answer is skipped.
    pub async fn put(&self, key: &str, score: &Score) {
        let Ok(value) = serde_json::to_string(score) else { return };
        match self {
            Cache::Redis(conn, ttl, namespace) => {
                let key = format!("{namespace}{key}");
                let stored: redis::RedisResult<()> = conn.clone().set_ex(key, value, ttl.as_secs().max(1)).await;
                if let Err(e) = stored {
                    tracing::debug!(error = %e, "score not cached");
                }
            }
            Cache::Local(cache) => cache.insert(key.to_string(), value),
        }
    }
}

/// The lead with its fields and each activity's attributes sorted by name,
/// so equal leads hash equally however the CRM ordered their keys. (The
/// activities keep their order: it is the lead's history as sent.)
fn canonical(lead: &Lead) -> Lead {
    let sorted = |pairs: &[(String, Value)]| {
        let mut pairs = pairs.to_vec();
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        pairs
    };
    let mut lead = lead.clone();
    lead.fields = sorted(&lead.fields);
    for activity in &mut lead.activities {
        activity.attributes = sorted(&activity.attributes);
    }
    lead
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_ignores_field_order_but_not_values_or_models() {
        let lead = |fields: &[(&str, Value)]| Lead {
            id: "l1".into(),
            as_of: 1_700_000_000_000,
            fields: fields.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            activities: vec![],
        };
        let a = lead(&[("x", Value::Number(1.0)), ("y", Value::Text("b".into()))]);
        let b = lead(&[("y", Value::Text("b".into())), ("x", Value::Number(1.0))]);
        let c = lead(&[("y", Value::Text("b".into())), ("x", Value::Number(2.0))]);
        assert_eq!(Cache::key("m1", &a), Cache::key("m1", &b));
        assert_ne!(Cache::key("m1", &a), Cache::key("m1", &c));
        assert_ne!(Cache::key("m1", &a), Cache::key("m2", &a));
    }
}
