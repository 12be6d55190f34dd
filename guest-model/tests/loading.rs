//! Model directories: the committed demo loads; broken files and specs that
//! disagree with the model give clear errors, never a panic.

use std::path::{Path, PathBuf};

use guest_model::load::{model_dir, spec::parse_spec};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/demo")
}

/// A copy of the demo model with one file replaced.
fn demo_with(file: &str, contents: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["model.json", "features.toml", "calibration.json"] {
        std::fs::copy(demo().join(name), dir.path().join(name)).unwrap();
    }
    std::fs::write(dir.path().join(file), contents).unwrap();
    dir
}

fn error_of(file: &str, contents: &str) -> String {
    let dir = demo_with(file, contents);
    model_dir(dir.path()).map(|_| ()).unwrap_err().to_string()
}

fn demo_file(name: &str) -> String {
    std::fs::read_to_string(demo().join(name)).unwrap()
}

#[test]
fn the_demo_model_loads() {
    let model = model_dir(&demo()).unwrap();
    assert_eq!(model.info.version, "demo");
    assert_eq!(model.features.len() as u32, model.ensemble().num_features);
    assert_eq!(model.calibration.score_quantiles.len(), 101);
}

#[test]
fn malformed_model_files_are_clear_errors() {
    let err = error_of("model.json", "{\"learner\": ");
    assert!(err.contains("model.json: not an XGBoost JSON model"), "{err}");
    let err = error_of("model.json", "[]");
    assert!(err.contains("not an XGBoost JSON model"), "{err}");
    let model = demo_file("model.json");
    let err = error_of("model.json", &model.replace("\"gbtree\"", "\"dart\""));
    assert!(err.contains("dart boosters are not supported"), "{err}");
    let err = error_of("model.json", &model.replace("\"binary:logistic\"", "\"multi:softprob\""));
    assert!(err.contains("multiclass objective multi:softprob is not supported"), "{err}");
    let err = error_of("model.json", &model.replace("\"num_class\":\"0\"", "\"num_class\":\"3\""));
    assert!(err.contains("multiclass models are not supported"), "{err}");
    let err = error_of("model.json", &model.replace("\"binary:logistic\"", "\"reg:squarederror\""));
    assert!(err.contains("declare link = \"logistic\" or \"identity\""), "{err}");
}

#[test]
fn specs_that_disagree_with_the_model_are_clear_errors() {
    let spec = demo_file("features.toml");
    let first_feature = spec.find("[[feature]]").unwrap();
    let second_feature = first_feature + 1 + spec[first_feature + 1..].find("[[feature]]").unwrap();
    let one_fewer = format!("{}{}", &spec[..first_feature], &spec[second_feature..]);
    let err = error_of("features.toml", &one_fewer);
    assert!(err.contains("features.toml: declares 9 features but the model has 10"), "{err}");
    let err = error_of("features.toml", &spec.replace("agg = \"count\"", "agg = \"median\""));
    assert!(err.contains("unknown agg \"median\""), "{err}");
    let err = error_of("features.toml", &spec.replace("name = \"employees\"", "name = \"headcount\""));
    assert!(err.contains("feature 0 is \"headcount\" but the model calls column 0 \"employees\""), "{err}");
    let err = error_of("features.toml", &spec.replace("[model]", "[model]\nlink = \"identity\""));
    assert!(err.contains("disagrees with the model's objective"), "{err}");
}

#[test]
fn feature_spec_mistakes_name_the_feature() {
    let base = "[model]\nname = \"t\"\nversion = \"v1\"\n[[feature]]\nname = \"f\"\nreason = \"r\"\n";
    let cases = [
        ("field = \"a\"\nactivity = \"b\"\nagg = \"count\"", "feature 0 (f): give either field or activity"),
        ("activity = \"b\"", "feature 0 (f): an activity feature needs agg"),
        ("activity = \"b\"\nagg = \"decayed_count\"", "needs a positive half_life_days"),
        ("activity = \"b\"\nagg = \"sum\"", "agg \"sum\" needs attribute"),
        ("activity = \"b\"\nagg = \"count\"\nwindow_days = -1", "window_days must be positive"),
        ("field = \"a\"\ncategories = []", "categories is empty"),
        ("field = \"a\"\ncolour = \"red\"", "unknown field `colour`"),
    ];
    for (extra, want) in cases {
        let err = parse_spec(&format!("{base}{extra}\n")).unwrap_err();
        assert!(err.contains(want), "{extra}\n  gave {err}\n  want {want}");
    }
    let err = parse_spec("[model]\nname = \"t\"\nversion = \"../v1\"\n").unwrap_err();
    assert!(err.contains("version"), "{err}");
}

#[test]
fn calibration_mistakes_are_clear_errors() {
    let err = error_of("calibration.json", "{\"score_quantiles\": [1, 2, 3]}");
    assert!(err.contains("calibration.json: score_quantiles must be 101"), "{err}");
    let err = error_of("calibration.json", "{\"global_importance\": {\"nope\": 1.0}}");
    assert!(err.contains("\"nope\", which is not a feature"), "{err}");
    let err = error_of("calibration.json", "{\"probability\": {\"margin\": [0, 1], \"value\": [0.5, 0.2]}}");
    assert!(err.contains("non-decreasing"), "{err}");
}

#[test]
fn every_committed_model_loads() {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
    let mut loaded = Vec::new();
    for name in ["demo", "v11", "v12", "rules-v1"] {
        let dir = models.join(name);
        // A model directory is complete once `make models` has trained it.
        if dir.join("model.json").exists() || dir.join("rules.toml").exists() {
            let model = model_dir(&dir).unwrap_or_else(|e| panic!("{name}: {e}"));
            let selection = model.ensemble().selection;
            assert_eq!(selection.saved_trees as usize, model.ensemble().num_trees(), "{name}: no early stopping");
            loaded.push(name);
        }
    }
    assert!(loaded.contains(&"demo") && loaded.contains(&"rules-v1"), "{loaded:?}");
}

#[test]
fn the_demo_saved_as_older_xgboost_did_scores_the_same() {
    // XGBoost 1.x and 2.0 wrote base_score without brackets, no
    // iteration_indptr, no category names and default_left as booleans.
    let mut json: serde_json::Value = serde_json::from_str(&demo_file("model.json")).unwrap();
    let learner = &mut json["learner"];
    learner["learner_model_param"]["base_score"] = "6.04E-2".into();
    learner["learner_model_param"].as_object_mut().unwrap().remove("num_target");
    let booster = learner["gradient_booster"]["model"].as_object_mut().unwrap();
    booster.remove("iteration_indptr");
    booster.remove("cats");
    for tree in booster["trees"].as_array_mut().unwrap() {
        let flags: Vec<serde_json::Value> =
            tree["default_left"].as_array().unwrap().iter().map(|f| (f.as_i64() == Some(1)).into()).collect();
        tree["default_left"] = flags.into();
    }
    let old = demo_with("model.json", &json.to_string());
    let (old, new) = (model_dir(old.path()).unwrap(), model_dir(&demo()).unwrap());
    let leads: Vec<_> =
        demo_file("sample-leads.jsonl").lines().map(|l| guest_model::load::lead_json::parse(l).unwrap()).collect();
    assert!(leads.len() >= 10);
    let mut scratch = Default::default();
    for lead in &leads {
        let (a, b) = (old.score(lead, &mut scratch).unwrap(), new.score(lead, &mut scratch).unwrap());
        assert_eq!(a.margin, b.margin, "{}", lead.id);
        assert_eq!(a.explanation, b.explanation, "{}", lead.id);
    }
}
