//! The orchestrator of `make demo`: the same ramp against Envoy without weir
//! and with weir, each in front of a fresh upstream, then a table and a plot.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::envoy::{Envoy, Weir};
use crate::loadgen::{self, Load, Phase, Run};
use crate::plot::{self, Figure, Line};
use crate::{procs, scenario, summary, table};

pub struct Options {
    pub envoy: PathBuf,
    pub wasm: PathBuf,
    /// `libweir_envoy.so`: run the "with weir" case on the dynamic module
    /// instead of the wasm filter.
    pub module: Option<PathBuf>,
    pub out: PathBuf,
    pub secs_per_phase: f64,
    pub concurrency: u32,
    /// weir's plugin configuration (JSON).
    pub rules: String,
}

pub struct Case {
    pub label: &'static str,
    pub run: Run,
    pub upstream: String,
    pub weir: Vec<(String, u64)>,
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())
}

fn ramp(target: SocketAddr, phases: Vec<Phase>) -> Result<Run, String> {
    let load = Load { target, phases, timeout: scenario::TIMEOUT, max_in_flight: 8192 };
    Ok(runtime()?.block_on(loadgen::run(load)))
}

fn upstream_stats(port: u16) -> String {
    let Ok(rt) = runtime() else { return String::new() };
    rt.block_on(async {
        let body = async {
            let mut s = tokio::io::BufReader::new(tokio::net::TcpStream::connect(("127.0.0.1", port)).await?);
            tokio::io::AsyncWriteExt::write_all(s.get_mut(), b"GET /stats HTTP/1.1\r\nhost: demo\r\n\r\n").await?;
            let head = crate::http::read_head(&mut s).await?.ok_or(std::io::ErrorKind::UnexpectedEof)?;
            let mut body = vec![0; head.content_length];
            tokio::io::AsyncReadExt::read_exact(&mut s, &mut body).await?;
            Ok::<_, std::io::Error>(String::from_utf8_lossy(&body).into_owned())
        };
        tokio::time::timeout(Duration::from_secs(5), body).await.ok().and_then(Result::ok).unwrap_or_default()
    })
}

fn one_case(opts: &Options, dir: &Path, label: &'static str, weir: Option<&str>) -> Result<Case, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let (_upstream, up_port) = procs::spawn_upstream(&exe, scenario::CAPACITY).map_err(|e| e.to_string())?;
    let how = match &opts.module {
        Some(module) => Weir::Module(module),
        None => Weir::Wasm(&opts.wasm),
    };
    let filter = weir.map(|rules| (how, rules));
    let name = if weir.is_some() { "with-weir" } else { "without-weir" };
    let envoy = Envoy::start(&opts.envoy, dir, name, up_port, filter, opts.concurrency)?;
    let target = SocketAddr::from(([127, 0, 0, 1], envoy.port));
    eprintln!("{label}: warming up, then {} s of ramp", opts.secs_per_phase * scenario::RAMP.len() as f64);
    let warm = ramp(target, vec![Phase { rps: 0.3 * scenario::CAPACITY.rps(), secs: 1.0 }])?;
    if !warm.samples.iter().any(|s| s.outcome == loadgen::Outcome::Ok) {
        return Err(format!("{label}: no request got through Envoy while warming up:\n{}", envoy.log_tail()));
    }
    let run = ramp(target, scenario::phases(opts.secs_per_phase))?;
    Ok(Case { label, run, upstream: upstream_stats(up_port), weir: envoy.weir_counters() })
}

/// Runs both cases, prints the table, writes the plot.
pub fn run(opts: &Options) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("weir-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let rules = &opts.rules;
    let with_label = if opts.module.is_some() { "with weir (native)" } else { "with weir" };
    let cases = [one_case(opts, &dir, "without weir", None), one_case(opts, &dir, with_label, Some(rules))];
    let _ = std::fs::remove_dir_all(&dir);
    let [without, with] = cases;
    let (without, with) = (without?, with?);

    let cap = scenario::CAPACITY;
    println!(
        "\nservice: {} workers x {} ms = {:.0} req/s; client timeout {} ms; Envoy --concurrency {}",
        cap.slots,
        cap.work.as_millis(),
        cap.rps(),
        scenario::TIMEOUT.as_millis(),
        opts.concurrency
    );
    println!("weir: {}\n", rules.split_whitespace().collect::<Vec<_>>().join(" "));
    let labels: Vec<String> =
        scenario::RAMP.iter().enumerate().map(|(i, m)| format!("{}: {m:.1}x cap", i + 1)).collect();
    let (a, b) = (summary::phases(&without.run), summary::phases(&with.run));
    print!("{}", table::render(&labels, &a, &b));
    let all = [summary::overall(&without.run), summary::overall(&with.run)];
    print!("{}", table::render(&["whole ramp".to_owned()], &all[..1], &all[1..]));
    println!(
        "\nerr% = refused or failed answers, tmo% = no answer within the timeout; p50/p99 of successful requests."
    );
    for c in [&without, &with] {
        let weir: Vec<String> = c.weir.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!(
            "{}: upstream {}{}",
            c.label,
            c.upstream,
            if weir.is_empty() { String::new() } else { format!("; {}", weir.join(" ")) }
        );
    }

    let bucket = Duration::from_secs(1);
    let (sa, sb) = (summary::series(&without.run, bucket), summary::series(&with.run, bucket));
    let offered: Vec<(f64, f64)> = sa.iter().map(|(t, r)| (*t, r.offered_rps)).collect();
    let title = format!(
        "A {:.0} req/s service behind Envoy, offered 0.5x to 2.5x its capacity: without and {with_label}",
        cap.rps()
    );
    let lines = [
        Line { label: "without weir", color: plot::WITHOUT, points: &sa },
        Line { label: with_label, color: plot::WITH, points: &sb },
    ];
    let fig = Figure {
        title: &title,
        seconds: opts.secs_per_phase * scenario::RAMP.len() as f64,
        capacity_rps: cap.rps(),
        timeout_ms: scenario::TIMEOUT.as_secs_f64() * 1e3,
        offered: &offered,
        lines: &lines,
    };
    if let Some(parent) = opts.out.parent() {
        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    plot::write_svg(&opts.out, &fig)?;
    println!("plot: {}", opts.out.display());
    Ok(())
}
