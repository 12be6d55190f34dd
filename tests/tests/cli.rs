//! The CLI as a user meets it: the demo model built and scored, the
//! explanation contract on every sample lead, and bad input reported per line.

use std::path::PathBuf;
use std::sync::OnceLock;

use leadscore_tests::{build_component, leadscore, leadscore_ok, repo_root};
use serde_json::Value;

/// The default model (v12), built once for all tests of this file.
fn default_component() -> &'static PathBuf {
    static BUILT: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &BUILT
        .get_or_init(|| {
            let out = tempfile::tempdir().unwrap();
            let wasm = build_component(&repo_root().join("models/v12"), out.path());
            (out, wasm)
        })
        .1
}

fn score_text(input: &str) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let leads = dir.path().join("leads.jsonl");
    std::fs::write(&leads, input).unwrap();
    let out = leadscore_ok(&["score", "--model", default_component().to_str().unwrap(), leads.to_str().unwrap()]);
    out.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn build_writes_the_component_and_a_manifest_that_describes_it() {
    let wasm = default_component();
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(wasm.with_extension("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["name"], "lead-scorer");
    assert_eq!(manifest["version"], "v12");
    assert_eq!(manifest["wasm"], "lead-scorer-v12.wasm");
    assert_eq!(manifest["features"].as_array().unwrap().len(), 23);
    let bytes = std::fs::read(wasm).unwrap();
    let sha = sha256_hex(&bytes);
    assert_eq!(manifest["sha256"], sha.as_str(), "the manifest's sha256 is the wasm's");
    for import in manifest["imports"].as_array().unwrap() {
        let name = import.as_str().unwrap();
        assert!(name.starts_with("wasi:io/") || name.starts_with("wasi:cli/"), "only std's WASI imports: {name}");
    }
}

/// sha256 through the system's `sha256sum`, to check the manifest independently.
fn sha256_hex(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blob");
    std::fs::write(&file, bytes).unwrap();
    let out = std::process::Command::new("sha256sum").arg(&file).output().unwrap();
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_string()
}

#[test]
fn every_sample_lead_gets_a_consistent_explanation() {
    let input = std::fs::read_to_string(repo_root().join("models/sample-leads.jsonl")).unwrap();
    let results = score_text(&input);
    assert_eq!(results.len(), input.lines().count());
    let mut bands = std::collections::HashSet::new();
    for r in &results {
        let score = r["final_score"].as_u64().unwrap();
        let band = r["band"].as_str().unwrap();
        let expected = if score > 80 {
            "hot"
        } else if score < 40 {
            "cold"
        } else {
            "warm"
        };
        assert_eq!(band, expected, "{r}");
        bands.insert(band.to_string());
        let contributions = r["contributions"].as_array().unwrap();
        let sum: f64 = contributions.iter().map(|c| c["shap"].as_f64().unwrap()).sum();
        let (base, margin) = (r["base_value"].as_f64().unwrap(), r["margin"].as_f64().unwrap());
        assert!((base + sum - margin).abs() < 1e-4, "base + Σ shap = margin: {r}");
        let magnitudes: Vec<f64> = contributions.iter().map(|c| c["shap"].as_f64().unwrap().abs()).collect();
        assert!(magnitudes.windows(2).all(|w| w[0] >= w[1]), "largest |shap| first: {r}");
        let shares: f64 = r["feature_importance"].as_object().unwrap().values().map(|v| v.as_f64().unwrap()).sum();
        assert!((shares - 1.0).abs() < 1e-9, "importance sums to 1: {r}");
        let confidence = r["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&confidence));
        for reason in r["reasons"].as_array().unwrap() {
            let up = reason["shap"].as_f64().unwrap() > 0.0;
            assert_eq!(reason["direction"], if up { "up" } else { "down" });
            assert!(!reason["text"].as_str().unwrap().contains("{value}"), "the value is filled in: {reason}");
        }
    }
    assert_eq!(bands.len(), 3, "the samples show every band: {bands:?}");
}

#[test]
fn bad_leads_get_error_lines_in_place_and_the_rest_are_scored() {
    let good = r#"{"id": "ok-1", "as_of": "2026-10-01T12:00:00Z", "fields": {"employees": 50}}"#;
    let input = [
        good,
        r#"{"id": "bad-time", "as_of": "last tuesday"}"#,
        "not json at all",
        r#"{"id": "bad-type", "as_of": "2026-10-01T12:00:00Z", "fields": {"employees": "fifty"}}"#,
        r#"{"id": "ok-2", "as_of": "2026-10-01T12:00:00Z"}"#,
    ]
    .join("\n");
    let results = score_text(&input);
    assert_eq!(results.len(), 5);
    assert_eq!(results[0]["lead_id"], "ok-1");
    assert!(results[0]["final_score"].is_u64());
    assert_eq!(results[1]["lead_id"], "bad-time");
    assert_eq!(results[1]["error"]["code"], "invalid_lead");
    assert!(results[1]["error"]["message"].as_str().unwrap().contains("as_of"), "{}", results[1]);
    assert_eq!(results[2]["lead_id"], Value::Null);
    assert!(results[2]["error"]["message"].as_str().unwrap().contains("line 3"), "{}", results[2]);
    assert_eq!(results[3]["lead_id"], "bad-type");
    assert_eq!(results[3]["error"]["code"], "invalid_field");
    assert!(results[3]["error"]["message"].as_str().unwrap().starts_with("fields.employees"), "{}", results[3]);
    assert_eq!(results[4]["lead_id"], "ok-2");
    assert!(results[4]["final_score"].is_u64());
}

#[test]
fn a_model_that_cannot_be_loaded_fails_the_command() {
    let out = leadscore(&["score", "--model", "/nonexistent/model.wasm", "-"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/model.wasm"));
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, b"\0asm not really").unwrap();
    let out = leadscore(&["score", "--model", junk.to_str().unwrap(), "-"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a usable scorer component"));
}

#[test]
fn building_a_broken_model_directory_says_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["model.json", "features.toml"] {
        std::fs::copy(repo_root().join("models/demo").join(name), dir.path().join(name)).unwrap();
    }
    let spec = std::fs::read_to_string(dir.path().join("features.toml")).unwrap();
    std::fs::write(dir.path().join("features.toml"), spec.replace("agg = \"count\"", "agg = \"median\"")).unwrap();
    let out = leadscore(&["model", "build", dir.path().to_str().unwrap(), "--out", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("features.toml") && stderr.contains("unknown agg \"median\""), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
