//! Scoring requests: recorded PENDING before the API answers 202, then
//! SUCCESS or FAILED.

use std::time::Duration;

use anyhow::{Context, Result};

use super::{Db, Flag, now_ms};
use crate::pipeline::queue::Lane;

/// A request to record (PENDING).
#[derive(Clone, Debug)]
pub struct NewRequest {
    /// Its id.
    pub request_id: String,
    /// The caller's tenant.
    pub org_id: String,
    /// The lead.
    pub lead_id: String,
    /// The caller's `Idempotency-Key`.
    pub idempotency_key: Option<String>,
    /// The lead JSON as the CRM sent it (with its `id`): kept for the lead
    /// page and the training export; the scorers get the parsed lead.
    pub context: String,
    /// `overrides.model_version`.
    pub model_version: Option<String>,
    /// `overrides.force_refresh`.
    pub force_refresh: bool,
    /// The queue lane it waits in.
    pub lane: Lane,
}

/// A recorded request.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RequestRow {
    /// Its id.
    pub request_id: String,
    /// The tenant.
    pub org_id: String,
    /// The lead.
    pub lead_id: String,
    /// PENDING, SUCCESS or FAILED (or WAITING: an imported lead not yet
    /// fed to the queue).
    pub status: String,
    /// The lead JSON.
    pub context: String,
    /// Requested version, if any.
    pub model_version: Option<String>,
    /// Skip the cache.
    pub force_refresh: Flag,
    /// Delivery attempts that failed so far.
    pub attempts: i64,
    /// Why it failed (FAILED) or the last failure.
    pub error: Option<String>,
    /// When it was accepted (ms).
    pub created_at: i64,
    /// When it last changed (ms).
    pub updated_at: i64,
    /// The queue lane it waits in: `live` or `bulk`.
    pub lane: String,
}

pub(super) const REQUEST_COLUMNS: &str = "SELECT request_id, org_id, lead_id, status, context, model_version, \
                                          force_refresh, attempts, error, created_at, updated_at, lane FROM score_requests";

impl Db {
    /// Records a request as PENDING; with an idempotency key already used by
    /// the tenant, returns the earlier request instead (`false`: not this one).
    pub async fn insert_request(&self, r: &NewRequest) -> Result<(RequestRow, bool)> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO score_requests (request_id, org_id, lead_id, idempotency_key, status, context, \
             model_version, force_refresh, attempts, created_at, updated_at, lane) \
             VALUES ($1, $2, $3, $4, 'PENDING', $5, $6, $7, 0, $8, $8, $9) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&r.request_id)
        .bind(&r.org_id)
        .bind(&r.lead_id)
        .bind(&r.idempotency_key)
        .bind(&r.context)
        .bind(&r.model_version)
        .bind(Flag(r.force_refresh))
        .bind(now)
        .bind(r.lane.as_str())
        .execute(&self.pool)
        .await?;
        // A retry after a lost answer finds its own row.
        let row = match self.request(&r.org_id, &r.request_id).await? {
            Some(row) => Some(row),
            None => {
                sqlx::query_as(&format!("{REQUEST_COLUMNS} WHERE org_id = $1 AND idempotency_key = $2"))
                    .bind(&r.org_id)
                    .bind(r.idempotency_key.as_deref().unwrap_or_default())
                    .fetch_optional(&self.pool)
                    .await?
            }
        };
        let row: RequestRow = row.context("the request was neither recorded nor found")?;
        let ours = row.request_id == r.request_id;
        Ok((row, ours))
    }

    /// A tenant's request.
    pub async fn request(&self, org_id: &str, request_id: &str) -> Result<Option<RequestRow>> {
        Ok(sqlx::query_as(&format!("{REQUEST_COLUMNS} WHERE request_id = $1 AND org_id = $2"))
            .bind(request_id)
            .bind(org_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// PENDING requests untouched for `idle` (the sweeper re-enqueues them).
    pub async fn stale_pending(&self, idle: Duration, limit: i64) -> Result<Vec<RequestRow>> {
        let before = now_ms() - idle.as_millis() as i64;
        Ok(sqlx::query_as(&format!(
            "{REQUEST_COLUMNS} WHERE status = 'PENDING' AND updated_at < $1 ORDER BY updated_at LIMIT $2"
        ))
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Marks requests as just handled (re-enqueued, or retried).
    pub async fn touch(&self, request_id: &str) -> Result<()> {
        sqlx::query("UPDATE score_requests SET updated_at = $1 WHERE request_id = $2")
            .bind(now_ms())
            .bind(request_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records one failed attempt; the request ends FAILED once it has
    /// failed `max_attempts` times (0: at once). Returns whether it ended.
    pub async fn record_failure(&self, request_id: &str, error: &str, max_attempts: i64) -> Result<bool> {
        let ended: Option<String> = sqlx::query_scalar(
            "UPDATE score_requests SET attempts = attempts + 1, error = $1, updated_at = $2, \
             status = CASE WHEN attempts + 1 >= $3 THEN 'FAILED' ELSE 'PENDING' END \
             WHERE request_id = $4 AND status = 'PENDING' RETURNING status",
        )
        .bind(error)
        .bind(now_ms())
        .bind(max_attempts)
        .bind(request_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(ended.as_deref() != Some("PENDING"))
    }
}
