//! Helpers for the end-to-end tests: where the `leadscore` binary, the
//! Python venv and the repository are, and running them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ lives in the repository").to_path_buf()
}

/// The release `leadscore` binary (`make test` builds it first), or `LEADSCORE_BIN`.
pub fn leadscore_bin() -> PathBuf {
    let path = std::env::var_os("LEADSCORE_BIN").map(PathBuf::from).unwrap_or_else(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo_root().join("target"), PathBuf::from);
        target.join("release/leadscore")
    });
    assert!(
        path.exists(),
        "{} is missing: run `make test` (or `cargo build --release -p leadscore`) first",
        path.display()
    );
    path
}

/// The venv's Python with the pinned XGBoost (`make test` creates it), or `LEADSCORE_PYTHON`.
pub fn python() -> PathBuf {
    let path =
        std::env::var_os("LEADSCORE_PYTHON").map(PathBuf::from).unwrap_or_else(|| repo_root().join(".venv/bin/python"));
    assert!(path.exists(), "{} is missing: run `make test` first (it creates the venv)", path.display());
    path
}

/// Runs `leadscore` with `args`.
pub fn leadscore(args: &[&str]) -> Output {
    Command::new(leadscore_bin()).args(args).output().expect("leadscore runs")
}

/// Runs `leadscore` and insists it succeeds; returns its standard output.
pub fn leadscore_ok(args: &[&str]) -> String {
    let out = leadscore(args);
    assert!(out.status.success(), "leadscore {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Runs a Python script of the repository with the venv's Python.
pub fn run_python(script: &str, args: &[&str]) {
    let out = Command::new(python()).arg(repo_root().join(script)).args(args).output().expect("python runs");
    assert!(
        out.status.success(),
        "{script} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Builds a model directory into a component with the CLI; returns the wasm path.
pub fn build_component(model_dir: &Path, out: &Path) -> PathBuf {
    let printed = leadscore_ok(&["model", "build", model_dir.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    PathBuf::from(printed.lines().next().expect("model build prints the wasm path"))
}
