//! Every reason sentence of every shipped model, rendered at every value a
//! feature can take (missing, zero, one, many, fractions, each category,
//! true and false) in both directions, reads right: no "1 times", no zero
//! stated as a cause, no raw booleans or codes, no placeholders, whole days,
//! a capital letter first. Then explanations: top reasons each way.

use std::path::Path;

use guest_model::explanation::Direction;
use guest_model::features::{Aggregate, FeatureDef, FeatureValue, Source};
use guest_model::lead::Lead;
use guest_model::load::lead_json;
use guest_model::load::model_dir;
use guest_model::model::Model;
use guest_model::shap::Scratch;

const SHIPPED: [&str; 3] = ["v11", "v12", "rules-v1"];

fn model(name: &str) -> Model {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models").join(name);
    model_dir(&dir).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Plural nouns that must not follow a lone "1" within a few words.
const PLURALS: [&str; 16] = [
    "times",
    "minutes",
    "employees",
    "visits",
    "emails",
    "forms",
    "calls",
    "requests",
    "days",
    "studies",
    "fills",
    "views",
    "openings",
    "demos",
    "webinars",
    "posts",
];

/// What is wrong with `sentence` as a reason pushing the score `direction`.
fn problems(sentence: &str, direction: Direction) -> Vec<String> {
    let mut found = Vec::new();
    let mut say = |what: &str| found.push(what.to_string());
    if !sentence.chars().next().is_some_and(char::is_uppercase) {
        say("does not start with a capital letter");
    }
    if sentence.contains(['{', '}']) {
        say("has a placeholder left");
    }
    if sentence.contains('_') {
        say("has a raw code (an underscore)");
    }
    if sentence.contains("$$") || sentence.contains("ago days") || sentence.contains("ago ago") {
        say("writes the unit twice");
    }
    let words: Vec<String> = sentence
        .split(|c: char| c.is_whitespace() || "():;".contains(c))
        .map(|w| w.trim_end_matches([',', '.']).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    for (i, word) in words.iter().enumerate() {
        let next = |n: usize| words.get(i + n).map(String::as_str).unwrap_or("");
        match word.as_str() {
            "true" | "false" => say("shows a raw boolean"),
            "0" | "0.0" => say("states zero as a number, not as an absence"),
            // The noun "1" counts comes before any preposition: "1 minute of webinars".
            "1" if (1..=3)
                .map(next)
                .take_while(|w| !["of", "in", "with", "on", "for", "at"].contains(w))
                .any(|w| PLURALS.contains(&w)) =>
            {
                say("says 1 with a plural")
            }
            w if w.contains('.') && w.chars().any(|c| c.is_ascii_digit()) && next(1).starts_with("day") => {
                say("has a fraction of a day")
            }
            _ => {}
        }
    }
    if direction == Direction::Up && sentence.contains("job seeker") {
        say("calls a lead that scores higher for it a job seeker");
    }
    found
}

#[test]
fn the_checks_catch_the_sentences_reps_were_shown() {
    let bad = [
        ("Requested a demo 1 times", Direction::Up),
        ("Looked at job openings 0 times (possible job seeker)", Direction::Up),
        ("Read the blog 0 times in the last 30 days", Direction::Up),
        ("Uses a competitor's product: true", Direction::Up),
        ("Recent website activity (visits weighted by recency: 0)", Direction::Up),
        ("Last clicked an email 92.5 days ago", Direction::Down),
        ("Based in north_america", Direction::Up),
        ("Watched 1 minutes of webinars", Direction::Up),
        ("contact is at VP level", Direction::Up),
        ("Annual revenue of $$1.2M", Direction::Up),
        ("Last visited the website 3 days ago days ago", Direction::Up),
        ("Looked at job openings 4 times (possibly a job seeker)", Direction::Up),
    ];
    for (sentence, direction) in bad {
        assert!(!problems(sentence, direction).is_empty(), "{sentence:?} passed the checks");
    }
    for good in ["Requested a demo", "Has not read the blog in the last 30 days", "Last clicked an email 92 days ago"] {
        assert_eq!(problems(good, Direction::Up), Vec::<String>::new(), "{good}");
    }
}

/// The values a feature can take, as the renderer sees them.
fn values_of(def: &FeatureDef) -> Vec<FeatureValue> {
    let numbers = [0.0, 0.04, 0.3, 0.5, 1.0, 1.4, 2.0, 3.5, 7.0, 92.5, 1234.0, 250_000.0];
    let can_be_missing = match &def.source {
        Source::Activity(a) => matches!(a.aggregate, Aggregate::DaysSinceLast),
        _ => true,
    };
    let mut values: Vec<FeatureValue> = match &def.source {
        Source::Category { categories, .. } => categories.iter().map(|c| FeatureValue::Category(c.clone())).collect(),
        _ => numbers.iter().map(|&v| FeatureValue::Number(v)).collect(),
    };
    if can_be_missing {
        values.push(FeatureValue::Missing);
    }
    values
}

#[test]
fn every_reason_of_every_shipped_model_reads_right_at_every_value_both_ways() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for name in SHIPPED {
        let model = model(name);
        for def in model.features.iter() {
            for value in values_of(def) {
                for direction in [Direction::Up, Direction::Down] {
                    let sentence = def.reason(&value, direction);
                    for problem in problems(&sentence, direction) {
                        failures
                            .push(format!("{name} {} at {value:?} {direction:?}: {sentence:?} {problem}", def.name));
                    }
                    checked += 1;
                }
                let shown = def.display_value(&value);
                if shown.contains('_') || ["true", "false"].contains(&shown.as_str()) {
                    failures.push(format!("{name} {} at {value:?}: displayed as {shown:?}", def.name));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {checked} sentences read wrong:\n{}", failures.len(), failures.join("\n"));
    assert!(checked > 800, "{checked}");
}

#[test]
fn the_sentences_from_the_issue_now_read_right() {
    let v12 = model("v12");
    let def = |name: &str| v12.features.iter().find(|f| f.name == name).unwrap().clone();
    let say = |name: &str, value: FeatureValue, direction| def(name).reason(&value, direction);
    use Direction::{Down, Up};
    use FeatureValue::{Category, Missing, Number};
    assert_eq!(say("demo_requests_30d", Number(1.0), Up), "Requested a demo in the last 30 days");
    assert_eq!(say("careers_views_90d", Number(0.0), Up), "Has not looked at job openings in the last 90 days");
    assert_eq!(
        say("careers_views_90d", Number(4.0), Down),
        "Looked at job openings 4 times in the last 90 days (possibly a job seeker)"
    );
    assert_eq!(say("careers_views_90d", Number(4.0), Up), "Looked at job openings 4 times in the last 90 days");
    assert_eq!(say("uses_competitor", Category("true".into()), Up), "Uses a competitor's product");
    assert_eq!(say("uses_competitor", Category("false".into()), Down), "Does not use a competitor's product");
    assert_eq!(say("seniority", Category("vp".into()), Up), "Contact is at VP level");
    assert_eq!(say("region", Category("north_america".into()), Up), "Based in North America");
    assert_eq!(say("page_views_decayed", Number(0.02), Up), "No recent website visits");
    assert_eq!(say("days_since_last_email_click", Number(92.5), Down), "Last clicked an email 92 days ago");
    assert_eq!(say("days_since_last_visit", Missing, Down), "Has never visited the website");
    assert_eq!(say("annual_revenue_musd", Number(1.2), Up), "Annual revenue of $1.2M");
    assert_eq!(def("region").display_value(&Category("north_america".into())), "North America");
    assert_eq!(def("seniority").display_value(&Category("vp".into())), "VP");
    assert_eq!(def("webinar_minutes_90d").display_value(&Number(1.0)), "1 minute");
}

fn sample_leads() -> Vec<Lead> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/demo/sample-leads.jsonl");
    std::fs::read_to_string(path).unwrap().lines().map(|l| lead_json::parse(l).unwrap()).collect()
}

#[test]
fn explanations_give_the_top_reasons_each_way_largest_first() {
    let mut model = model("v12");
    let leads = sample_leads();
    let mut both_ways = 0;
    for counts in [(3, 3), (1, 2), (0, 4)] {
        (model.reasons.up, model.reasons.down) = counts;
        for scored in model.score_batch(&leads, &mut Scratch::default()) {
            let e = scored.unwrap().explanation.unwrap();
            let side = |up: bool, count: u8| -> Vec<(usize, f64)> {
                let mut side: Vec<_> =
                    e.contributions.iter().filter(|c| c.shap != 0.0 && (c.shap > 0.0) == up).collect();
                side.truncate(count.into());
                side.iter().map(|c| (c.feature, c.shap)).collect()
            };
            let want: Vec<(usize, f64)> = side(true, counts.0).into_iter().chain(side(false, counts.1)).collect();
            let got: Vec<(usize, f64)> = e.reasons.iter().map(|r| (r.feature, r.shap)).collect();
            assert_eq!(got, want, "ups first, then downs, each by |SHAP|");
            for r in &e.reasons {
                assert_eq!(r.direction == Direction::Up, r.shap > 0.0, "{r:?}");
                assert!(problems(&r.text, r.direction).is_empty(), "{r:?}");
            }
            let ups = e.reasons.iter().filter(|r| r.direction == Direction::Up).count();
            both_ways += usize::from(ups > 0 && ups < e.reasons.len());
        }
    }
    assert!(both_ways > 0, "some sample lead has reasons both ways");
}
