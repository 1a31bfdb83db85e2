//! A rate limit shared by every process on a host that opens the same file:
//! gunicorn / uWSGI workers, pm2 or `cluster` workers, a pool of Go or C
//! daemons. No server: the limiter's state is one word in a memory-mapped
//! file, moved by core's CAS loop, so N processes together admit exactly what
//! one limiter would.
//!
//! The file (put it on a tmpfs such as `/dev/shm`) holds a header naming
//! the layout and the configuration it was made with, then, on cache lines
//! of their own, core's [`LiveRate`]: the state word and the two config
//! slots. The first process to open a missing or empty file writes both;
//! every later one checks that its configuration is the one the file was
//! made with and is refused with the differing field otherwise, so two
//! deployments can never silently share one budget under different rules.
//! Creation, checking and live changes happen under `flock`, which the
//! kernel releases if a process dies, and acquiring is lock-free, so a
//! crashed process leaves nothing stuck.
//!
//! **Live changes.** [`SharedLimiter::set_config`] changes rate and burst for
//! every process at once, keeping what was spent (core's rule,
//! [`weir_core::limiter::Gcra::rescale`]): the config in force lives in the
//! file, not in each process. Every process validates the config it reads
//! there before deciding on it, so a process that writes garbage into the
//! file can refuse everyone (as it could by spending every token) but never
//! make another process panic or divide by zero; the opener's header check
//! is unchanged and still compares the configuration the file was made with.
//!
//! To reset a limit, remove the file (`unlink`): processes
//! that still map it keep the old bucket until they open the path again.
//! Never truncate or rewrite it in place: like any shared mapping, a process
//! touching a mapped page the file no longer has gets SIGBUS.
//!
//! Time must be one clock in every process: `CLOCK_MONOTONIC` as the kernel
//! reads it ([`SharedLimiter::now`]). The TSC clock of
//! [`crate::monotonic_now`] will not do: each process calibrates it on its
//! own, and two processes drift apart by a few ppm (measured here: 1-2.5 ppm,
//! over 100 ms a day), which would let the process whose clock runs ahead
//! take every token while the others wait.

use std::ffi::CString;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use weir_core::limiter::{Gcra, LimiterConfig, LiveRate};
use weir_core::{ConfigError, Decision, Nanos};

/// What the file starts with; anything else is not a weir shared limiter.
const MAGIC: [u8; 8] = *b"weir-lim";
/// Bumped whenever the file layout changes, so an old file is refused
/// instead of misread.
const LAYOUT: u32 = 2;
const HEADER_LEN: usize = 40;
/// The live cell starts on its own cache line, away from the header every
/// opener reads.
const LIVE_OFFSET: usize = 64;
const FILE_LEN: usize = LIVE_OFFSET + std::mem::size_of::<LiveRate>();

/// Why a shared limiter could not be opened.
#[derive(Debug)]
pub enum SharedError {
    /// The configuration itself is invalid.
    Config(ConfigError),
    /// The path cannot name a file (it contains a NUL byte).
    Path(PathBuf),
    /// A system call on the file failed.
    Io { path: PathBuf, call: &'static str, error: std::io::Error },
    /// The file exists but is not a weir shared limiter of this layout.
    NotALimiter { path: PathBuf, why: &'static str },
    /// The file holds a limiter with a different configuration.
    Mismatch { path: PathBuf, field: &'static str, shared: u64, given: u64 },
}

impl fmt::Display for SharedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SharedError::Config(e) => e.fmt(f),
            SharedError::Path(path) => write!(f, "path must not contain a NUL byte, got {path:?}"),
            SharedError::Io { path, call, error } => write!(f, "{call} of {}: {error}", path.display()),
            SharedError::NotALimiter { path, why } => {
                write!(f, "{} is not a weir shared limiter ({why}); remove it or choose another path", path.display())
            }
            SharedError::Mismatch { field, given, .. } => {
                write!(f, "{field} must be {}, got {given}", self.mismatch_rule().unwrap_or_default())
            }
        }
    }
}

impl SharedError {
    /// The rule a configuration broke by differing from the file's, worded
    /// as every binding's config errors word theirs ("equal to ..."); `None`
    /// for every other error.
    pub fn mismatch_rule(&self) -> Option<String> {
        match self {
            SharedError::Mismatch { path, shared, .. } => Some(format!(
                "equal to the shared limiter's {shared} in {} (remove the file to change it)",
                path.display()
            )),
            _ => None,
        }
    }
}

impl std::error::Error for SharedError {}

impl From<ConfigError> for SharedError {
    fn from(e: ConfigError) -> Self {
        SharedError::Config(e)
    }
}

/// A GCRA limiter whose state lives in a file mapped by every process that
/// opens it. `Send + Sync`; calls are lock-free.
#[derive(Debug)]
pub struct SharedLimiter {
    gcra: Gcra,
    map: Mapping,
    /// Kept open for the `flock` that serialises live changes.
    file: File,
    path: PathBuf,
}

impl SharedLimiter {
    /// Opens the limiter at `path`, creating it (with a full bucket) if the
    /// file is missing or empty.
    pub fn open(path: impl AsRef<Path>, config: LimiterConfig) -> Result<Self, SharedError> {
        let path = path.as_ref().to_path_buf();
        let gcra = Gcra::new(config)?;
        let file = File::open(&path)?;
        file.lock()?;
        let size = file.size()?;
        if size == 0 {
            file.truncate(FILE_LEN)?;
        } else if size != FILE_LEN as u64 {
            return Err(SharedError::NotALimiter { path, why: "wrong size" });
        }
        let map = Mapping::new(&file, FILE_LEN)?;
        let header = map.header();
        // An all-zero header is a file whose creator died before writing
        // it; its state word is still 0, a full bucket, so it is finished
        // here like a new one.
        if header == [0; HEADER_LEN] {
            // The cell before the header: a header on disk means a cell too.
            map.live().init(config)?;
            map.write_header(&encode(config));
        } else {
            check(&path, &header, config)?;
        }
        file.unlock();
        Ok(Self { gcra, map, file, path })
    }

    /// Changes rate and burst for every process that shares the file, now
    /// on [`Self::now`], keeping what was spent. Serialised with every other
    /// change through `flock`.
    pub fn set_config(&self, config: LimiterConfig) -> Result<(), SharedError> {
        Gcra::new(config)?;
        self.file.lock()?;
        let result = self.map.live().set_config_serialised(config, Self::now());
        self.file.unlock();
        Ok(result?)
    }

    /// The config in force for every process (after the latest
    /// [`Self::set_config`] by any of them).
    pub fn config(&self) -> LimiterConfig {
        self.map.live().config()
    }

    /// Asks for `cost` tokens at `now`, a [`Self::now`] reading (or
    /// `CLOCK_MONOTONIC` read any other way: Python's `time.monotonic_ns()`,
    /// Node's `process.hrtime.bigint()`).
    #[inline]
    pub fn acquire(&self, now: Nanos, cost: u64) -> Decision {
        self.map.live().acquire_checked(now, cost)
    }

    /// The clock every process sharing a limiter must use: `CLOCK_MONOTONIC`
    /// from the kernel (a vDSO read).
    #[inline]
    pub fn now() -> Nanos {
        crate::kernel_monotonic_now()
    }

    /// The kernel in force (interval, burst); the one this process opened
    /// with if the file's does not validate.
    pub fn gcra(&self) -> Gcra {
        self.map.live().gcra().unwrap_or(self.gcra)
    }

    /// The state (the TAT), as [`weir_core::limiter::AtomicLimiter::state`].
    pub fn state(&self) -> u64 {
        self.map.live().state()
    }

    /// Replaces the state for every process (restore of a snapshot), under
    /// the same lock as a live change.
    pub fn restore(&self, state: u64) -> Result<(), SharedError> {
        self.file.lock()?;
        self.map.live().restore_serialised(state);
        self.file.unlock();
        Ok(())
    }

    /// The file the state lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn encode(config: LimiterConfig) -> [u8; HEADER_LEN] {
    let mut header = [0u8; HEADER_LEN];
    header[..8].copy_from_slice(&MAGIC);
    header[8..12].copy_from_slice(&LAYOUT.to_le_bytes());
    header[16..24].copy_from_slice(&config.rate.to_le_bytes());
    header[24..32].copy_from_slice(&config.period_ns.to_le_bytes());
    header[32..40].copy_from_slice(&config.burst.to_le_bytes());
    header
}

fn check(path: &Path, header: &[u8; HEADER_LEN], config: LimiterConfig) -> Result<(), SharedError> {
    let word = |at: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&header[at..at + 8]);
        u64::from_le_bytes(bytes)
    };
    if header[..8] != MAGIC {
        return Err(SharedError::NotALimiter { path: path.into(), why: "no weir header" });
    }
    if header[8..12] != LAYOUT.to_le_bytes() {
        return Err(SharedError::NotALimiter { path: path.into(), why: "written by a different layout version" });
    }
    for (field, at, given) in
        [("rate", 16, config.rate), ("period_ns", 24, config.period_ns), ("burst", 32, config.burst)]
    {
        let shared = word(at);
        if shared != given {
            return Err(SharedError::Mismatch { path: path.into(), field, shared, given });
        }
    }
    Ok(())
}

/// An open file descriptor, closed (and so unlocked) on drop.
#[derive(Debug)]
struct File {
    fd: libc::c_int,
    path: PathBuf,
}

impl File {
    fn open(path: &Path) -> Result<Self, SharedError> {
        let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| SharedError::Path(path.into()))?;
        // SAFETY: `c_path` is a valid NUL-terminated string that outlives the call.
        let fd = unsafe { libc::open(c_path.as_ptr(), libc::O_RDWR | libc::O_CREAT | libc::O_CLOEXEC, 0o600) };
        if fd < 0 {
            return Err(io_error(path, "open"));
        }
        Ok(Self { fd, path: path.into() })
    }

    fn lock(&self) -> Result<(), SharedError> {
        loop {
            // SAFETY: `self.fd` is an open descriptor owned by `self`.
            if unsafe { libc::flock(self.fd, libc::LOCK_EX) } == 0 {
                return Ok(());
            }
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::Interrupted {
                return Err(SharedError::Io { path: self.path.clone(), call: "flock", error });
            }
        }
    }

    fn unlock(&self) {
        // SAFETY: `self.fd` is an open descriptor owned by `self`.
        unsafe { libc::flock(self.fd, libc::LOCK_UN) };
    }

    fn size(&self) -> Result<u64, SharedError> {
        // SAFETY: all-zero bytes are a valid `stat` (plain integers).
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `self.fd` is open and `stat` is a valid, writable struct.
        if unsafe { libc::fstat(self.fd, &mut stat) } != 0 {
            return Err(io_error(&self.path, "fstat"));
        }
        Ok(stat.st_size as u64)
    }

    fn truncate(&self, len: usize) -> Result<(), SharedError> {
        // SAFETY: `self.fd` is an open descriptor owned by `self`.
        if unsafe { libc::ftruncate(self.fd, len as libc::off_t) } != 0 {
            return Err(io_error(&self.path, "ftruncate"));
        }
        Ok(())
    }
}

impl Drop for File {
    fn drop(&mut self) {
        // The unlock must be explicit: a mapping of the file holds its open
        // file description, so closing the descriptor alone would keep the
        // lock for as long as the mapping lives. (A dying process loses both,
        // so its lock goes with it.)
        // SAFETY: `self.fd` is open and owned by `self`.
        unsafe {
            libc::flock(self.fd, libc::LOCK_UN);
            libc::close(self.fd);
        }
    }
}

fn io_error(path: &Path, call: &'static str) -> SharedError {
    SharedError::Io { path: path.into(), call, error: std::io::Error::last_os_error() }
}

/// A shared, read-write mapping of a whole file, unmapped on drop.
#[derive(Debug)]
struct Mapping {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value; after the header
// is written under the file lock, it is only read, and the state word is only
// touched through `AtomicU64`, so any thread may use it.
unsafe impl Send for Mapping {}
// SAFETY: as above: shared access goes through atomics only.
unsafe impl Sync for Mapping {}

impl Mapping {
    fn new(file: &File, len: usize) -> Result<Self, SharedError> {
        // SAFETY: a fresh mapping at an address the kernel picks; the file is
        // at least `len` bytes long (checked or truncated by the caller).
        let base = unsafe {
            libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, file.fd, 0)
        };
        if base == libc::MAP_FAILED {
            return Err(io_error(&file.path, "mmap"));
        }
        let base = NonNull::new(base.cast::<u8>()).ok_or_else(|| io_error(&file.path, "mmap"))?;
        Ok(Self { base, len })
    }

    fn header(&self) -> [u8; HEADER_LEN] {
        let mut header = [0u8; HEADER_LEN];
        // SAFETY: the mapping is at least FILE_LEN > HEADER_LEN bytes, and
        // the header is only written by an opener holding the file lock,
        // which the caller holds too.
        unsafe { std::ptr::copy_nonoverlapping(self.base.as_ptr(), header.as_mut_ptr(), HEADER_LEN) };
        header
    }

    fn write_header(&self, header: &[u8; HEADER_LEN]) {
        // SAFETY: as in `header`; the caller holds the file lock, so no other
        // process reads or writes the header meanwhile.
        unsafe { std::ptr::copy_nonoverlapping(header.as_ptr(), self.base.as_ptr(), HEADER_LEN) };
    }

    fn live(&self) -> &LiveRate {
        // SAFETY: LIVE_OFFSET + size_of::<LiveRate>() == FILE_LEN <= len; the
        // offset is 64-aligned inside a page-aligned mapping, beyond the 8
        // `LiveRate` needs; `LiveRate` is `#[repr(C)]` and made of `AtomicU64`s
        // only, so every bit pattern another process leaves is a valid
        // value; the memory lives as long as `self`; and every process
        // touches it only through atomic operations.
        unsafe { &*self.base.as_ptr().add(LIVE_OFFSET).cast::<LiveRate>() }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `base`/`len` are exactly what mmap returned, and nothing
        // borrowed from the mapping outlives `self`.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_core::{Reason, SECOND};

    /// A path in a fresh directory, removed with its file when
    /// the test ends.
    struct TempPath(PathBuf);

    impl std::ops::Deref for TempPath {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl AsRef<Path> for TempPath {
        fn as_ref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempPath {
        fn drop(&mut self) {
            std::fs::remove_file(&self.0).ok();
            if let Some(dir) = self.0.parent() {
                std::fs::remove_dir(dir).ok();
            }
        }
    }

    fn path(name: &str) -> TempPath {
        // One directory per test: tests run in parallel and each removes its own.
        let dir = std::env::temp_dir().join(format!("weir-shared-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        let path = dir.join(name);
        std::fs::remove_file(&path).ok();
        TempPath(path)
    }

    fn config(rate: u64, burst: u64) -> LimiterConfig {
        LimiterConfig { rate, period_ns: SECOND, burst }
    }

    #[test]
    fn two_openers_spend_one_bucket() {
        let p = path("one-bucket");
        let a = SharedLimiter::open(&p, config(10, 3)).unwrap();
        let b = SharedLimiter::open(&p, config(10, 3)).unwrap();
        let now = 5 * SECOND;
        assert!(a.acquire(now, 2).is_admitted());
        assert!(b.acquire(now, 1).is_admitted());
        let refused = a.acquire(now, 1);
        assert_eq!(refused.reason, Reason::RateLimited);
        assert_eq!(refused.retry_after, SECOND / 10);
        drop(a);
        // The state outlives every opener: a later one sees the spent bucket.
        let c = SharedLimiter::open(&p, config(10, 3)).unwrap();
        assert!(!c.acquire(now, 1).is_admitted());
        assert!(c.acquire(now + SECOND / 10, 1).is_admitted());
        // A restore is seen by every opener.
        c.restore(0).unwrap();
        assert_eq!(b.state(), 0);
        assert!(b.acquire(now, 3).is_admitted());
    }

    #[test]
    fn refuses_a_different_configuration_naming_the_field() {
        let p = path("mismatch");
        let _a = SharedLimiter::open(&p, config(10, 3)).unwrap();
        let e = SharedLimiter::open(&p, config(10, 4)).unwrap_err();
        assert!(matches!(e, SharedError::Mismatch { field: "burst", shared: 3, given: 4, .. }), "{e:?}");
        assert!(e.to_string().starts_with("burst must be equal to the shared limiter's 3 in "), "{e}");
    }

    #[test]
    fn refuses_a_file_that_is_not_a_limiter() {
        let p = path("foreign");
        std::fs::write(&p, [7u8; FILE_LEN]).unwrap();
        let e = SharedLimiter::open(&p, config(10, 3)).unwrap_err();
        assert!(matches!(e, SharedError::NotALimiter { why: "no weir header", .. }), "{e:?}");
        std::fs::write(&p, b"short").unwrap();
        let e = SharedLimiter::open(&p, config(10, 3)).unwrap_err();
        assert!(matches!(e, SharedError::NotALimiter { why: "wrong size", .. }), "{e:?}");
        // Nothing was overwritten.
        assert_eq!(std::fs::read(&p).unwrap(), b"short");
    }

    #[test]
    fn finishes_a_file_whose_creator_died_before_the_header() {
        let p = path("half-made");
        std::fs::write(&p, [0u8; FILE_LEN]).unwrap();
        let a = SharedLimiter::open(&p, config(10, 1)).unwrap();
        assert!(a.acquire(SECOND, 1).is_admitted());
        let e = SharedLimiter::open(&p, config(20, 1)).unwrap_err();
        assert!(matches!(e, SharedError::Mismatch { field: "rate", shared: 10, given: 20, .. }), "{e:?}");
    }

    #[test]
    fn refuses_bad_config_and_paths_before_touching_the_file() {
        let p = path("bad-config");
        let e = SharedLimiter::open(&p, config(10, 0)).unwrap_err();
        assert!(matches!(&e, SharedError::Config(c) if c.field() == "burst"), "{e:?}");
        assert!(!p.exists());
        let e = SharedLimiter::open("/tmp/we\0ir", config(10, 3)).unwrap_err();
        assert!(matches!(e, SharedError::Path(_)), "{e:?}");
        let e = SharedLimiter::open("/nonexistent-dir/weir", config(10, 3)).unwrap_err();
        assert!(matches!(e, SharedError::Io { call: "open", .. }), "{e:?}");
    }

    #[test]
    fn a_live_change_reaches_every_process_and_keeps_what_was_spent() {
        let p = path("live");
        let a = SharedLimiter::open(&p, config(10, 10)).unwrap();
        let b = SharedLimiter::open(&p, config(10, 10)).unwrap();
        let now = SharedLimiter::now();
        assert!(a.acquire(now, 10).is_admitted());
        b.set_config(config(100, 10)).unwrap();
        assert_eq!(a.config(), config(100, 10));
        assert_eq!(a.gcra().interval(), SECOND / 100);
        // The 10 spent tokens stay spent: no burst from the change, and
        // the next token is due within one new interval (10 ms), give or
        // take the time the calls took.
        let refused = a.acquire(SharedLimiter::now(), 1);
        assert_eq!(refused.reason, Reason::RateLimited);
        assert!(refused.retry_after <= SECOND / 100, "{refused:?}");
        // A later opener with the file's original config is still accepted.
        let c = SharedLimiter::open(&p, config(10, 10)).unwrap();
        assert_eq!(c.config(), config(100, 10));
        let e = b.set_config(config(0, 10)).unwrap_err();
        assert!(matches!(&e, SharedError::Config(c) if c.field() == "rate"), "{e:?}");
    }

    #[test]
    fn garbage_in_the_file_refuses_instead_of_deciding_on_it() {
        let p = path("garbage");
        let a = SharedLimiter::open(&p, config(10, 3)).unwrap();
        // Another process scribbles over both config slots.
        let mut bytes = std::fs::read(&p).unwrap();
        for b in &mut bytes[LIVE_OFFSET + 16..] {
            *b = 0xA5;
        }
        std::fs::write(&p, &bytes).unwrap();
        let d = a.acquire(SECOND, 1);
        assert_eq!((d.reason, d.retry_after), (Reason::RateLimited, u64::MAX));
        assert_eq!(a.gcra().interval(), SECOND / 10);
        // A live change repairs it for everyone. The scribbled state counts
        // as spent (never as a free burst): at worst an empty bucket, full
        // again one burst (300 ms) later.
        a.set_config(config(10, 3)).unwrap();
        let now = SharedLimiter::now();
        assert!(a.acquire(now, 0).retry_after <= 3 * SECOND / 10);
        assert!(a.acquire(now + 3 * SECOND / 10, 3).is_admitted());
    }

    #[test]
    fn threads_share_it_exactly() {
        let p = path("threads");
        let limiter = SharedLimiter::open(&p, config(1, 1000)).unwrap();
        let now = 3 * SECOND;
        let admitted: u32 = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| (0..500).filter(|_| limiter.acquire(now, 1).is_admitted()).count() as u32))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(admitted, 1000);
    }
}
