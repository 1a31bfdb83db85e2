//! `Retry-After` (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date.

use crate::deadline::HeaderError;
use crate::{Nanos, SECOND};

/// Parses a `Retry-After` value into a delay from now.
///
/// The value is either delay-seconds (ASCII digits; too large a number
/// saturates at `u64::MAX` ns) or an IMF-fixdate such as
/// `Sun, 06 Nov 1994 08:49:37 GMT`, compared with `now_unix_s`, the host's
/// wall clock in Unix seconds (the only wall-clock input core takes); a date
/// in the past means "now" (0). Surrounding spaces and tabs are ignored. The
/// obsolete RFC 850 and asctime date forms are refused.
pub fn parse_retry_after(value: &[u8], now_unix_s: u64) -> Result<Nanos, HeaderError> {
    let value = trim(value);
    if value.is_empty() {
        return Err(HeaderError::Empty);
    }
    if value.iter().all(u8::is_ascii_digit) {
        let seconds = value.iter().fold(0u64, |acc, d| acc.saturating_mul(10).saturating_add(u64::from(d - b'0')));
        return Ok(seconds.saturating_mul(SECOND));
    }
    let at = parse_imf_fixdate(value).ok_or(HeaderError::InvalidDate)?;
    Ok(at.saturating_sub(now_unix_s).saturating_mul(SECOND))
}

fn trim(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

const DAYS: [&[u8; 3]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
const MONTHS: [&[u8; 3]; 12] =
    [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];

/// `Sun, 06 Nov 1994 08:49:37 GMT` -> Unix seconds. The day name must be the
/// right one for the date, as the RFC requires of senders.
fn parse_imf_fixdate(v: &[u8]) -> Option<u64> {
    let [d0, d1, d2, b',', b' ', dd0, dd1, b' ', m0, m1, m2, b' ', y0, y1, y2, y3, b' ', h0, h1, b':', mi0, mi1, b':', s0, s1, b' ', b'G', b'M', b'T'] =
        *v
    else {
        return None;
    };
    let weekday = DAYS.iter().position(|d| **d == [d0, d1, d2])?;
    let month = MONTHS.iter().position(|m| **m == [m0, m1, m2])? as u64 + 1;
    let day = digits(&[dd0, dd1])?;
    let year = digits(&[y0, y1, y2, y3])?;
    let (hour, minute, second) = (digits(&[h0, h1])?, digits(&[mi0, mi1])?, digits(&[s0, s1])?);
    // 60 allows a leap second, which Unix time folds into the next minute.
    if !(1970..=9999).contains(&year)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_since_epoch(year, month, day);
    // 1970-01-01 was a Thursday (index 3 from Monday).
    if (days + 3) % 7 != weekday as u64 {
        return None;
    }
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

fn digits(ds: &[u8]) -> Option<u64> {
    ds.iter().try_fold(0u64, |acc, d| d.is_ascii_digit().then(|| acc * 10 + u64::from(d - b'0')))
}

fn is_leap(year: u64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given date (year >= 1970), by the civil-date
/// algorithm over 400-year eras.
fn days_since_epoch(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_seconds() {
        assert_eq!(parse_imf_fixdate(b"Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse_imf_fixdate(b"Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_imf_fixdate(b"Mon, 06 Nov 1994 08:49:37 GMT"), None, "wrong weekday");
        assert_eq!(parse_imf_fixdate(b"Thu, 29 Feb 2024 00:00:00 GMT"), Some(1_709_164_800));
        assert_eq!(parse_imf_fixdate(b"Sat, 29 Feb 2025 00:00:00 GMT"), None);
        assert_eq!(parse_retry_after(b" 120 ", 0), Ok(120 * SECOND));
        assert_eq!(parse_retry_after(b"Sun, 06 Nov 1994 08:49:37 GMT", 784_111_770), Ok(7 * SECOND));
        assert_eq!(parse_retry_after(b"Sun, 06 Nov 1994 08:49:37 GMT", 784_111_800), Ok(0));
        assert_eq!(parse_retry_after(b"-1", 0), Err(HeaderError::InvalidDate));
        assert_eq!(parse_retry_after(b"", 0), Err(HeaderError::Empty));
    }
}
