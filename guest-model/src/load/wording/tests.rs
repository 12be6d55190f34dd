use crate::explanation::Direction;
use crate::features::FeatureValue;
use crate::load::spec::parse_spec;

/// `features.toml` with one feature made of `lines`.
fn spec(lines: &str) -> Result<crate::features::FeatureDef, String> {
    let text = format!("[model]\nname = \"t\"\nversion = \"v1\"\n[[feature]]\nname = \"f\"\n{lines}\n");
    parse_spec(&text).map(|s| s.features.into_iter().next().unwrap())
}

fn refused(lines: &str, want: &[&str]) {
    let err = spec(lines).map(|_| ()).unwrap_err();
    assert!(err.starts_with("feature 0 (f): "), "{lines}\n  gave {err}");
    for w in want {
        assert!(err.contains(w), "{lines}\n  gave {err}\n  want {w}");
    }
}

const COUNT: &str = "activity = \"demo_request\"\nagg = \"count\"\nreason = \"Requested a demo {value} times\"";

#[test]
fn a_count_without_a_way_to_say_none_or_one_is_refused_naming_the_key() {
    refused(&format!("{COUNT}\nreason_one = \"Requested a demo\""), &["needs reason_zero", "0 times"]);
    refused(&format!("{COUNT}\nreason_zero = \"No demo\""), &["needs reason_one", "1 times"]);
    // One direction alone does not cover the case.
    refused(
        &format!("{COUNT}\nreason_one = \"Requested a demo\"\nreason_zero_up = \"No demo\""),
        &["reason_zero_down"],
    );
    let def = spec(&format!(
        "{COUNT}\nreason_one = \"Requested a demo\"\nreason_zero_up = \"No demo yet\"\nreason_zero_down = \"Has not requested a demo\""
    ))
    .unwrap();
    assert_eq!(def.reason(&FeatureValue::Number(0.0), Direction::Down), "Has not requested a demo");
    assert_eq!(def.reason(&FeatureValue::Number(0.0), Direction::Up), "No demo yet");
    // Written with one decimal, a decayed count never reads as "1": no reason_one needed.
    spec("activity = \"form_fill\"\nagg = \"decayed_count\"\nhalf_life_days = 7\nreason = \"{value} recent forms\"\nreason_zero = \"No recent forms\"").unwrap();
}

#[test]
fn a_boolean_needs_both_phrasings_and_no_template_that_shows_true_or_false() {
    let boolean = "field = \"uses_competitor\"\ncategories = [\"false\", \"true\"]";
    refused(&format!("{boolean}\nreason_true = \"Uses a competitor\""), &["needs reason_false", "boolean"]);
    refused(
        &format!("{boolean}\nreason = \"Uses a competitor: {{value}}\"\nreason_true = \"Yes\"\nreason_false = \"No\""),
        &["reason does not apply to a boolean"],
    );
    refused(
        "field = \"x\"\nformat = \"boolean\"\nreason_true = \"Has x\"\nreason_false = \"Has x: {value}\"",
        &["reason_false", "without {value}"],
    );
    let def = spec(&format!("{boolean}\nreason_true = \"Uses a competitor\"\nreason_false = \"Does not\"")).unwrap();
    assert_eq!(def.reason(&FeatureValue::Category("false".into()), Direction::Up), "Does not");
}

#[test]
fn sentences_must_fill_in_and_read_right_once_filled() {
    refused("field = \"x\"\nreason = \"x is {amount}\"", &["reason", "unknown placeholder \"{amount}\""]);
    refused("field = \"x\"\nreason = \"x is {value\"", &["unknown placeholder"]);
    refused(
        "field = \"x\"\nreason = \"x is {value}\"\nreason_missing = \"x is {value}\"",
        &["reason_missing", "without {value}"],
    );
    refused("field = \"x\"\nreason = \"  \"", &["reason is empty"]);
    refused("field = \"x\"\nreason_zero = \"No x\"", &["needs reason "]);
    refused("field = \"x\"\nreason = \"x\"\nreason_sometimes = \"y\"", &["unknown field `reason_sometimes`"]);
    refused("field = \"x\"\nreason = \"x\"\nreason_one = 1", &["reason_one must be text"]);
    refused(
        "activity = \"page_view\"\nagg = \"days_since_last\"\nreason = \"Last visited {value} days ago\"\nreason_missing = \"Never\"",
        &["days_ago", "drop the words after {value}"],
    );
    refused(
        "activity = \"page_view\"\nagg = \"days_since_last\"\nreason = \"Last visited {value}\"",
        &["needs reason_missing", "never happened"],
    );
    refused("field = \"r\"\nformat = \"money\"\nreason = \"Revenue of ${value}M\"", &["drop the $"]);
    refused(
        "field = \"r\"\nformat = \"money\"\nreason = \"Revenue of {value}\"\nreason_one = \"A dollar\"",
        &["reason_one does not apply", "never writes 1"],
    );
    refused("field = \"x\"\nformat = \"percent\"\nreason = \"x\"", &["format = \"percent\"", "days_ago"]);
}

#[test]
fn display_names_unit_and_scale_are_checked_against_the_feature() {
    let cats = "field = \"region\"\ncategories = [\"north_america\", \"europe\"]\nreason = \"Based in {value}\"";
    refused(&format!("{cats}\ndisplay = {{ asia = \"Asia\" }}"), &["display.asia", "not one of the categories"]);
    refused("field = \"x\"\nreason = \"x\"\ndisplay = { a = \"A\" }", &["display applies to features with categories"]);
    refused(&format!("{cats}\nformat = \"integer\""), &["does not apply to a feature with categories"]);
    refused("field = \"x\"\nreason = \"x\"\nunit_one = \"thing\"", &["unit_one needs unit"]);
    refused("field = \"x\"\nreason = \"x\"\nscale = 0", &["scale must be a positive number"]);
    let def = spec(&format!("{cats}\ndisplay = {{ north_america = \"North America\" }}")).unwrap();
    assert_eq!(def.reason(&FeatureValue::Category("north_america".into()), Direction::Up), "Based in North America");
    assert_eq!(def.reason(&FeatureValue::Category("europe".into()), Direction::Up), "Based in europe");
    assert_eq!(def.wording.label, "F", "the label defaults to the name as words");
}

#[test]
fn reasons_per_direction_are_configurable_and_bounded() {
    let text = |section: &str| {
        format!(
            "[model]\nname = \"t\"\nversion = \"v1\"\n{section}\n[[feature]]\nname = \"f\"\nfield = \"x\"\nreason = \"x\"\n"
        )
    };
    let counts = |section: &str| parse_spec(&text(section)).map(|s| (s.reasons.up, s.reasons.down));
    assert_eq!(counts(""), Ok((3, 3)));
    assert_eq!(counts("[explanation]\nreasons_up = 5"), Ok((5, 3)));
    assert_eq!(counts("[explanation]\nreasons_up = 0\nreasons_down = 1"), Ok((0, 1)));
    assert!(counts("[explanation]\nreasons_down = 11").unwrap_err().contains("at most 10"));
    assert!(counts("[explanation]\nreasons = 2").unwrap_err().contains("unknown field `reasons`"));
}
