//! The training pipeline end to end on a small simulation: simulate, export
//! features with the CLI, train with XGBoost (focal loss), build the
//! component, score the held-out months through it and write the model card.
//! The full-size run is `make models`.

use leadscore_tests::{build_component, leadscore_ok, repo_root, run_python};
use serde_json::Value;

#[test]
fn a_small_simulation_trains_into_a_working_component_with_a_model_card() {
    let work = tempfile::tempdir().unwrap();
    let (sim, model) = (work.path().join("sim"), work.path().join("model"));
    let path = |p: &std::path::Path| p.to_str().unwrap().to_string();
    leadscore_ok(&["simulate", "--leads", "4000", "--seed", "5", "--out", &path(&sim)]);
    run_python("models/training/split.py", &["--sim", &path(&sim)]);

    std::fs::create_dir_all(&model).unwrap();
    let spec = repo_root().join("models/v12/features.toml");
    std::fs::copy(&spec, model.join("features.toml")).unwrap();
    let params = work.path().join("training.toml");
    std::fs::write(&params, "objective = \"focal\"\nfocal_alpha = 0.5\nfocal_gamma = 1.0\nmax_depth = 3\nmin_child_weight = 0.2\nn_estimators = 60\nearly_stopping_rounds = 20\n").unwrap();
    let csv = sim.join("features.csv");
    leadscore_ok(&["features", "--spec", &path(&spec), &path(&sim.join("leads.jsonl")), "--out", &path(&csv)]);
    let common = [
        "--outcomes".to_string(),
        path(&sim.join("outcomes.jsonl")),
        "--sim".to_string(),
        path(&sim.join("simulation.json")),
    ];
    let mut train =
        vec!["--spec".to_string(), path(&model.join("features.toml")), "--features".to_string(), path(&csv)];
    train.extend(common.clone());
    train.extend(["--params".to_string(), path(&params), "--out".to_string(), path(&model)]);
    run_python("models/training/train.py", &train.iter().map(String::as_str).collect::<Vec<_>>());
    for file in ["model.json", "calibration.json", "training.json"] {
        assert!(model.join(file).exists(), "train.py wrote {file}");
    }

    let wasm = build_component(&model, &work.path().join("built"));
    let scores = leadscore_ok(&["score", "--model", &path(&wasm), &path(&sim.join("test.jsonl"))]);
    let scores_file = work.path().join("test-scores.jsonl");
    std::fs::write(&scores_file, &scores).unwrap();
    let results: Vec<Value> = scores.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(results.len() > 500 && results.iter().all(|r| r.get("error").is_none()), "every held-out lead scored");

    let mut evaluate = vec!["--scores".to_string(), path(&scores_file)];
    evaluate.extend(common);
    evaluate.extend(["--name", "lead-scorer", "--version", "v12", "--out"].map(String::from));
    evaluate.push(path(&model));
    run_python("models/training/evaluate.py", &evaluate.iter().map(String::as_str).collect::<Vec<_>>());
    let metrics: Value = serde_json::from_str(&std::fs::read_to_string(model.join("metrics.json")).unwrap()).unwrap();
    let auc = metrics["roc_auc"].as_f64().expect("metrics.json has roc_auc");
    assert!(auc > 0.7, "even a small model ranks leads: ROC-AUC {auc}");
    let card = std::fs::read_to_string(model.join("model-card.md")).unwrap();
    assert!(card.contains("ROC-AUC") && model.join("calibration.png").exists());
}
