//! CPU usage in permille of what this process may use, for the shedder.
//! Reads cgroup v2 (`cpu.stat` usage against the `cpu.max` quota, or the
//! machine's CPU count when unlimited) and falls back to `/proc/stat`.

use std::fs;
use std::path::PathBuf;

/// Where the samples come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CpuSource {
    /// cgroup v2 `cpu.stat` under this directory.
    Cgroup(PathBuf),
    /// The whole machine, `/proc/stat`.
    ProcStat,
}

/// Turns two readings of cumulative CPU time into a usage between them.
#[derive(Debug)]
pub struct CpuSampler {
    source: CpuSource,
    last: Option<(u64, u64)>,
}

const CGROUP_ROOT: &str = "/sys/fs/cgroup";

impl CpuSampler {
    /// Picks cgroup v2 when this process's cgroup exposes `cpu.stat`, else `/proc/stat`.
    pub fn new() -> Self {
        let source = own_cgroup().map(CpuSource::Cgroup).unwrap_or(CpuSource::ProcStat);
        Self::with_source(source)
    }

    /// A sampler over an explicit source (tests point it at fixture files).
    pub fn with_source(source: CpuSource) -> Self {
        Self { source, last: None }
    }

    /// The source in use.
    pub fn source(&self) -> &CpuSource {
        &self.source
    }

    /// Usage since the previous call in permille (0..=1000 of the CPU this
    /// process may use). `None` on the first call, or when the source cannot
    /// be read — the shedder then keeps its last value.
    pub fn sample(&mut self) -> Option<u64> {
        let (busy, total) = match &self.source {
            CpuSource::Cgroup(dir) => read_cgroup(dir)?,
            CpuSource::ProcStat => read_proc_stat(&fs::read_to_string("/proc/stat").ok()?)?,
        };
        let previous = self.last.replace((busy, total));
        let (busy0, total0) = previous?;
        let (d_busy, d_total) = (busy.checked_sub(busy0)?, total.checked_sub(total0)?);
        if d_total == 0 {
            return None;
        }
        Some((d_busy.saturating_mul(1000) / d_total).min(1000))
    }
}

impl Default for CpuSampler {
    fn default() -> Self {
        Self::new()
    }
}

fn own_cgroup() -> Option<PathBuf> {
    // cgroup v2 has a single line "0::/path".
    let text = fs::read_to_string("/proc/self/cgroup").ok()?;
    let rel = text.lines().find_map(|l| l.strip_prefix("0::"))?;
    let dir = PathBuf::from(CGROUP_ROOT).join(rel.trim_start_matches('/'));
    dir.join("cpu.stat").exists().then_some(dir)
}

/// (busy, capacity) in microseconds: usage from `cpu.stat`, capacity as wall
/// time times the CPUs the quota (or the machine) allows.
fn read_cgroup(dir: &std::path::Path) -> Option<(u64, u64)> {
    let stat = fs::read_to_string(dir.join("cpu.stat")).ok()?;
    let usage = stat.lines().find_map(|l| l.strip_prefix("usage_usec "))?.trim().parse::<u64>().ok()?;
    let cpus_milli = fs::read_to_string(dir.join("cpu.max"))
        .ok()
        .and_then(|max| parse_cpu_max(&max))
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u64) * 1000);
    let wall_usec = crate::monotonic_now() / 1000;
    Some((usage, wall_usec.saturating_mul(cpus_milli) / 1000))
}

/// `cpu.max` is "quota period" in µs or "max period"; returns CPUs × 1000.
pub(crate) fn parse_cpu_max(text: &str) -> Option<u64> {
    let mut parts = text.split_whitespace();
    let quota = parts.next()?;
    let period: u64 = parts.next()?.parse().ok()?;
    if quota == "max" || period == 0 {
        return None;
    }
    Some(quota.parse::<u64>().ok()?.saturating_mul(1000) / period)
}

/// (busy, total) jiffies from the aggregate `cpu` line of `/proc/stat`.
pub(crate) fn read_proc_stat(text: &str) -> Option<(u64, u64)> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line.split_whitespace().skip(1).filter_map(|f| f.parse().ok()).collect();
    let total: u64 = fields.iter().sum();
    // idle + iowait are not busy.
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    Some((total.saturating_sub(idle), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_stat() {
        let text = "cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n";
        assert_eq!(read_proc_stat(text), Some((200, 1000)));
    }

    #[test]
    fn parses_cpu_max() {
        assert_eq!(parse_cpu_max("200000 100000\n"), Some(2000));
        assert_eq!(parse_cpu_max("50000 100000"), Some(500));
        assert_eq!(parse_cpu_max("max 100000"), None);
    }

    #[test]
    fn samples_this_machine() {
        let mut sampler = CpuSampler::new();
        assert_eq!(sampler.sample(), None, "the first call has nothing to compare with");
        // Burn a little CPU so the second reading differs.
        let mut x = 0u64;
        let until = crate::monotonic_now() + 30_000_000;
        while crate::monotonic_now() < until {
            x = x.wrapping_add(1);
        }
        std::hint::black_box(x);
        let permille = sampler.sample();
        assert!(matches!(permille, Some(p) if p <= 1000), "{permille:?} from {:?}", sampler.source());
    }
}
