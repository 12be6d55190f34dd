//! Score + full explanation per lead: natively, inside the component through
//! wasmtime, and (by `scripts/bench-scoring`, in the same run) XGBoost.
//! Needs LEADSCORE_BENCH_DIR with `model/`, `leads.jsonl` and `component.wasm`
//! (the script prepares them). With a `baseline.wasm` there too (the same
//! model built by an earlier commit, `BASELINE_REV=<rev>`), that component
//! is measured in the same run, interleaved benchmark by benchmark.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use guest_model::load::lead_json;
use guest_model::shap::{Scratch, reference};
use leadscore::runtime::component::{Runtime, RuntimeConfig};

fn bench_dir() -> PathBuf {
    PathBuf::from(
        std::env::var("LEADSCORE_BENCH_DIR").expect("run scripts/bench-scoring (it sets LEADSCORE_BENCH_DIR)"),
    )
}

fn scoring(c: &mut Criterion) {
    let dir = bench_dir();
    let model = guest_model::load::model_dir(&dir.join("model")).expect("bench model");
    let text = std::fs::read_to_string(dir.join("leads.jsonl")).expect("bench leads");
    let leads: Vec<_> = text.lines().map(|l| lead_json::parse(l).expect("valid lead")).collect();
    let rows: Vec<Vec<f32>> =
        leads.iter().map(|l| guest_model::features::compute(&model.features, l).expect("features").0).collect();
    let n = leads.len() as u64;

    let mut shap = c.benchmark_group("shap");
    shap.throughput(Throughput::Elements(n)).sample_size(10);
    shap.bench_function("quadrature", |b| {
        let mut scratch = Scratch::default();
        let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let mut phis = vec![vec![0.0; model.features.len()]; rows.len()];
        b.iter(|| {
            let mut outputs: Vec<&mut [f64]> = phis.iter_mut().map(Vec::as_mut_slice).collect();
            model.explainer.shap_values_batch(&refs, &mut outputs, &mut scratch);
        })
    });
    shap.bench_function("reference", |b| {
        let mut phi = vec![0.0; model.features.len()];
        b.iter(|| {
            for row in &rows {
                reference::shap_values(model.ensemble(), row, &mut phi);
            }
        })
    });
    shap.finish();

    let mut score = c.benchmark_group("score_and_explain");
    score.throughput(Throughput::Elements(n)).sample_size(10);
    score.bench_function("native", |b| {
        let mut scratch = Scratch::default();
        b.iter(|| model.score_batch(&leads, &mut scratch))
    });
    // One call scores all 4,000 leads: give it far more than the service's deadline.
    let runtime =
        Runtime::new(RuntimeConfig { deadline: Duration::from_secs(60), ..RuntimeConfig::default() }).expect("runtime");
    let load = |name: &str| runtime.load(&std::fs::read(dir.join(name)).expect(name)).expect(name);
    let component = load("component.wasm");
    let baseline = dir.join("baseline.wasm").exists().then(|| load("baseline.wasm"));
    let wit_leads: Vec<_> = leads.iter().cloned().map(leadscore::runtime::lead::to_wit).collect();
    score.bench_function("component", |b| b.iter(|| component.score(&wit_leads).expect("scored")));
    if let Some(baseline) = &baseline {
        score.bench_function("baseline", |b| b.iter(|| baseline.score(&wit_leads).expect("scored")));
    }
    score.finish();

    let mut instance = c.benchmark_group("component");
    for (name, component) in [("", Some(&component)), ("baseline_", baseline.as_ref())] {
        let Some(component) = component else { continue };
        instance.bench_function(format!("{name}instantiate"), |b| {
            b.iter(|| component.instantiate(Duration::from_secs(1)).expect("instance"))
        });
        instance.bench_with_input(
            BenchmarkId::new(format!("{name}one_lead_fresh_instance"), 1),
            &wit_leads[..1],
            |b, one| b.iter(|| component.score(one).expect("scored")),
        );
    }
    instance.finish();
}

criterion_group!(benches, scoring);
criterion_main!(benches);
