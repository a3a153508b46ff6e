//! When a subject request must be answered (GDPR Art. 12(3)): one month
//! from receipt, by the corresponding date, or the last day of the month
//! when that month has no such date; an extension adds two months to
//! that due date, and counts only when the subject was told before it.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// The year.
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
    /// 1 to the month's last day.
    pub day: u32,
}

fn leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in(year: i32, month: u32) -> u32 {
    match month {
        2 if leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Date {
    /// The date `months` later: the same day, or the last day of that
    /// month when it is shorter.
    pub fn add_months(self, months: u32) -> Date {
        let total = self.month - 1 + months;
        let year = self.year + i32::try_from(total / 12).unwrap_or(0);
        let month = total % 12 + 1;
        Date { year, month, day: self.day.min(days_in(year, month)) }
    }
}

impl FromStr for Date {
    type Err = String;

    /// Reads `YYYY-MM-DD`.
    fn from_str(s: &str) -> Result<Date, String> {
        let bad = || format!("not a date (YYYY-MM-DD): {s}");
        let mut parts = s.splitn(3, '-');
        let mut next = || parts.next().ok_or_else(bad);
        let year = next()?.parse().map_err(|_| bad())?;
        let month: u32 = next()?.parse().map_err(|_| bad())?;
        let day: u32 = next()?.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in(year, month)
        {
            return Err(bad());
        }
        Ok(Date { year, month, day })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(
        &self,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The deadline of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// One month after receipt.
    pub due: Date,
    /// The due date with a valid extension, else `due`.
    pub extended_due: Date,
    /// An extension was notified, but after `due`: it does not count, and
    /// the request is late from `due` on.
    pub late_extension: bool,
}

/// The deadline of a request received on `received`, with the day the
/// subject was told of an extension, if any.
pub fn deadline(received: Date, extension_notice: Option<Date>) -> Deadline {
    let due = received.add_months(1);
    let valid = extension_notice.is_some_and(|n| n <= due);
    Deadline {
        due,
        extended_due: if valid { due.add_months(2) } else { due },
        late_extension: extension_notice.is_some() && !valid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn one_month_by_the_corresponding_date_or_the_last_day() {
        for (received, due) in [
            ("2025-01-31", "2025-02-28"),
            ("2025-03-31", "2025-04-30"),
            ("2024-12-31", "2025-01-31"),
            ("2024-01-30", "2024-02-29"),
            ("2025-06-15", "2025-07-15"),
        ] {
            assert_eq!(deadline(d(received), None).due, d(due), "{received}");
        }
    }

    #[test]
    fn an_extension_adds_two_months_when_told_in_time() {
        let received = d("2025-01-31");
        let told = deadline(received, Some(d("2025-02-20")));
        assert_eq!(told.extended_due, d("2025-04-28"));
        assert!(!told.late_extension);
        let late = deadline(received, Some(d("2025-03-01")));
        assert_eq!(late.extended_due, d("2025-02-28"));
        assert!(late.late_extension);
    }

    #[test]
    fn dates_are_checked() {
        for bad in
            ["2025-02-29", "2025-13-01", "2025-1", "x-01-01", "2025-04-31"]
        {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
        assert_eq!(d("2024-02-29").to_string(), "2024-02-29");
    }
}
