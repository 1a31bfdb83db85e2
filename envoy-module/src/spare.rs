//! Stream boxes a worker keeps for reuse. A stream's state lives behind the
//! pointer Envoy holds from `on_http_filter_new` to `on_http_filter_destroy`;
//! taking that box from the worker's spares instead of the allocator saves
//! a `malloc` and a `free` per request (about a quarter of what the module
//! adds to an admitted request, counted by `benches/envoy/instructions.py`).
//! The spares belong to the worker's plan of one configuration, so a reused
//! box always decides under the configuration it was made for.

use crate::filter::FilterStream;
use std::cell::RefCell;

/// Spares a worker keeps: more than the streams it has open at once under
/// any load the bench reaches, and a few hundred KiB at most.
const MAX_SPARE: usize = 1024;

#[derive(Default)]
pub struct Spare {
    // The boxes are the point: each is an allocation Envoy held a pointer to.
    #[allow(clippy::vec_box)]
    boxes: RefCell<Vec<Box<FilterStream>>>,
}

impl Spare {
    /// A box for a new stream of this worker: a spare as its last stream
    /// left it (reset, pointing at this worker), else `make()` boxed.
    #[inline]
    pub fn take(&self, make: impl FnOnce() -> FilterStream) -> Box<FilterStream> {
        match self.boxes.try_borrow_mut().ok().and_then(|mut b| b.pop()) {
            Some(spare) => spare,
            None => Box::new(make()),
        }
    }

    /// Keeps an ended stream's box, reset by its caller; one past
    /// `MAX_SPARE` is freed.
    #[inline]
    pub fn keep(&self, stream: Box<FilterStream>) {
        if let Ok(mut boxes) = self.boxes.try_borrow_mut() {
            if boxes.len() < MAX_SPARE {
                boxes.push(stream);
            }
        }
    }
}
