//! The sandbox around a real scorer component: a call past its deadline or
//! over its memory cap is stopped with a clear error and the host carries on;
//! compiled code is cached on disk; components may import nothing beyond
//! what Rust's std needs.

mod common;

use std::sync::Arc;
use std::time::Duration;

use leadscore::bindings::Lead;
use leadscore::runtime::component::{CallError, Runtime, RuntimeConfig, check_imports};

/// The demo component.
fn demo_wasm() -> Vec<u8> {
    common::component_bytes("demo")
}

fn sample_leads(copies: usize) -> Vec<Lead> {
    common::sample_leads("models/demo/sample-leads.jsonl", copies)
}

fn runtime(config: RuntimeConfig) -> Arc<Runtime> {
    Runtime::new(config).unwrap()
}

#[test]
fn a_call_past_its_deadline_is_stopped_and_the_next_call_works() {
    let component = runtime(RuntimeConfig::default()).load(&demo_wasm()).unwrap();
    let many = sample_leads(20_000);
    match component.score_within(&many, Duration::from_millis(1)) {
        Err(CallError::Deadline(d)) => assert_eq!(d, Duration::from_millis(1)),
        other => panic!("expected a deadline error, got {:?}", other.map(|r| r.len())),
    }
    let one = component.score(&sample_leads(1)).unwrap();
    assert!(one[0].is_ok(), "a fresh instance after the interrupted one scores normally");
}

#[test]
fn a_call_over_its_memory_cap_is_stopped_and_the_next_call_works() {
    let config = RuntimeConfig { memory_limit: 8 << 20, deadline: Duration::from_secs(30), ..RuntimeConfig::default() };
    let component = runtime(config).load(&demo_wasm()).unwrap();
    match component.score(&sample_leads(30_000)) {
        Err(CallError::MemoryLimit(limit)) => assert_eq!(limit, 8 << 20),
        Err(e) => panic!("expected the memory cap, got {e}"),
        Ok(results) => panic!("30,000 leads fit in 8 MiB? {} results", results.len()),
    }
    assert!(component.score(&sample_leads(3)).unwrap().iter().all(Result::is_ok));
}

#[test]
fn compiled_code_is_cached_on_disk_and_reused_after_a_restart() {
    let cache = tempfile::tempdir().unwrap();
    let config = RuntimeConfig { cache_dir: Some(cache.path().to_path_buf()), ..RuntimeConfig::default() };
    let first = runtime(config.clone());
    let component = first.load(&demo_wasm()).unwrap();
    let cached = first.cache_path(cache.path(), component.sha256());
    assert!(cached.exists(), "compiled code written to {}", cached.display());
    let written = std::fs::metadata(&cached).unwrap().modified().unwrap();
    let before = component.score(&sample_leads(5)).unwrap();
    drop((component, first));

    // A new runtime (a restart) finds the compiled code and does not rewrite it.
    let second = runtime(config);
    let component = second.load(&demo_wasm()).unwrap();
    assert_eq!(std::fs::metadata(&cached).unwrap().modified().unwrap(), written);
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 1);
    let after = component.score(&sample_leads(5)).unwrap();
    let scores = |r: &[Result<leadscore::bindings::ScoredLead, _>]| {
        r.iter().map(|s| s.as_ref().map(|s| (s.final_score, s.margin)).ok()).collect::<Vec<_>>()
    };
    assert_eq!(scores(&before), scores(&after));
}

#[test]
fn components_may_import_only_what_std_needs() {
    let component = runtime(RuntimeConfig::default()).load(&demo_wasm()).unwrap();
    assert!(check_imports(component.imports()).is_ok());
    assert!(component.imports().iter().all(|i| i.starts_with("wasi:io/") || i.starts_with("wasi:cli/")));
    for forbidden in [
        "wasi:sockets/tcp@0.2.6",
        "wasi:filesystem/types@0.2.6",
        "wasi:http/outgoing-handler@0.2.6",
        "acme:exfiltrate/all",
    ] {
        let mut imports = component.imports().to_vec();
        imports.push(forbidden.to_string());
        let error = check_imports(&imports).unwrap_err().to_string();
        assert!(error.contains(forbidden), "{error}");
    }
}

/// A model saved after early stopping is built with its best rounds (as
/// XGBoost's scikit-learn wrapper predicts), and the manifest says so.
#[test]
fn the_manifest_records_which_trees_an_early_stopped_model_scores_with() {
    let dir = common::workspace().join("guest-model/tests/fixtures/field-cases/early-stopping");
    let out = tempfile::tempdir().unwrap();
    let built = common::build_dir(&dir, out.path());
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&built.manifest).unwrap()).unwrap();
    let trees = &manifest["trees"];
    assert_eq!(trees["rule"], "best", "{manifest}");
    assert_eq!(trees["best_iteration"], 21, "{manifest}");
    assert_eq!(trees["rounds"], 22, "{manifest}");
    assert_eq!(trees["saved_trees"], 32, "{manifest}");
    assert_eq!(manifest["num_trees"], 22, "{manifest}");
}
