use super::*;

fn template(case: Case, direction: Option<Direction>, text: &str) -> Template {
    Template { case, direction, text: text.to_string().into() }
}

fn demos() -> Wording {
    Wording {
        format: Format::Integer,
        unit: Some(Unit { one: "request".into(), many: "requests".into() }),
        templates: vec![
            template(Case::Value, None, "Requested a demo {value} times"),
            template(Case::One, None, "Requested a demo"),
            template(Case::Zero, None, "Has not requested a demo"),
            template(Case::Zero, Some(Direction::Down), "No demo requested yet"),
        ]
        .into(),
        ..Wording::plain("demo_requests", "")
    }
}

const N: fn(f64) -> FeatureValue = FeatureValue::Number;
const UP: Direction = Direction::Up;
const DOWN: Direction = Direction::Down;

#[test]
fn zero_one_and_many_read_differently_and_follow_the_written_number() {
    let w = demos();
    let say = |v: f64, d| w.sentence(&N(v), d, Matching::Exact);
    assert_eq!(say(3.0, UP), "Requested a demo 3 times");
    assert_eq!(say(1.0, UP), "Requested a demo");
    assert_eq!(say(1.4, UP), "Requested a demo", "written as 1");
    assert_eq!(say(0.0, UP), "Has not requested a demo");
    assert_eq!(say(0.3, UP), "Has not requested a demo", "written as 0");
    assert_eq!(say(1234.0, UP), "Requested a demo 1,234 times");
}

#[test]
fn a_sentence_for_the_direction_wins_over_the_cases_own() {
    let w = demos();
    assert_eq!(w.sentence(&N(0.0), DOWN, Matching::Exact), "No demo requested yet");
    assert_eq!(w.sentence(&N(0.0), UP, Matching::Exact), "Has not requested a demo");
    // Without a sentence of its own, one reads as any other number.
    let mut w = demos();
    w.templates = w.templates.iter().filter(|t| t.case != Case::One).cloned().collect::<Vec<_>>().into();
    assert_eq!(w.sentence(&N(1.0), UP, Matching::Exact), "Requested a demo 1 times");
}

#[test]
fn booleans_read_as_their_sentences_from_categories_and_numbers() {
    let w = Wording {
        format: Format::Boolean,
        templates: vec![
            template(Case::True, None, "Uses a competitor's product"),
            template(Case::False, None, "Does not use a competitor's product"),
        ]
        .into(),
        ..Wording::plain("uses_competitor", "")
    };
    let say = |v: FeatureValue| w.sentence(&v, UP, Matching::Exact);
    assert_eq!(say(FeatureValue::Category("true".into())), "Uses a competitor's product");
    assert_eq!(say(FeatureValue::Category("false".into())), "Does not use a competitor's product");
    assert_eq!(say(N(1.0)), "Uses a competitor's product");
    assert_eq!(say(N(0.0)), "Does not use a competitor's product");
    assert_eq!(say(FeatureValue::Missing), "Uses competitor unknown", "the label's fallback");
    assert_eq!(w.display_value(&FeatureValue::Category("true".into()), Matching::Exact), "Yes");
    assert_eq!(w.description(), "Uses a competitor's product / Does not use a competitor's product");
}

#[test]
fn categories_read_by_display_name_or_humanised_and_sentences_start_capitalised() {
    let w = Wording {
        display: vec![("vp".into(), "VP".into())].into(),
        ..Wording::plain("seniority", "{value} level contact")
    };
    let say = |c: &str| w.sentence(&FeatureValue::Category(c.to_string().into()), UP, Matching::Exact);
    assert_eq!(say("vp"), "VP level contact");
    assert_eq!(say("north_america"), "North america level contact");
    assert_eq!(say("c-suite"), "C suite level contact");
    // The key is the category's match key: casefolded features find it in any case.
    assert_eq!(w.display_name(" vp ", Matching::Exact), "VP");
}

#[test]
fn values_outside_sentences_carry_their_unit_and_formats_apply_the_scale() {
    let w = demos();
    assert_eq!(w.display_value(&N(1.0), Matching::Exact), "1 request");
    assert_eq!(w.display_value(&N(2.0), Matching::Exact), "2 requests");
    assert_eq!(w.display_value(&FeatureValue::Missing, Matching::Exact), "Unknown");
    let revenue = Wording { format: Format::Money, scale: 1e6, ..Wording::plain("revenue", "Revenue of {value}") };
    assert_eq!(revenue.sentence(&N(1.25), UP, Matching::Exact), "Revenue of $1.3M");
    let days = Wording { format: Format::DaysAgo, ..Wording::plain("last_visit", "Last visited {value}") };
    assert_eq!(days.sentence(&N(92.5), UP, Matching::Exact), "Last visited 92 days ago");
    assert_eq!(days.sentence(&N(1.0), UP, Matching::Exact), "Last visited yesterday");
    assert_eq!(days.sentence(&N(0.2), UP, Matching::Exact), "Last visited today");
}

#[test]
fn a_missing_value_without_a_sentence_says_the_label_is_unknown() {
    let w = Wording::plain("annual_revenue", "Revenue of {value}");
    assert_eq!(w.sentence(&FeatureValue::Missing, DOWN, Matching::Exact), "Annual revenue unknown");
}

#[test]
fn a_change_reads_as_before_and_after_with_the_difference_of_counts() {
    let w = demos();
    let change = |a: FeatureValue, b: FeatureValue| w.change(&a, &b, Matching::Exact);
    assert_eq!(change(N(2.0), N(5.0)).as_deref(), Some("Demo requests: 2 → 5 (+3)"));
    assert_eq!(change(N(5.0), N(1.0)).as_deref(), Some("Demo requests: 5 → 1 (−4)"));
    assert_eq!(change(FeatureValue::Missing, N(1.0)).as_deref(), Some("Demo requests: Unknown → 1"));
    assert_eq!(change(N(2.0), N(2.0)), None);
    assert_eq!(change(N(2.1), N(1.9)), None, "both written as 2");
}

#[test]
fn a_change_of_days_categories_and_booleans_reads_as_written() {
    let days = Wording { format: Format::DaysAgo, ..Wording::plain("last_email_click_days", "") };
    assert_eq!(
        days.change(&N(10.0), &N(1.0), Matching::Exact).as_deref(),
        Some("Last email click days: 10 days ago → yesterday")
    );
    let region = Wording {
        display: vec![("north_america".into(), "North America".into())].into(),
        ..Wording::plain("region", "")
    };
    let c = |s: &str| FeatureValue::Category(s.to_string().into());
    assert_eq!(
        region.change(&c("europe"), &c("north_america"), Matching::Exact).as_deref(),
        Some("Region: Europe → North America")
    );
    let flag = Wording { format: Format::Boolean, ..Wording::plain("uses_competitor", "") };
    assert_eq!(flag.change(&c("false"), &c("true"), Matching::Exact).as_deref(), Some("Uses competitor: No → Yes"));
}
