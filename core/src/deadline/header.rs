//! `grpc-timeout` and plain milliseconds headers, parsed from and formatted
//! into caller buffers.

use crate::{Nanos, MILLISECOND};
use core::fmt;

/// Why a header value was refused. A bad value is never read as 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum HeaderError {
    /// No value.
    Empty = 1,
    /// A character other than an ASCII digit where digits belong (this
    /// includes a sign: negative values are refused).
    InvalidDigit = 2,
    /// More digits than the header allows (`grpc-timeout`: 8).
    TooManyDigits = 3,
    /// A `grpc-timeout` unit other than `H M S m u n`, or none.
    InvalidUnit = 4,
    /// Not a valid date (`Retry-After`).
    InvalidDate = 5,
    /// The caller's buffer cannot hold the formatted value.
    BufferTooSmall = 6,
}

impl HeaderError {
    /// A stable snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            HeaderError::Empty => "empty",
            HeaderError::InvalidDigit => "invalid_digit",
            HeaderError::TooManyDigits => "too_many_digits",
            HeaderError::InvalidUnit => "invalid_unit",
            HeaderError::InvalidDate => "invalid_date",
            HeaderError::BufferTooSmall => "buffer_too_small",
        }
    }
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for HeaderError {}

/// The longest `grpc-timeout` value: 8 digits and a unit.
pub const GRPC_TIMEOUT_MAX_LEN: usize = 9;
const GRPC_MAX_DIGITS: usize = 8;
const GRPC_MAX_VALUE: u64 = 99_999_999;

/// Units from finest to coarsest, as `format_grpc_timeout` tries them.
const UNITS: [(u8, u64); 6] = [
    (b'n', 1),
    (b'u', 1_000),
    (b'm', 1_000_000),
    (b'S', 1_000_000_000),
    (b'M', 60_000_000_000),
    (b'H', 3_600_000_000_000),
];

fn digits(value: &[u8]) -> Result<u64, HeaderError> {
    if value.is_empty() {
        return Err(HeaderError::Empty);
    }
    value.iter().try_fold(0u64, |acc, d| {
        if d.is_ascii_digit() {
            Ok(acc.saturating_mul(10).saturating_add(u64::from(d - b'0')))
        } else {
            Err(HeaderError::InvalidDigit)
        }
    })
}

/// Parses a `grpc-timeout` value (`1-8 ASCII digits` then one of
/// `H M S m u n`) into nanoseconds. `99999999H` is longer than `u64`
/// nanoseconds can hold and saturates at `u64::MAX`: such a caller has, in
/// effect, no deadline.
pub fn parse_grpc_timeout(value: &[u8]) -> Result<Nanos, HeaderError> {
    let Some((&unit, number)) = value.split_last() else {
        return Err(HeaderError::Empty);
    };
    let scale = UNITS.iter().find(|(u, _)| *u == unit).map(|(_, s)| *s).ok_or(HeaderError::InvalidUnit)?;
    if number.len() > GRPC_MAX_DIGITS {
        return Err(HeaderError::TooManyDigits);
    }
    Ok(digits(number)?.saturating_mul(scale))
}

/// Writes `timeout` as a `grpc-timeout` value into `buf` and returns its
/// length (at most [`GRPC_TIMEOUT_MAX_LEN`]). Picks the finest unit whose
/// count fits in 8 digits and rounds *up* to it, as grpc-go does, so a
/// callee never gets less time than the caller meant.
pub fn format_grpc_timeout(timeout: Nanos, buf: &mut [u8]) -> Result<usize, HeaderError> {
    let mut chosen = (b'H', timeout.div_ceil(3_600_000_000_000));
    for (unit, scale) in UNITS {
        let count = timeout.div_ceil(scale);
        if count <= GRPC_MAX_VALUE {
            chosen = (unit, count);
            break;
        }
    }
    let (unit, count) = chosen;
    let len = write_decimal(count, buf)?;
    let slot = buf.get_mut(len).ok_or(HeaderError::BufferTooSmall)?;
    *slot = unit;
    Ok(len + 1)
}

/// Parses a plain milliseconds header (`x-envoy-expected-rq-timeout-ms`,
/// `grpc-retry-pushback-ms`): ASCII digits only. A sign is refused, so a
/// negative pushback ("do not retry" in gRPC) comes back as an error, which
/// is what the host must act on. Too large a number saturates.
pub fn parse_millis(value: &[u8]) -> Result<Nanos, HeaderError> {
    Ok(digits(value)?.saturating_mul(MILLISECOND))
}

/// Writes `timeout` in whole milliseconds, rounded up, into `buf`; returns
/// the length (at most 17 bytes).
pub fn format_millis(timeout: Nanos, buf: &mut [u8]) -> Result<usize, HeaderError> {
    write_decimal(timeout.div_ceil(MILLISECOND), buf)
}

fn write_decimal(mut n: u64, buf: &mut [u8]) -> Result<usize, HeaderError> {
    let mut tmp = [0u8; 20];
    let mut len = 0;
    loop {
        let slot = tmp.get_mut(len).ok_or(HeaderError::BufferTooSmall)?;
        *slot = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let out = buf.get_mut(..len).ok_or(HeaderError::BufferTooSmall)?;
    for (o, d) in out.iter_mut().zip(tmp.iter().take(len).rev()) {
        *o = *d;
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(ns: u64) -> ([u8; 9], usize) {
        let mut buf = [0u8; 9];
        let n = format_grpc_timeout(ns, &mut buf).unwrap_or(0);
        (buf, n)
    }

    #[test]
    fn round_trips_and_rounds_up() {
        for ns in [0, 1, 999, 99_999_999, 100_000_000, 1_500_000_001, u64::MAX] {
            let (buf, n) = fmt(ns);
            let back = parse_grpc_timeout(buf.get(..n).unwrap_or(&[])).unwrap_or(0);
            assert!(back >= ns, "{ns} formatted as {:?} reads back {back}", buf.get(..n));
        }
        let (buf, n) = fmt(100_000_001);
        assert_eq!(buf.get(..n), Some(&b"100001u"[..]));
        assert_eq!(format_grpc_timeout(1, &mut [0u8; 1]), Err(HeaderError::BufferTooSmall));
    }

    #[test]
    fn refuses_bad_values() {
        assert_eq!(parse_grpc_timeout(b""), Err(HeaderError::Empty));
        assert_eq!(parse_grpc_timeout(b"S"), Err(HeaderError::Empty));
        assert_eq!(parse_grpc_timeout(b"123456789S"), Err(HeaderError::TooManyDigits));
        assert_eq!(parse_grpc_timeout(b"-1S"), Err(HeaderError::InvalidDigit));
        assert_eq!(parse_grpc_timeout(b"10s"), Err(HeaderError::InvalidUnit));
        assert_eq!(parse_grpc_timeout(b"99999999H"), Ok(u64::MAX));
        assert_eq!(parse_millis(b"-5"), Err(HeaderError::InvalidDigit));
    }
}
