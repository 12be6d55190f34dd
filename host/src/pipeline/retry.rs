//! Waiting out short outages: a call to the database or Redis is tried
//! again while its error is transient and patience lasts.

use std::time::Duration;

use anyhow::Result;

/// Runs `attempt` until it succeeds or `patience` runs out, backing off
/// between tries: the database or Redis being away for a few seconds makes
/// callers wait, not fail. Only a [transient](is_transient) error is tried
/// again: a permanent one (a value the database refuses, a constraint) would
/// fail the same way every time, so it is returned at once.
pub async fn with_retry<T, F, Fut>(what: &str, patience: Duration, mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(50);
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(e) if !is_transient(&e) => return Err(e.context(format!("{what}: failed"))),
            Err(e) if started.elapsed() + pause < patience => {
                tracing::warn!(error = %format!("{e:#}"), what, "retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            Err(e) => return Err(e.context(format!("{what}: gave up after {:?}", started.elapsed()))),
        }
    }
}

/// Whether an error may go away if the same call is made again: the
/// connection to the database or Redis failed, timed out or was closed, the
/// server is starting or shutting down, or a transaction lost a race
/// (serialization failure, deadlock, SQLite busy). Anything else — a value
/// the database refuses (Postgres cannot store U+0000 in text), a violated
/// constraint, a bug in a query — is permanent.
pub fn is_transient(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        if let Some(e) = cause.downcast_ref::<sqlx::Error>() {
            return sql_is_transient(e);
        }
        if let Some(e) = cause.downcast_ref::<redis::RedisError>() {
            return e.is_io_error()
                || e.is_connection_dropped()
                || e.is_connection_refusal()
                || e.is_timeout()
                || matches!(e.code(), Some("LOADING" | "TRYAGAIN" | "BUSY" | "MASTERDOWN"));
        }
        cause.downcast_ref::<std::io::Error>().is_some()
    })
}

fn sql_is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(e) => {
            let code = e.code().unwrap_or_default();
            if e.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // SQLite result codes: 5 SQLITE_BUSY, 6 SQLITE_LOCKED, and their
                // extended codes, whose low byte is the primary code.
                code.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
            } else {
                // Postgres SQLSTATE (appendix A of its manual): class 08
                // connection exception, 53 insufficient resources, 40001
                // serialization failure, 40P01 deadlock, 57P0x shutting down
                // or cannot connect now.
                code.starts_with("08")
                    || code.starts_with("53")
                    || matches!(code.as_ref(), "40001" | "40P01" | "57P01" | "57P02" | "57P03")
            }
        }
        _ => false,
    }
}
