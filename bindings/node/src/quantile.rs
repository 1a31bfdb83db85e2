//! `LatencyQuantiles`: recent latencies in fixed memory, as a napi class
//! (not a hot call: a record is a few tens of ns next to a request's ms).

use napi::bindgen_prelude::BigInt;
use napi_derive::napi;
use weir_core::quantile::QuantileConfig;
use weir_host::LatencyQuantiles;

/// A u64 from JS (a BigInt), `None` when absent.
pub(crate) fn exact(v: Option<BigInt>) -> Option<u64> {
    v.map(|b| b.get_u64().1)
}

pub(crate) fn now(v: Option<BigInt>) -> u64 {
    exact(v).unwrap_or_else(weir_host::monotonic_now)
}

/// A config refusal, left for `lastError()` so the JS throws a RangeError
/// naming the field.
pub(crate) fn refused(e: weir_core::ConfigError) -> napi::Error {
    crate::errors::set(&e);
    napi::Error::from_reason(e.to_string())
}

#[napi]
pub struct NativeQuantiles {
    inner: LatencyQuantiles,
}

#[napi]
impl NativeQuantiles {
    #[napi(constructor)]
    pub fn new(window_ns: BigInt, sub_windows: BigInt) -> napi::Result<Self> {
        let config = QuantileConfig { window_ns: window_ns.get_u64().1, sub_windows: sub_windows.get_u64().1 };
        Ok(Self { inner: LatencyQuantiles::new(config).map_err(refused)? })
    }

    #[napi]
    pub fn record(&self, latency_ns: f64) {
        self.inner.record(latency_ns.max(0.0) as u64);
    }

    #[napi]
    pub fn record_exact(&self, latency_ns: BigInt, n: BigInt, at: Option<BigInt>) {
        self.inner.record_n_at(now(at), latency_ns.get_u64().1, n.get_u64().1);
    }

    /// The quantile in ns; `null` when the window is empty. A `q` outside
    /// [0, 1] is refused.
    #[napi]
    pub fn quantile(&self, q: f64, at: Option<BigInt>) -> napi::Result<Option<BigInt>> {
        match self.inner.quantile_at(q, now(at)) {
            Ok(v) => Ok(v.map(BigInt::from)),
            Err(e) => {
                crate::errors::set_parts(e.field, e.rule, &q.to_string());
                Err(napi::Error::from_reason(e.to_string()))
            }
        }
    }

    #[napi]
    pub fn count(&self, at: Option<BigInt>) -> BigInt {
        BigInt::from(self.inner.count_at(now(at)))
    }

    /// Flat: lower, upper, count, lower, upper, count... (ns).
    #[napi]
    pub fn buckets(&self, at: Option<BigInt>) -> Vec<BigInt> {
        let s = self.inner.snapshot_at(now(at));
        s.buckets.iter().flat_map(|b| [b.lower, b.upper, b.count]).map(BigInt::from).collect()
    }

    #[napi]
    pub fn merge(&self, other: &NativeQuantiles, at: Option<BigInt>) -> napi::Result<()> {
        self.inner.merge_at(&other.inner, now(at)).map_err(refused)
    }
}

/// `[lower, upper]` of the bucket `value` is counted in, ns.
#[napi(js_name = "quantileBucketBounds")]
pub fn quantile_bucket_bounds(value: BigInt) -> Vec<BigInt> {
    let (lower, upper) = LatencyQuantiles::bucket_bounds(value.get_u64().1);
    vec![BigInt::from(lower), BigInt::from(upper)]
}
