//! Hot keys: which keys take the most requests, in memory fixed when the
//! detector is made.
//!
//! **Algorithm.** Space-Saving (Metwally, Agrawal, El Abbadi, 2005) run per
//! set: a key hashes to one set of [`WAYS`] = 16 counters (the keyed
//! limiter's placement, [`set_index`](crate::limiter::set_index)). A key
//! with a counter adds one to it; a new key takes over the set's smallest
//! counter, whose count `m` becomes `m + 1` with error `m`. So every
//! counter's `count` bounds its key's requests from above and
//! `count - error` from below, a key without a counter had at most the
//! set's smallest count ([`HotKeys::estimate`] says so), and any key with
//! more than `1/16` of its set's requests always holds a counter. `top`
//! ranks by `count - error`, the requests a key surely had, so counters that
//! only churned through the long tail (a large count, nearly all error) stay
//! out of it. 1,024 counters (64 sets) find the top 100 of a Zipf(1.1)
//! stream of 10^7 requests over 10^6 keys with recall 1.00 on the seeds
//! tried; the bar, 0.95, is `tests/hot_keys_recall.rs`. Sixteen ways, not
//! eight: with eight, sets that draw several heavy keys churn them out
//! (recall 0.96).
//!
//! **Fading.** Counts and errors halve at every multiple of `half_life_ns`
//! on the `now` clock: lazily, a set is halved by the first request that
//! reaches it in a new period (once per period passed), and `top` applies
//! the halvings a set still owes to what it reads. A key hot yesterday and
//! silent since has been halved thousands of times: it is gone.
//!
//! **Concurrency.** [`HotKeys::record`] takes `&self`: it finds the key
//! with plain loads (a tag word holding the top byte of each way's key
//! narrows sixteen key loads to two words and the matching ways) and adds
//! with one atomic add on the counter (a compare-exchange loop once a count
//! nears saturation), and a
//! take-over is one compare-exchange on the smallest counter (racing
//! take-overs of one counter: one wins, the others look again), then a store
//! of the key. No request is lost or counted twice: within a decay period,
//! the counts always add up to the requests recorded. What races can do is
//! misattribute: a request counted on a counter that was just taken over
//! goes to the new key, and two first requests of one key racing into two
//! counters (or a lookup racing the tag write of its key's take-over) leave
//! it twice in the set (`top` merges the two). Both are
//! within what Space-Saving's error already allows for. [`PlainHotKeys`] is
//! the same code over plain words.
//!
//! ```
//! use weir_core::hot_keys::{HotKey, HotKeys, HotKeysConfig, HotSet};
//! let hot = HotKeys::<[HotSet; 8]>::new(HotKeysConfig::default()).unwrap();
//! for i in 0..1_000u64 {
//!     hot.record(0, if i % 2 == 0 { 42 } else { i });
//! }
//! let mut top = [HotKey::default(); 3];
//! let n = hot.top(0, &mut top);
//! assert_eq!((n, top[0].key), (3, 42));
//! assert!(top[0].count - top[0].error <= 500 && 500 <= top[0].count);
//! ```

mod set;
mod table;

pub use set::{HotSet, HotSetOf, PlainHotSet, WAYS};
pub use table::{HotKey, HotKeys, HotKeysConfig, PlainHotKeys};
