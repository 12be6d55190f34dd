//! Loading a model directory and lead JSON (native only: the component gets
//! decoded [`crate::tables`] and typed leads).

pub mod lead_json;
pub mod rules;
pub mod saved_categories;
pub mod spec;
pub mod ubjson;
pub mod wording;
pub mod xgboost;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use crate::features::{FeatureDef, Source};
use crate::model::{Calibration, Model, ModelInfo};
use crate::shap::Explainer;
use crate::tree::TreeRule;
use spec::CategoryCodes;

/// A model (a directory, or files in memory) could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", file.display())]
pub struct LoadError {
    /// The file at fault.
    pub file: PathBuf,
    /// What is wrong with it.
    pub message: String,
}

/// Choices a caller can make over what `features.toml` says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Overrides `[model] trees`: which saved trees to score with after
    /// early stopping. The choice made is in `model.ensemble().selection`.
    pub trees: Option<TreeRule>,
}

/// A model's files, read already: what [`model_files`] loads, from a
/// directory ([`model_dir`]) or from memory (an upload).
#[derive(Clone, Copy, Debug)]
pub struct ModelFiles<'a> {
    /// The trees.
    pub model: ModelFile<'a>,
    /// `features.toml`.
    pub features: &'a str,
    /// `calibration.json`, if there is one.
    pub calibration: Option<&'a str>,
}

/// The file holding a model's trees.
#[derive(Clone, Copy, Debug)]
pub enum ModelFile<'a> {
    /// An XGBoost model file, JSON or UBJSON (told apart by its bytes, see
    /// [`xgboost::parse_bytes`]); `name` is what errors call it
    /// (`model.json`, `model.ubj`, an upload's file name).
    Xgboost {
        /// What errors call the file.
        name: &'a str,
        /// Its contents.
        bytes: &'a [u8],
    },
    /// A points-per-rule model (`rules.toml`).
    Rules(&'a str),
}

/// The names an XGBoost model file may have in a model directory.
pub const XGBOOST_FILE_NAMES: [&str; 2] = ["model.json", "model.ubj"];

/// Loads a model directory: the XGBoost model `<dir>/model.json` or
/// `<dir>/model.ubj` (exactly one of them; or, for a points-per-rule model,
/// `<dir>/rules.toml`), `<dir>/features.toml` and the optional
/// `<dir>/calibration.json`, and checks that they agree. Errors name the
/// file at fault (the directory itself when the model file is missing or
/// there are two).
pub fn model_dir(dir: &Path) -> Result<Model, LoadError> {
    model_dir_with(dir, LoadOptions::default())
}

/// [`model_dir`] with options.
pub fn model_dir_with(dir: &Path, options: LoadOptions) -> Result<Model, LoadError> {
    let read = |name: &str| {
        let file = dir.join(name);
        std::fs::read(&file).map_err(|e| LoadError { message: format!("cannot read: {e}"), file })
    };
    let text = |name: &str| {
        let bytes = read(name)?;
        String::from_utf8(bytes).map_err(|e| LoadError {
            file: dir.join(name),
            message: format!("not UTF-8 text: invalid at byte {}", e.utf8_error().valid_up_to()),
        })
    };
    let present: Vec<&str> = XGBOOST_FILE_NAMES.into_iter().filter(|name| dir.join(name).exists()).collect();
    let (model_name, model_bytes, rules) = match present[..] {
        [name] => (name, read(name)?, None),
        [] if dir.join("rules.toml").exists() => ("rules.toml", Vec::new(), Some(text("rules.toml")?)),
        [] => {
            return Err(LoadError {
                file: dir.to_path_buf(),
                message: "has no model file: model.json or model.ubj (XGBoost), or rules.toml".into(),
            });
        }
        _ => {
            return Err(LoadError {
                file: dir.to_path_buf(),
                message: format!("has both {}: keep the one to load", present.join(" and ")),
            });
        }
    };
    let features = text("features.toml")?;
    let calibration = match dir.join("calibration.json").exists() {
        true => Some(text("calibration.json")?),
        false => None,
    };
    let model = match &rules {
        Some(rules) => ModelFile::Rules(rules),
        None => ModelFile::Xgboost { name: model_name, bytes: &model_bytes },
    };
    let files = ModelFiles { model, features: &features, calibration: calibration.as_deref() };
    model_files(files, options).map_err(|e| LoadError { file: dir.join(e.file), message: e.message })
}

/// Loads a model from its files' contents and checks that they agree.
/// Errors name the file at fault by its name alone (`features.toml`, the
/// model file's `name`, `rules.toml`, `calibration.json`).
pub fn model_files(files: ModelFiles<'_>, options: LoadOptions) -> Result<Model, LoadError> {
    let error = |name: &str| {
        let file = PathBuf::from(name);
        move |message: String| LoadError { file, message }
    };
    let mut spec = spec::parse_spec(files.features).map_err(error("features.toml"))?;
    let xgb = match files.model {
        ModelFile::Rules(rules) => rules::parse(rules, &spec).map_err(error("rules.toml"))?,
        ModelFile::Xgboost { name, bytes } => {
            let options = xgboost::ParseOptions { trees: options.trees.unwrap_or(spec.trees) };
            xgboost::parse_bytes(bytes, options).map_err(error(name))?
        }
    };
    check_agreement(&spec, &xgb).map_err(error("features.toml"))?;
    for (i, def) in spec.features.iter_mut().enumerate() {
        let saved = xgb.categories.get(i).and_then(Option::as_ref);
        adopt_model_categories(def, saved, spec.category_codes[i])
            .map_err(|e| error("features.toml")(format!("feature {i} ({}): {e}", def.name)))?;
    }
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
    let calibration = match files.calibration {
        Some(text) => spec::parse_calibration(text, &spec.features).map_err(error("calibration.json"))?,
        None => Calibration::default(),
    };
    Ok(Model {
        info: ModelInfo { name: spec.name.into(), version: spec.version.into(), objective: xgb.objective.into(), link },
        explainer: Explainer::new(xgb.ensemble),
        features: spec.features.into(),
        bands: spec.bands,
        calibration,
        reasons: spec.reasons,
    })
}

/// Checks a categorical feature's categories against the names the model
/// saved (XGBoost ≥ 3.1), which are the truth: with `as_listed` they must be
/// the same list in the same order; with `by_name` the feature takes the
/// model's list (so a lead's value gets the model's code for that name) and
/// every name `features.toml` lists must be in it. Names are compared under
/// the feature's `match` (trimmed, NFC, perhaps case-folded), and a model
/// whose names collide under it is refused.
fn adopt_model_categories(
    def: &mut FeatureDef,
    saved: Option<&xgboost::SavedCategories>,
    codes: CategoryCodes,
) -> Result<(), String> {
    let Source::Category { categories, keys, matching, .. } = &mut def.source else { return Ok(()) };
    let listed: Vec<&str> = categories.iter().map(|c| c.as_ref()).collect();
    let saved = match saved {
        Some(saved) if !saved.is_empty() => saved,
        _ if codes == CategoryCodes::ByName => {
            return Err(
                "category_codes = \"by_name\" needs the category names that XGBoost 3.1 and later save in model.json, and this model has none for this feature: list the categories in the order of the model's codes and drop category_codes".into()
            );
        }
        _ => return Ok(()),
    };
    let names = saved.names(&listed, *matching).map_err(|e| format!("{e}; features.toml lists {listed:?}"))?;
    let model_keys = spec::category_keys(&names, *matching).map_err(|e| format!("the model's names collide: {e}"))?;
    match codes {
        CategoryCodes::AsListed => {
            if model_keys.len() != keys.len() || model_keys.iter().zip(keys.iter()).any(|(m, k)| m != k) {
                return Err(format!(
                    "features.toml lists the categories {listed:?} but the model was trained with {names:?} (the names XGBoost saved in model.json, in code order): list them in the model's order, or set category_codes = \"by_name\" to code leads by name"
                ));
            }
        }
        CategoryCodes::ByName => {
            let known: std::collections::HashSet<&str> = model_keys.iter().map(String::as_str).collect();
            let unknown: Vec<&str> =
                listed.iter().zip(keys.iter()).filter(|(_, k)| !known.contains(k.as_ref())).map(|(l, _)| *l).collect();
            if !unknown.is_empty() {
                return Err(format!(
                    "features.toml lists {unknown:?}, which the model does not know: its categories are {names:?} (features.toml lists {listed:?})"
                ));
            }
            *categories = names.into_iter().map(Cow::Owned).collect::<Vec<_>>().into();
            *keys = model_keys.into_iter().map(Cow::Owned).collect::<Vec<_>>().into();
        }
    }
    Ok(())
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
            let hint = match xgb.categories.get(i).and_then(Option::as_ref) {
                Some(saved) if !categorical => format!(": list its categories, {:?}", saved.as_saved()),
                _ => String::new(),
            };
            return Err(format!("feature {i} ({}) is {spec_says} here but {model_says} in the model{hint}", def.name));
        }
    }
    Ok(())
}
