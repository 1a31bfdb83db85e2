//! A shedder's requests ended without a call: the caller keeps a
//! `weir_shedder_slots` (zeroed), each acquire through it applies the ends
//! written there since the last one and hands the admitted request a slot,
//! and the request's end is three plain stores and one atomic OR by the
//! caller. One call per request instead of two.

use crate::decision::weir_decision;
use crate::handle::{entry, out};
use crate::shedder::weir_shedder;
use crate::status::weir_status;
use weir_host::{ShedderSlots, Ticks};

/// Slots in a `weir_shedder_slots`; an acquire that finds all taken admits
/// without one (`*slot` is this value) and the request ends through
/// `weir_shedder_done_now`.
pub const WEIR_SHEDDER_SLOTS: u32 = 64;
/// `how`: the request ended at `ended` nanoseconds (the shedder's clock).
pub const WEIR_SHEDDER_ENDED_AT_NS: u64 = 1;
/// `how`: the request ended at `ended` raw counter ticks (see `weir_ticks`),
/// which the library scales to `weir_now()`.
pub const WEIR_SHEDDER_ENDED_AT_TICKS: u64 = 2;
/// `how`: the request never reached the service (refused later, cancelled
/// before sending): it leaves in-flight without a response time.
pub const WEIR_SHEDDER_CANCELLED: u64 = 3;

/// `weir_ticks`: no counter a caller can read itself matches `weir_now()`.
pub const WEIR_TICKS_NONE: u32 = 0;
/// `weir_ticks`: `weir_now()` scales the x86-64 time-stamp counter; a
/// caller may read it with `rdtsc` and hand the raw value over.
pub const WEIR_TICKS_X86_TSC: u32 = 1;

/// One admitted request's end.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_shedder_slot {
    /// When the request was admitted; written by the library.
    pub started_at: u64,
    /// When it ended, in the unit `how` names.
    pub ended: u64,
    /// `WEIR_SHEDDER_ENDED_AT_NS`, `WEIR_SHEDDER_ENDED_AT_TICKS` or
    /// `WEIR_SHEDDER_CANCELLED`.
    pub how: u64,
}

/// One bank of `weir_shedder_slots`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_shedder_slot_bank {
    /// Bit `i`: slot `i` is taken (by a request, or by an end not yet applied).
    pub owned: u64,
    /// Bit `i`: slot `i` holds an end to apply.
    pub ready: u64,
    /// The ends.
    pub slot: [weir_shedder_slot; WEIR_SHEDDER_SLOTS as usize],
}

/// Ends handed to a shedder without a call. Zero it before first use; use
/// it with one shedder only, and keep it in place while that shedder is
/// used. Every access the caller makes to `owned` and `ready` is atomic.
///
/// `held`: an acquire through these slots gives the admitted request slot
/// `i` (and writes its `started_at`). To end it: store `ended` and `how`,
/// then OR `1 << i` into `held.ready` with release order (e.g.
/// `__atomic_fetch_or(&s->held.ready, 1ull << i, __ATOMIC_RELEASE)`); the
/// slot is not the caller's after that.
///
/// `spare`: a request admitted without a held slot (`WEIR_SHEDDER_SLOTS`)
/// can end here: claim a clear bit `i` of `spare.owned` by compare-exchange
/// (acquire order), store `started_at`, `ended` and `how` in `spare.slot[i]`,
/// then OR `1 << i` into `spare.ready` (release). With every bit set, end it
/// with `weir_shedder_done` instead. The next acquire applies both banks'
/// ready ends before it decides, and frees their slots.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_shedder_slots {
    /// Slots held by admitted requests until they end.
    pub held: weir_shedder_slot_bank,
    /// Slots for the ends of requests admitted without a held one.
    pub spare: weir_shedder_slot_bank,
}

// Literals for cbindgen, which cannot read weir-host's constants.
const _: () = assert!(
    WEIR_SHEDDER_SLOTS as usize == weir_host::SHEDDER_SLOTS
        && WEIR_SHEDDER_ENDED_AT_NS == weir_host::ENDED_AT_NS
        && WEIR_SHEDDER_ENDED_AT_TICKS == weir_host::ENDED_AT_TICKS
        && WEIR_SHEDDER_CANCELLED == weir_host::CANCELLED,
    "the C constants are weir-host's"
);

const _: () = assert!(
    size_of::<weir_shedder_slots>() == size_of::<ShedderSlots>()
        && align_of::<weir_shedder_slots>() == align_of::<ShedderSlots>(),
    "weir_shedder_slots is the C spelling of weir_host::ShedderSlots"
);

/// The slots behind a caller's pointer.
///
/// # Safety
/// `slots` is non-NULL, aligned and valid for reads and atomic writes for
/// the duration of the call.
#[inline(always)]
unsafe fn slots_of<'a>(slots: *mut weir_shedder_slots) -> &'a ShedderSlots {
    // SAFETY: both types are `repr(C)` with the same fields in the same
    // order (`AtomicU64` has `u64`'s layout), checked in size and alignment
    // above; the caller promises the memory is valid, and every access the
    // library makes to it is atomic.
    unsafe { &*slots.cast::<ShedderSlots>() }
}

/// Writes which counter a caller may read itself for
/// `WEIR_SHEDDER_ENDED_AT_TICKS`: `WEIR_TICKS_X86_TSC`, or
/// `WEIR_TICKS_NONE` (then end requests with `WEIR_SHEDDER_ENDED_AT_NS` and
/// `weir_now()`, or through `weir_shedder_done_now`).
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_ticks(out: *mut u32) -> weir_status {
    entry!(; out => {
        out!(
            out,
            match weir_host::ticks() {
                Ticks::X86Tsc => WEIR_TICKS_X86_TSC,
                Ticks::None => WEIR_TICKS_NONE,
            }
        );
    })
}

/// An acquire through slots: the decision, when it was made, and the
/// admitted request's slot.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_shedder_admission {
    /// The decision.
    pub decision: weir_decision,
    /// When it was made (the `now` it was made at).
    pub started_at: u64,
    /// The admitted request's held slot; `WEIR_SHEDDER_SLOTS` when refused
    /// or when every held slot was taken (then end it through a spare slot,
    /// or with `weir_shedder_done`, from `started_at`).
    pub slot: u32,
}

/// Applies the ends in `slots`, then asks to start a request at `now`;
/// an admitted request gets a slot to end it in.
///
/// # Safety
/// `shedder` is NULL or live; `slots` is NULL or as `weir_shedder_slots`
/// says; `out` is NULL or writable.
// twin weir_shedder_acquire_slot_now: `weir_shedder_acquire_slot` at `weir_now()`.
#[no_mangle]
pub unsafe extern "C" fn weir_shedder_acquire_slot(
    shedder: *const weir_shedder,
    slots: *mut weir_shedder_slots,
    now: u64,
    out: *mut weir_shedder_admission,
) -> weir_status {
    entry!(shedder; slots, out => {
        // SAFETY: checked non-NULL; valid per the contract.
        out!(out, unsafe { admit(shedder, slots_of(slots), now) });
    })
}

/// `weir_shedder_acquire_slot` at `weir_now()`.
///
/// # Safety
/// As `weir_shedder_acquire_slot`.
// Written by ffi/twins from the `// twin` mark above; edit that, not this.
#[no_mangle]
pub unsafe extern "C" fn weir_shedder_acquire_slot_now(
    shedder: *const weir_shedder,
    slots: *mut weir_shedder_slots,
    out: *mut weir_shedder_admission,
) -> weir_status {
    entry!(let now = crate::handle::now_of::<weir_shedder>(); shedder; slots, out => {
        // SAFETY: checked non-NULL; valid per the contract.
        out!(out, unsafe { admit(shedder, slots_of(slots), now) });
    })
}

#[inline(always)]
fn admit(shedder: &weir_shedder, slots: &ShedderSlots, now: u64) -> weir_shedder_admission {
    let (d, slot) = shedder.inner.acquire_slot(slots, now);
    shedder.events.observe(now, &d);
    weir_shedder_admission { decision: d.into(), started_at: now, slot: slot.unwrap_or(WEIR_SHEDDER_SLOTS) }
}

/// Applies the ends in `slots` at `now` and frees their slots: before a
/// snapshot, so it counts every end handed over.
///
/// # Safety
/// `shedder` is NULL or live; `slots` is NULL or as `weir_shedder_slots` says.
#[no_mangle]
pub unsafe extern "C" fn weir_shedder_drain(
    shedder: *const weir_shedder,
    slots: *mut weir_shedder_slots,
    now: u64,
) -> weir_status {
    entry!(shedder; slots => {
        // SAFETY: checked non-NULL; valid per the contract.
        unsafe { slots_of(slots) }.drain(shedder.inner.cell(), now);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shedder::{weir_shedder_config, weir_shedder_config_default, weir_shedder_free, weir_shedder_new};
    use crate::shedder::{weir_shedder_snapshot, weir_shedder_stats};
    use std::sync::atomic::{AtomicU64, Ordering};

    fn shedder(max_queue: u64) -> *mut weir_shedder {
        let mut config = std::mem::MaybeUninit::<weir_shedder_config>::uninit();
        let mut handle = std::ptr::null_mut();
        // SAFETY: valid out-pointers.
        unsafe {
            assert_eq!(weir_shedder_config_default(config.as_mut_ptr()), weir_status::Ok);
            let mut config = config.assume_init();
            config.max_queue = max_queue;
            assert_eq!(weir_shedder_new(&config, &mut handle), weir_status::Ok);
        }
        handle
    }

    fn in_flight(h: *mut weir_shedder, now: u64) -> u64 {
        let mut stats = weir_shedder_stats::default();
        // SAFETY: live handle, valid out-pointer.
        assert_eq!(unsafe { weir_shedder_snapshot(h, now, &mut stats) }, weir_status::Ok);
        stats.in_flight
    }

    fn empty() -> weir_shedder_slots {
        let bank = weir_shedder_slot_bank { owned: 0, ready: 0, slot: [weir_shedder_slot::default(); 64] };
        weir_shedder_slots { held: bank, spare: bank }
    }

    // What a binding does: plain stores, then a release OR on `ready`.
    fn end(slots: &mut weir_shedder_slots, i: u32, ended: u64, how: u64) {
        slots.held.slot[i as usize].ended = ended;
        slots.held.slot[i as usize].how = how;
        // SAFETY: `ready` is an aligned u64 that lives as long as `slots`.
        unsafe { AtomicU64::from_ptr(&mut slots.held.ready) }.fetch_or(1 << i, Ordering::Release);
    }

    #[test]
    fn one_call_per_request_with_the_end_applied_before_the_next_decision() {
        let mut h = shedder(1);
        let mut slots = empty();
        let mut a = weir_shedder_admission::default();
        // SAFETY: live handle, valid pointers.
        unsafe {
            assert_eq!(weir_shedder_acquire_slot(h, &mut slots, 10, &mut a), weir_status::Ok);
            assert_eq!((a.decision.admitted, a.slot, a.started_at, slots.held.slot[0].started_at), (1, 0, 10, 10));
            assert_eq!(weir_shedder_acquire_slot(h, &mut slots, 20, &mut a), weir_status::Ok);
            assert_eq!((a.decision.admitted, a.slot), (0, WEIR_SHEDDER_SLOTS), "the queue cap of 1 is reached");
            end(&mut slots, 0, 30, WEIR_SHEDDER_ENDED_AT_NS);
            assert_eq!(in_flight(h, 40), 1, "nothing applied the end yet");
            assert_eq!(weir_shedder_acquire_slot(h, &mut slots, 40, &mut a), weir_status::Ok);
            assert_eq!(a.decision.admitted, 1, "the end was applied first");
            end(&mut slots, a.slot, 50, WEIR_SHEDDER_CANCELLED);
            assert_eq!(weir_shedder_drain(h, &mut slots, 60), weir_status::Ok);
            assert_eq!((in_flight(h, 60), slots.held.owned, slots.held.ready), (0, 0, 0));
            weir_shedder_free(&mut h);
        }
    }

    #[test]
    fn ticks_scale_to_the_clock_of_the_now_calls() {
        let mut ticks = u32::MAX;
        // SAFETY: valid out-pointer.
        assert_eq!(unsafe { weir_ticks(&mut ticks) }, weir_status::Ok);
        assert!(ticks == WEIR_TICKS_NONE || ticks == WEIR_TICKS_X86_TSC);
        let mut h = shedder(0);
        let mut slots = empty();
        let mut a = weir_shedder_admission::default();
        // SAFETY: live handle, valid pointers.
        unsafe {
            assert_eq!(weir_shedder_acquire_slot_now(h, &mut slots, &mut a), weir_status::Ok);
            assert_eq!((a.decision.admitted, a.slot), (1, 0));
            assert_eq!(slots.held.slot[0].started_at, a.started_at);
            end(&mut slots, 0, crate::weir_now(), WEIR_SHEDDER_ENDED_AT_NS);
            assert_eq!(weir_shedder_acquire_slot_now(h, &mut slots, &mut a), weir_status::Ok);
            assert_eq!((in_flight(h, a.started_at), a.slot), (1, 0));
            weir_shedder_free(&mut h);
        }
    }

    #[test]
    fn null_arguments_are_refused() {
        let mut h = shedder(0);
        let mut slots = empty();
        let mut a = weir_shedder_admission::default();
        // SAFETY: NULLs are allowed by every contract here.
        unsafe {
            let null = std::ptr::null_mut();
            assert_eq!(weir_shedder_acquire_slot(h, null, 0, &mut a), weir_status::NullArgument);
            assert_eq!(weir_shedder_acquire_slot(std::ptr::null(), &mut slots, 0, &mut a), weir_status::NullArgument);
            assert_eq!(weir_shedder_acquire_slot_now(h, &mut slots, std::ptr::null_mut()), weir_status::NullArgument);
            assert_eq!(weir_shedder_drain(h, null, 0), weir_status::NullArgument);
            assert_eq!(weir_ticks(std::ptr::null_mut()), weir_status::NullArgument);
            weir_shedder_free(&mut h);
        }
    }
}
