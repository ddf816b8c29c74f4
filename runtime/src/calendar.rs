//! Dates and date-times as received: the types of `format: date` and `format: date-time`
//! fields in generated types crates (re-exported there as `calendar`).
//!
//! Providers send a date-time where their spec says date, and the reverse. So a field of either
//! type accepts both and keeps the form it received: nothing is lost, and the value is written
//! back in the form it came in.

use std::fmt;

pub use chrono;

/// A field the spec declares as a date (`YYYY-MM-DD`). A date-time received in its place
/// (RFC 3339, such as `2021-06-19T00:00:00Z`) is accepted and kept whole, so nothing is lost;
/// [`Date::date`] gives the calendar date in either case. Values are written back in the form
/// they were received (a date-time with the same instant and offset, a zero offset as `Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Date {
    /// A date, as the spec declares.
    Day(chrono::NaiveDate),
    /// A date-time sent in place of a date.
    Instant(chrono::DateTime<chrono::FixedOffset>),
}

impl Date {
    /// The calendar date: the date itself, or the date part of the date-time as sent (in its
    /// own offset).
    pub fn date(&self) -> chrono::NaiveDate {
        match self {
            Date::Day(day) => *day,
            Date::Instant(instant) => instant.date_naive(),
        }
    }
}

impl From<chrono::NaiveDate> for Date {
    fn from(day: chrono::NaiveDate) -> Self {
        Date::Day(day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Date::Day(day) => write!(f, "{}", day.format("%Y-%m-%d")),
            Date::Instant(instant) => f.write_str(&instant.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        }
    }
}

impl std::str::FromStr for Date {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Ok(Date::Day(day));
        }
        chrono::DateTime::parse_from_rfc3339(text)
            .map(Date::Instant)
            .map_err(|_| format!("invalid date `{text}`: expected YYYY-MM-DD or an RFC 3339 date-time"))
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A field the spec declares as a date-time (RFC 3339, such as `2021-06-19T08:30:00Z`). The
/// same rule as for [`Date`], the other way round: a date received in its place (`2021-06-19`)
/// is accepted and kept as a date, so nothing is lost; [`DateTime::instant`] gives the start of
/// that day in UTC. Values are written back in the form they were received (a date-time in UTC,
/// a zero offset as `Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DateTime {
    /// A date-time, as the spec declares.
    Instant(chrono::DateTime<chrono::Utc>),
    /// A date sent in place of a date-time.
    Day(chrono::NaiveDate),
}

impl DateTime {
    /// The instant: the date-time itself, or midnight UTC at the start of the date.
    pub fn instant(&self) -> chrono::DateTime<chrono::Utc> {
        match self {
            DateTime::Instant(instant) => *instant,
            DateTime::Day(day) => day.and_time(chrono::NaiveTime::MIN).and_utc(),
        }
    }
}

impl From<chrono::DateTime<chrono::Utc>> for DateTime {
    fn from(instant: chrono::DateTime<chrono::Utc>) -> Self {
        DateTime::Instant(instant)
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateTime::Instant(instant) => f.write_str(&instant.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            DateTime::Day(day) => write!(f, "{}", day.format("%Y-%m-%d")),
        }
    }
}

impl std::str::FromStr for DateTime {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        if let Ok(instant) = text.parse::<chrono::DateTime<chrono::Utc>>() {
            return Ok(DateTime::Instant(instant));
        }
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(DateTime::Day)
            .map_err(|_| format!("invalid date-time `{text}`: expected an RFC 3339 date-time or YYYY-MM-DD"))
    }
}

impl serde::Serialize for DateTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for DateTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_takes_the_other_form_and_writes_back_what_it_received() {
        for text in ["2021-06-19", "2021-06-19T08:30:00+02:00", "2021-06-19T00:00:00Z"] {
            let date: Date = text.parse().unwrap();
            assert_eq!(date.to_string(), text);
            assert_eq!(date.date(), chrono::NaiveDate::from_ymd_opt(2021, 6, 19).unwrap());
        }
        for text in ["2021-06-19T08:30:00Z", "2021-06-19"] {
            let instant: DateTime = text.parse().unwrap();
            assert_eq!(instant.to_string(), text);
        }
        let day: DateTime = "2021-06-19".parse().unwrap();
        assert_eq!(day.instant().to_rfc3339(), "2021-06-19T00:00:00+00:00");
        // An offset other than zero is read as its instant in UTC.
        let shifted: DateTime = "2021-06-19T08:30:00+02:00".parse().unwrap();
        assert_eq!(shifted.to_string(), "2021-06-19T06:30:00Z");
        assert!("19.06.2021".parse::<Date>().unwrap_err().contains("expected YYYY-MM-DD"));
        assert!("tomorrow".parse::<DateTime>().unwrap_err().contains("RFC 3339"));
    }

    #[test]
    fn serde_goes_through_the_text_forms() {
        let date: Date = serde_json::from_str("\"2021-06-19T08:30:00Z\"").unwrap();
        assert_eq!(serde_json::to_string(&date).unwrap(), "\"2021-06-19T08:30:00Z\"");
        let error = serde_json::from_str::<DateTime>("\"x\"").unwrap_err().to_string();
        assert!(error.contains("invalid date-time `x`"), "{error}");
    }
}
