//! The feature pipeline on hand-made leads: window edges, missing fields,
//! unknown activity kinds, wrong types and bad timestamps.

use guest_model::features::{FeatureValue, compute};
use guest_model::load::lead_json;
use guest_model::load::spec::parse_spec;

const SPEC: &str = r#"
[model]
name = "t"
version = "v1"
[[feature]]
name = "employees"
field = "employees"
reason = "Company has {value} employees"
[[feature]]
name = "industry"
field = "industry"
categories = ["software", "finance"]
reason = "Industry: {value}"
[[feature]]
name = "pricing_7d"
activity = "page_view"
where = { page = "/pricing" }
window_days = 7
agg = "count"
reason = "Viewed pricing {value} times"
reason_one = "Viewed pricing once"
reason_zero = "Has not viewed pricing"
[[feature]]
name = "days_since_visit"
activity = "page_view"
agg = "days_since_last"
reason = "Last visited {value}"
reason_missing = "Never visited"
[[feature]]
name = "forms_decayed"
activity = "form_fill"
agg = "decayed_count"
half_life_days = 10
reason = "Forms {value}"
reason_zero = "No forms"
[[feature]]
name = "webinar_minutes"
activity = "webinar"
agg = "sum"
attribute = "minutes"
reason = "Watched {value} minutes"
reason_one = "Watched 1 minute"
reason_zero = "Watched no webinars"
"#;

fn row(lead: &str) -> Result<(Vec<f32>, Vec<FeatureValue>), String> {
    let spec = parse_spec(SPEC).unwrap();
    let lead = lead_json::parse(lead).map_err(|e| e.to_string())?;
    compute(&spec.features, &lead).map_err(|e| e.to_string())
}

#[test]
fn window_edges_are_exclusive_at_the_start_and_inclusive_at_as_of() {
    let lead = r#"{"id": "a", "as_of": "2026-10-08T00:00:00Z", "activities": [
        {"kind": "page_view", "at": "2026-10-01T00:00:00Z", "page": "/pricing"},
        {"kind": "page_view", "at": "2026-10-01T00:00:01Z", "page": "/pricing"},
        {"kind": "page_view", "at": "2026-10-08T00:00:00Z", "page": "/pricing"},
        {"kind": "page_view", "at": "2026-10-08T00:00:01Z", "page": "/pricing"},
        {"kind": "page_view", "at": "2026-10-07T00:00:00Z", "page": "/docs"}
    ]}"#;
    let (x, _) = row(lead).unwrap();
    // Exactly 7 days before as_of is outside, one second later inside, as_of
    // itself inside, after as_of ignored, and other pages don't match.
    assert_eq!(x[2], 2.0);
    // The latest visit at or before as_of is as_of itself.
    assert_eq!(x[3], 0.0);
}

#[test]
fn aggregates_compute_what_they_say() {
    let lead = r#"{"id": "a", "as_of": "2026-10-21T00:00:00+00:00", "activities": [
        {"kind": "form_fill", "at": "2026-10-11T00:00:00Z"},
        {"kind": "form_fill", "at": "2026-10-21T00:00:00Z"},
        {"kind": "webinar", "at": "2026-10-01T00:00:00Z", "minutes": 30},
        {"kind": "webinar", "at": "2026-10-02T00:00:00Z", "minutes": 12.5},
        {"kind": "page_view", "at": "2026-10-19T12:00:00Z", "page": "/blog"}
    ]}"#;
    let (x, _) = row(lead).unwrap();
    assert_eq!(x[3], 1.5, "days since the last page view");
    assert_eq!(x[4], 1.5, "one form now (1) and one a half-life ago (0.5)");
    assert_eq!(x[5], 42.5, "sum of minutes");
}

#[test]
fn missing_fields_and_unseen_categories_are_missing_not_errors() {
    let (x, values) =
        row(r#"{"id": "a", "as_of": "2026-10-01T00:00:00Z", "fields": {"employees": null, "industry": "mining"}}"#)
            .unwrap();
    assert!(x[0].is_nan() && x[1].is_nan(), "absent/null and unseen → NaN");
    assert_eq!(values[0], FeatureValue::Missing);
    assert!(x[3].is_nan(), "no page view at all: days since last is missing");
    assert_eq!(x[2], 0.0, "but the count is zero");
    let (x, values) =
        row(r#"{"id": "a", "as_of": "2026-10-01T00:00:00Z", "fields": {"employees": 120, "industry": "finance"}}"#)
            .unwrap();
    assert_eq!((x[0], x[1]), (120.0, 1.0));
    assert_eq!(values[1], FeatureValue::Category("finance".into()));
}

#[test]
fn unknown_activity_kinds_are_ignored() {
    let lead = r#"{"id": "a", "as_of": "2026-10-01T00:00:00Z", "activities": [{"kind": "hologram_call", "at": "2026-09-30T00:00:00Z"}]}"#;
    let (x, _) = row(lead).unwrap();
    assert_eq!(x[2], 0.0);
    assert!(x[3].is_nan());
}

#[test]
fn wrong_types_name_the_field() {
    let err = row(r#"{"id": "a", "as_of": "2026-10-01T00:00:00Z", "fields": {"employees": "many"}}"#).unwrap_err();
    assert_eq!(err, r#"fields.employees: must be a number, got the text "many""#);
    let err = row(r#"{"id": "a", "as_of": "2026-10-01T00:00:00Z", "fields": {"industry": 3}}"#).unwrap_err();
    assert!(err.starts_with("fields.industry: must be one of the categories as text"), "{err}");
    let lead = r#"{"id": "a", "as_of": "2026-10-01T00:00:00Z", "activities": [{"kind": "webinar", "at": "2026-09-30T00:00:00Z", "minutes": "lots"}]}"#;
    assert_eq!(row(lead).unwrap_err(), "activities[0].minutes: must be a number");
}

#[test]
fn bad_timestamps_and_shapes_are_clear_errors() {
    let cases = [
        (r#"{"id": "a", "as_of": "yesterday"}"#, "as_of: \"yesterday\" is not an RFC 3339 timestamp"),
        (r#"{"id": "a"}"#, "as_of: is required"),
        (
            r#"{"id": "a", "as_of": "2026-10-01T00:00:00Z", "activities": [{"kind": "x", "at": "2026-13-01T00:00:00Z"}]}"#,
            "activities[0].at:",
        ),
        (
            r#"{"id": "a", "as_of": "2026-10-01T00:00:00Z", "activities": [{"at": "2026-10-01T00:00:00Z"}]}"#,
            "activities[0].kind:",
        ),
        (r#"{"as_of": "2026-10-01T00:00:00Z"}"#, "id: is required"),
        (r#"{"id": "a", "as_of": "2026-10-01T00:00:00Z", "fields": {"x": [1]}}"#, "fields.x:"),
        (r#"{"id": "a", "as_of": "2026-10-01T00:00:00Z", "extra": 1}"#, "extra: unknown key"),
        (r#"[1, 2]"#, "lead: must be a JSON object"),
        (r#"{"id": "a", "#, "lead: not valid JSON"),
    ];
    for (lead, want) in cases {
        let err = row(lead).unwrap_err();
        assert!(err.starts_with(want), "{lead}\n  gave {err}\n  want {want}…");
    }
}
