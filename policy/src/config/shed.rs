//! `shed`: refuse what the upstream cannot take now, in one of two modes.
//!
//! - `"cpu"` (the default): core's BBR-style shedder, fed by the CPU the
//!   upstream reports in a response header.
//! - `"latency"`: core's adaptive concurrency limit, learned from response
//!   times alone, for an upstream that reports nothing. Gradient2 by
//!   default; `algorithm` picks Vegas or AIMD, and each algorithm's knobs are
//!   refused under another.

use super::{ConfigProblem, Ctx};
use serde_json::{Map, Value};
use weir_core::adaptive_limit::{AdaptiveLimitConfig, AdaptiveLimitKernel, Algorithm};
use weir_core::shedder::{ShedderConfig, ShedderKernel};

#[derive(Debug, Clone, PartialEq)]
pub enum ShedMode {
    Cpu {
        config: ShedderConfig,
        /// The response header carrying the upstream's CPU in permille.
        cpu_header: String,
    },
    Latency(AdaptiveLimitConfig),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Shed {
    pub mode: ShedMode,
    pub status: u32,
}

impl Shed {
    /// The state name of a latency limit, shared by every worker whose
    /// store shares state.
    pub fn state_name(rule: &str) -> String {
        format!("weir.shed.{rule}")
    }
}

const CPU_FIELDS: [&str; 9] =
    ["mode", "cpu_header", "cpu_threshold", "cpu_decay", "window", "buckets", "cool_off", "max_in_flight", "status"];
const LATENCY_FIELDS: [&str; 6] = ["mode", "algorithm", "initial_limit", "min_limit", "max_limit", "status"];
const GRADIENT2_FIELDS: [&str; 4] = ["smoothing", "rtt_tolerance", "long_window", "queue_size"];
const VEGAS_FIELDS: [&str; 4] = ["smoothing", "alpha", "beta", "probe_multiplier"];
const AIMD_FIELDS: [&str; 2] = ["backoff_ratio", "timeout"];

/// Gradient2 as a proxy in front of one service runs it. Netflix's settings
/// (limit >= 20, 4 of queue per update, a 600-sample baseline) suit a server
/// whose own concurrency is in the hundreds; in front of a service that does
/// a few requests at a time they would let a queue of several times its work
/// build before refusing anything. Here:
/// - `initial_limit` 3: where Envoy's gradient controller starts (pinned at
///   its `min_concurrency`, 3). The limit grows by `queue_size x smoothing`
///   per sample while at least half of it is in use, so it settles near twice
///   what the service is given. Started at Netflix's 20, it stays 20 at low
///   load (growth is held while app-limited), however few requests the
///   service takes at once, and a step up in load queues that many before
///   the gradient catches up.
/// - `min_limit` 1 and `queue_size` 1: room for one more request per update,
///   so the queue the limit leaves stays about one request per slot;
/// - `rtt_tolerance` 1: any sample slower than the baseline pulls the limit
///   down (the one queued request above is the only slack), as in Netflix's
///   current `Gradient2Limit`, whose gradient is `long / short` with no
///   tolerance;
/// - `smoothing` 0.2: Netflix's;
/// - `long_window` 100,000 samples: Netflix documents Gradient2 behind its
///   `WindowedLimit`, one update per window of at least 1 s, so its 600 are
///   ten minutes; weir updates per response, and 100,000 responses are
///   about 8 minutes at 200 req/s, 50 s at 2,000 req/s. A baseline that
///   averages every sample climbs under sustained overload, since each
///   sample carries the queue the limit allows (about limit / (limit - 1)
///   of the baseline): at 10,000 samples, a model of `make demo`'s ramp
///   has it 16% higher after 20 s of overload at 200 req/s, and the tail
///   with it. The price is the other direction: a service that
///   truly got slower is learned over that window, the limit held lower
///   meanwhile.
pub const LATENCY_GRADIENT2: AdaptiveLimitConfig = AdaptiveLimitConfig {
    initial_limit: 3,
    min_limit: 1,
    max_limit: 1000,
    algorithm: Algorithm::Gradient2 { smoothing: 0.2, rtt_tolerance: 1.0, long_window: 100_000, queue_size: 1 },
};

pub(super) fn parse(ctx: &Ctx, v: &Value) -> Result<Shed, ConfigProblem> {
    let raw = v.as_object().ok_or_else(|| ctx.err("shed", format!("must be an object, got {}", super::kind(v))))?;
    let status = ctx.status("shed.status", raw.get("status"), 503)?;
    let mode = match raw.get("mode").map(|m| (m, m.as_str())) {
        None | Some((_, Some("cpu"))) => parse_cpu(ctx, v)?,
        Some((_, Some("latency"))) => ShedMode::Latency(parse_latency(ctx, raw)?),
        Some((m, _)) => {
            return Err(ctx.err("shed.mode", format!("must be \"cpu\" or \"latency\", got {}", super::show(m))))
        }
    };
    Ok(Shed { mode, status })
}

fn parse_cpu(ctx: &Ctx, v: &Value) -> Result<ShedMode, ConfigProblem> {
    let obj = ctx.object("shed", v, &CPU_FIELDS)?;
    let mut config = ShedderConfig::default();
    if let Some(t) = obj.get("cpu_threshold") {
        config.cpu_threshold = ctx.uint("shed.cpu_threshold", t, 1, 1000)?;
    }
    if let Some(d) = obj.get("cpu_decay") {
        config.cpu_decay = ctx.float("shed.cpu_decay", d, 0.0, 0.999_999)?;
    }
    if let Some(w) = obj.get("window") {
        config.window_ns = ctx.duration("shed.window", w)?;
    }
    if let Some(b) = obj.get("buckets") {
        config.buckets = ctx.uint("shed.buckets", b, 1, 128)?;
    }
    if let Some(c) = obj.get("cool_off") {
        config.cool_off_ns = ctx.duration("shed.cool_off", c)?;
    }
    if let Some(m) = obj.get("max_in_flight") {
        config.max_queue = ctx.uint("shed.max_in_flight", m, 0, u64::from(u32::MAX))?;
    }
    ShedderKernel::new(config).map_err(|e| {
        ctx.core("shed", &[("window_ns", "window"), ("cool_off_ns", "cool_off"), ("max_queue", "max_in_flight")], e)
    })?;
    let cpu_header =
        obj.get("cpu_header").map_or(Ok("x-weir-cpu".into()), |h| ctx.header_name("shed.cpu_header", h))?;
    Ok(ShedMode::Cpu { config, cpu_header })
}

fn parse_latency(ctx: &Ctx, obj: &Map<String, Value>) -> Result<AdaptiveLimitConfig, ConfigProblem> {
    let (name, own): (&str, &[&str]) = match obj.get("algorithm") {
        None => ("gradient2", &GRADIENT2_FIELDS),
        Some(a) => match a.as_str() {
            Some("gradient2") => ("gradient2", &GRADIENT2_FIELDS),
            Some("vegas") => ("vegas", &VEGAS_FIELDS),
            Some("aimd") => ("aimd", &AIMD_FIELDS),
            _ => {
                let got = super::show(a);
                return Err(
                    ctx.err("shed.algorithm", format!("must be \"gradient2\", \"vegas\" or \"aimd\", got {got}"))
                );
            }
        },
    };
    if let Some(k) = obj.keys().find(|k| !LATENCY_FIELDS.contains(&k.as_str()) && !own.contains(&k.as_str())) {
        let known = LATENCY_FIELDS.iter().chain(own).copied().collect::<Vec<_>>().join(", ");
        return Err(ctx.err(
            &format!("shed.{k}"),
            format!("is not a field of mode \"latency\" with algorithm \"{name}\" (known: {known})"),
        ));
    }
    let mut config = match name {
        "vegas" => AdaptiveLimitConfig { algorithm: Algorithm::VEGAS, ..LATENCY_GRADIENT2 },
        "aimd" => AdaptiveLimitConfig { algorithm: Algorithm::AIMD, ..LATENCY_GRADIENT2 },
        _ => LATENCY_GRADIENT2,
    };
    let max = weir_core::adaptive_limit::MAX_LIMIT;
    let uint = |field: &str, lo: u64| -> Result<Option<u64>, ConfigProblem> {
        obj.get(field).map(|v| ctx.uint(&format!("shed.{field}"), v, lo, max)).transpose()
    };
    let float = |field: &str, lo: f64, hi: f64| -> Result<Option<f64>, ConfigProblem> {
        obj.get(field).map(|v| ctx.float(&format!("shed.{field}"), v, lo, hi)).transpose()
    };
    config.min_limit = uint("min_limit", 1)?.unwrap_or(config.min_limit);
    config.max_limit = uint("max_limit", 1)?.unwrap_or(config.max_limit);
    // An initial limit left out follows the bounds the rule gives.
    config.initial_limit =
        uint("initial_limit", 1)?.unwrap_or(config.initial_limit.max(config.min_limit).min(config.max_limit));
    config.algorithm = match config.algorithm {
        Algorithm::Gradient2 { smoothing, rtt_tolerance, long_window, queue_size } => Algorithm::Gradient2 {
            smoothing: float("smoothing", 0.0, 1.0)?.unwrap_or(smoothing),
            rtt_tolerance: float("rtt_tolerance", 1.0, 1e6)?.unwrap_or(rtt_tolerance),
            long_window: uint("long_window", 1)?.unwrap_or(long_window),
            queue_size: uint("queue_size", 0)?.unwrap_or(queue_size),
        },
        Algorithm::Vegas { smoothing, alpha, beta, probe_multiplier } => Algorithm::Vegas {
            smoothing: float("smoothing", 0.0, 1.0)?.unwrap_or(smoothing),
            alpha: uint("alpha", 1)?.unwrap_or(alpha),
            beta: uint("beta", 1)?.unwrap_or(beta),
            probe_multiplier: uint("probe_multiplier", 1)?.unwrap_or(probe_multiplier),
        },
        Algorithm::Aimd { backoff_ratio, timeout_ns } => Algorithm::Aimd {
            backoff_ratio: float("backoff_ratio", 0.5, 1.0)?.unwrap_or(backoff_ratio),
            timeout_ns: obj.get("timeout").map(|t| ctx.duration("shed.timeout", t)).transpose()?.unwrap_or(timeout_ns),
        },
    };
    AdaptiveLimitKernel::new(config).map_err(|e| ctx.core("shed", &[("timeout_ns", "timeout")], e))?;
    Ok(config)
}
