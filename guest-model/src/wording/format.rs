//! How a number is written for a rep: `1,200`, `2.5`, `$1.2M`, `3 days ago`.

/// How a feature's value is written (`format` in `features.toml`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Format {
    /// Whole numbers without decimals, others with one (`12`, `2.5`).
    #[default]
    Number,
    /// Rounded to a whole number (`1,200`).
    Integer,
    /// Always one decimal (`0.3`, `2.0`).
    Decimal,
    /// A number of days before `as_of`, in whole days: `today`,
    /// `yesterday`, `3 days ago`.
    DaysAgo,
    /// US dollars, abbreviated: `$950`, `$12K`, `$1.2M`, `$3B`.
    Money,
    /// Yes or no: 0 and the category `false` are no, anything else yes.
    Boolean,
}

impl Format {
    /// The names used in `features.toml`, in declaration order.
    pub const NAMES: [&'static str; 6] = ["number", "integer", "decimal", "days_ago", "money", "boolean"];

    /// The name used in `features.toml`.
    pub fn name(self) -> &'static str {
        Format::NAMES[self as usize]
    }

    /// The format named `name` in `features.toml`.
    pub fn parse(name: &str) -> Option<Format> {
        const ALL: [Format; 6] =
            [Format::Number, Format::Integer, Format::Decimal, Format::DaysAgo, Format::Money, Format::Boolean];
        ALL.into_iter().find(|f| f.name() == name)
    }

    /// The number a rep sees once `v` is written: the zero and one cases
    /// follow it, so 0.04 written as `0` reads as none, not as "0 visits".
    pub fn shown(self, v: f64) -> f64 {
        match self {
            Format::Number | Format::Decimal => (v * 10.0).round() / 10.0,
            Format::Integer | Format::Money => v.round(),
            Format::DaysAgo => v.max(0.0).floor(),
            Format::Boolean => v,
        }
    }

    /// `v` written in this format.
    pub fn write(self, v: f64) -> String {
        match self {
            Format::Number => {
                let shown = self.shown(v);
                if shown.fract() == 0.0 { grouped(shown) } else { one_decimal(shown) }
            }
            Format::Integer => grouped(self.shown(v)),
            Format::Decimal => one_decimal(self.shown(v)),
            Format::DaysAgo => {
                let days = self.shown(v);
                if days == 0.0 {
                    "today".into()
                } else if days == 1.0 {
                    "yesterday".into()
                } else {
                    format!("{} days ago", grouped(days))
                }
            }
            Format::Money => money(v),
            Format::Boolean => if v != 0.0 { "yes" } else { "no" }.into(),
        }
    }
}

/// A whole number with thousands separators (`-1,234,567`); beyond what an
/// i64 holds exactly, plain scientific notation.
fn grouped(whole: f64) -> String {
    if whole.abs() >= 1e15 {
        return format!("{whole:e}");
    }
    let digits = (whole.abs() as i64).to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if whole < 0.0 {
        out.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// One decimal, the whole part grouped (`1,234.5`, `-0.3`).
fn one_decimal(v: f64) -> String {
    if v.abs() >= 1e15 {
        return format!("{v:e}");
    }
    let tenths = (v.abs() * 10.0).round() as i64;
    let sign = if v < 0.0 && tenths != 0 { "-" } else { "" };
    format!("{sign}{}.{}", grouped((tenths / 10) as f64), tenths % 10)
}

/// Dollars with at most one decimal and a K/M/B/T suffix (`$1.2M`).
fn money(v: f64) -> String {
    let sign = if v.round() < 0.0 { "-" } else { "" };
    let v = v.abs();
    if v.round() < 1000.0 {
        return format!("{sign}${}", grouped(v.round()));
    }
    // The largest unit at which the rounded value is still at least 1, so
    // 999,960 is $1M, not $1000K.
    let units = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")];
    let (size, suffix) = units.into_iter().find(|(size, _)| (v / size * 10.0).round() >= 10.0).unwrap_or(units[3]);
    let shown = (v / size * 10.0).round() / 10.0;
    let number = if shown.fract() == 0.0 { grouped(shown) } else { one_decimal(shown) };
    format!("{sign}${number}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_and_rounded_as_the_format_says() {
        let w = |f: Format, v: f64| f.write(v);
        assert_eq!(w(Format::Number, 12.0), "12");
        assert_eq!(w(Format::Number, 2.54), "2.5");
        assert_eq!(w(Format::Number, 2.96), "3");
        assert_eq!(w(Format::Number, 1234567.0), "1,234,567");
        assert_eq!(w(Format::Integer, 999.6), "1,000");
        assert_eq!(w(Format::Integer, -1234.0), "-1,234");
        assert_eq!(w(Format::Decimal, 2.0), "2.0");
        assert_eq!(w(Format::Decimal, -0.04), "0.0");
        assert_eq!(w(Format::Decimal, 1234.56), "1,234.6");
        assert_eq!(w(Format::Number, 1e300), "1e300");
    }

    #[test]
    fn days_are_whole_and_today_and_yesterday_are_words() {
        let w = |v: f64| Format::DaysAgo.write(v);
        assert_eq!(w(0.0), "today");
        assert_eq!(w(0.9), "today");
        assert_eq!(w(1.2), "yesterday");
        assert_eq!(w(92.5), "92 days ago");
        assert_eq!(w(2.0), "2 days ago");
        assert_eq!(w(-0.1), "today");
    }

    #[test]
    fn money_is_abbreviated_with_at_most_one_decimal() {
        let w = |v: f64| Format::Money.write(v);
        assert_eq!(w(0.2), "$0");
        assert_eq!(w(950.0), "$950");
        assert_eq!(w(999.6), "$1K");
        assert_eq!(w(12_345.0), "$12.3K");
        assert_eq!(w(1_200_000.0), "$1.2M");
        assert_eq!(w(999_960.0), "$1M");
        assert_eq!(w(3e9), "$3B");
        assert_eq!(w(-2_500_000.0), "-$2.5M");
        assert_eq!(w(4.2e15), "$4,200T");
    }

    #[test]
    fn every_format_has_a_name_that_parses_back() {
        for name in Format::NAMES {
            assert_eq!(Format::parse(name).map(Format::name), Some(name));
        }
        assert_eq!(Format::parse("percent"), None);
    }
}
