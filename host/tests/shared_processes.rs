//! Processes that open the same file share one bucket exactly: several
//! copies of this binary race to create the file and then spend from it at
//! one instant, and together they must admit exactly `burst` tokens. And a
//! copy killed while it spends leaves the file usable.
//! Its own `main` (harness = false) because the workers are this binary
//! started again with `worker` arguments.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Stdio};
use weir_core::limiter::LimiterConfig;
use weir_core::SECOND;
use weir_host::SharedLimiter;

const BURST: u64 = 3_000;
const WORKERS: usize = 4;
const ATTEMPTS: u64 = 2_000;

fn config() -> LimiterConfig {
    LimiterConfig { rate: 1, period_ns: SECOND, burst: BURST }
}

fn worker(path: &str) -> Result<u64, String> {
    let limiter = SharedLimiter::open(path, config()).map_err(|e| e.to_string())?;
    // One instant for every worker: no token refills meanwhile, so the total
    // admitted is exactly the burst whatever the interleaving.
    let now = 7 * SECOND;
    Ok((0..ATTEMPTS).filter(|_| limiter.acquire(now, 1).is_admitted()).count() as u64)
}

/// Spends from the bucket until killed: the parent kills it mid-flight.
fn spinner(path: &str) -> Result<(), String> {
    let limiter = SharedLimiter::open(path, config()).map_err(|e| e.to_string())?;
    println!("ready");
    // Bounded, so a parent that dies first cannot leave it running.
    let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut now = SECOND;
    while std::time::Instant::now() < end {
        for _ in 0..1000 {
            now += 1;
            std::hint::black_box(limiter.acquire(now, 1));
        }
    }
    Ok(())
}

/// A process killed with SIGKILL while it spends leaves nothing stuck: the
/// file lock dies with it and the state is one word moved by CAS, so the
/// next opener opens, and spends, at once.
fn killed_opener_leaves_nothing_stuck(exe: &std::path::Path, dir: &std::path::Path) -> Result<(), String> {
    use std::io::BufRead;
    let path = dir.join("killed");
    let mut child =
        Command::new(exe).arg("spinner").arg(&path).stdout(Stdio::piped()).spawn().map_err(|e| e.to_string())?;
    let mut line = String::new();
    let stdout = child.stdout.take().ok_or("no stdout")?;
    std::io::BufReader::new(stdout).read_line(&mut line).map_err(|e| e.to_string())?;
    if line.trim() != "ready" {
        return Err(format!("spinner said {line:?}"));
    }
    // While the spinner maps the file, another opener must get in at once:
    // the creation lock is released when an open ends, not when the
    // mapping does.
    let (sender, opened) = std::sync::mpsc::channel();
    let live_path = path.clone();
    std::thread::spawn(move || {
        let _ = sender.send(SharedLimiter::open(&live_path, config()).map(|_| ()).map_err(|e| e.to_string()));
    });
    match opened.recv_timeout(std::time::Duration::from_secs(5)) {
        Ok(result) => result?,
        Err(_) => return Err("a second opener waited 5 s for the file lock while the first one spent".into()),
    }
    child.kill().map_err(|e| e.to_string())?;
    child.wait().map_err(|e| e.to_string())?;
    let limiter = SharedLimiter::open(&path, config()).map_err(|e| format!("reopen after the kill: {e}"))?;
    // Far in the future the bucket is full again, whatever the spinner spent.
    let later = 1_000_000 * SECOND;
    if !limiter.acquire(later, BURST).is_admitted() {
        return Err("after the kill the bucket never filled up again".into());
    }
    Ok(())
}

fn parent() -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("weir-shared-processes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join("bucket");
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let children: Vec<_> = (0..WORKERS)
        .map(|_| Command::new(&exe).arg("worker").arg(&path).stdout(Stdio::piped()).spawn())
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    // A worker stuck on the file lock fails the test instead of hanging it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut children = children;
    while children.iter_mut().any(|c| matches!(c.try_wait(), Ok(None))) {
        if std::time::Instant::now() > deadline {
            for c in &mut children {
                c.kill().ok();
            }
            return Err("workers still running after 30 s: an opener waits on another's lock".into());
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let mut total = 0;
    for child in children {
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(format!("worker failed: {text}"));
        }
        total += text.trim().parse::<u64>().map_err(|e| format!("worker said {text:?}: {e}"))?;
    }
    killed_opener_leaves_nothing_stuck(&exe, &dir)?;
    std::fs::remove_dir_all(&dir).ok();
    if total != BURST {
        return Err(format!("{WORKERS} processes admitted {total} tokens from one bucket of {BURST}"));
    }
    println!(
        "shared_processes: {WORKERS} processes admitted exactly {total}; a killed opener left nothing stuck ... ok"
    );
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("worker") => worker(args.get(2).map_or("", String::as_str)).map(|n| println!("{n}")),
        Some("spinner") => spinner(args.get(2).map_or("", String::as_str)),
        // cargo test passes harness flags (e.g. --nocapture); they mean "run".
        _ => parent(),
    };
    if let Err(e) = result {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
