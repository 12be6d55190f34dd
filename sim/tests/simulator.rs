//! The CRM simulator: deterministic per seed, about 1:23 conversion, and the
//! documented drift in its last six months.

use std::path::Path;

use leadscore_sim::simulate::{self, Settings};
use serde_json::Value;

fn run(seed: u64, leads: usize, dir: &Path) -> simulate::Summary {
    simulate::run(Settings { leads, months: 24, seed, buyers: Default::default() }, dir).unwrap()
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn the_same_seed_gives_the_same_files_and_another_seed_does_not() {
    let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run(5, 500, a.path());
    run(5, 500, b.path());
    run(6, 500, c.path());
    for file in ["leads.jsonl", "outcomes.jsonl", "simulation.json"] {
        let (x, y) = (std::fs::read(a.path().join(file)).unwrap(), std::fs::read(b.path().join(file)).unwrap());
        assert!(x == y, "{file} differs between two runs with seed 5");
    }
    assert_ne!(
        std::fs::read(a.path().join("leads.jsonl")).unwrap(),
        std::fs::read(c.path().join("leads.jsonl")).unwrap()
    );
}

#[test]
fn about_one_lead_in_twenty_three_converts_and_every_lead_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run(11, 20_000, dir.path());
    assert!((0.033..0.052).contains(&summary.conversion_rate), "conversion {}", summary.conversion_rate);
    let leads = std::fs::read_to_string(dir.path().join("leads.jsonl")).unwrap();
    let outcomes = lines(&dir.path().join("outcomes.jsonl"));
    assert_eq!(outcomes.len(), 20_000);
    for (line, outcome) in leads.lines().zip(&outcomes) {
        let lead = guest_model::load::lead_json::parse(line).expect("the simulator writes valid lead JSON");
        assert_eq!(outcome["lead_id"].as_str(), Some(lead.id.as_str()));
        let closed = chrono::DateTime::parse_from_rfc3339(outcome["closed_at"].as_str().unwrap()).unwrap();
        assert!(closed.timestamp_millis() > lead.as_of, "a deal closes after the lead qualified");
    }
}

#[test]
fn behaviour_drifts_in_the_last_six_months() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run(3, 12_000, dir.path());
    let drift_start = chrono::DateTime::parse_from_rfc3339(&summary.drift_start).unwrap().timestamp_millis();
    // Per period: leads, pricing views, email opens per send, partner leads.
    let mut stats = [[0.0f64; 5]; 2];
    for line in std::fs::read_to_string(dir.path().join("leads.jsonl")).unwrap().lines() {
        let lead = guest_model::load::lead_json::parse(line).unwrap();
        let s = &mut stats[(lead.as_of >= drift_start) as usize];
        s[0] += 1.0;
        for a in &lead.activities {
            let page = guest_model::lead::lookup(&a.attributes, "page");
            match a.kind.as_str() {
                "page_view" if page == Some(&guest_model::lead::Value::Text("/pricing".into())) => s[1] += 1.0,
                "email_open" => s[2] += 1.0,
                "email_send" => s[3] += 1.0,
                _ => {}
            }
        }
        if guest_model::lead::lookup(&lead.fields, "lead_source")
            == Some(&guest_model::lead::Value::Text("partner".into()))
        {
            s[4] += 1.0;
        }
    }
    let [before, after] = stats;
    assert!(after[0] > 1000.0 && before[0] > 5000.0, "both periods are populated: {stats:?}");
    let ratio = |i: usize, per: usize| (after[i] / after[per]) / (before[i] / before[per]);
    assert!(ratio(1, 0) > 1.15, "pricing views per lead rise after the redesign: ×{:.2}", ratio(1, 0));
    assert!(ratio(2, 3) > 1.2, "email opens per send rise with privacy proxies: ×{:.2}", ratio(2, 3));
    assert!(ratio(4, 0) > 2.5, "the partner programme brings more leads: ×{:.2}", ratio(4, 0));
}

/// Pricing page views in the 7 days before `as_of` (what v12's strongest
/// signal, the decayed page views, mostly counts).
fn recent_pricing_views(lead: &Value) -> f64 {
    let as_of = chrono::DateTime::parse_from_rfc3339(lead["as_of"].as_str().unwrap()).unwrap();
    let activities = lead["activities"].as_array().unwrap();
    let recent = activities.iter().filter(|a| {
        let at = chrono::DateTime::parse_from_rfc3339(a["at"].as_str().unwrap()).unwrap();
        a["kind"] == "page_view" && a["page"] == "/pricing" && at <= as_of && as_of - at <= chrono::Duration::days(7)
    });
    recent.count() as f64
}

fn correlation(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let cov: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let (vx, vy): (f64, f64) = (xs.iter().map(|x| (x - mx).powi(2)).sum(), ys.iter().map(|y| (y - my).powi(2)).sum());
    cov / (vx * vy).sqrt()
}

#[test]
fn fit_buyers_share_the_world_but_ignore_intent() {
    let settings = |buyers| Settings { leads: 6_000, months: 24, seed: 8, buyers };
    let intent = simulate::leads_with_truth(settings(simulate::Buyers::Intent));
    let fit = simulate::leads_with_truth(settings(simulate::Buyers::Fit));
    // The same leads doing the same things; only how they end differs.
    assert!(intent.iter().zip(&fit).all(|(a, b)| a.0 == b.0));
    let views: Vec<f64> = intent.iter().map(|(lead, _)| recent_pricing_views(lead)).collect();
    let chance = |leads: &[(Value, f64)]| leads.iter().map(|l| l.1).collect::<Vec<f64>>();
    let (with_intent, with_fit) = (correlation(&views, &chance(&intent)), correlation(&views, &chance(&fit)));
    assert!(with_intent > 0.15, "intent buyers: recent pricing views go with the chance of winning ({with_intent})");
    assert!(with_fit.abs() < 0.05, "fit buyers: they say nothing about it ({with_fit})");
    let rate = |leads: &[(Value, f64)]| leads.iter().map(|l| l.1).sum::<f64>() / leads.len() as f64;
    assert!((0.033..0.055).contains(&rate(&fit)), "fit buyers convert about as often: {}", rate(&fit));
}
