//! The background thread that samples CPU and feeds it to a shedder, written
//! once for every binding that offers an opt-in sampler.

use crate::CpuSampler;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

type StopFlag = Arc<(Mutex<bool>, Condvar)>;

/// Samples this process's CPU every `interval` and hands each reading
/// (permille; `None` when the source had nothing new to say) to `feed`.
/// Stops when `feed` returns `false` (its shedder is gone), when
/// [`CpuFeeder::stop`] is called, or when the feeder is dropped.
#[derive(Debug)]
pub struct CpuFeeder {
    stop: StopFlag,
    thread: Option<JoinHandle<()>>,
}

impl CpuFeeder {
    /// Starts the thread. The first reading only sets the baseline, so the
    /// first sample reaches `feed` one `interval` after the start.
    pub fn start(
        interval: Duration,
        mut feed: impl FnMut(Option<u64>) -> bool + Send + 'static,
    ) -> std::io::Result<Self> {
        let stop: StopFlag = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new().name("weir-cpu".into()).spawn(move || {
            let mut sampler = CpuSampler::new();
            let _ = sampler.sample();
            let (lock, wake) = &*flag;
            let mut stopped = lock.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                // A condvar rather than a sleep, so stop() does not wait out the interval.
                stopped = wake.wait_timeout(stopped, interval).unwrap_or_else(PoisonError::into_inner).0;
                if *stopped {
                    return;
                }
                if !feed(sampler.sample()) {
                    return;
                }
            }
        })?;
        Ok(Self { stop, thread: Some(thread) })
    }

    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.halt();
    }

    /// Lets the thread run on its own; it ends when `feed` returns `false`.
    pub fn detach(mut self) {
        self.thread = None;
    }

    fn halt(&mut self) {
        if let Some(thread) = self.thread.take() {
            let (lock, wake) = &*self.stop;
            *lock.lock().unwrap_or_else(PoisonError::into_inner) = true;
            wake.notify_all();
            let _ = thread.join();
        }
    }
}

impl Drop for CpuFeeder {
    fn drop(&mut self) {
        self.halt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn feeds_readings_until_stopped() {
        let seen = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&seen);
        let feeder = CpuFeeder::start(Duration::from_millis(5), move |reading| {
            if let Some(permille) = reading {
                assert!(permille <= 1000);
                counter.fetch_add(1, Ordering::Relaxed);
            }
            true
        })
        .unwrap();
        let until = std::time::Instant::now() + Duration::from_secs(5);
        while seen.load(Ordering::Relaxed) < 3 && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        feeder.stop();
        let after_stop = seen.load(Ordering::Relaxed);
        assert!(after_stop >= 3, "only {after_stop} readings");
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(seen.load(Ordering::Relaxed), after_stop, "fed after stop");
    }

    #[test]
    fn a_feed_that_declines_ends_a_detached_thread() {
        let calls = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&calls);
        CpuFeeder::start(Duration::from_millis(2), move |_| counter.fetch_add(1, Ordering::Relaxed) < 1)
            .unwrap()
            .detach();
        let until = std::time::Instant::now() + Duration::from_secs(5);
        while calls.load(Ordering::Relaxed) < 2 && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(calls.load(Ordering::Relaxed), 2, "the thread went on after declining");
    }
}
