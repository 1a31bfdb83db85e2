//! Sharing objects with worker threads and dropping them when JS is done.

use crate::adaptive_limit::ADAPTIVE;
use crate::breaker::BREAKERS;
use crate::bulkhead::CONCURRENCY;
use crate::fast;
use crate::fast::Callback;
use crate::fleet::FLEETS;
use crate::layout::{table, Kind};
use crate::lease::LEASES;
use crate::limiter::{KEYED, LIMITERS, MULTIS};
use crate::picker::PICKERS;
use crate::retry::{BACKOFFS, BUDGETS};
use crate::scratch::Scratch;
use crate::shedder::{SHEDDERS, THROTTLES};
use crate::singleflight::FLIGHTS;

/// Runs `$op` on the table of the kind JS wrote as `$code`; a code that is
/// no kind does nothing. The match is exhaustive, so a kind declared without
/// a table does not compile.
macro_rules! on_table {
    ($code:expr, |$t:ident| $op:expr) => {
        on_table!($code, $t, $op, {
            Limiter: LIMITERS, KeyedLimiter: KEYED, ConcurrencyLimiter: CONCURRENCY, Shedder: SHEDDERS,
            Throttle: THROTTLES, Picker: PICKERS, RetryBudget: BUDGETS, Backoff: BACKOFFS, SingleFlight: FLIGHTS,
            FleetLimiter: FLEETS, Lease: LEASES, CircuitBreaker: BREAKERS, AdaptiveLimiter: ADAPTIVE,
            MultiLimiter: MULTIS,
        })
    };
    ($code:expr, $t:ident, $op:expr, { $($kind:ident: $table:ident),+ $(,)? }) => {
        match Kind::from_code($code) {
            $(Some(Kind::$kind) => {
                let $t = &$table;
                $op
            })+
            None => Default::default(),
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
