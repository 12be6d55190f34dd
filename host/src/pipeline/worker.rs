//! The workers: each takes a batch of jobs from the queue, scores their
//! leads (the cache first), records the results in one transaction, then
//! acknowledges. A worker that dies before the acknowledgement leaves its
//! deliveries to be claimed by another, and recording twice changes nothing.

use std::sync::Arc;
use std::time::Duration;

use guest_model::lead::{self, Value};

use super::db::{FinishedJob, ShadowScore};
use super::queue::Reader;
use super::tenants::Tenants;
use super::{Cache, Delivery, Job, Pipeline, is_transient, with_retry};
use crate::learning::in_control_group;
use crate::runtime::lead::to_wit;
use crate::runtime::score::Score;
use crate::runtime::scorer::{Answer, Plan, Scorer, ScoringError};

/// Leads one worker takes from the queue at a time (and records in one transaction).
const BATCH: usize = 32;
/// How long a read waits for new requests.
const WAIT: Duration = Duration::from_millis(500);
/// The database may be away this long before a worker stops waiting for it
/// (the deliveries stay unacknowledged and are retried).
const RECORD_PATIENCE: Duration = Duration::from_secs(600);

/// What a worker needs: the backends, the scorer and the tenants' settings.
#[derive(Clone)]
pub struct Worker {
    /// The backends.
    pub pipeline: Arc<Pipeline>,
    /// Scores the leads.
    pub scorer: Arc<Scorer>,
    /// The tenants' holdout shares.
    pub tenants: Arc<Tenants>,
}

/// What became of one job.
enum JobOutcome {
    Finished(Box<FinishedJob>),
    /// Worth another try (every version failed: a trap, a deadline).
    Retry(String),
    /// No retry can help (the component refused the lead).
    Fail(String),
}

impl Worker {
    /// Starts `count` workers named `<host_id>-<n>` in the queue's consumer
    /// group. With more than one, the first takes live requests only: a
    /// live request never waits for a worker busy with a batch of bulk work.
    pub fn spawn(&self, host_id: &str, count: usize) {
        for n in 0..count {
            let (worker, consumer) = (self.clone(), format!("{host_id}-{n}"));
            let reads_bulk = n > 0 || count == 1;
            tokio::spawn(async move { worker.run(consumer, reads_bulk).await });
        }
    }

    async fn run(self, consumer: String, reads_bulk: bool) {
        let config = &self.pipeline.config;
        loop {
            let mut reader = self.connect_reader(&consumer, reads_bulk).await;
            loop {
                let deliveries = match reader.next(BATCH, config.retry_after, WAIT).await {
                    Ok(deliveries) => deliveries,
                    Err(e) => {
                        // The reader's own connection may be dead (Redis restarted,
                        // failed over, or dropped it): a new reader gets a new one.
                        tracing::warn!(error = %format!("{e:#}"), "reading the queue failed; reconnecting");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        break;
                    }
                };
                if !deliveries.is_empty() {
                    self.handle(deliveries).await;
                }
            }
        }
    }

    /// A reader for this worker, waiting for the queue to answer.
    async fn connect_reader(&self, consumer: &str, reads_bulk: bool) -> Reader {
        loop {
            match self.pipeline.queue.reader(consumer, reads_bulk).await {
                Ok(reader) => return reader,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "queue unavailable; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Scores a batch, records the results in one transaction, then acknowledges.
    async fn handle(&self, deliveries: Vec<Delivery>) {
        let (db, queue, config) = (&self.pipeline.db, &self.pipeline.queue, &self.pipeline.config);
        let mut finished = Vec::new();
        let mut done = Vec::new();
        // The batch's leads are scored concurrently (within the scoring slots):
        // their cache lookups and scoring overlap instead of queueing.
        let outcomes = futures_util::future::join_all(deliveries.iter().map(|d| self.score_job(&d.job))).await;
        for (delivery, outcome) in deliveries.into_iter().zip(outcomes) {
            let (why, max_attempts) = match outcome {
                JobOutcome::Finished(f) => {
                    finished.push(*f);
                    done.push(delivery);
                    continue;
                }
                JobOutcome::Retry(why) => (why, config.max_attempts),
                JobOutcome::Fail(why) => (why, 0),
            };
            let request_id = delivery.job.request_id.clone();
            let recorded = with_retry("recording a failure", RECORD_PATIENCE, || {
                db.record_failure(&request_id, &why, max_attempts)
            })
            .await;
            match recorded {
                Ok(true) => {
                    tracing::warn!(request_id, why, "request FAILED");
                    done.push(delivery);
                }
                Ok(false) => {
                    tracing::info!(request_id, why, "attempt failed; retrying later");
                    queue.retry_later(delivery, config.retry_after);
                }
                Err(e) => tracing::error!(request_id, error = %format!("{e:#}"), "could not record a failure"),
            }
        }
        let trend = config.trend;
        if !finished.is_empty()
            && let Err(e) =
                with_retry("recording scores", RECORD_PATIENCE, || db.record_scores(&finished, &trend)).await
        {
            let unrecorded = match is_transient(&e) {
                // Unacknowledged: another delivery will record them.
                true => finished,
                // The database refuses something in the batch: one lead's value
                // must not keep the others from being recorded.
                false => self.record_one_by_one(finished).await,
            };
            tracing::error!(error = %format!("{e:#}"), unrecorded = unrecorded.len(), "could not record scores");
            done.retain(|d| !unrecorded.iter().any(|f| f.request_id == d.job.request_id));
        }
        if let Err(e) = queue.ack(&done).await {
            tracing::warn!(error = %format!("{e:#}"), "acknowledging failed; the entries will be delivered again");
        }
    }

    /// Records finished jobs one at a time after their batch was refused:
    /// each one the database refuses for good ends FAILED, naming why.
    /// Returns the ones left unrecorded (the database went away meanwhile):
    /// they are retried.
    async fn record_one_by_one(&self, finished: Vec<FinishedJob>) -> Vec<FinishedJob> {
        let db = &self.pipeline.db;
        let trend = self.pipeline.config.trend;
        let mut unrecorded = Vec::new();
        for one in finished {
            let Err(e) = with_retry("recording a score", RECORD_PATIENCE, || {
                db.record_scores(std::slice::from_ref(&one), &trend)
            })
            .await
            else {
                continue;
            };
            let why = format!("the score could not be stored: {e:#}");
            let failed = !is_transient(&e)
                && with_retry("recording a failure", RECORD_PATIENCE, || db.record_failure(&one.request_id, &why, 0))
                    .await
                    .is_ok();
            match failed {
                true => tracing::warn!(request_id = one.request_id, why, "request FAILED"),
                false => unrecorded.push(one),
            }
        }
        unrecorded
    }

    /// The job's score (from the cache unless it asks for a refresh), and
    /// the shadow version's beside it.
    async fn score_job(&self, job: &Job) -> JobOutcome {
        let router = self.scorer.registry.router_arc();
        let routing = router.routing_for(Some(&job.org_id));
        let primary = job.model_version.clone().unwrap_or_else(|| routing.primary(&job.lead_id).to_string());
        // A request for a named version is a manual check: no shadow beside it.
        let shadow = routing.shadow.clone().filter(|_| job.model_version.is_none());
        // The lead's part of every cache key: hashed once per job.
        let digest = Cache::lead_digest(&job.lead);
        let hit = match router.components.get(&primary) {
            Some(component) if !job.force_refresh => self.cached(component.sha256(), &digest).await,
            _ => None,
        };
        let inference = match hit {
            Some(hit) => hit,
            None => {
                let plan = Plan::Routed { tenant: Some(job.org_id.clone()), requested: job.model_version.clone() };
                match self.score(&job.org_id, &job.lead, &digest, plan).await {
                    Ok(inference) => inference,
                    Err(outcome) => return outcome,
                }
            }
        };
        let mut finished = self.finished(job, inference);
        if let Some(version) = shadow.filter(|v| *v != finished.score.model_version) {
            finished.shadow = self.shadow_score(job, &digest, &version).await;
        }
        JobOutcome::Finished(Box::new(finished))
    }

    /// The cached score of the component with this sha256 for the lead
    /// with this digest.
    async fn cached(&self, sha256: &str, digest: &str) -> Option<Inference> {
        let hit = self.pipeline.cache.get(&Cache::key_for(sha256, digest)).await;
        self.scorer.metrics.cache_lookup(hit.is_some());
        Some(Inference { score: hit?, sha256: sha256.to_string(), cache_hit: true, fell_back: false, latency_us: 0 })
    }

    /// Scores a lead of `org`'s as `plan` says and caches the score. `Err`: what
    /// becomes of the job (a retry when every version failed; a failure when
    /// the lead itself is refused).
    async fn score(&self, org: &str, lead: &lead::Lead, digest: &str, plan: Plan) -> Result<Inference, JobOutcome> {
        let answer: Answer = self.scorer.score(org, to_wit(lead.clone()), plan).await.map_err(|e| match e {
            ScoringError::AllFailed(failed) => JobOutcome::Retry(failed.to_string()),
            ScoringError::Task(why) => JobOutcome::Retry(why),
        })?;
        let score = answer.result.map_err(|refused| JobOutcome::Fail(refused.to_string()))?;
        self.pipeline.cache.put(&Cache::key_for(&answer.sha256, digest), &score).await;
        Ok(Inference {
            score,
            sha256: answer.sha256,
            cache_hit: false,
            fell_back: answer.fell_back,
            latency_us: answer.latency_us,
        })
    }

    /// The shadow version's score for the job; a shadow that fails is
    /// logged and skipped, never failing the request.
    async fn shadow_score(&self, job: &Job, digest: &str, version: &str) -> Option<ShadowScore> {
        let component = self.scorer.registry.router().components.get(version).cloned()?;
        let inference = match self.cached(component.sha256(), digest).await {
            Some(hit) => hit,
            None => match self.score(&job.org_id, &job.lead, digest, Plan::Only(version.to_string())).await {
                Ok(inference) => inference,
                Err(_) => {
                    tracing::warn!(request_id = job.request_id, version, "the shadow version could not score the lead");
                    return None;
                }
            },
        };
        Some(ShadowScore {
            score: inference.score,
            model_sha256: inference.sha256,
            cache_hit: inference.cache_hit,
            latency_us: inference.latency_us,
        })
    }

    /// The record of a finished job.
    fn finished(&self, job: &Job, inference: Inference) -> FinishedJob {
        let text = |name: &str| match lead::lookup(&job.lead.fields, name) {
            Some(Value::Text(t)) => Some(t.clone()),
            _ => None,
        };
        let holdout_share = self.tenants.get(&job.org_id).settings.holdout_share;
        FinishedJob {
            request_id: job.request_id.clone(),
            org_id: job.org_id.clone(),
            lead_id: job.lead_id.clone(),
            name: text("name"),
            company: text("company"),
            score: inference.score,
            model_sha256: inference.sha256,
            cache_hit: inference.cache_hit,
            fell_back: inference.fell_back,
            latency_us: inference.latency_us,
            control: in_control_group(&job.org_id, &job.lead_id, holdout_share),
            entered_at: job.lead.as_of,
            shadow: None,
            bands: self.scorer.registry.router().routing_for(Some(&job.org_id)).bands,
        }
    }
}

/// One version's score for a job.
struct Inference {
    score: Score,
    /// sha256 of the component that gave it.
    sha256: String,
    cache_hit: bool,
    fell_back: bool,
    /// Time spent scoring, in µs (0 on a cache hit).
    latency_us: i64,
}
