//! Field cases (tests/fixtures/field-cases/, see its README): real model
//! files and leads that other XGBoost loaders got wrong. Each model directory
//! is loaded the way `leadscore model build` loads it and its leads are
//! scored in one batch; every result must equal XGBoost 3.2's (margin,
//! probability, SHAP per feature and bias) within
//! |got − want| ≤ 1e-5 + 1e-4·|want|, and every refusal must say what is wrong.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use guest_model::features::FeatureValue;
use guest_model::lead::Lead;
use guest_model::load::{LoadOptions, lead_json, model_dir, model_dir_with};
use guest_model::model::{Model, Scored};
use guest_model::shap::Scratch;
use guest_model::tree::TreeRule;

fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/field-cases").join(name)
}

/// A copy of a case's directory with `features.toml` replaced.
fn with_features(name: &str, features: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(case(name)).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(dir.path().join("features.toml"), features).unwrap();
    dir
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Each line of a JSONL file, read as a lead.
fn leads(path: &Path) -> Vec<Result<Lead, lead_json::LeadError>> {
    read(path).lines().filter(|l| !l.trim().is_empty()).map(lead_json::parse).collect()
}

/// XGBoost's answer for one lead.
struct Expected {
    margin: f64,
    probability: f64,
    contribs: Vec<f64>,
    bias: f64,
}

fn expected(path: &Path) -> HashMap<String, Expected> {
    read(path)
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let f = |key: &str| v[key].as_f64().unwrap_or_else(|| panic!("{key} in {line}"));
            let contribs = v["contribs"].as_array().unwrap().iter().map(|c| c.as_f64().unwrap()).collect();
            let id = v["lead_id"].as_str().unwrap().to_string();
            (id, Expected { margin: f("margin"), probability: f("probability"), contribs, bias: f("bias") })
        })
        .collect()
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-5 + 1e-4 * want.abs()
}

/// Margin, probability, SHAP of each feature (model order) and bias of one
/// scored lead against XGBoost's.
fn assert_matches(id: &str, model: &Model, scored: &Scored, want: &Expected) {
    let explanation = scored.explanation.as_ref().unwrap_or_else(|e| panic!("{id}: no explanation: {e}"));
    assert!(close(scored.margin, want.margin), "{id}: margin {} vs XGBoost {}", scored.margin, want.margin);
    assert!(
        close(scored.probability, want.probability),
        "{id}: probability {} vs XGBoost {}",
        scored.probability,
        want.probability
    );
    assert!(
        close(explanation.base_value, want.bias),
        "{id}: base value {} vs XGBoost's bias {}",
        explanation.base_value,
        want.bias
    );
    assert_eq!(want.contribs.len(), model.features.len(), "{id}");
    for (i, &want_shap) in want.contribs.iter().enumerate() {
        let got = explanation.contributions.iter().find(|c| c.feature == i).expect("every feature").shap;
        assert!(close(got, want_shap), "{id}: SHAP of {} is {got} vs XGBoost {want_shap}", model.features[i].name);
    }
}

/// Scores `leads` in one batch and checks each against `expected`; returns
/// how many were compared.
fn check_scores(model: &Model, leads: &[Lead], expected: &HashMap<String, Expected>) -> usize {
    let results = model.score_batch(leads, &mut Scratch::default());
    for (lead, result) in leads.iter().zip(&results) {
        let scored = result.as_ref().unwrap_or_else(|e| panic!("{}: {e}", lead.id));
        let want = expected.get(&lead.id).unwrap_or_else(|| panic!("no expected line for {}", lead.id));
        assert_matches(&lead.id, model, scored, want);
    }
    assert_eq!(results.len(), expected.len(), "one expected line per lead");
    results.len()
}

fn ok_leads(path: &Path) -> Vec<Lead> {
    leads(path).into_iter().map(|l| l.unwrap()).collect()
}

fn load_error(dir: &Path) -> String {
    model_dir(dir).map(|_| ()).expect_err("the model must be refused").to_string()
}

// --- category order -------------------------------------------------------

const CATEGORY_ORDER_FEATURES: &str = r#"
[model]
name = "fc-cats"
version = "order"

[[feature]]
name = "industry"
field = "industry"
categories = ["software", "finance", "retail", "healthcare", "manufacturing"]
reason = "Industry: {value}"
CODES

[[feature]]
name = "x"
field = "x"
reason = "x is {value}"
"#;

#[test]
fn categories_listed_in_another_order_than_the_models_are_refused_naming_both_lists() {
    let err = load_error(&case("category-order"));
    assert!(err.contains("features.toml"), "{err}");
    assert!(err.contains("feature 0 (industry)"), "{err}");
    assert!(err.contains(r#"["software", "finance", "retail", "healthcare", "manufacturing"]"#), "{err}");
    assert!(err.contains(r#"["finance", "healthcare", "manufacturing", "retail", "software"]"#), "{err}");
    assert!(err.contains("category_codes = \"by_name\""), "the way out is named: {err}");
}

#[test]
fn categories_coded_by_name_score_as_xgboost_does() {
    let expected = expected(&case("category-order/expected.jsonl"));
    let leads = ok_leads(&case("category-order/leads.jsonl"));
    // Per feature, and as the default of every feature under [model].
    let per_feature = CATEGORY_ORDER_FEATURES.replace("CODES", "category_codes = \"by_name\"");
    let per_model = CATEGORY_ORDER_FEATURES
        .replace("CODES", "")
        .replace("version = \"order\"", "version = \"order\"\ncategory_codes = \"by_name\"");
    for features in [per_feature, per_model] {
        let dir = with_features("category-order", &features);
        let model = model_dir(dir.path()).unwrap();
        assert_eq!(check_scores(&model, &leads, &expected), 20);
        // The lead's value is shown as the model's name.
        let scored = model.score(&leads[0], &mut Scratch::default()).unwrap();
        let industry = scored.explanation.unwrap().contributions.into_iter().find(|c| c.feature == 0).unwrap();
        assert_eq!(leads[0].fields[0].1, guest_model::lead::Value::Text("software".into()));
        assert_eq!(industry.value, FeatureValue::Category("software".into()));
    }
}

#[test]
fn categories_in_the_models_order_load_as_listed() {
    let features = CATEGORY_ORDER_FEATURES
        .replace(
            r#"["software", "finance", "retail", "healthcare", "manufacturing"]"#,
            r#"["finance", "healthcare", "manufacturing", "retail", "software"]"#,
        )
        .replace("CODES", "");
    let dir = with_features("category-order", &features);
    let model = model_dir(dir.path()).unwrap();
    check_scores(
        &model,
        &ok_leads(&case("category-order/leads.jsonl")),
        &expected(&case("category-order/expected.jsonl")),
    );
}

#[test]
fn names_the_model_lacks_are_refused_even_by_name() {
    let features = CATEGORY_ORDER_FEATURES
        .replace("\"manufacturing\"]", "\"manufacturing\", \"mining\"]")
        .replace("CODES", "category_codes = \"by_name\"");
    let err = load_error(with_features("category-order", &features).path());
    assert!(err.contains(r#"["mining"], which the model does not know"#), "{err}");
    assert!(err.contains(r#"["finance", "healthcare", "manufacturing", "retail", "software"]"#), "{err}");
    // Fewer names than the model has, as listed: a different list.
    let features = CATEGORY_ORDER_FEATURES
        .replace(r#"["software", "finance", "retail", "healthcare", "manufacturing"]"#, r#"["finance", "healthcare"]"#)
        .replace("CODES", "");
    let err = load_error(with_features("category-order", &features).path());
    assert!(err.contains(r#"lists the categories ["finance", "healthcare"] but the model was trained with ["finance", "healthcare", "manufacturing", "retail", "software"]"#), "{err}");
}

#[test]
fn categories_match_whatever_the_case_with_casefold() {
    let features = CATEGORY_ORDER_FEATURES
        .replace(
            r#"["software", "finance", "retail", "healthcare", "manufacturing"]"#,
            r#"["Finance", "HEALTHCARE", "Manufacturing", "retail", "Software"]"#,
        )
        .replace("CODES", "match = \"casefold\"");
    let dir = with_features("category-order", &features);
    let model = model_dir(dir.path()).unwrap();
    let shouting: Vec<Lead> = ok_leads(&case("category-order/leads.jsonl"))
        .into_iter()
        .map(|mut lead| {
            for (_, value) in &mut lead.fields {
                if let guest_model::lead::Value::Text(t) = value {
                    *t = format!("  {}\t", t.to_uppercase());
                }
            }
            lead
        })
        .collect();
    check_scores(&model, &shouting, &expected(&case("category-order/expected.jsonl")));
    // Without casefold the same list is a different list.
    let exact = features.replace("match = \"casefold\"", "");
    let err = load_error(with_features("category-order", &exact).path());
    assert!(err.contains(r#"["Finance", "HEALTHCARE", "Manufacturing", "retail", "Software"]"#), "{err}");
}

#[test]
fn category_codes_by_name_needs_names_in_the_model() {
    // v11 was trained on codes: its model.json saves no category names.
    let v11 = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/v11");
    if !v11.join("model.json").exists() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for name in ["model.json", "features.toml"] {
        std::fs::copy(v11.join(name), dir.path().join(name)).unwrap();
    }
    let features = read(&v11.join("features.toml"));
    std::fs::write(
        dir.path().join("features.toml"),
        features.replacen("[model]", "[model]\ncategory_codes = \"by_name\"", 1),
    )
    .unwrap();
    let err = load_error(dir.path());
    assert!(err.contains("category_codes = \"by_name\" needs the category names"), "{err}");
    // As listed, a model without names loads as before.
    model_dir(&v11).unwrap();
}

// --- category matching ----------------------------------------------------

#[test]
fn composed_and_decomposed_categories_score_the_same() {
    let model = model_dir(&case("encodings")).unwrap();
    let leads = ok_leads(&case("encodings/B_nfc_vs_nfd.jsonl"));
    assert_eq!(leads.len(), 6);
    let results = model.score_batch(&leads, &mut Scratch::default());
    for pair in leads.chunks(2).zip(results.chunks(2)) {
        let ((nfc, nfd), (a, b)) =
            ((&pair.0[0], &pair.0[1]), (pair.1[0].as_ref().unwrap(), pair.1[1].as_ref().unwrap()));
        assert_ne!(nfc.fields, nfd.fields, "the file holds two forms");
        assert_eq!(a.margin, b.margin, "{} vs {}", nfc.id, nfd.id);
        let branche = |s: &Scored| {
            s.explanation.as_ref().unwrap().contributions.iter().find(|c| c.feature == 4).unwrap().value.clone()
        };
        assert!(matches!(branche(a), FeatureValue::Category(_)), "{}: {:?}", nfc.id, branche(a));
        assert_eq!(branche(a), branche(b), "{} vs {}", nfc.id, nfd.id);
    }
}

#[test]
fn non_ascii_names_saved_with_character_offsets_are_recognised() {
    // XGBoost 3.1–3.3 saved these names with offsets counted in characters:
    // split at them the bytes are garbage, yet they are the listed names.
    let model = model_dir(&case("encodings")).unwrap();
    let guest_model::features::Source::Category { categories, .. } = &model.features[4].source else { panic!() };
    assert_eq!(categories.len(), 5);
    // Listed in another order, the list is refused, naming both in full.
    let spec = read(&case("encodings/features.toml"));
    let reordered = spec.replace(
        r#"["Bäckerei", "Gesundheitswesen", "日本企業", "Éducation", "Ölindustrie"]"#,
        r#"["Gesundheitswesen", "Bäckerei", "日本企業", "Éducation", "Ölindustrie"]"#,
    );
    assert_ne!(spec, reordered);
    let err = load_error(with_features("encodings", &reordered).path());
    assert!(err.contains(r#"["Bäckerei", "Gesundheitswesen", "日本企業", "Éducation", "Ölindustrie"]"#), "{err}");
    assert!(err.contains(r#"["Gesundheitswesen", "Bäckerei", "日本企業", "Éducation", "Ölindustrie"]"#), "{err}");
    // ... and coded by name it loads, each name keeping its code.
    let by_name = reordered
        .replace("reason = \"Branche: {value}\"", "reason = \"Branche: {value}\"\ncategory_codes = \"by_name\"");
    let model = model_dir(with_features("encodings", &by_name).path()).unwrap();
    let guest_model::features::Source::Category { categories: by_name, .. } = &model.features[4].source else {
        panic!()
    };
    assert_eq!(by_name, categories);
}

#[test]
fn a_model_whose_categories_collide_under_the_matching_is_refused() {
    // A list that is the same category twice under casefold.
    let features = CATEGORY_ORDER_FEATURES
        .replace(
            r#"["software", "finance", "retail", "healthcare", "manufacturing"]"#,
            r#"["finance", "healthcare", "manufacturing", "retail", "software"]"#,
        )
        .replace("CODES", "match = \"casefold\"");
    let model = read(&case("category-order/model.json"));
    // Rename the model's "finance" (7 bytes) to "Retail " (7 bytes).
    let renamed = model.replace("[102,105,110,97,110,99,101,", "[82,101,116,97,105,108,32,");
    assert_ne!(model, renamed);
    let dir = with_features("category-order", &features);
    std::fs::write(dir.path().join("model.json"), &renamed).unwrap();
    let err = load_error(dir.path());
    assert!(err.contains("the model's names collide"), "{err}");
    assert!(err.contains(r#""Retail " and "retail""#), "{err}");
    // features.toml's own list is checked the same way.
    let twice = features.replace(r#""finance", "#, r#""Retail", "#);
    let err = guest_model::load::spec::parse_spec(&twice).unwrap_err();
    assert!(err.contains(r#""Retail" and "retail" are the same under match = "casefold""#), "{err}");
    let nfd =
        CATEGORY_ORDER_FEATURES.replace("\"software\", ", "\"Bäckerei\", \"Ba\u{308}ckerei\", ").replace("CODES", "");
    let err = guest_model::load::spec::parse_spec(&nfd).unwrap_err();
    assert!(err.contains("are the same under match = \"exact\""), "{err}");
}

// --- early stopping -------------------------------------------------------

#[test]
fn early_stopping_scores_with_the_best_rounds_by_default() {
    let model = model_dir(&case("early-stopping")).unwrap();
    let selection = model.ensemble().selection;
    assert_eq!((selection.rule, selection.best_iteration), (TreeRule::Best, Some(21)));
    assert_eq!((selection.rounds, selection.saved_trees, model.ensemble().num_trees()), (22, 32, 22));
    let n = check_scores(
        &model,
        &ok_leads(&case("early-stopping/leads.jsonl")),
        &expected(&case("early-stopping/expected_best_iteration.jsonl")),
    );
    assert_eq!(n, 40);
}

#[test]
fn early_stopping_can_score_with_every_tree() {
    let leads = ok_leads(&case("early-stopping/leads.jsonl"));
    let all = expected(&case("early-stopping/expected_all_trees.jsonl"));
    let spec = read(&case("early-stopping/features.toml"));
    let dir = with_features("early-stopping", &spec.replacen("[model]", "[model]\ntrees = \"all\"", 1));
    let model = model_dir(dir.path()).unwrap();
    assert_eq!(model.ensemble().selection.rule, TreeRule::All);
    assert_eq!((model.ensemble().selection.rounds, model.ensemble().num_trees()), (32, 32));
    check_scores(&model, &leads, &all);
    // The loader option overrides features.toml, both ways.
    let model = model_dir_with(&case("early-stopping"), LoadOptions { trees: Some(TreeRule::All) }).unwrap();
    check_scores(&model, &leads, &all);
    let model = model_dir_with(dir.path(), LoadOptions { trees: Some(TreeRule::Best) }).unwrap();
    check_scores(&model, &leads, &expected(&case("early-stopping/expected_best_iteration.jsonl")));
    let err =
        load_error(with_features("early-stopping", &spec.replacen("[model]", "[model]\ntrees = \"some\"", 1)).path());
    assert!(err.contains(r#"trees = "some": expected "best" or "all""#), "{err}");
}

#[test]
fn a_best_iteration_beyond_the_saved_rounds_is_refused() {
    let model = read(&case("early-stopping/model.json"));
    let spec = read(&case("early-stopping/features.toml"));
    let dir = with_features("early-stopping", &spec);
    std::fs::write(
        dir.path().join("model.json"),
        model.replace(r#""best_iteration":"21""#, r#""best_iteration":"32""#),
    )
    .unwrap();
    let err = load_error(dir.path());
    assert!(err.contains("best_iteration is 32 but the model has 32 rounds"), "{err}");
    std::fs::write(
        dir.path().join("model.json"),
        model.replace(r#""best_iteration":"21""#, r#""best_iteration":"31""#),
    )
    .unwrap();
    assert_eq!(model_dir(dir.path()).unwrap().ensemble().num_trees(), 32);
}

// --- base_score at the edges ------------------------------------------------

#[test]
fn a_prior_below_the_clamp_scores_as_xgboost_does() {
    let model = model_dir(&case("base-score/prior-1e-7")).unwrap();
    assert!((model.ensemble().base_margin as f64 + 13.8155).abs() < 1e-3, "{}", model.ensemble().base_margin);
    let n = check_scores(
        &model,
        &ok_leads(&case("base-score/prior-1e-7/leads.jsonl")),
        &expected(&case("base-score/prior-1e-7/expected.jsonl")),
    );
    assert_eq!(n, 30);
}

#[test]
fn a_model_trained_on_positive_labels_only_scores_as_xgboost_does() {
    let model = model_dir(&case("base-score/all-positive")).unwrap();
    let n = check_scores(
        &model,
        &ok_leads(&case("base-score/all-positive/leads.jsonl")),
        &expected(&case("base-score/all-positive/expected.jsonl")),
    );
    assert_eq!(n, 30);
}

#[test]
fn priors_of_zero_and_one_are_clamped_and_others_refused() {
    let model = read(&case("base-score/all-positive/model.json"));
    let spec = read(&case("base-score/all-positive/features.toml"));
    let dir = with_features("base-score/all-positive", &spec);
    let margin_for = |base_score: &str| {
        std::fs::write(dir.path().join("model.json"), model.replace(r#""base_score":"[1E0]""#, base_score)).unwrap();
        model_dir(dir.path()).map(|m| m.ensemble().base_margin)
    };
    let one = margin_for(r#""base_score":"[1E0]""#).unwrap();
    let zero = margin_for(r#""base_score":"[0E0]""#).unwrap();
    let logit = |p: f32| -(1.0f32 / p - 1.0).ln();
    assert_eq!(one, logit(1.0 - 1e-6));
    assert_eq!(zero, logit(1e-6));
    // 1 − 1e-6 rounds to 0.99999899 in f32, hence 13.745 rather than 13.8155.
    assert!((one - 13.74516).abs() < 1e-4 && (zero + 13.8155).abs() < 1e-3, "{one} {zero}");
    for bad in [r#""base_score":"[1.5E0]""#, r#""base_score":"[-1E-1]""#, r#""base_score":"NaN""#] {
        let err = margin_for(bad).unwrap_err().to_string();
        assert!(err.contains("must be a probability in [0, 1]"), "{bad}: {err}");
    }
}

// --- out-of-range numbers -----------------------------------------------------

#[test]
fn numbers_beyond_f32_are_per_lead_errors_naming_the_field() {
    let model = model_dir(&case("out-of-range")).unwrap();
    let parsed = leads(&case("out-of-range/leads.jsonl"));
    assert_eq!(parsed.len(), 9);
    // The JSON reader cannot hold 1e400 at all: its error names the field.
    let last = parsed[8].as_ref().unwrap_err();
    assert_eq!(last.field, "fields.employees", "{last}");
    assert!(last.message.contains("out of range"), "{last}");
    let text = read(&case("out-of-range/leads.jsonl"));
    assert_eq!(lead_json::id_of(text.lines().last().unwrap()).as_deref(), Some("range-json-1e400"));
    let leads: Vec<Lead> = parsed.into_iter().take(8).map(|l| l.unwrap()).collect();
    let results = model.score_batch(&leads, &mut Scratch::default());
    for (lead, result) in leads.iter().zip(&results) {
        let beyond = ["range-0", "range-1", "range-2", "range-3"].contains(&lead.id.as_str());
        match result {
            Err(e) if beyond => {
                assert_eq!(e.field, "fields.employees", "{}: {e}", lead.id);
                assert!(e.message.contains("beyond the range"), "{}: {e}", lead.id);
            }
            Ok(scored) if !beyond => {
                // It scores as the same lead scored alone, and as its f32 value.
                let alone = model.score(lead, &mut Scratch::default()).unwrap();
                assert_eq!(alone.margin, scored.margin);
                assert!(scored.margin.is_finite() && scored.explanation.is_ok(), "{}", lead.id);
            }
            other => panic!("{}: {other:?}", lead.id),
        }
    }
    // f32's largest value itself is in range, the next representable f64 up
    // rounds to it (as XGBoost's cast does), and half an f32 step beyond is not.
    let max = f32::MAX as f64;
    for (value, fine) in
        [(max, true), (max * (1.0 + 1e-9), true), (3.4028236e38, false), (-max, true), (-3.5e38, false)]
    {
        let mut lead = leads[7].clone();
        lead.fields[0].1 = guest_model::lead::Value::Number(value);
        assert_eq!(model.score(&lead, &mut Scratch::default()).is_ok(), fine, "{value:e}");
    }
}

#[test]
fn activity_values_and_sums_beyond_f32_are_per_lead_errors() {
    let spec = guest_model::load::spec::parse_spec(
        r#"
[model]
name = "t"
version = "v1"
[[feature]]
name = "minutes"
activity = "webinar"
agg = "sum"
attribute = "minutes"
reason = "Watched {value} minutes"
reason_one = "Watched 1 minute"
reason_zero = "Watched no webinars"
"#,
    )
    .unwrap();
    let lead = |minutes: &[&str]| {
        let activities: Vec<String> = minutes
            .iter()
            .map(|m| format!(r#"{{"kind": "webinar", "at": "2026-10-01T00:00:00Z", "minutes": {m}}}"#))
            .collect();
        let text =
            format!(r#"{{"id": "a", "as_of": "2026-10-02T00:00:00Z", "activities": [{}]}}"#, activities.join(","));
        lead_json::parse(&text).and_then(|lead| {
            guest_model::features::compute(&spec.features, &lead)
                .map(|(row, _)| row[0])
                .map_err(|e| lead_json::LeadError { field: e.field, message: e.message })
        })
    };
    assert_eq!(lead(&["30", "12.5"]), Ok(42.5));
    let err = lead(&["30", "1e39"]).unwrap_err();
    assert_eq!(err.field, "activities[1].minutes", "{err}");
    let err = lead(&["3e38", "3e38"]).unwrap_err();
    assert_eq!(err.field, "activities.minutes", "{err}");
    assert!(err.message.contains("the sum of minutes"), "{err}");
    let err = lead(&["1", "-1e400"]).unwrap_err();
    assert_eq!(err.field, "activities[1].minutes", "{err}");
}

// --- lead JSON ------------------------------------------------------------------

#[test]
fn values_json_allows_but_a_lead_cannot_hold_name_their_field() {
    let lines = read(&case("encodings/B_lone_surrogate_in_unused_name.jsonl"));
    let results: Vec<_> = lines.lines().map(lead_json::parse).collect();
    assert!(results[0].is_ok() && results[2].is_ok());
    let err = results[1].as_ref().unwrap_err();
    assert_eq!(err.field, "fields.name", "{err}");
    assert_eq!(lead_json::id_of(lines.lines().nth(1).unwrap()).as_deref(), Some("surrogate"));
    let bom = read(&case("encodings/B_utf8_bom_at_start.jsonl"));
    assert!(bom.starts_with('\u{feff}'));
    for line in bom.lines() {
        lead_json::parse(line).unwrap();
        assert!(lead_json::id_of(line).is_some());
    }
}

#[test]
fn activity_times_finer_than_a_millisecond_keep_their_side_of_the_window() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/demo");
    let model = model_dir(&demo).unwrap();
    let column = |name: &str| model.features.iter().position(|f| f.name == name).unwrap();
    let leads = ok_leads(&case("timestamps.jsonl"));
    let rows: Vec<Vec<f32>> =
        leads.iter().map(|l| guest_model::features::compute(&model.features, l).unwrap().0).collect();
    assert_eq!(rows[0][column("pricing_views_7d")], 1.0, "ts-17");
    assert_eq!(rows[1][column("pricing_views_7d")], 0.0, "ts-18");
    assert_eq!(rows[1][column("days_since_last_visit")], 2.0, "ts-18");
}

#[test]
fn a_categorical_feature_declared_numeric_is_told_the_models_categories() {
    let features = CATEGORY_ORDER_FEATURES
        .replace("categories = [\"software\", \"finance\", \"retail\", \"healthcare\", \"manufacturing\"]\n", "")
        .replace("CODES", "");
    let err = load_error(with_features("category-order", &features).path());
    assert!(
        err.contains(r#"is numeric here but categorical in the model: list its categories, ["finance", "healthcare", "manufacturing", "retail", "software"]"#),
        "{err}"
    );
}
