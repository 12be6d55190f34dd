//! What a tenant set up to connect its CRM: the field mapping and how often
//! its leads are rescored.

use anyhow::Result;

use super::{Db, now_ms};

/// A tenant's stored mapping: the preset it came from (if any), the mapping
/// as JSON, and when it was set (ms).
#[derive(sqlx::FromRow)]
pub struct MappingRow {
    /// `hubspot` or `salesforce` when the tenant chose a preset.
    pub preset: Option<String>,
    /// The mapping (`runtime::lead::crm::Mapping`) as JSON.
    pub mapping: String,
    /// When it was set (ms since the epoch).
    pub updated_at: i64,
}

impl Db {
    /// The tenant's CRM mapping, if it set one.
    pub async fn mapping(&self, org: &str) -> Result<Option<MappingRow>> {
        Ok(sqlx::query_as("SELECT preset, mapping, updated_at FROM crm_mappings WHERE org_id = $1")
            .bind(org)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Sets the tenant's CRM mapping (`mapping` as JSON); returns when (ms).
    pub async fn save_mapping(&self, org: &str, preset: Option<&str>, mapping: &str) -> Result<i64> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO crm_mappings (org_id, preset, mapping, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (org_id) DO UPDATE SET preset = excluded.preset, mapping = excluded.mapping, \
             updated_at = excluded.updated_at",
        )
        .bind(org)
        .bind(preset)
        .bind(mapping)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(now)
    }

    /// The tenant's `rescore_every_hours`, if it set one.
    pub async fn rescore_every_hours(&self, org: &str) -> Result<Option<f64>> {
        let row: Option<(f64,)> =
            sqlx::query_as("SELECT rescore_every_hours FROM integration_settings WHERE org_id = $1")
                .bind(org)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(h,)| h))
    }

    /// Sets the tenant's `rescore_every_hours` (0: never).
    pub async fn save_rescore_every_hours(&self, org: &str, hours: f64) -> Result<()> {
        sqlx::query(
            "INSERT INTO integration_settings (org_id, rescore_every_hours, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (org_id) DO UPDATE SET rescore_every_hours = excluded.rescore_every_hours, \
             updated_at = excluded.updated_at",
        )
        .bind(org)
        .bind(hours)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
