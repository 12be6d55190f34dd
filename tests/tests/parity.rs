//! One feature implementation for training and serving: the matrix that
//! `leadscore features` exports equals, to the bit, the values the component
//! computes for the same simulated leads — for every committed model.

use std::path::Path;

use guest_model::features::Source;
use guest_model::load::spec::parse_spec;
use leadscore_tests::{build_component, leadscore_ok, repo_root};
use serde_json::Value;

/// Compares the exported CSV with the component's contribution values.
fn check_parity(model_dir: &Path, leads: &Path, work: &Path) {
    let spec_path = model_dir.join("features.toml");
    let spec = parse_spec(&std::fs::read_to_string(&spec_path).unwrap()).unwrap();
    let csv = leadscore_ok(&["features", "--spec", spec_path.to_str().unwrap(), leads.to_str().unwrap()]);
    let wasm = build_component(model_dir, work);
    let scored = leadscore_ok(&["score", "--model", wasm.to_str().unwrap(), leads.to_str().unwrap()]);
    let mut rows = csv.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    assert_eq!(header[2..].len(), spec.features.len());
    let mut compared = 0;
    for (row, result) in rows.zip(scored.lines()) {
        let cells: Vec<&str> = row.split(',').collect();
        let result: Value = serde_json::from_str(result).unwrap();
        assert_eq!(result["lead_id"].as_str(), Some(cells[0]));
        let contributions = result["contributions"].as_array().expect("an explanation");
        for (i, def) in spec.features.iter().enumerate() {
            let (cell, name) = (cells[i + 2], def.name.as_ref());
            let value = &contributions.iter().find(|c| c["feature"] == name).expect("every feature")["value"];
            let what = format!("{} {name}: csv {cell:?}, component {value}", cells[0]);
            match (&def.source, value) {
                (_, Value::Null) => assert_eq!(cell, "", "{what}"),
                (Source::Category { categories, .. }, Value::String(text)) => {
                    assert_eq!(categories[cell.parse::<usize>().unwrap()], *text, "{what}")
                }
                (_, Value::Number(n)) => {
                    let component = n.as_f64().unwrap() as f32;
                    assert_eq!(cell.parse::<f32>().unwrap().to_bits(), component.to_bits(), "{what}")
                }
                _ => panic!("unexpected value: {what}"),
            }
            compared += 1;
        }
    }
    assert!(compared > 1000, "{compared} values compared");
}

#[test]
fn exported_features_equal_the_components_features() {
    let work = tempfile::tempdir().unwrap();
    let sim = work.path().join("sim");
    leadscore_ok(&["simulate", "--leads", "300", "--seed", "9", "--out", sim.to_str().unwrap()]);
    let leads = sim.join("leads.jsonl");
    let mut checked = Vec::new();
    for name in ["demo", "v11", "v12", "rules-v1"] {
        let dir = repo_root().join("models").join(name);
        // A model directory is complete once `make models` has trained it.
        if dir.join("model.json").exists() || dir.join("rules.toml").exists() {
            check_parity(&dir, &leads, &work.path().join(name));
            checked.push(name);
        }
    }
    assert!(checked.contains(&"demo") && checked.contains(&"rules-v1"), "checked {checked:?}");
}
