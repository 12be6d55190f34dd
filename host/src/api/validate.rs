//! Checking what callers send: ids, text, times, JSON bodies and leads,
//! each refusal a 400 naming the field. The lead JSON itself is read by
//! `guest_model::load::lead_json` (once per request); these checks add what
//! the service needs on top (ids it can store, times within bounds).

use std::time::Duration;

use guest_model::lead::{Lead, Value};
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::ApiError;
use crate::auth::{TENANT_RULE, is_tenant_id};

/// Checks a tenant id given as a parameter.
pub fn check_tenant_id(id: &str) -> Result<(), ApiError> {
    if is_tenant_id(id) { Ok(()) } else { Err(ApiError::invalid("invalid_tenant", format!("tenant: {TENANT_RULE}"))) }
}

/// The longest id (lead, request) the API takes, in characters.
pub const MAX_ID_CHARS: usize = 200;

/// Checks an id given in a path or a body (`field` names it): 1–200
/// characters (not bytes), no control characters (Postgres cannot store
/// U+0000 and SQLite can: refusing them keeps both backends alike, and no CRM
/// id has one), and no whitespace around it (a padded id would be another
/// lead than the one the CRM means).
pub fn check_id(field: &str, id: &str) -> Result<(), ApiError> {
    let chars = id.chars().count();
    if chars == 0 || chars > MAX_ID_CHARS {
        return Err(ApiError::invalid("invalid_request", format!("{field}: 1–{MAX_ID_CHARS} characters")));
    }
    if id.trim() != id {
        return Err(ApiError::invalid("invalid_request", format!("{field}: whitespace before or after the id")));
    }
    check_text(field, id, "invalid_request")
}

/// Refuses text with control characters (U+0000–U+001F, U+007F–U+009F).
pub fn check_text(field: &str, text: &str, code: &'static str) -> Result<(), ApiError> {
    match text.chars().find(|c| c.is_control()) {
        Some(c) => Err(ApiError::invalid(code, format!("{field}: control character U+{:04X} not allowed", c as u32))),
        None => Ok(()),
    }
}

/// The first field of a lead holding U+0000 (`fields.name`,
/// `activities[2].page`), which Postgres cannot store in text: refused on
/// every path alike, the sync one too, though it stores nothing. The lead's
/// id is checked by [`check_id`].
pub fn nul_field(lead: &Lead) -> Option<String> {
    let has_nul =
        |(name, value): &(String, Value)| name.contains('\0') || matches!(value, Value::Text(t) if t.contains('\0'));
    if let Some((name, _)) = lead.fields.iter().find(|f| has_nul(f)) {
        return Some(format!("fields.{}", name.escape_debug()));
    }
    lead.activities.iter().enumerate().find_map(|(i, a)| {
        let attribute = a.attributes.iter().find(|f| has_nul(f));
        match (a.kind.contains('\0'), attribute) {
            (true, _) => Some(format!("activities[{i}].kind")),
            (false, Some((name, _))) => Some(format!("activities[{i}].{}", name.escape_debug())),
            (false, None) => None,
        }
    })
}

/// Checks a parsed lead for what the service needs beyond the lead reader:
/// no more activities than `limits` allow (every path checks the lead's
/// size before reading it too, see [`LeadLimits`]), an id it can store, no
/// U+0000 (Postgres cannot store it in text; refused on every path alike,
/// the sync one too, though it stores nothing), and an `as_of` within
/// `bounds`. `prefix` is where the lead sits in the body (`""`, or
/// `"context."`), for the messages.
pub fn check_lead(lead: Lead, prefix: &str, bounds: &TimeBounds, limits: &LeadLimits) -> Result<Lead, ApiError> {
    limits.check_activities(lead.activities.len(), prefix)?;
    check_id(&format!("{prefix}id"), &lead.id)?;
    if let Some(field) = nul_field(&lead) {
        return Err(ApiError::invalid("invalid_lead", format!("{prefix}{field}: the character U+0000 is not allowed")));
    }
    let now = chrono::Utc::now().timestamp_millis();
    bounds.check_as_of(lead.as_of, now).map_err(|e| ApiError::invalid("invalid_lead", format!("{prefix}{e}")))?;
    Ok(lead)
}

/// The largest lead the API takes: a lead beyond them is refused with a 400
/// naming the limit (`lead_too_large`; its bytes are checked before it is
/// read), so that one huge lead never reaches a model call (where it would
/// run into the memory cap or the deadline) nor the queue. Within the
/// defaults a lead fits the default 64 MiB memory cap many times over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeadLimits {
    /// Bytes of one lead's JSON text (as sent; a `context` as stored, in
    /// compact JSON; default 1 MiB).
    pub max_bytes: usize,
    /// Activities of one lead (default 10,000).
    pub max_activities: usize,
}

impl Default for LeadLimits {
    fn default() -> LeadLimits {
        LeadLimits { max_bytes: 1 << 20, max_activities: 10_000 }
    }
}

impl LeadLimits {
    /// Checks the size of a lead's JSON text, in bytes. `prefix` as in
    /// [`check_lead`] (`"context."`: the message starts `context: `).
    pub fn check_bytes(&self, bytes: usize, prefix: &str) -> Result<(), ApiError> {
        if bytes <= self.max_bytes {
            return Ok(());
        }
        let at = prefix.strip_suffix('.').map_or_else(String::new, |p| format!("{p}: "));
        let message = format!("{at}the lead is {bytes} bytes of JSON; the limit is {} bytes", self.max_bytes);
        Err(ApiError::invalid("lead_too_large", message))
    }

    /// Checks a lead's number of activities.
    pub fn check_activities(&self, activities: usize, prefix: &str) -> Result<(), ApiError> {
        if activities <= self.max_activities {
            return Ok(());
        }
        let message =
            format!("{prefix}activities: {activities} activities; the limit is {} per lead", self.max_activities);
        Err(ApiError::invalid("lead_too_large", message))
    }
}

/// How far from now the times the API takes may lie: a lead's `as_of`, and
/// the touches and outcomes reported for it. A lead scored as of year 9999
/// would be the newest weekly cohort for good, and a touch dated year 1
/// would make its lead's time to first touch 0 for good.
#[derive(Clone, Debug)]
pub struct TimeBounds {
    /// A lead's `as_of` lies at most this long before now (default 5 years).
    pub as_of_max_age: Duration,
    /// Any time lies at most this far after now: clocks differ (default 1 day).
    pub future_slack: Duration,
    /// A touch or outcome lies at most this long before the `as_of` its lead
    /// was first scored with (its arrival; default 1 day).
    pub report_slack: Duration,
}

impl Default for TimeBounds {
    fn default() -> TimeBounds {
        const DAY: Duration = Duration::from_secs(86_400);
        TimeBounds { as_of_max_age: 1826 * DAY, future_slack: DAY, report_slack: DAY }
    }
}

impl TimeBounds {
    /// Checks a lead's `as_of` (ms) against `now` (ms); the error is the message.
    pub fn check_as_of(&self, as_of: i64, now: i64) -> Result<(), String> {
        let earliest = now.saturating_sub(self.as_of_max_age.as_millis() as i64);
        let latest = now.saturating_add(self.future_slack.as_millis() as i64);
        if as_of < earliest {
            return Err(format!(
                "as_of: {} lies more than {} days before now",
                rfc3339(as_of),
                self.as_of_max_age.as_secs() / 86_400
            ));
        }
        if as_of > latest {
            return Err(format!("as_of: {} lies in the future", rfc3339(as_of)));
        }
        Ok(())
    }

    /// Checks that a reported time (ms) is not in the future (beyond the
    /// clocks' slack); the error is the message.
    pub fn check_not_future(&self, at: i64, now: i64) -> Result<(), String> {
        match at > now.saturating_add(self.future_slack.as_millis() as i64) {
            true => Err(format!("at {} lies in the future", rfc3339(at))),
            false => Ok(()),
        }
    }

    /// Checks a reported time (ms) of a lead that arrived at `arrived` (ms,
    /// the `as_of` it was first scored with); the error is the message.
    pub fn check_report(&self, at: i64, arrived: i64, now: i64) -> Result<(), String> {
        self.check_not_future(at, now)?;
        let earliest = arrived.saturating_sub(self.report_slack.as_millis() as i64);
        if at < earliest {
            return Err(format!(
                "at {} lies before the lead arrived ({}, the as_of it was first scored with)",
                rfc3339(at),
                rfc3339(arrived)
            ));
        }
        Ok(())
    }
}

/// Milliseconds since the epoch as RFC 3339 text.
fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(|| format!("{ms} ms"), |t| t.to_rfc3339())
}

/// A JSON request body as `T`; a 400 with `code` naming the field that is
/// wrong otherwise (`holdout_share: invalid type: ...`).
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8], code: &'static str) -> Result<T, ApiError> {
    // serde reads a struct from a JSON array too (`[[]]` would be a batch):
    // every body this API takes is an object.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::invalid(code, "the body must be a JSON object"));
    }
    let mut json = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let message = match e.path().to_string().as_str() {
            "." => e.inner().to_string(),
            path => format!("{path}: {}", e.inner()),
        };
        ApiError::invalid(code, message)
    })
}

/// A lead, as the lead JSON of the README (for the OpenAPI document; the
/// lead reader in `guest-model` is what checks it).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Lead)]
#[allow(dead_code)]
pub struct LeadDoc {
    /// The CRM's lead id (in `POST /leads/score`'s context it may be left out).
    #[schema(max_length = 200)]
    id: String,
    /// When the lead is scored: activity windows end here and later
    /// activities are ignored. Within 5 years before now and a day after (the
    /// service's bounds).
    #[schema(format = DateTime)]
    as_of: String,
    /// Field name → number, string, boolean or null (null: absent).
    #[schema(value_type = Option<Object>)]
    fields: Option<serde_json::Map<String, serde_json::Value>>,
    /// What the lead did, in any order.
    activities: Option<Vec<ActivityDoc>>,
}

/// One activity of a lead: its kind, when, and any attributes (name →
/// number, string, boolean or null), such as `page` or `campaign`.
#[derive(Deserialize, ToSchema)]
#[schema(as = Activity)]
#[allow(dead_code)]
pub struct ActivityDoc {
    /// page_view, email_open, demo_request, ...
    #[schema(min_length = 1)]
    kind: String,
    /// When it happened.
    #[schema(format = DateTime)]
    at: String,
}
