//! Imports (backfills): a job, and its leads as requests recorded WAITING,
//! which the feeder moves to PENDING (and into the bulk lane) at a
//! throttled rate. A job is `receiving` while its upload streams in,
//! `running` once every line is stored, and `done` when none of its
//! requests waits or is pending.

use anyhow::Result;

use super::requests::{REQUEST_COLUMNS, RequestRow};
use super::{Db, Kind, now_ms};

/// One lead of an import, checked and ready to record.
#[derive(Clone, Debug)]
pub struct ImportItem {
    /// `req_<job hex>_<line, 8 digits>`: in line order.
    pub request_id: String,
    /// The lead.
    pub lead_id: String,
    /// Its lead JSON.
    pub context: String,
}

/// An import job as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ImportJobRow {
    /// `job_` and 32 hex digits.
    pub job_id: String,
    /// The tenant.
    pub org_id: String,
    /// `lead` or `crm`: what each line is.
    pub format: String,
    /// `receiving`, `running` or `done`.
    pub state: String,
    /// Lines received (blank lines are not leads).
    pub total: i64,
    /// Lines refused on arrival.
    pub refused: i64,
    /// The first refusals, JSON `[{line, lead_id, message}]`.
    pub errors: String,
    /// When the upload began (ms).
    pub created_at: i64,
    /// When every line was stored (ms).
    pub started_at: Option<i64>,
    /// When the last lead was scored or failed (ms).
    pub finished_at: Option<i64>,
}

/// Where a job's requests are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// Scored.
    pub done: i64,
    /// Scoring failed for good.
    pub failed: i64,
    /// Waiting to be fed, or queued.
    pub pending: i64,
}

const JOB_COLUMNS: &str = "SELECT job_id, org_id, format, state, total, refused, errors, created_at, started_at, \
                           finished_at FROM import_jobs";

impl Db {
    /// Records a new job, `receiving`.
    pub async fn create_import(&self, job_id: &str, org_id: &str, format: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO import_jobs (job_id, org_id, format, state, created_at, updated_at) \
             VALUES ($1, $2, $3, 'receiving', $4, $4)",
        )
        .bind(job_id)
        .bind(org_id)
        .bind(format)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a chunk of a job's leads as WAITING requests in the bulk
    /// lane, in one statement.
    pub async fn add_import_items(&self, job_id: &str, org_id: &str, items: &[ImportItem]) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let mut sql = String::from(
            "INSERT INTO score_requests (request_id, org_id, lead_id, status, context, force_refresh, attempts, \
             created_at, updated_at, lane, job_id) VALUES ",
        );
        for n in 0..items.len() {
            let p = 3 + 3 * n;
            sql.push_str(&format!(
                "{}(${}, $1, ${}, 'WAITING', ${}, 0, 0, $3, $3, 'bulk', $2)",
                if n == 0 { "" } else { ", " },
                p + 1,
                p + 2,
                p + 3
            ));
        }
        let mut query = sqlx::query(&sql).bind(org_id).bind(job_id).bind(now);
        for item in items {
            query = query.bind(&item.request_id).bind(&item.lead_id).bind(&item.context);
        }
        query.execute(&self.pool).await?;
        Ok(())
    }

    /// Every line is in: the job runs (or is done at once, when every line
    /// was refused).
    pub async fn finish_receiving(&self, job_id: &str, total: i64, refused: i64, errors: &str) -> Result<()> {
        let now = now_ms();
        sqlx::query(
            "UPDATE import_jobs SET total = $2, refused = $3, errors = $4, started_at = $5, updated_at = $5, \
             state = CASE WHEN $2 = $3 THEN 'done' ELSE 'running' END, \
             finished_at = CASE WHEN $2 = $3 THEN $5 ELSE NULL END WHERE job_id = $1",
        )
        .bind(job_id)
        .bind(total)
        .bind(refused)
        .bind(errors)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Refreshes the planner's statistics of the requests table after a bulk
    /// load (Postgres; SQLite's planner needs none for these lookups).
    ///
    /// A table that grew many times over since its statistics were taken is
    /// read with plans made for the small one until autovacuum gets to it:
    /// measured during a 100,000-lead import, the live request's lookup by
    /// primary key took 100–470 ms, and the same lookup after `ANALYZE`
    /// under a millisecond. Postgres' documentation advises `ANALYZE` after
    /// a bulk load ("Populating a Database").
    pub async fn analyze_requests(&self) -> Result<()> {
        if self.kind == Kind::Postgres {
            sqlx::query("ANALYZE score_requests").execute(&self.pool).await?;
        }
        Ok(())
    }

    /// Forgets a job whose upload broke off, and its leads: an import is
    /// whole or nothing.
    pub async fn drop_import(&self, job_id: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM score_requests WHERE job_id = $1").bind(job_id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM import_jobs WHERE job_id = $1").bind(job_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Jobs still `receiving` untouched since `before` (ms): their upload
    /// died with its host.
    pub async fn abandoned_imports(&self, before: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT job_id FROM import_jobs WHERE state = 'receiving' AND updated_at < $1")
            .bind(before)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Marks a receiving job as alive (its upload goes on).
    pub async fn touch_import(&self, job_id: &str, total: i64) -> Result<()> {
        sqlx::query("UPDATE import_jobs SET total = $2, updated_at = $3 WHERE job_id = $1")
            .bind(job_id)
            .bind(total)
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A tenant's job.
    pub async fn import_job(&self, org_id: &str, job_id: &str) -> Result<Option<ImportJobRow>> {
        Ok(sqlx::query_as(&format!("{JOB_COLUMNS} WHERE job_id = $1 AND org_id = $2"))
            .bind(job_id)
            .bind(org_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// A tenant's latest jobs, newest first.
    pub async fn import_jobs(&self, org_id: &str, limit: i64) -> Result<Vec<ImportJobRow>> {
        Ok(sqlx::query_as(&format!("{JOB_COLUMNS} WHERE org_id = $1 ORDER BY created_at DESC, job_id LIMIT $2"))
            .bind(org_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Where a job's requests are (refused lines are not requests).
    pub async fn import_counts(&self, job_id: &str) -> Result<ImportCounts> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM score_requests WHERE job_id = $1 GROUP BY status")
                .bind(job_id)
                .fetch_all(&self.pool)
                .await?;
        let mut counts = ImportCounts::default();
        for (status, n) in rows {
            match status.as_str() {
                "SUCCESS" => counts.done += n,
                "FAILED" => counts.failed += n,
                _ => counts.pending += n,
            }
        }
        Ok(counts)
    }

    /// A job's first failed scorings: (request id, lead id, why).
    pub async fn import_failures(&self, job_id: &str, limit: i64) -> Result<Vec<(String, String, Option<String>)>> {
        Ok(sqlx::query_as(
            "SELECT request_id, lead_id, error FROM score_requests WHERE job_id = $1 AND status = 'FAILED' \
             ORDER BY request_id LIMIT $2",
        )
        .bind(job_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Running jobs, oldest first: (job id, tenant).
    pub async fn running_imports(&self) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as("SELECT job_id, org_id FROM import_jobs WHERE state = 'running' ORDER BY created_at")
            .fetch_all(&self.pool)
            .await?)
    }

    /// Takes up to `limit` of a job's waiting leads, in line order, and
    /// marks them PENDING: each is taken by exactly one host.
    pub async fn claim_import_items(&self, job_id: &str, limit: i64) -> Result<Vec<RequestRow>> {
        let skip_locked = if self.kind == Kind::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        let columns = REQUEST_COLUMNS.trim_start_matches("SELECT ").split(" FROM ").next().unwrap_or_default();
        Ok(sqlx::query_as(&format!(
            "UPDATE score_requests SET status = 'PENDING', updated_at = $3 WHERE status = 'WAITING' AND request_id IN \
             (SELECT request_id FROM score_requests WHERE job_id = $1 AND status = 'WAITING' \
             ORDER BY request_id LIMIT $2{skip_locked}) RETURNING {columns}"
        ))
        .bind(job_id)
        .bind(limit)
        .bind(now_ms())
        .fetch_all(&self.pool)
        .await?)
    }

    /// Marks a running job done when none of its requests waits or is
    /// pending. Returns whether it is done now.
    pub async fn finish_import(&self, job_id: &str) -> Result<bool> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE import_jobs SET state = 'done', finished_at = $2, updated_at = $2 \
             WHERE job_id = $1 AND state = 'running' AND NOT EXISTS \
             (SELECT 1 FROM score_requests WHERE job_id = $1 AND status IN ('WAITING', 'PENDING'))",
        )
        .bind(job_id)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(done == 1)
    }
}
