//! A lead as the scorer sees it: already parsed and typed (the host turns
//! lead JSON into this; the component receives it through WIT).

/// A field or attribute value. JSON `null` never gets here: it means absent.
/// Serialised untagged (`3.5`, `"text"`, `true`): the host's queue carries
/// parsed leads in this compact form.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(not(target_arch = "wasm32"), derive(serde::Serialize, serde::Deserialize), serde(untagged))]
pub enum Value {
    /// A number.
    Number(f64),
    /// Text.
    Text(String),
    /// A boolean.
    Bool(bool),
}

/// Milliseconds since the Unix epoch (UTC).
pub type Millis = i64;

/// One thing the lead did: a page view, an email click, a form fill, ...
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(not(target_arch = "wasm32"), derive(serde::Serialize, serde::Deserialize))]
pub struct Activity {
    /// What kind of activity (`page_view`, `email_click`, ...).
    pub kind: String,
    /// When it happened.
    pub at: Millis,
    /// Everything else recorded with it (`page`, `campaign`, ...).
    pub attributes: Vec<(String, Value)>,
}

/// A lead to score. Its serde form is this struct as it is (times in ms,
/// fields as `[name, value]` pairs), not the lead JSON of the README: that
/// is read by [`crate::load::lead_json`].
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(not(target_arch = "wasm32"), derive(serde::Serialize, serde::Deserialize))]
pub struct Lead {
    /// The CRM's id.
    pub id: String,
    /// The moment the lead is scored at: activity windows end here and later
    /// activities are ignored.
    pub as_of: Millis,
    /// Firmographic and CRM fields.
    pub fields: Vec<(String, Value)>,
    /// Activity history.
    pub activities: Vec<Activity>,
}

/// Looks a name up in a list of (name, value) pairs.
pub fn lookup<'a>(pairs: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}
