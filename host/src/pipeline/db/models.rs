//! Installed components and routings, shared by every host through the
//! database (the registry's catalog).

use anyhow::Result;

use super::{Db, now_ms};
use crate::runtime::routing::Routing;

/// A stored component.
#[derive(sqlx::FromRow)]
struct ModelRow {
    version: String,
    manifest: String,
    component: Vec<u8>,
}

/// A stored routing.
#[derive(sqlx::FromRow)]
struct RoutingRow {
    tenant: String,
    routing: String,
}

impl Db {
    /// Stores an installed component for every host to load.
    pub async fn save_model(&self, version: &str, name: &str, sha256: &str, manifest: &str, wasm: &[u8]) -> Result<()> {
        sqlx::query(
            "INSERT INTO models (version, name, sha256, manifest, component, installed_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (version) DO NOTHING",
        )
        .bind(version)
        .bind(name)
        .bind(sha256)
        .bind(manifest)
        .bind(wasm)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Stored components not among `known` versions: (manifest JSON, wasm).
    pub async fn models_except(&self, known: &[String]) -> Result<Vec<(String, Vec<u8>)>> {
        let rows: Vec<ModelRow> = sqlx::query_as("SELECT version, manifest, component FROM models ORDER BY version")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().filter(|r| !known.contains(&r.version)).map(|r| (r.manifest, r.component)).collect())
    }

    /// Saves the default routing (`tenant` None) or a tenant's; `None` routing removes a tenant's.
    pub async fn save_routing(&self, tenant: Option<&str>, routing: Option<&Routing>) -> Result<()> {
        let key = tenant.unwrap_or("");
        match routing {
            Some(routing) => {
                sqlx::query(
                    "INSERT INTO routing (tenant, routing, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (tenant) DO UPDATE SET routing = excluded.routing, updated_at = excluded.updated_at",
                )
                .bind(key)
                .bind(serde_json::to_string(routing)?)
                .bind(now_ms())
                .execute(&self.pool)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM routing WHERE tenant = $1").bind(key).execute(&self.pool).await?;
            }
        }
        Ok(())
    }

    /// Every saved routing: (tenant, "" for the default; the routing, `None`
    /// when what is stored does not read as one).
    pub async fn routings(&self) -> Result<Vec<(String, Option<Routing>)>> {
        let rows: Vec<RoutingRow> =
            sqlx::query_as("SELECT tenant, routing FROM routing ORDER BY tenant").fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|r| (r.tenant, serde_json::from_str(&r.routing).ok())).collect())
    }
}
