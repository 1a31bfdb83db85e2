//! The native half of the `weir` Python package: thin pyo3 classes over
//! weir-core's atomic cells, with weir-host's clock, hashing and draws.
//! The Pythonic sugar (decorators, `async with`, retry loops, waiting for a
//! flight) lives in `python/weir/`.

use pyo3::prelude::*;

mod adaptive_limit;
mod args;
mod breaker;
mod bulkhead;
mod call;
mod deadline;
mod decision;
mod errors;
mod events;
mod fleet;
mod hedge;
mod host;
mod hot_keys;
mod limiter;
mod picker;
mod policy;
mod quantile;
mod retry;
mod shedder;
mod singleflight;
mod throttle;
mod wait;

#[pymodule]
fn _weir(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<args::Nanos>()?;
    m.add_class::<decision::Decision>()?;
    m.add_class::<wait::Ready>()?;
    m.add_class::<limiter::Limiter>()?;
    m.add_class::<limiter::KeyedLimiter>()?;
    m.add_class::<limiter::MultiLimiter>()?;
    m.add_class::<bulkhead::ConcurrencyLimiter>()?;
    m.add_class::<bulkhead::Permit>()?;
    m.add_class::<shedder::Shedder>()?;
    m.add_class::<shedder::ShedGuard>()?;
    m.add_class::<throttle::Throttle>()?;
    m.add_class::<throttle::ThrottleCall>()?;
    m.add_class::<breaker::CircuitBreaker>()?;
    m.add_class::<breaker::BreakerCall>()?;
    m.add_class::<breaker::BreakerPermit>()?;
    m.add_class::<adaptive_limit::AdaptiveLimiter>()?;
    m.add_class::<adaptive_limit::LimitCall>()?;
    m.add_class::<adaptive_limit::LimitPermit>()?;
    m.add_class::<retry::Backoff>()?;
    m.add_class::<retry::RetryBudget>()?;
    m.add_class::<retry::RetryPolicy>()?;
    m.add_class::<deadline::Deadline>()?;
    m.add_class::<fleet::FleetLimiter>()?;
    m.add_class::<picker::PickerCore>()?;
    m.add_class::<policy::Policy>()?;
    m.add_class::<policy::Verdict>()?;
    m.add_class::<singleflight::FlightTable>()?;
    m.add_class::<quantile::LatencyQuantiles>()?;
    m.add_class::<hot_keys::HotKeys>()?;
    m.add_class::<hedge::Hedger>()?;
    m.add_function(wrap_pyfunction!(deadline::parse_grpc_timeout_ns, m)?)?;
    m.add_function(wrap_pyfunction!(deadline::parse_millis_ns, m)?)?;
    m.add_function(wrap_pyfunction!(deadline::parse_retry_after_ns, m)?)?;
    m.add_function(wrap_pyfunction!(deadline::format_grpc_timeout_ns, m)?)?;
    m.add_function(wrap_pyfunction!(deadline::format_millis_ns, m)?)?;
    m.add_function(wrap_pyfunction!(host::monotonic_ns, m)?)?;
    m.add_function(wrap_pyfunction!(host::hash_key, m)?)?;
    m.add_function(wrap_pyfunction!(host::draw, m)?)?;
    Ok(())
}
