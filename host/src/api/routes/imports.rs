//! Backfill: `POST /leads/import` takes a tenant's existing leads as an
//! NDJSON stream and turns them into an import job; `GET /jobs` and
//! `GET /jobs/{job_id}` show its progress. The upload is read line by line
//! (never whole in memory) and stored as the job's waiting requests; the
//! pipeline's feeder then scores them at a throttled rate below live traffic.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use futures_util::StreamExt;
use guest_model::lead::Lead;
use guest_model::load::lead_json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::api::error::{ApiError, ErrorBody};
use crate::api::ndjson::{Line, Lines};
use crate::api::routes::integrations::crm_lead_with_activities;
use crate::api::routes::score::CrmLead;
use crate::api::state::AppState;
use crate::api::validate::{check_id, check_lead};
use crate::auth::{Caller, READ_LEADS, WRITE_LEADS};
use crate::pipeline::db::imports::{ImportItem, ImportJobRow};
use crate::runtime::lead::{locate, rfc3339};

/// Leads stored per database statement while an upload streams in.
const CHUNK: usize = 500;
/// Refusals and failures a job keeps to show (the counts are exact).
const MAX_ERRORS: usize = 100;
/// Jobs `GET /jobs` lists.
const LISTED_JOBS: i64 = 20;
/// The media types an upload may have.
const NDJSON_TYPES: [&str; 3] = ["application/x-ndjson", "application/jsonl", "application/json-lines"];

/// What each line of an upload is.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ImportFormat {
    /// Lead JSON, or `{"crm_object": {…}, "lead_id"?}`, as `POST /score-lead` takes.
    #[default]
    Lead,
    /// The CRM's own object (a HubSpot contact, a Salesforce Lead), read
    /// through the tenant's mapping.
    Crm,
}

impl ImportFormat {
    fn as_str(self) -> &'static str {
        match self {
            ImportFormat::Lead => "lead",
            ImportFormat::Crm => "crm",
        }
    }
}

/// Options of an import.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// What each line is: `lead` (default) or `crm`.
    #[serde(default)]
    format: ImportFormat,
}

/// Where an import job is.
#[derive(Clone, Copy, Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ImportState {
    /// The upload streams in: nothing is scored yet.
    Receiving,
    /// Every line is in; its leads are being scored.
    Running,
    /// Every lead scored or failed.
    Done,
}

/// A line the import could not use.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct ImportError {
    /// Its line in the upload, from 1.
    line: u64,
    /// Its lead id, when it has a readable one.
    lead_id: Option<String>,
    /// What was wrong (names the field), or why its scoring failed.
    message: String,
}

/// An import job and its progress.
#[derive(Serialize, ToSchema)]
pub struct ImportJob {
    /// `job_` and 32 hex digits.
    job_id: String,
    /// Always `import`.
    #[schema(pattern = "^import$")]
    kind: String,
    /// What each line is.
    format: ImportFormat,
    /// Where the job is.
    state: ImportState,
    /// Leads (non-blank lines) received.
    total: i64,
    /// Leads scored.
    done: i64,
    /// Lines refused on arrival, and leads whose scoring failed.
    failed: i64,
    /// Leads still to score: `total − done − failed`.
    pending: i64,
    /// Leads settled (scored or failed) per second since every line
    /// arrived; null before any is.
    rate_per_second: Option<f64>,
    /// At that rate, seconds until the last lead is settled; null while
    /// there is no rate yet, and once done.
    eta_seconds: Option<f64>,
    /// When the upload began (RFC 3339).
    created_at: String,
    /// When the last lead was settled (RFC 3339); null until then.
    finished_at: Option<String>,
    /// The first refused lines and failed scorings (at most 100; `failed`
    /// counts them all).
    errors: Vec<ImportError>,
}

/// A tenant's latest import jobs.
#[derive(Serialize, ToSchema)]
pub struct ImportJobs {
    /// Newest first, at most 20.
    jobs: Vec<ImportJob>,
}

/// The job a path names.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // documents the path parameter; the handler takes `Path<String>`
pub struct JobPath {
    /// The job id `POST /leads/import` answered with.
    #[param(max_length = 200)]
    job_id: String,
}

/// Imports a tenant's existing leads for scoring (a backfill). The body is
/// NDJSON, one lead per line, streamed: it is read line by line, so its
/// size is bounded only by the host's lead limit per import. A line that
/// cannot be used is refused on its own (the job lists it, naming the
/// field); an upload that breaks off imports nothing. The leads are then
/// scored at a throttled rate below live traffic; poll `GET /jobs/{job_id}`.
#[utoipa::path(
    post, path = "/leads/import", params(ImportQuery),
    request_body(content = String, content_type = "application/x-ndjson",
                 description = "One lead per line: lead JSON or `{\"crm_object\"}` (format=lead), or the CRM's object (format=crm)"),
    responses(
        (status = 202, description = "Every line received; the leads are being scored", body = ImportJob,
         headers(("Location" = String, description = "/jobs/{job_id}"))),
        (status = 400, description = "No leads, or the upload broke off (nothing imported)", body = ErrorBody),
        (status = 413, description = "More leads than one import may hold (nothing imported)", body = ErrorBody),
        (status = 415, description = "Not NDJSON", body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn import_leads(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, HeaderMap, Json<ImportJob>), ApiError> {
    caller.require(WRITE_LEADS)?;
    let media = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let media = media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if !NDJSON_TYPES.contains(&media.as_str()) {
        let given = if media.is_empty() { "none".to_string() } else { format!("{media:?}") };
        return Err(ApiError::UnsupportedMediaType(format!(
            "Content-Type: expected application/x-ndjson (one lead per line), got {given}"
        )));
    }
    let job_id = format!("job_{}", uuid::Uuid::new_v4().simple());
    let db = &state.pipeline.db;
    let format = query.format;
    state.stored("recording the import", || db.create_import(&job_id, &caller.org, format.as_str())).await?;
    let mut upload = Upload::new(&state, &caller.org, &job_id, format);
    match upload.receive(body).await {
        Ok(()) => {}
        Err(e) => {
            // Whole or nothing: what arrived before the upload failed is forgotten.
            if let Err(dropped) = state.stored("dropping the import", || db.drop_import(&job_id)).await {
                tracing::error!(job_id, error = %dropped, "could not drop a failed import");
            }
            return Err(e);
        }
    }
    let errors = serde_json::to_string(&upload.errors).map_err(|e| ApiError::Internal(e.to_string()))?;
    let (total, refused) = (upload.total as i64, upload.refused as i64);
    state.stored("starting the import", || db.finish_receiving(&job_id, total, refused, &errors)).await?;
    upload.analyze().await;
    let view = job_view(&state, &caller.org, &job_id).await?;
    let mut headers = HeaderMap::new();
    if let Ok(location) = HeaderValue::from_str(&format!("/jobs/{job_id}")) {
        headers.insert(LOCATION, location);
    }
    Ok((StatusCode::ACCEPTED, headers, Json(view)))
}

/// A tenant's latest import jobs, newest first.
#[utoipa::path(
    get, path = "/jobs",
    responses(
        (status = 200, body = ImportJobs),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn list_jobs(State(state): State<Arc<AppState>>, caller: Caller) -> Result<Json<ImportJobs>, ApiError> {
    caller.require(READ_LEADS)?;
    let db = &state.pipeline.db;
    let rows = state.stored("reading the imports", || db.import_jobs(&caller.org, LISTED_JOBS)).await?;
    let mut jobs = Vec::with_capacity(rows.len());
    for row in rows {
        jobs.push(progress(&state, row).await?);
    }
    Ok(Json(ImportJobs { jobs }))
}

/// An import job's progress: done, failed and total, its rate and ETA, and
/// its first errors.
#[utoipa::path(
    get, path = "/jobs/{job_id}", params(JobPath),
    responses(
        (status = 200, body = ImportJob),
        (status = 404, body = ErrorBody),
        (status = 503, description = "The database stayed unavailable", body = ErrorBody),
    )
)]
pub async fn get_job(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(job_id): Path<String>,
) -> Result<Json<ImportJob>, ApiError> {
    caller.require(READ_LEADS)?;
    check_id("job_id", &job_id)?;
    job_view(&state, &caller.org, &job_id).await.map(Json)
}

async fn job_view(state: &AppState, org: &str, job_id: &str) -> Result<ImportJob, ApiError> {
    let db = &state.pipeline.db;
    let row = state
        .stored("reading the import", || db.import_job(org, job_id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no import job {job_id:?} for this tenant")))?;
    progress(state, row).await
}

/// A job's row with its requests counted.
async fn progress(state: &AppState, row: ImportJobRow) -> Result<ImportJob, ApiError> {
    let db = &state.pipeline.db;
    let counts = state.stored("counting the import", || db.import_counts(&row.job_id)).await?;
    let mut errors: Vec<ImportError> = serde_json::from_str(&row.errors).unwrap_or_default();
    if counts.failed > 0 && errors.len() < MAX_ERRORS {
        let room = (MAX_ERRORS - errors.len()) as i64;
        let failed = state.stored("reading failed leads", || db.import_failures(&row.job_id, room)).await?;
        errors.extend(failed.into_iter().map(|(request_id, lead_id, error)| ImportError {
            line: line_of(&request_id),
            lead_id: Some(lead_id),
            message: error.unwrap_or_else(|| "scoring failed".into()),
        }));
        errors.sort_by_key(|e| e.line);
    }
    let settled = counts.done + counts.failed;
    let now = crate::pipeline::db::now_ms();
    let rate = row.started_at.filter(|_| settled > 0).map(|started| {
        let until = row.finished_at.unwrap_or(now);
        settled as f64 / ((until - started).max(1) as f64 / 1000.0)
    });
    let state = match row.state.as_str() {
        "receiving" => ImportState::Receiving,
        "running" => ImportState::Running,
        _ => ImportState::Done,
    };
    let eta = rate.filter(|_| state == ImportState::Running).map(|rate| counts.pending as f64 / rate);
    let format = if row.format == "crm" { ImportFormat::Crm } else { ImportFormat::Lead };
    Ok(ImportJob {
        job_id: row.job_id,
        kind: "import".into(),
        format,
        state,
        total: row.total,
        done: counts.done,
        failed: row.refused + counts.failed,
        pending: counts.pending,
        rate_per_second: rate.map(|r| (r * 10.0).round() / 10.0),
        eta_seconds: eta.map(f64::ceil),
        created_at: rfc3339(row.created_at),
        finished_at: row.finished_at.map(rfc3339),
        errors,
    })
}

/// The upload line an import's request id names (`req_<job>_<line>`).
fn line_of(request_id: &str) -> u64 {
    request_id.rsplit('_').next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// An upload being received.
struct Upload<'a> {
    state: &'a AppState,
    org: &'a str,
    job_id: &'a str,
    format: ImportFormat,
    /// Lines read so far, blank ones included: the current line's number.
    lines: u64,
    /// Lines that were leads (non-blank), refused ones included.
    total: u64,
    refused: u64,
    errors: Vec<ImportError>,
    /// Leads waiting to be stored.
    chunk: Vec<ImportItem>,
    /// Stored leads at which the planner's statistics are next refreshed.
    analyze_at: u64,
}

/// Stored leads after which an upload first refreshes the planner's
/// statistics; then again each time it doubles, and at its end.
const ANALYZE_FROM: u64 = 10_000;

impl<'a> Upload<'a> {
    fn new(state: &'a AppState, org: &'a str, job_id: &'a str, format: ImportFormat) -> Upload<'a> {
        Upload {
            state,
            org,
            job_id,
            format,
            lines: 0,
            total: 0,
            refused: 0,
            errors: Vec::new(),
            chunk: Vec::new(),
            analyze_at: ANALYZE_FROM,
        }
    }

    /// Reads the body line by line, storing its leads a chunk at a time.
    async fn receive(&mut self, body: Body) -> Result<(), ApiError> {
        let max_bytes = self.state.lead_limits.max_bytes;
        let mut lines = Lines::new(max_bytes);
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                ApiError::invalid("upload_failed", format!("the upload broke off after line {}: {e}", self.lines))
            })?;
            for line in lines.push(&chunk) {
                self.line(line, max_bytes).await?;
            }
        }
        if let Some(line) = lines.finish() {
            self.line(line, max_bytes).await?;
        }
        self.store().await?;
        if self.total == 0 {
            return Err(ApiError::invalid("invalid_request", "the body holds no leads (one lead JSON per line)"));
        }
        Ok(())
    }

    /// One line: blank lines are skipped; a lead is checked and queued for
    /// storing, or refused.
    async fn line(&mut self, line: Line, max_bytes: usize) -> Result<(), ApiError> {
        self.lines += 1;
        let bytes = match line {
            Line::Text(bytes) => bytes,
            Line::TooLong(bytes) => {
                // Still a lead line: counted and refused.
                self.count()?;
                self.refuse(None, format!("the lead is {bytes} bytes of JSON; the limit is {max_bytes} bytes"));
                return Ok(());
            }
        };
        let text = match std::str::from_utf8(&bytes) {
            Ok(text) => text.trim(),
            Err(_) => {
                self.count()?;
                self.refuse(None, "the line is not UTF-8".into());
                return Ok(());
            }
        };
        if text.is_empty() {
            return Ok(());
        }
        self.count()?;
        match self.read(text).await {
            Ok((lead, context)) => {
                let request_id = format!("req_{}_{:08}", &self.job_id[4..], self.lines);
                self.chunk.push(ImportItem { request_id, lead_id: lead.id, context });
                if self.chunk.len() >= CHUNK {
                    self.store().await?;
                }
            }
            // The database away is the upload's failure, not this line's.
            Err(e @ ApiError::Database(_)) => return Err(e),
            Err(e) => self.refuse(locate::lead_id(text.as_bytes()), e.to_string()),
        }
        Ok(())
    }

    /// Counts a lead line, refusing the upload past the host's limit.
    fn count(&mut self) -> Result<(), ApiError> {
        self.total += 1;
        let limit = self.state.pipeline.config.import_max_leads;
        if self.total > limit {
            let message = format!("more than {limit} leads in one import; split the file (nothing was imported)");
            return Err(ApiError::TooLarge { code: "too_many_leads", message });
        }
        Ok(())
    }

    /// The line's lead, checked, and the lead JSON to store.
    async fn read(&self, text: &str) -> Result<(Lead, String), ApiError> {
        let (state, org) = (self.state, self.org);
        state.lead_limits.check_bytes(text.len(), "")?;
        let (lead, context) = match self.format {
            ImportFormat::Lead if !text.contains("\"crm_object\"") => {
                let lead = lead_json::parse(text).map_err(|e| ApiError::invalid("invalid_lead", e.to_string()))?;
                (lead, text.to_string())
            }
            ImportFormat::Lead => {
                let crm: CrmLead = serde_json::from_str(text)
                    .map_err(|e| ApiError::invalid("invalid_lead", format!("not a lead or a crm_object: {e}")))?;
                if let Some(id) = &crm.lead_id {
                    check_id("lead_id", id)?;
                }
                crm_lead_with_activities(state, org, crm.lead_id.as_deref(), &crm.crm_object).await?
            }
            ImportFormat::Crm => {
                let object: Value = serde_json::from_str(text)
                    .map_err(|e| ApiError::invalid("invalid_crm_object", format!("not JSON: {e}")))?;
                crm_lead_with_activities(state, org, None, &object).await?
            }
        };
        Ok((check_lead(lead, "", &state.bounds, &state.lead_limits)?, context))
    }

    /// Refuses the current line.
    fn refuse(&mut self, lead_id: Option<String>, message: String) {
        self.refused += 1;
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(ImportError { line: self.lines, lead_id, message });
        }
    }

    /// Stores the waiting chunk, and shows the job alive with its count.
    async fn store(&mut self) -> Result<(), ApiError> {
        let (db, job_id, org) = (&self.state.pipeline.db, self.job_id, self.org);
        let items = std::mem::take(&mut self.chunk);
        self.state.stored("storing imported leads", || db.add_import_items(job_id, org, &items)).await?;
        let total = self.total as i64;
        self.state.stored("recording the import", || db.touch_import(job_id, total)).await?;
        if self.total >= self.analyze_at {
            self.analyze_at = self.total * 2;
            self.analyze().await;
        }
        Ok(())
    }

    /// Refreshes the planner's statistics of the table the upload fills, so
    /// that live requests' lookups keep their index (`Db::analyze_requests`).
    /// A failure only costs speed until autovacuum does the same: logged.
    async fn analyze(&self) {
        if let Err(e) = self.state.pipeline.db.analyze_requests().await {
            tracing::warn!(job_id = self.job_id, error = %format!("{e:#}"), "could not refresh the statistics");
        }
    }
}
