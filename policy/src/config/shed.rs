//! `shed`: core's BBR-style shedder, fed by the CPU the upstream reports.

use super::{ConfigProblem, Ctx};
use serde_json::Value;
use weir_core::shedder::{ShedderConfig, ShedderKernel};

#[derive(Debug, Clone, PartialEq)]
pub struct Shed {
    pub config: ShedderConfig,
    /// The response header carrying the upstream's CPU in permille.
    pub cpu_header: String,
    pub status: u32,
}

const FIELDS: [&str; 8] =
    ["cpu_header", "cpu_threshold", "cpu_decay", "window", "buckets", "cool_off", "max_in_flight", "status"];

pub(super) fn parse(ctx: &Ctx, v: &Value) -> Result<Shed, ConfigProblem> {
    let obj = ctx.object("shed", v, &FIELDS)?;
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
    let status = ctx.status("shed.status", obj.get("status"), 503)?;
    Ok(Shed { config, cpu_header, status })
}
