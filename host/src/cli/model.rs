//! `leadscore model build | install | list`: model directories into
//! components, components into a model store.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use leadscore::runtime::component::{Runtime, RuntimeConfig};
use leadscore::runtime::store::ModelStore;
use leadscore::tools::model_build;

/// Model components: build them from model directories.
#[derive(Subcommand)]
pub enum Command {
    /// Build `<model-dir>` (model.json or model.ubj, features.toml, calibration.json) into a
    /// component and its manifest, from the scorer template in this binary
    /// (no Rust toolchain needed).
    Build {
        /// Directory holding model.json or model.ubj (as XGBoost saved it), features.toml and optionally calibration.json.
        model_dir: PathBuf,
        /// Where to write `<name>-<version>.wasm` and `<name>-<version>.manifest.json`.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a built component against its manifest (sha256, world, model-info,
    /// golden self-test) and install it into a model store.
    Install {
        /// The component.
        wasm: PathBuf,
        /// Its manifest (written by `model build`).
        manifest: PathBuf,
        /// The model store.
        #[arg(long, env = "LEADSCORE_STORE")]
        store: PathBuf,
    },
    /// List the versions installed in a model store.
    List {
        /// The model store.
        #[arg(long, env = "LEADSCORE_STORE")]
        store: PathBuf,
    },
}

/// Runs the model subcommand.
pub fn run(command: Command) -> Result<()> {
    match command {
        Command::Build { model_dir, out } => {
            let built = model_build::build(&model_dir, &out)?;
            println!("{}", built.wasm.display());
            println!("{}", built.manifest.display());
        }
        Command::Install { wasm, manifest, store } => {
            let store = ModelStore::open(&store, Runtime::new(RuntimeConfig::default())?)?;
            let bytes = std::fs::read(&wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
            let text =
                std::fs::read_to_string(&manifest).with_context(|| format!("cannot read {}", manifest.display()))?;
            let installed = store.install(&bytes, &text)?;
            let verb = if installed.new { "installed" } else { "already installed (identical)" };
            let m = &installed.manifest;
            println!("{}-{} {verb} in {}", m.name, m.version, installed.dir.display());
        }
        Command::List { store } => {
            let store = ModelStore::open(&store, Runtime::new(RuntimeConfig::default())?)?;
            for m in store.list()? {
                println!("{}-{}\t{}\t{} trees\tbuilt {}", m.name, m.version, m.sha256, m.num_trees, m.built_at);
            }
        }
    }
    Ok(())
}
