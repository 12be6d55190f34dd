//! Real Postgres and Redis for the pipeline tests: a fresh database and a
//! fresh Redis namespace per service, so tests never see each other's data.

use leadscore::pipeline::Backends;
use sqlx::Connection;

/// The Postgres the tests create their databases in (`make test` starts it).
pub fn postgres_admin_url() -> String {
    std::env::var("LEADSCORE_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// The Redis the tests use (`make test` starts it).
pub fn redis_url() -> String {
    std::env::var("LEADSCORE_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A new, empty database; returns its URL.
pub async fn fresh_database() -> String {
    let admin = postgres_admin_url();
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("Postgres answers (make test starts it)");
    let name = format!("leadscore_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base).to_string();
    format!("{base}/{name}")
}

/// Postgres and Redis, fresh for one service (or several sharing them).
pub async fn shared_backends() -> Backends {
    Backends {
        database_url: Some(fresh_database().await.into()),
        redis_url: Some(redis_url().into()),
        redis_namespace: format!("test-{}:", uuid::Uuid::new_v4().simple()),
    }
}

/// A manifest for a hostile component that describes itself as `version`
/// and scores every lead 50 (so its golden self-test passes).
pub fn hostile_manifest(version: &str, bytes: &[u8]) -> String {
    serde_json::json!({
        "name": "lead-scorer",
        "version": version,
        "wasm": format!("lead-scorer-{version}.wasm"),
        "sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes)),
        "objective": "binary:logistic",
        "link": "logistic",
        "num_trees": 0,
        "base_value": 0.0,
        "features": [],
        "bands": {"hot": 80, "cold": 40},
        "imports": [],
        "built_at": "2026-11-27T00:00:00Z",
        "golden": [{"lead": {"id": "g", "as_of": "2026-10-01T00:00:00Z"}, "final_score": 50, "margin": 0.0, "probability": 0.5}],
    })
    .to_string()
}
