//! A lead's trend from its recent scores: Improving, Steady or Declining
//! (as Dynamics 365 shows it), or not enough history to say.
//!
//! The rule, kept simple enough to state to a rep: take the scores recorded
//! in the `window` before the latest one; with fewer than `min_points` the
//! trend is unknown; otherwise it is the latest score minus the earliest in
//! the window — at least `min_change` points up is improving, as many down
//! declining, anything between steady.

use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

/// Which way a lead's score is going.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Up by at least the threshold over the window.
    Improving,
    /// Within the threshold.
    Steady,
    /// Down by at least the threshold.
    Declining,
    /// Fewer scorings in the window than the rule needs.
    NotEnoughHistory,
}

/// The thresholds of the rule (`serve --trend-*`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrendSettings {
    /// How far back from the latest scoring to look.
    pub window: Duration,
    /// Scorings needed in the window (at least 2).
    pub min_points: usize,
    /// Score points of change that count as a move.
    pub min_change: i64,
}

impl Default for TrendSettings {
    fn default() -> TrendSettings {
        TrendSettings { window: Duration::from_secs(30 * 86_400), min_points: 2, min_change: 5 }
    }
}

impl TrendSettings {
    /// The trend of `points` — (recorded at in ms, score 0–100), oldest first.
    pub fn trend(&self, points: &[(i64, i64)]) -> Trend {
        let Some(&(latest_at, latest)) = points.last() else { return Trend::NotEnoughHistory };
        let since = latest_at.saturating_sub(self.window.as_millis() as i64);
        let window: Vec<_> = points.iter().filter(|(at, _)| *at >= since).collect();
        if window.len() < self.min_points.max(2) {
            return Trend::NotEnoughHistory;
        }
        let change = latest - window[0].1;
        if change >= self.min_change {
            Trend::Improving
        } else if change <= -self.min_change {
            Trend::Declining
        } else {
            Trend::Steady
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn the_trend_is_the_change_over_the_window() {
        let rule = TrendSettings::default();
        assert_eq!(rule.trend(&[]), Trend::NotEnoughHistory);
        assert_eq!(rule.trend(&[(0, 50)]), Trend::NotEnoughHistory);
        assert_eq!(rule.trend(&[(0, 50), (DAY, 55)]), Trend::Improving);
        assert_eq!(rule.trend(&[(0, 50), (DAY, 54)]), Trend::Steady);
        assert_eq!(rule.trend(&[(0, 60), (DAY, 80), (2 * DAY, 55)]), Trend::Declining);
        // The first score is outside the 30-day window: only one is left.
        assert_eq!(rule.trend(&[(0, 10), (40 * DAY, 90)]), Trend::NotEnoughHistory);
        let strict = TrendSettings { min_points: 3, ..rule };
        assert_eq!(strict.trend(&[(0, 50), (DAY, 90)]), Trend::NotEnoughHistory);
    }
}
