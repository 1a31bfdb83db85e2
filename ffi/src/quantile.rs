//! `weir_quantiles`: recent latency quantiles in fixed memory (a windowed
//! log-linear histogram, within 1/64 of the exact nearest-rank sample), for
//! hedge delays and metrics.

use crate::handle::{drop_handle, entry, live, out, publish};
use crate::status::{config_error, guard, unit_error, weir_status};
use weir_core::quantile::QuantileConfig;
use weir_host::LatencyQuantiles;

/// Window settings; `weir_quantiles_config_default` gives 10 s in 4
/// sub-windows.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_quantiles_config {
    /// How far back the estimate reaches, ns: a multiple of `sub_windows`,
    /// at least 1 ms per sub-window.
    pub window_ns: u64,
    /// Sub-windows the window rotates through, 1..=4.
    pub sub_windows: u64,
}

impl From<&weir_quantiles_config> for QuantileConfig {
    fn from(c: &weir_quantiles_config) -> Self {
        Self { window_ns: c.window_ns, sub_windows: c.sub_windows }
    }
}

/// One quantile read.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_quantile_reading {
    /// 1 when the window holds samples and `value_ns` is the quantile.
    pub found: u32,
    /// The quantile, ns (0 when not found).
    pub value_ns: u64,
    /// Samples in the window.
    pub count: u64,
}

/// One non-empty bucket of the window, for metrics.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_quantile_bucket {
    /// Smallest value the bucket holds.
    pub lower: u64,
    /// One past its largest value; `UINT64_MAX` for the last bucket.
    pub upper: u64,
    /// Samples in it.
    pub count: u64,
}

/// A latency estimator. Thread-safe (one compare-exchange per record);
/// only `_free` must not race.
pub struct weir_quantiles {
    inner: LatencyQuantiles,
}

impl weir_host::Clocked for weir_quantiles {}

/// Writes the default config to `out`.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_quantiles_config_default(out: *mut weir_quantiles_config) -> weir_status {
    entry!(=> out = {
        let d = QuantileConfig::default();
        weir_quantiles_config { window_ns: d.window_ns, sub_windows: d.sub_windows }
    })
}

/// Makes an empty estimator.
///
/// # Safety
/// `config` is NULL or readable; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_quantiles_new(
    config: *const weir_quantiles_config,
    out: *mut *mut weir_quantiles,
) -> weir_status {
    entry!(config; out => {
        match LatencyQuantiles::new(config.into()) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(inner) => unsafe { publish(out, weir_quantiles { inner }) },
            Err(e) => config_error(e),
        }
    })
}

/// Counts `n` samples of `latency_ns` at `now`.
///
/// # Safety
/// `q` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_quantiles_record(
    q: *const weir_quantiles,
    now: u64,
    latency_ns: u64,
    n: u64,
) -> weir_status {
    entry!(q => q.inner.record_n_at(now, latency_ns, n))
}

/// Counts one sample of `latency_ns` at `weir_now()`.
///
/// # Safety
/// `q` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_quantiles_record_now(q: *const weir_quantiles, latency_ns: u64) -> weir_status {
    entry!(q => q.inner.record(latency_ns))
}

/// The `quantile` (in [0, 1]) of the window ending at `now`.
///
/// # Safety
/// `q` is NULL or live; `out` is NULL or writable.
// twin weir_quantiles_quantile_now: `weir_quantiles_quantile` at `weir_now()`.
#[no_mangle]
pub unsafe extern "C" fn weir_quantiles_quantile(
    q: *const weir_quantiles,
    now: u64,
    quantile: f64,
    out: *mut weir_quantile_reading,
) -> weir_status {
    entry!(q; out => {
        let snapshot = q.inner.snapshot_at(now);
        let value = match weir_host::check_quantile(quantile) {
            Ok(v) => snapshot.quantile(v),
            Err(e) => return unit_error(e),
        };
        out!(
            out,
            weir_quantile_reading {
                found: value.is_some().into(),
                value_ns: value.unwrap_or(0),
                count: snapshot.count
            }
        );
    })
}

/// `weir_quantiles_quantile` at `weir_now()`.
///
/// # Safety
/// As `weir_quantiles_quantile`.
// Written by ffi/twins from the `// twin` mark above; edit that, not this.
#[no_mangle]
pub unsafe extern "C" fn weir_quantiles_quantile_now(
    q: *const weir_quantiles,
    quantile: f64,
    out: *mut weir_quantile_reading,
) -> weir_status {
    entry!(let now = crate::handle::now_of::<weir_quantiles>(); q; out => {
        let snapshot = q.inner.snapshot_at(now);
        let value = match weir_host::check_quantile(quantile) {
            Ok(v) => snapshot.quantile(v),
            Err(e) => return unit_error(e),
        };
        out!(
            out,
            weir_quantile_reading {
                found: value.is_some().into(),
                value_ns: value.unwrap_or(0),
                count: snapshot.count
            }
        );
    })
}

/// The window ending at `now`, bucket by bucket: writes up to `cap` buckets
/// to `out` in ascending order and the number of non-empty buckets to
/// `out_len` (more than `cap` means the rest were left out).
///
/// # Safety
/// `q` is NULL or live; `out` is NULL (then `cap` must be 0) or has room for
/// `cap` buckets; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_quantiles_buckets(
    q: *const weir_quantiles,
    now: u64,
    out: *mut weir_quantile_bucket,
    cap: usize,
    out_len: *mut usize,
) -> weir_status {
    entry!(q => out_len = {
        if out.is_null() && cap > 0 {
            return weir_status::NullArgument;
        }
        let snapshot = q.inner.snapshot_at(now);
        for (i, b) in snapshot.buckets.iter().take(cap).enumerate() {
            // SAFETY: `out` has room for `cap` buckets per the contract and `i < cap`.
            unsafe { out.add(i).write(weir_quantile_bucket { lower: b.lower, upper: b.upper, count: b.count }) };
        }
        snapshot.buckets.len()
    })
}

/// Adds `from`'s window ending at `now` into `into`; both must have the
/// same config.
///
/// # Safety
/// `into` and `from` are NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_quantiles_merge(
    into: *const weir_quantiles,
    from: *const weir_quantiles,
    now: u64,
) -> weir_status {
    guard(|| {
        let (into, from) = (live!(into), live!(from));
        match into.inner.merge_at(&from.inner, now) {
            Ok(()) => weir_status::Ok,
            Err(e) => config_error(e),
        }
    })
}

/// The bounds of the bucket `value` is counted in (`upper` is `UINT64_MAX`
/// for the last bucket).
///
/// # Safety
/// `lower` and `upper` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_quantiles_bucket_bounds(value: u64, lower: *mut u64, upper: *mut u64) -> weir_status {
    entry!(; lower => upper = {
        let (l, u) = LatencyQuantiles::bucket_bounds(value);
        out!(lower, l);
        u
    })
}

/// Frees `*q` and sets it to NULL; NULL is a no-op.
///
/// # Safety
/// `q` is NULL or points to NULL or to a live estimator no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_quantiles_free(q: *mut *mut weir_quantiles) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(q) }
}
