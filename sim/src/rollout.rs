//! `leadscore simulate-rollout`: what working the queue by score changes for
//! a sales team. Simulated leads are scored by a running service (through
//! its API); a simulated team then works them twice, on the same arrivals
//! and the same luck — once in arrival order, once hottest first — and the
//! run reports time to first touch and the win rate of each.
//!
//! The model of the team (documented in docs/simulator.md):
//! - leads arrive at a steady random rate over `days` working days of 8
//!   hours (the clock counts working hours only);
//! - `reps` reps each touch one lead at a time, for `minutes_per_touch`;
//! - speed to lead matters: a lead's chance of being won is its hidden
//!   chance (the simulator's) times 0.5 + 0.5·exp(−delay / `decay_hours`),
//!   so a lead reached at once keeps all of it and one reached late or never
//!   keeps half;
//! - each lead draws one random number, used by both policies, so the
//!   difference between them is the policy's alone.
//!
//! With `record`, the run also reports to the service as a CRM would: each
//! lead is queued for scoring (`POST /leads/score`), and its touch and
//! outcome are posted — from the score-ordered run for treated leads and
//! from the arrival-order run for the control group, whose reps see no
//! score. `GET /reports/lift` then shows the experiment.

use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::{Value, json};

use crate::simulate;

const WORKDAY_HOURS: f64 = 8.0;

/// What to simulate (the `simulate-rollout` command's options).
#[derive(Clone, Debug, clap::Args)]
pub struct RolloutSettings {
    /// The service.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Bearer token (crm.write.leads, and crm.read.leads with --record); not needed with --dev.
    #[arg(long, env = "LEADSCORE_TOKEN")]
    pub token: Option<String>,
    /// Leads arriving.
    #[arg(long, default_value_t = 2000)]
    pub leads: usize,
    /// Working days (8 hours) they arrive over.
    #[arg(long, default_value_t = 20.0)]
    pub days: f64,
    /// Reps working the queue.
    #[arg(long, default_value_t = 4)]
    pub reps: usize,
    /// Minutes one first touch takes a rep.
    #[arg(long, default_value_t = 19.0)]
    pub minutes_per_touch: f64,
    /// Hours of waiting over which a lead loses most of its edge (see docs/simulator.md).
    #[arg(long, default_value_t = 4.0)]
    pub decay_hours: f64,
    /// Random seed (the leads, their arrivals and their luck).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Also queue the leads for the token's tenant and post their touches
    /// and outcomes, so that GET /reports/lift shows the experiment.
    #[arg(long)]
    pub record: bool,
}

/// One policy's results.
#[derive(Debug, Serialize)]
pub struct PolicyResult {
    /// arrival-order or by-score.
    pub policy: &'static str,
    /// Median working hours from arrival to first touch, hot leads.
    pub hot_median_hours: Option<f64>,
    /// The same, every lead touched.
    pub median_hours: Option<f64>,
    /// Leads never touched within the simulated days.
    pub untouched: usize,
    /// Leads won.
    pub won: usize,
    /// won / leads.
    pub win_rate: f64,
}

/// The run's report.
#[derive(Debug, Serialize)]
pub struct Rollout {
    /// Leads simulated.
    pub leads: usize,
    /// ...of them hot.
    pub hot: usize,
    /// Working the queue in arrival order.
    pub arrival_order: PolicyResult,
    /// Working it hottest first.
    pub by_score: PolicyResult,
    /// by-score wins / arrival-order wins − 1.
    pub win_lift: f64,
}

/// A lead as the team sees it.
struct Arrival {
    /// Working hours since the start.
    at: f64,
    score: i64,
    hot: bool,
    /// The simulator's hidden chance of a win.
    p_win: f64,
    /// Its luck, shared by both policies.
    draw: f64,
}

/// Runs the simulation against the service.
pub async fn run(settings: &RolloutSettings) -> Result<Rollout> {
    ensure!(settings.leads > 0 && settings.reps > 0, "--leads and --reps must be at least 1");
    ensure!(
        settings.days > 0.0 && settings.minutes_per_touch > 0.0 && settings.decay_hours > 0.0,
        "--days, --minutes-per-touch and --decay-hours must be positive"
    );
    let simulated = simulate::leads_with_truth(simulate::Settings {
        leads: settings.leads,
        months: 12,
        seed: settings.seed,
        buyers: Default::default(),
    });
    let client = Client::new(settings)?;
    let scores = client.score(&simulated).await?;
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed ^ 0x5eed);
    let hours = settings.days * WORKDAY_HOURS;
    let mut arrivals: Vec<Arrival> = simulated
        .iter()
        .zip(&scores)
        .map(|((_, p_win), (score, band))| Arrival {
            at: rng.random::<f64>() * hours,
            score: *score,
            hot: band == "hot",
            p_win: *p_win,
            draw: rng.random::<f64>(),
        })
        .collect();
    let mut order: Vec<usize> = (0..arrivals.len()).collect();
    order.sort_by(|&a, &b| arrivals[a].at.total_cmp(&arrivals[b].at));
    arrivals = order.iter().map(|&i| std::mem::replace(&mut arrivals[i], placeholder())).collect();
    let leads: Vec<&Value> = order.iter().map(|&i| &simulated[i].0).collect();

    let fifo = work(&arrivals, settings, false);
    let ranked = work(&arrivals, settings, true);
    let arrival_order = summarise("arrival-order", &arrivals, &fifo, settings);
    let by_score = summarise("by-score", &arrivals, &ranked, settings);
    if settings.record {
        client.record(&leads, &arrivals, &fifo, &ranked, settings).await?;
    }
    Ok(Rollout {
        leads: arrivals.len(),
        hot: arrivals.iter().filter(|a| a.hot).count(),
        win_lift: by_score.won as f64 / arrival_order.won.max(1) as f64 - 1.0,
        arrival_order,
        by_score,
    })
}

/// The report as a table for a person.
pub fn text(report: &Rollout) -> String {
    let hours = |h: Option<f64>| h.map_or_else(|| "—".to_string(), |h| format!("{h:.1} h"));
    let mut out = format!("{} leads, {} hot\n\n", report.leads, report.hot);
    out += &format!(
        "{:<15} {:>22} {:>20} {:>10} {:>9}\n",
        "policy", "hot: first touch (p50)", "all: first touch (p50)", "untouched", "win rate"
    );
    for p in [&report.arrival_order, &report.by_score] {
        out += &format!(
            "{:<15} {:>22} {:>20} {:>10} {:>8.2} %\n",
            p.policy,
            hours(p.hot_median_hours),
            hours(p.median_hours),
            p.untouched,
            p.win_rate * 100.0
        );
    }
    out + &format!("\nwins, by score against arrival order: {:+.1} %\n", report.win_lift * 100.0)
}

fn placeholder() -> Arrival {
    Arrival { at: 0.0, score: 0, hot: false, p_win: 0.0, draw: 1.0 }
}

/// When each lead is first touched (working hours), or `None`: the team
/// works the queue in arrival order, or hottest first.
fn work(arrivals: &[Arrival], settings: &RolloutSettings, by_score: bool) -> Vec<Option<f64>> {
    let horizon = settings.days * WORKDAY_HOURS;
    let touch = settings.minutes_per_touch / 60.0;
    let mut touched = vec![None; arrivals.len()];
    let mut free_at = vec![0.0f64; settings.reps];
    let (mut next, mut waiting) = (0usize, Vec::<usize>::new());
    loop {
        let (rep, now) = free_at.iter().copied().enumerate().min_by(|a, b| a.1.total_cmp(&b.1)).expect("reps ≥ 1");
        while next < arrivals.len() && arrivals[next].at <= now {
            waiting.push(next);
            next += 1;
        }
        if waiting.is_empty() {
            match arrivals.get(next) {
                // Idle until the next lead arrives.
                Some(arrival) => free_at[rep] = arrival.at,
                None => break,
            }
            continue;
        }
        if now >= horizon {
            break;
        }
        let pick = match by_score {
            // Hottest first; among equals, the longest waiting.
            true => (0..waiting.len()).max_by_key(|&i| (arrivals[waiting[i]].score, std::cmp::Reverse(waiting[i]))),
            false => Some(0),
        }
        .expect("waiting is not empty");
        let lead = waiting.remove(pick);
        touched[lead] = Some(now);
        free_at[rep] = now + touch;
    }
    touched
}

/// Whether a lead is won when first touched at `touched`.
fn won(arrival: &Arrival, touched: Option<f64>, settings: &RolloutSettings) -> bool {
    let keep = match touched {
        Some(at) => 0.5 + 0.5 * (-(at - arrival.at) / settings.decay_hours).exp(),
        None => 0.5,
    };
    arrival.draw < arrival.p_win * keep
}

fn summarise(
    policy: &'static str,
    arrivals: &[Arrival],
    touched: &[Option<f64>],
    settings: &RolloutSettings,
) -> PolicyResult {
    let delays = |hot_only: bool| {
        let mut delays: Vec<f64> = arrivals
            .iter()
            .zip(touched)
            .filter(|(a, _)| a.hot || !hot_only)
            .filter_map(|(a, t)| t.map(|t| t - a.at))
            .collect();
        median(&mut delays)
    };
    let won = arrivals.iter().zip(touched).filter(|(a, t)| won(a, **t, settings)).count();
    PolicyResult {
        policy,
        hot_median_hours: delays(true),
        median_hours: delays(false),
        untouched: touched.iter().filter(|t| t.is_none()).count(),
        won,
        win_rate: won as f64 / arrivals.len() as f64,
    }
}

/// The service, as the simulated CRM talks to it.
struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    fn new(settings: &RolloutSettings) -> Result<Client> {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(token) = &settings.token {
            headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().context("bad token")?);
        }
        let http = reqwest::Client::builder().default_headers(headers).timeout(Duration::from_secs(30)).build()?;
        Ok(Client { http, url: settings.url.trim_end_matches('/').to_string() })
    }

    /// Each lead's (score, band), from `POST /score-lead/batch`.
    async fn score(&self, leads: &[(Value, f64)]) -> Result<Vec<(i64, String)>> {
        let mut scores = Vec::with_capacity(leads.len());
        for chunk in leads.chunks(50) {
            let batch = json!({"leads": chunk.iter().map(|(lead, _)| lead).collect::<Vec<_>>()});
            let answer = self.send(self.http.post(format!("{}/score-lead/batch", self.url)).json(&batch)).await?;
            for result in answer["results"].as_array().into_iter().flatten() {
                match (result["final_score"].as_i64(), result["band"].as_str()) {
                    (Some(score), Some(band)) => scores.push((score, band.to_string())),
                    _ => bail!("the service could not score lead {}: {}", result["lead_id"], result["error"]),
                }
            }
        }
        ensure!(scores.len() == leads.len(), "the service answered {} of {} leads", scores.len(), leads.len());
        Ok(scores)
    }

    /// Queues the leads for the tenant, waits until they are scored, and
    /// posts each lead's first touch and outcome.
    async fn record(
        &self,
        leads: &[&Value],
        arrivals: &[Arrival],
        fifo: &[Option<f64>],
        ranked: &[Option<f64>],
        settings: &RolloutSettings,
    ) -> Result<()> {
        for lead in leads {
            let body = json!({"lead_id": lead["id"], "context": lead});
            self.send(self.http.post(format!("{}/leads/score", self.url)).json(&body)).await?;
        }
        for (n, ((lead, arrival), (fifo, ranked))) in
            leads.iter().zip(arrivals).zip(fifo.iter().zip(ranked)).enumerate()
        {
            let id = lead["id"].as_str().unwrap_or_default();
            let detail = self.until_scored(id).await?;
            // Control leads were worked without scores: in arrival order.
            let touched = if detail["control_group"] == true { *fifo } else { *ranked };
            let as_of = chrono::DateTime::parse_from_rfc3339(lead["as_of"].as_str().unwrap_or_default())?;
            let hours = |h: f64| chrono::Duration::milliseconds((h * 3_600_000.0) as i64);
            if let Some(at) = touched {
                let at = (as_of + hours(at - arrival.at)).to_rfc3339();
                self.send(self.http.post(format!("{}/leads/{id}/touch", self.url)).json(&json!({"at": at}))).await?;
            }
            let outcome = if won(arrival, touched, settings) { "won" } else { "lost" };
            let closed = (as_of + chrono::Duration::days(30)).min(chrono::Utc::now().fixed_offset()).to_rfc3339();
            let body = json!({"outcome": outcome, "at": closed});
            self.send(self.http.post(format!("{}/leads/{id}/outcome", self.url)).json(&body)).await?;
            if (n + 1) % 500 == 0 {
                eprintln!("recorded {} of {} leads", n + 1, leads.len());
            }
        }
        Ok(())
    }

    /// The lead's detail once it has been scored.
    async fn until_scored(&self, id: &str) -> Result<Value> {
        for _ in 0..600 {
            let response = self.http.get(format!("{}/leads/{id}", self.url)).send().await?;
            if response.status().is_success() {
                return Ok(response.json().await?);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("lead {id} was not scored within 30 s")
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value> {
        let response = request.send().await.context("cannot reach the service")?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("the service answered {status}: {}", body["error"]["message"].as_str().unwrap_or("(no message)"));
        }
        Ok(body)
    }
}

/// The median (`None` for no values).
fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(reps: usize) -> RolloutSettings {
        RolloutSettings {
            url: String::new(),
            token: None,
            leads: 0,
            days: 1.0,
            reps,
            minutes_per_touch: 60.0,
            decay_hours: 4.0,
            seed: 0,
            record: false,
        }
    }

    fn arrival(at: f64, score: i64) -> Arrival {
        Arrival { at, score, hot: score > 80, p_win: 0.5, draw: 0.4 }
    }

    #[test]
    fn a_busy_rep_reaches_the_hottest_lead_first_only_when_working_by_score() {
        // Three leads arrive at once; one rep takes an hour each.
        let arrivals = [arrival(0.0, 10), arrival(0.0, 50), arrival(0.0, 95)];
        assert_eq!(work(&arrivals, &settings(1), false), [Some(0.0), Some(1.0), Some(2.0)]);
        assert_eq!(work(&arrivals, &settings(1), true), [Some(2.0), Some(1.0), Some(0.0)]);
        // Two reps: two at once, the third after an hour.
        assert_eq!(work(&arrivals, &settings(2), true), [Some(1.0), Some(0.0), Some(0.0)]);
    }

    #[test]
    fn leads_wait_for_their_arrival_and_the_day_ends() {
        let arrivals = [arrival(3.0, 50), arrival(7.9, 50), arrival(7.95, 50)];
        assert_eq!(work(&arrivals, &settings(1), false), [Some(3.0), Some(7.9), None]);
    }

    #[test]
    fn waiting_costs_up_to_half_the_chance() {
        let lead = arrival(0.0, 50); // p_win 0.5, draw 0.4
        assert!(won(&lead, Some(0.0), &settings(1)), "0.4 < 0.5");
        assert!(!won(&lead, Some(100.0), &settings(1)), "0.4 > 0.5 × 0.5");
        assert!(!won(&lead, None, &settings(1)));
    }
}
