use crate::divide::Divisor;
use crate::error::check;
use crate::{ConfigError, Nanos, Value, MILLISECOND, SECOND};

/// Window settings of a quantile estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantileConfig {
    /// How far back "recent" reaches: the estimate covers the current
    /// sub-window and the `sub_windows - 1` before it, so between
    /// `window_ns - window_ns / sub_windows` and `window_ns`. A multiple of
    /// `sub_windows`, at least 1 ms per sub-window.
    pub window_ns: Nanos,
    /// Sub-windows the window rotates through, from 1 to the estimator's
    /// `SLOTS`.
    pub sub_windows: u64,
}

impl Default for QuantileConfig {
    fn default() -> Self {
        Self { window_ns: 10 * SECOND, sub_windows: 4 }
    }
}

/// The validated window: which sub-window a time falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantileKernel {
    sub_ns: Divisor,
    sub_windows: Divisor,
}

impl QuantileKernel {
    /// Validates `config` for an estimator with `slots` sub-window slots.
    pub fn new(config: QuantileConfig, slots: usize) -> Result<Self, ConfigError> {
        let sub_windows = check::at_least("sub_windows", ">= 1", config.sub_windows, 1)?;
        let sub_windows =
            check::at_most("sub_windows", "<= the estimator's SLOTS (4 by default)", sub_windows, slots as u64)?;
        let window = check::at_least(
            "window_ns",
            ">= 1 ms per sub-window",
            config.window_ns,
            sub_windows.saturating_mul(MILLISECOND),
        )?;
        if window % sub_windows != 0 {
            return Err(ConfigError::new("window_ns", "a multiple of sub_windows", Value::Unsigned(window)));
        }
        Ok(Self { sub_ns: Divisor::new(window / sub_windows), sub_windows: Divisor::new(sub_windows) })
    }

    /// The config this kernel was built from.
    pub const fn config(&self) -> QuantileConfig {
        QuantileConfig { window_ns: self.sub_ns.get() * self.sub_windows.get(), sub_windows: self.sub_windows.get() }
    }

    /// The number of the sub-window `now` falls in.
    #[inline]
    pub(crate) const fn epoch(&self, now: Nanos) -> u64 {
        self.sub_ns.div(now)
    }

    /// The slot sub-window `epoch` is counted in.
    #[inline]
    pub(crate) const fn slot(&self, epoch: u64) -> usize {
        (epoch - self.sub_windows.div(epoch) * self.sub_windows.get()) as usize
    }

    /// Sub-windows in the window.
    #[inline]
    pub(crate) const fn sub_windows(&self) -> u64 {
        self.sub_windows.get()
    }
}
