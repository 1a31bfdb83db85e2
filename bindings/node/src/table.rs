//! Process-wide tables of native objects, addressed from JS by index.
//!
//! A JS wrapper keeps an index rather than a napi-wrapped object because a
//! plain function reading an index costs a fraction of a method call on a
//! napi class. The tables are process-wide so that worker threads can share
//! one object: `share()` hands out `(index, generation)`, `attach` on the
//! other thread checks the generation and counts one more holder. An entry
//! is dropped when its last holder releases it (a FinalizationRegistry in
//! JS); until then its address is stable, so lookups take no lock.

use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

const CHUNK: usize = 1024;
const CHUNKS: usize = 1024;
/// Most objects of one kind alive at once.
pub const CAPACITY: usize = CHUNK * CHUNKS;

struct Chunk<T> {
    slots: [AtomicPtr<T>; CHUNK],
    gens: [AtomicU32; CHUNK],
    holders: [AtomicU32; CHUNK],
}

struct Free {
    list: Vec<usize>,
    next: usize,
}

pub struct Table<T> {
    chunks: [AtomicPtr<Chunk<T>>; CHUNKS],
    free: Mutex<Free>,
}

/// Where a new entry went: what JS needs to address and to share it.
#[derive(Debug, Clone, Copy)]
pub struct Placed {
    pub index: usize,
    pub gen: u32,
}

impl<T> Table<T> {
    pub const fn new() -> Self {
        Self {
            chunks: [const { AtomicPtr::new(null_mut()) }; CHUNKS],
            free: Mutex::new(Free { list: Vec::new(), next: 0 }),
        }
    }

    fn chunk(&self, index: usize) -> Option<&Chunk<T>> {
        let p = self.chunks.get(index / CHUNK)?.load(Ordering::Acquire);
        // SAFETY: chunks are allocated once and never freed.
        unsafe { p.as_ref() }
    }

    /// The object at `index`, if any. The caller holds it (its JS wrapper is
    /// alive), so it cannot be dropped while the reference is used.
    #[inline]
    pub fn get(&self, index: usize) -> Option<&T> {
        let p = self.chunk(index)?.slots.get(index % CHUNK)?.load(Ordering::Acquire);
        // SAFETY: a non-null slot points at a live `Arc<T>` allocation that
        // only `release` of its last holder frees, after nulling the slot.
        unsafe { p.as_ref() }
    }

    /// A counted reference for threads that outlive a JS call (samplers).
    pub fn arc(&self, index: usize) -> Option<Arc<T>> {
        let _guard = self.free.lock().ok()?;
        let p = self.chunk(index)?.slots.get(index % CHUNK)?.load(Ordering::Acquire);
        if p.is_null() {
            return None;
        }
        // SAFETY: p came from Arc::into_raw and the slot still owns it.
        unsafe {
            Arc::increment_strong_count(p);
            Some(Arc::from_raw(p))
        }
    }

    /// Stores `value` with one holder; `None` when the table is full.
    pub fn insert(&self, value: T) -> Option<Placed> {
        let mut free = self.free.lock().ok()?;
        let index = match free.list.pop() {
            Some(i) => i,
            None if free.next < CAPACITY => {
                free.next += 1;
                free.next - 1
            }
            None => return None,
        };
        let cell = self.chunks.get(index / CHUNK)?;
        if cell.load(Ordering::Acquire).is_null() {
            let fresh: Box<Chunk<T>> = Box::new(Chunk {
                slots: [const { AtomicPtr::new(null_mut()) }; CHUNK],
                gens: [const { AtomicU32::new(0) }; CHUNK],
                holders: [const { AtomicU32::new(0) }; CHUNK],
            });
            cell.store(Box::into_raw(fresh), Ordering::Release);
        }
        let chunk = self.chunk(index)?;
        let slot = index % CHUNK;
        let gen = chunk.gens.get(slot)?.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        chunk.holders.get(slot)?.store(1, Ordering::Relaxed);
        chunk.slots.get(slot)?.store(Arc::into_raw(Arc::new(value)).cast_mut(), Ordering::Release);
        Some(Placed { index, gen })
    }

    /// One more holder of `(index, gen)`; false if that object is gone.
    pub fn attach(&self, index: usize, gen: u32) -> bool {
        let Ok(_guard) = self.free.lock() else { return false };
        let Some(chunk) = self.chunk(index) else { return false };
        let slot = index % CHUNK;
        let (Some(p), Some(g), Some(h)) = (chunk.slots.get(slot), chunk.gens.get(slot), chunk.holders.get(slot)) else {
            return false;
        };
        if p.load(Ordering::Acquire).is_null() || g.load(Ordering::Relaxed) != gen {
            return false;
        }
        h.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// One holder fewer; the last one drops the object.
    pub fn release(&self, index: usize) {
        let Ok(mut free) = self.free.lock() else { return };
        let Some(chunk) = self.chunk(index) else { return };
        let slot = index % CHUNK;
        let (Some(p), Some(h)) = (chunk.slots.get(slot), chunk.holders.get(slot)) else { return };
        if p.load(Ordering::Acquire).is_null() {
            return;
        }
        if h.fetch_sub(1, Ordering::Relaxed) != 1 {
            return;
        }
        let raw = p.swap(null_mut(), Ordering::AcqRel);
        free.list.push(index);
        drop(free);
        // SAFETY: raw came from Arc::into_raw in `insert`; the slot's
        // reference is given up exactly once, here.
        drop(unsafe { Arc::from_raw(raw) });
    }
}
