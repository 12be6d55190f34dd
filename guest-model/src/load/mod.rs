//! Loading a model directory and lead JSON (native only: the component gets
//! baked tables and typed leads).

pub mod bake;
pub mod lead_json;
pub mod rules;
pub mod spec;
pub mod xgboost;

use std::path::{Path, PathBuf};

use crate::features::Source;
use crate::model::{Calibration, Model, ModelInfo};
use crate::shap::Explainer;

/// A model directory could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", file.display())]
pub struct LoadError {
    /// The file at fault.
    pub file: PathBuf,
    /// What is wrong with it.
    pub message: String,
}

/// Loads `<dir>/model.json` (or, for a points-per-rule model,
/// `<dir>/rules.toml`), `<dir>/features.toml` and the optional
/// `<dir>/calibration.json`, and checks that they agree.
pub fn model_dir(dir: &Path) -> Result<Model, LoadError> {
    let read = |name: &str| {
        let file = dir.join(name);
        std::fs::read_to_string(&file).map_err(|e| LoadError { message: format!("cannot read: {e}"), file })
    };
    let error = |name: &str| {
        let file = dir.join(name);
        move |message: String| LoadError { file, message }
    };
    let spec = spec::parse_spec(&read("features.toml")?).map_err(error("features.toml"))?;
    let xgb = if !dir.join("model.json").exists() && dir.join("rules.toml").exists() {
        rules::parse(&read("rules.toml")?, &spec).map_err(error("rules.toml"))?
    } else {
        xgboost::parse(&read("model.json")?).map_err(error("model.json"))?
    };
    check_agreement(&spec, &xgb).map_err(error("features.toml"))?;
    let link = match (xgb.implied_link, spec.link) {
        (Some(implied), Some(declared)) if implied != declared => {
            return Err(error("features.toml")(format!(
                "link = {:?} disagrees with the model's objective {} (which implies {:?})",
                declared.name(),
                xgb.objective,
                implied.name()
            )));
        }
        (Some(link), _) | (None, Some(link)) => link,
        (None, None) => {
            return Err(error("features.toml")(format!(
                "the model's objective is {} (how XGBoost saves a custom objective): declare link = \"logistic\" or \"identity\" under [model]",
                xgb.objective
            )));
        }
    };
    let calibration = match dir.join("calibration.json").exists() {
        true => {
            spec::parse_calibration(&read("calibration.json")?, &spec.features).map_err(error("calibration.json"))?
        }
        false => Calibration::default(),
    };
    Ok(Model {
        info: ModelInfo { name: spec.name.into(), version: spec.version.into(), objective: xgb.objective.into(), link },
        explainer: Explainer::new(xgb.ensemble),
        features: spec.features.into(),
        bands: spec.bands,
        calibration,
    })
}

/// The spec must describe exactly the model's columns.
fn check_agreement(spec: &spec::Spec, xgb: &xgboost::XgbModel) -> Result<(), String> {
    let columns = xgb.ensemble.num_features as usize;
    if spec.features.len() != columns {
        return Err(format!("declares {} features but the model has {columns}", spec.features.len()));
    }
    for (i, def) in spec.features.iter().enumerate() {
        if let Some(name) = xgb.feature_names.get(i)
            && name != def.name.as_ref()
        {
            return Err(format!("feature {i} is {:?} but the model calls column {i} {name:?}", def.name));
        }
        let categorical = matches!(def.source, Source::Category { .. });
        if let Some(kind) = xgb.feature_types.get(i)
            && (kind == "c") != categorical
        {
            let (model_says, spec_says) =
                if categorical { ("numeric", "categorical") } else { ("categorical", "numeric") };
            return Err(format!("feature {i} ({}) is {spec_says} here but {model_says} in the model", def.name));
        }
    }
    Ok(())
}
