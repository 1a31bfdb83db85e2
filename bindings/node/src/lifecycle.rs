//! Sharing objects with worker threads and dropping them when JS is done.

use crate::adaptive_limit::ADAPTIVE;
use crate::breaker::BREAKERS;
use crate::bulkhead::CONCURRENCY;
use crate::fast;
use crate::fast::Callback;
use crate::fleet::FLEETS;
use crate::layout::table;
use crate::lease::LEASES;
use crate::limiter::{KEYED, LIMITERS, MULTIS};
use crate::picker::PICKERS;
use crate::retry::{BACKOFFS, BUDGETS};
use crate::scratch::Scratch;
use crate::shedder::{SHEDDERS, THROTTLES};
use crate::singleflight::FLIGHTS;

/// Runs `$op` on the table of kind `$kind` (the numbers are JS's `KIND`).
macro_rules! on_table {
    ($kind:expr, |$t:ident| $op:expr) => {
        match $kind {
            0 => {
                let $t = &LIMITERS;
                $op
            }
            1 => {
                let $t = &KEYED;
                $op
            }
            2 => {
                let $t = &CONCURRENCY;
                $op
            }
            3 => {
                let $t = &SHEDDERS;
                $op
            }
            4 => {
                let $t = &THROTTLES;
                $op
            }
            5 => {
                let $t = &PICKERS;
                $op
            }
            6 => {
                let $t = &BUDGETS;
                $op
            }
            7 => {
                let $t = &BACKOFFS;
                $op
            }
            8 => {
                let $t = &FLIGHTS;
                $op
            }
            9 => {
                let $t = &FLEETS;
                $op
            }
            10 => {
                let $t = &LEASES;
                $op
            }
            11 => {
                let $t = &BREAKERS;
                $op
            }
            12 => {
                let $t = &ADAPTIVE;
                $op
            }
            13 => {
                let $t = &MULTIS;
                $op
            }
            _ => Default::default(),
        }
    };
}

// In: handle, kind, generation. Out: attached.
fast!(attach, |s: Scratch| {
    let (index, kind, gen) = (s.handle(), s.f(table::KIND) as u32, s.f(table::GEN) as u32);
    let ok: bool = on_table!(kind, |t| t.attach(index, gen));
    s.set_f(table::ATTACHED, if ok { 1.0 } else { 0.0 });
});

// In: handle, kind.
fast!(release, |s: Scratch| {
    let (index, kind) = (s.handle(), s.f(table::KIND) as u32);
    on_table!(kind, |t| t.release(index))
});

pub const FNS: &[(&str, Callback)] = &[("attach", attach), ("release", release)];
