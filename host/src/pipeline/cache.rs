//! Scores cached by model and lead: Redis (shared by every host) or an
//! in-process cache for the embedded default. A key names the component's
//! sha256 and the sha256 of the canonical lead JSON, so a new version or a
//! changed lead never hits an old entry.

use std::time::Duration;

use anyhow::Result;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use serde_json::Value;
use sha2::{Digest, Sha256};

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
    pub fn key(model_sha256: &str, lead: &Value) -> String {
        let canonical = canonical(lead).to_string();
        format!("score:{model_sha256}:{}", hex::encode(Sha256::digest(canonical.as_bytes())))
    }

    /// The cached score JSON, if any. A cache that does not answer is a miss.
    pub async fn get(&self, key: &str) -> Option<String> {
        match self {
            Cache::Redis(conn, _, namespace) => conn.clone().get(format!("{namespace}{key}")).await.unwrap_or(None),
            Cache::Local(cache) => cache.get(key),
        }
    }

    /// Caches a score JSON; a cache that does not answer is skipped.
    pub async fn put(&self, key: &str, value: String) {
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

/// The JSON with every object's keys sorted, so equal leads hash equally
/// however their fields were ordered.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut sorted = serde_json::Map::new();
            for k in keys {
                sorted.insert(k.clone(), canonical(&map[k]));
            }
            Value::Object(sorted)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_ignores_field_order_but_not_values_or_models() {
        let a: Value = serde_json::from_str(r#"{"id": "l1", "fields": {"x": 1, "y": "b"}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"fields": {"y": "b", "x": 1}, "id": "l1"}"#).unwrap();
        let c: Value = serde_json::from_str(r#"{"fields": {"y": "b", "x": 2}, "id": "l1"}"#).unwrap();
        assert_eq!(Cache::key("m1", &a), Cache::key("m1", &b));
        assert_ne!(Cache::key("m1", &a), Cache::key("m1", &c));
        assert_ne!(Cache::key("m1", &a), Cache::key("m2", &a));
    }
}
