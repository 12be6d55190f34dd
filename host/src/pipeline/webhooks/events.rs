//! Which webhook events a scoring causes, and their payloads (the Standard
//! Webhooks shape: `{"type", "timestamp", "data"}`). Pure: the database
//! layer calls it inside the transaction that records the score, so an
//! event is in the outbox exactly when its score is recorded.

use serde::Serialize;
use utoipa::ToSchema;

use crate::learning::trend::Trend;
use crate::runtime::lead::rfc3339;

/// The events a tenant can subscribe an endpoint to.
pub const EVENT_TYPES: [&str; 4] = ["lead.scored", "lead.band_changed", "lead.became_hot", "lead.trend_changed"];

/// A lead's recorded scoring, with what it was before.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LeadScored {
    /// The lead.
    pub lead_id: String,
    /// The request that scored it.
    pub request_id: String,
    /// 0–100.
    pub score: i64,
    /// hot, warm or cold, by the tenant's thresholds.
    pub band: String,
    /// The chance to close.
    pub probability: f64,
    /// The version that answered.
    pub model_version: String,
    /// The trend after this scoring.
    pub trend: Trend,
    /// The score before (null: first scoring).
    pub previous_score: Option<i64>,
    /// The band before (null: first scoring).
    pub previous_band: Option<String>,
    /// The trend before this scoring.
    pub previous_trend: Trend,
    /// When it was recorded (ms since the epoch).
    pub scored_at: i64,
}

impl LeadScored {
    /// The events this scoring causes: always `lead.scored`; a band other
    /// than before `lead.band_changed` (not on a first scoring), and when
    /// that band is hot `lead.became_hot` (a first scoring that is hot is
    /// one too: the rep's workflow starts there); a trend other than before
    /// `lead.trend_changed`.
    pub fn events(&self) -> Vec<&'static str> {
        let mut events = vec!["lead.scored"];
        let band_moved = self.previous_band.as_deref().is_some_and(|b| b != self.band);
        if band_moved {
            events.push("lead.band_changed");
        }
        if self.band == "hot" && self.previous_band.as_deref() != Some("hot") {
            events.push("lead.became_hot");
        }
        if self.trend != self.previous_trend {
            events.push("lead.trend_changed");
        }
        events
    }

    /// The body of one event's deliveries.
    pub fn payload(&self, event_type: &str, now_ms: i64) -> String {
        let timestamp = rfc3339(now_ms);
        serde_json::json!({"type": event_type, "timestamp": timestamp, "data": self}).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(band: &str, previous: Option<&str>, trend: Trend, previous_trend: Trend) -> LeadScored {
        LeadScored {
            lead_id: "l".into(),
            request_id: "r".into(),
            score: 80,
            band: band.into(),
            probability: 0.1,
            model_version: "v12".into(),
            trend,
            previous_score: previous.map(|_| 50),
            previous_band: previous.map(str::to_string),
            previous_trend,
            scored_at: 0,
        }
    }

    #[test]
    fn events_follow_the_band_and_the_trend() {
        use Trend::*;
        assert_eq!(scored("warm", None, NotEnoughHistory, NotEnoughHistory).events(), ["lead.scored"]);
        assert_eq!(
            scored("hot", None, NotEnoughHistory, NotEnoughHistory).events(),
            ["lead.scored", "lead.became_hot"]
        );
        assert_eq!(
            scored("hot", Some("warm"), Improving, NotEnoughHistory).events(),
            ["lead.scored", "lead.band_changed", "lead.became_hot", "lead.trend_changed"]
        );
        assert_eq!(scored("hot", Some("hot"), Steady, Steady).events(), ["lead.scored"]);
        assert_eq!(scored("cold", Some("warm"), Declining, Steady).events().len(), 3);
        let payload: serde_json::Value =
            serde_json::from_str(&scored("hot", None, Steady, Steady).payload("lead.scored", 0)).unwrap();
        assert_eq!(payload["type"], "lead.scored");
        assert_eq!(payload["timestamp"], "1970-01-01T00:00:00.000Z");
        assert_eq!(payload["data"]["band"], "hot");
    }
}
