//! The component embeds one model: `leadscore model build` bakes it into Rust
//! source and points LEADSCORE_MODEL_SOURCE at that file. Native builds (the
//! library, its tests and benches) embed nothing.

use std::{env, fs, path::PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=LEADSCORE_MODEL_SOURCE");
    if env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("wasm32") {
        return;
    }
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("model.rs");
    let source = match env::var("LEADSCORE_MODEL_SOURCE") {
        Ok(path) => {
            println!("cargo:rerun-if-changed={path}");
            fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read LEADSCORE_MODEL_SOURCE={path}: {e}"))
        }
        Err(_) => "compile_error!(\"the component embeds a model: build it with `leadscore model build <model-dir> --out <dir>`\");".into(),
    };
    fs::write(&out, source).expect("OUT_DIR is writable");
}
