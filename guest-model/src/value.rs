//! A feature's value as a rep reads it, and how text is matched to a
//! category: the vocabulary the feature pipeline and the wording share.

use std::borrow::Cow;

use caseless::Caseless;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// How a lead's text is matched to a category (`match` in `features.toml`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Matching {
    /// Equal after trimming surrounding whitespace and Unicode NFC.
    #[default]
    Exact,
    /// Also ignoring case (Unicode default case folding: `Retail` = `RETAIL`,
    /// `Straße` = `STRASSE`).
    Casefold,
}

impl Matching {
    /// The name used in `features.toml`: `"exact"` or `"casefold"`.
    pub fn name(self) -> &'static str {
        match self {
            Matching::Exact => "exact",
            Matching::Casefold => "casefold",
        }
    }
}

/// What a category name or a lead's value is compared by: surrounding
/// whitespace trimmed, Unicode NFC (composed and decomposed forms of `ä` are
/// the same), and with [`Matching::Casefold`] case-folded (canonical caseless
/// matching, Unicode §3.13). Plain text costs no allocation.
pub fn category_key(text: &str, matching: Matching) -> Cow<'_, str> {
    let text = text.trim();
    match matching {
        Matching::Exact if text.is_ascii() || is_nfc_quick(text.chars()) == IsNormalized::Yes => Cow::Borrowed(text),
        Matching::Exact => Cow::Owned(text.nfc().collect()),
        Matching::Casefold if text.is_ascii() => match text.bytes().any(|b| b.is_ascii_uppercase()) {
            true => Cow::Owned(text.to_ascii_lowercase()),
            false => Cow::Borrowed(text),
        },
        Matching::Casefold => Cow::Owned(text.chars().nfd().default_case_fold().nfc().collect()),
    }
}

/// The value of one feature for one lead, as a rep would read it.
#[derive(Clone, Debug, PartialEq)]
pub enum FeatureValue {
    /// The lead has no value.
    Missing,
    /// A number.
    Number(f64),
    /// A known category.
    Category(Cow<'static, str>),
}

impl FeatureValue {
    /// The model's input value (categories as codes, missing as NaN), or
    /// `Err(number)` for a number beyond f32's range: XGBoost reads its input
    /// as f32 (rounding to nearest) and refuses rows where that is infinite
    /// ("Input data contains `inf` or a value too large"), so no score could
    /// equal XGBoost's.
    pub(crate) fn model_input(&self, code: Option<usize>) -> Result<f32, f64> {
        match (self, code) {
            (FeatureValue::Number(v), _) if beyond_f32(*v) => Err(*v),
            (FeatureValue::Number(v), _) => Ok(*v as f32),
            (FeatureValue::Category(_), Some(code)) => Ok(code as f32),
            _ => Ok(f32::NAN),
        }
    }
}

/// Whether `v` becomes infinite as an f32 (NaN is missing, not beyond).
pub(crate) fn beyond_f32(v: f64) -> bool {
    (v as f32).is_infinite()
}
