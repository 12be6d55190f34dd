//! The closed loop's queries: tenants' retrain policies, retrain jobs (one
//! open per tenant, taken by one host at a time under a lease) and the
//! history of their steps.

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;

use super::{Db, now_ms};
use crate::learning::retrain::{JobState, Labelled, RetrainPolicy};
use crate::runtime::lead::rfc3339;

/// A retrain job as stored.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RetrainJob {
    /// Its id.
    pub job_id: String,
    /// The tenant.
    #[serde(skip)]
    pub org_id: String,
    /// Where it is.
    pub state: JobState,
    /// `schedule` or `manual`.
    pub reason: String,
    /// The version it trains (`<tenant>-v<n>`).
    pub candidate_version: String,
    /// The version it is compared with (the tenant's active one when it trained).
    pub active_version: Option<String>,
    /// Offline and shadow figures: `auc`, `active_auc`, ...
    #[schema(value_type = Object)]
    pub metrics: Value,
    /// What happened last, in a sentence.
    pub message: String,
    /// The end of the trainer's output.
    pub log: String,
    /// Times a host took it (more than 1: a host stopped mid-job).
    pub attempts: i64,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// When a host first took it.
    pub started_at: Option<String>,
    /// When the candidate entered the shadow.
    pub shadow_from: Option<String>,
    /// When it ended (gated out, promoted, retired or failed).
    pub finished_at: Option<String>,
    /// `shadow_from` in ms, for the verdict's clock.
    #[serde(skip)]
    pub shadow_from_ms: Option<i64>,
}

/// One step of a job, with its figures.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RetrainStep {
    /// The job.
    pub job_id: String,
    /// When (RFC 3339).
    pub at: String,
    /// `queued`, `started` (a host took it; its attempt in the figures), `shadowing`, `gated_out`,
    /// `promoted`, `retired` or `failed`.
    pub step: String,
    /// What happened.
    pub message: String,
    /// Its figures.
    #[schema(value_type = Object)]
    pub figures: Value,
}

/// A new job could not be made.
#[derive(Debug, thiserror::Error)]
pub enum NewJobError {
    /// The tenant has a job queued, running or shadowing.
    #[error("retrain job {0} is still open")]
    Open(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] anyhow::Error),
}

const JOB_COLUMNS: &str = "job_id, org_id, state, reason, candidate_version, active_version, metrics, message, log, \
                           attempts, created_at, started_at, shadow_from, finished_at";

fn job_of(r: &sqlx::any::AnyRow) -> Result<RetrainJob> {
    let state: String = r.try_get("state")?;
    let at = |column: &str| r.try_get::<Option<i64>, _>(column).map(|ms| ms.map(rfc3339));
    let metrics: String = r.try_get("metrics")?;
    Ok(RetrainJob {
        job_id: r.try_get("job_id")?,
        org_id: r.try_get("org_id")?,
        state: JobState::named(&state).ok_or_else(|| anyhow::anyhow!("unknown retrain job state {state:?}"))?,
        reason: r.try_get("reason")?,
        candidate_version: r.try_get("candidate_version")?,
        active_version: r.try_get("active_version")?,
        metrics: serde_json::from_str(&metrics).unwrap_or(Value::Null),
        message: r.try_get("message")?,
        log: r.try_get("log")?,
        attempts: r.try_get("attempts")?,
        created_at: rfc3339(r.try_get("created_at")?),
        started_at: at("started_at")?,
        shadow_from: at("shadow_from")?,
        finished_at: at("finished_at")?,
        shadow_from_ms: r.try_get("shadow_from")?,
    })
}

impl Db {
    /// A tenant's saved retrain policy, if it saved one.
    pub async fn retrain_policy(&self, org_id: &str) -> Result<Option<RetrainPolicy>> {
        let row = sqlx::query("SELECT policy FROM retrain_policies WHERE org_id = $1")
            .bind(org_id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some(serde_json::from_str(&r.try_get::<String, _>("policy")?)?)),
        }
    }

    /// Saves a tenant's retrain policy.
    pub async fn save_retrain_policy(&self, org_id: &str, policy: &RetrainPolicy) -> Result<()> {
        sqlx::query(
            "INSERT INTO retrain_policies (org_id, policy, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (org_id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at",
        )
        .bind(org_id)
        .bind(serde_json::to_string(policy)?)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The tenant's scored leads with an outcome that qualified (`as_of`)
    /// at or after `since` (ms).
    pub async fn labelled(&self, org_id: &str, since: i64) -> Result<Labelled> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS leads, CAST(COALESCE(SUM(CASE WHEN o.outcome = 'won' THEN 1 ELSE 0 END), 0) AS BIGINT) \
             AS wins \
             FROM leads l JOIN lead_outcomes o ON o.org_id = l.org_id AND o.lead_id = l.lead_id \
             WHERE l.org_id = $1 AND l.first_scored_at IS NOT NULL AND l.entered_at >= $2",
        )
        .bind(org_id)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok(Labelled { leads: row.try_get::<i64, _>("leads")? as u64, wins: row.try_get::<i64, _>("wins")? as u64 })
    }

    /// Tenants with at least one outcome: the only ones a schedule can retrain.
    pub async fn tenants_with_outcomes(&self) -> Result<Vec<String>> {
        let rows =
            sqlx::query("SELECT DISTINCT org_id FROM lead_outcomes ORDER BY org_id").fetch_all(&self.pool).await?;
        rows.iter().map(|r| r.try_get("org_id").map_err(Into::into)).collect()
    }

    /// Makes a queued job for `org_id`, reserving its candidate version
    /// `<org>-v<n>` (n: one more than the tenant's jobs so far). Refused while
    /// the tenant has an open job (a unique index enforces it across hosts).
    pub async fn new_retrain_job(&self, org_id: &str, reason: &str) -> Result<RetrainJob, NewJobError> {
        if let Some(open) = self.open_retrain_job(org_id).await? {
            return Err(NewJobError::Open(open.job_id));
        }
        let made: i64 = sqlx::query("SELECT COUNT(*) AS n FROM retrain_jobs WHERE org_id = $1")
            .bind(org_id)
            .fetch_one(&self.pool)
            .await
            .and_then(|r| r.try_get("n"))
            .map_err(anyhow::Error::from)?;
        let job_id = uuid::Uuid::new_v4().to_string();
        let candidate = format!("{org_id}-v{}", made + 1);
        let now = now_ms();
        let inserted = sqlx::query(
            "INSERT INTO retrain_jobs (job_id, org_id, state, reason, candidate_version, created_at, updated_at) \
             VALUES ($1, $2, 'queued', $3, $4, $5, $5)",
        )
        .bind(&job_id)
        .bind(org_id)
        .bind(reason)
        .bind(&candidate)
        .bind(now)
        .execute(&self.pool)
        .await;
        if let Err(e) = inserted {
            // Another host made one between the check and the insert.
            return match self.open_retrain_job(org_id).await? {
                Some(open) => Err(NewJobError::Open(open.job_id)),
                None => Err(NewJobError::Db(e.into())),
            };
        }
        self.record_retrain_step(&job_id, org_id, "queued", &format!("{reason}: will train {candidate}"), &Value::Null)
            .await?;
        Ok(self.retrain_job(&job_id).await?.ok_or_else(|| anyhow::anyhow!("job {job_id} vanished"))?)
    }

    /// The tenant's job that is queued, running or shadowing, if any.
    pub async fn open_retrain_job(&self, org_id: &str) -> Result<Option<RetrainJob>> {
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM retrain_jobs WHERE org_id = $1 AND state IN ('queued', 'running', 'shadowing')"
        );
        let row = sqlx::query(&sql).bind(org_id).fetch_optional(&self.pool).await?;
        row.as_ref().map(job_of).transpose()
    }

    /// One job.
    pub async fn retrain_job(&self, job_id: &str) -> Result<Option<RetrainJob>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM retrain_jobs WHERE job_id = $1");
        let row = sqlx::query(&sql).bind(job_id).fetch_optional(&self.pool).await?;
        row.as_ref().map(job_of).transpose()
    }

    /// A tenant's jobs, newest first (at most `limit`).
    pub async fn retrain_jobs(&self, org_id: &str, limit: i64) -> Result<Vec<RetrainJob>> {
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM retrain_jobs WHERE org_id = $1 ORDER BY created_at DESC, job_id DESC LIMIT $2"
        );
        let rows = sqlx::query(&sql).bind(org_id).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(job_of).collect()
    }

    /// When the tenant's latest job was made (ms), if it has one.
    pub async fn last_retrain_at(&self, org_id: &str) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT MAX(created_at) AS at FROM retrain_jobs WHERE org_id = $1")
            .bind(org_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("at")?)
    }

    /// Takes a queued job, or a running one whose host stopped renewing its
    /// lease, for `owner` until `lease_until` (ms). Whoever's update lands
    /// first has it: the others' updates match no row.
    pub async fn take_retrain_job(&self, owner: &str, lease_until: i64) -> Result<Option<RetrainJob>> {
        let now = now_ms();
        let candidates = sqlx::query(
            "SELECT job_id FROM retrain_jobs WHERE state = 'queued' OR (state = 'running' AND lease_until < $1) \
             ORDER BY created_at LIMIT 8",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        for candidate in candidates {
            let job_id: String = candidate.try_get("job_id")?;
            let taken = sqlx::query(
                "UPDATE retrain_jobs SET state = 'running', lease_owner = $2, lease_until = $3, \
                 attempts = attempts + 1, started_at = COALESCE(started_at, $4), updated_at = $4 \
                 WHERE job_id = $1 AND (state = 'queued' OR (state = 'running' AND lease_until < $4))",
            )
            .bind(&job_id)
            .bind(owner)
            .bind(lease_until)
            .bind(now)
            .execute(&self.pool)
            .await?;
            if taken.rows_affected() == 1 {
                let Some(job) = self.retrain_job(&job_id).await? else { return Ok(None) };
                let message = match job.attempts {
                    1 => format!("taken by host {owner}"),
                    n => format!("taken by host {owner}, attempt {n}: the host before stopped renewing its lease"),
                };
                let figures = serde_json::json!({"attempt": job.attempts, "host": owner});
                self.record_retrain_step(&job.job_id, &job.org_id, "started", &message, &figures).await?;
                return Ok(Some(job));
            }
        }
        Ok(None)
    }

    /// Renews `owner`'s lease on a running job; `false`: it is no longer
    /// `owner`'s (another host took it after the lease ran out).
    pub async fn renew_retrain_lease(&self, job_id: &str, owner: &str, lease_until: i64) -> Result<bool> {
        let renewed = sqlx::query(
            "UPDATE retrain_jobs SET lease_until = $3 WHERE job_id = $1 AND lease_owner = $2 AND state = 'running'",
        )
        .bind(job_id)
        .bind(owner)
        .bind(lease_until)
        .execute(&self.pool)
        .await?;
        Ok(renewed.rows_affected() == 1)
    }

    /// Moves a job on, recording the step. `from`: the state it must be in
    /// (and, when running, `owner`'s), so that a host whose lease ran out
    /// cannot move a job another host has taken; `false` when it was not.
    #[allow(clippy::too_many_arguments)]
    pub async fn move_retrain_job(
        &self,
        job: &RetrainJob,
        from: JobState,
        owner: Option<&str>,
        to: JobState,
        message: &str,
        metrics: &Value,
        log: Option<&str>,
    ) -> Result<bool> {
        let now = now_ms();
        let finished = !JobState::OPEN.contains(&to);
        let moved = sqlx::query(
            "UPDATE retrain_jobs SET state = $3, message = $4, metrics = $5, log = COALESCE($6, log), \
             shadow_from = CASE WHEN $3 = 'shadowing' THEN $7 ELSE shadow_from END, \
             finished_at = CASE WHEN $8 = 1 THEN $7 ELSE NULL END, \
             lease_owner = CASE WHEN $3 = 'running' THEN lease_owner ELSE NULL END, updated_at = $7 \
             WHERE job_id = $1 AND state = $2 AND ($9 = '' OR lease_owner = $9)",
        )
        .bind(&job.job_id)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(message)
        .bind(metrics.to_string())
        .bind(log)
        .bind(now)
        .bind(i64::from(finished))
        .bind(owner.unwrap_or(""))
        .execute(&self.pool)
        .await?;
        if moved.rows_affected() == 0 {
            return Ok(false);
        }
        self.record_retrain_step(&job.job_id, &job.org_id, to.as_str(), message, metrics).await?;
        Ok(true)
    }

    /// Records which version a running job compares its candidate with.
    pub async fn set_retrain_active(&self, job_id: &str, active: &str) -> Result<()> {
        sqlx::query("UPDATE retrain_jobs SET active_version = $2 WHERE job_id = $1")
            .bind(job_id)
            .bind(active)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every job in `state`, oldest first.
    pub async fn retrain_jobs_in(&self, state: JobState) -> Result<Vec<RetrainJob>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM retrain_jobs WHERE state = $1 ORDER BY created_at");
        let rows = sqlx::query(&sql).bind(state.as_str()).fetch_all(&self.pool).await?;
        rows.iter().map(job_of).collect()
    }

    /// Appends a step to a job's history.
    pub async fn record_retrain_step(
        &self,
        job_id: &str,
        org_id: &str,
        step: &str,
        message: &str,
        figures: &Value,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO retrain_history (job_id, org_id, at, step, message, figures) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(job_id)
        .bind(org_id)
        .bind(now_ms())
        .bind(step)
        .bind(message)
        .bind(if figures.is_null() { "{}".to_string() } else { figures.to_string() })
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A tenant's retrain steps, newest first (at most `limit`).
    pub async fn retrain_history(&self, org_id: &str, limit: i64) -> Result<Vec<RetrainStep>> {
        let rows = sqlx::query(
            "SELECT job_id, at, step, message, figures FROM retrain_history WHERE org_id = $1 \
             ORDER BY at DESC LIMIT $2",
        )
        .bind(org_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let figures: String = r.try_get("figures")?;
                Ok(RetrainStep {
                    job_id: r.try_get("job_id")?,
                    at: rfc3339(r.try_get("at")?),
                    step: r.try_get("step")?,
                    message: r.try_get("message")?,
                    figures: serde_json::from_str(&figures).unwrap_or(Value::Null),
                })
            })
            .collect()
    }
}
