//! The per-thread memory JS and Rust exchange call arguments and answers
//! through. A napi call that converts its arguments costs several times one
//! that takes none, so the hot calls take none: JS writes the inputs into a
//! typed array over this memory, calls, and reads the answer from it.
//!
//! Which slot holds what, per call, is declared in [`crate::layout`].

use std::cell::Cell;
use std::ptr::null_mut;

use weir_core::{Decision, Nanos};

use crate::layout::{call, decision};
pub use crate::layout::{status, SLOTS};

thread_local! {
    static BUF: Cell<*mut u64> = const { Cell::new(null_mut()) };
}

/// The calling thread's buffer, made on first use. It is never freed: every
/// JS environment on the thread may hold a view of it for as long as it runs.
pub fn buffer() -> *mut u64 {
    BUF.with(|b| {
        if b.get().is_null() {
            let words: &'static mut [u64; SLOTS] = Box::leak(Box::new([0u64; SLOTS]));
            b.set(words.as_mut_ptr());
        }
        b.get()
    })
}

/// A view of the calling thread's buffer.
#[derive(Clone, Copy)]
pub struct Scratch(*mut u64);

impl Scratch {
    /// The buffer, if JS on this thread has asked for it (else nothing was written).
    #[inline]
    pub fn current() -> Option<Scratch> {
        let p = BUF.with(|b| b.get());
        (!p.is_null()).then_some(Scratch(p))
    }

    #[inline]
    pub fn u(&self, i: usize) -> u64 {
        if i < SLOTS {
            // SAFETY: the buffer holds SLOTS words and lives for the thread.
            unsafe { self.0.add(i).read() }
        } else {
            0
        }
    }

    #[inline]
    pub fn f(&self, i: usize) -> f64 {
        f64::from_bits(self.u(i))
    }

    #[inline]
    pub fn set_u(&self, i: usize, v: u64) {
        if i < SLOTS {
            // SAFETY: as in `u`.
            unsafe { self.0.add(i).write(v) }
        }
    }

    #[inline]
    pub fn set_f(&self, i: usize, v: f64) {
        self.set_u(i, v.to_bits())
    }

    #[inline]
    pub fn exact(&self) -> bool {
        self.f(call::MODE) != 0.0
    }

    /// The handle as a table index; out-of-range values map to an index no
    /// table has.
    #[inline]
    pub fn handle(&self) -> usize {
        let h = self.f(call::HANDLE);
        if h >= 0.0 && h < u32::MAX as f64 {
            h as usize
        } else {
            usize::MAX
        }
    }

    /// An integer input: exact u64, or a JS number (saturating, NaN as 0).
    #[inline]
    pub fn int(&self, i: usize) -> u64 {
        if self.exact() {
            self.u(i)
        } else {
            self.f(i) as u64
        }
    }

    /// `now`: the argument in exact mode, else the monotonic clock.
    #[inline]
    pub fn now(&self, i: usize) -> Nanos {
        if self.exact() {
            self.u(i)
        } else {
            weir_host::monotonic_now()
        }
    }

    /// An integer output in the mode's representation.
    #[inline]
    pub fn out(&self, i: usize, v: u64) {
        if self.exact() {
            self.set_u(i, v)
        } else {
            self.set_f(i, v as f64)
        }
    }

    /// A decision, as [`decision`] lays it out.
    #[inline]
    pub fn decision(&self, d: &Decision) {
        self.set_f(decision::REASON, d.reason as u8 as f64);
        self.out(decision::RETRY_AFTER, d.retry_after);
        self.out(decision::REMAINING, d.remaining);
        self.out(decision::RESET_AFTER, d.reset_after);
    }

    /// A status in [`call::STATUS`].
    #[inline]
    pub fn status(&self, code: f64) {
        self.set_f(call::STATUS, code);
    }

    #[inline]
    pub fn bad_handle(&self) {
        self.status(status::BAD_HANDLE);
    }
}
