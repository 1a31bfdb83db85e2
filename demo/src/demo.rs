//! The orchestrator of `make demo`: the same ramp against Envoy bare, with
//! its own `adaptive_concurrency` + `local_ratelimit`, and with weir, each in
//! front of a fresh upstream, then a table, weir's bars against Envoy's own and a plot.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::envoy::{Envoy, Front, Weir};
use crate::loadgen::{self, Load, Phase, Run};
use crate::plot::{self, Figure, Line};
use crate::summary::Row;
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
    pub label: String,
    pub run: Run,
    pub upstream: String,
    /// The protection's own counters (weir's, or Envoy's filters').
    pub counters: Vec<(String, u64)>,
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

fn one_case(opts: &Options, dir: &Path, label: &str, name: &str, front: Front<'_>) -> Result<Case, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let (_upstream, up_port) = procs::spawn_upstream(&exe, scenario::CAPACITY).map_err(|e| e.to_string())?;
    let envoy = Envoy::start(&opts.envoy, dir, name, up_port, front, opts.concurrency)?;
    let target = SocketAddr::from(([127, 0, 0, 1], envoy.port));
    eprintln!("{label}: warming up, then {} s of ramp", opts.secs_per_phase * scenario::RAMP.len() as f64);
    let warm = ramp(target, vec![Phase { rps: 0.3 * scenario::CAPACITY.rps(), secs: 1.0 }])?;
    if !warm.samples.iter().any(|s| s.outcome == loadgen::Outcome::Ok) {
        return Err(format!("{label}: no request got through Envoy while warming up:\n{}", envoy.log_tail()));
    }
    let run = ramp(target, scenario::phases(opts.secs_per_phase))?;
    Ok(Case { label: label.to_owned(), run, upstream: upstream_stats(up_port), counters: envoy.protection_counters() })
}

/// Runs the three cases, prints the table, writes the plot.
pub fn run(opts: &Options) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("weir-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let rules = &opts.rules;
    let (weir, weir_label) = match &opts.module {
        Some(module) => (Weir::Module(module), "with weir (native)"),
        None => (Weir::Wasm(&opts.wasm), "with weir (wasm)"),
    };
    let plans = [
        ("without weir", "bare", Front::Bare),
        ("Envoy adaptive_concurrency", "envoy-native", Front::Native),
        (weir_label, "with-weir", Front::Weir(weir, rules)),
    ];
    let cases: Vec<Result<Case, String>> =
        plans.iter().map(|(label, name, front)| one_case(opts, &dir, label, name, *front)).collect();
    let _ = std::fs::remove_dir_all(&dir);
    let cases = cases.into_iter().collect::<Result<Vec<Case>, String>>()?;

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
    let names: Vec<&str> = cases.iter().map(|c| c.label.as_str()).collect();
    let per_phase: Vec<Vec<Row>> = cases.iter().map(|c| summary::phases(&c.run)).collect();
    print!("{}", table::render(&labels, &names, &per_phase));
    let whole: Vec<Vec<Row>> = cases.iter().map(|c| vec![summary::overall(&c.run)]).collect();
    print!("{}", table::render(&["whole ramp".to_owned()], &names, &whole));
    println!(
        "\nerr% = refused or failed answers, tmo% = no answer within the timeout; p50/p99 of successful requests."
    );
    for c in &cases {
        let counters: Vec<String> = c.counters.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!(
            "{}: upstream {}{}",
            c.label,
            c.upstream,
            if counters.is_empty() { String::new() } else { format!("; {}", counters.join(" ")) }
        );
    }
    if let [.., native, weir] = per_phase.as_slice() {
        let (first, last) = (scenario::RAMP.iter().position(|m| *m > 1.0).unwrap_or(0), scenario::RAMP.len() - 1);
        let verdicts =
            summary::bars(native.get(first..last).unwrap_or(&[]), weir.get(first..last).unwrap_or(&[]), &weir[0]);
        println!("\nbars (phases {}..{}, weir against Envoy's own):", first + 1, last);
        for v in verdicts {
            println!("  {v}");
        }
    }

    let bucket = Duration::from_secs(1);
    let series: Vec<Vec<(f64, Row)>> = cases.iter().map(|c| summary::series(&c.run, bucket)).collect();
    let offered: Vec<(f64, f64)> = series[0].iter().map(|(t, r)| (*t, r.offered_rps)).collect();
    let title = format!("A {:.0} req/s service behind Envoy, offered 0.5x to 2.5x its capacity", cap.rps());
    let lines: Vec<Line> = cases
        .iter()
        .zip(&series)
        .zip(plot::COLORS)
        .map(|((c, points), color)| Line { label: &c.label, color, points })
        .collect();
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
