//! Real hostile components (`tests/hostile`, one misbehaviour per feature)
//! against the sandbox: each is stopped or refused with a clear error, the
//! host keeps serving, and the fallback chain answers for the failing version.

mod common;

use std::collections::HashMap;

use std::sync::Arc;
use std::time::{Duration, Instant};

use leadscore::bindings::Lead;
use leadscore::runtime::component::{CallError, Runtime, RuntimeConfig, ScorerComponent};
use leadscore::runtime::manifest::{GoldenLead, Manifest, ManifestBands};
use leadscore::runtime::routing::{Router, Routing};
use leadscore::runtime::store::{InstallError, ModelStore};

/// The real v11 component, the fallback that must keep answering.
fn v11(runtime: &Arc<Runtime>) -> ScorerComponent {
    runtime.load(&common::component_bytes("v11")).unwrap()
}

fn a_lead() -> Lead {
    common::sample_leads("models/sample-leads.jsonl", 1).remove(0)
}

/// Routes v12 to the hostile component with v11 behind it; the lead must be
/// answered by v11.
fn fallback_answers(runtime: &Arc<Runtime>, hostile: ScorerComponent) {
    let components =
        HashMap::from([("v12".to_string(), Arc::new(hostile)), ("v11".to_string(), Arc::new(v11(runtime)))]);
    let routing =
        Routing { active: "v12".into(), split: vec![], fallback: vec!["v11".into()], shadow: None, bands: None };
    let routed = Router::new(components, routing).score(&a_lead(), None, None).unwrap();
    assert_eq!((routed.version.as_str(), routed.fell_back), ("v11", true));
    assert!(routed.result.is_ok());
}

#[test]
fn an_infinite_loop_is_stopped_at_its_deadline_and_v11_answers_instead() {
    let deadline = Duration::from_millis(250);
    let runtime = Runtime::new(RuntimeConfig { deadline, ..RuntimeConfig::default() }).unwrap();
    let looping = runtime.load(&common::hostile("infinite-loop")).unwrap();
    let started = Instant::now();
    let error = looping.score(&[a_lead()]).unwrap_err();
    let took = started.elapsed();
    assert!(matches!(error, CallError::Deadline(_)), "{error}");
    assert!(took < 2 * deadline, "stopped within twice the deadline: {took:?}");
    fallback_answers(&runtime, looping);
}

#[test]
fn a_memory_bomb_hits_the_memory_cap_and_v11_answers_instead() {
    let runtime = Runtime::new(RuntimeConfig { memory_limit: 32 << 20, ..RuntimeConfig::default() }).unwrap();
    let bomb = runtime.load(&common::hostile("memory-bomb")).unwrap();
    let error = bomb.score(&[a_lead()]).unwrap_err();
    assert!(matches!(error, CallError::MemoryLimit(_)), "{error}");
    fallback_answers(&runtime, bomb);
}

#[test]
fn a_panic_is_a_trap_and_v11_answers_instead() {
    let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
    let panicking = runtime.load(&common::hostile("panic")).unwrap();
    let error = panicking.score(&[a_lead()]).unwrap_err();
    assert!(matches!(error, CallError::Trap(_)), "{error}");
    fallback_answers(&runtime, panicking);
}

#[test]
fn a_component_that_imports_the_filesystem_is_refused_at_load() {
    let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
    let error = runtime.load(&common::hostile("reads-files")).map(|_| ()).unwrap_err().to_string();
    assert!(error.contains("capabilities a scorer must not have") && error.contains("wasi:filesystem"), "{error}");
}

#[test]
fn a_component_that_opens_a_socket_is_refused_at_load() {
    let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
    let error = runtime.load(&common::hostile("opens-socket")).map(|_| ()).unwrap_err().to_string();
    assert!(error.contains("capabilities a scorer must not have") && error.contains("wasi:sockets"), "{error}");
}

#[test]
fn a_component_of_another_world_is_refused_at_load() {
    let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
    let error = format!("{:#}", runtime.load(&common::hostile("wrong-world")).map(|_| ()).unwrap_err());
    assert!(error.contains("does not export the scorer world"), "{error}");
}

#[test]
fn a_component_that_lies_about_its_version_is_refused_at_install() {
    let bytes = common::hostile("lies-about-version");
    let manifest = Manifest {
        name: "lead-scorer".into(),
        version: "v13".into(),
        wasm: "lead-scorer-v13.wasm".into(),
        sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)),
        objective: "binary:logistic".into(),
        link: "logistic".into(),
        num_trees: 0,
        base_value: 0.0,
        features: vec![],
        bands: ManifestBands { hot: 80, cold: 40 },
        imports: vec![],
        built_at: "2026-11-27T00:00:00Z".into(),
        golden: vec![GoldenLead {
            lead: serde_json::json!({"id": "g", "as_of": "2026-10-01T00:00:00Z"}),
            final_score: 50,
            margin: 0.0,
            probability: 0.5,
        }],
        reference: None,
        trees: None,
        quality: None,
    };
    let store_dir = tempfile::tempdir().unwrap();
    let store = ModelStore::open(store_dir.path(), Runtime::new(RuntimeConfig::default()).unwrap()).unwrap();
    match store.install(&bytes, &serde_json::to_string(&manifest).unwrap()) {
        Err(InstallError::Disagrees(differences)) => {
            assert!(differences.iter().any(|d| d.contains("version") && d.contains("v99")), "{differences:?}")
        }
        Err(e) => panic!("expected a model-info disagreement, got {e}"),
        Ok(_) => panic!("a lying component was installed"),
    }
    assert!(store.list().unwrap().is_empty(), "the store is unchanged");
}
