//! Query schedules (the binding's `QueryScheduleSubscription`, EPCIS's `QuerySchedule`): when a
//! scheduled subscription runs. Pure: the notifier asks it with the clock it read.
//!
//! A schedule gives some of `second`, `minute`, `hour`, `dayOfMonth`, `month` and `dayOfWeek`
//! (1 is Monday, 7 Sunday), each a number, a range `[low-high]` or a comma-separated list of
//! them, as strings (numbers are taken too). It runs at every second of UTC that matches every
//! field, as the binding says of each: "the query time must have a matching … value".
//!
//! A field left out matches any value when a finer field is given, and only its first value
//! when none is: `{"hour": "1", "minute": "5"}`, the binding's "every morning at 1.05am", runs at
//! 01:05:00 each day, not at every second of that minute; `{"dayOfWeek": "1"}` at midnight each
//! Monday. (The binding's schema gives each field's range, not this reading of an omitted one;
//! it is cron's, and the only one under which its own example runs once a day.)

use serde_json::{Map, Value};
use time::{Date, OffsetDateTime, Time};

/// A field: its name in the binding and its range.
struct Field {
    name: &'static str,
    low: u8,
    high: u8,
}

/// The fields, finest first; `dayOfMonth` and `dayOfWeek` are both a day.
const FIELDS: [Field; 6] = [
    Field {
        name: "second",
        low: 0,
        high: 59,
    },
    Field {
        name: "minute",
        low: 0,
        high: 59,
    },
    Field {
        name: "hour",
        low: 0,
        high: 23,
    },
    Field {
        name: "dayOfMonth",
        low: 1,
        high: 31,
    },
    Field {
        name: "dayOfWeek",
        low: 1,
        high: 7,
    },
    Field {
        name: "month",
        low: 1,
        high: 12,
    },
];
const SECOND: usize = 0;
const MINUTE: usize = 1;
const HOUR: usize = 2;
const DAY_OF_MONTH: usize = 3;
const DAY_OF_WEEK: usize = 4;
const MONTH: usize = 5;

/// How a field ranks in fineness (the two day fields rank alike).
fn rank(field: usize) -> usize {
    match field {
        DAY_OF_WEEK => DAY_OF_MONTH,
        f => f,
    }
}

/// Longest search for the next run: a schedule of the 29th of February runs within 8 years.
const SEARCH_DAYS: u32 = 8 * 366;

/// When a scheduled subscription runs: per field, the values it allows (bit `v` for value `v`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    allowed: [u64; 6],
}

impl Schedule {
    /// Reads the `schedule` member of a subscription, naming what is wrong with it.
    pub fn parse(spec: &Map<String, Value>) -> Result<Self, String> {
        if let Some(unknown) = spec.keys().find(|k| FIELDS.iter().all(|f| f.name != *k)) {
            return Err(format!(
                "a schedule has no {unknown:?}: its fields are second, minute, hour, dayOfMonth, month and dayOfWeek"
            ));
        }
        let given: Vec<usize> = (0..FIELDS.len())
            .filter(|&i| spec.contains_key(FIELDS[i].name))
            .collect();
        let Some(finest) = given.iter().map(|&i| rank(i)).min() else {
            return Err("a schedule gives at least one of its fields".into());
        };
        let mut allowed = [0u64; 6];
        for (i, field) in FIELDS.iter().enumerate() {
            allowed[i] = match spec.get(field.name) {
                Some(value) => values(field, value)?,
                None if rank(i) < finest => 1 << field.low,
                None => range(field.low, field.high),
            };
        }
        Ok(Schedule { allowed })
    }

    fn allows(&self, field: usize, value: u8) -> bool {
        self.allowed[field] & (1 << value) != 0
    }

    /// Whether the schedule runs on `day`.
    fn runs_on(&self, day: Date) -> bool {
        self.allows(MONTH, u8::from(day.month()))
            && self.allows(DAY_OF_MONTH, day.day())
            && self.allows(DAY_OF_WEEK, day.weekday().number_from_monday())
    }

    /// The first second of the day at or after `from` (seconds since midnight) it runs at.
    fn first_time(&self, from: u32) -> Option<Time> {
        (from..86_400)
            .map(|s| ((s / 3600) as u8, (s / 60 % 60) as u8, (s % 60) as u8))
            .find(|&(h, m, s)| {
                self.allows(HOUR, h) && self.allows(MINUTE, m) && self.allows(SECOND, s)
            })
            .and_then(|(h, m, s)| Time::from_hms(h, m, s).ok())
    }

    /// The first time after `t` (UTC, to the second) it runs, within [`SEARCH_DAYS`].
    pub fn next_after(&self, t: OffsetDateTime) -> Option<OffsetDateTime> {
        let t = t.to_offset(time::UtcOffset::UTC);
        let (h, m, s) = t.to_hms();
        let mut from = u32::from(h) * 3600 + u32::from(m) * 60 + u32::from(s) + 1;
        let mut day = t.date();
        for _ in 0..SEARCH_DAYS {
            if self.runs_on(day) {
                if let Some(at) = self.first_time(from) {
                    return Some(day.with_time(at).assume_utc());
                }
            }
            day = day.next_day()?;
            from = 0;
        }
        None
    }

    /// Whether it runs at some second after `after` and no later than `upto`.
    pub fn due(&self, after: OffsetDateTime, upto: OffsetDateTime) -> bool {
        self.next_after(after).is_some_and(|next| next <= upto)
    }
}

/// The values `value` gives `field`: numbers and `[low-high]` ranges, comma-separated.
fn values(field: &Field, value: &Value) -> Result<u64, String> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => {
            return Err(format!(
                "{} is a string such as \"5\", \"[1-5]\" or \"0,30\"",
                field.name
            ))
        }
    };
    let bad = || {
        format!(
            "{} {text:?} is not a list of values and [low-high] ranges from {} to {}",
            field.name, field.low, field.high
        )
    };
    let number = |s: &str| {
        s.trim()
            .parse::<u8>()
            .ok()
            .filter(|n| (field.low..=field.high).contains(n))
            .ok_or_else(bad)
    };
    let mut bits = 0;
    for part in text.split(',') {
        let part = part.trim();
        bits |= match part.strip_prefix('[').and_then(|p| p.strip_suffix(']')) {
            Some(inner) => {
                let (low, high) = inner.split_once('-').ok_or_else(bad)?;
                let (low, high) = (number(low)?, number(high)?);
                if low > high {
                    return Err(bad());
                }
                range(low, high)
            }
            None => 1 << number(part)?,
        };
    }
    Ok(bits)
}

/// Bits `low` to `high`, inclusive.
fn range(low: u8, high: u8) -> u64 {
    (low..=high).fold(0, |bits, v| bits | (1 << v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    fn schedule(spec: Value) -> Result<Schedule, String> {
        Schedule::parse(spec.as_object().unwrap())
    }

    #[test]
    fn the_bindings_example_runs_each_morning_at_five_past_one() {
        let s = schedule(json!({"hour": "1", "minute": "5"})).unwrap();
        let at = s.next_after(datetime!(2026-12-07 06:00:00 UTC)).unwrap();
        assert_eq!(at, datetime!(2026-12-08 01:05:00 UTC));
        assert_eq!(s.next_after(at), Some(datetime!(2026-12-09 01:05:00 UTC)));
        assert!(s.due(
            datetime!(2026-12-08 01:04:59 UTC),
            datetime!(2026-12-08 01:05:00 UTC)
        ));
        assert!(!s.due(
            datetime!(2026-12-08 01:05:00 UTC),
            datetime!(2026-12-08 01:05:59 UTC)
        ));
    }

    #[test]
    fn lists_ranges_and_coarser_fields_left_out() {
        let s = schedule(json!({"second": "0,[20-21]"})).unwrap();
        let t = datetime!(2026-12-07 06:00:00 UTC);
        assert_eq!(s.next_after(t), Some(datetime!(2026-12-07 06:00:20 UTC)));
        assert_eq!(
            s.next_after(datetime!(2026-12-07 06:00:21 UTC)),
            Some(datetime!(2026-12-07 06:01:00 UTC))
        );
        // Finer fields left out take their first value: Mondays (2026-12-07 is one) at midnight.
        let mondays = schedule(json!({"dayOfWeek": 1})).unwrap();
        assert_eq!(
            mondays.next_after(t),
            Some(datetime!(2026-12-14 00:00:00 UTC))
        );
        // Every field must match: the 29th of February that is a Sunday.
        let rare = schedule(json!({"month": "2", "dayOfMonth": "29", "dayOfWeek": "7"})).unwrap();
        assert_eq!(rare.next_after(t), Some(datetime!(2032-02-29 00:00:00 UTC)));
        // An offset time is read in UTC.
        let s = schedule(json!({"hour": "0"})).unwrap();
        assert_eq!(
            s.next_after(datetime!(2026-12-07 23:30:00 +08:00)),
            Some(datetime!(2026-12-08 00:00:00 UTC))
        );
    }

    #[test]
    fn a_bad_schedule_is_named() {
        for (spec, says) in [
            (json!({}), "at least one"),
            (json!({"minutes": "5"}), "\"minutes\""),
            (json!({"minute": "60"}), "minute \"60\""),
            (json!({"hour": "[5-2]"}), "hour"),
            (json!({"dayOfWeek": "0"}), "dayOfWeek"),
            (json!({"second": "1,,2"}), "second"),
            (json!({"month": ["1"]}), "month is a string"),
        ] {
            let err = schedule(spec.clone()).unwrap_err();
            assert!(err.contains(says), "{spec}: {err}");
        }
        // A date that never comes is found to never come.
        let never = schedule(json!({"month": "2", "dayOfMonth": "30"})).unwrap();
        assert_eq!(never.next_after(datetime!(2026-12-07 00:00:00 UTC)), None);
    }
}
