//! `weir-demo run --envoy <bin> --wasm <weir_filter.wasm> [--module <libweir_envoy.so>] [--out docs/demo.svg]`
//! runs the demo (`--module`: weir as Envoy's dynamic module instead of the
//! wasm filter); `weir-demo upstream` is the service it starts for itself.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use weir_demo::{demo, scenario, upstream};

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn number<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, String> {
    match flag(args, name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| format!("{name}: not a number: {v}")),
    }
}

fn serve_upstream(args: &[String]) -> Result<(), String> {
    let d = scenario::CAPACITY;
    let cap = upstream::Capacity {
        slots: number(args, "--slots", d.slots)?,
        work: Duration::from_millis(number(args, "--work-ms", d.work.as_millis() as u64)?),
        max_queue: number(args, "--max-queue", d.max_queue)?,
    };
    // The parent holds our stdin: when it goes away, so do we.
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        println!("port={port}");
        upstream::serve(listener, cap, Arc::new(upstream::Counters::default())).await;
        Ok(())
    })
}

fn run_demo(args: &[String]) -> Result<(), String> {
    let required = |name: &str| flag(args, name).map(PathBuf::from).ok_or(format!("{name} is required"));
    if flag(args, "--wasm").is_none() && flag(args, "--module").is_none() {
        return Err("--wasm or --module is required".into());
    }
    let opts = demo::Options {
        envoy: required("--envoy")?,
        module: flag(args, "--module").map(PathBuf::from),
        wasm: flag(args, "--wasm").map(PathBuf::from).unwrap_or_default(),
        out: flag(args, "--out").map_or_else(|| PathBuf::from("docs/demo.svg"), PathBuf::from),
        secs_per_phase: number(args, "--phase-secs", 5.0)?,
        concurrency: number(args, "--concurrency", 2)?,
        rules: flag(args, "--rules").unwrap_or_else(scenario::weir_rules),
    };
    demo::run(&opts)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("upstream") => serve_upstream(&args),
        Some("run") => run_demo(&args),
        _ => Err("usage: weir-demo run --envoy <bin> (--wasm <file> | --module <libweir_envoy.so>) [--out <svg>] [--phase-secs 5] | upstream".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("weir-demo: {e}");
            ExitCode::FAILURE
        }
    }
}
