//! The field cases and the XGBoost-version fixtures (guest-model's
//! tests/fixtures, see their READMEs) through the product as a user runs it:
//! `leadscore model build` makes each model's component from the scorer
//! template and `leadscore score` scores the leads through it. Every lead
//! must get XGBoost's answer (margin, probability, SHAP per feature and
//! bias, within |got − want| ≤ 1e-5 + 1e-4·|want|) or its own clear error.
//! guest-model's tests check the same cases natively, with more detail.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use leadscore_tests::{leadscore, leadscore_ok, repo_root};
use serde_json::Value;

fn fixtures() -> PathBuf {
    repo_root().join("guest-model/tests/fixtures")
}

/// A copy of `dir`'s files, without the model files named in `skip`, with
/// `features.toml` passed through `edit`.
fn copy_case(dir: &Path, skip: &[&str], edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if path.is_file() && !skip.contains(&name.as_str()) {
            std::fs::copy(&path, copy.path().join(&name)).unwrap();
        }
    }
    let features = copy.path().join("features.toml");
    std::fs::write(&features, edit(std::fs::read_to_string(&features).unwrap())).unwrap();
    copy
}

/// Builds `model_dir` with the CLI; returns the component and the feature
/// names in model order (from its manifest).
fn build(model_dir: &Path, out: &Path) -> (PathBuf, Vec<String>) {
    let printed = leadscore_ok(&["model", "build", model_dir.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    let mut lines = printed.lines();
    let wasm = PathBuf::from(lines.next().unwrap());
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(lines.next().unwrap()).unwrap()).unwrap();
    let names = manifest["features"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().into()).collect();
    (wasm, names)
}

/// One output line per lead of `leads`, by lead id.
fn score(wasm: &Path, leads: &Path) -> HashMap<String, Value> {
    leadscore_ok(&["score", "--model", wasm.to_str().unwrap(), leads.to_str().unwrap()])
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["lead_id"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-5 + 1e-4 * want.abs()
}

/// Every line of `expected` (XGBoost's answers) against the scored lines;
/// returns how many were compared.
fn check(expected: &Path, scored: &HashMap<String, Value>, names: &[String], case: &str) -> usize {
    let text = std::fs::read_to_string(expected).unwrap();
    for line in text.lines() {
        let want: Value = serde_json::from_str(line).unwrap();
        let id = want["lead_id"].as_str().unwrap();
        let got = scored.get(id).unwrap_or_else(|| panic!("{case}: {id} was not scored"));
        assert!(got.get("error").is_none(), "{case}: {id}: {got}");
        let num = |v: &Value| v.as_f64().unwrap();
        for key in ["margin", "probability"] {
            assert!(
                close(num(&got[key]), num(&want[key])),
                "{case}: {id}: {key} {} vs XGBoost {}",
                got[key],
                want[key]
            );
        }
        assert!(close(num(&got["base_value"]), num(&want["bias"])), "{case}: {id}: base value vs bias");
        let shap: HashMap<&str, f64> = got["contributions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["feature"].as_str().unwrap(), num(&c["shap"])))
            .collect();
        for (name, want) in names.iter().zip(want["contribs"].as_array().unwrap()) {
            let got = shap[name.as_str()];
            assert!(close(got, num(want)), "{case}: {id}: SHAP of {name} {got} vs XGBoost {want}");
        }
    }
    text.lines().count()
}

#[test]
fn field_cases_score_as_xgboost_through_the_component() {
    let cases = fixtures().join("field-cases");
    let out = tempfile::tempdir().unwrap();
    // Category names saved in the model, coded by name.
    let by_name = copy_case(&cases.join("category-order"), &[], |f| {
        f.replacen("version = \"order\"", "version = \"order\"\ncategory_codes = \"by_name\"", 1)
    });
    let runs = [
        ("category-order (by name)", by_name.path().to_path_buf(), "expected.jsonl"),
        ("early-stopping", cases.join("early-stopping"), "expected_best_iteration.jsonl"),
        ("base-score/prior-1e-7", cases.join("base-score/prior-1e-7"), "expected.jsonl"),
        ("base-score/all-positive", cases.join("base-score/all-positive"), "expected.jsonl"),
    ];
    for (i, (case, dir, expected)) in runs.iter().enumerate() {
        let (wasm, names) = build(dir, &out.path().join(i.to_string()));
        let scored = score(&wasm, &dir.join("leads.jsonl"));
        assert!(check(&dir.join(expected), &scored, &names, case) > 0, "{case}: nothing compared");
    }
    // Every tree, when the build asks for it.
    let all = copy_case(&cases.join("early-stopping"), &[], |f| {
        f.replacen("version = \"model\"", "version = \"model\"\ntrees = \"all\"", 1)
    });
    let (wasm, names) = build(all.path(), &out.path().join("all"));
    let scored = score(&wasm, &all.path().join("leads.jsonl"));
    assert!(check(&all.path().join("expected_all_trees.jsonl"), &scored, &names, "early-stopping (all trees)") > 0);
}

#[test]
fn categories_listed_in_another_order_are_a_build_error_naming_both_lists() {
    let out = tempfile::tempdir().unwrap();
    let dir = fixtures().join("field-cases/category-order");
    let failed = leadscore(&["model", "build", dir.to_str().unwrap(), "--out", out.path().to_str().unwrap()]);
    assert!(!failed.status.success());
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(err.contains("features.toml"), "{err}");
    assert!(err.contains(r#"["finance", "healthcare", "manufacturing", "retail", "software"]"#), "{err}");
    assert!(std::fs::read_dir(out.path()).unwrap().next().is_none(), "nothing is written");
}

#[test]
fn numbers_beyond_f32_are_errors_of_their_own_lead_through_the_component() {
    let dir = fixtures().join("field-cases/out-of-range");
    let out = tempfile::tempdir().unwrap();
    let (wasm, _) = build(&dir, out.path());
    let scored = score(&wasm, &dir.join("leads.jsonl"));
    assert_eq!(scored.len(), 9, "one line per lead");
    for (id, line) in &scored {
        let beyond = ["range-0", "range-1", "range-2", "range-3", "range-json-1e400"].contains(&id.as_str());
        if beyond {
            let message = line["error"]["message"].as_str().unwrap_or_else(|| panic!("{id}: {line}"));
            assert!(message.contains("fields.employees"), "{id}: {message}");
        } else {
            assert!(line["final_score"].is_u64(), "{id} scores normally: {line}");
        }
    }
}

#[test]
fn model_files_of_every_xgboost_version_score_as_that_version_through_the_component() {
    let root = fixtures().join("xgboost-versions");
    let leads = root.join("leads.jsonl");
    let out = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let case = dir.file_name().unwrap().to_str().unwrap().to_string();
        // Each format of the same model on its own.
        for (format, other) in [("model.json", "model.ubj"), ("model.ubj", "model.json")] {
            if !dir.join(format).exists() {
                continue;
            }
            let copy = copy_case(&dir, &[other], |f| f);
            let (wasm, names) = build(copy.path(), &out.path().join(format!("{case}-{format}")));
            compared += check(&dir.join("expected.jsonl"), &score(&wasm, &leads), &names, &format!("{case}/{format}"));
        }
    }
    // 15 model directories × 20 leads in JSON, 9 of them in UBJSON too.
    assert!(compared >= 24 * 20, "only {compared} leads compared");
}

#[test]
fn sub_millisecond_timestamps_keep_the_window_rules_through_the_component() {
    let out = tempfile::tempdir().unwrap();
    let (wasm, _) = build(&repo_root().join("models/v12"), out.path());
    let scored = score(&wasm, &fixtures().join("field-cases/timestamps.jsonl"));
    let value = |id: &str, feature: &str| {
        let contributions = scored[id]["contributions"].as_array().unwrap();
        contributions.iter().find(|c| c["feature"] == feature).unwrap()["value"].as_f64().unwrap()
    };
    // 0.4 ms after the 7-day window opens: inside (as_of − 7 d < at ≤ as_of).
    assert_eq!(value("ts-17", "pricing_views_7d"), 1.0);
    // 0.4 ms after as_of: ignored.
    assert_eq!(value("ts-18", "pricing_views_7d"), 0.0);
    assert_eq!(value("ts-18", "days_since_last_visit"), 2.0);
}
