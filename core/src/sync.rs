//! The atomics every cell uses, swapped for loom's model-checked ones under
//! `--cfg loom` so the same cell code is what loom explores.

#[cfg(loom)]
pub use loom::sync::atomic::{AtomicU64, Ordering};

#[cfg(all(not(loom), target_has_atomic = "64"))]
pub use core::sync::atomic::{AtomicU64, Ordering};

// Targets without 64-bit atomics (Cortex-M, 32-bit RISC-V) get them from
// portable-atomic, which the embedder backs with a critical section.
#[cfg(all(not(loom), not(target_has_atomic = "64")))]
pub use portable_atomic::{AtomicU64, Ordering};

/// Backs off inside a wait loop. Under loom a spin must yield so the model
/// lets the thread being waited on make progress.
#[inline]
pub(crate) fn spin() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    core::hint::spin_loop();
}

/// A fresh atomic. loom's atomics are not `const`, so construction goes
/// through this function.
#[inline]
pub(crate) fn atomic_u64(v: u64) -> AtomicU64 {
    AtomicU64::new(v)
}
