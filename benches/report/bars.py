"""Every bar of issues 2-20 that a benchmark measures, as a function of one
run's cases. A bar reads its numbers from the named suite's output only, so
weir and its anchor always come from the same run of the same suite."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

# suite -> case -> value (ns per op, or whatever the suite's table says)
Cases = Dict[str, Dict[str, float]]
# (weir's number, the anchor's number) or None when a case is missing
Measure = Callable[[Cases], Optional[Tuple[float, float]]]


@dataclass(frozen=True)
class Bar:
    issue: int
    what: str
    anchor: str
    measure: Measure
    op: str  # "<=", "<" or ">=": how weir / anchor must compare with limit
    limit: float
    unit: str = "ns"

    def ratio(self, cases: Cases) -> Optional[Tuple[float, float, float]]:
        got = self.measure(cases)
        if got is None or got[1] == 0:
            return None
        return got[0], got[1], got[0] / got[1]

    def met(self, ratio: float) -> bool:
        return {"<=": ratio <= self.limit, "<": ratio < self.limit, ">=": ratio >= self.limit}[self.op]

    def slack(self, ratio: float) -> float:
        """How far from the bar, as a factor: < 1 met, > 1 missed."""
        if self.op == ">=":
            return self.limit / ratio if ratio > 0 else float("inf")
        return ratio / self.limit


def pair(suite: str, weir: str, anchor: str) -> Measure:
    def measure(cases: Cases) -> Optional[Tuple[float, float]]:
        c = cases.get(suite, {})
        return (c[weir], c[anchor]) if weir in c and anchor in c else None

    return measure


def within_rounds(suite: str, case: str) -> Measure:
    """A ratio the suite took round by round against the case's anchor (the
    median of each round's weir / anchor): the anchor's own figure is 1."""

    def measure(cases: Cases) -> Optional[Tuple[float, float]]:
        c = cases.get(suite, {})
        return (c[case], 1.0) if case in c else None

    return measure


def absolute(suite: str, case: str, target: float) -> Measure:
    """A bar given in absolute terms: the anchor is the bar's own number."""

    def measure(cases: Cases) -> Optional[Tuple[float, float]]:
        c = cases.get(suite, {})
        return (c[case], target) if case in c else None

    return measure


def overhead(suite: str, weir: str, anchor: str, base: str) -> Measure:
    """Cost added on top of `base` (a plain call), weir's against the anchor's."""

    def measure(cases: Cases) -> Optional[Tuple[float, float]]:
        c = cases.get(suite, {})
        if not all(k in c for k in (weir, anchor, base)):
            return None
        return max(c[weir] - c[base], 0.0), max(c[anchor] - c[base], 1e-9)

    return measure


BARS = [
    Bar(2, "limiter check, 1 thread", "governor", pair("core", "limiter/weir/1t", "limiter/governor/1t"), "<=", 0.8),
    Bar(2, "limiter check, 2 threads on one limiter", "governor", pair("core", "limiter/weir/2t", "limiter/governor/2t"), "<=", 1.0),
    Bar(2, "keyed limiter, 1,000 keys", "governor keyed", pair("core", "keyed/weir/1000", "keyed/governor/1000"), "<=", 0.6),
    Bar(3, "p2c pick+done, 16 nodes, 1 thread", "the bar: 60 ns", absolute("core", "picker/pick+done/16", 60.0), "<=", 1.0),
    Bar(3, "singleflight begin+finish, uncontended", "the bar: 30 ns", absolute("core", "singleflight/begin+finish", 30.0), "<=", 1.0),
    Bar(4, "Go Limiter.Allow, 1 goroutine", "x/time/rate Allow", pair("go", "go.LimiterAllow.weir", "go.LimiterAllow.x-time-rate"), "<=", 0.6),
    Bar(4, "Go Limiter.Allow, RunParallel, 2 procs", "x/time/rate Allow", pair("go", "go.LimiterAllowParallel.weir-2", "go.LimiterAllowParallel.x-time-rate-2"), "<=", 0.3),
    Bar(4, "Go Shedder Allow+done", "aegis bbr Allow+done", pair("go", "go.ShedderAllowDone.weir", "go.ShedderAllowDone.aegis-bbr"), "<=", 0.3),
    Bar(14, "Go Limiter.Allow, default (cgo) build", "x/time/rate Allow", pair("go", "go.LimiterAllow.weir", "go.LimiterAllow.x-time-rate"), "<=", 0.6),
    Bar(14, "Go Shedder Allow+done, default (cgo) build", "aegis bbr Allow+done", pair("go", "go.ShedderAllowDone.weir", "go.ShedderAllowDone.aegis-bbr"), "<=", 0.4),
    Bar(14, "Go Shedder Allow+done, opt-in weir_direct build", "aegis bbr Allow+done", pair("go", "go.ShedderAllowDone.weir-direct", "go.ShedderAllowDone.aegis-bbr"), "<=", 0.3),
    Bar(5, "Envoy filter throughput (req/s)", "native local_ratelimit", pair("envoy", "weir rps", "native local_ratelimit rps"), ">=", 0.85, "req/s"),
    Bar(5, "Envoy filter p99 latency", "native local_ratelimit", pair("envoy", "weir p99_us", "native local_ratelimit p99_us"), "<=", 1.5, "us"),
    Bar(6, "Python Limiter.try_acquire", "pyrate-limiter try_acquire", pair("python", "weir_limiter_try_acquire", "pyrate_limiter_try_acquire"), "<=", 0.03),
    Bar(6, "Python Limiter.try_acquire", "limits fixed-window hit", pair("python", "weir_limiter_try_acquire", "limits_fixed_window_hit"), "<=", 0.05),
    Bar(6, "Python Limiter.try_acquire", "pure-Python token bucket", pair("python", "weir_limiter_try_acquire", "py_token_bucket_try_acquire"), "<", 1.0),
    Bar(6, "Python retry overhead, first-time success", "tenacity", overhead("python", "weir_retry_first_success", "tenacity_retry_first_success", "plain_function_call"), "<=", 0.1),
    Bar(6, "Python acquire_async", "aiolimiter acquire", pair("python", "weir_limiter_acquire_async", "aiolimiter_acquire"), "<=", 0.25),
    Bar(7, "Node tryAcquire", "rate-limiter-flexible consume (memory)", pair("node", "weir_limiter_tryAcquire", "rate_limiter_flexible_consume"), "<=", 0.5),
    Bar(7, "Node retry, first-time success (with budget)", "cockatiel retry execute", pair("node", "weir_retry_first_success", "cockatiel_retry_first_success"), "<=", 1.0),
    Bar(9, "Redis calls per admitted request, steady load", "the bar: 0.05", absolute("fleet", "weir-fleet calls/admitted", 0.05), "<=", 1.0, "calls"),
    # The policy engine in a process: a check with one limit rule against the binding's own plain limiter.
    Bar(15, "Go Policy.Check, one limit rule", "Go Limiter.Allow", pair("go", "go.PolicyCheck.weir-policy", "go.PolicyCheck.weir-limiter"), "<=", 3.0),
    Bar(15, "Python Policy.check, one limit rule", "Python Limiter.try_acquire", pair("python", "weir_policy_check_one_limit", "weir_limiter_try_acquire"), "<=", 3.0),
    Bar(15, "Node Policy.check, one limit rule", "Node tryAcquire", pair("node", "weir_policy_check_one_limit", "weir_limiter_tryAcquire"), "<=", 3.0),
    Bar(15, "Envoy wasm filter throughput (req/s), unchanged from 0.70x", "native local_ratelimit", pair("envoy", "weir rps", "native local_ratelimit rps"), ">=", 0.70, "req/s"),
    # New kernels in core, one thread, time supplied.
    Bar(18, "breaker decision", "the bar: 10 ns", absolute("core", "breaker/decision/weir", 10.0), "<=", 1.0),
    Bar(18, "adaptive limit acquire+release (Gradient2)", "the bar: 40 ns", absolute("core", "adaptive/acquire+release/gradient2", 40.0), "<=", 1.0),
    Bar(19, "latency quantile record", "the bar: 10 ns", absolute("core", "quantile/record/atomic", 10.0), "<=", 1.0),
    Bar(19, "hot keys record", "the bar: 15 ns", absolute("core", "hot_keys/record/atomic", 15.0), "<=", 1.0),
    # The native Envoy module against Envoy's own filter, admit and refuse paths: the
    # median of each interleaved round's ratio, which cancels the drift of a shared machine.
    Bar(20, "Envoy module throughput, admitting (per round)", "native local_ratelimit", within_rounds("envoy", "weir native rps per round"), ">=", 0.95, "x"),
    Bar(20, "Envoy module p99, admitting (per round)", "native local_ratelimit", within_rounds("envoy", "weir native p99 per round"), "<=", 1.1, "x"),
    Bar(20, "Envoy module throughput, refusing (per round)", "native local_ratelimit", within_rounds("envoy", "weir native refusing rps per round"), ">=", 0.95, "x"),
    Bar(20, "Envoy module p99, refusing (per round)", "native local_ratelimit", within_rounds("envoy", "weir native refusing p99 per round"), "<=", 1.1, "x"),
    # Framework adapters: the cost per admitted request above the same app without a limiter.
    Bar(16, "ASGI middleware (FastAPI), per admitted request", "slowapi", overhead("python", "asgi_weir", "asgi_slowapi", "asgi_bare"), "<=", 0.3),
    Bar(16, "Express middleware, per admitted request", "express-rate-limit", overhead("node", "express_weir", "express_rate_limit", "express_bare"), "<=", 0.5),
    Bar(16, "Fastify plugin, per admitted request", "@fastify/rate-limit", overhead("node", "fastify_weir", "fastify_rate_limit", "fastify_bare"), "<=", 0.5),
    Bar(16, "Go net/http middleware, per admitted request", "go-chi/httprate", overhead("go", "go.HTTPMiddleware.weir", "go.HTTPMiddleware.httprate", "go.HTTPMiddleware.bare"), "<=", 0.5),
]

# Bars proved by tests rather than timed: listed so the report covers every bar.
TESTED = [
    (2, "limiter state <= 16 bytes, keyed entry <= 32 bytes", "size assertions in core's tests (`make test`, suite core)"),
    (2, "`make test` green; the no-alloc build fails with `extern crate alloc`", "`make test`"),
    (3, "every primitive replayed from vectors in core's tests", "`make test`, suite core"),
    (4, "0 ASan/UBSan/valgrind errors or leaks; >= 20 bad-input C cases", "`make test`, the C suite"),
    (5, "exact admitted count with 2 Envoy workers", "`make test`, suite envoy"),
    (7, "SingleFlight.do, 100 concurrent callers, one start", "`make test`, the Node suite"),
    (8, "`make demo` < 5 min, p99 bounded with weir", "`make demo` (README, docs/demo.svg)"),
    (9, "fleet-wide admitted within the bound; 0 over-admission while Redis is down", "`make test`, suite fleet"),
]
