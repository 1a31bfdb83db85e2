//! `paced PORT RATE SECONDS [CONNECTIONS] [PATH]`: GET requests to
//! 127.0.0.1:PORT at RATE per second for SECONDS over up to CONNECTIONS
//! keep-alive HTTP/1.1 connections (default 8), then one JSON line:
//! requests due and answered, the achieved rate, non-2xx answers and the
//! latency percentiles in microseconds.
//!
//! Open loop: request k is due at `start + k / RATE`, and its latency runs
//! from then to its answer's last byte, so time spent waiting for a free
//! connection (the server fell behind) counts, as it would for a client.
//! One thread polls every socket without blocking: a sleeping thread wakes
//! tens of microseconds late, which would blur the figures measured here.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// How long answers still due are waited for once the run's time is up.
const DRAIN: Duration = Duration::from_secs(1);

struct Args {
    port: u16,
    rate: f64,
    seconds: f64,
    connections: usize,
    path: String,
}

fn parse_args() -> Result<Args, String> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.len() < 3 || argv.len() > 5 {
        return Err("usage: paced PORT RATE SECONDS [CONNECTIONS] [PATH]".into());
    }
    let number = |name: &str, value: &str| -> Result<f64, String> {
        match value.parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
            _ => Err(format!("{name} must be a positive number, got {value:?}")),
        }
    };
    let port = argv[0].parse::<u16>().map_err(|_| format!("PORT must be a port number, got {:?}", argv[0]))?;
    let connections = match argv.get(3) {
        None => 8,
        Some(c) => match c.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => return Err(format!("CONNECTIONS must be a whole number above 0, got {c:?}")),
        },
    };
    let path = argv.get(4).cloned().unwrap_or_else(|| "/".into());
    if !path.starts_with('/') {
        return Err(format!("PATH must start with '/', got {path:?}"));
    }
    Ok(Args { port, rate: number("RATE", &argv[1])?, seconds: number("SECONDS", &argv[2])?, connections, path })
}

/// One keep-alive connection and the request it is waiting on, if any.
struct Connection {
    stream: TcpStream,
    due: Option<Instant>,
    read: Vec<u8>,
}

/// A complete answer's status, or `None` while more bytes are to come.
fn answer_status(bytes: &[u8]) -> Result<Option<u16>, String> {
    let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else { return Ok(None) };
    let head = std::str::from_utf8(&bytes[..end]).map_err(|_| "an answer's head is not UTF-8".to_string())?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("an answer's status line is not understood: {:?}", head.lines().next()))?;
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.trim().parse::<usize>().map_err(|_| format!("bad content-length {value:?}"))?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err("a chunked answer: only answers with a content-length are measured".into());
        }
    }
    let length = length.ok_or("an answer without a content-length")?;
    Ok((bytes.len() >= end + 4 + length).then_some(status))
}

fn connect(port: u16) -> Result<TcpStream, String> {
    let stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect to 127.0.0.1:{port}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    stream.set_nonblocking(true).map_err(|e| e.to_string())?;
    Ok(stream)
}

/// Writes all of `request`: a few dozen bytes on an idle connection, which
/// the socket's buffer takes at once.
fn send(stream: &mut TcpStream, request: &[u8]) -> Result<(), String> {
    let mut at = 0;
    while at < request.len() {
        match stream.write(&request[at..]) {
            Ok(0) => return Err("the server closed a connection".into()),
            Ok(n) => at += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("send: {e}")),
        }
    }
    Ok(())
}

struct Outcome {
    due: u64,
    latencies_ns: Vec<u64>,
    non2xx: u64,
    elapsed: Duration,
}

fn run(args: &Args) -> Result<Outcome, String> {
    let request = format!("GET {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n", args.path, args.port).into_bytes();
    let mut connections = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        connections.push(Connection { stream: connect(args.port)?, due: None, read: Vec::with_capacity(1024) });
    }
    let interval = Duration::from_secs_f64(1.0 / args.rate);
    let total = (args.rate * args.seconds).round() as u64;
    let mut latencies_ns = Vec::with_capacity(total as usize);
    let mut waiting: VecDeque<Instant> = VecDeque::new();
    let (mut scheduled, mut non2xx, mut chunk) = (0u64, 0u64, [0u8; 4096]);
    let start = Instant::now();
    let give_up = start + Duration::from_secs_f64(args.seconds) + DRAIN;
    loop {
        let now = Instant::now();
        while scheduled < total && start + interval.mul_f64(scheduled as f64) <= now {
            waiting.push_back(start + interval.mul_f64(scheduled as f64));
            scheduled += 1;
        }
        let mut in_flight = false;
        for c in &mut connections {
            if c.due.is_none() {
                let Some(due) = waiting.pop_front() else { continue };
                send(&mut c.stream, &request)?;
                c.due = Some(due);
            }
            in_flight = true;
            match c.stream.read(&mut chunk) {
                Ok(0) => return Err("the server closed a connection".into()),
                Ok(n) => c.read.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("receive: {e}")),
            }
            if let Some(status) = answer_status(&c.read)? {
                let answered = Instant::now();
                let due = c.due.take().unwrap_or(answered);
                latencies_ns.push(answered.duration_since(due).as_nanos() as u64);
                non2xx += u64::from(!(200..300).contains(&status));
                c.read.clear();
            }
        }
        let done = scheduled == total && waiting.is_empty() && !in_flight;
        if done || now >= give_up {
            break;
        }
    }
    Ok(Outcome { due: total, latencies_ns, non2xx, elapsed: start.elapsed() })
}

/// The `p`-th percentile of sorted latencies, in microseconds: the
/// smallest value at least `p` percent of them do not exceed.
fn percentile_us(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("paced: {e}");
            return ExitCode::from(2);
        }
    };
    let mut outcome = match run(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("paced: {e}");
            return ExitCode::FAILURE;
        }
    };
    outcome.latencies_ns.sort_unstable();
    let l = &outcome.latencies_ns;
    println!(
        "{{\"due\": {}, \"answered\": {}, \"non2xx\": {}, \"rate\": {:.1}, \"p50_us\": {:.1}, \"p90_us\": {:.1}, \
         \"p99_us\": {:.1}, \"p999_us\": {:.1}, \"max_us\": {:.1}}}",
        outcome.due,
        l.len(),
        outcome.non2xx,
        l.len() as f64 / outcome.elapsed.as_secs_f64(),
        percentile_us(l, 50.0),
        percentile_us(l, 90.0),
        percentile_us(l, 99.0),
        percentile_us(l, 99.9),
        percentile_us(l, 100.0),
    );
    ExitCode::SUCCESS
}
