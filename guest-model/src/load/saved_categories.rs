//! The category names XGBoost ≥ 3.1 saves in a model file
//! (`gradient_booster.model.cats`): read per feature, and recognised even
//! when XGBoost 3.1–3.3 saved non-ASCII names with character offsets.

use std::collections::HashSet;

use serde::Deserialize;

use crate::features::{Matching, category_key};

/// The category names a model saved for one feature: the code of a category
/// in the trees is its position in this list.
#[derive(Clone, Debug, PartialEq)]
pub enum SavedCategories {
    /// Text categories as XGBoost saved them: the UTF-8 bytes of the names
    /// one after another, and where each name starts. XGBoost 3.1 to 3.3
    /// saved pandas' non-ASCII names with offsets counted in characters (and
    /// kept as many bytes as there are characters), so such a list is read
    /// with the names the caller expects ([`SavedCategories::names`]).
    Text {
        /// `offsets[i]..offsets[i + 1]` is name `i`.
        offsets: Vec<usize>,
        /// The names' bytes.
        bytes: Vec<u8>,
    },
    /// Numeric categories (a pandas category index of numbers), as text.
    Numbers(Vec<String>),
}

impl SavedCategories {
    /// Number of categories.
    pub fn len(&self) -> usize {
        match self {
            SavedCategories::Text { offsets, .. } => offsets.len().saturating_sub(1),
            SavedCategories::Numbers(names) => names.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The names as saved, split at the saved offsets (invalid UTF-8 shown
    /// with U+FFFD): for messages.
    pub fn as_saved(&self) -> Vec<String> {
        match self {
            SavedCategories::Text { offsets, bytes } => {
                offsets.windows(2).map(|w| String::from_utf8_lossy(&bytes[w[0]..w[1]]).into_owned()).collect()
            }
            SavedCategories::Numbers(names) => names.clone(),
        }
    }

    /// The model's category names. `expected` (the names `features.toml`
    /// lists) tells a list saved by XGBoost 3.1–3.3 with character offsets
    /// from a correct one: when the names split at byte offsets are not all
    /// among `expected` (compared under `matching`), the names are rebuilt
    /// from `expected` as those versions would have saved them. Errors when
    /// the saved bytes are neither.
    pub fn names(&self, expected: &[&str], matching: Matching) -> Result<Vec<String>, String> {
        let (offsets, bytes) = match self {
            SavedCategories::Numbers(names) => return Ok(names.clone()),
            SavedCategories::Text { offsets, bytes } => (offsets, bytes),
        };
        let by_bytes: Option<Vec<String>> =
            offsets.windows(2).map(|w| String::from_utf8(bytes[w[0]..w[1]].to_vec()).ok()).collect();
        if let Some(names) = &by_bytes {
            let expected_keys: HashSet<_> = expected.iter().map(|e| category_key(e, matching)).collect();
            let all_expected = names.iter().all(|n| expected_keys.contains(&category_key(n, matching)));
            if bytes.is_ascii() || all_expected {
                return Ok(names.clone());
            }
        }
        if let Some(names) = rebuild_from_character_offsets(offsets, bytes, expected) {
            return Ok(names);
        }
        by_bytes.ok_or_else(|| {
            format!(
                "the category names saved in model.json are not valid UTF-8 at their offsets ({:?}); XGBoost 3.1 to 3.3 saved non-ASCII names from pandas with character offsets: list the categories in features.toml exactly as they were in training so they can be recognised, or save the model with XGBoost 3.4 or later",
                self.as_saved()
            )
        })
    }
}

/// The names XGBoost 3.1–3.3 saved as `(offsets, bytes)` from pandas when
/// the offsets count characters (and `bytes` holds as many bytes as the
/// names have characters, the rest cut): rebuilt from `expected`, each name
/// taken as written, in NFC or in NFD. `None` unless exactly one way fits.
fn rebuild_from_character_offsets(offsets: &[usize], bytes: &[u8], expected: &[&str]) -> Option<Vec<String>> {
    use unicode_normalization::UnicodeNormalization;
    let mut candidates: Vec<String> = Vec::new();
    for e in expected {
        for form in [e.to_string(), e.nfc().collect(), e.nfd().collect()] {
            if !candidates.contains(&form) {
                candidates.push(form);
            }
        }
    }
    let mut names: Vec<String> = Vec::new();
    let mut at = 0usize; // where the next name's bytes start
    for w in offsets.windows(2) {
        let chars = w[1].checked_sub(w[0])?;
        let rest = bytes.get(at.min(bytes.len())..)?;
        let mut fits = candidates.iter().filter(|c| {
            let b = c.as_bytes();
            !names.contains(c) && c.chars().count() == chars && rest.starts_with(&b[..b.len().min(rest.len())])
        });
        let name = fits.next()?;
        if fits.any(|other| other != name) {
            return None;
        }
        at += name.len();
        names.push(name.clone());
    }
    (at >= bytes.len()).then_some(names)
}

/// XGBoost ≥ 3.1's category container (src/data/cat_container.cc): one
/// entry per feature, text as `{offsets, values}` (values: bytes as int8),
/// numbers as `{type, values}`.
#[derive(Deserialize)]
pub(super) struct CatsJson {
    #[serde(default)]
    enc: Vec<EncJson>,
}

#[derive(Deserialize)]
struct EncJson {
    offsets: Option<Vec<i64>>,
    #[serde(rename = "type")]
    kind: Option<i64>,
    #[serde(default)]
    values: Vec<serde_json::Value>,
}

impl CatsJson {
    pub(super) fn per_feature(&self, num_features: usize) -> Result<Vec<Option<SavedCategories>>, String> {
        if self.enc.is_empty() {
            return Ok(Vec::new());
        }
        if self.enc.len() != num_features {
            return Err(format!("cats has {} entries for {num_features} features", self.enc.len()));
        }
        self.enc.iter().enumerate().map(|(i, e)| e.decode().map_err(|m| format!("cats entry {i}: {m}"))).collect()
    }
}

impl EncJson {
    fn decode(&self) -> Result<Option<SavedCategories>, String> {
        match (&self.offsets, self.kind) {
            (Some(offsets), _) => {
                if offsets.len() < 2 {
                    return Ok(None);
                }
                let bytes = self
                    .values
                    .iter()
                    .map(|v| match v.as_i64() {
                        Some(b @ -128..=255) => Ok(b as u8),
                        _ => Err(format!("{v} is not a byte")),
                    })
                    .collect::<Result<Vec<u8>, String>>()?;
                let offsets: Vec<usize> = offsets.iter().map(|&o| usize::try_from(o).unwrap_or(usize::MAX)).collect();
                if offsets.windows(2).any(|w| w[0] > w[1]) || offsets[offsets.len() - 1] > bytes.len() {
                    return Err(format!("offsets {offsets:?} do not fit {} bytes of names", bytes.len()));
                }
                Ok(Some(SavedCategories::Text { offsets, bytes }))
            }
            (None, Some(_)) if self.values.is_empty() => Ok(None),
            (None, Some(_)) => {
                let names = self
                    .values
                    .iter()
                    .map(|v| match v {
                        serde_json::Value::Number(n) if n.is_f64() => Ok(n.as_f64().unwrap_or(f64::NAN).to_string()),
                        serde_json::Value::Number(n) => Ok(n.to_string()),
                        other => Err(format!("the numeric category {other} is not a number")),
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                Ok(Some(SavedCategories::Numbers(names)))
            }
            (None, None) => Err("neither offsets (text categories) nor type (numeric categories)".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_saved_with_character_offsets_are_rebuilt_from_the_expected_names() {
        // How XGBoost 3.1–3.3 saved ["é", "b", "ü"] from pandas: offsets in
        // characters, and as many bytes as characters.
        let utf8 = "\u{e9}b\u{fc}".as_bytes();
        let saved = SavedCategories::Text { offsets: vec![0, 1, 2, 3], bytes: utf8[..3].to_vec() };
        assert_eq!(saved.names(&["b", "\u{fc}", "\u{e9}"], Matching::Exact).unwrap(), ["\u{e9}", "b", "\u{fc}"]);
        // Listed decomposed, the names are found in their saved (composed) form.
        assert_eq!(saved.names(&["b", "u\u{308}", "e\u{301}"], Matching::Exact).unwrap(), ["\u{e9}", "b", "\u{fc}"]);
        let err = saved.names(&["b", "x", "y"], Matching::Exact).unwrap_err();
        assert!(err.contains("not valid UTF-8"), "{err}");
        // Saved correctly (XGBoost ≥ 3.4), the same names split at byte offsets.
        let right = SavedCategories::Text { offsets: vec![0, 2, 3, 5], bytes: utf8.to_vec() };
        assert_eq!(right.names(&[], Matching::Exact).unwrap(), ["\u{e9}", "b", "\u{fc}"]);
    }
}
