//! `leadscore-load`: drives a running `leadscore serve` with simulated leads
//! and reports throughput and latency percentiles: the sync API
//! (`POST /score-lead`) or the async pipeline (`POST /leads/score`, then
//! each request's end-to-end time from acceptance to SUCCESS, as the
//! service recorded it).
//!
//! Fixed-rate runs are open loop: request *i* is due at `start + i / rate`
//! whether or not earlier ones have answered, and its latency counts from
//! when it was due, so a stalled server shows up in the percentiles instead
//! of quietly slowing the generator down (no coordinated omission).
//! Peak runs are closed loop: `--concurrency` workers send back to back.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use hdrhistogram::Histogram;
use tokio::sync::Mutex;

/// Load generator for the leadscore API.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The service's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Lead JSON lines to send, cycled.
    #[arg(long, default_value = "models/sample-leads.jsonl")]
    leads: PathBuf,
    /// Fixed request rates to run one after the other (requests/s), e.g. 100,500,1000.
    #[arg(long, value_delimiter = ',')]
    rates: Vec<u32>,
    /// Closed-loop peak runs with this many workers each, e.g. 4,16.
    #[arg(long, value_delimiter = ',')]
    concurrency: Vec<u32>,
    /// Seconds each run lasts.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Seconds of load before each run that are not measured.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// `sync` (POST /score-lead) or `async` (POST /leads/score, then completion times).
    #[arg(long, default_value = "sync", value_parser = ["sync", "async"])]
    mode: String,
    /// Async: bypass the score cache (every request is scored: a cold cache).
    #[arg(long)]
    force_refresh: bool,
    /// Bearer token (`leadscore token ...`); without it, requests go without
    /// one (a `--dev` service).
    #[arg(long, env = "LEADSCORE_TOKEN")]
    token: Option<String>,
}

/// What one run measured.
struct Outcome {
    label: String,
    sent: u64,
    errors: u64,
    took: Duration,
    micros: Histogram<u64>,
}

impl Outcome {
    fn row(&self) -> String {
        let ms = |q: f64| self.micros.value_at_quantile(q) as f64 / 1000.0;
        let ok = self.sent - self.errors;
        format!(
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
            self.label,
            self.sent,
            ok as f64 / self.took.as_secs_f64(),
            ms(0.50),
            ms(0.90),
            ms(0.99),
            self.micros.max() as f64 / 1000.0,
            self.errors
        )
    }
}

/// Sends one lead: sync, `Ok(None)` for a 200; async, `Ok(Some(request id))`
/// for a 202; `Err` for anything else.
async fn score(load: &Load, lead: &str) -> Result<Option<String>> {
    let request = load.client.post(&load.url).header("content-type", "application/json").body(lead.to_string());
    let response = request.send().await?;
    let expected = if load.asynchronous { 202 } else { 200 };
    if response.status() != expected {
        bail!("HTTP {}: {}", response.status(), response.text().await.unwrap_or_default());
    }
    if !load.asynchronous {
        response.bytes().await?;
        return Ok(None);
    }
    let body: serde_json::Value = response.json().await?;
    Ok(body["request_id"].as_str().map(String::from))
}

struct Load {
    client: reqwest::Client,
    base: String,
    url: String,
    /// Request bodies, cycled.
    leads: Vec<String>,
    asynchronous: bool,
}

impl Load {
    fn lead(&self, i: u64) -> &str {
        &self.leads[(i % self.leads.len() as u64) as usize]
    }

    /// Open loop at `rate` requests/s for `seconds`.
    async fn fixed_rate(self: &Arc<Self>, rate: u32, seconds: f64) -> (Outcome, Vec<String>) {
        let period = Duration::from_secs_f64(1.0 / rate as f64);
        let count = (rate as f64 * seconds).round() as u64;
        let results = Arc::new(Mutex::new((Histogram::<u64>::new(3).expect("histogram"), 0u64, Vec::new())));
        let start = Instant::now() + Duration::from_millis(10);
        // Requests are released by a plain thread: its sleeps are precise to
        // tens of microseconds, where tokio's timer rounds up to a millisecond
        // (which would count as latency).
        let (handle, load, tracker) = (tokio::runtime::Handle::current(), self.clone(), results.clone());
        let scheduler = std::thread::spawn(move || {
            let mut tasks = Vec::with_capacity(count as usize);
            for i in 0..count {
                let due = start + period * i as u32;
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let (load, results) = (load.clone(), tracker.clone());
                tasks.push(handle.spawn(async move {
                    let outcome = score(&load, load.lead(i)).await;
                    let micros = due.elapsed().as_micros() as u64;
                    let mut results = results.lock().await;
                    let _ = results.0.record(micros.max(1));
                    match outcome {
                        Ok(Some(id)) => results.2.push(id),
                        Ok(None) => {}
                        Err(e) => {
                            if results.1 == 0 {
                                eprintln!("first error: {e:#}");
                            }
                            results.1 += 1;
                        }
                    }
                }));
            }
            tasks
        });
        let tasks = tokio::task::spawn_blocking(move || scheduler.join().expect("the scheduler runs"))
            .await
            .expect("the scheduler finishes");
        for task in tasks {
            let _ = task.await;
        }
        let took = start.elapsed();
        let (micros, errors, accepted) =
            Arc::try_unwrap(results).map(Mutex::into_inner).unwrap_or_else(|_| unreachable!());
        (Outcome { label: format!("fixed {rate}/s"), sent: count, errors, took, micros }, accepted)
    }

    /// Closed loop with `workers` senders for `seconds`.
    async fn peak(self: &Arc<Self>, workers: u32, seconds: f64) -> Outcome {
        let start = Instant::now();
        let end = start + Duration::from_secs_f64(seconds);
        let mut tasks = Vec::new();
        for w in 0..workers {
            let load = self.clone();
            tasks.push(tokio::spawn(async move {
                let (mut micros, mut sent, mut errors) = (Histogram::<u64>::new(3).expect("histogram"), 0u64, 0u64);
                let mut i = w as u64 * 7919;
                while Instant::now() < end {
                    let began = Instant::now();
                    if score(&load, load.lead(i)).await.is_err() {
                        errors += 1;
                    }
                    let _ = micros.record((began.elapsed().as_micros() as u64).max(1));
                    sent += 1;
                    i += 1;
                }
                (micros, sent, errors)
            }));
        }
        let mut total = Outcome {
            label: format!("peak, {workers} workers"),
            sent: 0,
            errors: 0,
            took: Duration::ZERO,
            micros: Histogram::new(3).expect("histogram"),
        };
        for task in tasks {
            if let Ok((micros, sent, errors)) = task.await {
                let _ = total.micros.add(micros);
                total.sent += sent;
                total.errors += errors;
            }
        }
        total.took = start.elapsed();
        total
    }
}

/// End-to-end times of accepted async requests, as the service recorded
/// them (`updated_at - created_at` of each SUCCESS).
struct Completion {
    millis: Histogram<u64>,
    failed: u64,
    stuck: u64,
    /// SUCCESS per second between the first acceptance and the last success.
    per_second: f64,
}

impl Load {
    /// Waits until every request has finished (or 120 s pass) and reads their times.
    async fn completion(self: &Arc<Self>, ids: Vec<String>) -> Completion {
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut done = Vec::new();
        let mut waiting = ids;
        while !waiting.is_empty() && Instant::now() < deadline {
            let mut still = Vec::new();
            for chunk in waiting.chunks(32) {
                let polls = chunk.iter().map(|id| {
                    let (load, id) = (self.clone(), id.clone());
                    tokio::spawn(async move {
                        let url = format!("{}/leads/score/{id}/status", load.base);
                        let status: Option<serde_json::Value> = match load.client.get(url).send().await {
                            Ok(r) => r.json().await.ok(),
                            Err(_) => None,
                        };
                        (id, status)
                    })
                });
                for poll in polls.collect::<Vec<_>>() {
                    let (id, status) = poll.await.expect("poll");
                    match status {
                        Some(s) if s["status"] != "PENDING" && s["status"].is_string() => done.push(s),
                        _ => still.push(id),
                    }
                }
            }
            waiting = still;
            if !waiting.is_empty() {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        let mut millis = Histogram::<u64>::new(3).expect("histogram");
        let (mut failed, mut first, mut last) = (0, i64::MAX, i64::MIN);
        for s in &done {
            let (created, updated) = (s["created_at"].as_i64().unwrap_or(0), s["updated_at"].as_i64().unwrap_or(0));
            if s["status"] == "SUCCESS" {
                let _ = millis.record((updated - created).max(1) as u64);
                first = first.min(created);
                last = last.max(updated);
            } else {
                failed += 1;
            }
        }
        let span = ((last - first).max(1)) as f64 / 1000.0;
        Completion { per_second: millis.len() as f64 / span, millis, failed, stuck: waiting.len() as u64 }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if args.rates.is_empty() && args.concurrency.is_empty() {
        bail!("nothing to run: give --rates and/or --concurrency");
    }
    if args.rates.contains(&0) || args.concurrency.contains(&0) || args.seconds <= 0.0 {
        bail!("rates, concurrency and seconds must be positive");
    }
    let text = std::fs::read_to_string(&args.leads).with_context(|| format!("cannot read {}", args.leads.display()))?;
    let leads: Vec<String> = text.lines().filter(|l| !l.trim().is_empty()).map(String::from).collect();
    if leads.is_empty() {
        bail!("{} holds no leads", args.leads.display());
    }
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = &args.token {
        headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse()?);
    }
    let client = reqwest::Client::builder().pool_max_idle_per_host(1024).default_headers(headers).build()?;
    let asynchronous = args.mode == "async";
    let base = args.url.trim_end_matches('/').to_string();
    let (url, leads) = if asynchronous {
        let overrides = serde_json::json!({"force_refresh": args.force_refresh});
        let bodies = leads
            .iter()
            .map(|l| {
                let lead: serde_json::Value = serde_json::from_str(l)?;
                Ok(serde_json::json!({"lead_id": lead["id"], "context": lead, "overrides": overrides}).to_string())
            })
            .collect::<Result<Vec<_>>>()?;
        (format!("{base}/leads/score"), bodies)
    } else {
        (format!("{base}/score-lead"), leads)
    };
    let load = Arc::new(Load { client, base, url, leads, asynchronous });
    score(&load, load.lead(0)).await.context("the service does not score a lead")?;

    if asynchronous {
        println!(
            "| run | accepted | accept p50 ms | accept p99 ms | e2e p50 ms | e2e p90 ms | e2e p99 ms | e2e max ms | SUCCESS/s | failed | stuck |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|");
        for &rate in &args.rates {
            let (_, warm) = load.fixed_rate(rate, args.warmup).await;
            load.completion(warm).await;
            let (accept, ids) = load.fixed_rate(rate, args.seconds).await;
            let accepted = ids.len();
            let c = load.completion(ids).await;
            let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64;
            println!(
                "| {} | {accepted} | {:.2} | {:.2} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {} | {} |",
                accept.label,
                ms(&accept.micros, 0.5) / 1000.0,
                ms(&accept.micros, 0.99) / 1000.0,
                ms(&c.millis, 0.5),
                ms(&c.millis, 0.9),
                ms(&c.millis, 0.99),
                c.millis.max() as f64,
                c.per_second,
                c.failed + accept.errors,
                c.stuck
            );
        }
        return Ok(());
    }
    println!("| run | requests | ok/s | p50 ms | p90 ms | p99 ms | max ms | errors |");
    println!("|---|---|---|---|---|---|---|---|");
    for &rate in &args.rates {
        load.fixed_rate(rate, args.warmup).await;
        println!("{}", load.fixed_rate(rate, args.seconds).await.0.row());
    }
    for &workers in &args.concurrency {
        load.peak(workers, args.warmup).await;
        println!("{}", load.peak(workers, args.seconds).await.row());
    }
    Ok(())
}
