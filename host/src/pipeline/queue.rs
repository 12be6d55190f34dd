//! The work queue between the API and the scorers: a Redis stream read by a
//! consumer group (shared by every host), or an in-process channel for the
//! embedded default.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use guest_model::lead::Lead;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use redis::streams::{StreamAutoClaimReply, StreamId, StreamReadReply};
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, mpsc};

/// The stream scoring requests go through (after the namespace, if any).
pub const STREAM: &str = "lead-score-requests";
/// The consumer group of the scorers.
pub const GROUP: &str = "scorers";

/// One scoring request, as queued: the lead travels parsed (serialised
/// compactly), so the worker never reads lead JSON again.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Job {
    /// The request.
    pub request_id: String,
    /// The tenant.
    pub org_id: String,
    /// The lead's id.
    pub lead_id: String,
    /// The lead, as the API parsed and checked it.
    pub lead: Lead,
    /// Requested version.
    pub model_version: Option<String>,
    /// Skip the cache.
    pub force_refresh: bool,
}

/// A job handed to a worker; acknowledge it once its outcome is recorded.
#[derive(Debug)]
pub struct Delivery {
    /// The stream entry id (empty for the in-process queue).
    pub entry: String,
    /// The job.
    pub job: Job,
}

/// Where jobs wait.
#[derive(Clone)]
pub enum Queue {
    /// A Redis stream with a consumer group.
    Redis(RedisQueue),
    /// An in-process channel.
    Local(LocalQueue),
}

/// The Redis stream.
#[derive(Clone)]
pub struct RedisQueue {
    client: redis::Client,
    commands: ConnectionManager,
    /// The stream's key: the namespace and [`STREAM`].
    stream: String,
}

/// The in-process channel.
#[derive(Clone)]
pub struct LocalQueue {
    sender: mpsc::UnboundedSender<Job>,
    receiver: Arc<Mutex<mpsc::UnboundedReceiver<Job>>>,
}

impl Queue {
    /// The Redis stream `<namespace>lead-score-requests` at `url` (its
    /// consumer group is created if missing).
    pub async fn redis(url: &str, namespace: &str) -> Result<Queue> {
        let client = redis::Client::open(url).with_context(|| format!("bad Redis URL {url:?}"))?;
        let commands = ConnectionManager::new(client.clone()).await.context("cannot connect to Redis")?;
        let queue = RedisQueue { client, commands, stream: format!("{namespace}{STREAM}") };
        queue.ensure_group().await?;
        Ok(Queue::Redis(queue))
    }

    /// An in-process queue.
    pub fn local() -> Queue {
        let (sender, receiver) = mpsc::unbounded_channel();
        Queue::Local(LocalQueue { sender, receiver: Arc::new(Mutex::new(receiver)) })
    }

    /// Adds a job.
    pub async fn enqueue(&self, job: &Job) -> Result<()> {
        match self {
            Queue::Redis(q) => {
                let mut conn = q.commands.clone();
                let _: String = conn.xadd(&q.stream, "*", &[("job", serde_json::to_string(job)?)]).await?;
                Ok(())
            }
            Queue::Local(q) => q.sender.send(job.clone()).map_err(|_| anyhow::anyhow!("the queue is closed")),
        }
    }

    /// A reader for one worker (`consumer`: its name in the group, unique per host and worker).
    pub async fn reader(&self, consumer: &str) -> Result<Reader> {
        Ok(match self {
            Queue::Redis(q) => Reader::Redis {
                // Blocking reads get their own connection (on the shared one
                // they would hold up every other command), with room for the block.
                connection: q
                    .client
                    .get_multiplexed_async_connection_with_config(
                        &redis::AsyncConnectionConfig::new().set_response_timeout(Some(Duration::from_secs(30))),
                    )
                    .await?,
                queue: q.clone(),
                consumer: consumer.to_string(),
            },
            Queue::Local(q) => Reader::Local(q.clone()),
        })
    }

    /// Whether the queue answers (Redis: `PING`; in process: always).
    pub async fn ping(&self) -> bool {
        match self {
            Queue::Redis(q) => {
                let mut conn = q.commands.clone();
                redis::cmd("PING").query_async::<String>(&mut conn).await.is_ok()
            }
            Queue::Local(_) => true,
        }
    }

    /// Acknowledges handled deliveries and deletes their entries.
    pub async fn ack(&self, deliveries: &[Delivery]) -> Result<()> {
        if let Queue::Redis(q) = self {
            let ids: Vec<&str> = deliveries.iter().map(|d| d.entry.as_str()).collect();
            q.ack_and_delete(&ids).await?;
        }
        Ok(())
    }

    /// Entries in the stream now: waiting, or delivered and not yet
    /// acknowledged (0 for the in-process queue, which keeps no log).
    pub async fn len(&self) -> Result<u64> {
        match self {
            Queue::Redis(q) => Ok(q.commands.clone().xlen(&q.stream).await?),
            Queue::Local(_) => Ok(0),
        }
    }

    /// Puts a job back to be tried again after `delay` (the in-process queue;
    /// the stream retries unacknowledged entries by claiming them when idle).
    pub fn retry_later(&self, delivery: Delivery, delay: Duration) {
        if let Queue::Local(q) = self {
            let sender = q.sender.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = sender.send(delivery.job);
            });
        }
    }
}

impl RedisQueue {
    /// Acknowledges entries and deletes them in one transaction. The stream
    /// only ever holds what a worker or the sweeper may still need: entries
    /// not yet read, and entries read but not acknowledged (their worker may
    /// have died; `XAUTOCLAIM` hands them to another). An acknowledged entry
    /// is done for good (its outcome is in the database), so deleting it loses
    /// nothing, and without the delete every request's lead JSON would stay
    /// in Redis forever.
    async fn ack_and_delete(&self, ids: &[&str]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut conn = self.commands.clone();
        let _: (i64, i64) = redis::pipe()
            .atomic()
            .xack(&self.stream, GROUP, ids)
            .xdel(&self.stream, ids)
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    async fn ensure_group(&self) -> Result<()> {
        let mut conn = self.commands.clone();
        let created: redis::RedisResult<()> = conn.xgroup_create_mkstream(&self.stream, GROUP, "0").await;
        match created {
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
            other => other.context("cannot create the consumer group"),
        }
    }
}

/// One worker's view of the queue.
#[allow(clippy::large_enum_variant)] // one per worker, never moved around
pub enum Reader {
    /// Reads the stream as one consumer of the group.
    Redis {
        /// For blocking reads.
        connection: redis::aio::MultiplexedConnection,
        /// The queue.
        queue: RedisQueue,
        /// This worker's consumer name.
        consumer: String,
    },
    /// Reads the channel.
    Local(LocalQueue),
}

impl Reader {
    /// Up to `count` jobs: first entries another consumer left unacknowledged
    /// for `retry_after` (a dead worker, or a failed attempt), then new ones,
    /// waiting up to `wait` for them.
    pub async fn next(&mut self, count: usize, retry_after: Duration, wait: Duration) -> Result<Vec<Delivery>> {
        match self {
            Reader::Redis { connection, queue, consumer } => {
                let claimed: redis::RedisResult<StreamAutoClaimReply> = redis::cmd("XAUTOCLAIM")
                    .arg(&queue.stream)
                    .arg(GROUP)
                    .arg(&*consumer)
                    .arg(retry_after.as_millis() as u64)
                    .arg("0-0")
                    .arg("COUNT")
                    .arg(count)
                    .query_async(connection)
                    .await;
                let claimed = match claimed {
                    Ok(reply) => reply.claimed,
                    Err(e) if e.code() == Some("NOGROUP") => {
                        // Redis lost the stream (restarted empty, flushed): recreate it;
                        // the sweeper re-enqueues what was pending.
                        queue.ensure_group().await?;
                        Vec::new()
                    }
                    Err(e) => return Err(e.into()),
                };
                if !claimed.is_empty() {
                    return queue.readable(claimed).await;
                }
                let options = redis::streams::StreamReadOptions::default()
                    .group(GROUP, &*consumer)
                    .count(count)
                    .block(wait.as_millis() as usize);
                let read: redis::RedisResult<Option<StreamReadReply>> =
                    connection.xread_options(&[&queue.stream], &[">"], &options).await;
                match read {
                    Ok(reply) => {
                        queue.readable(reply.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids).collect()).await
                    }
                    Err(e) if e.code() == Some("NOGROUP") => {
                        queue.ensure_group().await?;
                        Ok(Vec::new())
                    }
                    Err(e) => Err(e.into()),
                }
            }
            Reader::Local(q) => {
                let mut receiver = q.receiver.lock().await;
                let mut jobs = Vec::new();
                match tokio::time::timeout(wait, receiver.recv()).await {
                    Ok(Some(job)) => jobs.push(job),
                    Ok(None) | Err(_) => return Ok(Vec::new()),
                }
                while jobs.len() < count {
                    match receiver.try_recv() {
                        Ok(job) => jobs.push(job),
                        Err(_) => break,
                    }
                }
                Ok(jobs.into_iter().map(|job| Delivery { entry: String::new(), job }).collect())
            }
        }
    }
}

impl RedisQueue {
    /// The entries' jobs. An entry that holds no readable job can never be
    /// handled: it is acknowledged and dropped (a request behind it is still
    /// PENDING in the database, and the sweeper re-enqueues it).
    async fn readable(&self, entries: Vec<StreamId>) -> Result<Vec<Delivery>> {
        let mut jobs = Vec::new();
        let mut unreadable = Vec::new();
        for entry in entries {
            let text: Option<String> = entry.get("job");
            match text.as_deref().map(serde_json::from_str::<Job>) {
                Some(Ok(job)) => jobs.push(Delivery { entry: entry.id, job }),
                _ => unreadable.push(entry.id),
            }
        }
        if !unreadable.is_empty() {
            tracing::warn!(entries = ?unreadable, "unreadable stream entries dropped");
            let ids: Vec<&str> = unreadable.iter().map(String::as_str).collect();
            self.ack_and_delete(&ids).await?;
        }
        Ok(jobs)
    }
}
