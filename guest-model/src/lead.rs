//! A lead as the scorer sees it: already parsed and typed (the host turns
//! lead JSON into this; the component receives it through WIT).

/// A field or attribute value. JSON `null` never gets here: it means absent.
#[derive(Clone, Debug, PartialEq)]
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
pub struct Activity {
    /// What kind of activity (`page_view`, `email_click`, ...).
    pub kind: String,
    /// When it happened.
    pub at: Millis,
    /// Everything else recorded with it (`page`, `campaign`, ...).
    pub attributes: Vec<(String, Value)>,
}

/// A lead to score.
#[derive(Clone, Debug, PartialEq)]
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
