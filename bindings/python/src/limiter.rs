//! `weir.Limiter`, `weir.KeyedLimiter`.

use pyo3::prelude::*;
use weir_core::limiter::{AtomicLimiter, KeySet, KeyedLimiter as CoreKeyed, LimiterConfig, WAYS};

use weir_host::{Bucket, Counted, KeyHasher};

use crate::args::{count, duration, key_hash, now_or_clock, real, seed_hasher};
use crate::decision::{decisions_dict, Decision, DecisionCache};
use crate::errors::{bad_arg, config_error, rate_limited};
use crate::wait::{block, ready, slow_path};

const RENAMES: &[(&str, &str)] = &[("period_ns", "per")];

/// Rate, period and burst from the Python arguments, converted by
/// weir-host's one rule for every runtime (`1/3` per second is one token
/// every 3 s exactly). Refusals name the field and quote the argument given.
fn config(
    py: Python<'_>,
    owner: &str,
    rate: &Bound<'_, PyAny>,
    per: &Bound<'_, PyAny>,
    burst: Option<&Bound<'_, PyAny>>,
) -> PyResult<LimiterConfig> {
    let period_ns = duration(py, owner, "per", per, false)?;
    let burst = burst.filter(|b| !b.is_none());
    let rate_f = real(owner, "rate", rate)?;
    let burst_f = burst.map(|b| real(owner, "burst", b)).transpose()?;
    weir_host::units::limiter_config(rate_f, period_ns, burst_f).map_err(|e| {
        let given = match e.field {
            "rate" => Some(rate),
            "burst" => burst,
            _ => Some(per),
        };
        let given = given.and_then(|g| g.repr().ok()).map_or_else(|| "?".into(), |r| r.to_string());
        crate::errors::unit_error(py, owner, e, given)
    })
}

fn given(arg: &Bound<'_, PyAny>) -> String {
    arg.repr().map_or_else(|_| "?".into(), |r| r.to_string())
}

/// `current` with the rate a live `set_rate(rate, per)` gives, through the
/// same unit rules and refusals as the constructor (the burst kept).
fn changed_rate(
    py: Python<'_>,
    owner: &str,
    current: LimiterConfig,
    rate: &Bound<'_, PyAny>,
    per: Option<&Bound<'_, PyAny>>,
) -> PyResult<LimiterConfig> {
    let one = 1u64.into_pyobject(py)?.into_any();
    let per = per.filter(|p| !p.is_none()).unwrap_or(&one);
    let period_ns = duration(py, owner, "per", per, false)?;
    let rate_f = real(owner, "rate", rate)?;
    weir_host::units::with_rate(current, rate_f, period_ns).map_err(|e| {
        let got = if e.field == "rate" { given(rate) } else { given(per) };
        crate::errors::unit_error(py, owner, e, got)
    })
}

/// `current` with the burst a live `set_burst(burst)` gives.
fn changed_burst(
    py: Python<'_>,
    owner: &str,
    current: LimiterConfig,
    burst: &Bound<'_, PyAny>,
) -> PyResult<LimiterConfig> {
    let burst_f = real(owner, "burst", burst)?;
    weir_host::units::with_burst(current, burst_f).map_err(|e| crate::errors::unit_error(py, owner, e, given(burst)))
}

/// A live change that failed: a config error names its field; the shared
/// file's lock failing is an `OSError`.
fn change_error(py: Python<'_>, owner: &str, e: weir_host::SharedError) -> PyErr {
    match e {
        weir_host::SharedError::Config(e) => config_error(py, owner, e, RENAMES),
        e => pyo3::exceptions::PyOSError::new_err(format!("{owner}: {e}")),
    }
}

/// The kernel config a replay step gives as `(rate, period_ns, burst)`.
fn kernel(rate: u64, period_ns: u64, burst: u64) -> LimiterConfig {
    LimiterConfig { rate, period_ns, burst }
}

/// Opens the shared bucket at `path`. A different configuration in the file
/// is a `weir.ConfigError` naming the field; anything wrong with the file
/// itself an `OSError` (a file that is not a limiter: `ValueError`).
fn open_shared(py: Python<'_>, path: &Bound<'_, PyAny>, c: LimiterConfig) -> PyResult<Bucket> {
    use weir_host::SharedError;
    let path: std::path::PathBuf = path.extract().map_err(|_| {
        bad_arg(
            py,
            "Limiter",
            "shared",
            "a path (str or os.PathLike)",
            path.repr().map_or_else(|_| "?".into(), |r| r.to_string()),
        )
    })?;
    match weir_host::SharedLimiter::open(&path, c) {
        Ok(l) => Ok(Bucket::Shared(l)),
        Err(SharedError::Config(e)) => Err(config_error(py, "Limiter", e, RENAMES)),
        Err(e @ SharedError::Mismatch { field, given, .. }) => {
            let rule = e.mismatch_rule().unwrap_or_default();
            Err(bad_arg(py, "Limiter", &crate::errors::py_field(field, RENAMES), &rule, given))
        }
        Err(e @ SharedError::Io { .. }) => Err(pyo3::exceptions::PyOSError::new_err(format!("Limiter: {e}"))),
        Err(e) => Err(pyo3::exceptions::PyValueError::new_err(format!("Limiter: {e}"))),
    }
}

/// A token-bucket rate limit (GCRA) shared by every thread: `rate` tokens
/// every `per` seconds, at most `burst` at once; with `shared=path`, shared
/// by every process that opens the same file.
#[pyclass(frozen, subclass, module = "weir._weir", name = "Limiter")]
pub struct Limiter {
    inner: Counted<Bucket>,
    answers: DecisionCache,
}

#[pymethods]
impl Limiter {
    #[new]
    #[pyo3(signature = (rate, per = None, burst = None, *, shared = None))]
    fn new(
        py: Python<'_>,
        rate: &Bound<'_, PyAny>,
        per: Option<&Bound<'_, PyAny>>,
        burst: Option<&Bound<'_, PyAny>>,
        shared: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let one = 1u64.into_pyobject(py)?.into_any();
        let c = config(py, "Limiter", rate, per.unwrap_or(&one), burst)?;
        let inner = match shared {
            Some(path) if !path.is_none() => open_shared(py, path, c)?,
            _ => Bucket::Local(AtomicLimiter::new(c).map_err(|e| config_error(py, "Limiter", e, RENAMES))?),
        };
        Ok(Self { inner: Counted::new(inner), answers: DecisionCache::new() })
    }

    /// Takes `cost` tokens if they are there; never waits.
    #[pyo3(signature = (cost = 1, now = None))]
    #[inline]
    fn try_acquire(&self, py: Python<'_>, cost: u64, now: Option<u64>) -> PyResult<Py<Decision>> {
        self.answers.answer(py, self.inner.decide(|b| b.acquire(now.unwrap_or_else(|| b.now()), cost)))
    }

    /// Waits (GIL released) until `cost` tokens are taken, or returns the
    /// refusal when `timeout` seconds would pass first or `cost > burst`.
    #[pyo3(signature = (cost = 1, timeout = None))]
    fn acquire(&self, py: Python<'_>, cost: u64, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<Decision> {
        let timeout = timeout_ns(py, "Limiter.acquire", timeout)?;
        // The bucket reads its own clock: a shared one must use the kernel's.
        let d = block(py, timeout, |_| self.inner.decide(|b| b.acquire_now(cost)))?;
        Ok(d.into())
    }

    /// `await limiter.acquire_async(cost)`: returns once admitted. Raises
    /// `weir.RateLimited` on timeout or when `cost > burst`.
    #[pyo3(signature = (cost = 1, timeout = None))]
    fn acquire_async(slf: &Bound<'_, Self>, cost: u64, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let d = slf.get().inner.decide(|b| b.acquire_now(cost));
        if d.is_admitted() {
            return ready(py);
        }
        let timeout = timeout_ns(py, "Limiter.acquire_async", timeout)?;
        let first = Py::new(py, Decision::from(d))?.into_any();
        slow_path(py, slf.getattr("try_acquire")?, (cost,).into_pyobject(py)?, timeout, first)
    }

    /// Changes the rate to `rate` tokens every `per` seconds (default 1)
    /// now, keeping the burst and what was spent: tokens already taken stay
    /// taken under the new rate (their debt rescaled to it, rounded up, and
    /// capped at one full burst), so a change never grants a burst. Safe
    /// while other threads acquire; for a shared limiter, the change is
    /// every process's. A bad value raises `weir.ConfigError` naming it.
    #[pyo3(signature = (rate, per = None))]
    fn set_rate(&self, py: Python<'_>, rate: &Bound<'_, PyAny>, per: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let c = changed_rate(py, "Limiter.set_rate", self.inner.cell().config(), rate, per)?;
        self.inner.cell().set_config(c).map_err(|e| change_error(py, "Limiter.set_rate", e))
    }

    /// Changes the burst now, keeping the rate and what was spent: the
    /// tokens taken stay taken, so a larger burst has its new size minus
    /// those free, and a smaller one leaves the bucket at most empty.
    fn set_burst(&self, py: Python<'_>, burst: &Bound<'_, PyAny>) -> PyResult<()> {
        let c = changed_burst(py, "Limiter.set_burst", self.inner.cell().config(), burst)?;
        self.inner.cell().set_config(c).map_err(|e| change_error(py, "Limiter.set_burst", e))
    }

    /// A change to core's config at `now`, for the conformance replays.
    fn _set_config(&self, py: Python<'_>, rate: u64, period_ns: u64, burst: u64, now: u64) -> PyResult<()> {
        let result = match self.inner.cell() {
            Bucket::Local(l) => {
                l.set_config(kernel(rate, period_ns, burst), now).map_err(weir_host::SharedError::Config)
            }
            Bucket::Shared(l) => l.set_config(kernel(rate, period_ns, burst)),
        };
        result.map_err(|e| change_error(py, "Limiter.set_rate", e))
    }

    /// Tokens per interval as core sees it: nanoseconds between two tokens.
    #[getter]
    fn interval_ns(&self) -> u64 {
        self.inner.cell().gcra().interval()
    }

    #[getter]
    fn burst(&self) -> u64 {
        self.inner.cell().gcra().burst()
    }

    /// What the bucket holds at `now`, without spending: `remaining` whole
    /// tokens and `reset_after` seconds until it is full.
    #[pyo3(signature = (now = None))]
    fn stats<'py>(&self, py: Python<'py>, now: Option<u64>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let probe = self.inner.cell().acquire(now.unwrap_or_else(|| self.inner.cell().now()), 0);
        let d = pyo3::types::PyDict::new(py);
        d.set_item("remaining", probe.remaining)?;
        d.set_item("reset_after", crate::decision::seconds(probe.reset_after))?;
        d.set_item("burst", self.inner.cell().gcra().burst())?;
        d.set_item("decisions", decisions_dict(py, self.inner.decisions())?)?;
        Ok(d)
    }

    /// The raw state (one integer), to save and later `restore`.
    fn state(&self) -> u64 {
        self.inner.cell().state()
    }

    fn restore(&self, state: u64) -> PyResult<()> {
        self.inner
            .cell()
            .restore(state)
            .map_err(|e| pyo3::exceptions::PyOSError::new_err(format!("Limiter.restore: {e}")))
    }

    fn __enter__(slf: &Bound<'_, Self>) -> PyResult<Py<Self>> {
        let py = slf.py();
        let d = block(py, None, |_| slf.get().inner.decide(|b| b.acquire_now(1)))?;
        if !d.is_admitted() {
            return Err(rate_limited(py, d.reason.as_str(), d.retry_after));
        }
        Ok(slf.clone().unbind())
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        false
    }

    /// The file a shared limiter's state lives in; `None` for a local one.
    #[getter]
    fn shared(&self) -> Option<std::path::PathBuf> {
        self.inner.cell().path().map(std::path::Path::to_path_buf)
    }

    fn __repr__(&self) -> String {
        let (interval, burst) = (self.inner.cell().gcra().interval(), self.inner.cell().gcra().burst());
        match self.inner.cell().path() {
            None => format!("weir.Limiter(interval_ns={interval}, burst={burst})"),
            Some(path) => format!("weir.Limiter(interval_ns={interval}, burst={burst}, shared={path:?})"),
        }
    }
}

impl KeyedLimiter {
    /// The table's one decision, with its events looked at.
    fn set(&self, py: Python<'_>, owner: &str, c: LimiterConfig, now: u64) -> PyResult<()> {
        // Walking a large table takes a while: other threads keep deciding.
        py.detach(|| self.inner.cell().set_config(c, now)).map_err(|e| config_error(py, owner, e, RENAMES))
    }

    #[inline]
    fn decide(&self, py: Python<'_>, key: u64, now: u64, cost: u64) -> weir_core::Decision {
        let d = self.inner.decide(|t| t.acquire(key, now, cost));
        self.hooks.observe(py, now, &d);
        d
    }
}

pub fn timeout_ns(py: Python<'_>, owner: &str, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u64>> {
    match timeout {
        Some(t) if !t.is_none() => Ok(Some(duration(py, owner, "timeout", t, true)?)),
        _ => Ok(None),
    }
}

/// One rate limit per key in a table of fixed memory (`capacity` entries,
/// rounded up to a multiple of 8). Keys are str or bytes, hashed as every
/// weir runtime hashes them: under `seed` (a secret) when given, else with
/// the public hash, which lets anyone who chooses keys compute keys that
/// fill another key's set. A new key finding its set full of live keys is
/// refused (`table_full`) rather than evicting one: the table fails closed.
#[pyclass(frozen, subclass, module = "weir._weir", name = "KeyedLimiter")]
pub struct KeyedLimiter {
    inner: Counted<CoreKeyed<Box<[KeySet]>>>,
    keys: KeyHasher,
    answers: DecisionCache,
    hooks: crate::events::Hooks,
}

#[pymethods]
impl KeyedLimiter {
    #[new]
    #[pyo3(signature = (rate, per = None, burst = None, capacity = None, *, seed = None))]
    fn new(
        py: Python<'_>,
        rate: &Bound<'_, PyAny>,
        per: Option<&Bound<'_, PyAny>>,
        burst: Option<&Bound<'_, PyAny>>,
        capacity: Option<&Bound<'_, PyAny>>,
        seed: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let keys = seed_hasher(py, "KeyedLimiter", seed)?;
        let one = 1u64.into_pyobject(py)?.into_any();
        let c = config(py, "KeyedLimiter", rate, per.unwrap_or(&one), burst)?;
        let capacity = match capacity {
            Some(c) if !c.is_none() => count(py, "KeyedLimiter", "capacity", c)?,
            _ => 4096,
        };
        // Each entry costs 17 bytes; a billion of them is surely a mistake.
        if capacity > 1 << 30 {
            return Err(bad_arg(py, "KeyedLimiter", "capacity", "<= 2**30", capacity));
        }
        let sets: Box<[KeySet]> = (0..capacity.div_ceil(WAYS as u64)).map(|_| KeySet::new()).collect();
        let inner = CoreKeyed::with_storage(c, sets).map_err(|e| config_error(py, "KeyedLimiter", e, RENAMES))?;
        let hooks = crate::events::Hooks::new("KeyedLimiter", weir_host::Events::table(), crate::events::TABLE);
        Ok(Self { inner: Counted::new(inner), keys, answers: DecisionCache::new(), hooks })
    }

    /// Calls `callback(weir.Event)` on each `"refused"`, `"table_full"` or
    /// `"table_recovered"` (per `event`), in order, once the call that caused
    /// it has decided. An exception in it goes to `sys.unraisablehook`.
    fn on(&self, py: Python<'_>, event: &str, callback: Bound<'_, PyAny>) -> PyResult<()> {
        self.hooks.on(py, event, callback)
    }

    /// Takes `cost` tokens for `key` (str or bytes) if they are there.
    #[pyo3(signature = (key, cost = 1, now = None))]
    fn try_acquire(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        cost: u64,
        now: Option<u64>,
    ) -> PyResult<Py<Decision>> {
        let key = key_hash("KeyedLimiter.try_acquire", &self.keys, key)?;
        self.answers.answer(py, self.decide(py, key, now_or_clock(now), cost))
    }

    /// As `try_acquire`, for a key already hashed: `weir.hash_key(key,
    /// seed=...)` with the table's seed.
    #[pyo3(signature = (key_hash, cost = 1, now = None))]
    fn try_acquire_hashed(&self, py: Python<'_>, key_hash: u64, cost: u64, now: Option<u64>) -> PyResult<Py<Decision>> {
        self.answers.answer(py, self.decide(py, key_hash, now_or_clock(now), cost))
    }

    /// Waits (GIL released) until admitted, or returns the refusal.
    #[pyo3(signature = (key, cost = 1, timeout = None))]
    fn acquire(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        cost: u64,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Decision> {
        let key = key_hash("KeyedLimiter.acquire", &self.keys, key)?;
        let timeout = timeout_ns(py, "KeyedLimiter.acquire", timeout)?;
        let d = block(py, timeout, |now| self.decide(py, key, now, cost))?;
        Ok(d.into())
    }

    /// `await table.acquire_async(key, cost)`; raises `weir.RateLimited` on
    /// timeout or when it can never admit.
    #[pyo3(signature = (key, cost = 1, timeout = None))]
    fn acquire_async(
        slf: &Bound<'_, Self>,
        key: &Bound<'_, PyAny>,
        cost: u64,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let hash = key_hash("KeyedLimiter.acquire_async", &slf.get().keys, key)?;
        let now = weir_host::monotonic_now();
        let d = slf.get().decide(py, hash, now, cost);
        if d.is_admitted() {
            return ready(py);
        }
        let timeout = timeout_ns(py, "KeyedLimiter.acquire_async", timeout)?;
        let first = Py::new(py, Decision::from(d))?.into_any();
        slow_path(py, slf.getattr("try_acquire_hashed")?, (hash, cost).into_pyobject(py)?, timeout, first)
    }

    /// Changes every key's rate to `rate` per `per` seconds now, keeping
    /// the burst. No key gains tokens: each keeps the later of its rescaled
    /// refill time (as `Limiter.set_rate`) and its old one.
    #[pyo3(signature = (rate, per = None))]
    fn set_rate(&self, py: Python<'_>, rate: &Bound<'_, PyAny>, per: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let c = changed_rate(py, "KeyedLimiter.set_rate", self.inner.cell().config(), rate, per)?;
        self.set(py, "KeyedLimiter.set_rate", c, weir_host::monotonic_now())
    }

    /// Changes every key's burst now, keeping the rate (the rule of `set_rate`).
    fn set_burst(&self, py: Python<'_>, burst: &Bound<'_, PyAny>) -> PyResult<()> {
        let c = changed_burst(py, "KeyedLimiter.set_burst", self.inner.cell().config(), burst)?;
        self.set(py, "KeyedLimiter.set_burst", c, weir_host::monotonic_now())
    }

    /// A change to core's config at `now`, for the conformance replays.
    fn _set_config(&self, py: Python<'_>, rate: u64, period_ns: u64, burst: u64, now: u64) -> PyResult<()> {
        self.set(py, "KeyedLimiter.set_rate", kernel(rate, period_ns, burst), now)
    }

    #[getter]
    fn capacity(&self) -> usize {
        self.inner.cell().capacity()
    }

    /// Keys whose bucket is not full at `now` (entries that cannot be reused).
    #[pyo3(signature = (now = None))]
    fn live(&self, now: Option<u64>) -> usize {
        self.inner.cell().live(now_or_clock(now))
    }

    /// Table use and decisions by reason, for metrics.
    #[pyo3(signature = (now = None))]
    fn stats<'py>(&self, py: Python<'py>, now: Option<u64>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let d = pyo3::types::PyDict::new(py);
        d.set_item("live", self.inner.cell().live(now_or_clock(now)))?;
        d.set_item("capacity", self.inner.cell().capacity())?;
        d.set_item("decisions", decisions_dict(py, self.inner.decisions())?)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let g = self.inner.cell().gcra();
        format!(
            "weir.KeyedLimiter(interval_ns={}, burst={}, capacity={})",
            g.interval(),
            g.burst(),
            self.inner.cell().capacity()
        )
    }
}

/// Several rates on one limiter, decided in one call: `MultiLimiter([(10,
/// 1), (1000, 3600)])` is 10 a second and 1000 an hour, each `(rate, per)`
/// or `(rate, per, burst)` read as `Limiter` reads them (1 to 4 rates). A
/// request is admitted only if every rate admits it; a refusal spends from
/// none.
#[pyclass(frozen, subclass, module = "weir._weir", name = "MultiLimiter")]
pub struct MultiLimiter {
    inner: Counted<weir_core::limiter::MultiLimiter>,
    answers: DecisionCache,
}

#[pymethods]
impl MultiLimiter {
    #[new]
    fn new(py: Python<'_>, rates: &Bound<'_, PyAny>) -> PyResult<Self> {
        let mut configs = Vec::new();
        for (i, item) in rates.try_iter()?.enumerate() {
            let item = item?;
            let owner = format!("MultiLimiter rates[{i}]");
            let not_a_rate = || {
                let rule = "a (rate, per) or (rate, per, burst) tuple";
                bad_arg(py, "MultiLimiter", &format!("rates[{i}]"), rule, given(&item))
            };
            let parts: Vec<Bound<'_, PyAny>> = item.extract().map_err(|_| not_a_rate())?;
            let (rate, per, burst) = match parts.as_slice() {
                [rate, per] => (rate, per, None),
                [rate, per, burst] => (rate, per, Some(burst)),
                _ => return Err(not_a_rate()),
            };
            configs.push(config(py, &owner, rate, per, burst)?);
        }
        let inner = weir_core::limiter::MultiLimiter::new(&configs)
            .map_err(|e| config_error(py, "MultiLimiter", e, RENAMES))?;
        Ok(Self { inner: Counted::new(inner), answers: DecisionCache::new() })
    }

    /// Takes `cost` tokens from every rate if all have them; never waits.
    /// Refused: the refusal of the rate that waits longest.
    #[pyo3(signature = (cost = 1, now = None))]
    fn try_acquire(&self, py: Python<'_>, cost: u64, now: Option<u64>) -> PyResult<Py<Decision>> {
        self.answers.answer(py, self.inner.decide(|m| m.acquire(now_or_clock(now), cost)))
    }

    /// Waits (GIL released) until admitted, or returns the refusal when
    /// `timeout` seconds would pass first or `cost` exceeds a burst.
    #[pyo3(signature = (cost = 1, timeout = None))]
    fn acquire(&self, py: Python<'_>, cost: u64, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<Decision> {
        let timeout = timeout_ns(py, "MultiLimiter.acquire", timeout)?;
        let d = block(py, timeout, |now| self.inner.decide(|m| m.acquire(now, cost)))?;
        Ok(d.into())
    }

    /// Changes rate `index` to `rate` per `per` seconds now, keeping its
    /// burst and what it spent (the rule of `Limiter.set_rate`).
    #[pyo3(signature = (index, rate, per = None))]
    fn set_rate(
        &self,
        py: Python<'_>,
        index: usize,
        rate: &Bound<'_, PyAny>,
        per: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let current = self.current(py, "MultiLimiter.set_rate", index)?;
        let c = changed_rate(py, "MultiLimiter.set_rate", current, rate, per)?;
        self.set(py, "MultiLimiter.set_rate", index, c, weir_host::monotonic_now())
    }

    /// Changes rate `index`'s burst now, keeping its rate and what it spent.
    fn set_burst(&self, py: Python<'_>, index: usize, burst: &Bound<'_, PyAny>) -> PyResult<()> {
        let current = self.current(py, "MultiLimiter.set_burst", index)?;
        let c = changed_burst(py, "MultiLimiter.set_burst", current, burst)?;
        self.set(py, "MultiLimiter.set_burst", index, c, weir_host::monotonic_now())
    }

    /// A change to core's config at `now`, for the conformance replays.
    #[allow(clippy::too_many_arguments)]
    fn _set_config(
        &self,
        py: Python<'_>,
        index: usize,
        rate: u64,
        period_ns: u64,
        burst: u64,
        now: u64,
    ) -> PyResult<()> {
        self.set(py, "MultiLimiter.set_rate", index, kernel(rate, period_ns, burst), now)
    }

    /// How many rates.
    fn __len__(&self) -> usize {
        self.inner.cell().len()
    }

    fn __repr__(&self) -> String {
        let rates: Vec<String> = (0..self.inner.cell().len())
            .filter_map(|i| self.inner.cell().config(i))
            .map(|c| format!("(rate={}, period_ns={}, burst={})", c.rate, c.period_ns, c.burst))
            .collect();
        format!("weir.MultiLimiter([{}])", rates.join(", "))
    }
}

impl MultiLimiter {
    fn current(&self, py: Python<'_>, owner: &str, index: usize) -> PyResult<LimiterConfig> {
        self.inner.cell().config(index).ok_or_else(|| {
            bad_arg(py, owner, "index", &format!("below the number of rates ({})", self.inner.cell().len()), index)
        })
    }

    fn set(&self, py: Python<'_>, owner: &str, index: usize, c: LimiterConfig, now: u64) -> PyResult<()> {
        self.inner.cell().set_config(index, c, now).map_err(|e| config_error(py, owner, e, RENAMES))
    }
}
