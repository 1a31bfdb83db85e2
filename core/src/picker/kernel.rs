use crate::backoff::scale;
use crate::error::check;
use crate::{ConfigError, Nanos, Value, MILLISECOND, SECOND};

/// p2c settings; defaults from go-kratos (tau 600 ms, force-pick 3 s) and
/// Kratos v1 (success floor 50 %, CPU ceiling 90 %).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PickerConfig {
    /// Time constant of the latency and success EWMAs. At least 1 ns.
    pub tau_ns: Nanos,
    /// A node not picked for longer than this is picked once; 0 never.
    pub force_pick_ns: Nanos,
    /// Below this success rate (EWMA, `[0, 1]`) a node is unhealthy.
    pub success_floor: f64,
    /// Above this server CPU (permille, `<= 1000`) a node is unhealthy.
    pub cpu_ceiling: u64,
    /// Added to the latency under the square root, so that near-zero
    /// latencies do not make the in-flight count irrelevant.
    pub latency_bias_ns: Nanos,
    /// A new node's latency before its first response (0 as in go-zero: new
    /// nodes are tried at once, and in-flight keeps them from a flood).
    pub initial_latency_ns: Nanos,
}

impl Default for PickerConfig {
    fn default() -> Self {
        Self {
            tau_ns: 600 * MILLISECOND,
            force_pick_ns: 3 * SECOND,
            success_floor: 0.5,
            cpu_ceiling: 900,
            latency_bias_ns: 5 * MILLISECOND,
            initial_latency_ns: 0,
        }
    }
}

/// Most requests in flight one node counts; beyond, picks skip the node.
pub const MAX_IN_FLIGHT: u64 = (1 << 30) - 1;

/// A node's membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeState {
    /// No node in this slot.
    Empty,
    /// Pickable.
    Up,
    /// Marked down: not picked; in-flight requests still report back.
    Down,
    /// Being added (a few instructions long).
    Adding,
}

/// What a request's caller reports back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// How long the request took.
    pub latency_ns: Nanos,
    /// Whether it succeeded (counts towards the success rate).
    pub success: bool,
    /// The server's CPU in permille, if the response carried it.
    pub cpu_permille: Option<u16>,
}

impl Outcome {
    /// A success with no CPU report.
    pub const fn ok(latency_ns: Nanos) -> Self {
        Self { latency_ns, success: true, cpu_permille: None }
    }
}

/// A pick: which node, and which incarnation of its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PickTicket {
    /// Slot index of the node.
    pub index: u32,
    /// The slot's generation when picked; `done` for an older one is ignored.
    pub gen: u32,
    /// The node was force-picked (idle too long), not chosen on load.
    pub forced: bool,
}

/// A node's stats, for snapshots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeStats {
    /// The host's id of the node.
    pub id: u64,
    /// Membership.
    pub state: NodeState,
    /// Generation of the slot.
    pub gen: u32,
    /// Requests picked and not yet done.
    pub in_flight: u64,
    /// Latency EWMA, ns.
    pub latency_ns: f64,
    /// Success EWMA in `[0, 1]`.
    pub success: f64,
    /// Last CPU reported, permille.
    pub cpu_permille: u64,
    /// When it was last picked.
    pub last_pick: Nanos,
}

/// The lease word: `gen:32 | state:2 | in_flight:30`.
pub(crate) mod lease {
    use super::{NodeState, MAX_IN_FLIGHT};
    pub(crate) const EMPTY: u64 = 0;
    pub(crate) const UP: u64 = 1;
    pub(crate) const DOWN: u64 = 2;
    pub(crate) const ADDING: u64 = 3;

    #[inline]
    pub(crate) const fn pack(gen: u32, state: u64, in_flight: u64) -> u64 {
        ((gen as u64) << 32) | (state << 30) | in_flight
    }
    #[inline]
    pub(crate) const fn gen(w: u64) -> u32 {
        (w >> 32) as u32
    }
    #[inline]
    pub(crate) const fn state(w: u64) -> u64 {
        (w >> 30) & 0b11
    }
    #[inline]
    pub(crate) const fn in_flight(w: u64) -> u64 {
        w & MAX_IN_FLIGHT
    }
    pub(crate) const fn node_state(w: u64) -> NodeState {
        match state(w) {
            EMPTY => NodeState::Empty,
            UP => NodeState::Up,
            DOWN => NodeState::Down,
            _ => NodeState::Adding,
        }
    }
    /// The word after one more pick, if the node is up at generation `gen`.
    #[inline]
    pub(crate) const fn picked(w: u64) -> Option<u64> {
        if state(w) == UP && in_flight(w) < MAX_IN_FLIGHT {
            Some(w + 1)
        } else {
            None
        }
    }
    /// The word after a done for generation `gen`, if it counts.
    #[inline]
    pub(crate) const fn done(w: u64, g: u32) -> Option<u64> {
        let s = state(w);
        if gen(w) == g && (s == UP || s == DOWN) && in_flight(w) > 0 {
            Some(w - 1)
        } else {
            None
        }
    }
}

/// What the selection needs to know of an up node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct View {
    pub(crate) in_flight: u64,
    pub(crate) latency_ns: f64,
    pub(crate) success: f64,
    pub(crate) cpu_permille: u64,
    pub(crate) last_pick: Nanos,
}

/// The outcome of a selection: the node to take, and if it is a force-pick,
/// the `last_pick` seen (which the cell must still win by compare-exchange)
/// and the node to take instead if it loses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Choice {
    pub(crate) index: usize,
    pub(crate) forced_from: Option<(Nanos, usize)>,
}

/// The p2c kernel: the validated config and the pure functions both cells
/// run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PickerKernel {
    config: PickerConfig,
    bias_ns: f64,
}

impl PickerKernel {
    /// Validates `config`.
    pub fn new(config: PickerConfig) -> Result<Self, ConfigError> {
        check::at_least("tau_ns", ">= 1", config.tau_ns, 1)?;
        check::float_in("success_floor", "in [0, 1]", config.success_floor, 0.0, 1.0)?;
        check::at_most("cpu_ceiling", "<= 1000", config.cpu_ceiling, 1000)?;
        if config.latency_bias_ns == 0 && config.initial_latency_ns == 0 {
            return Err(ConfigError::new(
                "latency_bias_ns",
                ">= 1 when initial_latency_ns is 0 (else new nodes all load 0)",
                Value::Unsigned(0),
            ));
        }
        Ok(Self { config, bias_ns: config.latency_bias_ns as f64 })
    }

    /// The config.
    pub const fn config(&self) -> &PickerConfig {
        &self.config
    }

    /// Whether a node with these stats may be picked while others are fine.
    #[inline]
    pub fn healthy(&self, success: f64, cpu_permille: u64) -> bool {
        success >= self.config.success_floor && cpu_permille <= self.config.cpu_ceiling
    }

    /// The load (see the module docs).
    pub fn load(&self, in_flight: u64, latency_ns: f64, success: f64, cpu_permille: u64) -> f64 {
        let (num, den) = self.load_squared(&View { in_flight, latency_ns, success, cpu_permille, last_pick: 0 });
        // Back to the documented units: ms under the root, CPU as a factor.
        libm::sqrt(num / den / MILLISECOND as f64) / 1000.0
    }

    /// The load squared as a fraction, in units that need no division
    /// (ns, permille): comparing `na / da` with `nb / db` is comparing
    /// `na * db` with `nb * da`, and the constant unit factors cancel.
    #[inline]
    fn load_squared(&self, v: &View) -> (f64, f64) {
        let flight = (v.in_flight + 1) as f64;
        let cpu = (1000 + v.cpu_permille) as f64;
        let success = if v.success > 1e-3 { v.success } else { 1e-3 };
        ((v.latency_ns + self.bias_ns) * (flight * flight) * (cpu * cpu), success * success)
    }

    /// Whether `b` has a strictly lower load than `a`.
    #[inline]
    fn lighter(&self, b: &View, a: &View) -> bool {
        let ((na, da), (nb, db)) = (self.load_squared(a), self.load_squared(b));
        nb * da < na * db
    }

    #[inline]
    fn is_healthy(&self, v: &View) -> bool {
        self.healthy(v.success, v.cpu_permille)
    }

    /// The two slot indices a draw names, distinct when `len >= 2`.
    #[inline]
    pub(crate) fn candidates(len: usize, draw: u64) -> (usize, usize) {
        let a = scale(len as u64, draw) as usize;
        // A second, independent-looking number from the same draw.
        let mixed = (draw ^ (draw >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let b = scale(len.saturating_sub(1) as u64, mixed) as usize;
        (a, if b >= a { b + 1 } else { b })
    }

    /// Picks among the up nodes; `view(i)` is `None` for a slot that is not
    /// up. The first up node at or after each drawn index is the candidate.
    pub(crate) fn select(
        &self,
        len: usize,
        now: Nanos,
        draw: u64,
        view: impl Fn(usize) -> Option<View>,
    ) -> Option<Choice> {
        // start < len and k < len, so one subtraction wraps: no division.
        let at = |start: usize, k: usize| if start + k >= len { start + k - len } else { start + k };
        let up_from = |start: usize, skip: Option<usize>| {
            (0..len).map(|k| at(start, k)).filter(|&i| Some(i) != skip).find_map(|i| view(i).map(|v| (i, v)))
        };
        let (ra, rb) = Self::candidates(len, draw);
        let (a, va) = up_from(ra, None)?;
        let Some((b, vb)) = up_from(rb, Some(a)) else {
            return Some(Choice { index: a, forced_from: None });
        };
        let (ha, hb) = (self.is_healthy(&va), self.is_healthy(&vb));
        let (best, other, v_other) = match (ha, hb) {
            (true, false) => (a, b, vb),
            (false, true) => (b, a, va),
            (true, true) | (false, false) => {
                if !ha {
                    // Both drawn nodes are unhealthy: any healthy up node
                    // beats them.
                    if let Some(i) = (0..len).map(|k| at(a, k)).find(|&i| view(i).is_some_and(|v| self.is_healthy(&v)))
                    {
                        return Some(Choice { index: i, forced_from: None });
                    }
                }
                if self.lighter(&vb, &va) {
                    (b, a, va)
                } else {
                    (a, b, vb)
                }
            }
        };
        let idle = self.config.force_pick_ns > 0 && now.saturating_sub(v_other.last_pick) > self.config.force_pick_ns;
        Some(if idle {
            Choice { index: other, forced_from: Some((v_other.last_pick, best)) }
        } else {
            Choice { index: best, forced_from: None }
        })
    }

    /// The EWMA weight of the old value after `elapsed` ns: `exp(-x)` with
    /// `x = elapsed / tau`. Under load `done`s arrive microseconds apart and
    /// `x` is tiny; there the Taylor series to x^3 is exact to ~4e-14 (the
    /// error is below x^4/24) and costs a fraction of a full `exp`.
    #[inline]
    pub(crate) fn decay(&self, elapsed: Nanos) -> f64 {
        let x = elapsed as f64 / self.config.tau_ns as f64;
        if x < 1e-3 {
            1.0 - x * (1.0 - x * (0.5 - x * (1.0 / 6.0)))
        } else {
            libm::exp(-x)
        }
    }

    /// `old * w + sample * (1 - w)`.
    #[inline]
    pub(crate) fn ewma(old: f64, sample: f64, w: f64) -> f64 {
        old * w + sample * (1.0 - w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decay_matches_exp_on_both_sides_of_the_short_cut() {
        let kernel = PickerKernel::new(PickerConfig::default()).unwrap();
        let tau = PickerConfig::default().tau_ns;
        for elapsed in [0, 1, 1_000, 100_000, tau / 1000 - 1, tau / 1000, tau / 1000 + 1, tau, 10 * tau] {
            let exact = libm::exp(-(elapsed as f64) / tau as f64);
            let got = kernel.decay(elapsed);
            assert!((got - exact).abs() <= 1e-13, "elapsed {elapsed}: {got} vs {exact}");
        }
    }
}
