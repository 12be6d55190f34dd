//! `leadscore simulate`: a CRM's worth of leads, activity histories and
//! outcomes, generated from a documented story (`docs/simulator.md`) so that
//! models can be trained and judged without real customer data.
//!
//! Each lead has two hidden traits — firmographic *fit* and buying *intent* —
//! that drive both what it does (activities) and how it ends (won or lost).
//! Models only see the activities and fields, never the traits.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result, ensure};
use chrono::{DateTime, SecondsFormat, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Gamma, LogNormal, Normal, Poisson};
use serde::Serialize;
use serde_json::{Map, Value, json};

const DAY_MS: f64 = 86_400_000.0;
/// A month as the simulation counts it (365.25 / 12 days).
pub const MONTH_DAYS: f64 = 30.4375;
/// The first day of the simulated history.
pub const START: &str = "2024-10-01T00:00:00Z";
/// How far back a lead's activity history reaches before `as_of`.
const HISTORY_DAYS: f64 = 120.0;
/// The last months, in which behaviour drifts.
pub const DRIFT_MONTHS: u32 = 6;

/// What to simulate.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Number of leads.
    pub leads: usize,
    /// Months of history.
    pub months: u32,
    /// Seed: the same seed gives the same files, byte for byte.
    pub seed: u64,
    /// What decides whether a lead is won.
    pub buyers: Buyers,
}

/// What decides whether a lead is won: tenants differ (docs/simulator.md,
/// "Two kinds of buyers"). Behaviour is the same for both; only the outcome
/// changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Buyers {
    /// Intent and fit: σ(−5.5 + 1.6·intent + 1.2·fit − 2.5·[job seeker] + 0.2·[Q4]).
    #[default]
    Intent,
    /// Fit alone, whatever the lead does: σ(−6.2 + 2.6·fit − 2.5·[job seeker] + 0.2·[Q4]).
    Fit,
}

/// What a run produced (also written to `simulation.json`).
#[derive(Debug, Serialize)]
pub struct Summary {
    /// The seed.
    pub seed: u64,
    /// What decided the outcomes.
    pub buyers: Buyers,
    /// Leads written.
    pub leads: usize,
    /// Months simulated.
    pub months: u32,
    /// Month 0 starts here (RFC 3339).
    pub start: String,
    /// The history ends here (RFC 3339).
    pub end: String,
    /// From here on behaviour drifts (RFC 3339).
    pub drift_start: String,
    /// Leads won.
    pub won: usize,
    /// won / leads.
    pub conversion_rate: f64,
    /// Activities written (including some after `as_of`, which scoring ignores).
    pub activities: usize,
}

/// Runs the simulation, writing `leads.jsonl`, `outcomes.jsonl` and
/// `simulation.json` into `out`.
pub fn run(settings: Settings, out: &Path) -> Result<Summary> {
    ensure!(settings.leads > 0, "--leads must be at least 1");
    ensure!(settings.months > DRIFT_MONTHS, "--months must be more than {DRIFT_MONTHS} (the drift period)");
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let create = |name: &str| -> Result<BufWriter<File>> {
        let path = out.join(name);
        Ok(BufWriter::new(File::create(&path).with_context(|| format!("cannot create {}", path.display()))?))
    };
    let (mut leads_out, mut outcomes_out) = (create("leads.jsonl")?, create("outcomes.jsonl")?);
    let world = World::new(settings);
    let (mut won, mut activities) = (0, 0);
    for lead in world.leads(settings) {
        won += lead.won as usize;
        activities += lead.activities.len();
        serde_json::to_writer(&mut leads_out, &lead.to_json())?;
        leads_out.write_all(b"\n")?;
        let outcome = json!({
            "lead_id": lead.id,
            "outcome": if lead.won { "won" } else { "lost" },
            "closed_at": rfc3339(lead.closed_at),
        });
        serde_json::to_writer(&mut outcomes_out, &outcome)?;
        outcomes_out.write_all(b"\n")?;
    }
    leads_out.flush()?;
    outcomes_out.flush()?;
    let summary = Summary {
        seed: settings.seed,
        buyers: settings.buyers,
        leads: settings.leads,
        months: settings.months,
        start: rfc3339(world.start),
        end: rfc3339(world.month_start(settings.months)),
        drift_start: rfc3339(world.drift_start),
        won,
        conversion_rate: won as f64 / settings.leads as f64,
        activities,
    };
    std::fs::write(out.join("simulation.json"), serde_json::to_string_pretty(&summary)? + "\n")?;
    Ok(summary)
}

/// `settings.leads` simulated leads as lead JSON, without writing files (for golden
/// leads and examples).
pub fn leads_json(settings: Settings) -> Vec<Value> {
    World::new(settings).leads(settings).map(|lead| lead.to_json()).collect()
}

/// Like [`leads_json`], with each lead's hidden chance of being won.
pub fn leads_with_truth(settings: Settings) -> Vec<(Value, f64)> {
    World::new(settings).leads(settings).map(|lead| (lead.to_json(), lead.p_win)).collect()
}

fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A categorical trait: values, how common each is, and its effect.
struct Trait {
    values: &'static [&'static str],
    weights: &'static [f64],
    effect: &'static [f64],
}

impl Trait {
    fn draw(&self, rng: &mut ChaCha8Rng) -> usize {
        let total: f64 = self.weights.iter().sum();
        let mut u = rng.random::<f64>() * total;
        for (i, w) in self.weights.iter().enumerate() {
            if u < *w {
                return i;
            }
            u -= w;
        }
        self.weights.len() - 1
    }
}

const INDUSTRY: Trait = Trait {
    values: &["software", "finance", "healthcare", "retail", "manufacturing", "education", "government"],
    weights: &[0.26, 0.16, 0.14, 0.14, 0.12, 0.10, 0.08],
    effect: &[0.7, 0.45, 0.2, -0.1, -0.15, -0.5, -0.3],
};
const SENIORITY: Trait = Trait {
    values: &["individual", "manager", "director", "vp", "executive"],
    weights: &[0.34, 0.30, 0.18, 0.11, 0.07],
    effect: &[-0.45, 0.0, 0.35, 0.55, 0.45],
};
const REGION: Trait = Trait {
    values: &["north_america", "europe", "apac", "latam"],
    weights: &[0.45, 0.3, 0.15, 0.1],
    effect: &[0.1, 0.0, -0.1, -0.2],
};
/// Lead source: the effect is on intent (a referral arrives half-convinced).
const SOURCE: Trait = Trait {
    values: &["web", "referral", "event", "outbound", "partner"],
    weights: &[0.42, 0.13, 0.15, 0.25, 0.05],
    effect: &[0.0, 0.8, 0.3, -0.7, 0.5],
};
/// After the drift starts, the partner programme brings four times as many leads.
const SOURCE_WEIGHTS_DRIFTED: &[f64] = &[0.38, 0.12, 0.13, 0.17, 0.20];
const CAMPAIGNS: &[&str] = &["product-news", "case-study", "webinar-invite", "pricing-update", "customer-story"];
const FIRST_NAMES: &[&str] =
    &["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ines", "Jon", "Kemi", "Luis"];
const LAST_NAMES: &[&str] =
    &["Lopez", "Smith", "Okafor", "Novak", "Tanaka", "Ahmed", "Berg", "Costa", "Kowalski", "Reyes"];
const COMPANY_WORDS: &[&str] = &["Northwind", "Acme", "Globex", "Initech", "Umbrella", "Vandelay", "Stark", "Wayne"];
const COMPANY_KINDS: &[&str] = &["Analytics", "Systems", "Health", "Logistics", "Labs", "Retail", "Partners"];

/// The fixed calendar of a run.
struct World {
    start: i64,
    drift_start: i64,
    /// Relative number of leads per month (seasonality: a Q4 budget flush and
    /// a summer lull).
    month_weights: Vec<f64>,
    buyers: Buyers,
}

/// One simulated lead, with the hidden traits behind it.
struct SimLead {
    id: String,
    as_of: i64,
    fields: Map<String, Value>,
    activities: Vec<(String, i64, Map<String, Value>)>,
    won: bool,
    /// The chance it is won, before luck (the rollout simulation's truth).
    p_win: f64,
    closed_at: i64,
}

impl SimLead {
    fn to_json(&self) -> Value {
        let activities: Vec<Value> = self
            .activities
            .iter()
            .map(|(kind, at, attributes)| {
                let mut a = Map::new();
                a.insert("kind".into(), json!(kind));
                a.insert("at".into(), json!(rfc3339(*at)));
                a.extend(attributes.clone());
                Value::Object(a)
            })
            .collect();
        json!({"id": self.id, "as_of": rfc3339(self.as_of), "fields": self.fields, "activities": activities})
    }
}

impl World {
    fn new(settings: Settings) -> World {
        let start = DateTime::parse_from_rfc3339(START).expect("START is RFC 3339").timestamp_millis();
        let month_weights = (0..settings.months)
            .map(|m| {
                // The history starts in October: months 2, 14, ... are December.
                let calendar_month = (m + 9) % 12;
                let q4 = if (9..=11).contains(&calendar_month) { 0.25 } else { 0.0 };
                let summer = if (6..=7).contains(&calendar_month) { -0.2 } else { 0.0 };
                1.0 + q4 + summer
            })
            .collect();
        let mut world = World { start, drift_start: 0, month_weights, buyers: settings.buyers };
        world.drift_start = world.month_start(settings.months - DRIFT_MONTHS);
        world
    }

    /// The run's leads in order, from one random stream seeded with `settings.seed`.
    fn leads(&self, settings: Settings) -> impl Iterator<Item = SimLead> + '_ {
        let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
        (0..settings.leads).map(move |index| self.lead(&mut rng, index))
    }

    fn month_start(&self, month: u32) -> i64 {
        self.start + (month as f64 * MONTH_DAYS * DAY_MS) as i64
    }

    fn lead(&self, rng: &mut ChaCha8Rng, index: usize) -> SimLead {
        // When the lead became sales-qualified (its as_of), by seasonal month.
        let total: f64 = self.month_weights.iter().sum();
        let mut u = rng.random::<f64>() * total;
        let mut month = 0;
        while month + 1 < self.month_weights.len() && u >= self.month_weights[month] {
            u -= self.month_weights[month];
            month += 1;
        }
        let as_of = self.month_start(month as u32) + (rng.random::<f64>() * MONTH_DAYS * DAY_MS) as i64;
        let drifted = as_of >= self.drift_start;

        // Firmographics and the fit they imply.
        let industry = INDUSTRY.draw(rng);
        let seniority = SENIORITY.draw(rng);
        let region = REGION.draw(rng);
        let source =
            if drifted { Trait { weights: SOURCE_WEIGHTS_DRIFTED, ..SOURCE }.draw(rng) } else { SOURCE.draw(rng) };
        let employees = LogNormal::new(200f64.ln(), 1.4).expect("valid").sample(rng).round().max(1.0);
        let revenue = employees * LogNormal::new(0.15f64.ln(), 0.5).expect("valid").sample(rng);
        let uses_competitor = rng.random_bool(0.3);
        // Each industry buys at its own company size (software mid-size,
        // finance and government large, retail small): a learned model can
        // find this, a threshold on employees cannot.
        let ideal_size = [2.5, 3.4, 2.9, 1.9, 2.7, 2.4, 3.5][industry];
        let size_fit = 0.8 - 0.7 * (employees.log10() - ideal_size).abs();
        let fit = INDUSTRY.effect[industry]
            + SENIORITY.effect[seniority]
            + REGION.effect[region]
            + size_fit
            + if uses_competitor { 0.4 } else { 0.0 }
            + normal(rng, 0.35);
        // Buying intent, and the traits that shape behaviour but not intent.
        let intent = SOURCE.effect[source] + normal(rng, 1.0);
        let background = LogNormal::new(0.0, 0.7).expect("valid").sample(rng); // newsletter habit
        let job_seeker = rng.random_bool(0.04);
        // A quarter of leads evaluated us months ago and went quiet: lots of
        // old pricing and docs views that say nothing about buying now.
        let past_evaluator = rng.random_bool(0.25);
        // Intent shows as a burst of activity just before the lead qualifies.
        let recent_share = sigmoid(2.0 * intent - 0.3);

        let mut activities = Vec::new();
        let mut add =
            |kind: &str, at: i64, attributes: Map<String, Value>| activities.push((kind.to_string(), at, attributes));
        let page = |p: &str| Map::from_iter([("page".to_string(), json!(p))]);
        let when = |rng: &mut ChaCha8Rng, recent: f64, recent_days: f64| -> i64 {
            let age_days = if rng.random_bool(recent.clamp(0.0, 1.0)) {
                Exp::new(1.0 / recent_days).expect("valid").sample(rng).min(HISTORY_DAYS)
            } else {
                rng.random::<f64>() * HISTORY_DAYS
            };
            // A few activities happen after the lead qualified: scoring must ignore them.
            let after = if rng.random_bool(0.04) { -rng.random::<f64>() * 20.0 } else { 0.0 };
            as_of - ((age_days + after) * DAY_MS) as i64
        };
        // The redesign links pricing from the home page: more views, some from everyone.
        let (pricing_boost, pricing_extra) = if drifted { (1.15, 0.15) } else { (1.0, 0.0) };
        for (p, rate, recent) in [
            ("/", 1.0 + background, 0.1),
            ("/blog", 2.5 * background, 0.1),
            ("/docs", (-0.2 + 0.8 * intent + 0.3 * fit).exp(), recent_share),
            ("/pricing", pricing_boost * (-0.6 + 0.9 * intent).exp() + pricing_extra, recent_share),
            ("/case-studies", (-1.2 + 0.5 * intent + 0.5 * fit).exp(), recent_share),
            ("/careers", if job_seeker { 5.0 } else { 0.15 }, 0.3),
        ] {
            for _ in 0..poisson(rng, rate) {
                let at = when(rng, recent, 4.0);
                add("page_view", at, page(p));
            }
        }
        if past_evaluator {
            for (p, rate) in [("/pricing", 4.0), ("/docs", 5.0), ("/case-studies", 2.0)] {
                for _ in 0..poisson(rng, rate) {
                    let age_days = 50.0 + rng.random::<f64>() * (HISTORY_DAYS - 50.0);
                    add("page_view", as_of - (age_days * DAY_MS) as i64, page(p));
                }
            }
        }
        // A campaign email every week; opens follow habit (and, after the
        // drift, privacy proxies that "open" everything), clicks follow intent.
        let open_drift = if drifted { 0.8 } else { 0.0 };
        for week in 0..(HISTORY_DAYS / 7.0) as i64 {
            let sent = as_of - ((week as f64 * 7.0 + rng.random::<f64>() * 7.0) * DAY_MS) as i64;
            let campaign =
                Map::from_iter([("campaign".to_string(), json!(CAMPAIGNS[week as usize % CAMPAIGNS.len()]))]);
            add("email_send", sent, campaign.clone());
            if rng.random_bool(sigmoid(-1.2 + 0.4 * intent + 0.8 * background.ln() + open_drift)) {
                let opened = sent + (rng.random::<f64>() * 2.0 * DAY_MS) as i64;
                add("email_open", opened, campaign.clone());
                if rng.random_bool(sigmoid(-1.6 + 0.7 * intent + 0.3 * background.ln())) {
                    add("email_click", opened + 60_000, campaign);
                }
            }
        }
        for _ in 0..poisson(rng, (-1.4 + 0.6 * intent).exp()) {
            let form = ["contact", "whitepaper", "newsletter"][rng.random_range(0..3)];
            let at = when(rng, recent_share, 6.0);
            add("form_fill", at, Map::from_iter([("form".to_string(), json!(form))]));
        }
        let demo = rng.random_bool(sigmoid(-3.2 + 1.3 * intent + 0.3 * fit));
        if demo {
            let at = when(rng, 1.0, 6.0);
            add("demo_request", at, Map::new());
        }
        for _ in 0..poisson(rng, 0.3 * background + 0.3 * sigmoid(intent)) {
            let minutes = (rng.random_range(5.0..60.0) * (0.5 + 0.5 * sigmoid(intent))).round();
            let at = when(rng, recent_share * 0.5, 10.0);
            add("webinar", at, Map::from_iter([("minutes".to_string(), json!(minutes))]));
        }
        for _ in 0..poisson(rng, (-1.6 + 0.5 * fit + 0.5 * intent).exp()) {
            let minutes = rng.random_range(2.0f64..40.0).round();
            let at = when(rng, 0.7, 10.0);
            add("call", at, Map::from_iter([("minutes".to_string(), json!(minutes))]));
        }
        activities.sort_by_key(|(_, at, _)| *at);

        // How it ends: intent and fit decide, plus luck; a few records are wrong.
        let q4 = { (month as u32 + 9) % 12 >= 9 };
        let drivers = match self.buyers {
            Buyers::Intent => -5.5 + 1.6 * intent + 1.2 * fit,
            Buyers::Fit => -6.2 + 2.6 * fit,
        };
        let logit = drivers - if job_seeker { 2.5 } else { 0.0 } + if q4 { 0.2 } else { 0.0 };
        let p_win = sigmoid(logit);
        let mut won = rng.random_bool(p_win);
        if won && rng.random_bool(0.03) || !won && rng.random_bool(0.002) {
            won = !won; // label noise: lost to a reorg, or mis-keyed as won
        }
        let closed_at = as_of + (Gamma::new(3.0, 12.0).expect("valid").sample(rng) * DAY_MS) as i64;

        let mut fields = Map::new();
        let name = format!(
            "{} {}",
            FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())],
            LAST_NAMES[rng.random_range(0..LAST_NAMES.len())]
        );
        let company = format!(
            "{} {}",
            COMPANY_WORDS[rng.random_range(0..COMPANY_WORDS.len())],
            COMPANY_KINDS[rng.random_range(0..COMPANY_KINDS.len())]
        );
        fields.insert("name".into(), json!(name));
        fields.insert("company".into(), json!(company));
        // CRM data is incomplete: each firmographic field is missing now and then.
        let mut maybe = |rng: &mut ChaCha8Rng, key: &str, value: Value| {
            if !rng.random_bool(0.08) {
                fields.insert(key.into(), value);
            }
        };
        maybe(rng, "employees", json!(employees));
        maybe(rng, "annual_revenue_musd", json!((revenue * 100.0).round() / 100.0));
        maybe(rng, "industry", json!(INDUSTRY.values[industry]));
        maybe(rng, "seniority", json!(SENIORITY.values[seniority]));
        maybe(rng, "region", json!(REGION.values[region]));
        maybe(rng, "uses_competitor", json!(uses_competitor));
        fields.insert("lead_source".into(), json!(SOURCE.values[source]));

        SimLead { id: format!("lead-{:06}", index + 1), as_of, fields, activities, won, p_win, closed_at }
    }
}

fn normal(rng: &mut ChaCha8Rng, sd: f64) -> f64 {
    Normal::new(0.0, sd).expect("valid").sample(rng)
}

fn poisson(rng: &mut ChaCha8Rng, rate: f64) -> u64 {
    if rate <= 0.0 { 0 } else { Poisson::new(rate.min(1e4)).expect("positive rate").sample(rng) as u64 }
}
