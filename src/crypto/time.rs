//! Unix time and RFC 3339 timestamps, as the key-set file writes them.
//!
//! This is a private helper of the crypto layer: the key-set file records
//! when each key was made, and Fernet tokens carry a Unix timestamp. The
//! calendar arithmetic is the proleptic Gregorian one of Howard Hinnant's
//! `days_from_civil` and `civil_from_days`; there is no time-zone database
//! and no leap-second table (a `:60` second is read as the next second, as
//! POSIX time does).

use std::time::{SystemTime, UNIX_EPOCH};

const SECS_PER_DAY: i64 = 86_400;

/// The current Unix time in whole seconds; 0 if the clock reads before 1970.
pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Formats Unix seconds as RFC 3339 UTC, `YYYY-MM-DDTHH:MM:SSZ`.
///
/// N.B. Years past 9999 print with more than four digits, which RFC 3339
/// (and so [`parse`]) does not allow; no real clock reaches them.
pub(crate) fn format_utc(secs: u64) -> String {
    // Convert via i64: u64 seconds / 86400 always fits.
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let (h, m, s) = (rem / 3600, rem / 60 % 60, rem % 60);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
}

/// Parses an RFC 3339 date-time (`Z` or a `+HH:MM`/`-HH:MM` offset,
/// optional fraction, which is dropped) into Unix seconds.
///
/// Returns `None` for anything else, and for instants before 1970.
pub(crate) fn parse(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() < 20 {
        return None;
    }
    // The fixed-width part: YYYY-MM-DDTHH:MM:SS.
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    let seps = [b[4], b[7], b[10], b[13], b[16]];
    if seps[0] != b'-' || seps[1] != b'-' || !matches!(seps[2], b'T' | b't') {
        return None;
    }
    if seps[3] != b':' || seps[4] != b':' {
        return None;
    }
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }

    // An optional fraction, then the offset.
    let mut rest = &b[19..];
    if let Some((b'.', tail)) = rest.split_first() {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = &tail[n..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let oh = digits(&[*h1, *h2])?;
            let om = digits(&[*m1, *m2])?;
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if *sign == b'-' { -off } else { off }
        }
        _ => return None,
    };

    let days = days_from_civil(year, month, day);
    let local = days * SECS_PER_DAY + hour * 3600 + minute * 60 + second;
    u64::try_from(local - offset).ok()
}

/// Reads a run of ASCII digits as a number; `None` if any byte is not one.
fn digits(bytes: &[u8]) -> Option<i64> {
    bytes.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(499_162_800), "1985-10-26T08:20:00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_utc(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn parses_offsets_and_fractions() {
        assert_eq!(parse("1985-10-26T01:20:00-07:00"), Some(499_162_800));
        assert_eq!(parse("1985-10-26T08:20:00Z"), Some(499_162_800));
        assert_eq!(parse("1985-10-26T10:20:00.123+02:00"), Some(499_162_800));
        assert_eq!(parse("1970-01-01t00:00:00z"), Some(0));
    }

    #[test]
    fn round_trips_every_day_of_a_leap_cycle() {
        let start = 946_684_800u64; // 2000-01-01
        for day in 0..(4 * 366) {
            let secs = start + day * 86_400 + 3_723;
            assert_eq!(parse(&format_utc(secs)), Some(secs), "day {day}");
        }
    }

    #[test]
    fn refuses_malformed_and_pre_epoch() {
        let bad = [
            "",
            "1985-10-26",
            "1985-10-26T01:20:00",
            "1985-13-26T01:20:00Z",
            "1985-02-29T01:20:00Z",
            "1985-10-26T24:00:00Z",
            "1985-10-26T01:20:00+7:00",
            "1985-10-26T01:20:00.Z",
            "1985-10-26 01:20:00Z",
            "1969-12-31T23:59:59Z",
            "1970-01-01T00:00:00+00:01",
            "+985-10-26T01:20:00Z",
            "1985-10-26T01:20:00Zjunk",
        ];
        for text in bad {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }
}
