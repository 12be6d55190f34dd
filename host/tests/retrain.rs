//! The ML team's loop end to end: leads scored by the service and their
//! outcomes reported through the API → `leadscore export-training` →
//! `models/training/train.py` (real XGBoost, small) → `model build` →
//! installed over HTTP as a shadow beside v12 → compared on new leads in
//! `GET /reports/shadow` → promoted by a routing change → serving.

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

fn leadscore(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_leadscore")).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "leadscore {args:?} failed:\n{stderr}");
    String::from_utf8(output.stdout).unwrap() + &stderr
}

fn python(script: &str, args: &[String]) {
    let python = common::workspace().join(".venv/bin/python");
    let output = Command::new(&python).arg(common::workspace().join(script)).args(args).output().unwrap();
    assert!(output.status.success(), "{script} failed:\n{}", String::from_utf8_lossy(&output.stderr));
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn export_train_build_install_as_shadow_compare_and_promote() {
    let work = tempfile::tempdir().unwrap();
    let path = |p: &Path| p.to_str().unwrap().to_string();
    let (sim, export, model) = (work.path().join("sim"), work.path().join("export"), work.path().join("v13"));
    leadscore(&["simulate", "--leads", "3000", "--months", "12", "--seed", "9", "--out", &path(&sim)]);
    let simulated = lines(&sim.join("leads.jsonl"));
    let outcomes = lines(&sim.join("outcomes.jsonl"));

    // A tenant's history: every lead scored through the API, outcomes reported.
    let store = tempfile::tempdir().unwrap();
    let backends = leadscore::pipeline::Backends::default();
    let url = common::spawn(common::settings(common::all_versions_dir(), store.path(), backends, 2)).await;
    let client = common::client_as("acme");
    let (history, fresh) = simulated.split_at(simulated.len() - 60);
    for lead in history {
        let body = json!({"lead_id": lead["id"], "context": lead});
        assert_eq!(client.post(format!("{url}/leads/score")).json(&body).send().await.unwrap().status(), 202);
    }
    common::wait_for_queue(&client, &url, history.len() as u64).await;
    let post_outcome = |lead_id: Value, outcome: &Value| {
        let body = json!({"outcome": outcome["outcome"], "at": outcome["closed_at"]});
        client.post(format!("{url}/leads/{}/outcome", lead_id.as_str().unwrap())).json(&body).send()
    };
    for outcome in &outcomes[..history.len()] {
        assert_eq!(post_outcome(outcome["lead_id"].clone(), outcome).await.unwrap().status(), 200);
    }

    let spec = common::workspace().join("models/v12/features.toml");
    let db = path(&store.path().join("leadscore.db"));
    let said = leadscore(&[
        "export-training",
        "--org",
        "acme",
        "--since",
        "2020-01-01",
        "--out",
        &path(&export),
        "--spec",
        &path(&spec),
        "--database-url",
        &format!("sqlite://{db}"),
    ]);
    assert!(said.contains(&format!("exported {} leads", history.len())), "{said}");
    let exported = lines(&export.join("outcomes.jsonl"));
    assert_eq!(exported.len(), history.len());
    let won = |rows: &[Value]| rows.iter().filter(|o| o["outcome"] == "won").count();
    assert_eq!(won(&exported), won(&outcomes[..history.len()]), "the labels the tenant reported");
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(export.join("simulation.json")).unwrap()).unwrap();
    assert!(summary["months"].as_u64().unwrap() >= 10, "enough months for the time split: {summary}");
    let database = leadscore::pipeline::Db::connect(&format!("sqlite://{db}")).await.unwrap();
    let elsewhere = leadscore::pipeline::training::Export {
        org: "globex",
        scored_since: 0,
        qualified_since: i64::MIN,
        test_months: 6,
        valid_months: 3,
        spec: None,
    };
    let other = leadscore::pipeline::training::export(&database, elsewhere, &work.path().join("none")).await;
    assert!(other.unwrap_err().to_string().contains("nothing to export"), "another tenant's leads are not exported");

    // Train v13 on the export (small), with v12's features.
    std::fs::create_dir_all(&model).unwrap();
    let features = std::fs::read_to_string(&spec).unwrap().replace("version = \"v12\"", "version = \"v13\"");
    std::fs::write(model.join("features.toml"), features).unwrap();
    let params = work.path().join("training.toml");
    std::fs::write(&params, "max_depth = 3\neta = 0.1\nn_estimators = 60\nearly_stopping_rounds = 20\n").unwrap();
    let arg = |s: &str| s.to_string();
    python(
        "models/training/train.py",
        &[
            arg("--spec"),
            path(&model.join("features.toml")),
            arg("--features"),
            path(&export.join("features.csv")),
            arg("--outcomes"),
            path(&export.join("outcomes.jsonl")),
            arg("--sim"),
            path(&export.join("simulation.json")),
            arg("--params"),
            path(&params),
            arg("--out"),
            path(&model),
        ],
    );
    let built = common::build_dir(&model, &work.path().join("built"));
    let manifest = std::fs::read_to_string(&built.manifest).unwrap();
    assert!(manifest.contains("\"reference\""), "the manifest carries the training distribution");

    // Install it as a shadow beside v12.
    let form = reqwest::multipart::Form::new()
        .part("component", reqwest::multipart::Part::bytes(std::fs::read(&built.wasm).unwrap()))
        .text("manifest", manifest);
    let installed = common::operator().post(format!("{url}/models")).multipart(form).send().await.unwrap();
    assert_eq!(installed.status(), 201, "{}", installed.text().await.unwrap());
    let routing = json!({"active": "v12", "fallback": ["v11", "rules-v1"], "shadow": "v13"});
    assert_eq!(client.put(format!("{url}/models/routing")).json(&routing).send().await.unwrap().status(), 200);
    for lead in fresh {
        let body = json!({"lead_id": lead["id"], "context": lead});
        client.post(format!("{url}/leads/score")).json(&body).send().await.unwrap();
    }
    common::wait_for_queue(&client, &url, simulated.len() as u64).await;
    for outcome in &outcomes[history.len()..] {
        post_outcome(outcome["lead_id"].clone(), outcome).await.unwrap();
    }
    for lead in fresh {
        let badge = common::get_json(&client, &format!("{url}/leads/{}/score", lead["id"].as_str().unwrap())).await;
        assert_eq!(badge["model_version"], "v12", "the shadow is never shown");
    }
    let report = common::get_json(&client, &format!("{url}/reports/shadow")).await;
    assert_eq!(
        (report["shadow"].as_str(), report["leads"].as_u64()),
        (Some("v13"), Some(fresh.len() as u64)),
        "{report}"
    );
    assert_eq!(report["decided"].as_u64(), Some(fresh.len() as u64));

    // Promote: v13 answers from the next request, v12 behind it.
    let promoted: Value =
        client.post(format!("{url}/models/routing/promote")).send().await.unwrap().json().await.unwrap();
    assert_eq!(promoted["active"], "v13");
    assert_eq!(promoted["fallback"], json!(["v12", "v11", "rules-v1"]));
    let lead = &fresh[0];
    let body = json!({"lead_id": lead["id"], "context": lead, "overrides": {"force_refresh": true}});
    let queued: Value =
        client.post(format!("{url}/leads/score")).json(&body).send().await.unwrap().json().await.unwrap();
    let status = common::finished(&client, &url, queued["request_id"].as_str().unwrap()).await;
    assert_eq!(status["result"]["model_version"], "v13", "{status}");
    let lift = common::get_json(&client, &format!("{url}/reports/lift")).await;
    assert_eq!(lift["drift"]["version"], "v13", "drift is measured against the promoted version's training data");
}
