//! The work queue between the API and the scorers, fair to every tenant.
//!
//! Each tenant has two lanes: `live` (requests a CRM or a rep is waiting
//! for) and `bulk` (imports and scheduled rescores, fed in at a throttled
//! rate). A read takes live work before bulk work, and shares each lane
//! round-robin between tenants, so one tenant's burst never queues another
//! tenant's requests behind it.
//!
//! With Redis, every (lane, tenant) is its own stream read by one consumer
//! group shared by every host (`XREADGROUP` takes up to `COUNT` entries from
//! *each* stream named, which is what makes it round-robin); a set lists the
//! streams. The embedded default keeps the same lanes in process.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use guest_model::lead::Lead;
use redis::aio::ConnectionManager;
use redis::streams::{StreamAutoClaimReply, StreamId, StreamReadOptions, StreamReadReply};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::runtime::fair::Fair;

/// The prefix of every stream scoring requests go through (after the
/// namespace, if any): `lead-score-requests:<lane>:<tenant>`.
pub const STREAM: &str = "lead-score-requests";
/// The consumer group of the scorers.
pub const GROUP: &str = "scorers";

/// Which of a tenant's two lanes a request waits in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lane {
    /// Someone is waiting for it: read first.
    #[default]
    Live,
    /// Background work (imports, scheduled rescores): read when no live
    /// request waits.
    Bulk,
}

impl Lane {
    /// Its name in the database and in stream keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Lane::Live => "live",
            Lane::Bulk => "bulk",
        }
    }

    /// The lane a stored name means (anything unknown is live: it is never
    /// left unread).
    pub fn parse(name: &str) -> Lane {
        if name == "bulk" { Lane::Bulk } else { Lane::Live }
    }
}

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
    /// The stream it came from (empty for the in-process queue).
    pub stream: String,
    /// The stream entry id (empty for the in-process queue).
    pub entry: String,
    /// The lane it waited in.
    pub lane: Lane,
    /// The job.
    pub job: Job,
}

/// Where jobs wait.
#[derive(Clone)]
pub enum Queue {
    /// Redis streams with a consumer group.
    Redis(RedisQueue),
    /// In process.
    Local(LocalQueue),
}

/// The Redis streams.
#[derive(Clone)]
pub struct RedisQueue {
    client: redis::Client,
    commands: ConnectionManager,
    /// Every key starts with it: the namespace and [`STREAM`].
    prefix: String,
}

/// The in-process lanes.
#[derive(Clone)]
pub struct LocalQueue {
    lanes: Arc<std::sync::Mutex<LocalLanes>>,
    ready: Arc<Notify>,
}

/// Each lane's jobs by tenant, and the tenant each lane served last.
#[derive(Default)]
struct LocalLanes {
    live: Fair<Job>,
    bulk: Fair<Job>,
}

impl Queue {
    /// The Redis streams `<namespace>lead-score-requests:*`.
    pub async fn redis(url: &str, namespace: &str) -> Result<Queue> {
        let client = redis::Client::open(url).with_context(|| format!("bad Redis URL {url:?}"))?;
        let commands = ConnectionManager::new(client.clone()).await.context("cannot connect to Redis")?;
        Ok(Queue::Redis(RedisQueue { client, commands, prefix: format!("{namespace}{STREAM}") }))
    }

    /// An in-process queue.
    pub fn local() -> Queue {
        Queue::Local(LocalQueue { lanes: Arc::default(), ready: Arc::new(Notify::new()) })
    }

    /// Adds a job to its tenant's `lane`.
    pub async fn enqueue(&self, job: &Job, lane: Lane) -> Result<()> {
        match self {
            Queue::Redis(q) => {
                let stream = q.stream(lane, &job.org_id);
                let mut conn = q.commands.clone();
                // The set first: a stream is never written where no reader looks.
                let _: ((), String) = redis::pipe()
                    .sadd(q.streams_key(), &stream)
                    .xadd(&stream, "*", &[("job", serde_json::to_string(job)?)])
                    .query_async(&mut conn)
                    .await?;
                Ok(())
            }
            Queue::Local(q) => {
                let mut lanes = q.lanes.lock().map_err(|_| anyhow::anyhow!("the queue is poisoned"))?;
                lanes.lane(lane).push(&job.org_id, job.clone());
                q.ready.notify_waiters();
                Ok(())
            }
        }
    }

    /// A reader for one worker (`consumer`: its name in the group, unique
    /// per host and worker); `reads_bulk`: whether it takes bulk work too
    /// (a worker kept for live requests does not).
    pub async fn reader(&self, consumer: &str, reads_bulk: bool) -> Result<Reader> {
        Ok(match self {
            Queue::Redis(q) => Reader::Redis(Box::new(RedisReader {
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
                reads_bulk,
                grouped: BTreeSet::new(),
                cursor: 0,
                claimed_at: None,
            })),
            Queue::Local(q) => Reader::Local(q.clone(), reads_bulk),
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
            let mut by_stream: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for d in deliveries {
                by_stream.entry(&d.stream).or_default().push(&d.entry);
            }
            for (stream, ids) in by_stream {
                q.ack_and_delete(stream, &ids).await?;
            }
        }
        Ok(())
    }

    /// Entries waiting now in `lane` (every tenant's), or in every lane:
    /// not yet read, or read and not yet acknowledged (the in-process queue
    /// counts only those not yet read).
    pub async fn len(&self, lane: Option<Lane>) -> Result<u64> {
        match self {
            Queue::Redis(q) => {
                let mut conn = q.commands.clone();
                let streams: Vec<String> = redis::cmd("SMEMBERS").arg(q.streams_key()).query_async(&mut conn).await?;
                let streams: Vec<&String> =
                    streams.iter().filter(|s| lane.is_none_or(|l| q.lane_of(s) == Some(l))).collect();
                if streams.is_empty() {
                    return Ok(0);
                }
                let mut pipe = redis::pipe();
                for stream in streams {
                    pipe.xlen(stream);
                }
                let lengths: Vec<u64> = pipe.query_async(&mut conn).await?;
                Ok(lengths.iter().sum())
            }
            Queue::Local(q) => {
                let lanes = q.lanes.lock().map_err(|_| anyhow::anyhow!("the queue is poisoned"))?;
                Ok(match lane {
                    Some(Lane::Live) => lanes.live.len(),
                    Some(Lane::Bulk) => lanes.bulk.len(),
                    None => lanes.live.len() + lanes.bulk.len(),
                } as u64)
            }
        }
    }

    /// Puts a job back to be tried again after `delay` (the in-process queue;
    /// a stream retries unacknowledged entries by claiming them when idle).
    pub fn retry_later(&self, delivery: Delivery, delay: Duration) {
        if let Queue::Local(_) = self {
            let queue = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = queue.enqueue(&delivery.job, delivery.lane).await;
            });
        }
    }
}

impl RedisQueue {
    /// The set that lists every stream.
    fn streams_key(&self) -> String {
        format!("{}:streams", self.prefix)
    }

    /// The stream of a tenant's lane.
    fn stream(&self, lane: Lane, org: &str) -> String {
        format!("{}:{}:{org}", self.prefix, lane.as_str())
    }

    /// The lane a stream key belongs to.
    fn lane_of(&self, stream: &str) -> Option<Lane> {
        let rest = stream.strip_prefix(&self.prefix)?.strip_prefix(':')?;
        let (lane, _) = rest.split_once(':')?;
        Some(Lane::parse(lane))
    }

    /// Acknowledges entries and deletes them in one transaction. A stream
    /// only ever holds what a worker or the sweeper may still need: entries
    /// not yet read, and entries read but not acknowledged (their worker may
    /// have died; `XAUTOCLAIM` hands them to another). An acknowledged entry
    /// is done for good (its outcome is in the database), so deleting it loses
    /// nothing, and without the delete every request's lead JSON would stay
    /// in Redis forever.
    async fn ack_and_delete(&self, stream: &str, ids: &[&str]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut conn = self.commands.clone();
        let _: (i64, i64) =
            redis::pipe().atomic().xack(stream, GROUP, ids).xdel(stream, ids).query_async(&mut conn).await?;
        Ok(())
    }

    /// Creates the stream's consumer group if it has none. It reads from the
    /// stream's start: entries written before the group existed (the stream
    /// was lost and written again) are read too.
    async fn ensure_group(&self, stream: &str) -> Result<()> {
        let mut conn = self.commands.clone();
        let created: redis::RedisResult<()> = conn_group_create(&mut conn, stream).await;
        match created {
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
            other => other.context("cannot create the consumer group"),
        }
    }

    /// The entries' jobs. An entry that holds no readable job can never be
    /// handled: it is acknowledged and dropped (a request behind it is still
    /// PENDING in the database, and the sweeper re-enqueues it).
    async fn readable(&self, stream: &str, entries: Vec<StreamId>) -> Result<Vec<Delivery>> {
        let lane = self.lane_of(stream).unwrap_or_default();
        let mut jobs = Vec::new();
        let mut unreadable = Vec::new();
        for entry in entries {
            let text: Option<String> = entry.get("job");
            match text.as_deref().map(serde_json::from_str::<Job>) {
                Some(Ok(job)) => jobs.push(Delivery { stream: stream.to_string(), entry: entry.id, lane, job }),
                _ => unreadable.push(entry.id),
            }
        }
        if !unreadable.is_empty() {
            tracing::warn!(stream, entries = ?unreadable, "unreadable stream entries dropped");
            let ids: Vec<&str> = unreadable.iter().map(String::as_str).collect();
            self.ack_and_delete(stream, &ids).await?;
        }
        Ok(jobs)
    }
}

async fn conn_group_create(conn: &mut ConnectionManager, stream: &str) -> redis::RedisResult<()> {
    redis::AsyncCommands::xgroup_create_mkstream(conn, stream, GROUP, "0").await
}

/// One worker's view of the queue.
pub enum Reader {
    /// Reads the streams as one consumer of the group.
    Redis(Box<RedisReader>),
    /// Reads the in-process lanes (and whether it takes bulk work).
    Local(LocalQueue, bool),
}

/// A consumer of the streams' group.
pub struct RedisReader {
    /// For blocking reads.
    connection: redis::aio::MultiplexedConnection,
    queue: RedisQueue,
    /// This worker's consumer name.
    consumer: String,
    /// Whether it takes bulk work too.
    reads_bulk: bool,
    /// Streams whose group this reader made sure of.
    grouped: BTreeSet<String>,
    /// Where the next read starts when there are more streams than it takes.
    cursor: usize,
    /// When this reader last claimed abandoned entries.
    claimed_at: Option<Instant>,
}

impl Reader {
    /// Up to about `count` jobs: first entries another consumer left
    /// unacknowledged for `retry_after` (a dead worker, or a failed attempt),
    /// then live requests, then bulk ones, each lane shared between tenants;
    /// waiting up to `wait` when there are none.
    pub async fn next(&mut self, count: usize, retry_after: Duration, wait: Duration) -> Result<Vec<Delivery>> {
        match self {
            Reader::Redis(reader) => match reader.next(count, retry_after, wait).await {
                Err(e) if e.downcast_ref::<redis::RedisError>().and_then(|e| e.code()) == Some("NOGROUP") => {
                    // Redis lost a stream (restarted empty, flushed): its group is
                    // made again at the next read; the sweeper re-enqueues what was pending.
                    reader.grouped.clear();
                    Ok(Vec::new())
                }
                other => other,
            },
            Reader::Local(q, reads_bulk) => q.next(count, wait, *reads_bulk).await,
        }
    }
}

impl RedisReader {
    async fn next(&mut self, count: usize, retry_after: Duration, wait: Duration) -> Result<Vec<Delivery>> {
        let mut streams = self.streams().await?;
        if !self.reads_bulk {
            streams.retain(|s| self.queue.lane_of(s) != Some(Lane::Bulk));
        }
        // Abandoned entries are rare: looked for at most once a second (and
        // on a reader's first read), not on every read of every stream.
        let claim_every = retry_after.min(Duration::from_secs(1));
        if self.claimed_at.is_none_or(|at| at.elapsed() >= claim_every) {
            self.claimed_at = Some(Instant::now());
            let claimed = self.claim(&streams, count, retry_after).await?;
            if !claimed.is_empty() {
                return Ok(claimed);
            }
        }
        let (live, bulk): (Vec<&String>, Vec<&String>) =
            streams.iter().partition(|s| self.queue.lane_of(s) != Some(Lane::Bulk));
        for lane in [live, bulk] {
            let read = self.read(&lane, count, None).await?;
            if !read.is_empty() {
                return Ok(read);
            }
        }
        // Nothing waits: block until something arrives in any lane.
        let every: Vec<&String> = streams.iter().collect();
        self.read(&every, count, Some(wait)).await
    }

    /// The streams, each with its group.
    async fn streams(&mut self) -> Result<Vec<String>> {
        let streams: Vec<String> =
            redis::cmd("SMEMBERS").arg(self.queue.streams_key()).query_async(&mut self.connection).await?;
        for stream in &streams {
            if !self.grouped.contains(stream) {
                self.queue.ensure_group(stream).await?;
                self.grouped.insert(stream.clone());
            }
        }
        Ok(streams)
    }

    /// Entries of any stream left unacknowledged for `retry_after`.
    async fn claim(&mut self, streams: &[String], count: usize, retry_after: Duration) -> Result<Vec<Delivery>> {
        let mut claimed = Vec::new();
        for stream in streams {
            let reply: StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
                .arg(stream)
                .arg(GROUP)
                .arg(&self.consumer)
                .arg(retry_after.as_millis() as u64)
                .arg("0-0")
                .arg("COUNT")
                .arg(count - claimed.len())
                .query_async(&mut self.connection)
                .await?;
            claimed.extend(self.queue.readable(stream, reply.claimed).await?);
            if claimed.len() >= count {
                break;
            }
        }
        Ok(claimed)
    }

    /// New entries of `streams`: a fair share of `count` from each (at
    /// least one), from at most `count` streams per read, in turn; or,
    /// blocking up to `block` until any has one, from every stream.
    async fn read(&mut self, streams: &[&String], count: usize, block: Option<Duration>) -> Result<Vec<Delivery>> {
        if streams.is_empty() {
            if let Some(block) = block {
                tokio::time::sleep(block).await;
            }
            return Ok(Vec::new());
        }
        let taken = if block.is_some() { streams.len() } else { streams.len().min(count.max(1)) };
        let start = self.cursor % streams.len();
        self.cursor = self.cursor.wrapping_add(taken);
        let turn: Vec<&str> = (0..taken).map(|i| streams[(start + i) % streams.len()].as_str()).collect();
        let ids = vec![">"; turn.len()];
        let mut options = StreamReadOptions::default().group(GROUP, &self.consumer).count((count / taken).max(1));
        if let Some(block) = block {
            options = options.block(block.as_millis() as usize);
        }
        let reply: Option<StreamReadReply> =
            redis::AsyncCommands::xread_options(&mut self.connection, &turn, &ids, &options).await?;
        let mut deliveries = Vec::new();
        for key in reply.into_iter().flat_map(|r| r.keys) {
            deliveries.extend(self.queue.readable(&key.key, key.ids).await?);
        }
        Ok(deliveries)
    }
}

impl LocalQueue {
    /// Up to `count` jobs, live before bulk (when it `reads_bulk`), each
    /// lane round-robin between tenants; waits up to `wait` for the first.
    async fn next(&self, count: usize, wait: Duration, reads_bulk: bool) -> Result<Vec<Delivery>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Registered before looking, so a job queued in between still wakes us.
            let ready = self.ready.notified();
            tokio::pin!(ready);
            ready.as_mut().enable();
            {
                let mut lanes = self.lanes.lock().map_err(|_| anyhow::anyhow!("the queue is poisoned"))?;
                for lane in [Lane::Live, Lane::Bulk].into_iter().filter(|l| reads_bulk || *l == Lane::Live) {
                    let jobs = lanes.lane(lane).take(count);
                    if !jobs.is_empty() {
                        let delivery = |job| Delivery { stream: String::new(), entry: String::new(), lane, job };
                        return Ok(jobs.into_iter().map(delivery).collect());
                    }
                }
            }
            if tokio::time::timeout_at(deadline, ready).await.is_err() {
                return Ok(Vec::new());
            }
        }
    }
}

impl LocalLanes {
    fn lane(&mut self, lane: Lane) -> &mut Fair<Job> {
        match lane {
            Lane::Live => &mut self.live,
            Lane::Bulk => &mut self.bulk,
        }
    }
}
