//! Webhook endpoints and the outbox of their deliveries. Deliveries are
//! written by [`outbox`] in the transaction that records the score; the
//! delivery loop (`pipeline::webhooks`) claims due ones with a lease, so
//! each is sent at least once across all hosts, with a stable id.

use anyhow::Result;
use serde::Serialize;
use sqlx::{Any, Transaction};
use utoipa::ToSchema;

use super::{Db, now_ms};
use crate::learning::trend::TrendSettings;
use crate::pipeline::webhooks::events::LeadScored;

/// A registered endpoint.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct EndpointRow {
    /// `ep_` and 32 hex digits.
    pub id: String,
    /// The tenant.
    pub org_id: String,
    /// Where deliveries go.
    pub url: String,
    /// The event types, as a JSON list.
    pub events: String,
    /// `whsec_` and the base64 key.
    pub secret: String,
    /// When it was registered (ms).
    pub created_at: i64,
}

/// A delivery, as the log shows it (its body and the endpoint's secret stay inside).
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct DeliveryRow {
    /// The `webhook-id` header: the same on every attempt and replay.
    pub delivery_id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// lead.scored, lead.band_changed, lead.became_hot or lead.trend_changed.
    pub event_type: String,
    /// pending, delivered or dead (retried for the retry period, then given up).
    #[schema(pattern = "^(pending|delivered|dead)$")]
    pub status: String,
    /// Attempts so far.
    pub attempts: i64,
    /// When the next attempt is due (ms), while pending.
    pub next_attempt_at: i64,
    /// The endpoint's last HTTP status, if it answered.
    pub last_status: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the event happened (ms).
    pub created_at: i64,
    /// When it was delivered (ms).
    pub delivered_at: Option<i64>,
}

/// The columns of a [`DeliveryRow`].
const DELIVERY_COLUMNS: &str = "SELECT delivery_id, endpoint_id, event_type, status, attempts, next_attempt_at, \
                                last_status, last_error, created_at, delivered_at FROM webhook_deliveries";

/// A delivery to send: its row, body, and its endpoint's URL and secret.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DueDelivery {
    /// The `webhook-id`.
    pub delivery_id: String,
    /// The JSON body.
    pub payload: String,
    /// Attempts so far.
    pub attempts: i64,
    /// When it was first due (ms).
    pub created_at: i64,
    /// The claim is on this value.
    pub next_attempt_at: i64,
    /// The endpoint's URL (null: the endpoint was deleted).
    pub url: Option<String>,
    /// The endpoint's secret.
    pub secret: Option<String>,
}

/// What became of one attempt.
pub enum Attempt {
    /// 2xx.
    Delivered(i64),
    /// Not delivered: try again at `retry_at` (ms), or give up (`None`).
    Failed { status: Option<i64>, error: String, retry_at: Option<i64> },
}

impl Db {
    /// Registers an endpoint.
    pub async fn add_endpoint(&self, row: &EndpointRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, org_id, url, events, secret, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&row.id)
        .bind(&row.org_id)
        .bind(&row.url)
        .bind(&row.events)
        .bind(&row.secret)
        .bind(row.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The tenant's endpoints, oldest first.
    pub async fn endpoints(&self, org_id: &str) -> Result<Vec<EndpointRow>> {
        Ok(sqlx::query_as(
            "SELECT id, org_id, url, events, secret, created_at FROM webhook_endpoints WHERE org_id = $1 \
             ORDER BY created_at, id",
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Deletes a tenant's endpoint; false when it has none of that id. Its
    /// pending deliveries are given up.
    pub async fn delete_endpoint(&self, org_id: &str, id: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let deleted = sqlx::query("DELETE FROM webhook_endpoints WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(
            "UPDATE webhook_deliveries SET status = 'dead', last_error = 'the endpoint was deleted' \
             WHERE endpoint_id = $1 AND status = 'pending'",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(deleted == 1)
    }

    /// An endpoint's deliveries, newest first.
    pub async fn deliveries(&self, org_id: &str, endpoint_id: &str, limit: i64) -> Result<Vec<DeliveryRow>> {
        Ok(sqlx::query_as(&format!(
            "{DELIVERY_COLUMNS} WHERE org_id = $1 AND endpoint_id = $2 ORDER BY created_at DESC, delivery_id DESC LIMIT $3"
        ))
        .bind(org_id)
        .bind(endpoint_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Sends a delivery again (same id, so receivers can tell), now; the
    /// delivery as it then stands, `None` when the tenant has no such
    /// delivery or its endpoint is gone.
    pub async fn replay_delivery(&self, org_id: &str, delivery_id: &str) -> Result<Option<DeliveryRow>> {
        let replayed = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, created_at = $3 \
             WHERE org_id = $1 AND delivery_id = $2 \
             AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE org_id = $1)",
        )
        .bind(org_id)
        .bind(delivery_id)
        .bind(now_ms())
        .execute(&self.pool)
        .await?
        .rows_affected();
        if replayed == 0 {
            return Ok(None);
        }
        Ok(sqlx::query_as(&format!("{DELIVERY_COLUMNS} WHERE org_id = $1 AND delivery_id = $2"))
            .bind(org_id)
            .bind(delivery_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Pending deliveries that are due, oldest first.
    pub async fn due_deliveries(&self, limit: i64) -> Result<Vec<DueDelivery>> {
        Ok(sqlx::query_as(
            "SELECT d.delivery_id, d.payload, d.attempts, d.created_at, d.next_attempt_at, e.url, e.secret \
             FROM webhook_deliveries d LEFT JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1 ORDER BY d.next_attempt_at LIMIT $2",
        )
        .bind(now_ms())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Claims a due delivery until `lease_until` (ms): true for exactly one
    /// caller. A host that stops mid-delivery leaves it to be claimed again
    /// when the lease ends (at least once).
    pub async fn claim_delivery(&self, due: &DueDelivery, lease_until: i64) -> Result<bool> {
        let claimed = sqlx::query(
            "UPDATE webhook_deliveries SET next_attempt_at = $3 \
             WHERE delivery_id = $1 AND status = 'pending' AND next_attempt_at = $2",
        )
        .bind(&due.delivery_id)
        .bind(due.next_attempt_at)
        .bind(lease_until)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(claimed == 1)
    }

    /// Records an attempt.
    pub async fn record_attempt(&self, delivery_id: &str, attempt: &Attempt) -> Result<()> {
        let now = now_ms();
        let query = match attempt {
            Attempt::Delivered(status) => sqlx::query(
                "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_status = $2, \
                 last_error = NULL, delivered_at = $3 WHERE delivery_id = $1",
            )
            .bind(delivery_id)
            .bind(*status)
            .bind(now),
            Attempt::Failed { status, error, retry_at } => sqlx::query(
                "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, last_status = $3, \
                 last_error = $4, next_attempt_at = $5 WHERE delivery_id = $1",
            )
            .bind(delivery_id)
            .bind(if retry_at.is_some() { "pending" } else { "dead" })
            .bind(*status)
            .bind(error.as_str())
            .bind(retry_at.unwrap_or(now)),
        };
        query.execute(&self.pool).await?;
        Ok(())
    }
}

/// What [`outbox`] needs to know of a scoring (inside `record_scores`).
pub struct Scoring<'a> {
    /// The tenant.
    pub org_id: &'a str,
    /// The lead.
    pub lead_id: &'a str,
    /// The request.
    pub request_id: &'a str,
    /// The score shown (0–100).
    pub score: i64,
    /// Its band by the tenant's thresholds, from a score.
    pub band_of: &'a (dyn Fn(i64, &str) -> String + Sync),
    /// The model's band.
    pub model_band: &'a str,
    /// The chance to close.
    pub probability: f64,
    /// The version.
    pub model_version: &'a str,
}

/// Writes the deliveries a scoring causes to the tenant's subscribed
/// endpoints, in the caller's transaction (before the score itself is
/// written: it reads the lead's previous band and scores).
pub async fn outbox(
    tx: &mut Transaction<'static, Any>,
    scoring: &Scoring<'_>,
    trend: &TrendSettings,
    now: i64,
) -> Result<()> {
    let endpoints: Vec<(String, String)> = sqlx::query_as("SELECT id, events FROM webhook_endpoints WHERE org_id = $1")
        .bind(scoring.org_id)
        .fetch_all(&mut **tx)
        .await?;
    if endpoints.is_empty() {
        return Ok(());
    }
    let previous: Option<(Option<i64>, Option<String>)> =
        sqlx::query_as("SELECT score, band FROM leads WHERE org_id = $1 AND lead_id = $2")
            .bind(scoring.org_id)
            .bind(scoring.lead_id)
            .fetch_optional(&mut **tx)
            .await?;
    let (previous_score, previous_band) = match previous {
        Some((Some(score), Some(band))) => (Some(score), Some((scoring.band_of)(score, &band))),
        _ => (None, None),
    };
    let since = now - trend.window.as_millis() as i64;
    let mut points: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT timestamp, score FROM lead_scores WHERE org_id = $1 AND lead_id = $2 AND timestamp >= $3 \
         ORDER BY timestamp",
    )
    .bind(scoring.org_id)
    .bind(scoring.lead_id)
    .bind(since)
    .fetch_all(&mut **tx)
    .await?;
    let previous_trend = trend.trend(&points);
    points.push((now, scoring.score));
    let event = LeadScored {
        lead_id: scoring.lead_id.into(),
        request_id: scoring.request_id.into(),
        score: scoring.score,
        band: (scoring.band_of)(scoring.score, scoring.model_band),
        probability: scoring.probability,
        model_version: scoring.model_version.into(),
        trend: trend.trend(&points),
        previous_score,
        previous_band,
        previous_trend,
        scored_at: now,
    };
    for event_type in event.events() {
        let payload = event.payload(event_type, now);
        for (endpoint_id, events) in &endpoints {
            let subscribed: Vec<String> = serde_json::from_str(events).unwrap_or_default();
            if !subscribed.iter().any(|e| e == event_type) {
                continue;
            }
            sqlx::query(
                "INSERT INTO webhook_deliveries (delivery_id, endpoint_id, org_id, event_type, payload, status, \
                 attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)",
            )
            .bind(format!("msg_{}", uuid::Uuid::new_v4().simple()))
            .bind(endpoint_id)
            .bind(scoring.org_id)
            .bind(event_type)
            .bind(&payload)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}
