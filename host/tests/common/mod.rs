//! Shared by the host's integration tests: where the repository is, built
//! model components, sample leads.
#![allow(dead_code)] // each test binary uses a different part

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use leadscore::bindings::Lead;

/// The repository root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds `models/<version>` into `out` (component and manifest).
pub fn build_into(version: &str, out: &Path) -> leadscore::model_build::Built {
    leadscore::model_build::build(&workspace().join("models").join(version), out, &workspace()).unwrap()
}

/// The component of `models/<version>`, built once per test binary.
pub fn component_bytes(version: &str) -> Vec<u8> {
    static BUILT: OnceLock<Mutex<HashMap<String, Vec<u8>>>> = OnceLock::new();
    let mut built = BUILT.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    built
        .entry(version.to_string())
        .or_insert_with(|| {
            let out = tempfile::tempdir().unwrap();
            std::fs::read(build_into(version, out.path()).wasm).unwrap()
        })
        .clone()
}

/// Line `n` of a sample-leads file (`models/sample-leads.jsonl` or the demo's).
pub fn sample_line(file: &str, n: usize) -> String {
    let text = std::fs::read_to_string(workspace().join(file)).unwrap();
    text.lines().nth(n).unwrap().to_string()
}

/// `copies` leads cycling through a sample-leads file.
pub fn sample_leads(file: &str, copies: usize) -> Vec<Lead> {
    let text = std::fs::read_to_string(workspace().join(file)).unwrap();
    let leads: Vec<Lead> = text.lines().map(|l| leadscore::leads::parse(l).unwrap()).collect();
    leads.iter().cycle().take(copies).cloned().collect()
}
