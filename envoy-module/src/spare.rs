//! Streams kept for reuse on each worker. A stream's state lives behind the
//! pointer Envoy holds from `on_http_filter_new` to `on_http_filter_destroy`;
//! taking that box from the worker's spares instead of the allocator saves
//! a `malloc` and a `free` per request (about a quarter of what the module
//! adds to an admitted request, counted by `benches/envoy/instructions.py`).

use crate::filter::FilterStream;
use std::cell::RefCell;

/// Spares a worker keeps: more than the streams it has open at once under
/// any load the bench reaches, and a few hundred KiB at most.
const MAX_SPARE: usize = 1024;

thread_local! {
    // The boxes are the point: each is an allocation Envoy held a pointer to.
    #[allow(clippy::vec_box)]
    static SPARE: RefCell<Vec<Box<FilterStream>>> = const { RefCell::new(Vec::new()) };
}

/// A box holding `stream`: a spare if the worker has one.
pub fn boxed(stream: FilterStream) -> Box<FilterStream> {
    // `try_with`: a worker that is exiting has no spares, and gets a new box.
    match SPARE.try_with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.pop())).ok().flatten() {
        Some(mut spare) => {
            *spare = stream;
            spare
        }
        None => Box::new(stream),
    }
}

/// Ends `stream`: what it holds is dropped now (its worker plan may be the
/// last reference to a configuration Envoy destroyed), the box kept.
pub fn recycle(mut stream: Box<FilterStream>) {
    stream.release();
    // A box that cannot be kept (the list is full, or the worker is
    // exiting and its list gone) is freed here.
    let _ = SPARE.try_with(|s| match s.try_borrow_mut() {
        Ok(mut s) if s.len() < MAX_SPARE => {
            s.push(stream);
            Ok(())
        }
        _ => Err(stream),
    });
}
