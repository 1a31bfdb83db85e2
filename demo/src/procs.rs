//! Child processes that cannot outlive the demo: each is killed and reaped
//! when its guard drops, and the upstream also exits when its stdin closes,
//! which covers the orchestrator dying without unwinding.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

use crate::upstream::Capacity;

pub struct Guard {
    child: Child,
    /// Held open for the child's lifetime: the upstream exits when it closes.
    stdin: Option<ChildStdin>,
}

/// Appends `pid` to the file named by `$WEIR_DEMO_PIDS`, so the calling
/// script can stop it even if this process is killed outright.
fn record(pid: u32) {
    if let Some(path) = std::env::var_os("WEIR_DEMO_PIDS") {
        if let Ok(mut f) = std::fs::OpenOptions::new().append(true).create(true).open(path) {
            let _ = writeln!(f, "{pid}");
        }
    }
}

impl Guard {
    pub fn new(child: Child) -> Self {
        record(child.id());
        Guard { child, stdin: None }
    }

    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stdin.take();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free right now on 127.0.0.1 (for processes that must be told theirs).
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `exe upstream ...` and returns it with the port it bound.
pub fn spawn_upstream(exe: &Path, cap: Capacity) -> std::io::Result<(Guard, u16)> {
    let mut child = Command::new(exe)
        .args(["upstream", "--slots", &cap.slots.to_string()])
        .args(["--work-ms", &cap.work.as_millis().to_string(), "--max-queue", &cap.max_queue.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let mut guard = Guard::new(child);
    guard.stdin = stdin;
    let mut line = String::new();
    if let Some(out) = stdout {
        BufReader::new(out).read_line(&mut line)?;
    }
    let port = line.trim().strip_prefix("port=").and_then(|p| p.parse().ok());
    match port {
        Some(p) => Ok((guard, p)),
        None => {
            let status = guard.exited();
            Err(std::io::Error::other(format!("upstream did not report its port ({status:?}): {line:?}")))
        }
    }
}
