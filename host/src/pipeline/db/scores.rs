//! Scores: what a worker records when a request is done (the score, the
//! request's SUCCESS, the lead's latest state and the inference log, in one
//! transaction), and the scores the API reads back.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Serialize;
use utoipa::ToSchema;

use guest_model::model::Bands;

use super::{Db, Flag, now_ms, webhooks};
use crate::learning::trend::TrendSettings;
use crate::runtime::score::{FeatureValue, Score};

/// A finished job, to record in one transaction.
#[derive(Clone, Debug)]
pub struct FinishedJob {
    /// The request.
    pub request_id: String,
    /// The tenant.
    pub org_id: String,
    /// The lead.
    pub lead_id: String,
    /// The lead's contact name and company, for the work queue.
    pub name: Option<String>,
    /// Its company.
    pub company: Option<String>,
    /// The score shown.
    pub score: Score,
    /// sha256 of the component that answered.
    pub model_sha256: String,
    /// Whether the score came from the cache.
    pub cache_hit: bool,
    /// Whether a fallback version answered.
    pub fell_back: bool,
    /// Time spent scoring, in µs (0 on a cache hit).
    pub latency_us: i64,
    /// Whether the lead is in the tenant's control group (used only when the
    /// lead is first recorded: a lead keeps its group).
    pub control: bool,
    /// The lead's `as_of` (ms): its cohort, when first recorded.
    pub entered_at: i64,
    /// The shadow version's score, logged beside the shown one.
    pub shadow: Option<ShadowScore>,
    /// The tenant's own Hot/Cold thresholds, if it set them: the band its
    /// webhooks report.
    pub bands: Option<Bands>,
}

/// A shadow version's score for a request: logged, never shown.
#[derive(Clone, Debug)]
pub struct ShadowScore {
    /// The score.
    pub score: Score,
    /// sha256 of its component.
    pub model_sha256: String,
    /// Whether it came from the cache.
    pub cache_hit: bool,
    /// Time spent scoring, in µs.
    pub latency_us: i64,
}

/// A stored score, as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct ScoreRow {
    /// The request that produced it.
    pub request_id: String,
    /// The lead.
    pub lead_id: String,
    /// 0–100.
    pub score: i64,
    /// hot, warm or cold.
    #[schema(pattern = "^(hot|warm|cold)$")]
    pub band: String,
    /// Calibrated probability.
    pub probability: f64,
    /// Share of the model's signals the lead has (kept under its first
    /// name for compatibility).
    pub confidence: f64,
    /// The same number, named for what it measures: how complete the
    /// lead's data is, not how sure the model is.
    pub data_completeness: f64,
    /// The whole score with its explanation.
    #[sqlx(rename = "explanation_json", try_from = "String")]
    pub explanation: StoredExplanation,
    /// The version that answered.
    pub model_version: String,
    /// When (ms since the epoch).
    pub timestamp: i64,
    /// The lead is in the control group: the score is never shown.
    #[serde(skip)]
    #[sqlx(rename = "control")]
    pub control_group: Flag,
}

/// A stored explanation: the score as recorded, or — when what is stored no
/// longer reads as one — its text, passed on as it is (the UI shows the
/// badge and an "explanation unavailable" note).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum StoredExplanation {
    /// The score with its explanation.
    Score(Box<Score>),
    /// Text that does not read as a score.
    Unreadable(String),
}

impl From<String> for StoredExplanation {
    fn from(text: String) -> StoredExplanation {
        match serde_json::from_str(&text) {
            Ok(score) => StoredExplanation::Score(Box::new(score)),
            Err(_) => StoredExplanation::Unreadable(text),
        }
    }
}

/// A score with its lead's control-group flag (`s` is the score, `l` the lead).
const SCORE_COLUMNS: &str = "SELECT s.request_id, s.lead_id, s.score, s.band, s.probability, s.confidence, \
                             s.confidence AS data_completeness, \
                             s.explanation_json, s.model_version, s.timestamp, COALESCE(l.control, 0) AS control \
                             FROM lead_scores s LEFT JOIN leads l ON l.org_id = s.org_id AND l.lead_id = s.lead_id";

/// One inference to log.
struct Logged<'a> {
    score: &'a Score,
    model_sha256: &'a str,
    cache_hit: bool,
    fell_back: bool,
    latency_us: i64,
    shadow: bool,
}

impl Db {
    /// Records finished jobs in one transaction: the score (once per
    /// request, however often it is delivered), the request's SUCCESS, the
    /// lead's latest score and the inference log.
    /// The deliveries the scores cause to the tenants' webhook endpoints
    /// are written in the same transaction (`trend`: how the events read
    /// a lead's trend).
    pub async fn record_scores(&self, finished: &[FinishedJob], trend: &TrendSettings) -> Result<()> {
        // Every transaction takes its rows in the same order, so concurrent
        // workers scoring the same leads wait for each other instead of deadlocking.
        let mut ordered: Vec<&FinishedJob> = finished.iter().collect();
        ordered.sort_by(|a, b| (&a.org_id, &a.lead_id, &a.request_id).cmp(&(&b.org_id, &b.lead_id, &b.request_id)));
        let mut tx = self.pool.begin().await?;
        let now = now_ms();
        for f in ordered {
            let score = &f.score;
            // Only a PENDING request takes a result: a second delivery of a
            // finished request (or one of a FAILED request) changes nothing.
            let claimed = sqlx::query(
                "UPDATE score_requests SET status = 'SUCCESS', error = NULL, updated_at = $1 \
                 WHERE request_id = $2 AND status = 'PENDING'",
            )
            .bind(now)
            .bind(&f.request_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !claimed {
                continue;
            }
            if !f.control {
                let band_of = |score: i64, model_band: &str| match &f.bands {
                    Some(bands) => bands.band(score.clamp(0, 100) as u8).name().to_string(),
                    None => model_band.to_string(),
                };
                let scoring = webhooks::Scoring {
                    org_id: &f.org_id,
                    lead_id: &f.lead_id,
                    request_id: &f.request_id,
                    score: i64::from(score.final_score),
                    band_of: &band_of,
                    model_band: score.band.name(),
                    probability: score.probability,
                    model_version: &score.model_version,
                };
                webhooks::outbox(&mut tx, &scoring, trend, now).await?;
            }
            sqlx::query(
                "INSERT INTO lead_scores (request_id, org_id, lead_id, score, band, probability, confidence, \
                 explanation_json, model_version, timestamp, margin, as_of) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (request_id) DO NOTHING",
            )
            .bind(&f.request_id)
            .bind(&f.org_id)
            .bind(&f.lead_id)
            .bind(i64::from(score.final_score))
            .bind(score.band.name())
            .bind(score.probability)
            .bind(score.confidence)
            .bind(serde_json::to_string(score)?)
            .bind(&score.model_version)
            .bind(now)
            .bind(score.margin)
            .bind(f.entered_at)
            .execute(&mut *tx)
            .await?;
            // The lead JSON is the request's: copied here by the database,
            // never carried through the queue.
            sqlx::query(
                "INSERT INTO leads (org_id, lead_id, name, company, context, score, band, request_id, scored_at, updated_at, \
                 control, first_scored_at, entered_at) \
                 VALUES ($1, $2, $3, $4, (SELECT context FROM score_requests WHERE request_id = $7), $5, $6, $7, $8, $8, \
                 $9, $8, $10) \
                 ON CONFLICT (org_id, lead_id) DO UPDATE SET name = excluded.name, company = excluded.company, \
                 context = excluded.context, score = excluded.score, band = excluded.band, \
                 request_id = excluded.request_id, scored_at = excluded.scored_at, updated_at = excluded.updated_at \
                 WHERE leads.scored_at IS NULL OR leads.scored_at <= excluded.scored_at",
            )
            .bind(&f.org_id)
            .bind(&f.lead_id)
            .bind(&f.name)
            .bind(&f.company)
            .bind(i64::from(score.final_score))
            .bind(score.band.name())
            .bind(&f.request_id)
            .bind(now)
            .bind(Flag(f.control))
            .bind(f.entered_at)
            .execute(&mut *tx)
            .await?;
            let shown = Logged {
                score,
                model_sha256: &f.model_sha256,
                cache_hit: f.cache_hit,
                fell_back: f.fell_back,
                latency_us: f.latency_us,
                shadow: false,
            };
            log_inference(&mut tx, f, &shown, now).await?;
            if let Some(shadow) = &f.shadow {
                let logged = Logged {
                    score: &shadow.score,
                    model_sha256: &shadow.model_sha256,
                    cache_hit: shadow.cache_hit,
                    fell_back: false,
                    latency_us: shadow.latency_us,
                    shadow: true,
                };
                log_inference(&mut tx, f, &logged, now).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The result of a tenant's request, if it has one.
    pub async fn score_of_request(&self, org_id: &str, request_id: &str) -> Result<Option<ScoreRow>> {
        Ok(sqlx::query_as(&format!("{SCORE_COLUMNS} WHERE s.org_id = $1 AND s.request_id = $2"))
            .bind(org_id)
            .bind(request_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// A lead's latest score.
    pub async fn latest_score(&self, org_id: &str, lead_id: &str) -> Result<Option<ScoreRow>> {
        Ok(sqlx::query_as(&format!(
            "{SCORE_COLUMNS} WHERE s.org_id = $1 AND s.lead_id = $2 ORDER BY s.timestamp DESC LIMIT 1"
        ))
        .bind(org_id)
        .bind(lead_id)
        .fetch_optional(&self.pool)
        .await?)
    }
}

/// Logs one inference of a request (the shown one, or a shadow version's),
/// with the features and SHAP values as `{feature: value}` JSON objects.
async fn log_inference(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    f: &FinishedJob,
    logged: &Logged<'_>,
    now: i64,
) -> Result<()> {
    let score = logged.score;
    let contributions = score.contributions.as_deref().unwrap_or_default();
    let features: BTreeMap<&str, &FeatureValue> =
        contributions.iter().map(|c| (c.feature.as_str(), &c.value)).collect();
    let shap: BTreeMap<&str, f64> = contributions.iter().map(|c| (c.feature.as_str(), c.shap)).collect();
    sqlx::query(
        "INSERT INTO lead_scoring_logs (request_id, model_version, org_id, lead_id, model_sha256, features, \
         contributions, score, probability, latency_us, cache_hit, fell_back, created_at, shadow, band) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (request_id, model_version) DO NOTHING",
    )
    .bind(&f.request_id)
    .bind(&score.model_version)
    .bind(&f.org_id)
    .bind(&f.lead_id)
    .bind(logged.model_sha256)
    .bind(serde_json::to_string(&features)?)
    .bind(serde_json::to_string(&shap)?)
    .bind(i64::from(score.final_score))
    .bind(score.probability)
    .bind(logged.latency_us)
    .bind(Flag(logged.cache_hit))
    .bind(Flag(logged.fell_back))
    .bind(now)
    .bind(Flag(logged.shadow))
    .bind(score.band.name())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
