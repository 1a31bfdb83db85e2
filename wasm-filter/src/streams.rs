//! The VM's live streams by context id: an open-addressing table of
//! inline values. Envoy numbers contexts sequentially, so the id itself
//! spreads them over the slots; a request neither allocates nor hashes. The
//! table grows (doubling) only when more streams are in flight at once than
//! ever before, so a steady load reuses the same slots.

pub struct Streams<T> {
    slots: Vec<Option<(u32, T)>>,
    len: usize,
}

impl<T> Default for Streams<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Streams<T> {
    pub const fn new() -> Self {
        Self { slots: Vec::new(), len: 0 }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Capacity is a power of two, so the mask is the modulo.
    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    fn find(&self, id: u32) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut i = id as usize & mask;
        // At most half full, so a probe always meets an empty slot.
        loop {
            match self.slots.get(i)? {
                None => return None,
                Some((k, _)) if *k == id => return Some(i),
                Some(_) => i = (i + 1) & mask,
            }
        }
    }

    pub fn get_mut(&mut self, id: u32) -> Option<&mut T> {
        let i = self.find(id)?;
        self.slots.get_mut(i)?.as_mut().map(|(_, v)| v)
    }

    /// Stores `value` under `id`, replacing what a reused id held.
    pub fn insert(&mut self, id: u32, value: T) {
        if let Some(i) = self.find(id) {
            if let Some(slot) = self.slots.get_mut(i) {
                *slot = Some((id, value));
            }
            return;
        }
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.mask();
        let mut i = id as usize & mask;
        while let Some(Some(_)) = self.slots.get(i) {
            i = (i + 1) & mask;
        }
        if let Some(slot) = self.slots.get_mut(i) {
            *slot = Some((id, value));
            self.len += 1;
        }
    }

    pub fn remove(&mut self, id: u32) -> Option<T> {
        let mut hole = self.find(id)?;
        let (_, value) = self.slots.get_mut(hole)?.take()?;
        self.len -= 1;
        // Backward shift: pull later entries of the probe run into the hole
        // so every remaining entry stays reachable without tombstones.
        let mask = self.mask();
        let mut i = (hole + 1) & mask;
        while let Some(Some((k, _))) = self.slots.get(i) {
            let home = *k as usize & mask;
            // Moves when its home does not lie cyclically in (hole, i].
            if (i.wrapping_sub(home) & mask) >= (i.wrapping_sub(hole) & mask) {
                let moved = self.slots.get_mut(i).and_then(Option::take);
                if let Some(slot) = self.slots.get_mut(hole) {
                    *slot = moved;
                }
                hole = i;
            }
            i = (i + 1) & mask;
        }
        Some(value)
    }

    fn grow(&mut self) {
        let capacity = (self.slots.len() * 2).max(64);
        let old = std::mem::replace(&mut self.slots, (0..capacity).map(|_| None).collect());
        self.len = 0;
        for (id, value) in old.into_iter().flatten() {
            self.insert(id, value);
        }
    }
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn finds_what_it_holds_across_growth_and_removal() {
        let mut t = Streams::new();
        for id in 2..500u32 {
            t.insert(id, id * 10);
        }
        assert_eq!(t.len(), 498);
        for id in (2..500u32).step_by(3) {
            assert_eq!(t.remove(id), Some(id * 10));
        }
        for id in 2..500u32 {
            let want = (id % 3 != 2).then_some(id * 10);
            assert_eq!(t.get_mut(id).copied(), want, "id {id}");
        }
        assert_eq!(t.remove(1), None);
        assert_eq!(t.get_mut(10_000), None);
    }

    /// Colliding ids (equal modulo the capacity) and removals in the
    /// middle of probe runs, checked against a HashMap.
    #[test]
    fn matches_a_map_under_collisions() {
        let mut t = Streams::new();
        let mut m = HashMap::new();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for step in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Few distinct homes: ids that are multiples of 64 plus 0..3.
            let id = ((x % 40) as u32) * 64 + (x >> 40) as u32 % 4;
            if x % 3 == 0 {
                assert_eq!(t.remove(id), m.remove(&id), "step {step}");
            } else {
                t.insert(id, step);
                m.insert(id, step);
            }
            assert_eq!(t.len(), m.len());
        }
        for (id, v) in &m {
            assert_eq!(t.get_mut(*id).copied(), Some(*v));
        }
    }

    #[test]
    fn a_steady_load_keeps_its_slots() {
        let mut t = Streams::new();
        for id in 0..32u32 {
            t.insert(id, ());
        }
        let capacity = t.slots.len();
        for id in 32..100_000u32 {
            t.remove(id - 32);
            t.insert(id, ());
        }
        assert_eq!(t.len(), 32);
        assert_eq!(t.slots.len(), capacity, "no growth without more streams in flight");
    }
}
