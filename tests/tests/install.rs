//! `leadscore model install`: only a component that is what its manifest
//! says, and does what its golden leads say, enters the model store.

use std::path::Path;

use leadscore_tests::{build_component, leadscore, leadscore_ok, repo_root};
use serde_json::Value;

fn install(wasm: &Path, manifest: &Path, store: &Path) -> Result<String, String> {
    let out = leadscore(&[
        "model",
        "install",
        wasm.to_str().unwrap(),
        manifest.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
    ]);
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout).to_string(), String::from_utf8_lossy(&out.stderr).to_string());
    if out.status.success() { Ok(stdout) } else { Err(stderr) }
}

fn manifest_of(wasm: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(wasm.with_extension("manifest.json")).unwrap()).unwrap()
}

/// Writes a changed copy of a manifest; returns its path.
fn edited(wasm: &Path, dir: &Path, name: &str, edit: impl FnOnce(&mut Value)) -> std::path::PathBuf {
    let mut manifest = manifest_of(wasm);
    edit(&mut manifest);
    let path = dir.join(name);
    std::fs::write(&path, manifest.to_string()).unwrap();
    path
}

#[test]
fn checked_components_are_installed_once_and_liars_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let (built, store) = (work.path().join("built"), work.path().join("store"));
    let v12 = build_component(&repo_root().join("models/v12"), &built);
    let rules = build_component(&repo_root().join("models/rules-v1"), &built);
    assert_eq!(manifest_of(&v12)["golden"].as_array().unwrap().len(), 8, "build records golden leads");

    let said = install(&v12, &v12.with_extension("manifest.json"), &store).unwrap();
    assert!(said.contains("lead-scorer-v12 installed"), "{said}");
    install(&rules, &rules.with_extension("manifest.json"), &store).unwrap();
    let said = install(&v12, &v12.with_extension("manifest.json"), &store).unwrap();
    assert!(said.contains("already installed (identical)"), "{said}");
    let listed = leadscore_ok(&["model", "list", "--store", store.to_str().unwrap()]);
    assert!(listed.contains("lead-scorer-rules-v1") && listed.contains("lead-scorer-v12"), "{listed}");

    // Bytes that are not the ones the manifest describes.
    let mut bytes = std::fs::read(&v12).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    let tampered = work.path().join("tampered.wasm");
    std::fs::write(&tampered, &bytes).unwrap();
    let error = install(&tampered, &v12.with_extension("manifest.json"), &store).unwrap_err();
    assert!(error.contains("sha256 mismatch"), "{error}");

    // A manifest that claims another version than the component is.
    let v13 = edited(&v12, work.path(), "v13.json", |m| m["version"] = "v13".into());
    let error = install(&v12, &v13, &store).unwrap_err();
    assert!(error.contains("disagrees with the manifest") && error.contains("version"), "{error}");

    // Golden results the component does not reproduce.
    let wrong_golden = edited(&v12, work.path(), "golden.json", |m| {
        let margin = m["golden"][0]["margin"].as_f64().unwrap();
        m["golden"][0]["margin"] = (margin + 0.5).into();
    });
    let fresh_store = work.path().join("store2");
    let error = install(&v12, &wrong_golden, &fresh_store).unwrap_err();
    assert!(error.contains("self-test failed") && error.contains("golden lead"), "{error}");

    // An installed version never changes: other bytes under the same version are refused.
    let conflict = edited(&rules, work.path(), "conflict.json", |m| m["version"] = "v12".into());
    let error = install(&rules, &conflict, &store).unwrap_err();
    assert!(error.contains("already installed with sha256"), "{error}");
}
