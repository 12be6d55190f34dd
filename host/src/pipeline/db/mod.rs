//! The pipeline's database: Postgres, or an embedded SQLite file, through
//! one set of queries (sqlx's `Any` driver; timestamps are milliseconds,
//! flags are 0/1 integers and JSON is text, so the SQL is the same on both).
//! The queries are grouped by aggregate: [`requests`], [`scores`] (and
//! their [`history`]), [`imports`], [`leads`] (and the [`stored`] lead),
//! [`models`] (and routing), [`learning`] (and its [`retrain`] jobs), [`integrations`]
//! and [`webhooks`].

pub mod history;
pub mod imports;
pub mod integrations;
pub mod leads;
pub mod learning;
pub mod models;
pub mod requests;
pub mod retrain;
pub mod scores;
pub mod stored;
pub mod webhooks;

use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::any::{AnyPoolOptions, AnyTypeInfo};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Any, AnyPool, Database, Decode, Encode, Type};

pub use leads::{LeadQuery, LeadRecord, LeadRow, OutcomeRow};
pub use requests::{NewRequest, RequestRow};
pub use scores::{FinishedJob, ScoreRow, ShadowScore, StoredExplanation};

/// How far [`advance_clock`] moved the service's clock, in ms.
static CLOCK_OFFSET_MS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Milliseconds since the Unix epoch, by the service's clock: the system's,
/// unless a test moved it with [`advance_clock`]. Everything the pipeline
/// dates (scores, history, trends, due rescores) reads this clock; what
/// leaves the service (webhook timestamps) and the API's checks of callers'
/// times read the system's.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis() + CLOCK_OFFSET_MS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Moves the service's clock forward by `by`, for the whole process: a
/// test's controlled clock, so that scheduled rescoring and trends over
/// days can be checked in seconds. The service itself never calls it.
pub fn advance_clock(by: Duration) {
    CLOCK_OFFSET_MS.fetch_add(by.as_millis() as i64, std::sync::atomic::Ordering::Relaxed);
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

/// A yes/no column. Both databases store it as a BIGINT 0 or 1 (SQLite has
/// no boolean type, and one query text serves both): this type is the one
/// place that convention lives. It reads and binds as a bool would, and
/// serialises as a JSON boolean.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <i64 as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <i64 as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: <Any as Database>::ValueRef<'r>) -> Result<Flag, BoxDynError> {
        Ok(Flag(<i64 as Decode<'r, Any>>::decode(value)? != 0))
    }
}

impl<'q> Encode<'q, Any> for Flag {
    fn encode_by_ref(&self, buf: &mut <Any as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<'q, Any>>::encode_by_ref(&i64::from(self.0), buf)
    }
}

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
            anyhow::bail!("unsupported database URL {:?}: use postgres://... or sqlite://<file>", redact(url));
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
}

/// A URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://***{}", &url[..scheme], &url[at..]),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    /// The two migration sets say the same, but for the types each database
    /// has (BYTEA / BLOB) and Postgres's storage tuning (its `0002`, lz4
    /// compression, has no SQLite counterpart): a change made to one set only
    /// fails here.
    #[test]
    fn the_postgres_and_sqlite_migrations_define_the_same_schema() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let read = |set: &str| -> Vec<(String, String)> {
            let mut files: Vec<(String, String)> = std::fs::read_dir(format!("{dir}/{set}"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with("0002_lz4"))
                .map(|p| {
                    let text = std::fs::read_to_string(&p).unwrap();
                    let sql: Vec<String> = text
                        .lines()
                        .map(|l| l.split("--").next().unwrap().trim().replace("BYTEA", "BLOB"))
                        .filter(|l| !l.is_empty())
                        .collect();
                    (p.file_name().unwrap().to_string_lossy().into_owned(), sql.join("\n"))
                })
                .collect();
            files.sort();
            files
        };
        let (postgres, sqlite) = (read("postgres"), read("sqlite"));
        assert_eq!(
            postgres.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            sqlite.iter().map(|(name, _)| name).collect::<Vec<_>>()
        );
        for ((name, pg), (_, lite)) in postgres.iter().zip(&sqlite) {
            assert_eq!(pg, lite, "{name} differs between migrations/postgres and migrations/sqlite");
        }
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(super::redact("postgres://app:s3cr@t@db:5432/x"), "postgres://***@db:5432/x");
        assert_eq!(super::redact("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }
}
