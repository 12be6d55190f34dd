//! Model files saved by XGBoost 1.0.2 to 3.2.0 (tests/fixtures/xgboost-versions/,
//! made by scripts/xgboost-version-fixtures): each loads, from JSON and from
//! UBJSON where the version writes it, and scores and explains every lead as
//! that XGBoost predicted it (margin, probability, SHAP per feature and bias
//! within |got − want| ≤ 1e-5 + 1e-4·|want|); a model's `.json` and `.ubj`
//! load into the same model, bit for bit.

use std::path::{Path, PathBuf};

use guest_model::lead::Lead;
use guest_model::load::{LoadOptions, ModelFile, ModelFiles, lead_json, model_dir, model_files};
use guest_model::model::Model;
use guest_model::shap::Scratch;

/// The versions whose files must be there; a version that goes missing
/// fails the tests instead of passing them with less.
const VERSIONS: [&str; 5] = ["1.0.2", "1.5.2", "1.7.6", "2.1.4", "3.2.0"];
const KINDS: [&str; 3] = ["", "-forest", "-early-stopping"];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xgboost-versions")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every fixture folder, by name.
fn folders() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    names.sort();
    let want: Vec<String> = VERSIONS.iter().flat_map(|v| KINDS.iter().map(move |k| format!("{v}{k}"))).collect();
    for name in &want {
        assert!(names.contains(name), "fixture {name} is missing: run scripts/xgboost-version-fixtures");
    }
    names
}

/// The model files a folder has: model.json, and model.ubj where the
/// version writes UBJSON (XGBoost ≥ 1.6).
fn model_files_in(folder: &str) -> Vec<&'static str> {
    let files: Vec<_> =
        ["model.json", "model.ubj"].into_iter().filter(|f| fixtures().join(folder).join(f).exists()).collect();
    let writes_ubjson = !folder.starts_with("1.0.") && !folder.starts_with("1.5.");
    assert_eq!(files.len(), 1 + writes_ubjson as usize, "{folder}: {files:?}");
    files
}

/// Loads one model file of a folder from memory, with the folder's features.toml.
fn load(folder: &str, file: &str) -> Model {
    let dir = fixtures().join(folder);
    let bytes = std::fs::read(dir.join(file)).unwrap();
    let features = read(&dir.join("features.toml"));
    let files =
        ModelFiles { model: ModelFile::Xgboost { name: file, bytes: &bytes }, features: &features, calibration: None };
    model_files(files, LoadOptions::default()).unwrap_or_else(|e| panic!("{folder}/{file}: {e}"))
}

fn leads() -> Vec<Lead> {
    let leads: Vec<Lead> =
        read(&fixtures().join("leads.jsonl")).lines().map(|l| lead_json::parse(l).unwrap()).collect();
    assert_eq!(leads.len(), 20);
    leads
}

/// XGBoost's answer for one lead.
struct Expected {
    id: String,
    margin: f64,
    probability: f64,
    contribs: Vec<f64>,
    bias: f64,
}

fn expected(folder: &str) -> Vec<Expected> {
    read(&fixtures().join(folder).join("expected.jsonl"))
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let f = |key: &str| v[key].as_f64().unwrap_or_else(|| panic!("{key} in {line}"));
            Expected {
                id: v["lead_id"].as_str().unwrap().into(),
                margin: f("margin"),
                probability: f("probability"),
                contribs: v["contribs"].as_array().unwrap().iter().map(|c| c.as_f64().unwrap()).collect(),
                bias: f("bias"),
            }
        })
        .collect()
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-5 + 1e-4 * want.abs()
}

#[test]
fn every_model_file_scores_and_explains_as_the_xgboost_that_saved_it() {
    let leads = leads();
    let mut checked = 0;
    for folder in folders() {
        let want = expected(&folder);
        assert_eq!(want.len(), leads.len(), "{folder}: one expected line per lead");
        for file in model_files_in(&folder) {
            let model = load(&folder, file);
            let results = model.score_batch(&leads, &mut Scratch::default());
            for ((lead, result), want) in leads.iter().zip(&results).zip(&want) {
                let at = format!("{folder}/{file} {}", lead.id);
                assert_eq!(lead.id, want.id, "{at}");
                let scored = result.as_ref().unwrap_or_else(|e| panic!("{at}: {e}"));
                let explanation = scored.explanation.as_ref().unwrap_or_else(|e| panic!("{at}: {e}"));
                assert!(close(scored.margin, want.margin), "{at}: margin {} vs XGBoost {}", scored.margin, want.margin);
                assert!(
                    close(scored.probability, want.probability),
                    "{at}: probability {} vs XGBoost {}",
                    scored.probability,
                    want.probability
                );
                assert!(
                    close(explanation.base_value, want.bias),
                    "{at}: base value {} vs XGBoost's bias {}",
                    explanation.base_value,
                    want.bias
                );
                assert_eq!(want.contribs.len(), model.features.len(), "{at}");
                for (i, &shap) in want.contribs.iter().enumerate() {
                    let got = explanation.contributions.iter().find(|c| c.feature == i).expect("every feature").shap;
                    assert!(close(got, shap), "{at}: SHAP of {} is {got} vs XGBoost {shap}", model.features[i].name);
                }
                checked += 1;
            }
        }
    }
    // 15 folders × 20 leads, 9 of the folders with a .ubj too.
    assert_eq!(checked, (15 + 9) * 20);
}

#[test]
fn json_and_ubjson_of_one_model_load_bit_for_bit_the_same() {
    let mut pairs = 0;
    for folder in folders() {
        let files = model_files_in(&folder);
        let [json, ubj] = files[..] else { continue };
        let (a, b) = (load(&folder, json), load(&folder, ubj));
        assert_eq!(a, b, "{folder}");
        let (a, b) = (a.ensemble(), b.ensemble());
        assert_eq!(a.base_margin.to_bits(), b.base_margin.to_bits(), "{folder}: base margin");
        assert_eq!(a.nodes.len(), b.nodes.len(), "{folder}");
        for (i, (x, y)) in a.nodes.iter().zip(b.nodes.iter()).enumerate() {
            let bits = |n: &guest_model::tree::Node| (n.value.to_bits(), n.cover.to_bits());
            assert_eq!(bits(x), bits(y), "{folder}: node {i}");
        }
        pairs += 1;
    }
    assert_eq!(pairs, 9);
}

#[test]
fn early_stopping_keeps_the_rounds_each_version_predicted_with() {
    for version in VERSIONS {
        // XGBoost 1.4 to 1.7 save best_iteration on every trained booster,
        // the last round when training did not stop early; 1.x before 1.6
        // also leave num_parallel_tree out of the file, and the forest's
        // 4 trees a round are told by best_ntree_limit (1.4–1.7).
        for (kind, rounds, trees) in [("", 20, 20), ("-forest", 3, 12)] {
            let model = load(&format!("{version}{kind}"), "model.json");
            let selection = model.ensemble().selection;
            assert_eq!(
                (selection.saved_trees, model.ensemble().num_trees()),
                (trees, trees as usize),
                "{version}{kind}"
            );
            let rounds = if version == "1.0.2" && kind == "-forest" { trees } else { rounds };
            assert_eq!(selection.rounds, rounds, "{version}{kind}");
        }
        let folder = format!("{version}-early-stopping");
        let file: serde_json::Value =
            serde_json::from_str(&read(&fixtures().join(&folder).join("model.json"))).unwrap();
        let best: u32 = file["learner"]["attributes"]["best_iteration"].as_str().unwrap().parse().unwrap();
        let model = load(&folder, "model.json");
        let selection = model.ensemble().selection;
        assert_eq!(selection.best_iteration, Some(best), "{folder}");
        assert_eq!(model.ensemble().num_trees(), best as usize + 1, "{folder}");
        assert!(selection.saved_trees > best + 1, "{folder}: trees after the best were saved too");
    }
}

/// A directory holding `files` copied from a fixture folder (features.toml too).
fn dir_with(folder: &str, files: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in files.iter().chain(&["features.toml"]) {
        std::fs::copy(fixtures().join(folder).join(file), dir.path().join(file)).unwrap();
    }
    dir
}

#[test]
fn a_model_directory_takes_model_json_or_model_ubj_but_not_both() {
    let folder = "3.2.0";
    let json = model_dir(dir_with(folder, &["model.json"]).path()).unwrap();
    let ubj = model_dir(dir_with(folder, &["model.ubj"]).path()).unwrap();
    assert_eq!(json, ubj);
    let both = dir_with(folder, &["model.json", "model.ubj"]);
    let err = model_dir(both.path()).unwrap_err();
    assert_eq!(err.file, both.path());
    assert!(err.to_string().contains("has both model.json and model.ubj"), "{err}");
    let none = dir_with(folder, &[]);
    let err = model_dir(none.path()).unwrap_err().to_string();
    assert!(err.contains("has no model file: model.json or model.ubj"), "{err}");
    // The format is told by the bytes, not the name: UBJSON saved as model.json loads.
    let swapped = dir_with(folder, &[]);
    std::fs::copy(fixtures().join(folder).join("model.ubj"), swapped.path().join("model.json")).unwrap();
    assert_eq!(model_dir(swapped.path()).unwrap(), json);
}

#[test]
fn broken_model_bytes_are_errors_naming_the_file_and_the_byte() {
    let dir = fixtures().join("2.1.4");
    let ubj = std::fs::read(dir.join("model.ubj")).unwrap();
    let features = read(&dir.join("features.toml"));
    let load = |name: &str, bytes: &[u8]| {
        let files = ModelFiles { model: ModelFile::Xgboost { name, bytes }, features: &features, calibration: None };
        model_files(files, LoadOptions::default()).map(|_| ()).unwrap_err()
    };
    let err = load("upload.ubj", &ubj[..ubj.len() / 2]);
    assert_eq!(err.file, Path::new("upload.ubj"));
    let message = err.to_string();
    assert!(message.starts_with("upload.ubj: not an XGBoost UBJSON model: truncated"), "{message}");
    assert!(message.contains(" at byte "), "{message}");
    let mut bad = ubj.clone();
    let at = bad.windows(7).position(|w| w == b"learner").unwrap() + 7;
    bad[at] = b'x';
    let err = load("model.ubj", &bad).to_string();
    assert!(err.contains(&format!("unknown marker 'x' at byte {at}")), "{err}");
    let err = load("model.bin", b"binf\0\0\0\0").to_string();
    assert!(err.contains("model.bin: this is XGBoost's old binary format"), "{err}");
    let err = load("model.json", b"{\"learner\": \xff}").to_string();
    assert!(err.contains("model.json: not an XGBoost JSON model (nor UBJSON): invalid UTF-8 at byte 12"), "{err}");
    // A JSON model with a byte order mark loads.
    let json = std::fs::read(dir.join("model.json")).unwrap();
    let files = ModelFiles {
        model: ModelFile::Xgboost { name: "model.json", bytes: &[&b"\xef\xbb\xbf"[..], &json].concat() },
        features: &features,
        calibration: None,
    };
    model_files(files, LoadOptions::default()).unwrap();
}
