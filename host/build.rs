//! Builds the scorer template — the `guest-model` crate as a
//! `wasm32-wasip2` component — so that `src/runtime/template.rs` can embed
//! it: the `leadscore` binary then builds model components with no Rust
//! toolchain and no source tree.
//!
//! Cargo cannot depend on a crate built for another target, so this runs a
//! second cargo (the pattern of wasmtime's own test artifacts) with a target
//! directory of its own: the outer build holds the lock on the usual one.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir.parent().expect("host/ sits in the workspace").to_path_buf();
    for input in ["guest-model/src", "guest-model/Cargo.toml", "wit", "Cargo.lock", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", workspace.join(input).display());
    }
    // `sqlx::migrate!` embeds the migrations: a changed one must rebuild the crate.
    println!("cargo:rerun-if-changed={}", manifest_dir.join("migrations").display());
    let target_dir =
        env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), PathBuf::from).join("scorer-template");

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&workspace)
        .args(["build", "--quiet", "-p", "guest-model", "--lib", "--target", "wasm32-wasip2"])
        .args(["--profile", "component"])
        .env("CARGO_TARGET_DIR", &target_dir);
    // What the outer build sets for its own target must not reach the wasm
    // build: flags for the host CPU, clippy as the compiler, coverage.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_RUSTFLAGS",
        "CLIPPY_ARGS",
    ] {
        command.env_remove(var);
    }
    let status = command.status().expect("cannot run cargo to build the scorer template");
    assert!(
        status.success(),
        "building the scorer template (guest-model for wasm32-wasip2) failed; is the target installed? \
         `rustup target add wasm32-wasip2`"
    );
    let built = target_dir.join("wasm32-wasip2/component/guest_model.wasm");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("scorer-template.wasm");
    std::fs::copy(&built, &out).unwrap_or_else(|e| panic!("cannot copy {} to {}: {e}", built.display(), out.display()));
}
