//! The reporting period a packet covers, and the time forms the command line accepts.

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, TimeDelta, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// A reporting period, half-open: from `start` (inclusive) to `end` (exclusive).
///
/// The default period of a packet is the calendar quarter of its snapshot
/// ([`Period::quarter_containing`]): `2026-10-01T00:00:00Z` to `2027-01-01T00:00:00Z`.
///
/// **Written form.** `packet.json` states the period by its last second, as it always has:
/// `{"start": "2026-10-01T00:00:00Z", "end": "2026-12-31T23:59:59Z"}`. The serializer
/// writes [`Period::last`] as `end` and the reader adds the second back, so the type is
/// half-open while the bytes on disk stay those earlier packets have and chains compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    /// First instant of the period (inclusive).
    pub start: DateTime<Utc>,
    /// The instant the period ends (exclusive): the next period may start here.
    pub end: DateTime<Utc>,
}

/// A time given on the command line that is neither RFC 3339 nor a date `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not an RFC 3339 time (2026-01-01T00:00:00Z) or a date (2026-01-01)")]
pub struct BadTime {
    /// The value given.
    pub value: String,
}

const SECOND: TimeDelta = TimeDelta::seconds(1);

impl Period {
    /// The calendar quarter (UTC) containing `t`.
    pub fn quarter_containing(t: DateTime<Utc>) -> Period {
        let q0 = (t.month0() / 3) * 3 + 1;
        let start_date = NaiveDate::from_ymd_opt(t.year(), q0, 1).expect("valid quarter start");
        let (ny, nm) = if q0 == 10 {
            (t.year() + 1, 1)
        } else {
            (t.year(), q0 + 3)
        };
        let next = NaiveDate::from_ymd_opt(ny, nm, 1).expect("valid quarter end");
        Period {
            start: midnight(start_date),
            end: midnight(next),
        }
    }

    /// The period of `render --period-start S --period-end E`: each an RFC 3339 time or a
    /// date. `E` names the last moment covered: a date covers that whole day (the period
    /// ends at the next midnight), a time covers up to and including that second.
    pub fn from_flags(start: &str, end: &str) -> Result<Period, BadTime> {
        Ok(Period {
            start: parse_start(start)?,
            end: match DateTime::parse_from_rfc3339(end) {
                Ok(t) => t.with_timezone(&Utc) + SECOND,
                Err(_) => parse_until(end)?,
            },
        })
    }

    /// The last second of the period (`end` less one second): what `packet.json` and the
    /// packet's text state as the end.
    pub fn last(&self) -> DateTime<Utc> {
        self.end - SECOND
    }

    /// `2026Q4` when the period is exactly one calendar quarter, else `20261001-20261215`
    /// (the first and the last day covered).
    pub fn label(&self) -> String {
        let q = Period::quarter_containing(self.start);
        if q == *self {
            format!("{}Q{}", self.start.year(), self.start.month0() / 3 + 1)
        } else {
            format!(
                "{}-{}",
                self.start.format("%Y%m%d"),
                self.last().format("%Y%m%d")
            )
        }
    }
}

/// When point-in-time evidence was taken, relative to a period: a snapshot shows the
/// cluster at one instant, and a packet must say where that instant lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Timing {
    /// Taken before the period began: it shows nothing of the period itself.
    BeforePeriod,
    /// Taken while the period was still in progress: the rest of it is not shown.
    DuringPeriod,
    /// Taken after the period ended: the cluster may have changed since the period.
    AfterPeriod,
}

impl Period {
    /// Where `t` lies relative to the period (`end` exclusive).
    pub fn timing(&self, t: DateTime<Utc>) -> Timing {
        if t < self.start {
            Timing::BeforePeriod
        } else if t < self.end {
            Timing::DuringPeriod
        } else {
            Timing::AfterPeriod
        }
    }
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
}

fn date(value: &str) -> Result<NaiveDate, BadTime> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| BadTime {
        value: value.to_string(),
    })
}

/// A start (`--since`, `--period-start`, `--now`): RFC 3339, or a date meaning its
/// midnight (UTC).
pub fn parse_start(value: &str) -> Result<DateTime<Utc>, BadTime> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    Ok(midnight(date(value)?))
}

/// An exclusive end (`--until`): RFC 3339 as given, or a date meaning the end of that day
/// (the next midnight), so `--until 2026-03-31` includes March 31.
pub fn parse_until(value: &str) -> Result<DateTime<Utc>, BadTime> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    let next = date(value)?.succ_opt().ok_or_else(|| BadTime {
        value: value.to_string(),
    })?;
    Ok(midnight(next))
}

/// The written form: RFC 3339, whole seconds, `Z`; `end` is the last second.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Written {
    start: String,
    end: String,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Written {
            start: ts(self.start),
            end: ts(self.last()),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let w = Written::deserialize(d)?;
        let time = |field: &str, v: &str| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    D::Error::custom(format!(
                        "period.{field} {v:?} is not an RFC 3339 time (2026-01-01T00:00:00Z)"
                    ))
                })
        };
        let (start, last) = (time("start", &w.start)?, time("end", &w.end)?);
        Ok(Period {
            start,
            end: last + SECOND,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_default_period_is_the_calendar_quarter_half_open() {
        let q = Period::quarter_containing(t("2026-11-20T09:30:00Z"));
        assert_eq!(
            (q.start, q.end),
            (t("2026-10-01T00:00:00Z"), t("2027-01-01T00:00:00Z"))
        );
        assert_eq!(q.last(), t("2026-12-31T23:59:59Z"));
        assert_eq!(q.label(), "2026Q4");
        let custom = Period::from_flags("2026-10-01", "2026-11-30").unwrap();
        assert_eq!(custom.end, t("2026-12-01T00:00:00Z"));
        assert_eq!(custom.label(), "20261001-20261130");
    }

    #[test]
    fn flags_name_the_last_moment_and_until_names_the_end() {
        // --period-end as a time is the last second covered; --until is exclusive.
        let p = Period::from_flags("2026-10-01T00:00:00Z", "2026-12-31T23:59:59Z").unwrap();
        assert_eq!(p, Period::quarter_containing(t("2026-10-01T00:00:00Z")));
        assert_eq!(
            parse_until("2026-03-31").unwrap(),
            t("2026-04-01T00:00:00Z")
        );
        assert_eq!(
            parse_until("2026-04-01T00:00:00Z").unwrap(),
            t("2026-04-01T00:00:00Z")
        );
        assert_eq!(
            parse_start("2026-03-01T10:00:00+02:00").unwrap(),
            t("2026-03-01T08:00:00Z")
        );
        let e = parse_start("March").unwrap_err().to_string();
        assert_eq!(
            e,
            "\"March\" is not an RFC 3339 time (2026-01-01T00:00:00Z) or a date (2026-01-01)"
        );
    }

    #[test]
    fn written_with_its_last_second_and_read_back() {
        let q = Period::quarter_containing(t("2026-11-20T09:30:00Z"));
        let text = serde_json::to_string(&q).unwrap();
        assert_eq!(
            text,
            r#"{"start":"2026-10-01T00:00:00Z","end":"2026-12-31T23:59:59Z"}"#
        );
        assert_eq!(serde_json::from_str::<Period>(&text).unwrap(), q);
    }

    #[test]
    fn a_written_period_is_read_strictly() {
        let e = serde_json::from_str::<Period>(
            r#"{"start":"2026-10-01","end":"2026-12-31T23:59:59Z"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("period.start \"2026-10-01\" is not an RFC 3339 time"),
            "{e}"
        );
        let e = serde_json::from_str::<Period>(
            r#"{"start":"2026-10-01T00:00:00Z","end":"2026-12-31T23:59:59Z","label":"q"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unknown field `label`"), "{e}");
    }
}
