//! Each worker's state of one configuration, found from the calling thread.
//!
//! Envoy runs a stream's hooks on one worker thread and destroys a
//! configuration only after every stream made from it. So a configuration
//! can own one value per worker thread, reached from the hook by the
//! thread's identity, and a stream can point at its worker's value without
//! counting references. The thread's identity is the thread pointer: one
//! register read, where a `thread_local!` in a shared library costs a call
//! to `__tls_get_addr` and the cache lines of its tables on every stream.
//!
//! A thread that starts after another exited may be given the same thread
//! pointer, and then takes over the exited thread's value: a worker's state
//! passes to a new worker whole, never to two threads at once.
//!
//! A fixed table holds the first [`SLOTS`] threads, each found in one probe
//! or a few; threads past it go to a list under a lock (a process with more
//! workers than that pays a lock per stream, and stays correct).

use core::ptr::{self, NonNull};
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Threads the table holds: Envoy's `--concurrency` is one per core, and
/// these take 16 bytes each.
pub const SLOTS: usize = 64;
// The probe masks an index and `spread` shifts by the slots' bits.
const _: () = assert!(SLOTS.is_power_of_two());

pub struct PerWorker<W> {
    slots: Box<[Slot<W>]>,
    /// Values of threads past the table, made by `Box::leak` and freed
    /// by `Drop`. Raw, not boxes: growing the list moves its entries, and
    /// moving a `Box` asserts it is the only way to its value, which the
    /// references handed out would contradict.
    overflow: Mutex<Vec<(usize, NonNull<W>)>>,
}

struct Slot<W> {
    /// The owning thread's pointer, 0 while free. Set once.
    thread: AtomicUsize,
    /// The owner's value, null until it is made. Written and read by the
    /// owning thread only.
    value: AtomicPtr<W>,
}

// SAFETY: a value is made, used and reached only by the thread whose
// pointer keys its slot (or its overflow entry): other threads compare the
// key and move on, so a `W` that is not `Sync` is never shared. A value
// passes to another thread only whole: to a thread that takes over an
// exited one's pointer, or to the thread that drops the table (Envoy drops
// a configuration after every stream ended), which `W: Send` allows.
unsafe impl<W: Send> Sync for PerWorker<W> {}
// SAFETY: moving the table moves every value with it, which `W: Send`
// allows; the slots are atomics and the overflow list a mutex.
unsafe impl<W: Send> Send for PerWorker<W> {}

impl<W> Default for PerWorker<W> {
    fn default() -> Self {
        let slots = (0..SLOTS).map(|_| Slot { thread: AtomicUsize::new(0), value: AtomicPtr::new(ptr::null_mut()) });
        Self { slots: slots.collect(), overflow: Mutex::new(Vec::new()) }
    }
}

impl<W> PerWorker<W> {
    /// The calling thread's value, made by `make` on its first call (and
    /// again on a later call if `make` gave nothing).
    #[inline]
    pub fn get_or_make(&self, make: impl FnOnce() -> Option<W>) -> Option<&W> {
        let me = thread_pointer();
        let mask = SLOTS - 1;
        let mut i = spread(me) & mask;
        for _ in 0..SLOTS {
            let slot = self.slots.get(i)?;
            let owner = slot.thread.load(Ordering::Relaxed);
            let mine = owner == me
                || (owner == 0
                    && match slot.thread.compare_exchange(0, me, Ordering::Relaxed, Ordering::Relaxed) {
                        Ok(_) => true,
                        Err(other) => other == me,
                    });
            if mine {
                let value = slot.value.load(Ordering::Relaxed);
                if !value.is_null() {
                    // SAFETY: this thread's own value, alive while `self` is.
                    return Some(unsafe { &*value });
                }
                let made = Box::into_raw(Box::new(make()?));
                slot.value.store(made, Ordering::Relaxed);
                // SAFETY: just made; freed only by `Drop`.
                return Some(unsafe { &*made });
            }
            i = (i + 1) & mask;
        }
        self.overflowed(me, make)
    }

    #[cold]
    fn overflowed(&self, me: usize, make: impl FnOnce() -> Option<W>) -> Option<&W> {
        let mut list = self.overflow.lock().ok()?;
        let value = match list.iter().find(|(owner, _)| *owner == me) {
            Some(&(_, value)) => value,
            None => {
                let made = NonNull::from(Box::leak(Box::new(make()?)));
                list.push((me, made));
                made
            }
        };
        // SAFETY: this thread's own value, made above by a box and freed
        // only by `Drop`; the list holds its address, not the value.
        Some(unsafe { value.as_ref() })
    }
}

impl<W> Drop for PerWorker<W> {
    fn drop(&mut self) {
        for slot in self.slots.iter() {
            let value = slot.value.swap(ptr::null_mut(), Ordering::Relaxed);
            if !value.is_null() {
                // SAFETY: made by `Box::into_raw` in `get_or_make`, freed once.
                drop(unsafe { Box::from_raw(value) });
            }
        }
        for (_, value) in self.overflow.get_mut().unwrap_or_else(PoisonError::into_inner).drain(..) {
            // SAFETY: made by `Box::leak` in `overflowed`, freed once.
            drop(unsafe { Box::from_raw(value.as_ptr()) });
        }
    }
}

/// Thread pointers sit in per-thread blocks a stack apart: their low bits
/// say little, so the probe starts from a multiplied hash of the rest.
fn spread(thread: usize) -> usize {
    ((thread as u64 >> 12).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOTS.trailing_zeros())) as usize
}

/// The calling thread's thread pointer: unique among live threads, never 0.
#[inline(always)]
fn thread_pointer() -> usize {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        let tp: usize;
        // SAFETY: the x86-64 TLS ABI keeps at %fs:0 a pointer to the
        // thread's own control block; reading it has no side effect.
        unsafe { core::arch::asm!("mov {}, fs:0", out(reg) tp, options(nostack, readonly, preserves_flags, pure)) };
        tp
    }
    #[cfg(all(target_arch = "aarch64", not(miri)))]
    {
        let tp: usize;
        // SAFETY: TPIDR_EL0 holds the thread pointer; reading it has no
        // side effect.
        unsafe { core::arch::asm!("mrs {}, tpidr_el0", out(reg) tp, options(nostack, nomem, preserves_flags, pure)) };
        tp
    }
    #[cfg(any(miri, not(any(target_arch = "x86_64", target_arch = "aarch64"))))]
    {
        thread_local! { static ME: u8 = const { 0 }; }
        ME.with(|me| me as *const u8 as usize)
    }
}
