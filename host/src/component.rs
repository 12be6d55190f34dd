//! Loading a scorer component into wasmtime and calling it. Every call gets
//! a fresh instance: nothing is carried from one call to the next.

use std::path::Path;

use anyhow::{Context, Result};
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};

use crate::bindings::{Lead, ModelInfo, ScoreError, ScoredLead, Scorer, ScorerPre};

/// A compiled scorer component, ready to instantiate.
pub struct ScorerComponent {
    engine: Engine,
    pre: ScorerPre<()>,
    imports: Vec<String>,
}

impl ScorerComponent {
    /// Compiles the component at `path` and checks it exports the `scorer` world.
    pub fn load(path: &Path) -> Result<ScorerComponent> {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Self::from_bytes(&bytes).with_context(|| format!("{} is not a usable scorer component", path.display()))
    }

    /// Compiles a component from its bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<ScorerComponent> {
        let engine = Engine::default();
        let component = Component::new(&engine, bytes)?;
        let imports = component.component_type().imports(&engine).map(|(name, _)| name.to_string()).collect();
        let mut linker = Linker::new(&engine);
        // Whatever WASI interfaces Rust's std links in are satisfied with
        // traps: the scorer never calls them, and if it did it would get nothing.
        linker.define_unknown_imports_as_traps(&component)?;
        let pre = ScorerPre::new(linker.instantiate_pre(&component)?)?;
        Ok(ScorerComponent { engine, pre, imports })
    }

    /// The interfaces the component imports.
    pub fn imports(&self) -> &[String] {
        &self.imports
    }

    /// A fresh instance in its own store.
    pub fn instantiate(&self) -> Result<(Store<()>, Scorer)> {
        let mut store = Store::new(&self.engine, ());
        let scorer = self.pre.instantiate(&mut store)?;
        Ok((store, scorer))
    }

    /// What the component says about its model.
    pub fn model_info(&self) -> Result<ModelInfo> {
        let (mut store, scorer) = self.instantiate()?;
        Ok(scorer.call_model_info(&mut store)?)
    }

    /// Scores a batch of leads in one fresh instance.
    pub fn score(&self, leads: &[Lead]) -> Result<Vec<Result<ScoredLead, ScoreError>>> {
        let (mut store, scorer) = self.instantiate()?;
        Ok(scorer.call_score(&mut store, leads)?)
    }
}
