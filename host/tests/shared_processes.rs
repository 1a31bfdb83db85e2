//! Processes that open the same file share one bucket exactly: several
//! copies of this binary race to create the file and then spend from it at
//! one instant, and together they must admit exactly `burst` tokens.
//! Its own `main` (harness = false) because the workers are this binary
//! started again with `worker` arguments.

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

fn parent() -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("weir-shared-processes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join("bucket");
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let children: Vec<_> = (0..WORKERS)
        .map(|_| Command::new(&exe).arg("worker").arg(&path).stdout(Stdio::piped()).spawn())
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let mut total = 0;
    for child in children {
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(format!("worker failed: {text}"));
        }
        total += text.trim().parse::<u64>().map_err(|e| format!("worker said {text:?}: {e}"))?;
    }
    std::fs::remove_dir_all(&dir).ok();
    if total != BURST {
        return Err(format!("{WORKERS} processes admitted {total} tokens from one bucket of {BURST}"));
    }
    println!("shared_processes: {WORKERS} processes admitted exactly {total} ... ok");
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("worker") => worker(args.get(2).map_or("", String::as_str)).map(|n| println!("{n}")),
        // cargo test passes harness flags (e.g. --nocapture); they mean "run".
        _ => parent(),
    };
    if let Err(e) = result {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
