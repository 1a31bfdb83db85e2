//! Limit state in a key-value store with compare-and-swap (Envoy's
//! proxy-wasm shared data): read bytes and a CAS token, run the kernel,
//! write back only if nobody wrote in between, else retry. The host's CAS
//! is what makes a limit exact across worker threads. The loop is core's
//! compare-exchange shape ([`weir_core::word::Word::measure_and_replace`])
//! over bytes and a token instead of a word: the kernels answer with the
//! same [`Measured`] there and here.

pub mod keyed;

use crate::store::LimitStore;
pub use crate::store::{state_error_decision, StateError, Status};
use std::cell::RefCell;
use weir_core::limiter::Gcra;
pub use weir_core::word::Measured;
use weir_core::{Decision, Nanos};

/// Shared data as the filter needs it; the Envoy store in production,
/// in-memory fakes in native tests.
pub trait Store {
    fn get(&self, key: &str) -> Result<(Vec<u8>, u32), Status>;
    fn set(&self, key: &str, value: &[u8], cas: u32) -> Result<(), Status>;
}

/// Enough for any real contention (each retry is a fresh read), small
/// enough that a broken host cannot spin a worker forever.
pub(crate) const MAX_CAS_ROUNDS: u32 = 10_000;

/// Makes sure `key` exists. The host ignores the CAS token of a key that
/// does not exist yet, so two workers creating it on their first request
/// would both "win"; creating it at configure time closes that window.
pub fn ensure(store: &impl Store, key: &str, initial: &[u8]) -> Result<(), StateError> {
    match store.get(key) {
        Ok(_) => Ok(()),
        Err(s) if s == Status::NOT_FOUND => store.set(key, initial, 0).map_err(StateError::Host),
        Err(s) => Err(StateError::Host(s)),
    }
}

/// Measures the value at `key` until the answer sticks: a
/// [`Measured::Replace`] is written under the token it was read with (a
/// mismatch measures again what the winner wrote), a [`Measured::Confirm`]
/// stands if the token is unchanged on a second read. A value `measure`
/// cannot read is its error; a host that never lets a write through ends
/// in [`StateError::Contended`] after `MAX_CAS_ROUNDS` (10,000) rounds.
pub fn measure_and_replace<T, S: AsRef<[u8]>>(
    store: &impl Store,
    key: &str,
    mut measure: impl FnMut(&[u8]) -> Result<Measured<T, S>, StateError>,
) -> Result<T, StateError> {
    for _ in 0..MAX_CAS_ROUNDS {
        let (bytes, cas) = store.get(key).map_err(StateError::Host)?;
        match measure(&bytes)? {
            Measured::Keep(answer) => return Ok(answer),
            Measured::Replace(answer, next) => match store.set(key, next.as_ref(), cas) {
                Ok(()) => return Ok(answer),
                Err(s) if s == Status::CAS_MISMATCH => continue,
                Err(s) => return Err(StateError::Host(s)),
            },
            Measured::Confirm(answer) => {
                if store.get(key).map_err(StateError::Host)?.1 == cas {
                    return Ok(answer);
                }
            }
        }
    }
    Err(StateError::Contended)
}

/// One GCRA decision on the TAT stored (8 bytes, little endian) at `key`.
pub fn gcra_acquire(store: &impl Store, key: &str, gcra: &Gcra, now: Nanos, cost: u64) -> Result<Decision, StateError> {
    measure_and_replace(store, key, |bytes| {
        let tat = u64::from_le_bytes(bytes.try_into().map_err(|_| StateError::Corrupt)?);
        Ok(match gcra.decide(tat, now, cost) {
            (next, decision) if next == tat => Measured::Keep(decision),
            (next, decision) => Measured::Replace(decision, next.to_le_bytes()),
        })
    })
}

/// A [`LimitStore`] over a bytes + CAS store: an unkeyed limit is one
/// 8-byte value (`weir.limit.<rule>`), a keyed one `max_keys / 8` values of
/// 128 bytes (`weir.limit.<rule>.k<set>`), all created when the plan is
/// built, so memory is fixed and every write is a CAS.
pub struct SharedData<S>(pub S);

/// A keyed limit's sets, and scratch space for their key names so a
/// request does not allocate one.
pub struct SetTable {
    prefix: String,
    sets: u64,
    names: RefCell<keyed::KeyBuf>,
}

impl<S: Store> LimitStore for SharedData<S> {
    type Bucket = String;
    type Table = SetTable;

    fn bucket(&self, name: &str, _: &Gcra) -> Result<String, StateError> {
        ensure(&self.0, name, &0u64.to_le_bytes())?;
        Ok(name.to_owned())
    }

    fn table(&self, name: &str, _: &Gcra, sets: u64) -> Result<SetTable, StateError> {
        let empty = [0u8; keyed::SET_BYTES];
        for i in 0..sets {
            ensure(&self.0, &format!("{name}.k{i}"), &empty)?;
        }
        Ok(SetTable { prefix: name.to_owned(), sets, names: RefCell::new(keyed::KeyBuf::default()) })
    }

    fn acquire(&self, bucket: &String, gcra: &Gcra, now: Nanos, cost: u64) -> Result<Decision, StateError> {
        gcra_acquire(&self.0, bucket, gcra, now, cost)
    }

    fn acquire_keyed(
        &self,
        table: &SetTable,
        gcra: &Gcra,
        key: u64,
        now: Nanos,
        cost: u64,
    ) -> Result<Decision, StateError> {
        let mut names = table.names.try_borrow_mut().map_err(|_| StateError::Contended)?;
        let set = keyed::set_key(&mut names, &table.prefix, keyed::set_index(key, table.sets));
        keyed::acquire(&self.0, set, gcra, key, now, cost)
    }

    /// Each worker VM has its own memory, so the seed lives in shared data.
    fn key_seed(&self) -> Result<weir_core::hash::HashSeed, StateError> {
        crate::key_seed::shared_data_seed(&self.0)
    }
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;
    use weir_core::limiter::LimiterConfig;
    use weir_core::Reason;

    /// A store that lets `interfere` writers sneak in before each of our writes.
    #[derive(Default)]
    struct Fake {
        map: RefCell<HashMap<String, (Vec<u8>, u32)>>,
        next_cas: Cell<u32>,
        interfere: Cell<u32>,
    }

    impl Store for Fake {
        fn get(&self, key: &str) -> Result<(Vec<u8>, u32), Status> {
            self.map.borrow().get(key).cloned().ok_or(Status::NOT_FOUND)
        }
        fn set(&self, key: &str, value: &[u8], cas: u32) -> Result<(), Status> {
            let mut map = self.map.borrow_mut();
            if self.interfere.get() > 0 {
                self.interfere.set(self.interfere.get() - 1);
                if let Some(e) = map.get_mut(key) {
                    e.1 += 1000;
                }
            }
            self.next_cas.set(self.next_cas.get() + 1);
            match map.get_mut(key) {
                Some(e) if cas != 0 && e.1 != cas => Err(Status::CAS_MISMATCH),
                Some(e) => {
                    *e = (value.to_vec(), self.next_cas.get());
                    Ok(())
                }
                None => {
                    map.insert(key.into(), (value.to_vec(), self.next_cas.get()));
                    Ok(())
                }
            }
        }
    }

    fn gcra() -> Gcra {
        Gcra::new(LimiterConfig { rate: 10, period_ns: weir_core::SECOND, burst: 2 }).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn retries_cas_mismatches_instead_of_failing_open() {
        let store = Fake::default();
        ensure(&store, "k", &0u64.to_le_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        store.interfere.set(5);
        let d = gcra_acquire(&store, "k", &gcra(), 1_000, 1).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(d.is_admitted());
        assert_eq!(store.interfere.get(), 0, "every interference was retried past");
        let d = gcra_acquire(&store, "k", &gcra(), 1_000, 1).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(d.is_admitted());
        let d = gcra_acquire(&store, "k", &gcra(), 1_000, 1).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(d.reason, Reason::RateLimited);
    }

    #[test]
    fn a_missing_or_corrupt_state_is_an_error_not_a_fresh_bucket() {
        let store = Fake::default();
        assert_eq!(gcra_acquire(&store, "k", &gcra(), 0, 1), Err(StateError::Host(Status::NOT_FOUND)));
        store.set("k", b"abc", 0).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(gcra_acquire(&store, "k", &gcra(), 0, 1), Err(StateError::Corrupt));
    }

    #[test]
    fn a_host_that_never_lets_a_write_through_ends_in_contended() {
        let store = Fake::default();
        ensure(&store, "k", &0u64.to_le_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        store.interfere.set(u32::MAX);
        assert_eq!(gcra_acquire(&store, "k", &gcra(), 0, 1), Err(StateError::Contended));
    }

    #[test]
    fn a_confirmed_answer_stands_only_under_the_token_it_was_read_with() {
        let store = Fake::default();
        ensure(&store, "k", &5u64.to_le_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        let mut seen = Vec::new();
        let answer = measure_and_replace(&store, "k", |bytes| {
            let value = u64::from_le_bytes(bytes.try_into().map_err(|_| StateError::Corrupt)?);
            if seen.is_empty() {
                // Another worker writes between the measurement and its confirmation.
                store.set("k", &6u64.to_le_bytes(), 0).map_err(StateError::Host)?;
            }
            seen.push(value);
            Ok(Measured::<u64, [u8; 8]>::Confirm(value))
        });
        assert_eq!((answer, seen), (Ok(6), vec![5, 6]));
    }

    #[test]
    fn ensure_keeps_existing_state() {
        let store = Fake::default();
        store.set("k", &7u64.to_le_bytes(), 0).unwrap_or_else(|e| panic!("{e:?}"));
        ensure(&store, "k", &0u64.to_le_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(store.get("k").map(|v| v.0), Ok(7u64.to_le_bytes().to_vec()));
    }
}
