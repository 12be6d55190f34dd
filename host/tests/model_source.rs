//! `POST /models` with a model source (what XGBoost and the training wrote:
//! model.json, features.toml, calibration.json, reference.json), on both
//! configurations: the service builds it into the very component the CLI
//! builds, installs it like an uploaded component (201, then 200), and it
//! scores as the CLI-built component does once routed; a source that does
//! not load is a 422 naming the file, a malformed form a 400 naming the
//! field, and neither changes anything.

mod common;

use common::Backend;

use std::process::Command;

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

/// A running service serving v12, with its own store; returns its URL.
async fn spawn_app(backend: Backend) -> (String, tempfile::TempDir) {
    let backends = backend.backends().await;
    let store = tempfile::tempdir().unwrap();
    let settings = common::settings(common::v12_dir(), &store.path().join("store"), backends, 2);
    (common::spawn(settings).await, store)
}

on_both_backends!(
    a_model_source_is_built_installed_and_scores_as_the_cli_built_component,
    a_ubjson_model_is_built_as_the_cli_builds_it,
    sources_that_do_not_load_and_malformed_forms_are_refused_and_change_nothing,
);

/// A model directory's files, as uploaded.
#[derive(Clone)]
struct Source {
    model: Vec<u8>,
    features: String,
    calibration: Option<String>,
    reference: Option<String>,
}

/// models/v12's files, its features.toml saying `version`.
fn v12_as(version: &str) -> Source {
    let dir = common::workspace().join("models/v12");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let features = read("features.toml");
    let renamed = features.replace("version = \"v12\"", &format!("version = \"{version}\""));
    assert_ne!(features, renamed, "features.toml of v12 names its version");
    Source {
        model: std::fs::read(dir.join("model.json")).unwrap(),
        features: renamed,
        calibration: Some(read("calibration.json")),
        reference: Some(read("reference.json")),
    }
}

impl Source {
    /// The multipart form, each part with its file name.
    fn form(&self) -> Form {
        let file = |bytes: Vec<u8>, name: &str| Part::bytes(bytes).file_name(name.to_string());
        let mut form = Form::new()
            .part("model", file(self.model.clone(), "model.json"))
            .part("features", file(self.features.clone().into_bytes(), "features.toml"));
        if let Some(calibration) = &self.calibration {
            form = form.part("calibration", file(calibration.clone().into_bytes(), "calibration.json"));
        }
        if let Some(reference) = &self.reference {
            form = form.part("reference", file(reference.clone().into_bytes(), "reference.json"));
        }
        form
    }

    /// Writes the files into `dir`, as a model directory.
    fn write_to(&self, dir: &std::path::Path) {
        std::fs::write(dir.join("model.json"), &self.model).unwrap();
        std::fs::write(dir.join("features.toml"), &self.features).unwrap();
        if let Some(calibration) = &self.calibration {
            std::fs::write(dir.join("calibration.json"), calibration).unwrap();
        }
        if let Some(reference) = &self.reference {
            std::fs::write(dir.join("reference.json"), reference).unwrap();
        }
    }
}

/// Posts a form to `POST /models` as the operator: (status, body).
async fn post(url: &str, form: Form) -> (u16, Value) {
    let response = common::operator().post(format!("{url}/models")).multipart(form).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Runs the `leadscore` binary; fails unless it succeeds; its standard output.
fn cli(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_leadscore")).args(args).output().unwrap();
    assert!(output.status.success(), "leadscore {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn versions(list: &Value) -> Vec<String> {
    let mut versions: Vec<String> =
        list["models"].as_array().unwrap().iter().map(|m| m["version"].as_str().unwrap().to_string()).collect();
    versions.sort();
    versions
}

async fn a_model_source_is_built_installed_and_scores_as_the_cli_built_component(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let client = common::operator();
    let source = v12_as("v77");

    let (status, model) = post(&url, source.form()).await;
    assert_eq!(status, 201, "{model}");
    assert_eq!(
        (&model["name"], &model["version"], &model["state"]),
        (&json!("lead-scorer"), &json!("v77"), &json!("installed"))
    );
    assert_eq!((&model["loaded"], &model["features"]), (&json!(true), &json!(23)), "{model}");
    let listed = common::get_json(&client, &format!("{url}/models")).await;
    assert_eq!(versions(&listed), ["v12", "v77"]);

    // The CLI builds the same files into the very same component.
    let (dir, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    source.write_to(dir.path());
    cli(&["model", "build", dir.path().to_str().unwrap(), "--out", out.path().to_str().unwrap()]);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("lead-scorer-v77.manifest.json")).unwrap())
            .unwrap();
    assert_eq!(model["sha256"], manifest["sha256"], "the service built what `leadscore model build` builds");
    assert!(manifest["reference"].is_object(), "reference.json is in the manifest");

    // Routed, it scores leads; what it says is what the CLI-built component says.
    let routing = json!({"active": "v77", "fallback": ["v12"]});
    let response = client.put(format!("{url}/models/routing")).json(&routing).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let wasm = out.path().join("lead-scorer-v77.wasm");
    for n in [0, 3] {
        let line = common::sample_line("models/sample-leads.jsonl", n);
        let lead: Value = serde_json::from_str(&line).unwrap();
        let response = client.post(format!("{url}/score-lead")).json(&lead).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let mut served: Value = response.json().await.unwrap();
        assert_eq!((&served["model_version"], &served["fell_back"]), (&json!("v77"), &json!(false)), "{served}");
        served.as_object_mut().unwrap().remove("fell_back");
        // What the service adds from the version's manifest (labels, values
        // in words, the base rate, data notes): the CLI scores the bare
        // component, so the two agree on what the component computes.
        without_presentation(&mut served);
        let leads = dir.path().join("lead.jsonl");
        std::fs::write(&leads, format!("{line}\n")).unwrap();
        let by_cli: Value =
            serde_json::from_str(&cli(&["score", "--model", wasm.to_str().unwrap(), leads.to_str().unwrap()])).unwrap();
        assert_eq!(served, by_cli, "lead {n}: the service's v77 and the CLI-built component agree");
    }

    // Through the pipeline (queue, worker, database) too.
    let lead: Value = serde_json::from_str(&common::sample_line("models/sample-leads.jsonl", 1)).unwrap();
    let body = json!({"lead_id": lead["id"], "context": lead});
    let response = client.post(format!("{url}/leads/score")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    let finished = common::finished(&client, &url, accepted["request_id"].as_str().unwrap()).await;
    assert_eq!(finished["status"], "SUCCESS", "{finished}");
    let stored = common::get_json(&client, &format!("{url}/leads/{}/score", lead["id"].as_str().unwrap())).await;
    assert_eq!(stored["model_version"], "v77", "{stored}");

    // The same source again: identical, already installed.
    let (status, again) = post(&url, source.form()).await;
    assert_eq!((status, &again["sha256"], &again["state"]), (200, &model["sha256"], &json!("active")), "{again}");
    // Another build of v77 is not v77.
    let mut other = v12_as("v77");
    other.features = other.features.replace("hot = 80", "hot = 85");
    let (status, body) = post(&url, other.form()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("version_conflict")), "{body}");
    assert_eq!(versions(&common::get_json(&client, &format!("{url}/models")).await), ["v12", "v77"]);
}

async fn sources_that_do_not_load_and_malformed_forms_are_refused_and_change_nothing(backend: Backend) {
    let (url, store) = spawn_app(backend).await;
    let client = common::operator();
    let before = common::get_json(&client, &format!("{url}/models")).await;
    let stored = || {
        let mut names: Vec<String> = std::fs::read_dir(store.path().join("store"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into())
            .collect();
        names.sort();
        names
    };
    let stored_before = stored();
    let good = v12_as("v78");

    // Sources that do not load: a 422 naming the file.
    let mut syntax = good.clone();
    syntax.features = syntax.features.replacen("[model]", "[model", 1);
    let mut disagrees = good.clone();
    disagrees.features = disagrees.features.replacen("name = \"employees\"", "name = \"headcount\"", 1);
    let mut numeric = good.clone();
    let categories = "categories = [\"software\", \"finance\", \"healthcare\", \"retail\", \"manufacturing\", \"education\", \"government\"]\n";
    assert!(numeric.features.contains(categories));
    numeric.features = numeric.features.replacen(categories, "", 1);
    // XGBoost 3.1+ saved the category names, in an order features.toml does not list.
    let other_order = common::workspace().join("guest-model/tests/fixtures/field-cases/category-order");
    let other_order = Form::new()
        .part("model", Part::bytes(std::fs::read(other_order.join("model.json")).unwrap()).file_name("model.json"))
        .part("features", Part::bytes(std::fs::read(other_order.join("features.toml")).unwrap()));
    let mut calibration = good.clone();
    calibration.calibration = Some("{\"method\": ".into());
    let mut reference = good.clone();
    reference.reference = Some("{\"rows\": 1, \"features\": [{\"name\": \"shoe_size\"}]}".into());
    let good_but_not_utf8 = Form::new()
        .part("model", Part::bytes(good.model.clone()).file_name("model.json"))
        .part("features", Part::bytes(vec![b'#', 0xff, b'\n']).file_name("features.toml"));
    let garbage_ubj = Form::new()
        .part("model", Part::bytes(b"{not a model".to_vec()).file_name("model.ubj"))
        .part("features", Part::text(good.features.clone()).file_name("features.toml"));
    let unnamed =
        Form::new().part("model", Part::bytes(b"[]".to_vec())).part("features", Part::text(good.features.clone()));
    let cases = [
        (syntax.form(), "invalid_model", "features.toml:"),
        (disagrees.form(), "invalid_model", "features.toml:"),
        (numeric.form(), "invalid_model", "features.toml: feature 2 (industry) is numeric here but categorical"),
        (other_order, "invalid_model", "features.toml: feature 0 (industry): features.toml lists the categories"),
        (calibration.form(), "invalid_model", "calibration.json:"),
        (reference.form(), "invalid_model", "reference.json:"),
        (good_but_not_utf8, "invalid_model", "features.toml: not UTF-8"),
        (garbage_ubj, "invalid_model", "model.ubj:"),
        (unnamed, "invalid_model", "model:"),
    ];
    for (form, code, starts) in cases {
        let (status, body) = post(&url, form).await;
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some(code)), "{starts} {body}");
        assert!(message.starts_with(starts), "{starts}: {message}");
    }

    // Malformed forms: a 400 naming the field.
    let wasm = || Part::bytes(b"\0asm".to_vec()).file_name("component.wasm");
    let features = || Part::text(good.features.clone()).file_name("features.toml");
    let model = || Part::bytes(good.model.clone()).file_name("model.json");
    let cases = [
        (Form::new().part("component", wasm()).part("features", features()), "`features`"),
        (Form::new().part("features", features()).part("component", wasm()), "`component`"),
        (Form::new().part("model", model()).text("manifest", "{}"), "`manifest`"),
        (Form::new().part("features", features()), "`model`"),
        (Form::new().part("model", model()), "`features`"),
        (
            Form::new().part("model", model()).part("features", features()).part("features", features()),
            "`features` appears twice",
        ),
        (Form::new().part("model", model()).part("rules", Part::text("")), "`rules`"),
        (Form::new().part("model", model()).part("features", features()).text("notes", "hi"), "\"notes\""),
    ];
    for (form, says) in cases {
        let (status, body) = post(&url, form).await;
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_upload")), "{says}: {body}");
        assert!(message.contains(says), "{says}: {message}");
    }

    // Only the operator installs, sources too. (A small form: the refusal
    // comes before the body is read, and a large one might still be sending.)
    let small = Form::new()
        .part("model", Part::bytes(b"{}".to_vec()).file_name("model.json"))
        .part("features", Part::text("[model]").file_name("features.toml"));
    let response = common::client_as("acme").post(format!("{url}/models")).multipart(small).send().await.unwrap();
    assert_eq!(response.status(), 403);

    assert_eq!(common::get_json(&client, &format!("{url}/models")).await, before, "GET /models is unchanged");
    assert_eq!(stored(), stored_before, "nothing was written to the store");
}

/// XGBoost ≥ 2.1 saves UBJSON by default: uploaded as XGBoost wrote it, it
/// builds into the component the CLI builds from it.
async fn a_ubjson_model_is_built_as_the_cli_builds_it(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let fixture = common::workspace().join("guest-model/tests/fixtures/xgboost-versions/3.2.0");
    let (model, features) =
        (std::fs::read(fixture.join("model.ubj")).unwrap(), std::fs::read(fixture.join("features.toml")).unwrap());
    let form = || {
        Form::new()
            .part("model", Part::bytes(model.clone()).file_name("model.ubj"))
            .part("features", Part::bytes(features.clone()).file_name("features.toml"))
    };
    let (status, installed) = post(&url, form()).await;
    assert_eq!(
        (status, &installed["name"], &installed["version"]),
        (201, &json!("xgboost-3.2.0"), &json!("boosted")),
        "{installed}"
    );

    let (dir, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(dir.path().join("model.ubj"), &model).unwrap();
    std::fs::write(dir.path().join("features.toml"), &features).unwrap();
    cli(&["model", "build", dir.path().to_str().unwrap(), "--out", out.path().to_str().unwrap()]);
    let manifest = std::fs::read_to_string(out.path().join("xgboost-3.2.0-boosted.manifest.json")).unwrap();
    assert_eq!(installed["sha256"], serde_json::from_str::<Value>(&manifest).unwrap()["sha256"]);
    assert_eq!(post(&url, form()).await.0, 200);
}

/// `score` without what the service adds from the manifest.
fn without_presentation(score: &mut Value) {
    let score = score.as_object_mut().unwrap();
    for key in ["base_rate", "vs_base_rate", "notes"] {
        score.remove(key);
    }
    for c in score.get_mut("contributions").and_then(Value::as_array_mut).into_iter().flatten() {
        let c = c.as_object_mut().unwrap();
        for key in ["label", "display", "field"] {
            c.remove(key);
        }
    }
}
