//! Events of the shedder, throttle, retry budget and keyed table: weir-host's
//! `Events` detect and queue them on the decision; the decision raises a
//! flag in [`call::EVENTS`] when it queued one, and JS, seeing the flag after
//! the call, drains the queue on a later turn and emits them.

use std::ops::Deref;

use weir_core::{Decision, Nanos};
use weir_host::Events;

use crate::fast;
use crate::fast::Callback;
use crate::layout::{call, event};
use crate::limiter::KEYED;
use crate::retry::BUDGETS;
use crate::scratch::Scratch;
use crate::shedder::{SHEDDERS, THROTTLES};

/// A primitive and its events; reads as the primitive.
pub struct Watched<T> {
    pub inner: T,
    pub events: Events,
}

impl<T> Watched<T> {
    pub fn new(inner: T, events: Events) -> Self {
        Self { inner, events }
    }
}

impl<T> Deref for Watched<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

/// Looks at one decision; raises the flag when it queued an event.
#[inline]
pub fn observe(s: Scratch, events: &Events, now: Nanos, d: &Decision) {
    if events.observe(now, d) {
        s.set_f(call::EVENTS, 1.0);
    }
}

// Out: the next event, as [`event`] lays it out (in the mode's representation).
fn next(s: Scratch, events: Option<&Events>) {
    let Some(events) = events else { return s.bad_handle() };
    match events.next() {
        Some(e) => {
            s.set_f(event::TAKEN, 1.0);
            s.set_f(event::KIND, f64::from(e.kind as u8));
            s.set_f(event::REASON, f64::from(e.reason as u8));
            s.out(event::AT, e.at);
            s.out(event::COUNT, e.count);
            s.out(event::SINCE, e.since);
        }
        None => s.set_f(event::TAKEN, 0.0),
    }
    s.out(event::DROPPED, events.dropped());
}

fast!(shedder_next_event, |s: Scratch| next(s, SHEDDERS.get(s.handle()).map(|x| &x.events)));
fast!(throttle_next_event, |s: Scratch| next(s, THROTTLES.get(s.handle()).map(|x| &x.events)));
fast!(budget_next_event, |s: Scratch| next(s, BUDGETS.get(s.handle()).map(|x| &x.events)));
fast!(keyed_next_event, |s: Scratch| next(s, KEYED.get(s.handle()).map(|x| &x.table.events)));

pub const FNS: &[(&str, Callback)] = &[
    ("shedderNextEvent", shedder_next_event),
    ("throttleNextEvent", throttle_next_event),
    ("budgetNextEvent", budget_next_event),
    ("keyedNextEvent", keyed_next_event),
];
