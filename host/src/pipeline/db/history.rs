//! A lead's score history: every scoring kept in `lead_scores` (for
//! `serve --history-days`), read back as points over time, as whole
//! scorings for "why it changed", and as the recent scores of a page of
//! the work queue.

use anyhow::Result;

use guest_model::explanation::Direction;

use super::{Db, StoredExplanation};

/// One scoring of a lead, as its history shows it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct HistoryRow {
    /// The request that produced it.
    pub request_id: String,
    /// The lead's `as_of` (ms); null in rows recorded before it was kept.
    pub as_of: Option<i64>,
    /// When it was recorded (ms).
    pub timestamp: i64,
    /// 0–100.
    pub score: i64,
    /// The band the model gave.
    pub band: String,
    /// Calibrated probability.
    pub probability: f64,
    /// Raw model output; null in rows recorded before it was kept.
    pub margin: Option<f64>,
    /// The version that answered.
    pub model_version: String,
    /// The stored explanation, read only where `margin` is null.
    pub explanation_json: Option<String>,
}

impl HistoryRow {
    /// The margin, from its column or, in older rows, the stored explanation.
    pub fn margin(&self) -> Option<f64> {
        self.margin.or_else(|| match StoredExplanation::from(self.explanation_json.clone()?) {
            StoredExplanation::Score(score) => Some(score.margin),
            StoredExplanation::Unreadable(_) => None,
        })
    }
}

/// One scoring with everything "why it changed" needs: the stored
/// explanation and the lead JSON it was scored from.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Scoring {
    /// The request.
    pub request_id: String,
    /// 0–100.
    pub score: i64,
    /// The version that answered.
    pub model_version: String,
    /// When it was recorded (ms).
    pub timestamp: i64,
    /// The score with its explanation.
    #[sqlx(rename = "explanation_json", try_from = "String")]
    pub explanation: StoredExplanation,
    /// The lead JSON the request carried.
    pub context: String,
}

/// A recent score of a lead in a page of the work queue.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RecentScore {
    /// The lead.
    pub lead_id: String,
    /// 0–100.
    pub score: i64,
    /// When it was recorded (ms).
    pub timestamp: i64,
    /// The stored explanation, for the lead's latest score only.
    pub explanation_json: Option<String>,
}

impl RecentScore {
    /// The sentence of the reason that raised the score most, when this is
    /// the lead's latest score and it has one.
    pub fn top_reason(&self) -> Option<String> {
        let StoredExplanation::Score(score) = StoredExplanation::from(self.explanation_json.clone()?) else {
            return None;
        };
        let up = score.reasons?.into_iter().filter(|r| r.direction == Direction::Up);
        up.max_by(|a, b| a.shap.total_cmp(&b.shap)).map(|r| r.text)
    }
}

impl Db {
    /// The lead's latest `limit` scorings, oldest first.
    pub async fn history(&self, org_id: &str, lead_id: &str, limit: i64) -> Result<Vec<HistoryRow>> {
        let mut rows: Vec<HistoryRow> = sqlx::query_as(
            "SELECT request_id, as_of, timestamp, score, band, probability, margin, model_version, \
             CASE WHEN margin IS NULL THEN explanation_json END AS explanation_json \
             FROM lead_scores WHERE org_id = $1 AND lead_id = $2 ORDER BY timestamp DESC, request_id DESC LIMIT $3",
        )
        .bind(org_id)
        .bind(lead_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.reverse();
        Ok(rows)
    }

    /// One scoring of the lead, by its request id.
    pub async fn scoring(&self, org_id: &str, lead_id: &str, request_id: &str) -> Result<Option<Scoring>> {
        Ok(sqlx::query_as(
            "SELECT s.request_id, s.score, s.model_version, s.timestamp, s.explanation_json, r.context \
             FROM lead_scores s JOIN score_requests r ON r.request_id = s.request_id \
             WHERE s.org_id = $1 AND s.lead_id = $2 AND s.request_id = $3",
        )
        .bind(org_id)
        .bind(lead_id)
        .bind(request_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The request ids of the lead's latest two scorings, newest first.
    pub async fn latest_two(&self, org_id: &str, lead_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT request_id FROM lead_scores WHERE org_id = $1 AND lead_id = $2 \
             ORDER BY timestamp DESC, request_id DESC LIMIT 2",
        )
        .bind(org_id)
        .bind(lead_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The scores of `lead_ids` recorded since `since` (ms), oldest first:
    /// the sparklines and trends of a page of the work queue, in one query.
    pub async fn recent_scores(&self, org_id: &str, lead_ids: &[String], since: i64) -> Result<Vec<RecentScore>> {
        if lead_ids.is_empty() {
            return Ok(Vec::new());
        }
        // One placeholder per lead: the same SQL on both databases.
        let placeholders: Vec<String> = (0..lead_ids.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "SELECT s.lead_id, s.score, s.timestamp, \
             CASE WHEN s.request_id = l.request_id THEN s.explanation_json END AS explanation_json \
             FROM lead_scores s JOIN leads l ON l.org_id = s.org_id AND l.lead_id = s.lead_id \
             WHERE s.org_id = $1 AND s.timestamp >= $2 AND s.lead_id IN ({}) \
             ORDER BY s.lead_id, s.timestamp, s.request_id",
            placeholders.join(", ")
        );
        let mut query = sqlx::query_as(&sql).bind(org_id).bind(since);
        for id in lead_ids {
            query = query.bind(id);
        }
        Ok(query.fetch_all(&self.pool).await?)
    }

    /// Forgets scorings recorded before `before` (ms), except each lead's
    /// latest (the one its badge shows); returns how many.
    pub async fn prune_history(&self, before: i64) -> Result<u64> {
        Ok(sqlx::query(
            "DELETE FROM lead_scores WHERE timestamp < $1 AND request_id NOT IN \
             (SELECT request_id FROM leads WHERE request_id IS NOT NULL)",
        )
        .bind(before)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }
}
