//! The model store: installed components and their manifests, one directory
//! per version (`<store>/<name>-<version>/{component.wasm, manifest.json}`).
//! Nothing enters it unchecked; an installed version never changes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::component::{Runtime, ScorerComponent};
use super::manifest::Manifest;
use super::presentation::Presentation;

/// Why a component was not installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The manifest is missing or malformed.
    #[error("manifest: {0}")]
    Manifest(String),
    /// The bytes are not the ones the manifest describes.
    #[error("sha256 mismatch: the manifest says {expected}, the component is {actual}")]
    Sha256 {
        /// From the manifest.
        expected: String,
        /// Of the bytes.
        actual: String,
    },
    /// Not a scorer component, or it imports what it must not.
    #[error("not an acceptable scorer component: {0:#}")]
    Component(anyhow::Error),
    /// The component describes itself differently from its manifest.
    #[error("the component's model-info disagrees with the manifest: {}", .0.join("; "))]
    Disagrees(Vec<String>),
    /// The component does not reproduce the manifest's golden results.
    #[error("self-test failed: {0:#}")]
    SelfTest(anyhow::Error),
    /// This version is installed already, with other bytes.
    #[error("{version} is already installed with sha256 {installed}: versions never change, build a new version")]
    Conflict {
        /// The version.
        version: String,
        /// The sha256 of what is installed.
        installed: String,
    },
    /// This version is installed already, with these bytes but another
    /// manifest (its golden leads, bands or features say something else).
    #[error(
        "{version} is already installed with this component but another manifest ({fields} differ): versions never change, build a new version"
    )]
    ManifestConflict {
        /// The version.
        version: String,
        /// The top-level manifest fields that differ.
        fields: String,
    },
    /// The store could not be written.
    #[error("model store: {0}")]
    Io(#[from] std::io::Error),
}

/// A model store on disk.
pub struct ModelStore {
    dir: PathBuf,
    runtime: Arc<Runtime>,
}

/// An installed version.
pub struct Installed {
    /// Its manifest.
    pub manifest: Manifest,
    /// Where its files are.
    pub dir: PathBuf,
    /// Whether this call installed it (false: it was already there, identical).
    pub new: bool,
    /// The checked component, compiled and ready to score.
    pub component: ScorerComponent,
}

impl ModelStore {
    /// Opens (or creates) the store in `dir`; components are checked in `runtime`.
    pub fn open(dir: &Path, runtime: Arc<Runtime>) -> Result<ModelStore, InstallError> {
        std::fs::create_dir_all(dir)?;
        Ok(ModelStore { dir: dir.to_path_buf(), runtime })
    }

    /// Checks a component against its manifest and installs it: sha256,
    /// world and imports, model-info, golden self-test.
    pub fn install(&self, wasm: &[u8], manifest_json: &str) -> Result<Installed, InstallError> {
        let manifest: Manifest =
            serde_json::from_str(manifest_json).map_err(|e| InstallError::Manifest(e.to_string()))?;
        if manifest.golden.is_empty() {
            return Err(InstallError::Manifest(
                "no golden leads to self-test with: rebuild with `leadscore model build`".into(),
            ));
        }
        let actual = hex::encode(Sha256::digest(wasm));
        if actual != manifest.sha256 {
            return Err(InstallError::Sha256 { expected: manifest.sha256, actual });
        }
        let dir = self.dir.join(format!("{}-{}", manifest.name, manifest.version));
        if let Ok(installed) = self.manifest_at(&dir) {
            if installed.sha256 == actual {
                let differ = manifest_differences(&dir, manifest_json)?;
                if !differ.is_empty() {
                    return Err(InstallError::ManifestConflict {
                        version: manifest.version,
                        fields: differ.join(", "),
                    });
                }
                let component = self.load(wasm, &installed)?;
                return Ok(Installed { manifest: installed, dir, new: false, component });
            }
            return Err(InstallError::Conflict { version: manifest.version, installed: installed.sha256 });
        }
        let component = self.load(wasm, &manifest)?;
        let differences = disagreements(&component, &manifest)?;
        if !differences.is_empty() {
            return Err(InstallError::Disagrees(differences));
        }
        component.self_test(&manifest.golden).map_err(InstallError::SelfTest)?;
        // Written beside the final place, then renamed: a version appears whole or not at all.
        let staging = self.dir.join(format!(".{}-{}.installing", manifest.name, manifest.version));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging)?;
        std::fs::write(staging.join("component.wasm"), wasm)?;
        std::fs::write(staging.join("manifest.json"), manifest_json)?;
        std::fs::rename(&staging, &dir)?;
        Ok(Installed { manifest, dir, new: true, component })
    }

    /// Every installed version, loaded (from the compiled-code cache when warm).
    pub fn load_all(&self) -> Result<Vec<(Manifest, ScorerComponent)>, InstallError> {
        let mut loaded = Vec::new();
        for manifest in self.list()? {
            let dir = self.dir.join(format!("{}-{}", manifest.name, manifest.version));
            let wasm = std::fs::read(dir.join("component.wasm"))?;
            let component = self.load(&wasm, &manifest)?;
            loaded.push((manifest, component));
        }
        Ok(loaded)
    }

    /// Every installed version's manifest, by directory name.
    pub fn list(&self) -> Result<Vec<Manifest>, InstallError> {
        let mut manifests = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let path = entry?.path();
            let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if path.is_dir() && !hidden {
                manifests.push(self.manifest_at(&path)?);
            }
        }
        manifests.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        Ok(manifests)
    }

    /// Loads a component with what its manifest adds to its answers.
    fn load(&self, wasm: &[u8], manifest: &Manifest) -> Result<ScorerComponent, InstallError> {
        let mut component = self.runtime.load(wasm).map_err(InstallError::Component)?;
        component.presentation = Arc::new(Presentation::of(manifest));
        Ok(component)
    }

    fn manifest_at(&self, dir: &Path) -> Result<Manifest, InstallError> {
        let text = std::fs::read_to_string(dir.join("manifest.json"))?;
        serde_json::from_str(&text).map_err(|e| InstallError::Manifest(format!("{}: {e}", dir.display())))
    }
}

/// The top-level fields in which `uploaded` differs from the manifest
/// installed in `dir`, leaving out `built_at` (a rebuild of the same model
/// gives the same bytes at another time: that is the same version).
fn manifest_differences(dir: &Path, uploaded: &str) -> Result<Vec<String>, InstallError> {
    let read = |text: &str, what: &str| {
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
            .map_err(|e| InstallError::Manifest(format!("{what}: {e}")))
    };
    let installed = read(&std::fs::read_to_string(dir.join("manifest.json"))?, "installed manifest")?;
    let uploaded = read(uploaded, "manifest")?;
    let mut fields: Vec<String> = installed
        .keys()
        .chain(uploaded.keys())
        .filter(|k| *k != "built_at" && !same_json(installed.get(*k), uploaded.get(*k)))
        .cloned()
        .collect();
    fields.sort();
    fields.dedup();
    Ok(fields)
}

/// Whether two JSON values say the same, numbers compared by value (`42.0`
/// and `42` are one number: a tool that reformats a manifest, such as `jq`,
/// changes how numbers are written, not what they are).
fn same_json(a: Option<&serde_json::Value>, b: Option<&serde_json::Value>) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x.as_f64() == y.as_f64(),
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(Some(x), Some(y)))
        }
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            x.len() == y.len() && x.iter().all(|(k, v)| same_json(Some(v), y.get(k)))
        }
        (a, b) => a == b,
    }
}

/// Where the component's own description differs from its manifest.
fn disagreements(component: &ScorerComponent, manifest: &Manifest) -> Result<Vec<String>, InstallError> {
    let info = component.model_info().map_err(|e| InstallError::Component(e.into()))?;
    let mut differences = Vec::new();
    let mut compare = |what: &str, component: String, manifest: String| {
        if component != manifest {
            differences.push(format!("{what}: component {component:?}, manifest {manifest:?}"));
        }
    };
    compare("name", info.name, manifest.name.clone());
    compare("version", info.version, manifest.version.clone());
    compare("objective", info.objective, manifest.objective.clone());
    compare("link", guest_model::tree::Link::from(info.link).name().into(), manifest.link.clone());
    compare("trees", info.num_trees.to_string(), manifest.num_trees.to_string());
    compare(
        "bands",
        format!("{}/{}", info.bands.hot, info.bands.cold),
        format!("{}/{}", manifest.bands.hot, manifest.bands.cold),
    );
    let names = |f: Vec<String>| f.join(", ");
    compare(
        "features",
        names(info.features.into_iter().map(|f| f.name).collect()),
        names(manifest.features.iter().map(|f| f.name.clone()).collect()),
    );
    Ok(differences)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::same_json;

    #[test]
    fn manifests_compare_numbers_by_value_not_by_how_they_are_written() {
        let written = json!({"golden": [{"margin": 42.0, "final_score": 7}], "bands": {"hot": 80}});
        let reformatted: serde_json::Value =
            serde_json::from_str(r#"{"golden": [{"margin": 42, "final_score": 7.0}], "bands": {"hot": 80}}"#).unwrap();
        assert!(same_json(Some(&written), Some(&reformatted)));
        let changed = json!({"golden": [{"margin": 42.5, "final_score": 7}], "bands": {"hot": 80}});
        assert!(!same_json(Some(&written), Some(&changed)));
        assert!(!same_json(Some(&json!({"a": 1})), Some(&json!({"b": 1}))));
        assert!(!same_json(Some(&json!([1])), None));
    }
}
