//! Run-time sized slot storage for the tables core keeps in caller memory,
//! allocated fallibly so a huge capacity is an error, not an abort.

use crate::status::{config_error, weir_status};
use weir_core::{ConfigError, Value};

/// `len` slots made by `make`, or `InvalidConfig` naming `capacity` when
/// `len` is outside `1..=max`, or `OutOfMemory`.
pub(crate) fn slots<T>(len: u64, max: u64, rule: &'static str, make: impl Fn() -> T) -> Result<Box<[T]>, weir_status> {
    if len == 0 || len > max {
        return Err(config_error(ConfigError::new("capacity", rule, Value::Unsigned(len))));
    }
    let len = usize::try_from(len).map_err(|_| weir_status::OutOfMemory)?;
    let mut v: Vec<T> = Vec::new();
    v.try_reserve_exact(len).map_err(|_| weir_status::OutOfMemory)?;
    v.extend((0..len).map(|_| make()));
    Ok(v.into_boxed_slice())
}
