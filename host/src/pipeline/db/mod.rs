//! The pipeline's database: Postgres, or an embedded SQLite file, through
//! one set of queries (sqlx's `Any` driver; timestamps are milliseconds and
//! JSON is text, so the SQL is the same on both).

use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::{Value, json};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Which database a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `postgres://...`
    Postgres,
    /// `sqlite://...`
    Sqlite,
}

/// A connection pool and the schema's queries.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    kind: Kind,
}

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
    /// The lead JSON.
    pub context: String,
    /// `overrides.model_version`.
    pub model_version: Option<String>,
    /// `overrides.force_refresh`.
    pub force_refresh: bool,
}

/// A recorded request.
#[derive(Clone, Debug)]
pub struct RequestRow {
    /// Its id.
    pub request_id: String,
    /// The tenant.
    pub org_id: String,
    /// The lead.
    pub lead_id: String,
    /// PENDING, SUCCESS or FAILED.
    pub status: String,
    /// The lead JSON.
    pub context: String,
    /// Requested version, if any.
    pub model_version: Option<String>,
    /// Skip the cache.
    pub force_refresh: bool,
    /// Delivery attempts that failed so far.
    pub attempts: i64,
    /// Why it failed (FAILED) or the last failure.
    pub error: Option<String>,
    /// When it was accepted.
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
}

/// A finished scoring, to record in one transaction.
#[derive(Clone, Debug)]
pub struct Scored {
    /// The request.
    pub request_id: String,
    /// The tenant.
    pub org_id: String,
    /// The lead.
    pub lead_id: String,
    /// The lead JSON.
    pub context: String,
    /// The lead's contact name and company, for the work queue.
    pub name: Option<String>,
    /// Its company.
    pub company: Option<String>,
    /// The score JSON (the explanation contract).
    pub result: Value,
    /// sha256 of the component that answered.
    pub model_sha256: String,
    /// Whether the result came from the cache.
    pub cache_hit: bool,
    /// Whether a fallback version answered.
    pub fell_back: bool,
    /// Time spent scoring (0 on a cache hit).
    pub latency_us: i64,
    /// Whether the lead is in the tenant's control group (used only when the
    /// lead is first recorded: a lead keeps its group).
    pub control: bool,
    /// The lead's `as_of` (ms): its cohort, when first recorded.
    pub entered_at: i64,
    /// The shadow version's inference, logged beside the shown one.
    pub shadow: Option<ShadowScored>,
}

/// A shadow version's result for a request: logged, never shown.
#[derive(Clone, Debug)]
pub struct ShadowScored {
    /// The score JSON.
    pub result: Value,
    /// sha256 of its component.
    pub model_sha256: String,
    /// Whether it came from the cache.
    pub cache_hit: bool,
    /// Time spent scoring.
    pub latency_us: i64,
}

/// A stored score.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
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
    /// Share of the model's signals the lead has.
    pub confidence: f64,
    /// The explanation contract (stored text; parsed when valid).
    #[schema(value_type = Object)]
    pub explanation: Value,
    /// The version that answered.
    pub model_version: String,
    /// When (ms since the epoch).
    pub timestamp: i64,
    /// The lead is in the control group: the score is never shown.
    #[serde(skip)]
    pub control_group: bool,
}

/// A lead in the work queue.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LeadRow {
    /// The lead.
    pub lead_id: String,
    /// Contact name.
    pub name: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Latest score.
    pub score: Option<i64>,
    /// Latest band.
    pub band: Option<String>,
    /// When it was scored (ms).
    pub scored_at: Option<i64>,
    /// In the control group: scored, but `score` and `band` are withheld.
    pub control_group: bool,
}

/// Filters of the work queue.
#[derive(Clone, Debug, Default)]
pub struct LeadQuery {
    /// Only this band.
    pub band: Option<String>,
    /// Name or company contains this (case-insensitive).
    pub search: Option<String>,
    /// Page size.
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
}

pub mod learning;

static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");
static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

impl Db {
    /// Connects (creating an SQLite file if needed) and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let kind = if url.starts_with("postgres") {
            Kind::Postgres
        } else if url.starts_with("sqlite:") {
            Kind::Sqlite
        } else {
            anyhow::bail!("unsupported database URL {url:?}: use postgres://... or sqlite://<file>");
        };
        let url = match kind {
            Kind::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_string(),
        };
        let options = AnyPoolOptions::new()
            .max_connections(if kind == Kind::Sqlite { 4 } else { 16 })
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if kind == Kind::Sqlite {
                        // Concurrent writers wait for each other instead of failing.
                        sqlx::query("PRAGMA busy_timeout = 10000").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA journal_mode = WAL").execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            });
        let pool = options.connect(&url).await.with_context(|| format!("cannot connect to {}", redact(&url)))?;
        let migrator = if kind == Kind::Postgres { &POSTGRES } else { &SQLITE };
        migrator.run(&pool).await.context("cannot migrate the database")?;
        Ok(Db { pool, kind })
    }

    /// Which database this is.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Records a request as PENDING; with an idempotency key already used by
    /// the tenant, returns the earlier request instead (`false`: not this one).
    pub async fn insert_request(&self, r: &NewRequest) -> Result<(RequestRow, bool)> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO score_requests (request_id, org_id, lead_id, idempotency_key, status, context, \
             model_version, force_refresh, attempts, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'PENDING', $5, $6, $7, 0, $8, $8) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&r.request_id)
        .bind(&r.org_id)
        .bind(&r.lead_id)
        .bind(&r.idempotency_key)
        .bind(&r.context)
        .bind(&r.model_version)
        .bind(i64::from(r.force_refresh))
        .bind(now)
        .execute(&self.pool)
        .await?;
        // A retry after a lost answer finds its own row.
        let row = if let Some(row) = self.request(&r.org_id, &r.request_id).await? {
            Some(row)
        } else {
            let key = r.idempotency_key.as_deref().unwrap_or_default();
            let row = sqlx::query(&format!("{REQUEST_COLUMNS} WHERE org_id = $1 AND idempotency_key = $2"))
                .bind(&r.org_id)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
            row.map(|r| request_row(&r)).transpose()?
        };
        let row = row.context("the request was neither recorded nor found")?;
        let ours = row.request_id == r.request_id;
        Ok((row, ours))
    }

    /// A tenant's request.
    pub async fn request(&self, org_id: &str, request_id: &str) -> Result<Option<RequestRow>> {
        let row = sqlx::query(&format!("{REQUEST_COLUMNS} WHERE request_id = $1 AND org_id = $2"))
            .bind(request_id)
            .bind(org_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| request_row(&r)).transpose()
    }

    /// PENDING requests untouched for `idle` (the sweeper re-enqueues them).
    pub async fn stale_pending(&self, idle: Duration, limit: i64) -> Result<Vec<RequestRow>> {
        let before = now_ms() - idle.as_millis() as i64;
        let rows = sqlx::query(&format!(
            "{REQUEST_COLUMNS} WHERE status = 'PENDING' AND updated_at < $1 ORDER BY updated_at LIMIT $2"
        ))
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(request_row).collect()
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

    /// Records finished scorings in one transaction: the score (once per
    /// request, however often it is delivered), the request's SUCCESS, the
    /// lead's latest score and the inference log.
    pub async fn record_scores(&self, scored: &[Scored]) -> Result<()> {
        // Every transaction takes its rows in the same order, so concurrent
        // workers scoring the same leads wait for each other instead of deadlocking.
        let mut ordered: Vec<&Scored> = scored.iter().collect();
        ordered.sort_by(|a, b| (&a.org_id, &a.lead_id, &a.request_id).cmp(&(&b.org_id, &b.lead_id, &b.request_id)));
        let mut tx = self.pool.begin().await?;
        let now = now_ms();
        for s in ordered {
            let r = &s.result;
            let version = r["model_version"].as_str().unwrap_or_default();
            let score = r["final_score"].as_i64().unwrap_or_default();
            let band = r["band"].as_str().unwrap_or_default();
            let probability = r["probability"].as_f64().unwrap_or_default();
            // Only a PENDING request takes a result: a second delivery of a
            // finished request (or one of a FAILED request) changes nothing.
            let claimed = sqlx::query(
                "UPDATE score_requests SET status = 'SUCCESS', error = NULL, updated_at = $1 \
                 WHERE request_id = $2 AND status = 'PENDING'",
            )
            .bind(now)
            .bind(&s.request_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !claimed {
                continue;
            }
            sqlx::query(
                "INSERT INTO lead_scores (request_id, org_id, lead_id, score, band, probability, confidence, \
                 explanation_json, model_version, timestamp) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (request_id) DO NOTHING",
            )
            .bind(&s.request_id)
            .bind(&s.org_id)
            .bind(&s.lead_id)
            .bind(score)
            .bind(band)
            .bind(probability)
            .bind(r["confidence"].as_f64().unwrap_or_default())
            .bind(r.to_string())
            .bind(version)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO leads (org_id, lead_id, name, company, context, score, band, request_id, scored_at, updated_at, \
                 control, first_scored_at, entered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $9, $11) \
                 ON CONFLICT (org_id, lead_id) DO UPDATE SET name = excluded.name, company = excluded.company, \
                 context = excluded.context, score = excluded.score, band = excluded.band, \
                 request_id = excluded.request_id, scored_at = excluded.scored_at, updated_at = excluded.updated_at \
                 WHERE leads.scored_at IS NULL OR leads.scored_at <= excluded.scored_at",
            )
            .bind(&s.org_id)
            .bind(&s.lead_id)
            .bind(&s.name)
            .bind(&s.company)
            .bind(&s.context)
            .bind(score)
            .bind(band)
            .bind(&s.request_id)
            .bind(now)
            .bind(i64::from(s.control))
            .bind(s.entered_at)
            .execute(&mut *tx)
            .await?;
            let shown = Inference {
                result: r,
                model_sha256: &s.model_sha256,
                cache_hit: s.cache_hit,
                fell_back: s.fell_back,
                latency_us: s.latency_us,
                shadow: false,
            };
            log_inference(&mut tx, s, &shown, now).await?;
            if let Some(shadow) = &s.shadow {
                let logged = Inference {
                    result: &shadow.result,
                    model_sha256: &shadow.model_sha256,
                    cache_hit: shadow.cache_hit,
                    fell_back: false,
                    latency_us: shadow.latency_us,
                    shadow: true,
                };
                log_inference(&mut tx, s, &logged, now).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The result of a tenant's request, if it has one.
    pub async fn score_of_request(&self, org_id: &str, request_id: &str) -> Result<Option<ScoreRow>> {
        let row = sqlx::query(&format!("{SCORE_COLUMNS} WHERE s.org_id = $1 AND s.request_id = $2"))
            .bind(org_id)
            .bind(request_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| score_row(&r)).transpose()
    }

    /// A lead's latest score.
    pub async fn latest_score(&self, org_id: &str, lead_id: &str) -> Result<Option<ScoreRow>> {
        let row = sqlx::query(&format!(
            "{SCORE_COLUMNS} WHERE s.org_id = $1 AND s.lead_id = $2 ORDER BY s.timestamp DESC LIMIT 1"
        ))
        .bind(org_id)
        .bind(lead_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| score_row(&r)).transpose()
    }

    /// The tenant's work queue: scored leads, hottest first; and the total.
    pub async fn leads(&self, org_id: &str, q: &LeadQuery) -> Result<(Vec<LeadRow>, i64)> {
        // The search text is matched literally: LIKE's wildcards in it are escaped.
        let literal = |s: &str| s.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let pattern = q.search.as_deref().map(|s| format!("%{}%", literal(s)));
        // Control leads have no band to filter by: their reps see none.
        let filter = "WHERE org_id = $1 AND ($2 IS NULL OR (band = $2 AND control = 0)) \
                      AND ($3 IS NULL OR lower(name) LIKE $3 ESCAPE '\\' OR lower(company) LIKE $3 ESCAPE '\\')";
        let rows = sqlx::query(&format!(
            "SELECT lead_id, name, company, score, band, scored_at, control FROM leads {filter} \
             ORDER BY control, score * (1 - control) DESC, scored_at DESC, lead_id LIMIT $4 OFFSET $5"
        ))
        .bind(org_id)
        .bind(&q.band)
        .bind(&pattern)
        .bind(q.limit)
        .bind(q.offset)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM leads {filter}"))
            .bind(org_id)
            .bind(&q.band)
            .bind(&pattern)
            .fetch_one(&self.pool)
            .await?;
        let leads = rows
            .iter()
            .map(|r| {
                // A control lead's score is recorded for the lift report, never shown.
                let control_group = r.try_get::<i64, _>("control")? != 0;
                let (score, band) = match control_group {
                    true => (None, None),
                    false => (r.try_get("score")?, r.try_get("band")?),
                };
                Ok(LeadRow {
                    lead_id: r.try_get("lead_id")?,
                    name: r.try_get("name")?,
                    company: r.try_get("company")?,
                    score,
                    band,
                    scored_at: r.try_get("scored_at")?,
                    control_group,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok((leads, total))
    }

    /// A tenant's lead: its latest context, and whether it is in the control group.
    pub async fn lead(&self, org_id: &str, lead_id: &str) -> Result<Option<(Value, bool)>> {
        let row = sqlx::query("SELECT context, control FROM leads WHERE org_id = $1 AND lead_id = $2")
            .bind(org_id)
            .bind(lead_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let context: String = row.try_get("context")?;
        let control: i64 = row.try_get("control")?;
        Ok(Some((serde_json::from_str(&context).unwrap_or(Value::Null), control != 0)))
    }

    /// Records what became of a lead (the latest report wins).
    pub async fn record_outcome(&self, org_id: &str, lead_id: &str, outcome: &str, at: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO lead_outcomes (org_id, lead_id, outcome, at, recorded_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (org_id, lead_id) DO UPDATE SET outcome = excluded.outcome, at = excluded.at, \
             recorded_at = excluded.recorded_at",
        )
        .bind(org_id)
        .bind(lead_id)
        .bind(outcome)
        .bind(at)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A lead's reported outcome: (outcome, at).
    pub async fn outcome(&self, org_id: &str, lead_id: &str) -> Result<Option<(String, i64)>> {
        let row = sqlx::query("SELECT outcome, at FROM lead_outcomes WHERE org_id = $1 AND lead_id = $2")
            .bind(org_id)
            .bind(lead_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some((r.try_get("outcome")?, r.try_get("at")?)),
            None => None,
        })
    }

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

    /// Stored components not among `known` versions: (manifest, wasm).
    pub async fn models_except(&self, known: &[&str]) -> Result<Vec<(String, Vec<u8>)>> {
        let rows = sqlx::query("SELECT version, manifest, component FROM models ORDER BY version")
            .fetch_all(&self.pool)
            .await?;
        let mut found = Vec::new();
        for row in rows {
            let version: String = row.try_get("version")?;
            if !known.contains(&version.as_str()) {
                found.push((row.try_get("manifest")?, row.try_get("component")?));
            }
        }
        Ok(found)
    }

    /// Saves the default routing (`tenant` = None) or a tenant's; `None` routing removes a tenant's.
    pub async fn save_routing(&self, tenant: Option<&str>, routing: Option<&Value>) -> Result<()> {
        let key = tenant.unwrap_or("");
        match routing {
            Some(routing) => {
                sqlx::query(
                    "INSERT INTO routing (tenant, routing, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (tenant) DO UPDATE SET routing = excluded.routing, updated_at = excluded.updated_at",
                )
                .bind(key)
                .bind(routing.to_string())
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

    /// Every saved routing: (tenant, "" for the default; routing JSON).
    pub async fn routings(&self) -> Result<Vec<(String, Value)>> {
        let rows = sqlx::query("SELECT tenant, routing FROM routing ORDER BY tenant").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let text: String = r.try_get("routing")?;
                Ok((r.try_get("tenant")?, serde_json::from_str(&text).unwrap_or(json!(null))))
            })
            .collect()
    }
}

const REQUEST_COLUMNS: &str = "SELECT request_id, org_id, lead_id, status, context, model_version, force_refresh, \
                               attempts, error, created_at, updated_at FROM score_requests";

fn request_row(r: &AnyRow) -> Result<RequestRow> {
    Ok(RequestRow {
        request_id: r.try_get("request_id")?,
        org_id: r.try_get("org_id")?,
        lead_id: r.try_get("lead_id")?,
        status: r.try_get("status")?,
        context: r.try_get("context")?,
        model_version: r.try_get("model_version")?,
        force_refresh: r.try_get::<i64, _>("force_refresh")? != 0,
        attempts: r.try_get("attempts")?,
        error: r.try_get("error")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// A score with its lead's control-group flag (`s` is the score, `l` the lead).
const SCORE_COLUMNS: &str = "SELECT s.request_id, s.lead_id, s.score, s.band, s.probability, s.confidence, \
                             s.explanation_json, s.model_version, s.timestamp, COALESCE(l.control, 0) AS control \
                             FROM lead_scores s LEFT JOIN leads l ON l.org_id = s.org_id AND l.lead_id = s.lead_id";

fn score_row(r: &AnyRow) -> Result<ScoreRow> {
    let text: String = r.try_get("explanation_json")?;
    Ok(ScoreRow {
        request_id: r.try_get("request_id")?,
        lead_id: r.try_get("lead_id")?,
        score: r.try_get("score")?,
        band: r.try_get("band")?,
        probability: r.try_get("probability")?,
        confidence: r.try_get("confidence")?,
        // A stored explanation that no longer parses is passed on as its
        // text: the UI shows the badge and an "explanation unavailable" stub.
        explanation: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        model_version: r.try_get("model_version")?,
        timestamp: r.try_get("timestamp")?,
        control_group: r.try_get::<i64, _>("control")? != 0,
    })
}

/// One inference to log.
struct Inference<'a> {
    result: &'a Value,
    model_sha256: &'a str,
    cache_hit: bool,
    fell_back: bool,
    latency_us: i64,
    shadow: bool,
}

/// Logs one inference of a request (the shown one, or a shadow version's).
async fn log_inference(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    s: &Scored,
    inference: &Inference<'_>,
    now: i64,
) -> Result<()> {
    let r = inference.result;
    let (features, contributions) = features_and_contributions(r);
    sqlx::query(
        "INSERT INTO lead_scoring_logs (request_id, model_version, org_id, lead_id, model_sha256, features, \
         contributions, score, probability, latency_us, cache_hit, fell_back, created_at, shadow, band) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (request_id, model_version) DO NOTHING",
    )
    .bind(&s.request_id)
    .bind(r["model_version"].as_str().unwrap_or_default())
    .bind(&s.org_id)
    .bind(&s.lead_id)
    .bind(inference.model_sha256)
    .bind(features.to_string())
    .bind(contributions.to_string())
    .bind(r["final_score"].as_i64().unwrap_or_default())
    .bind(r["probability"].as_f64().unwrap_or_default())
    .bind(inference.latency_us)
    .bind(i64::from(inference.cache_hit))
    .bind(i64::from(inference.fell_back))
    .bind(now)
    .bind(i64::from(inference.shadow))
    .bind(r["band"].as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `{feature: value}` and `{feature: shap}` from a score's contributions.
fn features_and_contributions(result: &Value) -> (Value, Value) {
    let (mut features, mut shap) = (serde_json::Map::new(), serde_json::Map::new());
    for c in result["contributions"].as_array().into_iter().flatten() {
        if let Some(name) = c["feature"].as_str() {
            features.insert(name.into(), c["value"].clone());
            shap.insert(name.into(), c["shap"].clone());
        }
    }
    (Value::Object(features), Value::Object(shap))
}

/// A URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://***{}", &url[..scheme], &url[at..]),
        _ => url.to_string(),
    }
}
