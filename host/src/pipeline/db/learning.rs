//! The learning loop's queries: tenants' experiment settings, touches, and
//! what the lift, drift and shadow reports and the training export read.

use anyhow::Result;
use serde_json::Value;
use sqlx::Row;

use super::{Db, Flag, now_ms};
use crate::learning::LearningSettings;
use crate::learning::lift::LeadFact;
use crate::learning::shadow::ShadowPair;

/// A lead to train on: the lead JSON last scored and what became of it.
#[derive(Clone, Debug)]
pub struct TrainingRow {
    /// The lead.
    pub lead_id: String,
    /// The lead JSON.
    pub context: String,
    /// won, lost or disqualified.
    pub outcome: String,
    /// When the outcome happened (ms).
    pub at: i64,
}

impl Db {
    /// Every tenant's saved settings and when its guardrail tripped.
    pub async fn learning_settings(&self) -> Result<Vec<(String, LearningSettings, Option<i64>)>> {
        let rows = sqlx::query("SELECT org_id, settings, guardrail_tripped_at FROM learning_settings ORDER BY org_id")
            .fetch_all(&self.pool)
            .await?;
        let mut found = Vec::new();
        for r in rows {
            let org: String = r.try_get("org_id")?;
            let text: String = r.try_get("settings")?;
            match serde_json::from_str(&text) {
                Ok(settings) => found.push((org, settings, r.try_get("guardrail_tripped_at")?)),
                Err(e) => tracing::warn!(org, error = %e, "ignoring unreadable learning settings"),
            }
        }
        Ok(found)
    }

    /// One tenant's saved settings, if it saved any.
    pub async fn learning_settings_of(&self, org_id: &str) -> Result<Option<LearningSettings>> {
        let row = sqlx::query("SELECT settings FROM learning_settings WHERE org_id = $1")
            .bind(org_id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some(serde_json::from_str(&r.try_get::<String, _>("settings")?)?)),
        }
    }

    /// Saves a tenant's settings; saving re-arms a tripped guardrail.
    pub async fn save_learning_settings(&self, org_id: &str, settings: &LearningSettings) -> Result<()> {
        sqlx::query(
            "INSERT INTO learning_settings (org_id, settings, guardrail_tripped_at, updated_at) VALUES ($1, $2, NULL, $3) \
             ON CONFLICT (org_id) DO UPDATE SET settings = excluded.settings, guardrail_tripped_at = NULL, \
             updated_at = excluded.updated_at",
        )
        .bind(org_id)
        .bind(serde_json::to_string(settings)?)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records that a tenant's guardrail tripped (its settings as they are).
    pub async fn trip_guardrail(&self, org_id: &str, settings: &LearningSettings, at: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO learning_settings (org_id, settings, guardrail_tripped_at, updated_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (org_id) DO UPDATE SET guardrail_tripped_at = excluded.guardrail_tripped_at",
        )
        .bind(org_id)
        .bind(serde_json::to_string(settings)?)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a rep's touch; the earliest one counts. `false`: no such lead.
    pub async fn record_touch(&self, org_id: &str, lead_id: &str, at: i64) -> Result<bool> {
        let updated = sqlx::query(
            "UPDATE leads SET first_touch_at = CASE WHEN first_touch_at IS NULL OR first_touch_at > $3 \
             THEN $3 ELSE first_touch_at END WHERE org_id = $1 AND lead_id = $2",
        )
        .bind(org_id)
        .bind(lead_id)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    /// When a tenant's lead arrived (ms): the `as_of` it was first scored
    /// with. `None`: the tenant has no such lead (it was never scored).
    pub async fn lead_arrival(&self, org_id: &str, lead_id: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT COALESCE(entered_at, scored_at, updated_at) FROM leads WHERE org_id = $1 AND lead_id = $2",
        )
        .bind(org_id)
        .bind(lead_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Tenants with scored leads.
    pub async fn tenants_with_leads(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT DISTINCT org_id FROM leads ORDER BY org_id").fetch_all(&self.pool).await?)
    }

    /// Every lead of a tenant as the lift report needs it, and when the
    /// tenant's first lead was scored (the experiment's start).
    pub async fn lead_facts(&self, org_id: &str) -> Result<(Vec<LeadFact>, Option<i64>)> {
        let rows = sqlx::query(
            "SELECT l.control, COALESCE(l.entered_at, l.scored_at) AS entered_at, l.first_touch_at, l.band, \
             l.score, s.probability, o.outcome FROM leads l \
             JOIN lead_scores s ON s.request_id = l.request_id \
             LEFT JOIN lead_outcomes o ON o.org_id = l.org_id AND o.lead_id = l.lead_id \
             WHERE l.org_id = $1",
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        let facts = rows
            .iter()
            .map(|r| {
                Ok(LeadFact {
                    control: r.try_get::<Flag, _>("control")?.0,
                    entered_at: r.try_get("entered_at")?,
                    first_touch_at: r.try_get("first_touch_at")?,
                    band: r.try_get("band")?,
                    score: r.try_get("score")?,
                    probability: r.try_get("probability")?,
                    outcome: r.try_get("outcome")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let start: Option<i64> = sqlx::query_scalar("SELECT MIN(first_scored_at) FROM leads WHERE org_id = $1")
            .bind(org_id)
            .fetch_one(&self.pool)
            .await?;
        Ok((facts, start))
    }

    /// The features and score of a version's recent shown inferences for a
    /// tenant (newest first, at most `limit`).
    pub async fn recent_inferences(
        &self,
        org_id: &str,
        version: &str,
        since: i64,
        limit: i64,
    ) -> Result<Vec<(Value, i64)>> {
        let rows = sqlx::query(
            "SELECT features, score FROM lead_scoring_logs WHERE org_id = $1 AND model_version = $2 \
             AND shadow = 0 AND created_at >= $3 ORDER BY created_at DESC LIMIT $4",
        )
        .bind(org_id)
        .bind(version)
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let features: String = r.try_get("features")?;
                Ok((serde_json::from_str(&features).unwrap_or(Value::Null), r.try_get("score")?))
            })
            .collect()
    }

    /// Requests of a tenant scored by `active` (shown) and `shadow` (logged
    /// beside it), with the lead's outcome.
    pub async fn shadow_pairs(&self, org_id: &str, active: &str, shadow: &str) -> Result<Vec<ShadowPair>> {
        let rows = sqlx::query(
            "SELECT a.score AS a_score, a.probability AS a_probability, a.band AS a_band, \
             b.score AS b_score, b.probability AS b_probability, b.band AS b_band, o.outcome \
             FROM lead_scoring_logs a \
             JOIN lead_scoring_logs b ON b.request_id = a.request_id AND b.model_version = $3 AND b.shadow = 1 \
             LEFT JOIN lead_outcomes o ON o.org_id = a.org_id AND o.lead_id = a.lead_id \
             WHERE a.org_id = $1 AND a.model_version = $2 AND a.shadow = 0",
        )
        .bind(org_id)
        .bind(active)
        .bind(shadow)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let band = |column| r.try_get::<Option<String>, _>(column).map(Option::unwrap_or_default);
                Ok(ShadowPair {
                    active: (r.try_get("a_score")?, r.try_get("a_probability")?, band("a_band")?),
                    shadow: (r.try_get("b_score")?, r.try_get("b_probability")?, band("b_band")?),
                    outcome: r.try_get("outcome")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// A tenant's leads scored since `since` (ms) that have an outcome: the
    /// lead JSON of each lead's latest shown inference.
    pub async fn training_rows(&self, org_id: &str, since: i64) -> Result<Vec<TrainingRow>> {
        let rows = sqlx::query(
            "SELECT g.lead_id, r.context, o.outcome, o.at FROM lead_scoring_logs g \
             JOIN score_requests r ON r.request_id = g.request_id \
             JOIN lead_outcomes o ON o.org_id = g.org_id AND o.lead_id = g.lead_id \
             WHERE g.org_id = $1 AND g.shadow = 0 AND g.created_at >= $2 \
             ORDER BY g.lead_id, g.created_at DESC, g.request_id DESC",
        )
        .bind(org_id)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        let mut latest: Vec<TrainingRow> = Vec::new();
        for r in rows {
            let lead_id: String = r.try_get("lead_id")?;
            // Rows come newest first per lead: keep the first of each.
            if latest.last().is_some_and(|last| last.lead_id == lead_id) {
                continue;
            }
            latest.push(TrainingRow {
                lead_id,
                context: r.try_get("context")?,
                outcome: r.try_get("outcome")?,
                at: r.try_get("at")?,
            });
        }
        Ok(latest)
    }
}
