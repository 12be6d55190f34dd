//! What one `/score-lead` request costs inside the host, piece by piece, and
//! how long a new version takes from upload to serving. Uses the v12
//! component that `make build` writes to target/models (run through
//! `scripts/bench-serving`, which also drives the HTTP load).

use std::path::PathBuf;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use guest_model::shap::Scratch;
use leadscore::runtime::component::{Runtime, RuntimeConfig};
use leadscore::runtime::score::Score;
use leadscore::runtime::store::ModelStore;

fn built(file: &str) -> PathBuf {
    let dir = std::env::var_os("LEADSCORE_MODELS").map_or_else(|| repo("target/models"), PathBuf::from);
    let path = dir.join(file);
    assert!(path.exists(), "{} is missing: run `make build` first", path.display());
    path
}

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn per_call(c: &mut Criterion) {
    let wasm = std::fs::read(built("lead-scorer-v12.wasm")).expect("component");
    let runtime = Runtime::new(RuntimeConfig::default()).expect("runtime");
    let component = runtime.load(&wasm).expect("component");
    let text = std::fs::read_to_string(repo("models/sample-leads.jsonl")).expect("sample leads");
    let line = text.lines().next().expect("a lead").to_string();
    let lead = leadscore::runtime::lead::parse(&line).expect("lead");
    let model = guest_model::load::model_dir(&repo("models/v12")).expect("v12");
    let native_lead = guest_model::load::lead_json::parse(&line).expect("lead");
    let scored = component.score(std::slice::from_ref(&lead)).expect("scored").remove(0).expect("ok");

    let mut group = c.benchmark_group("per_call");
    group.bench_function("1_parse_lead_json", |b| b.iter(|| leadscore::runtime::lead::parse(&line).expect("lead")));
    group.bench_function("2_instantiate", |b| b.iter(|| component.instantiate(Duration::from_secs(1)).expect("ok")));
    group.bench_function("3_instantiate_and_empty_call", |b| b.iter(|| component.score(&[]).expect("ok")));
    group.bench_function("4_instantiate_and_score_one_lead", |b| {
        b.iter(|| component.score(std::slice::from_ref(&lead)).expect("ok"))
    });
    group.bench_function("5_native_score_one_lead", |b| {
        let mut scratch = Scratch::default();
        b.iter(|| model.score_batch(std::slice::from_ref(&native_lead), &mut scratch))
    });
    group.bench_function("6_response_json", |b| {
        b.iter(|| serde_json::to_vec(&Score::from(scored.clone())).expect("json"))
    });
    group.finish();
}

fn install_to_serving(c: &mut Criterion) {
    let wasm = std::fs::read(built("lead-scorer-v12.wasm")).expect("component");
    let manifest = std::fs::read_to_string(built("lead-scorer-v12.manifest.json")).expect("manifest");
    let lead = leadscore::runtime::lead::parse(
        std::fs::read_to_string(repo("models/sample-leads.jsonl")).expect("leads").lines().next().expect("lead"),
    )
    .expect("lead");
    let warm_cache = tempfile::tempdir().expect("cache");
    let install_and_score = |cache: PathBuf| {
        let config = RuntimeConfig { cache_dir: Some(cache), ..RuntimeConfig::default() };
        let store_dir = tempfile::tempdir().expect("store");
        let store = ModelStore::open(store_dir.path(), Runtime::new(config).expect("runtime")).expect("store");
        let installed = store.install(&wasm, &manifest).expect("installed");
        installed.component.score(std::slice::from_ref(&lead)).expect("served")
    };
    install_and_score(warm_cache.path().to_path_buf());

    let mut group = c.benchmark_group("install_to_serving");
    group.sample_size(10);
    group.bench_function("compile", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("cache"),
            |cold| install_and_score(cold.path().to_path_buf()),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("cached", |b| b.iter(|| install_and_score(warm_cache.path().to_path_buf())));
    group.finish();
}

criterion_group!(benches, per_call, install_to_serving);
criterion_main!(benches);
