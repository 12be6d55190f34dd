//! `leadscore-load`: drives a running `leadscore serve` with simulated leads
//! and reports throughput and latency percentiles.
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

/// Sends one lead; `Err` for anything but a 200.
async fn score(client: &reqwest::Client, url: &str, lead: &str) -> Result<()> {
    let response = client.post(url).header("content-type", "application/json").body(lead.to_string()).send().await?;
    if response.status() != 200 {
        bail!("HTTP {}: {}", response.status(), response.text().await.unwrap_or_default());
    }
    response.bytes().await?;
    Ok(())
}

struct Load {
    client: reqwest::Client,
    url: String,
    leads: Vec<String>,
}

impl Load {
    fn lead(&self, i: u64) -> &str {
        &self.leads[(i % self.leads.len() as u64) as usize]
    }

    /// Open loop at `rate` requests/s for `seconds`.
    async fn fixed_rate(self: &Arc<Self>, rate: u32, seconds: f64) -> Outcome {
        let period = Duration::from_secs_f64(1.0 / rate as f64);
        let count = (rate as f64 * seconds).round() as u64;
        let results = Arc::new(Mutex::new((Histogram::<u64>::new(3).expect("histogram"), 0u64)));
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
                    let outcome = score(&load.client, &load.url, load.lead(i)).await;
                    let micros = due.elapsed().as_micros() as u64;
                    let mut results = results.lock().await;
                    let _ = results.0.record(micros.max(1));
                    if let Err(e) = outcome {
                        if results.1 == 0 {
                            eprintln!("first error: {e:#}");
                        }
                        results.1 += 1;
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
        let (micros, errors) = Arc::try_unwrap(results).map(Mutex::into_inner).unwrap_or_else(|_| unreachable!());
        Outcome { label: format!("fixed {rate}/s"), sent: count, errors, took, micros }
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
                    if score(&load.client, &load.url, load.lead(i)).await.is_err() {
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
    let client = reqwest::Client::builder().pool_max_idle_per_host(1024).build()?;
    let load = Arc::new(Load { client, url: format!("{}/score-lead", args.url.trim_end_matches('/')), leads });
    score(&load.client, &load.url, load.lead(0)).await.context("the service does not score a lead")?;

    println!("| run | requests | ok/s | p50 ms | p90 ms | p99 ms | max ms | errors |");
    println!("|---|---|---|---|---|---|---|---|");
    for &rate in &args.rates {
        load.fixed_rate(rate, args.warmup).await;
        println!("{}", load.fixed_rate(rate, args.seconds).await.row());
    }
    for &workers in &args.concurrency {
        load.peak(workers, args.warmup).await;
        println!("{}", load.peak(workers, args.seconds).await.row());
    }
    Ok(())
}
