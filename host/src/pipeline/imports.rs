//! The import feeder: moves imported leads from the database into their
//! tenant's bulk lane at a throttled rate, so that a backfill never
//! competes with live traffic, and marks each job done when its last lead
//! is scored or failed.

use std::sync::Arc;
use std::time::Duration;

use super::Pipeline;
use super::enqueue::job_of;
use super::queue::Lane;

/// How often the feeder tops the bulk lane up.
const TICK: Duration = Duration::from_millis(200);
/// A receiving job untouched this long lost its upload (its host died):
/// it is dropped, whole.
const ABANDONED_AFTER: Duration = Duration::from_secs(600);

/// Feeds running imports, at most `import_rate` leads a second from this
/// host, shared between the running jobs in turn; and only while the bulk
/// lane holds less than a second of that rate, so that the queue never
/// fills with background work the scorers have not caught up with. Every
/// host runs it; each lead is claimed by one.
pub async fn feed_imports(pipeline: Arc<Pipeline>) {
    let rate = f64::from(pipeline.config.import_rate.max(1));
    let mut budget = 0.0;
    let mut abandoned_check = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(TICK).await;
        // Unspent budget carries over for at most one second.
        budget = (budget + rate * TICK.as_secs_f64()).min(rate);
        if abandoned_check.elapsed() > Duration::from_secs(60) {
            abandoned_check = tokio::time::Instant::now();
            drop_abandoned(&pipeline).await;
        }
        let jobs = match pipeline.db.running_imports().await {
            Ok(jobs) if jobs.is_empty() => continue,
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "imports: database unavailable");
                continue;
            }
        };
        match pipeline.queue.len(Some(Lane::Bulk)).await {
            Ok(queued) if queued as f64 >= rate => continue,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "imports: queue unavailable");
                continue;
            }
        }
        let share = (budget / jobs.len() as f64).floor() as i64;
        if share < 1 {
            continue;
        }
        for (job_id, _org) in jobs {
            budget -= feed(&pipeline, &job_id, share).await as f64;
        }
    }
}

/// Queues up to `limit` of a job's waiting leads; returns how many. A job
/// with none waiting is marked done once its last lead is settled.
async fn feed(pipeline: &Pipeline, job_id: &str, limit: i64) -> usize {
    let rows = match pipeline.db.claim_import_items(job_id, limit).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!(job_id, error = %format!("{e:#}"), "imports: could not take leads");
            return 0;
        }
    };
    if rows.is_empty() {
        match pipeline.db.finish_import(job_id).await {
            Ok(true) => tracing::info!(job_id, "import done"),
            Ok(false) => {}
            Err(e) => tracing::warn!(job_id, error = %format!("{e:#}"), "imports: could not finish"),
        }
        return 0;
    }
    for row in &rows {
        match job_of(row) {
            // A queue that stays away leaves the PENDING request to the sweeper.
            Ok(job) => {
                if let Err(e) = pipeline.queue.enqueue(&job, Lane::Bulk).await {
                    tracing::warn!(request_id = row.request_id, error = %format!("{e:#}"), "left for the sweeper");
                }
            }
            Err(e) => {
                let why = format!("the stored lead no longer reads: context.{e}");
                let _ = pipeline.db.record_failure(&row.request_id, &why, 0).await;
            }
        }
    }
    rows.len()
}

/// Drops jobs whose upload died with its host.
async fn drop_abandoned(pipeline: &Pipeline) {
    let before = super::db::now_ms() - ABANDONED_AFTER.as_millis() as i64;
    let Ok(abandoned) = pipeline.db.abandoned_imports(before).await else { return };
    for job_id in abandoned {
        if pipeline.db.drop_import(&job_id).await.is_ok() {
            tracing::warn!(job_id, "import dropped: its upload stopped before the last line");
        }
    }
}
